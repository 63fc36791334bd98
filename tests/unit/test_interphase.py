"""Unit tests: interphase conductivity laws, growth law, resistance, BV inversion, inventory."""
import math

import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError, MaterialError
from ntransport.physics.interphase import (
    Interphase,
    growth_rate,
    interphase_resistance,
    li_consumed,
    mixing_rule_conductivity,
    percolation_conductivity,
    reduction_current,
)
from ntransport.physics.kinetics import butler_volmer
from ntransport.solve.cell_cycling import Electrode, LiCell, Protocol, overpotential


def make(**kw):
    base = dict(name="t", V_FM=0.5, sigma_e=1e-5, sigma_ion=1e-3, delta0=20e-9,
                molar_volume=2e-5, driving_voltage=1.7, tunnel_current=0.0)
    base.update(kw)
    return Interphase(**base)


# --- conductivity laws -----------------------------------------------------------------
def test_percolation_law_values_and_threshold():
    # sigma0 (V - Vp)^n evaluated by hand
    assert percolation_conductivity(0.5, sigma0=2.0, V_p=0.3, n=2.0) == pytest.approx(0.08)
    assert percolation_conductivity(0.5, sigma0=1.0, V_p=0.25, n=1.5) == pytest.approx(0.125)
    assert percolation_conductivity(0.3, sigma0=1.0, V_p=0.3) == 0.0  # at threshold
    assert percolation_conductivity(0.1, sigma0=1.0, sigma_floor=1e-12) == 1e-12
    V = np.array([0.0, 0.2, 0.5, 1.0])
    got = percolation_conductivity(V, sigma0=1.0)
    assert got.shape == V.shape and np.all(got[:2] == 0) and np.all(np.diff(got[1:]) > 0)
    assert np.array_equal(V, [0.0, 0.2, 0.5, 1.0])  # input untouched


def test_mixing_rule_is_linear_and_far_above_percolation_below_threshold():
    assert mixing_rule_conductivity(0.25, sigma_metal=4.0, sigma_nonmetal=0.0) == 1.0
    # the paper's point: the mixing rule predicts a conducting MII at any V_FM > 0,
    # percolation gives zero below V_p
    assert mixing_rule_conductivity(0.1, sigma_metal=1e6, sigma_nonmetal=1e-10) > 1e4
    assert percolation_conductivity(0.1, sigma0=1e6) == 0.0


@pytest.mark.parametrize("V", [-0.1, 1.2, float("nan")])
def test_bad_metal_fraction_raises(V):
    with pytest.raises(MaterialError, match="V_FM must lie in"):
        percolation_conductivity(V, sigma0=1.0)
    with pytest.raises(MaterialError, match="V_FM must lie in"):
        mixing_rule_conductivity(V, sigma_metal=1.0, sigma_nonmetal=0.0)
    if not math.isnan(V):
        with pytest.raises(MaterialError, match="V_FM must lie in"):
            make(V_FM=V)


def test_interphase_validation_messages():
    with pytest.raises(MaterialError, match="sigma_e .*must be finite and >= 0, got -1"):
        make(sigma_e=lambda V: -1.0)
    with pytest.raises(MaterialError, match="sigma_ion must be finite and > 0"):
        make(sigma_ion=0.0)
    with pytest.raises(MaterialError, match="delta0"):
        make(delta0=-1e-9)
    with pytest.raises(MaterialError, match="sigma0"):
        percolation_conductivity(0.5, sigma0=0.0)


def test_callable_sigma_e_is_evaluated_at_V_FM():
    ip = make(V_FM=0.6, sigma_e=lambda V: percolation_conductivity(V, sigma0=1.0, V_p=0.2))
    assert ip.electronic_conductivity == pytest.approx(0.16)


# --- growth law ------------------------------------------------------------------------
def test_reduction_current_limits():
    d = 1e-6
    # electron-limited (sigma_e << sigma_ion): i = sigma_e dV / delta
    ip = make(sigma_e=1e-9, sigma_ion=1.0)
    assert reduction_current(d, ip) == pytest.approx(1e-9 * 1.7 / d, rel=1e-8)
    # ion-limited (sigma_e >> sigma_ion): i = sigma_ion dV / delta (Wagner)
    ip = make(sigma_e=1e6, sigma_ion=1e-4)
    assert reduction_current(d, ip) == pytest.approx(1e-4 * 1.7 / d, rel=1e-9)
    # no electronic path, no tunnelling: no growth at all
    assert reduction_current(d, make(sigma_e=0.0)) == 0.0
    # tunnelling only: i_t0 exp(-delta/lambda)
    ip = make(sigma_e=0.0, tunnel_current=10.0, tunnel_length=2e-9)
    assert reduction_current(4e-9, ip) == pytest.approx(10.0 * math.exp(-2.0))


def test_growth_rate_matches_derivative_of_parabolic_law():
    # delta(t) = sqrt(delta0^2 + 2 Omega sigma dV t / F); check d(delta)/dt numerically
    ip = make(sigma_e=1e-5, sigma_ion=1e-3)
    s = 1e-5 * 1e-3 / (1e-5 + 1e-3)
    delta = lambda t: np.sqrt(20e-9**2 + 2 * 2e-5 * s * 1.7 * t / F)
    t, h = 3600.0, 1e-2
    fd = (delta(t + h) - delta(t - h)) / (2 * h)
    assert growth_rate(delta(t), ip) == pytest.approx(fd, rel=1e-6)  # O(h^2) FD error


def test_li_consumed_and_resistance():
    ip = make(sigma_e=1e-5, sigma_ion=1e-3)
    assert li_consumed(20e-9 + 2e-5, ip) == pytest.approx(1.0)  # Omega m3/mol -> 1 mol/m2
    assert interphase_resistance(1e-6, ip) == pytest.approx(1e-6 / (1e-3 + 1e-5))


# --- kinetics inversion ----------------------------------------------------------------
@pytest.mark.parametrize("aa, ac", [(0.5, 0.5), (0.3, 0.7), (0.7, 0.4)])
def test_overpotential_inverts_butler_volmer(aa, ac):
    i = np.array([-300.0, -5.0, -1e-3, 0.0, 2e-3, 5.0, 400.0])
    eta = overpotential(i, i0=10.0, alpha_a=aa, alpha_c=ac, T=300.0)
    back = butler_volmer(eta, 1.0, i0=10.0, alpha_a=aa, alpha_c=ac, T=300.0).i
    np.testing.assert_allclose(back, i, rtol=1e-9, atol=1e-12)


def test_overpotential_closed_form_small_current_is_linear():
    # R_ct = RT/(F i0 (aa+ac)) for small i
    eta = overpotential(1e-4, i0=10.0, T=298.15)
    assert eta == pytest.approx(1e-4 * R * 298.15 / (F * 10.0), rel=1e-6)


# --- electrodes and protocol -----------------------------------------------------------
@pytest.mark.parametrize("um, paper", [(100, 20.5), (50, 10.25), (20, 4.1)])
def test_areal_capacity_matches_paper(um, paper):
    # rho/M F h: 534 kg/m3 / 6.941 g/mol -> 2.06 mAh/cm2 per 10 um; the paper rounds to
    # 2.05, so agreement within 1 %
    assert Electrode(um * 1e-6).areal_capacity == pytest.approx(paper, rel=0.01)


@pytest.mark.parametrize("h", [0.0, -20e-6, float("inf")])
def test_bad_thickness(h):
    with pytest.raises(ConfigError, match="thickness of electrode 'Li' must be finite and > 0"):
        Electrode(h)


def test_bad_protocol_and_cell():
    with pytest.raises(ConfigError, match="first_strip 'wrk' not found. Did you mean 'working'"):
        Protocol(5.0, 1800.0, 10, first_strip="wrk")
    with pytest.raises(ConfigError, match="max_cycles must be an integer >= 1, got 0"):
        Protocol(5.0, 1800.0, 0)
    with pytest.raises(ConfigError, match="current_density must be finite and > 0"):
        Protocol(-5.0, 1800.0, 3)
    with pytest.raises(ConfigError, match="alpha must lie in"):
        LiCell(Electrode(1e-5), Electrode(1e-4), make(), 1e-3, 0.3, alpha=1.0)
    with pytest.raises(ConfigError, match="electrolyte_conductivity"):
        LiCell(Electrode(1e-5), Electrode(1e-4), make(), 1e-3, 0.0)
