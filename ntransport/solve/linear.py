"""The one place in ntransport that factorises or iterates on a sparse matrix.

A solver object turns a matrix into a solve function: ``solver.factor(A) -> solve(b)``.
The expensive part (LU factorisation, AMG hierarchy) is done once in ``factor`` and
reused for every right-hand side with the same matrix.

* :class:`DirectSolver` -- sparse LU for any (also non-symmetric) matrix. PARDISO
  (Intel MKL through ``pypardiso``, the ``pardiso`` extra) where it is installed: the
  symbolic analysis (METIS ordering) is kept while the sparsity pattern is unchanged, so
  every Newton iteration and time step of a run pays only the numeric factorisation
  (measured 5.4x faster than SuperLU on the phase-field Jacobian, PERFORMANCE-FACTS).
  Elsewhere SuperLU (scipy) with COLAMD ordering -- portable, slower, same answers.
* :class:`AMGSolver` -- CG preconditioned by a smoothed-aggregation AMG V-cycle (pyamg),
  for large SPD systems (in 3D the fill-in of any LU explodes).
* :class:`CGSolver` -- Jacobi-preconditioned CG (tests and comparison).

``make_solver("auto", n=..., dim=...)`` picks one by size; ``solve(A, b)`` is the
one-shot convenience for small auxiliary systems (projections, mesh motion). Solvers
raise :class:`~ntransport.errors.ConvergenceError` on failure (singular matrix,
non-finite result, CG not reaching its tolerance) naming what was tried; they never
return an unconverged or non-finite vector.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ConfigError, ConvergenceError, suggest

__all__ = ["DirectSolver", "AMGSolver", "CGSolver", "make_solver", "solve", "DIRECT_LIMIT",
           "pardiso_available"]

log = logging.getLogger(__name__)

#: largest number of unknowns solved directly by ``"auto"``, per dimension
#: (LU fill grows as n^1.5 in 2D and n^2 in 3D; beyond these AMG-CG is faster)
DIRECT_LIMIT = {2: 30_000, 3: 10_000}


def pardiso_available() -> bool:
    """True if PARDISO (``pypardiso`` + MKL) can be loaded on this machine."""
    try:
        import pypardiso  # noqa: F401
    except Exception:  # ImportError, or an OSError from a broken MKL install
        return False
    return True


def _check_finite(x, what):
    if not np.all(np.isfinite(x)):
        raise ConvergenceError(f"{what} produced non-finite values (singular matrix? a "
                               "subdomain not connected to any Dirichlet/electrode boundary?).")
    return x


def _check_matrix(A, what):
    A = sp.csr_matrix(A, dtype=float)
    if A.shape[0] != A.shape[1]:
        raise ConfigError(f"{what}: matrix must be square, got shape {A.shape}.")
    if not np.all(np.isfinite(A.data)):
        bad = int(np.sum(~np.isfinite(A.data)))
        raise ConvergenceError(f"{what}: the matrix holds {bad} non-finite entries (NaN/inf in "
                               "the assembled coefficients: check the inputs and the mesh).")
    A.sum_duplicates()
    A.sort_indices()
    return A


class _Pardiso:
    """One PARDISO handle: phase 12 (analysis + factorisation) on a new pattern, 22
    (factorisation only) while the pattern is unchanged, 33 (solve) per right-hand side."""

    def __init__(self):
        import os

        import pypardiso

        # pypardiso searches sys.prefix recursively for mkl_rt on every new solver (3.5 s per
        # DirectSolver on a large venv): point it at the library its module already loaded
        lib = getattr(getattr(getattr(pypardiso, "scipy_aliases", None), "pypardiso_solver",
                              None), "libmkl", None)
        if "PYPARDISO_MKL_RT" not in os.environ and getattr(lib, "_name", None):
            os.environ["PYPARDISO_MKL_RT"] = lib._name
        self._s = pypardiso.PyPardisoSolver()
        # pypardiso searches the file system for MKL in every new solver (~2.5 s measured
        # here, a glob over sys.prefix); remember the library it found for the next ones
        name = getattr(self._s.libmkl, "_name", None)
        if name and "PYPARDISO_MKL_RT" not in os.environ:
            os.environ["PYPARDISO_MKL_RT"] = name
        self._pattern = None
        self._A = None

    def factor(self, A):
        same = (self._pattern is not None and self._pattern[0].shape == A.indptr.shape
                and self._pattern[1].shape == A.indices.shape
                and np.array_equal(self._pattern[0], A.indptr)
                and np.array_equal(self._pattern[1], A.indices))
        if not np.diff(A.indptr).all():
            raise ConvergenceError(f"direct solver: the {A.shape[0]}x{A.shape[0]} matrix has an "
                                   "empty row (an unknown no equation touches): singular.")
        self._s._check_A(A)
        self._s.set_phase(22 if same else 12)
        try:
            self._s._call_pardiso(A, np.zeros((A.shape[0], 1)))
        except Exception as exc:  # PyPardisoError(-4): zero pivot, numerically singular
            raise ConvergenceError(f"PARDISO factorisation of a {A.shape[0]}x{A.shape[0]} "
                                   f"matrix failed: {exc}. Is every subdomain connected to an "
                                   "electrode or a fixed potential?") from exc
        if not same:
            self._pattern = (A.indptr.copy(), A.indices.copy())
        self._A = A
        token = object()
        self._token = token

        def solve_(b):
            if self._token is not token:
                raise RuntimeError("this factorisation was replaced by a later factor() call "
                                   "on the same DirectSolver; use one solver per matrix.")
            bb = self._s._check_b(A, np.asarray(b, dtype=float))
            self._s.set_phase(33)
            return self._s._call_pardiso(A, bb)

        return solve_


def _superlu(A):
    try:
        lu = spla.splu(sp.csc_matrix(A), permc_spec="COLAMD")
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise ConvergenceError(
            f"direct solver failed (SuperLU) on a {A.shape[0]}x{A.shape[0]} system: {exc}. Is "
            "every subdomain connected to an electrode or a fixed potential?") from exc
    return lambda b: lu.solve(np.asarray(b, dtype=float))


class DirectSolver:
    """Sparse LU, reused for every right-hand side; keeps the symbolic analysis while the
    sparsity pattern is unchanged (PARDISO).

    Parameters
    ----------
    backend : {"auto", "pardiso", "superlu"}
        ``"auto"``: PARDISO where ``pypardiso`` is installed, SuperLU otherwise.

    One instance holds one factorisation: ``factor`` invalidates the solve function of
    the previous call (use one instance per matrix you need at the same time).
    """

    def __init__(self, backend: str = "auto"):
        if backend not in ("auto", "pardiso", "superlu"):
            raise ConfigError(f"DirectSolver: backend must be 'auto', 'pardiso' or 'superlu', "
                              f"got {backend!r}.{suggest(str(backend), ['pardiso', 'superlu'])}")
        if backend == "pardiso" and not pardiso_available():
            raise ConfigError("DirectSolver: backend='pardiso' but pypardiso/MKL is not "
                              "installed here; `pip install ntransport[pardiso]` (x86-64 only) "
                              "or use backend='superlu'.")
        if backend == "auto":
            backend = "pardiso" if pardiso_available() else "superlu"
        self.backend = backend
        self._pardiso = None
        self.factorisations = 0

    def __repr__(self):
        return f"DirectSolver(backend={self.backend!r})"

    def factor(self, A):
        """Factorise *A*; return ``solve(b) -> x`` (raises ConvergenceError if singular)."""
        A = _check_matrix(A, "direct solver")
        self.factorisations += 1
        if self.backend == "pardiso":
            if self._pardiso is None:
                self._pardiso = _Pardiso()
            inner = self._pardiso.factor(A)
        else:
            inner = _superlu(A)

        def solve_(b):
            b = np.asarray(b, dtype=float)
            x = _check_finite(inner(b), f"direct solve ({self.backend})")
            # a zero pivot is perturbed, not reported, by PARDISO: check the residual
            r = float(np.linalg.norm(A @ x - b))
            bn = float(np.linalg.norm(b))
            if r > 1e-6 * max(bn, 1e-300) and bn > 0:
                raise ConvergenceError(
                    f"direct solver failed on a {A.shape[0]}x{A.shape[0]} system: relative "
                    f"residual {r / bn:.2e} after the LU solve (numerically singular matrix). "
                    "Is every subdomain connected to an electrode or a fixed potential?")
            return x

        return solve_

    def __call__(self, A, b):
        """Factorise and solve once: ``x = A^{-1} b``."""
        return self.factor(A)(b)


def _cg(A, b, M, rtol, maxiter, name):
    """Preconditioned CG that raises with the residual reached."""
    if not np.all(np.isfinite(b)):
        raise ConvergenceError(f"{name}: the right-hand side holds NaN/inf.")
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
            "check for extreme conductivity contrasts.")
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

        A = _check_matrix(A, "AMG-CG")
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

        def solve_(b):
            return _cg(A, np.asarray(b, dtype=float), M, self.rtol, self.maxiter, "AMG-CG")

        return solve_


@dataclass(frozen=True)
class CGSolver:
    """Jacobi-preconditioned conjugate gradients (slow; for tests and comparison)."""

    rtol: float = 1e-10
    maxiter: int = 10_000

    def factor(self, A):
        A = _check_matrix(A, "Jacobi-CG")
        d = A.diagonal()
        if np.any(d == 0):
            raise ConvergenceError("Jacobi-CG: zero on the diagonal; use solver='direct'.")
        M = sp.diags(1.0 / d)

        def solve_(b):
            return _cg(A, np.asarray(b, dtype=float), M, self.rtol, self.maxiter, "Jacobi-CG")

        return solve_


_KINDS = {"direct": DirectSolver, "amg": AMGSolver, "cg": CGSolver}


def make_solver(kind="auto", *, n: int, dim: int = 2):
    """Return a solver object for a system with *n* unknowns.

    Parameters
    ----------
    kind : {"auto", "direct", "amg", "cg"} or solver object
        ``"auto"`` chooses :class:`DirectSolver` up to ``DIRECT_LIMIT[dim]`` unknowns
        and :class:`AMGSolver` above (SPD systems only). An object with a ``factor(A)``
        method (e.g. ``AMGSolver(rtol=1e-12, maxiter=50)``) is returned unchanged.
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
            f"method, got {kind!r}.{suggest(str(kind), ['auto', *_KINDS])}")
    if kind == "auto":
        kind = "direct" if n <= DIRECT_LIMIT.get(dim, DIRECT_LIMIT[3]) else "amg"
    return _KINDS[kind]()


def solve(A, b, *, solver="direct"):
    """One-shot ``x = A^{-1} b`` for auxiliary systems (projections, mesh motion).

    *b* may be (n,) or (n, k). Uses a fresh :class:`DirectSolver` unless *solver* says
    otherwise (see :func:`make_solver`).
    """
    A = sp.csr_matrix(A)
    s = make_solver(solver, n=A.shape[0])
    return s.factor(A)(b)
