"""Growth/decay of a small surface mode vs the quasi-static linear-stability result.

Theory: ntransport.post.deposition_stability (s = (Mj/ρF)·gk/(κk + g·tanh kL)).
Setup: single-ion conductor (t+ = 1, so the concentration is exactly uniform as the
theory assumes), one wavelength λ = 1 µm between symmetry walls, bulk boundary at
L = 0.5 µm above the mean front (follow_front window), ε = 1e-3 λ (nonlinear terms
~ε² negligible), i0 chosen so κ/g ≈ 2/k (kinetics and ohmic resistance comparable).
The run lasts one e-folding time 1/s.
"""
import numpy as np
import pytest

from ntransport.geometry.remesh import anode_profile
from ntransport.post.deposition_stability import (base_overpotential, linear_growth_rate,
                                                  mode_amplitude)
from ntransport.solve.deposition import (DepositionProblem, MeshOptions, electrolyte_species,
                                         initial_state, run)

LAM, L, J = 1e-6, 0.5e-6, 3.0
K = 2 * np.pi / LAM


KAPPA = 0.012


def _problem(current):
    # t+ = 1: Li+ the one mobile species (anion immobilised) in the electroneutral NPP core
    el = electrolyte_species(KAPPA, 1.0, c_ref=1000.0, T=318.0)
    return DepositionProblem(el, i0=1000.0, current_density=current, width=LAM, height=L,
                             temperature=318.0, follow_front=True)


def _theory(prob):
    _, g = base_overpotential(prob.kinetics_at, prob.current(0.0))
    return linear_growth_rate(K, conductivity=KAPPA, g=g, height=L,
                              current_density=prob.current(0.0))


def _measured_rate(prob, h, dt, t_end):
    mo = MeshOptions(h_anode=h, h_max=2 * h, dt_max=dt, cfl=1e9)
    curve = anode_profile(LAM, height=L, defect_height=0.0, defect_width=0.0, spacing=h,
                          amplitude=1e-3 * LAM, wavelength=LAM)
    s = initial_state(prob, curve, mesh=mo)
    a0 = mode_amplitude(s.anode, K, LAM)
    for s in run(prob, s, t_end=t_end, mesh=mo):
        pass
    assert s.remeshes == ()  # a clean measurement: no remesh in this small-amplitude run
    return np.log(mode_amplitude(s.anode, K, LAM) / a0) / s.t


@pytest.fixture(scope="module")
def plating():
    prob = _problem(-J)
    return prob, _theory(prob)


def test_theory_limits():
    # fast kinetics -> k coth(kL); slow kinetics -> g/κ (Wagner-number limits)
    v = 1.3e-5 * J / 96485.33212
    s = linear_growth_rate(K, conductivity=0.01, g=1e12, height=L, current_density=-J,
                           molar_volume=1.3e-5)
    assert s == pytest.approx(v * K / np.tanh(K * L), rel=1e-6)
    s = linear_growth_rate(K, conductivity=1e6, g=10.0, height=L, current_density=-J,
                           molar_volume=1.3e-5)
    assert s == pytest.approx(v * 10.0 / 1e6, rel=1e-6)


def test_current_perturbation_matches_theory():
    """The static part of the rate, on the initial mesh (no time stepping): the cos-mode
    of the plating current over the surface mode, j g k/(κk + g tanh kL), at λ/h = 32.
    Measured +0.085 % (the error falls to 0.013 % at λ/h = 181)."""
    prob = _problem(-J)
    _, g = base_overpotential(prob.kinetics_at, -J)
    theory = g * K / (KAPPA * K + g * np.tanh(K * L))
    h = LAM / 32
    mo = MeshOptions(h_anode=h, h_max=2 * h)
    curve = anode_profile(LAM, height=L, defect_height=0.0, defect_width=0.0, spacing=h,
                          amplitude=1e-3 * LAM, wavelength=LAM)
    s = initial_state(prob, curve, mesh=mo)
    X = s.anode
    di = mode_amplitude(np.column_stack([X[:, 0], -s.i_anode / J - 1.0]), K, LAM)
    assert di / mode_amplitude(X, K, LAM) == pytest.approx(theory, rel=2e-3)


def test_mesh_convergence(plating):
    """Rate error of the discrete scheme (explicit Euler in the geometry removed) at
    λ/h = 8, 16, 32. The retired binary-electrolyte solver integrated the Butler-Volmer
    current over each anode segment with a 3-point Gauss rule and converged as h² from
    5.3 % (λ/h = 8) to -0.33 % (λ/h = 32). The NPP core takes the boundary current at the
    nodes (the trapezoid rule, spectrally accurate on a Fourier mode), which removes that
    h² term: measured +0.015 %, +0.054 %, +0.075 % (and +0.041 % at λ/h = 64), the floor
    left by the non-nested unstructured interior meshes; it converges (static check
    above: 0.085, 0.049, 0.022, 0.013 % at λ/h = 32, 64, 128, 181) but no clean slope
    can be fitted at these levels. Asserted: below 2e-3 at every level (the old spec was
    5e-3 at λ/h = 32)."""
    prob, s_th = plating
    T = 1.0 / s_th
    dt = 0.05 * T
    # explicit Euler in the geometry: the exact discrete rate is ln(1 + s dt)/dt
    s_dt = np.log1p(s_th * dt) / dt
    hs = np.array([LAM / 8, LAM / 16, LAM / 32])
    err = np.array([abs(_measured_rate(prob, h, dt, T) / s_dt - 1) for h in hs])
    assert np.all(err < 2e-3), err
    assert err[-1] < 5e-3, err


def test_time_convergence_first_order(plating):
    prob, s_th = plating
    T = 1.0 / s_th
    h = LAM / 32
    dts = np.array([0.1, 0.05, 0.025]) * T
    rates = np.array([_measured_rate(prob, h, dt, T) for dt in dts])
    # remove the (dt-independent) mesh error, estimated at the finest dt by Richardson
    s_h = 2 * rates[-1] - rates[-2]
    err = np.abs(rates - s_h)
    slope = np.polyfit(np.log(dts), np.log(err), 1)[0]
    assert 0.8 < slope < 1.2, (rates, slope)  # forward Euler in the interface position
    assert s_h == pytest.approx(s_th, rel=5e-3)  # converged rate agrees with theory


def test_stripping_decays_at_theory_rate():
    prob = _problem(+J)
    s_th = _theory(prob)
    assert s_th < 0
    T = 1.0 / abs(s_th)
    dt = 0.025 * T
    rate = _measured_rate(prob, LAM / 32, dt, T)
    assert rate == pytest.approx(np.log1p(s_th * dt) / dt, rel=1e-2)
