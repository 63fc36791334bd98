"""Spanning detection on hand-built configurations."""
import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.percolation import (Sphere, connectivity, critical_count,
                                    crossing_probability, critical_densities)
from ntransport.percolation.sampling import Cell, Particles


def _chain(xs, y=5.0):
    c = np.column_stack([xs, np.full(len(xs), y)])
    return Particles(Sphere(1.0, dim=2), Cell(10.0, 2, 1.0), c)


def test_chain_spans_and_broken_chain_does_not():
    full = _chain(np.arange(0.5, 10.5, 1.9))  # steps 1.9 < 2r: touching
    c = connectivity(full)
    assert c.spans and c.spanning.all() and c.n_clusters == 1
    broken = _chain(np.array([0.5, 2.4, 4.3, 6.5, 8.4, 9.9]))  # 4.3 -> 6.5 gap 2.2
    c = connectivity(broken)
    assert not c.spans and not c.spanning.any() and c.n_clusters == 2


def test_tunnelling_gap_closes_the_chain():
    broken = _chain(np.array([0.5, 2.4, 4.3, 6.5, 8.4, 9.9]))
    assert not connectivity(broken, gap=0.1).spans
    assert connectivity(broken, gap=0.25).spans


def test_critical_count_is_the_first_spanning_prefix():
    xs = np.arange(0.5, 10.5, 1.9)
    order = np.array([5, 0, 3, 1, 4, 2])  # the last link (index 2) is added last
    p = _chain(xs[order])
    assert critical_count(p) == 6
    assert critical_count(p.head(5)) is None


def test_critical_count_without_any_contact_is_none():
    """Isolated particles (no contact at all, one touching each electrode) never span;
    also a lone particle touching both electrodes spans at k = 1."""
    p = _chain(np.array([0.5, 5.0, 9.9]))  # gaps of 4.5 and 4.9 > 2r
    assert len(p) == 3 and critical_count(p) is None
    wide = Particles(Sphere(6.0, dim=2), Cell(10.0, 2, 1.0), np.array([[5.0, 5.0]]))
    assert critical_count(wide) == 1


@pytest.mark.parametrize("dim, shape", [(2, "sphere"), (3, "sphere"), (3, "spheroid"),
                                        (2, "spheroid")])
def test_critical_count_matches_labelling_every_prefix(dim, shape):
    """The bottleneck-path count against connected-component labelling of the prefixes
    just below and at it (random overlapping configurations, spheres and spheroids)."""
    from ntransport.percolation import Spheroid
    from ntransport.percolation.sampling import sample_overlapping

    s = Sphere(1.0, dim=dim) if shape == "sphere" else Spheroid(0.7, 2.0, dim=dim)
    for seed in range(6):
        p = sample_overlapping(s, 10.0, reduced_density=2.5 if dim == 2 else 1.0, rng=seed)
        k = critical_count(p)
        assert k is not None and 1 <= k <= len(p)
        assert connectivity(p.head(k)).spans
        assert not connectivity(p.head(k - 1)).spans


def test_crossing_probability_is_empirical_cdf():
    eta = np.array([0.3, 0.1, 0.2, 0.4])
    np.testing.assert_allclose(crossing_probability(eta, [0.05, 0.2, 0.35, 1.0]),
                               [0, 0.5, 0.75, 1.0])


def test_critical_densities_bad_count():
    with pytest.raises(GeometryError, match="n_realisations must be >= 1, got 0"):
        critical_densities(Sphere(1.0, dim=2), 10.0, 0)


