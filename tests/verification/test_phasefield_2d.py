"""2D verification: Li conservation and the four-fold anisotropy of a growing seed."""
import numpy as np
import pytest
import skfem

from ntransport.physics.phasefield_params import moose_normalised_parameters
from ntransport.post.phasefield import interface_points, radius_harmonics, total_lithium
from ntransport.solve.phasefield import PhaseFieldProblem, simulate
from ntransport.solve.phasefield_meshes import filament_indicator, graded_rectangle


def test_lithium_is_conserved_ions_plus_deposit():
    """Closed box for Li+ (no-flux everywhere), potentiostatic growth of a seed through a
    slow skeleton: int(c + c_s/c0 xi) is constant. Backward Euler with lumped masses
    conserves it exactly up to the Newton tolerance (1e-10 here), so 1e-6 is loose."""
    p = moose_normalised_parameters(delta=0.03)
    m = graded_rectangle(4.0, 4.0, h_fine=0.18, band=3.0, growth=1.2)
    x, y = m.p
    xi0 = 0.5 * (1 - np.tanh((np.hypot(x - 2.0, y) - 1.0) / 0.5))
    skel = filament_indicator(m, pitch=2.0, thickness=0.4, offset=1.0, y_start=1.5)
    prob = PhaseFieldProblem(m, p, potential={"electrode": -0.45, "electrolyte": 0.0},
                             skeleton=skel, skeleton_factor=0.05)
    M0 = total_lithium(m, xi0, np.ones_like(xi0), p.cs_c0)
    states = list(simulate(prob, xi0, t_end=2.0, dt=0.01, tol=1e-10, check_resolution=False))
    s = states[-1]
    grown = total_lithium(m, s.xi, np.zeros_like(xi0), p.cs_c0) - \
        total_lithium(m, xi0, np.zeros_like(xi0), p.cs_c0)
    assert abs(grown) > 1.0  # the deposit changed by > 1 c0-unit: a real test
    assert len(states) > 5
    M1 = total_lithium(m, s.xi, s.c, p.cs_c0)
    assert abs(M1 - M0) / M0 < 1e-6


def _grow_seed(delta):
    """Seed of radius 1.5 at uniform potential -0.45 V (Gamma = 0: a floating seed has
    no electronic contact in this single-potential model), c = 1 on the outer boundary,
    c_s/c0 = 5 and a slow Li+ supply D_l = 1 (D_e = 3e-3) so the seed grows
    diffusion-limited and doubles its area in a few time units without filling the box
    (with the MOOSE D_l = 317.9 it would fill the 8 x 8 box before t = 2)."""
    p = moose_normalised_parameters(delta=delta, gamma=0.0, cs_c0=5.0, D_l=1.0, D_e=3e-3)
    n, L = 44, 8.0
    m = skfem.MeshTri.init_tensor(np.linspace(-L / 2, L / 2, n + 1),
                                  np.linspace(-L / 2, L / 2, n + 1))
    m = m.with_boundaries({"outer": lambda x: np.abs(x).max(axis=0) > L / 2 - 1e-9})
    x, y = m.p
    xi0 = 0.5 * (1 - np.tanh((np.hypot(x, y) - 1.5) / 0.5))
    prob = PhaseFieldProblem(m, p, potential={"outer": -0.45}, concentration={"outer": 1.0})
    *_, s = simulate(prob, xi0, phi0=-0.45, t_end=2.0, dt=0.01)
    return radius_harmonics(interface_points(m, s.xi), (0.0, 0.0), nbins=36)


def test_anisotropic_seed_grows_four_fold_and_isotropic_stays_round():
    """r(theta) harmonics of the xi = 1/2 contour. delta = 0.05, omega = 4: the cos 4theta
    amplitude is > 3 % of the mean radius, > 5x every other harmonic, with arms along
    the axes (Re r4 > 0). delta = 0: every harmonic < 1 % (the structured mesh alone
    gives ~0.3 %), and r4 is > 8x smaller than with anisotropy."""
    a = _grow_seed(0.05)
    b = _grow_seed(0.0)
    r0a, r0b = abs(a[0]), abs(b[0])
    assert r0a > 2.0 and r0b > 2.0  # grew from 1.5
    rel_a = np.abs(a[1:]) / r0a
    rel_b = np.abs(b[1:]) / r0b
    assert rel_a[3] > 0.03 and a[4].real > 0
    assert rel_a[3] > 5 * np.delete(rel_a, 3).max()
    assert rel_b.max() < 0.01
    assert rel_a[3] > 8 * rel_b[3]
