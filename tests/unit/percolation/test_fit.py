"""Power-law fit, conductivity law and mixing rule."""
import numpy as np
import pytest

from ntransport.errors import ConfigError
from ntransport.percolation import (DEFAULT_FIT_3D, PowerLawFit, conductivity_law,
                                    fit_power_law, mixing_rule)


def _synthetic(rng, n_true=1.7, vp=0.3, s0=2.0, noise=0.05):
    v = np.repeat([0.36, 0.4, 0.45, 0.5, 0.6, 0.7], 5)
    s = s0 * (v - vp) ** n_true * np.exp(noise * rng.standard_normal(v.size))
    return v, s, np.tile(np.arange(5), 6)


def test_fit_recovers_known_law_and_ci_covers_it():
    v, s, g = _synthetic(np.random.default_rng(0))
    f = fit_power_law(v, s, realisation=g, n_boot=300)
    assert f.n == pytest.approx(1.7, abs=0.15) and f.v_p == pytest.approx(0.3, abs=0.02)
    assert f.ci["n"][0] < 1.7 < f.ci["n"][1]
    fixed = fit_power_law(v, s, v_p=0.3, realisation=g, n_boot=200)
    assert fixed.n == pytest.approx(1.7, abs=0.05) and fixed.ci["n"][0] < 1.7 < fixed.ci["n"][1]
    assert fixed.v_p_fixed and fixed.stderr["v_p"] == 0.0


def test_fit_bad_input():
    with pytest.raises(ConfigError, match="differ in length: 3 vs 2"):
        fit_power_law([0.4, 0.5, 0.6], [1, 2])
    with pytest.raises(ConfigError, match=">= 3 distinct volume fractions.*got 2"):
        fit_power_law([0.4, 0.5, 0.2], [0.1, 0.2, 0.0])
    with pytest.raises(ConfigError, match="v_p must be finite and > 0"):
        fit_power_law([0.4, 0.5, 0.6], [0.1, 0.2, 0.3], v_p=-1)


def test_conductivity_law_and_mixing_rule():
    f = PowerLawFit(sigma0=2.0, v_p=0.3, n=2.0)
    assert conductivity_law(0.5, fit=f, sigma_metal=10.0) == pytest.approx(10 * 2 * 0.04)
    assert conductivity_law(0.2, fit=f, sigma_metal=10.0, sigma_insulator=1e-9) == 1e-9
    np.testing.assert_allclose(conductivity_law([0.1, 1.0]), [0.0, 1.0])  # default: sigma(1) = sigma_M
    assert DEFAULT_FIT_3D.n == 2.0
    assert mixing_rule(0.2, sigma_metal=1e7, sigma_insulator=1e-8) == pytest.approx(2e6)
    # below the threshold the mixing rule overestimates by orders of magnitude
    assert mixing_rule(0.25, sigma_metal=1.0) > 1e6 * conductivity_law(0.25, sigma_insulator=1e-7)
    with pytest.raises(ConfigError, match=r"v_fm must lie in \[0, 1\], got 1.5"):
        conductivity_law(1.5)
    with pytest.raises(ConfigError, match="sigma_metal must be finite and > 0"):
        conductivity_law(0.5, sigma_metal=0)
    with pytest.raises(ConfigError, match=r"v_f must lie in \[0, 1\]"):
        mixing_rule(-0.1, sigma_metal=1.0)


def test_fit_of_ensemble_means_recovers_a_synthetic_law():
    from ntransport.percolation.fit import fit_mean_power_law

    rng = np.random.default_rng(1)
    v = np.linspace(0.31, 0.44, 8)
    mean = 0.9 * (v - 0.29) ** 2.0
    s = mean[:, None] * np.exp(0.05 * rng.standard_normal((8, 6)))
    fit = fit_mean_power_law(v, s, v_p=0.29, window=0.2, n_boot=200, v_p_se=0.002)
    assert fit.n == pytest.approx(2.0, abs=0.1)
    assert fit.ci["n"][0] < 2.0 < fit.ci["n"][1]
    with pytest.raises(ConfigError, match="need >= 3 fractions in the fit window"):
        fit_mean_power_law(v, s, v_p=0.29, window=0.03)
