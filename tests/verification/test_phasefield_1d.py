"""1D verification of the phase-field model (a one-element-wide column of the 2D
machinery): tanh profile, Nernst shift, Faraday velocity."""
import numpy as np
import pytest
from scipy.optimize import brentq, curve_fit

from ntransport.constants import F
from ntransport.geometry.boxes import column
from ntransport.physics.phasefield_params import (LI_MOLAR_DENSITY, interface_length,
                                                  moose_normalised_parameters)
from ntransport.solve.phasefield import PhaseFieldProblem, deposit_area, run

UM = 1e-6


def _tanh(x, x0, ell):
    return 0.5 * (1 - np.tanh((x - x0) / ell))


def _last(gen):
    s = None
    for s in gen:
        pass
    return s


def _front(y, xi, level=0.5):
    """First y (ascending) where xi drops below `level` (Li below)."""
    order = np.argsort(y)
    y, xi = y[order], xi[order]
    k = int(np.argmax(xi < level))
    return float(y[k - 1] + (level - xi[k - 1]) / (xi[k] - xi[k - 1]) * (y[k] - y[k - 1]))


@pytest.mark.parametrize("kappa0, W", [(0.3, 2.4), (0.6, 2.4), (0.3, 4.8)])
def test_equilibrium_profile_is_tanh_with_width_from_kappa_and_W(kappa0, W):
    """A step relaxes (no reaction: eta = 0, c = c0) to xi = [1 - tanh(x/ell)]/2 with
    ell = sqrt(2 kappa/W). Tolerance 1 %: with >= 10 elements across the 10-90 % width,
    the P1/nodal-quadrature discretisation error of the width is O(h^2/ell^2) ~ 0.4 %
    (measured 0.24 %); an error in the analytic width (e.g. sqrt(kappa/2W)) would miss by
    50 %."""
    p = moose_normalised_parameters(kappa0=kappa0, W=W)
    d = column(10 * UM, 120)
    y = d.mesh.p[1] / UM
    prob = PhaseFieldProblem(d, p, metal_potential=0.0, potential={"cathode": 0.0},
                             concentration={"cathode": 1000.0})
    s = _last(run(prob, (y < 4.0).astype(float), t_end=20.0, dt=1e-3, check_resolution=False))
    (x0, ell), _ = curve_fit(_tanh, y, s.xi, p0=[4.0, 0.5])
    assert ell == pytest.approx(interface_length(p), rel=0.01)
    assert np.abs(s.xi - _tanh(y, x0, ell)).max() < 5e-3


def _velocity(V, c_b, p, d, xi0):
    """Interface velocity d/dt int(xi) at metal potential V, bulk concentration c_b."""
    prob = PhaseFieldProblem(d, p, metal_potential=V, potential={"cathode": 0.0},
                             concentration={"cathode": 1000.0 * c_b})
    states = list(run(prob, xi0, c0=1000.0 * c_b, t_end=3.0, dt=0.05, dt_max=0.1))
    a1, a2 = deposit_area(d, states[-11].xi), deposit_area(d, states[-1].xi)
    return (a2 - a1) / (states[-1].t - states[-11].t)


@pytest.mark.parametrize("c_b", [0.5, 2.0])
def test_flat_interface_equilibrium_follows_nernst(c_b):
    """The metal potential at which a flat interface stands still is the Nernst shift
    (RT/nF) ln(c/c0) (= 17.9 mV for c/c0 = 2). The root of the measured velocity is
    found by brentq to 1e-7 V. Tolerance 0.05 mV = 0.3 % of the shift: the discrete
    profile drifts slowly even at zero driving force, an O(h^2) lattice error (measured
    root offset 0.058 mV at h = 0.1 and ~0.015 mV at h = 0.05, used here)."""
    p = moose_normalised_parameters()
    d = column(6 * UM, 120)
    xi0 = _tanh(d.mesh.p[1] / UM, 3.0, interface_length(p))
    expected = np.log(c_b) / p.f
    root = brentq(_velocity, expected - 0.02, expected + 0.02, args=(c_b, p, d, xi0),
                  xtol=1e-7)
    assert root == pytest.approx(expected, abs=5e-5)
    # growth below, dissolution above the Nernst potential
    assert _velocity(expected - 0.01, c_b, p, d, xi0) > 0 > _velocity(expected + 0.01, c_b, p, d, xi0)


def test_interface_under_fixed_current_moves_at_faraday_velocity():
    """Galvanostatic: inward ionic current i at the cathode end, none at the anode, so
    the deposit grows at v = i/(nFc_s). The front position (xi = 1/2) is fitted over
    time after the start-up transient; 2 % as asked."""
    p = moose_normalised_parameters()
    d = column(10 * UM, 100)
    y = d.mesh.p[1] / UM
    v = 5e-4 * UM  # m/s
    i = v * F * LI_MOLAR_DENSITY
    prob = PhaseFieldProblem(d, p, current={"cathode": i}, concentration={"cathode": 1000.0})
    ts, pos = [], []
    for s in run(prob, _tanh(y, 3.0, interface_length(p)), t_end=3000.0, dt=1e-2):
        ts.append(s.t)
        pos.append(_front(y, s.xi) * UM)
    ts, pos = np.array(ts), np.array(pos)
    late = ts > 500.0
    v_fit = np.polyfit(ts[late], pos[late], 1)[0]
    assert pos[-1] - pos[0] > 1.0 * UM  # it really moved (1.5 um)
    assert v_fit == pytest.approx(v, rel=0.02)
