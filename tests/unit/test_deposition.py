"""Deposition building blocks and every bad-input path."""
import dataclasses

import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError, ConvergenceError, GeometryError, MaterialError
from ntransport.geometry.remesh import (_shoelace, anode_profile, coarsen_polyline,
                                        mesh_electrolyte_above_curve, refine_polyline)
from ntransport.physics.ale import LI_MOLAR_VOLUME, deposition_velocity
from ntransport.physics.binary_electrolyte import BinaryElectrolyte
from ntransport.solve.deposition import (DepositionProblem, MeshOptions, RemeshError, deposit,
                                         initial_state)
from ntransport.solve.deposition_potential import solve_potential

EL = BinaryElectrolyte.from_conductivity(0.012, 0.42, c_ref=1000.0, T=318.0)
MESH = MeshOptions(h_anode=0.1e-6, h_max=0.3e-6, dt_max=300.0)


def _problem(**kw):
    args = dict(electrolyte=EL, i0=10.0, current_density=-3.0, width=2e-6, height=1.5e-6)
    args.update(kw)
    return DepositionProblem(**args)


def _flat(prob, **kw):
    curve = anode_profile(prob.width, height=prob.height, defect_height=0.0, defect_width=0.0,
                          spacing=MESH.h_anode, **kw)
    return initial_state(prob, curve, mesh=MESH)


# ---------------------------------------------------------------- physics pieces
def test_nernst_einstein_split():
    Dp, Dm = EL.ion_diffusivities
    total = 0.012 * R * 318.0 / (F ** 2 * 1000.0)
    assert Dp == pytest.approx(0.42 * total) and Dm == pytest.approx(0.58 * total)
    assert EL.diffusivity == pytest.approx(2 * Dp * Dm / (Dp + Dm), rel=1e-12)


def test_deposition_velocity_sign_and_size():
    # Li: M/ρ = 6.941e-3/534 m3/mol; plating (i < 0) grows, stripping recedes
    assert LI_MOLAR_VOLUME == pytest.approx(1.29981e-5, rel=1e-5)
    assert deposition_velocity(-3.0) == pytest.approx(3.0 * LI_MOLAR_VOLUME / F)
    assert deposition_velocity(3.0) < 0


def test_flat_potential_matches_1d_solution():
    # t+ = 1: uniform c; Φ linear, φ_s = η0 + Φ(anode) = η0 - j H / κ (plating, i = -j)
    el = dataclasses.replace(EL, transference=1.0)
    prob = _problem(electrolyte=el)
    s = _flat(prob)
    dom = s.domain
    top = np.unique(dom.mesh.facets[:, dom.facets("top")])
    sol = solve_potential(dom.mesh, s.chain, top, s.c, electrolyte=el, kinetics=prob.kinetics,
                          current=-3.0 * prob.width)
    f = F / (R * 318.0)
    eta0 = -2 / f * np.arcsinh(3.0 / (2 * 10.0))  # symmetric BV: i = 2 i0 sinh(f η/2)
    assert sol.phi_s == pytest.approx(eta0 - 3.0 * prob.height / 0.012, rel=1e-9)
    np.testing.assert_allclose(sol.phi, -3.0 / 0.012 * (1.5e-6 - dom.mesh.p[1]), atol=1e-12)


def test_potential_nonconvergence_raises():
    prob = _problem()
    s = _flat(prob)
    dom = s.domain
    top = np.unique(dom.mesh.facets[:, dom.facets("top")])
    with pytest.raises(ConvergenceError, match="did not converge in 1 damped Newton"):
        solve_potential(dom.mesh, s.chain, top, s.c, electrolyte=EL, kinetics=prob.kinetics,
                        current=-3.0 * prob.width, maxiter=1)


def test_polyline_refine_and_coarsen_keep_area():
    p = anode_profile(1.0, height=1.0, defect_height=0.3, defect_width=0.4, spacing=0.05)
    q = refine_polyline(p, max_length=0.01)
    assert _shoelace(q) == pytest.approx(_shoelace(p), rel=1e-14)
    r = coarsen_polyline(q, min_length=0.03)
    assert len(r) < len(q)
    assert _shoelace(r) == pytest.approx(_shoelace(p), rel=1e-12)
    assert np.linalg.norm(np.diff(r, axis=0), axis=1).min() >= 0.03 - 1e-12
    np.testing.assert_array_equal(r[[0, -1], 0], [0.0, 1.0])


# ---------------------------------------------------------------- bad input
def test_defect_taller_than_domain():
    with pytest.raises(GeometryError, match=r"defect_height = 4e-06 m .* does not fit"):
        anode_profile(5e-6, height=3e-6, defect_height=4e-6, defect_width=1e-6, spacing=1e-7)


def test_defect_wider_than_domain():
    with pytest.raises(GeometryError, match="defect_width"):
        anode_profile(5e-6, height=3e-6, defect_height=1e-6, defect_width=6e-6, spacing=1e-7)


def test_curve_reaching_top_and_self_intersecting_and_short():
    with pytest.raises(GeometryError, match="short-circuited"):
        mesh_electrolyte_above_curve(np.array([[0, 0], [0.5e-6, 1.2e-6], [1e-6, 0]]),
                                     width=1e-6, y_top=1e-6, h_anode=1e-7, h_max=2e-7)
    bow = np.array([[0, 0], [0.6, 0.2], [0.4, 0.4], [0.4, 0.1], [1, 0]]) * 1e-6
    with pytest.raises(GeometryError, match="intersects itself"):
        mesh_electrolyte_above_curve(bow, width=1e-6, y_top=1e-6, h_anode=1e-7, h_max=2e-7)
    with pytest.raises(GeometryError, match="must run from x = 0 to x = width"):
        mesh_electrolyte_above_curve(np.array([[0, 0], [0.5e-6, 0]]), width=1e-6, y_top=1e-6,
                                     h_anode=1e-7, h_max=2e-7)


def test_bad_problem_parameters():
    with pytest.raises(ConfigError, match="i0 must be finite and > 0"):
        _problem(i0=-1.0)
    with pytest.raises(MaterialError, match="transference must lie in"):
        BinaryElectrolyte.from_conductivity(0.01, 1.5, c_ref=1000.0, T=300.0)


def test_current_that_consumes_the_electrode():
    prob = _problem(current_density=+3.0, li_thickness=1e-6)  # 2 h strips 2.9 µm
    s = _flat(prob)
    with pytest.raises(ConfigError, match=r"strip 2\.9\d* µm .* the electrode would be consumed"):
        next(deposit(prob, s, t_end=7200.0, mesh=MESH))


def test_plating_through_a_fixed_top():
    prob = _problem()
    s = _flat(prob)
    with pytest.raises(ConfigError, match="short circuit"):
        next(deposit(prob, s, t_end=7200.0, mesh=MESH))


def test_deposit_reaching_top_during_run():
    prob = _problem(height=1.0e-6)
    curve = anode_profile(prob.width, height=1.0e-6, defect_height=0.75e-6,
                          defect_width=0.8e-6, spacing=0.05e-6)
    mo = MeshOptions(h_anode=0.05e-6, h_max=0.2e-6, dt_max=300.0)
    s = initial_state(prob, curve, mesh=mo)
    with pytest.raises(GeometryError, match="reached the top boundary"):
        for s in deposit(prob, s, t_end=1800.0, mesh=mo):
            pass


def test_failed_remesh_keeps_last_good_state():
    prob = _problem()
    s0 = _flat(prob)
    strict = dataclasses.replace(MESH, min_quality=0.99)  # forces a remesh after step 1

    def broken_mesher(*args, **kwargs):
        raise RuntimeError("gmsh: simulated failure")

    gen = deposit(prob, s0, t_end=600.0, mesh=strict, mesher=broken_mesher)
    with pytest.raises(RemeshError, match=r"remesh at t = .* failed: gmsh: simulated "
                                          r"failure\. The last good state is kept") as err:
        next(gen)
    last = err.value.state
    assert last.t > 0 and last.step == 1  # the moved, solved state before the remesh
    assert last.remeshes == ()
    assert np.all(np.isfinite(last.c)) and last.min_quality > 0
    # the caller can go on from it with a working mesher
    for s in deposit(prob, last, t_end=600.0, mesh=MESH):
        pass
    assert s.t == pytest.approx(600.0)


def test_ale_step_keeps_a_field_fixed_in_space_when_only_the_mesh_moves():
    # D -> 0, no anode flux, mesh stretched with the top fixed: the spatial field must not
    # change, so the nodal values change by -u·∇c (exact for a linear field; a sign error
    # in the mesh-velocity term would give +u·∇c).
    from ntransport.solve.deposition_salt import salt_step
    from ntransport.solve.deposition import _moved

    el = dataclasses.replace(EL, diffusivity=1e-30)
    s = _flat(_problem(electrolyte=el))
    m = s.domain.mesh
    y_top, G = 1.5e-6, 1e9
    c0 = el.c_ref + G * (y_top - m.p[1])
    u = np.zeros_like(m.p)
    u[1] = 0.2e-6 * (y_top - m.p[1]) / y_top  # anode moves 0.2 µm up, top fixed
    new = _moved(s.domain, m.p + u).mesh
    top = np.unique(m.facets[:, s.domain.facets("top")])
    c1 = salt_step(new, c0, u / 10.0, np.zeros(len(s.chain)), s.chain, top,
                   electrolyte=el, dt=10.0)
    np.testing.assert_allclose(c1, el.c_ref + G * (y_top - new.p[1]), rtol=1e-10)


def test_steady_1d_potential_with_diffusion_potential():
    # flat cell at quasi-steady state (t+ = 0.42): i = -κΦ' + κ(RT/F)(1-2t+)(ln c)' = -j, so
    # φ_s = η(c_a) + Φ(anode), Φ(anode) = -(jL + κ(RT/F)(1-2t+) ln(c_ref/c_a))/κ
    from ntransport.physics.kinetics import butler_volmer
    from ntransport.post.deposition_stability import base_overpotential
    from ntransport.solve.deposition import _nodes

    prob = _problem(height=3e-6)
    s = _flat(prob)
    for s in deposit(prob, s, t_end=120.0, mesh=dataclasses.replace(MESH, dt_max=30.0)):
        pass
    dom = s.domain
    sol = solve_potential(dom.mesh, s.chain, _nodes(dom, "top"), s.c, electrolyte=EL,
                          kinetics=prob.kinetics, current=-3.0 * prob.width)
    c_a = s.c[s.chain].mean()
    L = 3e-6 - s.anode[:, 1].mean()
    eta, _ = base_overpotential(prob.kinetics, -3.0, c_ratio=c_a / EL.c_ref)
    k = EL.diffusion_potential_coefficient
    expected = eta - (3.0 * L + k * np.log(EL.c_ref / c_a)) / EL.conductivity
    assert k != 0
    assert sol.phi_s == pytest.approx(expected, rel=1e-6)


def test_salt_depletion_raises_instead_of_negative_concentration():
    # D a million times too small: one 300 s step removes more salt than there is
    el = dataclasses.replace(EL, diffusivity=EL.diffusivity * 1e-6)
    prob = _problem(electrolyte=el, follow_front=True)
    s = _flat(prob)
    with pytest.raises(ConvergenceError, match=r"salt concentration became .* <= 0 .* "
                                               r"finer h_anode or a smaller cfl"):
        for s in deposit(prob, s, t_end=600.0, mesh=MESH):
            pass
