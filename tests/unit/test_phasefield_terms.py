"""Pointwise terms, the exact Jacobian and bad-input errors of the phase-field solver."""
import numpy as np
import pytest

from ntransport.errors import ConfigError, MeshError
from ntransport.geometry.boxes import Filaments, box, column
from ntransport.physics.phasefield import gradient_flux, reaction
from ntransport.physics.phasefield_params import moose_normalised_parameters
from ntransport.solve.phasefield import PhaseFieldProblem, PhaseFieldSystem as _System, run

UM = 1e-6


def _energy(g, kappa0, delta, omega, theta0=0.0):
    th = np.arctan2(g[1], g[0]) - theta0
    return 0.5 * kappa0 * (1 + delta * np.cos(omega * th)) ** 2 * (g[0] ** 2 + g[1] ** 2)


def test_anisotropic_flux_is_variational_derivative():
    """J = d e / d(grad xi) for e = kappa(theta)|grad xi|^2 / 2, which contains the
    off-diagonal terms -eps eps' xi_y, +eps eps' xi_x; central differences, O(h^2)."""
    rng = np.random.default_rng(1)
    g = rng.normal(size=(2, 50))
    J, dJ = gradient_flux(g, kappa0=0.3, delta=0.05, omega=4.0, theta0=0.3)
    h = 1e-6
    for i in range(2):
        e = np.zeros((2, 1)); e[i] = h
        fd = (_energy(g + e, 0.3, 0.05, 4.0, 0.3) - _energy(g - e, 0.3, 0.05, 4.0, 0.3)) / (2 * h)
        np.testing.assert_allclose(J[i], fd, rtol=1e-7, atol=1e-10)
        # Jacobian of J
        Jp, _ = gradient_flux(g + e, kappa0=0.3, delta=0.05, omega=4.0, theta0=0.3)
        Jm, _ = gradient_flux(g - e, kappa0=0.3, delta=0.05, omega=4.0, theta0=0.3)
        np.testing.assert_allclose(dJ[:, i], (Jp - Jm) / (2 * h), rtol=1e-6, atol=1e-9)
    # the off-diagonal eps*eps' terms are there: J is not just kappa(theta) grad xi
    th = np.arctan2(g[1], g[0]) - 0.3
    kap = 0.3 * (1 + 0.05 * np.cos(4 * th)) ** 2
    assert np.abs(J - kap * g).max() > 1e-2
    # and the Hessian of the energy is symmetric
    np.testing.assert_allclose(dJ[0, 1], dJ[1, 0], atol=1e-12)


def test_isotropic_flux():
    g = np.array([[1.0, 2.0], [0.5, -1.0]])
    J, dJ = gradient_flux(g, kappa0=0.3)
    np.testing.assert_allclose(J, 0.3 * g)
    np.testing.assert_allclose(dJ[0, 1], 0.0)


def test_reaction_vanishes_at_nernst_potential():
    f, c = 38.69, np.array([0.25, 1.0, 3.0])
    B, dBe, dBc = reaction(np.log(c) / f, c, f=f, alpha=0.5)
    np.testing.assert_allclose(B, 0.0, atol=1e-12)
    eta = 0.01
    Bp = reaction(eta + 1e-7, 1.0, f=f, alpha=0.5)[0]
    Bm = reaction(eta - 1e-7, 1.0, f=f, alpha=0.5)[0]
    assert reaction(eta, 1.0, f=f, alpha=0.5)[1] == pytest.approx((Bp - Bm) / 2e-7, rel=1e-6)


def test_jacobian_matches_finite_differences():
    """Every block of the exact Jacobian (binary salt and single-ion conductor) against
    forward differences of the residual (step 1e-8: truncation ~1e-7 relative, below
    the 1e-5 tolerance), with skeleton, noise, stress shift, Dirichlet and Neumann rows."""
    for t_plus in (0.3, 1.0):
        p = moose_normalised_parameters(delta=0.05, theta0=0.2, t_plus=t_plus)
        d = box(2 * UM, 2 * UM, h_fine=0.25 * UM, filaments=Filaments((UM,), 0.5 * UM, UM))
        prob = PhaseFieldProblem(d, p, metal_potential=-0.1, potential={"anode": -0.1},
                                 concentration={"cathode": 1000.0}, current={"sides": 1e-3},
                                 skeleton=("PE",), skeleton_factor=0.1)
        s = _System(prob, d)
        n = s.n
        rng = np.random.default_rng(0)
        x, y = d.mesh.p / UM
        xi = 0.5 * (1 - np.tanh((np.hypot(x - 1, y) - 1.0) / 0.5))
        U = np.concatenate([xi, 0.8 + 0.1 * rng.random(n), -0.1 * rng.random(n)])
        Uo = U + 0.01 * rng.random(3 * n)
        noise = 0.01 * rng.standard_normal(n)
        a0h = 10.0

        def R(ur):
            u = s.expand(ur, U)
            return s.equations(u, a0h * (u[:n] - Uo[:n]), a0h * (u[n:2 * n] - Uo[n:2 * n]),
                               a0h, noise=noise, shift=0.01 * np.ones(n))

        ur = U[s.active]
        r, J = R(ur)
        J = J.toarray()
        for k in rng.choice(ur.size, 40, replace=False):
            up = ur.copy()
            up[k] += 1e-8
            fd = (R(up)[0] - r) / 1e-8
            np.testing.assert_allclose(J[:, k], fd, rtol=1e-5,
                                       atol=1e-5 * np.abs(J).max(axis=1).mean())


def _line_problem(n=40, **kw):
    p = moose_normalised_parameters()
    d = column(4 * UM, n)
    return d, PhaseFieldProblem(d, p, potential={"cathode": 0.0}, **kw)


def test_xi0_outside_unit_interval_raises():
    d, prob = _line_problem()
    xi0 = np.linspace(1.2, 0.0, d.mesh.nvertices)
    with pytest.raises(ValueError, match=r"xi0 must lie in \[0, 1\].*got values in \[0, 1.2\]"):
        next(run(prob, xi0, t_end=1.0, dt=0.1))
    with pytest.raises(ValueError, match=r"one value per mesh node \(82,\)"):
        next(run(prob, np.zeros(3), t_end=1.0, dt=0.1))


def test_unresolved_interface_names_required_size():
    d, prob = _line_problem(n=10)  # h = 0.4 um (diagonal 0.57 um) > 1.0986/4 um
    xi0 = 0.5 * (1 - np.tanh((d.mesh.p[1] / UM - 2.0) / 0.5))
    with pytest.raises(MeshError, match=r"needs >= 4 elements across: refine there to element "
                                        r"size <= 0.2747"):
        next(run(prob, xi0, t_end=1.0, dt=0.1))


def test_bad_problem_definitions():
    p = moose_normalised_parameters()
    d = column(4 * UM, 40)
    with pytest.raises(ConfigError, match="potential: boundary 'cathod' not found.*'cathode'"):
        PhaseFieldProblem(d, p, potential={"cathod": 0.0})
    with pytest.raises(ConfigError, match="both a potential and a current"):
        PhaseFieldProblem(d, p, potential={"cathode": 0.0}, current={"cathode": 1.0})
    with pytest.raises(ConfigError, match=r"skeleton: subdomain 'PE' not found"):
        PhaseFieldProblem(d, p, skeleton=("PE",))
    with pytest.raises(ConfigError, match="skeleton must be a tuple of subdomain names"):
        PhaseFieldProblem(d, p, skeleton="PE")
    with pytest.raises(ConfigError, match=r"skeleton_factor must lie in \(0, 1\], got 0"):
        PhaseFieldProblem(d, p, skeleton_factor=0)
    with pytest.raises(ConfigError, match="noise must be finite and >= 0"):
        PhaseFieldProblem(d, p, noise=-1.0)
    with pytest.raises(ConfigError, match="concentration.*must be >= 0 mol m-3, got -1"):
        PhaseFieldProblem(d, p, concentration={"cathode": -1.0})
    with pytest.raises(ConfigError, match="metal_potential must be finite"):
        PhaseFieldProblem(d, p, metal_potential=float("nan"))
    with pytest.raises(ConfigError, match="Domain holding a 2D mesh"):
        PhaseFieldProblem(d.mesh, p)
    with pytest.raises(ConfigError, match="PhaseFieldParameters .SI. or ScaledParameters"):
        PhaseFieldProblem(d, {"W": 1.0})


def test_inputs_not_mutated_and_noise_reproducible():
    p = moose_normalised_parameters()
    d = column(4 * UM, 40)
    xi0 = 0.5 * (1 - np.tanh((d.mesh.p[1] / UM - 2.0) / 0.5))
    keep = xi0.copy()
    runs = []
    for _ in range(2):
        prob = PhaseFieldProblem(d, p, metal_potential=-0.05, potential={"cathode": 0.0},
                                 concentration={"cathode": 1000.0}, noise=1e-3, seed=7)
        runs.append([s.xi for s in run(prob, xi0, t_end=0.05, dt=0.01)][-1])
    np.testing.assert_array_equal(xi0, keep)
    np.testing.assert_array_equal(runs[0], runs[1])
    prob = PhaseFieldProblem(d, p, metal_potential=-0.05, potential={"cathode": 0.0},
                             concentration={"cathode": 1000.0}, noise=1e-3, seed=8)
    other = [s.xi for s in run(prob, xi0, t_end=0.05, dt=0.01)][-1]
    assert not np.array_equal(other, runs[0])  # the seed matters: the noise is on
