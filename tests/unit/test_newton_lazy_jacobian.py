"""Lazy Jacobians: ``fun`` may return its Jacobian as a callable that builds it, and Newton
builds only the ones a direction needs (:mod:`ntransport.solve.newton`); the phase-field
and NPP systems return theirs that way on request, the same matrices as built eagerly."""
import functools

import numpy as np
import pytest
import scipy.sparse as sp
import skfem

from ntransport.geometry import Domain
from ntransport.geometry.boxes import Filaments, box
from ntransport.physics.electrode import FixedConcentration, FixedPotential
from ntransport.physics.phasefield_params import moose_normalised_parameters
from ntransport.physics.species import binary_salt
from ntransport.solve.linear import DirectSolver
from ntransport.solve.newton import jacobian_matrix, newton
from ntransport.solve.npp import NPPProblem, discretise, initial_unknowns
from ntransport.solve.phasefield import PhaseFieldProblem, PhaseFieldSystem

UM = 1e-6


def _arctan_system(n=6):
    """r(u) = arctan(u) - 0.1 + 0.05 (neighbours): from u0 = 3 a full Newton step
    overshoots (arctan's flat tails), so the line search rejects trials before it accepts."""
    C = sp.diags([np.full(n - 1, 0.05), np.full(n - 1, 0.05)], [-1, 1], format="csr")
    builds = []

    def jac(u):
        builds.append(u.copy())
        return (sp.diags(1 / (1 + u * u)) + C).tocsr()

    def eager(u):
        return np.arctan(u) - 0.1 + C @ u, jac(u)

    def lazy(u):  # the callable builds once (Newton may ask twice for one iterate)
        return np.arctan(u) - 0.1 + C @ u, functools.cache(lambda: jac(u))
    return eager, lazy, builds


def test_lazy_jacobian_same_iterates_fewer_builds():
    """The same iterates bit for bit; one Jacobian per direction (factorisation) instead
    of one per residual evaluation (rejected line-search trials and the converged iterate
    included)."""
    eager, lazy, builds = _arctan_system()
    u0 = np.full(6, 3.0)
    a = newton(eager, u0, tol=1e-12, solver=DirectSolver("superlu"))
    n_eager = len(builds)
    builds.clear()
    solver = DirectSolver("superlu")
    b = newton(lazy, u0, tol=1e-12, solver=solver)
    assert np.array_equal(a.u, b.u) and a.residuals == b.residuals
    assert min(a.damping) < 1  # the line search did reject trials here
    assert len(builds) == solver.factorisations == b.iterations
    assert n_eager > len(builds) + 1  # eager: the rejected trials and the last iterate too


def test_lazy_jacobian_reaches_the_linear_solve_hook_as_given():
    """A ``linear_solve`` hook receives what ``fun`` returned: it builds the matrix
    only when it wants one (here: never after the first, a chord iteration)."""
    eager, lazy, builds = _arctan_system()
    first = {}

    def chord(J, b):
        if "lu" not in first:
            first["lu"] = DirectSolver("superlu").factor(jacobian_matrix(J))
        return first["lu"](b)
    res = newton(lazy, np.full(6, 0.2), tol=1e-12, linear_solve=chord, maxiter=60)
    assert res.iterations > 2
    assert len(builds) == 1  # the initial one (Jacobi scaling and the chord's LU)


def test_phasefield_equations_lazy_jacobian_equals_eager():
    p = moose_normalised_parameters(delta=0.05, theta0=0.2, t_plus=0.3)
    d = box(2 * UM, 2 * UM, h_fine=0.25 * UM, filaments=Filaments((UM,), 0.5 * UM, UM))
    prob = PhaseFieldProblem(d, p, metal_potential=-0.1, potential={"anode": -0.1},
                             concentration={"cathode": 1000.0}, current={"sides": 1e-3})
    s = PhaseFieldSystem(prob, d)
    n = s.n
    rng = np.random.default_rng(0)
    u = np.concatenate([rng.random(n), 0.8 + 0.1 * rng.random(n), -0.1 * rng.random(n)])
    args = (u, 10.0 * (u[:n] - 0.5), 10.0 * (u[n:2 * n] - 0.8), 10.0)
    r, J = s.equations(*args)
    rl, Jl = s.equations(*args, lazy=True)
    assert callable(Jl) and np.array_equal(r, rl)
    A = Jl()
    assert Jl() is A  # built once
    assert (A != J).nnz == 0 and np.array_equal(A.indptr, J.indptr)


@pytest.mark.parametrize("electrostatics", ["poisson", "electroneutral"])
def test_npp_residual_jacobian_lazy_equals_eager(electrostatics):
    m = skfem.MeshTri.init_tensor(np.linspace(0, 1e-6, 9), np.linspace(0, 1e-6, 9))
    b = m.boundary_facets()
    dom = Domain.from_arrays(m.p.T, m.t.T, {"cell": np.arange(m.t.shape[1])},
                             {"wall": m.facets[:, b].T})
    bcs = [FixedPotential("wall", 0.05), FixedConcentration("wall", "Li+", 1.0)]
    if electrostatics == "poisson":
        bcs.append(FixedConcentration("wall", "A-", 1.0))
    pr = NPPProblem(dom, binary_salt(1.0, 1e-11, 2e-11), bcs, electrostatics=electrostatics,
                    **({"permittivity": 1e5} if electrostatics == "poisson" else {}))
    sy = discretise(pr)
    u = initial_unknowns(sy) * (1 + 0.01 * np.random.default_rng(1).standard_normal(sy.nu))
    R, J = sy.residual_jacobian(u, 0.0, 1.0, -u)
    Rl, Jl = sy.residual_jacobian(u, 0.0, 1.0, -u, lazy=True)
    assert callable(Jl) and np.array_equal(R, Rl)
    A = Jl()
    assert Jl() is A and (A != J).nnz == 0
