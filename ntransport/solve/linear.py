"""Linear-solver factories for the SPD systems left after Dirichlet elimination.

A solver is an object with ``factor(A) -> callable(b) -> x``: the expensive part
(LU factorisation, AMG hierarchy) is done once in `factor` and reused for every
right-hand side, Newton step or time step with the same matrix.

* :class:`DirectSolver` -- sparse LU (SuperLU with COLAMD ordering; on gmsh meshes
  ``MMD_AT_PLUS_A`` was measured 80x slower); robust, chosen for small systems.
* :class:`AMGSolver` -- conjugate gradients preconditioned by one V-cycle of pyamg's
  smoothed aggregation; chosen for large systems (in 3D SuperLU fill-in explodes).
* :class:`CGSolver` -- Jacobi-preconditioned CG, for comparison and tests.

``make_solver("auto", n=..., dim=...)`` picks one by size. A solver that does not
reach its tolerance raises :class:`~ntransport.errors.ConvergenceError` naming the
residual reached and the iterations used; it never returns an unconverged vector.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ConfigError, ConvergenceError, suggest

__all__ = ["DirectSolver", "AMGSolver", "CGSolver", "make_solver", "DIRECT_LIMIT"]

log = logging.getLogger(__name__)

#: largest number of unknowns solved directly by ``"auto"``, per dimension
#: (SuperLU fill grows as n^1.5 in 2D and n^2 in 3D; beyond these AMG-CG is faster)
DIRECT_LIMIT = {2: 30_000, 3: 10_000}


def _check_finite(x, what):
    if not np.all(np.isfinite(x)):
        raise ConvergenceError(f"{what} produced non-finite values (singular matrix?).")
    return x


@dataclass(frozen=True)
class DirectSolver:
    """Sparse LU factorisation (SuperLU), reused for every right-hand side."""

    permc_spec: str = "COLAMD"

    def factor(self, A):
        try:
            lu = spla.splu(sp.csc_matrix(A), permc_spec=self.permc_spec)
        except RuntimeError as exc:  # "Factor is exactly singular"
            raise ConvergenceError(
                f"direct solver failed on a {A.shape[0]}x{A.shape[0]} system: {exc}. Is every "
                "subdomain connected to an electrode?"
            ) from exc

        def solve(b):
            return _check_finite(lu.solve(np.asarray(b, dtype=float)), "direct solve")

        return solve


def _cg(A, b, M, rtol, maxiter, name):
    """Preconditioned CG that raises with the residual reached."""
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0.0:
        return np.zeros_like(b)
    its = [0]

    def count(_):
        its[0] += 1

    x, info = spla.cg(A, b, rtol=rtol, atol=0.0, maxiter=maxiter, M=M, callback=count)
    res = float(np.linalg.norm(b - A @ x)) / bnorm
    if info != 0 or not np.isfinite(res) or res > 10 * rtol:
        raise ConvergenceError(
            f"{name} did not converge: relative residual {res:.3e} after {its[0]} iterations "
            f"(rtol={rtol:g}, maxiter={maxiter}). Try solver='direct', a larger maxiter, or "
            "check for extreme conductivity contrasts."
        )
    log.debug("%s converged in %d iterations, residual %.2e", name, its[0], res)
    return x


@dataclass(frozen=True)
class AMGSolver:
    """CG preconditioned by a smoothed-aggregation AMG V-cycle (pyamg).

    Parameters
    ----------
    rtol : float
        Relative residual :math:`\\|b - Ax\\|/\\|b\\|` to reach. The effective
        conductivity is an energy, so its relative error is about
        :math:`\\mathrm{rtol}^2\\kappa` (condition number :math:`\\kappa\\sim(L/h)^2`):
        ~1e-11 at rtol = 1e-8 on 1 M-element meshes (NGSolve agreement, benchmarks/).
    maxiter : int
        CG iterations before :class:`ConvergenceError` is raised.
    """

    rtol: float = 1e-8
    maxiter: int = 500

    def factor(self, A):
        import pyamg

        A = sp.csr_matrix(A)
        # Tuned on P1 composite matrices (2D 156 k and 3D 50 k unknowns, contrast 10):
        # the constant near-nullspace is exact for conduction, so no candidate improvement;
        # 'local' weighting avoids the spectral-radius iteration (-40 % setup); dropping
        # couplings weaker than 5 % (theta 0.05) halves the CG iterations (30 -> 18 in
        # 2D, 23 -> 11 in 3D) for -20 % total time.
        ml = pyamg.smoothed_aggregation_solver(
            A, symmetry="symmetric", strength=("symmetric", {"theta": 0.05}),
            smooth=("jacobi", {"omega": 4.0 / 3.0, "weighting": "local"}),
            improve_candidates=None,
            presmoother=("gauss_seidel", {"sweep": "symmetric"}),
            postsmoother=("gauss_seidel", {"sweep": "symmetric"}),
            max_coarse=500,
        )
        for level in ml.levels:  # scalar problem: CSR kernels beat pyamg's 1x1-block BSR ones
            level.A = sp.csr_matrix(level.A)
            if hasattr(level, "P"):
                level.P, level.R = sp.csr_matrix(level.P), sp.csr_matrix(level.R)
        M = ml.aspreconditioner(cycle="V")

        def solve(b):
            return _cg(A, np.asarray(b, dtype=float), M, self.rtol, self.maxiter, "AMG-CG")

        return solve


@dataclass(frozen=True)
class CGSolver:
    """Jacobi-preconditioned conjugate gradients (slow; for tests and comparison)."""

    rtol: float = 1e-10
    maxiter: int = 10_000

    def factor(self, A):
        A = sp.csr_matrix(A)
        d = A.diagonal()
        M = sp.diags(1.0 / d)

        def solve(b):
            return _cg(A, np.asarray(b, dtype=float), M, self.rtol, self.maxiter, "Jacobi-CG")

        return solve


_KINDS = {"direct": DirectSolver, "amg": AMGSolver, "cg": CGSolver}


def make_solver(kind="auto", *, n: int, dim: int = 2):
    """Return a solver object for an SPD system with *n* unknowns.

    Parameters
    ----------
    kind : {"auto", "direct", "amg", "cg"} or solver object
        ``"auto"`` chooses :class:`DirectSolver` up to ``DIRECT_LIMIT[dim]`` unknowns
        and :class:`AMGSolver` above. An object with a ``factor(A)`` method (e.g.
        ``AMGSolver(rtol=1e-12, maxiter=50)``) is returned unchanged.
    n : int
        Number of unknowns.
    dim : int
        Mesh dimension (sets the direct/AMG threshold).
    """
    if hasattr(kind, "factor"):
        return kind
    if not isinstance(kind, str) or (kind != "auto" and kind not in _KINDS):
        raise ConfigError(
            f"solver must be 'auto', 'direct', 'amg', 'cg' or an object with a factor(A) "
            f"method, got {kind!r}.{suggest(str(kind), ['auto', *_KINDS])}"
        )
    if kind == "auto":
        kind = "direct" if n <= DIRECT_LIMIT.get(dim, DIRECT_LIMIT[3]) else "amg"
    return _KINDS[kind]()
