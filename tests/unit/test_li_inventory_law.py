"""sigma_e(V_FM) of the Li-inventory study comes from the percolation study, not a constant."""
import pytest

from ntransport.errors import ConfigError
from ntransport.studies.li_inventory import percolation_threshold, sigma_e_law

SPEC = {"type": "study", "sigma0": 5e-4, "n": 2.0, "aspect_ratio": 1.0,
        "lengths": [12.0, 20.0, 28.0], "realisations": 60, "seed": 0, "sigma_floor": 0.0}


@pytest.fixture(scope="module")
def v_p():
    return percolation_threshold(SPEC)


def test_threshold_is_measured_and_matches_continuum_percolation(v_p):
    # Lorenz & Ziff 0.2895; 60 realisations x 3 boxes give a standard error ~0.005
    assert v_p == pytest.approx(0.2895, abs=0.015)
    assert percolation_threshold({**SPEC, "seed": 1}) != v_p  # really sampled


def test_law_is_zero_below_and_power_law_above_the_measured_threshold(v_p):
    law = sigma_e_law(SPEC)
    assert law(v_p - 0.05) == 0.0
    assert law(0.5) == pytest.approx(5e-4 * (0.5 - v_p) ** 2.0, rel=1e-12)


def test_elongated_metal_percolates_earlier(v_p):
    # aspect ratio 4 spheroids: excluded volume ~2x that of spheres -> V_p well below
    elongated = percolation_threshold({**SPEC, "aspect_ratio": 4.0, "lengths": [8.0, 12.0],
                                       "realisations": 15})
    assert elongated < v_p - 0.05


def test_bad_aspect_ratio():
    with pytest.raises(ConfigError, match="aspect_ratio must be >= 1"):
        percolation_threshold({**SPEC, "aspect_ratio": 0.5})
