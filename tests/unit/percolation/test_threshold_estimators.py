"""The two finite-size estimators of `fit_finite_size` on synthetic <eta*>_L data."""
import math

import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.percolation import Sphere, estimate_threshold
from ntransport.percolation.threshold import fit_finite_size

L = np.array([12.0, 16.0, 24.0, 48.0])
NU = 0.8765


def test_exact_power_law_is_recovered_by_the_extrapolation():
    m = 0.34 + 0.5 * L ** (-1 / NU)
    r = fit_finite_size(L, m, np.full(4, 1e-3), NU, method="extrapolate")
    assert r["eta_c"] == pytest.approx(0.34, abs=1e-12)
    assert r["slope"] == pytest.approx(0.5, abs=1e-9)
    assert r["systematic"] == 0.0


def test_plateau_is_the_weighted_mean_when_flat():
    m = np.array([0.345, 0.340, 0.342, 0.341])
    s = np.array([4e-3, 3e-3, 2e-3, 1e-3])
    r = fit_finite_size(L, m, s, NU, method="plateau")
    w = 1 / s ** 2
    assert r["eta_c"] == pytest.approx(np.sum(w * m) / np.sum(w), rel=1e-12)
    assert r["systematic"] == 0.0  # slope not significant
    assert r["eta_c_se"] == pytest.approx(1 / math.sqrt(np.sum(w)), rel=1e-12)


def test_plateau_widens_its_error_bar_for_a_significant_drift():
    m = 0.34 + 0.5 * L ** (-1 / NU)  # a = 0.5, se_a ~ 0.01: clearly drifting
    s = np.full(4, 1e-4)
    r = fit_finite_size(L, m, s, NU, method="plateau")
    x = L ** (-1 / NU)
    xbar = np.sum(x) / 4
    assert r["systematic"] == pytest.approx((0.5 - 2 * r["slope_se"]) * xbar, rel=1e-6)
    # without the widening the bias would be ~150 standard errors; with it the bar
    # covers the bias up to the 2 se_a shrinkage of the slope
    assert r["eta_c_se"] > 0.95 * abs(r["eta_c"] - 0.34)


def test_bad_input_is_refused():
    with pytest.raises(GeometryError, match="method must be one of"):
        fit_finite_size(L, L, L, NU, method="median")
    with pytest.raises(GeometryError, match="at least two box sizes"):
        fit_finite_size([12.0], [0.3], [0.01], NU)
    with pytest.raises(GeometryError, match="standard errors must be finite and > 0"):
        fit_finite_size(L, L, [0.01, 0.0, 0.01, 0.01], NU)
    with pytest.raises(GeometryError, match="method must be one of.*'auto'"):
        estimate_threshold(Sphere(1.0, dim=3), [8, 10], 2, method="mean")


def test_auto_is_plateau_in_3d_and_extrapolation_in_2d():
    e3 = estimate_threshold(Sphere(1.0, dim=3), [6, 8], 4, rng=0)
    e2 = estimate_threshold(Sphere(1.0, dim=2), [8, 12], 4, rng=0)
    assert e3.method == "plateau" and e2.method == "extrapolate"
    assert e2.eta_c == e2.eta_extrapolated
