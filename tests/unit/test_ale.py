"""The ALE mesh-velocity term on the NPP core: geometric conservation law with lumped
masses, exact advection of linear fields, sign, and the term inside NPPSystem."""
import numpy as np
import pytest
import scipy.sparse as sp

from ntransport.geometry.remesh import anode_profile, mesh_electrolyte_above_curve
from ntransport.physics.ale import mesh_velocity_terms
from ntransport.physics.edges import edge_geometry
from ntransport.solve.deposition import (DepositionProblem, MeshOptions,
                                         electrolyte_species, initial_state, scaling_for)
from ntransport.solve.deposition_ale import ale_system, moved_domain
from ntransport.solve.linear import DirectSolver
from ntransport.solve.newton import newton

W, H = 2e-6, 1.5e-6


@pytest.fixture(scope="module")
def mesh():
    curve = anode_profile(W, height=H, defect_height=0.3e-6, defect_width=0.6e-6,
                          spacing=0.1e-6)
    return mesh_electrolyte_above_curve(curve, width=W, y_top=H, h_anode=0.1e-6,
                                        h_max=0.3e-6)


def _smooth_motion(p, amp=0.05e-6):
    """A displacement that vanishes on no boundary: a general smooth motion."""
    x, y = p / 1e-6
    return amp * np.stack([np.sin(2 * x + y), np.cos(x - 3 * y)])


def _C(p, t, w):
    g = edge_geometry(p, t)
    r, c, v = mesh_velocity_terms(t, g.grads, g.volumes, w)
    return sp.csr_matrix((v, (r, c)), shape=(p.shape[1],) * 2), g.lumped


def test_rows_sum_to_zero_so_uniform_fields_stay_uniform(mesh):
    # GCL with lumped masses: C·1 = 0 for any mesh velocity
    m = mesh.mesh
    C, _ = _C(m.p, m.t, _smooth_motion(m.p) / 10.0)
    assert np.abs(C @ np.ones(m.p.shape[1])).max() < 1e-12 * np.abs(C).max()


def test_linear_field_fixed_in_space_is_advected_exactly(mesh):
    # only the mesh moves (no transport): one BDF1 step m(c1 - c0)/dt - C c1 = 0 must give
    # the fixed spatial field a + G·x at the moved nodes -- a sign error gives -u·G
    m = mesh.mesh
    G, dt = np.array([2e9, -1e9]), 10.0
    u = _smooth_motion(m.p)
    p1 = m.p + u
    c0 = 1000.0 + G @ m.p
    C, mass = _C(p1, m.t, u / dt)
    A = sp.diags(mass / dt) - C
    c1 = DirectSolver()(A.tocsr(), mass * c0 / dt)
    np.testing.assert_allclose(c1, 1000.0 + G @ p1, rtol=1e-12)


def test_npp_system_keeps_a_uniform_salt_uniform_on_a_moving_mesh(mesh):
    # no current, an arbitrary mesh motion: every concentration stays c0 to round-off
    prob = DepositionProblem(electrolyte_species(0.012, 0.42, c_ref=1000.0, T=318.0),
                             i0=10.0, current_density=0.0, width=W, height=H,
                             temperature=318.0)
    sc = scaling_for(prob)
    s0 = initial_state(prob, anode_profile(W, height=H, defect_height=0.3e-6,
                                           defect_width=0.6e-6, spacing=0.1e-6),
                       mesh=MeshOptions(0.1e-6, 0.3e-6))
    dt = 30.0
    u = _smooth_motion(s0.domain.mesh.p)
    dom = moved_domain(s0.domain, s0.domain.mesh.p + u)
    system = ale_system(prob.npp_problem(dom), sc, mesh_velocity=u / dt)
    a0 = sc.time / dt
    hist = -a0 * s0.stepper.u
    res = newton(lambda v: system.residual_jacobian(v, dt, a0, hist), s0.stepper.u)
    c = system.split(res.u)[0]
    for ck in c:
        assert np.ptp(ck) < 1e-12 * ck.max()
    np.testing.assert_allclose(c[0], 1.0, rtol=1e-12)  # scaled by c_ref = 1000 mol/m3


def test_moved_system_equals_a_fresh_discretisation(mesh):
    # the per-step shortcut (topology data reused, geometry recomputed) must give the
    # residual and Jacobian of a full discretisation of the moved problem
    from ntransport.solve.npp_discretise import discretise

    prob = DepositionProblem(electrolyte_species(0.012, 0.42, c_ref=1000.0, T=318.0),
                             i0=10.0, current_density=-3.0, width=W, height=H,
                             temperature=318.0)
    s0 = initial_state(prob, anode_profile(W, height=H, defect_height=0.3e-6,
                                           defect_width=0.6e-6, spacing=0.1e-6),
                       mesh=MeshOptions(0.1e-6, 0.3e-6))
    sc = scaling_for(prob)
    u = _smooth_motion(s0.domain.mesh.p)
    dom = moved_domain(s0.domain, s0.domain.mesh.p + u)
    npp = prob.npp_problem(dom, t=5.0)
    fast = ale_system(npp, sc, mesh_velocity=u / 5.0, like=s0.system)
    full = ale_system(npp, sc, mesh_velocity=u / 5.0)
    assert fast is not full and fast.geom is not s0.system.geom
    v = s0.stepper.u * (1 + 0.01 * np.sin(np.arange(s0.stepper.u.size)))
    R1, J1 = fast.residual_jacobian(v, 5.0, 3.0, -3.0 * s0.stepper.u)
    R2, J2 = full.residual_jacobian(v, 5.0, 3.0, -3.0 * s0.stepper.u)
    np.testing.assert_allclose(R1, R2, rtol=1e-12, atol=1e-12 * np.abs(R2).max())
    assert abs(J1 - J2).max() <= 1e-12 * abs(J2).max()
