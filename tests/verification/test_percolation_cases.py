"""The percolation case file's headline numbers at its reduced size (Su et al. 2025).

* the sphere threshold of the case's own threshold section (boxes, realisations, seed)
  lies within 2 standard errors of Lorenz & Ziff's 0.2895;
* the thin film's first through-thickness path appears below the bulk threshold;
* unknown keys are refused with a suggestion.
"""
from pathlib import Path

import numpy as np
import pytest
import yaml

from ntransport.errors import ConfigError
from ntransport.percolation import Sphere, estimate_threshold
from ntransport.percolation.scans import film_threshold
from ntransport.studies.registry import load_case

GEOM = Path(__file__).resolve().parents[2] / "geometries"
CASE = GEOM / "percolation_metal_interphase.yaml"


@pytest.mark.parametrize("name", ["percolation_metal_interphase.yaml",
                                  "percolation_enveloped_metal.yaml"])
def test_case_files_validate(name):
    assert load_case(GEOM / name).kind == "percolation"


def test_sphere_threshold_within_two_sigma_at_the_case_size():
    t = load_case(CASE, reduced=True)["threshold"]
    rng = np.random.default_rng(load_case(CASE, reduced=True)["seed"])
    est = estimate_threshold(Sphere(1.0, dim=3), t["lengths"], t["realisations"], rng=rng)
    msg = f"V_p = {est.fraction:.4f} +- {est.fraction_se:.4f} at boxes {t['lengths']}"
    assert abs(est.fraction - 0.2895) < 2 * est.fraction_se, msg
    assert est.fraction_se < 0.02, msg


def test_thin_film_threshold_below_bulk():
    """First through-thickness spanning in a film 4 radii thick and 32 wide happens at
    V ~ 0.10, in the cube of the same thickness at ~0.44, in bulk at 0.29 (standard
    errors ~0.01 with 20 realisations: the gaps are > 10 sigma)."""
    film = film_threshold(4.0, 32.0, 20, rng=3)
    cube = film_threshold(4.0, 4.0, 20, rng=3)
    assert film.fraction < 0.2895 - 5 * film.se
    assert cube.fraction > film.fraction + 5 * max(film.se, cube.se)
    # larger particles (smaller H / r) in a film of fixed thickness: earlier spanning
    thicker = film_threshold(8.0, 32.0, 20, rng=4)
    assert film.fraction < thicker.fraction


def test_unknown_key_rejected():
    data = yaml.safe_load(CASE.read_text())
    data["threshold"]["aspect_ratio"] = 2.0
    with pytest.raises(ConfigError, match="unknown key 'aspect_ratio'.*aspect_ratios"):
        load_case(data)
