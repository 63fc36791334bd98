r"""Damped Newton's method with a backtracking line search, written out in plain sight.

Iteration :math:`J(u_k)\,\delta = -r(u_k)`, :math:`u_{k+1} = u_k + \lambda\delta` with
:math:`\lambda\in\{1,\tfrac12,\dots\}` the first value that (i) keeps the variables flagged
``positive`` nonnegative and (ii) decreases the Jacobi-scaled residual norm
:math:`\|D^{-1}r\|_2`, :math:`D=|\mathrm{diag}\,J(u_0)|`. Convergence: the scaled update
:math:`\|\lambda\delta\|_\infty` below ``tol`` (unknowns are O(1) after
:mod:`ntransport.physics.scaling`) with a finite residual.
Failure raises :class:`ntransport.errors.ConvergenceError` carrying the residual history.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import ConvergenceError

__all__ = ["newton", "NewtonResult", "direct_solver"]

log = logging.getLogger(__name__)


@dataclass
class NewtonResult:
    u: np.ndarray
    iterations: int
    residuals: list = field(default_factory=list)
    updates: list = field(default_factory=list)


class _PardisoReuse:
    """PARDISO (MKL via pypardiso) that keeps the symbolic analysis (METIS ordering) while
    the sparsity pattern is unchanged: phase 13 on a new pattern, 23 (numeric factorisation
    + solve) afterwards -- every Newton iteration and time step of a run reuses it."""

    def __init__(self):
        import pypardiso

        self._s = pypardiso.PyPardisoSolver()
        self._pattern = None

    def __call__(self, A, b):
        A = sp.csr_matrix(A)
        A.sort_indices()
        same = (self._pattern is not None and self._pattern[0].shape == A.indptr.shape
                and self._pattern[1].shape == A.indices.shape
                and np.array_equal(self._pattern[0], A.indptr)
                and np.array_equal(self._pattern[1], A.indices))
        self._s._check_A(A)
        bb = self._s._check_b(A, np.asarray(b, dtype=float))
        self._s.set_phase(23 if same else 13)
        x = self._s._call_pardiso(A, bb)
        if not same:
            self._pattern = (A.indptr.copy(), A.indices.copy())
        return x


def direct_solver():
    """Sparse direct solve: PARDISO (pypardiso, METIS ordering, symbolic analysis reused
    while the pattern is fixed) if installed, else SuperLU with COLAMD ordering."""
    try:
        return _PardisoReuse()
    except ImportError:  # pragma: no cover - fallback
        import scipy.sparse.linalg as spla

        def solve(A, b):
            return spla.splu(sp.csc_matrix(A), permc_spec="COLAMD").solve(b)
    return solve


def newton(fun, u0, *, tol=1e-10, maxiter=25, positive=None, solve=None, min_step=1 / 64):
    """Solve ``r(u) = 0``; ``fun(u) -> (r, J)`` with J sparse.

    Parameters
    ----------
    positive : bool ndarray, optional
        Entries that must stay >= 0 (concentrations); steps are damped to keep them so.
    """
    solve = solve or direct_solver()
    u = np.array(u0, dtype=float)
    r, J = fun(u)
    d = np.abs(J.diagonal())
    d[d == 0] = 1.0
    merit = np.linalg.norm(r / d)
    res = NewtonResult(u, 0, [float(merit)])
    for it in range(1, maxiter + 1):
        du = solve(J, -r)
        if not np.all(np.isfinite(du)):
            raise ConvergenceError(f"Newton: linear solve returned non-finite values at iteration {it}; "
                                   f"scaled residual history {res.residuals}.")
        lam = 1.0
        while True:
            un = u + lam * du
            ok = positive is None or np.all(un[positive] >= 0)
            if ok:
                rn, Jn = fun(un)
                mn = np.linalg.norm(rn / d)
                if np.isfinite(mn) and (mn <= (1 - 1e-4 * lam) * merit or mn < 1e-13 or
                                        lam * np.max(np.abs(du)) < tol):
                    break
            lam *= 0.5
            if lam < min_step:
                res.residuals.append(float(merit))
                raise ConvergenceError(
                    f"Newton: line search failed at iteration {it} (step < {min_step}); "
                    f"scaled residual history {['%.3e' % x for x in res.residuals]}.")
        u, r, J, merit = un, rn, Jn, mn
        step = float(lam * np.max(np.abs(du)))
        res.residuals.append(float(merit))
        res.updates.append(step)
        log.debug("newton it %d: lambda=%.3g |du|=%.3e merit=%.3e", it, lam, step, merit)
        if step < tol:
            res.u, res.iterations = u, it
            return res
    raise ConvergenceError(
        f"Newton did not converge in {maxiter} iterations; scaled residual history "
        f"{['%.3e' % x for x in res.residuals]}, last updates {['%.2e' % x for x in res.updates[-3:]]}.")
