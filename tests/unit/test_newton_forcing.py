"""Inexact Newton: the Eisenstat-Walker forcing terms of :mod:`ntransport.solve.newton` and
the mixed-precision LU that stops refining at them (:mod:`ntransport.solve.linear`)."""
import numpy as np
import pytest
import scipy.sparse as sp
import skfem
from skfem.models.poisson import laplace

from ntransport.solve.linear import MIXED_MIN, DirectSolver
from ntransport.solve.newton import ETA_MAX, newton

BACKENDS = ["superlu", "auto"]


def _exp_system(target):
    """r(u) = exp(u) - target + 0.1 * (sum of the neighbours), a coupled system whose
    Newton takes several iterations from u = 0."""
    n = target.size
    C = sp.diags([np.full(n - 1, 0.1), np.full(n - 1, 0.1)], [-1, 1], format="csr")

    def fun(u):
        e = np.exp(u)
        return e - target + C @ u, (sp.diags(e) + C).tocsr()
    return fun


class _Recording:
    """A direct solver that records the rtol each solve is called with."""

    def __init__(self):
        self.inner, self.rtols = DirectSolver("superlu"), []

    def factor(self, A):
        solve = self.inner.factor(A)

        def solve_(b, rtol=None):
            self.rtols.append(rtol)
            return solve(b, rtol=rtol)
        return solve_


def test_forcing_terms_are_eisenstat_walker_choice_two_capped_at_eta_max():
    """eta_k = min(ETA_MAX, 0.9 (m_k / m_{k-1})^2) from the second direction on, the first
    at full accuracy unless eta0 says otherwise; forcing=False: every one at full accuracy."""
    target = np.linspace(0.5, 8.0, 7)
    rec = _Recording()
    res = newton(_exp_system(target), np.zeros(7), tol=1e-12, solver=rec)
    m = res.residuals
    assert len(rec.rtols) == res.iterations >= 4
    assert rec.rtols[0] is None  # the first direction at full accuracy (eta0)
    expected = [min(ETA_MAX, 0.9 * (m[k] / m[k - 1]) ** 2) for k in range(1, res.iterations)]
    np.testing.assert_allclose(rec.rtols[1:], expected, rtol=1e-12)
    assert rec.rtols[1] == ETA_MAX and rec.rtols[-1] < 1e-6  # the end-game: accurate
    first = _Recording()
    newton(_exp_system(target), np.zeros(7), tol=1e-12, solver=first, eta0=ETA_MAX)
    assert first.rtols[0] == ETA_MAX
    off = _Recording()
    ref = newton(_exp_system(target), np.zeros(7), tol=1e-12, solver=off, forcing=False)
    assert off.rtols == [None] * ref.iterations
    np.testing.assert_allclose(res.u, ref.u, rtol=0, atol=1e-13)


def _nonsymmetric(refine=5, seed=3):
    m = skfem.MeshTri.init_sqsymmetric().refined(refine)
    A = (laplace.assemble(skfem.Basis(m, skfem.ElementTriP1()))
         + sp.identity(m.nvertices) * 1e-3).tocsr()
    rng = np.random.default_rng(seed)
    A.data *= 1.0 + 0.3 * rng.standard_normal(A.data.size)
    return A, rng.standard_normal(A.shape[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_precision_solve_stops_refining_at_the_callers_rtol(backend):
    """The first single-precision solve of this 4 225-unknown system leaves a relative
    residual far below 1e-4 but above double accuracy: with rtol = 1e-4 it is returned
    unrefined; without rtol (and with rtol = 1e-15) it is refined to the double-precision
    backward-error test, as before."""
    A, b = _nonsymmetric()
    loose = DirectSolver(backend, precision="mixed")
    x = loose.factor(A)(b, rtol=1e-4)
    rel = np.linalg.norm(A @ x - b) / np.linalg.norm(b)
    assert loose.refinement_steps == 0 and 1e-13 < rel <= 1e-4
    tol = abs(A).sum(axis=1).max() * np.finfo(float).eps * np.sqrt(A.shape[0])
    for rtol in (None, 1e-15):
        full = DirectSolver(backend, precision="mixed")
        xf = full.factor(A)(b, rtol=rtol)
        assert full.refinement_steps >= 1 and full.fallbacks == 0
        assert np.abs(A @ xf - b).max() <= np.abs(xf).max() * tol
    # a double LU ignores rtol: the same answer either way
    d = DirectSolver(backend, precision="double").factor(A)
    np.testing.assert_array_equal(d(b, rtol=1e-4), d(b))


def _npp(n):
    """The binary-salt NPP system of benchmarks/npp on n x n squares (3 (n+1)^2 unknowns)."""
    from ntransport.geometry import Domain
    from ntransport.physics.electrode import FixedConcentration, FixedPotential
    from ntransport.physics.species import binary_salt
    from ntransport.solve.npp import NPPProblem, discretise, initial_unknowns

    m = skfem.MeshTri.init_tensor(np.linspace(0, 1e-6, n + 1), np.linspace(0, 1e-6, n + 1))
    d = Domain.from_arrays(m.p.T, m.t.T, {"cell": np.arange(m.t.shape[1])},
                           {"wall": m.facets[:, m.boundary_facets()].T})
    pr = NPPProblem(d, binary_salt(1.0, 1e-11, 2e-11),
                    [FixedPotential("wall", 0.05), FixedConcentration("wall", "Li+", 1.0),
                     FixedConcentration("wall", "A-", 1.0)],
                    electrostatics="poisson", permittivity=1e5)
    sy = discretise(pr)
    return sy, initial_unknowns(sy)


def test_npp_newton_with_forcing_terms_takes_the_same_steps_to_the_same_answer():
    """A Newton solve of an NPP time step above MIXED_MIN unknowns (mixed-precision LU by
    default), from a perturbed state: with the forcing terms it takes the same number of
    iterations to the same answer (to 1e-12 of its size) with fewer refinement solves."""
    sy, u = _npp(82)
    assert u.size >= MIXED_MIN
    u0 = u * (1 + 0.01 * np.random.default_rng(0).standard_normal(u.size))
    out = {}
    for forcing in (True, False):
        solver = DirectSolver()
        res = newton(lambda v: sy.residual_jacobian(v, 0.0, 1.0, -u), u0, tol=1e-10,
                     solver=sy.linear_solver(solver), forcing=forcing)
        assert solver.fallbacks == 0
        out[forcing] = (res, solver.refinement_steps)
    (rf, steps_f), (re, steps_e) = out[True], out[False]
    assert rf.iterations == re.iterations >= 3
    np.testing.assert_allclose(rf.u, re.u, rtol=0, atol=1e-12 * np.abs(re.u).max())
    assert steps_f < steps_e


def test_npp_run_whose_steps_converge_in_one_iteration_is_unchanged_by_forcing(monkeypatch):
    """A time-stepping NPP run above MIXED_MIN whose steps each converge in one Newton
    iteration (a linear step: the residual falls by 1e12 in one direction) gives the same
    bits with and without forcing terms: the first direction of a step is exact."""
    import functools

    import ntransport.solve.npp as npp

    runs = {}
    for forcing in (True, False):
        sy, _ = _npp(82)
        monkeypatch.setattr(npp, "newton", functools.partial(newton, forcing=forcing))
        solver = DirectSolver()
        states = list(npp.run(sy, 1e-4, 1e-6, solver=solver))
        runs[forcing] = (states[-1].stepper.u, [s.stepper.newton_iterations for s in states],
                         solver.refinement_steps)
    assert runs[True][1] == runs[False][1] and set(runs[True][1]) == {1}
    np.testing.assert_array_equal(runs[True][0], runs[False][0])
    assert runs[True][2] == runs[False][2] > 0
