"""The percolation case file's headline numbers at its reduced size (Su et al. 2025).

* the sphere threshold of the case's own threshold section (boxes, realisations, seed,
  the study's random stream) lies within 2 standard errors of Lorenz & Ziff's 0.2895;
* the AR-2 random-spheroid threshold at the same reduced size agrees with the
  large-box value of the same model (finite-size check of the estimator);
* the thin film's first through-thickness path appears below the bulk threshold;
* unknown keys are refused with a suggestion.
"""
from pathlib import Path

import numpy as np
import pytest
import yaml

from ntransport.errors import ConfigError
from ntransport.percolation import Sphere, Spheroid, estimate_threshold
from ntransport.percolation.scans import film_threshold
from ntransport.studies.registry import load_case

GEOM = Path(__file__).resolve().parents[2] / "geometries"
CASE = GEOM / "percolation_metal_interphase.yaml"


@pytest.mark.parametrize("name", ["percolation_metal_interphase.yaml",
                                  "percolation_enveloped_metal.yaml"])
def test_case_files_validate(name):
    assert load_case(GEOM / name).kind == "percolation"


@pytest.fixture(scope="module")
def case_thresholds():
    """The reduced case's threshold section exactly as the study runs it: one random
    stream seeded with the case seed, aspect ratios in order, boxes given in long
    semi-axes (multiplied by the aspect ratio to short radii). ~4 s idle."""
    case = load_case(CASE, reduced=True)
    t = case["threshold"]
    assert t["dim"] == 3 and t["shape"] == "spheroid" and t["aspect_ratios"][:2] == [1.0, 2.0]
    rng = np.random.default_rng(case["seed"])
    out = {}
    for ar in t["aspect_ratios"]:
        s = Sphere(1.0, dim=3) if ar == 1.0 else Spheroid(1.0, ar, dim=3)
        out[ar] = estimate_threshold(s, [L * ar for L in t["lengths"]], t["realisations"],
                                     rng=rng)
    return t, out


def test_sphere_threshold_within_two_sigma_at_the_case_size(case_thresholds):
    t, est = case_thresholds
    est = est[1.0]
    msg = (f"V_p = {est.fraction:.4f} +- {est.fraction_se:.4f} at boxes {t['lengths']} "
           f"({est.method}; L^(-1/nu) fit: {1 - np.exp(-est.eta_extrapolated):.4f})")
    assert abs(est.fraction - 0.2895) < 2 * est.fraction_se, msg
    assert est.fraction_se < 0.005, msg


#: AR-2 random prolate spheroids with this code in large boxes (16..64 long semi-axes,
#: 40-200 realisations per box, 640 in all; re-measured by the slow test
#: test_percolation_threshold.py::test_ar2_random_spheroids_converge_in_large_boxes).
AR2_LARGE_BOX = (0.2489, 0.0004)


def test_ar2_spheroid_threshold_at_the_case_size(case_thresholds):
    """AR 2 at the reduced case size (boxes of 12-24 long semi-axes, where <eta*>_L still
    drifts by ~+0.004 at 12) agrees with the model's large-box value within 3 combined
    standard errors (99.7 % band; the drift is < 1 standard error at 30 realisations),
    and random orientation lowers the threshold well below the aligned / sphere value
    0.2895 (affine invariance). The literature comparison (Garboczi et al. 1995, 0.2618)
    is the strict-xfail slow test in test_percolation_threshold.py."""
    t, est = case_thresholds
    est = est[2.0]
    ref, ref_se = AR2_LARGE_BOX
    msg = (f"AR 2: {est.fraction:.4f} +- {est.fraction_se:.4f} at boxes "
           f"{[L * 2 for L in t['lengths']]} short radii vs large-box {ref} +- {ref_se}")
    assert abs(est.fraction - ref) < 3 * np.hypot(est.fraction_se, ref_se), msg
    assert est.fraction < 0.2895 - 5 * est.fraction_se, msg
    assert est.fraction_se < 0.005, msg


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
