"""Deposition on the NPP core: building blocks and every bad-input path."""
import dataclasses

import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError, ConvergenceError, GeometryError, MaterialError
from ntransport.geometry.remesh import (_shoelace, anode_profile, coarsen_polyline,
                                        mesh_electrolyte_above_curve, refine_polyline)
from ntransport.physics.ale import LI_MOLAR_VOLUME, deposition_velocity
from ntransport.physics.nernst_einstein import nernst_einstein_split
from ntransport.solve.deposition import (DepositionProblem, MeshOptions, RemeshError,
                                         electrolyte_species, initial_state, run)
from ntransport.solve.deposition_ale import consistent_potential

EL = electrolyte_species(0.012, 0.42, c_ref=1000.0, T=318.0)
MESH = MeshOptions(h_anode=0.1e-6, h_max=0.3e-6, dt_max=300.0)


def _problem(**kw):
    args = dict(species=EL, i0=10.0, current_density=-3.0, width=2e-6, height=1.5e-6,
                temperature=318.0)
    args.update(kw)
    return DepositionProblem(**args)


def deposit(prob, state, *, t_end, mesh, **kw):
    return run(prob, state, t_end=t_end, mesh=mesh, **kw)


def _flat(prob, **kw):
    curve = anode_profile(prob.width, height=prob.height, defect_height=0.0, defect_width=0.0,
                          spacing=MESH.h_anode, **kw)
    return initial_state(prob, curve, mesh=MESH)


# ---------------------------------------------------------------- physics pieces
def test_nernst_einstein_split():
    Dp, Dm = EL[0].D, EL[1].D
    total = 0.012 * R * 318.0 / (F ** 2 * 1000.0)
    assert Dp == pytest.approx(0.42 * total) and Dm == pytest.approx(0.58 * total)
    assert (EL[0].name, EL[0].z, EL[1].z) == ("Li+", 1, -1)
    assert (EL[0].c0, EL[1].c0) == (1000.0, 1000.0)
    # a single-ion conductor: the anion is the immobilised background charge
    single = electrolyte_species(0.012, 1.0, c_ref=1000.0, T=318.0)
    assert single[0].D == pytest.approx(total) and single[1].immobile


def test_deposition_velocity_sign_and_size():
    # Li: M/ρ = 6.941e-3/534 m3/mol; plating (i < 0) grows, stripping recedes
    assert LI_MOLAR_VOLUME == pytest.approx(1.29981e-5, rel=1e-5)
    assert deposition_velocity(-3.0) == pytest.approx(3.0 * LI_MOLAR_VOLUME / F)
    assert deposition_velocity(3.0) < 0


def test_flat_potential_matches_1d_solution():
    # t+ = 1: uniform c; Φ linear, φ_s = η0 + Φ(anode) = η0 - j H / κ (plating, i = -j)
    prob = _problem(species=electrolyte_species(0.012, 1.0, c_ref=1000.0, T=318.0))
    s = _flat(prob)
    f = F / (R * 318.0)
    eta0 = -2 / f * np.arcsinh(3.0 / (2 * 10.0))  # symmetric BV: i = 2 i0 sinh(f η/2)
    assert s.phi_s == pytest.approx(eta0 - 3.0 * prob.height / 0.012, rel=1e-9)
    np.testing.assert_allclose(s.phi, -3.0 / 0.012 * (1.5e-6 - s.domain.mesh.p[1]), atol=1e-12)
    np.testing.assert_allclose(s.i_anode, -3.0, rtol=1e-9)


def test_potential_nonconvergence_raises():
    prob = _problem()
    s = _flat(prob)
    u = s.stepper.u.copy()
    u[s.system.M_unknown * s.system.n:] = 0.0  # potentials far from the solution
    with pytest.raises(ConvergenceError, match="Newton did not converge in 1 iterations"):
        consistent_potential(s.system, u, 0.0, maxiter=1)


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


def test_an_anode_profile_too_fine_for_memory_is_refused_before_it_is_sampled():
    """A 5 m cell at 0.1 um spacing asked numpy for 15 GB in `ntransport check` (killed by
    the OOM killer); it is refused by the element limit first, naming h_anode."""
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(GeometryError, match=r"anode profile \(2e\+09 samples: 40 per spacing "
                                            r"1e-07 m over the width 5 m\).*larger anode spacing"):
        anode_profile(5.0, height=3e-6, defect_height=1e-6, defect_width=1e-6, spacing=1e-7)
    assert tracemalloc.get_traced_memory()[1] < 10e6  # refused before any large array
    tracemalloc.stop()


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
        electrolyte_species(0.01, 1.5, c_ref=1000.0, T=300.0)
    with pytest.raises(ConfigError, match="reacting species 'Na\\+' not found"):
        _problem(reacting="Na+")
    with pytest.raises(ConfigError, match="electrostatics 'poison' not found.*poisson"):
        _problem(electrostatics="poison")
    with pytest.raises(ConfigError, match=r"current_density \[A/m2\] must be a finite number, got nan"):
        _problem(current_density=float("nan"))
    with pytest.raises(ConfigError, match="h_max = .* must be >= h_anode"):
        MeshOptions(h_anode=1e-7, h_max=1e-8)


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


def test_deposit_reaching_top_stops_the_run_with_a_message():
    # a short circuit is a stop condition (an event), not a crash
    prob = _problem(height=1.0e-6)
    curve = anode_profile(prob.width, height=1.0e-6, defect_height=0.75e-6,
                          defect_width=0.8e-6, spacing=0.05e-6)
    mo = MeshOptions(h_anode=0.05e-6, h_max=0.2e-6, dt_max=300.0)
    s = initial_state(prob, curve, mesh=mo)
    for s in deposit(prob, s, t_end=1800.0, mesh=mo):
        pass
    assert s.t < 1800.0
    assert s.event is not None and "short circuit: the deposit tip reached" in s.event


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
    # no transport, mesh stretched with the top fixed: the spatial field must not change,
    # so the nodal values change by -u·∇c (exact for a linear field; a sign error in the
    # mesh-velocity term would give +u·∇c). Through the NPP system's species rows.
    import scipy.sparse as sp

    from ntransport.solve.deposition import scaling_for
    from ntransport.solve.deposition_ale import ale_system, moved_domain

    prob = _problem()
    s = _flat(prob)
    m = s.domain.mesh
    y_top, G, dt = 1.5e-6, 1e9, 10.0
    c0 = 1000.0 + G * (y_top - m.p[1])
    u = np.zeros_like(m.p)
    u[1] = 0.2e-6 * (y_top - m.p[1]) / y_top  # anode moves 0.2 µm up, top fixed
    new = moved_domain(s.domain, m.p + u)
    sc = scaling_for(prob)
    system = ale_system(prob.npp_problem(new), sc, mesh_velocity=u / dt)
    n = system.n
    r, cc, v = system.ale
    C = sp.csr_matrix((v, (r, cc)), shape=(n, n))
    a0 = sc.time / dt
    A = sp.diags(system.m * a0) - C  # species row without transport
    c1 = np.linalg.solve(A.toarray(), system.m * a0 * c0 / sc.concentration)
    np.testing.assert_allclose(c1 * sc.concentration, 1000.0 + G * (y_top - new.mesh.p[1]),
                               rtol=1e-10)


def test_steady_1d_potential_with_diffusion_potential():
    # flat cell at quasi-steady state (t+ = 0.42), dilute binary salt (the NPP model:
    # κ(c) = κ_ref c/c_ref): c is linear from c_a at the anode to c_ref at the top and
    # i = -κ(c)φ' - F(D+ - D-)c' = -j, so φ_s = η(c_a) + φ(anode) with
    # φ(anode) = -j L ln(c_ref/c_a)/(κ_ref (1 - c_a/c_ref)) - (RT/F)(1-2t+) ln(c_ref/c_a)
    from ntransport.post.deposition_stability import base_overpotential

    prob = _problem(height=3e-6)
    s = _flat(prob)
    for s in deposit(prob, s, t_end=120.0, mesh=dataclasses.replace(MESH, dt_max=30.0)):
        pass
    c_a = s.c[s.chain].mean()
    L = 3e-6 - s.anode[:, 1].mean()
    eta, _ = base_overpotential(prob.kinetics_at, -3.0, c_ratio=c_a / 1000.0)
    r = np.log(1000.0 / c_a)
    expected = eta - 3.0 * L * r / (0.012 * (1 - c_a / 1000.0)) - R * 318.0 / F * (1 - 0.84) * r
    assert 0.9 < c_a / 1000.0 < 0.999  # a real concentration polarisation
    assert s.phi_s == pytest.approx(expected, rel=1e-6)


def test_salt_depletion_raises_a_limiting_current_message():
    # 20 mA/cm2 is twice the limiting current F D c/((1-t+)L) ~ 9 mA/cm2 of this cell
    prob = _problem(current_density=-200.0, height=3e-6, follow_front=True)
    s = _flat(prob)
    with pytest.raises(ConvergenceError, match=r"Li\+ is depleted at the anode .* limiting "
                                               r"current"):
        for s in deposit(prob, s, t_end=600.0, mesh=MESH):
            pass


def test_a_folding_anode_is_a_stop_event_with_a_message():
    # a dome overhanging its foot: two parts of the anode 0.03 µm apart, far apart along it
    from types import SimpleNamespace

    from ntransport.solve.deposition import _stop_reason
    from ntransport.solve.deposition_checks import anode_gap

    x = np.linspace(0.0, 2e-6, 41)
    flat = np.column_stack([x, np.zeros_like(x)])
    assert anode_gap(flat) >= 3 * 0.05e-6 * (1 - 1e-12)  # a plain curve: >= the exclusion
    from ntransport.geometry.remesh import resample_arclength

    # a deposit whose cap has come down to 0.03 µm above the flat Li it overhangs
    hook = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [0.4, 0.5], [0.4, 0.03]]) * 1e-6
    X = resample_arclength(hook, spacing=0.05e-6)
    assert anode_gap(X, exclude=0.3e-6) < 0.05e-6
    state = SimpleNamespace(anode=X, y_top=3e-6, t=4600.0)
    mo = MeshOptions(h_anode=0.1e-6, h_max=0.3e-6)
    msg = _stop_reason(_problem(), state, mo)
    assert msg and "about to fold onto itself at t = 4600 s" in msg
    assert "cannot follow the topology change" in msg
    assert _stop_reason(_problem(), SimpleNamespace(anode=flat, y_top=3e-6, t=1.0), mo) is None
