"""Shapes, samplers and their bad-input errors."""
import math

import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.percolation import (Rod, Sphere, Spheroid, sample_hard_core,
                                    sample_overlapping)
from ntransport.percolation.sampling import RSA_JAMMING


@pytest.mark.parametrize("bad", [0, -1.0])
def test_aspect_ratio_not_positive(bad):
    with pytest.raises(GeometryError, match="aspect_ratio must be finite and > 0"):
        Spheroid(1.0, bad)
    with pytest.raises(GeometryError, match="aspect_ratio must be finite and > 0"):
        Rod(1.0, bad, dim=2)


def test_aspect_ratio_below_one():
    with pytest.raises(GeometryError, match="longest/shortest.*got 0.5"):
        Spheroid(1.0, 0.5)


def test_bad_dim_and_radius():
    with pytest.raises(GeometryError, match="dim must be 2 or 3, got 4"):
        Sphere(1.0, dim=4)
    with pytest.raises(GeometryError, match="radius must be finite and > 0"):
        Sphere(-1.0)


def test_volumes():
    assert math.isclose(Rod(1.0, 1.0, dim=3).volume, Sphere(1.0).volume)
    assert math.isclose(Spheroid(1.0, 2.0, dim=2).volume, 2 * math.pi)
    assert math.isclose(Rod(1.0, 3.0, dim=2).volume, math.pi + 8.0)


def test_overlapping_coverage_is_one_minus_exp_eta():
    """Point-sampled covered fraction inside [0, L]^2 equals 1 - exp(-eta)."""
    rng = np.random.default_rng(4)
    fr = []
    for _ in range(20):
        p = sample_overlapping(Sphere(1.0, dim=2), 20.0, reduced_density=0.8, rng=rng)
        x = rng.uniform(0, 20, (4000, 2))
        d, _ = p.cell.tree(p.centres, 1.0).query(
            np.column_stack([x[:, 0] + p.cell.margin, x[:, 1]]), k=1)
        fr.append(np.mean(d <= 1.0))
    # 80 000 points, binomial sd ~ 0.0017 plus realisation scatter: 4 sd
    assert abs(np.mean(fr) - (1 - math.exp(-0.8))) < 0.01


def test_hard_core_no_overlap_and_count():
    s = Sphere(1.0, dim=3)
    p = sample_hard_core(s, 12.0, exclusion_radius=1.2, n=80, rng=5)
    assert len(p) == 80
    i, j = np.triu_indices(80, 1)
    d = np.linalg.norm(p.cell.displacement(p.centres[i], p.centres[j]), axis=1)
    assert d.min() >= 2.4 - 1e-12


def test_shell_too_thick_for_spacing():
    s = Sphere(1.0, dim=2)
    n = int(0.6 * (12 * 10) / (math.pi * 1.5 ** 2)) + 10
    with pytest.raises(GeometryError, match="shell too thick for the particle spacing"):
        sample_hard_core(s, 10.0, exclusion_radius=1.5, n=n, rng=0)
    assert RSA_JAMMING[2] == 0.547


def test_exclusion_smaller_than_core():
    with pytest.raises(GeometryError, match="exclusion_radius=0.5 must be >= radius=1.0"):
        sample_hard_core(Sphere(1.0, dim=2), 10.0, exclusion_radius=0.5, n=3)


def test_hard_core_rejects_spheroids():
    with pytest.raises(GeometryError, match="supports Sphere only, got Spheroid"):
        sample_hard_core(Spheroid(1.0, 2.0), 10.0, exclusion_radius=2.0, n=3)


def test_box_smaller_than_particle_and_count_args():
    with pytest.raises(GeometryError, match="length=1.0 is smaller than one particle"):
        sample_overlapping(Sphere(1.0, dim=2), 1.0, n=3)
    with pytest.raises(GeometryError, match="exactly one of n= or reduced_density="):
        sample_overlapping(Sphere(1.0, dim=2), 10.0)


def test_prefix_is_a_valid_configuration():
    p = sample_overlapping(Spheroid(1.0, 2.0, dim=3), 10.0, n=50, rng=1)
    h = p.head(20)
    assert len(h) == 20 and np.array_equal(h.axes, p.axes[:20])
