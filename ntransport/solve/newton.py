r"""The one Newton iteration of ntransport: damped, with a backtracking line search.

Iteration :math:`J(u_k)\,\delta = -r(u_k)`, :math:`u_{k+1} = u_k + \lambda\delta` with
:math:`\lambda\in\{\lambda_0,\lambda_0/2,\dots\}` the first value that (i) keeps the
variables flagged ``positive`` nonnegative and (ii) decreases the Jacobi-scaled residual
norm :math:`\|D^{-1}r\|_2`, :math:`D=|\mathrm{diag}\,J(u_0)|`. :math:`\lambda_0 = 1`, or
what the ``step_limit(u, du)`` hook allows (e.g. a cap on the change of a phase field).
Convergence: the scaled update :math:`\|\lambda\delta\|_\infty` below ``tol`` (unknowns are
O(1) after scaling) with a finite residual, or the scaled residual reduced by
``residual_rtol`` from its initial value, or the scaled residual below ``MERIT_FLOOR``
and no longer falling (round-off reached first: further updates would only stir the last
digits of an ill-conditioned system).

Linear systems go through :mod:`ntransport.solve.linear` (PARDISO with the symbolic
analysis reused while the Jacobian's pattern holds), as an *inexact* Newton method
(Dembo, Eisenstat & Steihaug, SIAM J. Numer. Anal. 19 (1982) 400): the direction need only
satisfy :math:`\|J\delta + r\|_2 \le \eta_k\|r\|_2` with the forcing term of Eisenstat &
Walker's choice 2 (SIAM J. Sci. Comput. 17 (1996) 16), :math:`\eta_k = \min(\eta_{max},
0.9\,(m_k/m_{k-1})^2)` on the scaled residual norms :math:`m` for :math:`k\ge1`
(:math:`\eta_{max}` = `ETA_MAX`), the first direction at full accuracy (``eta0``: a time
step that is linear to within the tolerance converges in one iteration only then). A
direct solver meets any forcing term with one solve; the forcing term only lets a
mixed-precision LU (single-precision factors) skip refinement steps it does not need: its
first solve leaves a relative residual of ~3e-6 on the 150 k NPP Jacobian of
``benchmarks/npp``, below 1e-4, so the middle iterations of a nonlinear solve take one
solve instead of three, and the end-game (:math:`m_k/m_{k-1}\to 0`) is refined to double
accuracy as before. Measured there (``benchmarks/README.md``, section 1): Newton solves
from a perturbed state take the same iterations (3) to the same answers (1e-13); an NPP run
whose steps converge in one iteration is unchanged bit for bit. A custom ``linear_solve``
hook is called as before (no forcing term). Failure raises
:class:`ntransport.errors.ConvergenceError` carrying the residual history; the result
records every iteration (:class:`NewtonResult`). *fun* may return its Jacobian as a
callable that builds it: Newton calls it only for a direction (the phase-field Newton's
line-search trials, chord steps and converged iterates then build none; full-size PEO run
of ``dendrite_skeleton.yaml``: 1242 -> 744 Jacobians at 0.5-1.2 ms each, a few per cent of
the run, the same iterates bit for bit).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConvergenceError
from .linear import DirectSolver, norm2

__all__ = ["newton", "NewtonResult", "jacobian_matrix"]

log = logging.getLogger(__name__)

#: largest forcing term (relative linear residual a direction may leave): above the ~3e-6
#: a single-precision LU solve leaves on the NPP Jacobians, with a margin of 30 for worse
#: conditioned systems, while the residual still falls >= 1e4-fold per iteration in
#: Newton's linear phase (Dembo et al. 1982: local convergence at rate eta)
ETA_MAX = 1e-4
#: a scaled residual below this is round-off (the line search accepts any step there) ...
MERIT_FLOOR = 1e-13
#: ... and an iteration that leaves it above this fraction of the last one has stalled:
#: converged. An NPP cell with a small exchange current (0.01 A/m2) stalled at a scaled
#: residual of 3.7e-14 with updates of 7e-8 (the Jacobian's conditioning), ran to the
#: iteration limit in every step and crawled at dt = 1e-7 s
STALL_RATIO = 0.9


@dataclass
class NewtonResult:
    """The converged vector and the iteration record (scaled residual norms, accepted
    update sizes, line-search factors)."""

    u: np.ndarray
    iterations: int
    residuals: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    damping: list = field(default_factory=list)


def _fmt(xs):
    return ["%.3e" % x for x in xs]


def jacobian_matrix(J):
    """The matrix of a Jacobian *fun* returned: *J* itself, or what the callable *J*
    builds (for ``linear_solve`` hooks, which receive *J* as *fun* returned it)."""
    return J() if callable(J) else J


def newton(fun, u0, *, tol=1e-10, maxiter=25, positive=None, solver=None, min_step=1 / 64,
           step_limit: Callable | None = None, linear_solve: Callable | None = None,
           residual_rtol: float = 1e-12, forcing: bool = True,
           eta0: float | None = None):
    """Solve ``r(u) = 0`` where ``fun(u) -> (r, J)`` with J sparse.

    Parameters
    ----------
    fun : callable
        Residual and Jacobian at *u*. The Jacobian may be a zero-argument callable that
        builds it (and returns the same matrix when called again): Newton then builds only
        the Jacobians a direction needs, not those of rejected line-search trials or of
        the converged iterate (nor those a ``linear_solve`` hook does not ask for).
    u0 : array
        Initial guess (not modified).
    tol : float
        Convergence when the accepted update's max-norm falls below it.
    maxiter : int
        Iterations before :class:`ConvergenceError`.
    positive : bool array, optional
        Entries that must stay >= 0 (concentrations); steps are damped to keep them so.
    solver : object with ``factor(A)``, optional
        A :mod:`ntransport.solve.linear` solver; default a new :class:`DirectSolver`.
        Pass the same instance across calls to keep PARDISO's symbolic analysis.
    min_step : float
        Smallest line-search factor before giving up.
    step_limit : callable ``(u, du) -> float``, optional
        Largest factor the update may take (e.g. to cap the change of a bounded field).
    linear_solve : callable ``(J, b) -> x``, optional
        Replaces the factorisation (for block-structured Jacobians with their own solver).
        *J* is what *fun* returned: the matrix, or the callable that builds it.
    residual_rtol : float
        Also converged when the scaled residual norm has fallen by this factor.
    forcing : bool
        Solve each direction only to the Eisenstat--Walker forcing term (see the module
        docstring; the *solver*'s ``solve(b, rtol)``); False: every direction to the
        solver's full accuracy.
    eta0 : float or None
        Forcing term of the first direction; None (the default): full accuracy. A time
        step that is linear to within the tolerance converges in one iteration by the
        residual test (a reduction by 1e12) only if its first direction is accurate:
        with ``ETA_MAX`` there, 13 instead of 11 iterations on the 11 steps of an NPP run
        of ``benchmarks/npp``'s system (30 k unknowns; every step one iteration without).

    Returns
    -------
    NewtonResult
    """
    solver = solver if solver is not None else DirectSolver()
    eta = eta0 if forcing else None  # this iteration's forcing term
    u = np.array(u0, dtype=float)
    r, J = fun(u)
    if not np.all(np.isfinite(r)):
        raise ConvergenceError("Newton: the residual at the initial guess is not finite "
                               f"({int(np.sum(~np.isfinite(r)))} NaN/inf entries): check the "
                               "inputs and the initial state.")
    d = np.abs(jacobian_matrix(J).diagonal())
    d[d == 0] = 1.0
    merit = norm2(r / d)
    merit0 = merit
    res = NewtonResult(u, 0, [float(merit)])
    for it in range(1, maxiter + 1):
        du = (linear_solve(J, -r) if linear_solve
              else solver.factor(jacobian_matrix(J))(-r, rtol=eta))
        if not np.all(np.isfinite(du)):
            raise ConvergenceError(f"Newton: linear solve returned non-finite values at iteration "
                                   f"{it}; scaled residual history {_fmt(res.residuals)}.")
        lam = 1.0 if step_limit is None else float(min(1.0, step_limit(u, du)))
        while True:
            un = u + lam * du
            ok = positive is None or np.all(un[positive] >= 0)
            if ok:
                rn, Jn = fun(un)
                mn = norm2(rn / d)
                if np.isfinite(mn) and (mn <= (1 - 1e-4 * lam) * merit or mn < MERIT_FLOOR or
                                        lam * np.max(np.abs(du)) < tol):
                    break
            lam *= 0.5
            if lam < min_step:
                res.residuals.append(float(merit))
                raise ConvergenceError(
                    f"Newton: line search failed at iteration {it} (step factor < {min_step:g}"
                    f"{'' if ok else '; the full step would make a concentration negative'}); "
                    f"scaled residual history {_fmt(res.residuals)}.")
        if forcing:  # Eisenstat & Walker's choice 2 (gamma 0.9, alpha 2), at most ETA_MAX;
            # their safeguard (eta >= 0.9 eta_prev^2 when that exceeds 0.1) never binds below
            eta = min(ETA_MAX, 0.9 * (mn / merit) ** 2) if merit > 0 else ETA_MAX
        # round-off reached: the residual at the line search's floor and no longer falling
        stalled = mn < MERIT_FLOOR and mn > STALL_RATIO * merit
        u, r, J, merit = un, rn, Jn, mn
        step = float(lam * np.max(np.abs(du)))
        res.residuals.append(float(merit))
        res.updates.append(step)
        res.damping.append(lam)
        log.debug("newton it %d: lambda=%.3g |du|=%.3e merit=%.3e", it, lam, step, merit)
        if step < tol or merit <= residual_rtol * merit0 or stalled:
            res.u, res.iterations = u, it
            return res
    raise ConvergenceError(
        f"Newton did not converge in {maxiter} iterations; scaled residual history "
        f"{_fmt(res.residuals)}, last updates {['%.2e' % x for x in res.updates[-3:]]}.")
