"""The one place in ntransport that factorises or iterates on a sparse matrix.

A solver object turns a matrix into a solve function: ``solver.factor(A) -> solve(b)``.
The expensive part (LU factorisation, AMG hierarchy) is done once in ``factor`` and
reused for every right-hand side with the same matrix. ``solve(b, rtol=...)`` states a
relative residual the caller accepts (Newton's forcing term): a mixed-precision LU then
skips the refinement steps it does not need, CG stops there if it is looser than its own.

* :class:`DirectSolver` -- sparse LU for any (also non-symmetric) matrix. PARDISO
  (Intel MKL through ``pypardiso``, the ``pardiso`` extra) where it is installed: the
  symbolic analysis (METIS ordering) is kept while the sparsity pattern is unchanged, so
  every Newton iteration and time step of a run pays only the numeric factorisation
  (measured 5.4x faster than SuperLU on the phase-field Jacobian, PERFORMANCE-FACTS).
  Elsewhere SuperLU (scipy) with COLAMD ordering -- portable, slower, same answers.
  Large 3D and multi-field systems are factorised in single precision and the solution
  refined in double to a double LU's accuracy (``precision``; 14-39 % faster there).
* :class:`AMGSolver` -- CG preconditioned by a smoothed-aggregation AMG V-cycle
  (:mod:`ntransport.solve.amg`: pyamg's compiled aggregation, CSR levels, weighted-Jacobi
  or Gauss-Seidel smoothing, optional single-precision hierarchy and reuse across
  Newton/time steps),
  for large SPD systems (in 3D the fill-in of any LU explodes).
* :class:`CGSolver` -- Jacobi-preconditioned CG (tests and comparison).
* :class:`Reordered` -- any of them on the symmetrically renumbered system
  ``A[order][:, order]``: multi-field systems (NPP) are assembled field by field and
  factorised node by node (PARDISO 4-27 % faster on 44-480 k unknowns, depending on the
  host's state: benchmarks/README.md, section 1).

``make_solver("auto", n=..., dim=...)`` picks one by size; ``solve(A, b)`` is the
one-shot convenience for small auxiliary systems (projections, mesh motion). Solvers
raise :class:`~ntransport.errors.ConvergenceError` on failure (singular matrix,
non-finite result, CG not reaching its tolerance) naming what was tried; they never
return an unconverged or non-finite vector.
"""
from __future__ import annotations

import functools
import logging
import math
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..cores import one_blas_thread
from ..errors import ConfigError, ConvergenceError, suggest
from .pcg import pcg
from .rowblocks import RowBlocks

__all__ = ["DirectSolver", "AMGSolver", "CGSolver", "Reordered", "make_solver", "solve",
           "DIRECT_LIMIT", "MIXED_MIN", "MIXED_ROW_NNZ", "pardiso_available", "norm2",
           "mkl_threads"]

log = logging.getLogger(__name__)

#: largest number of unknowns solved directly by ``"auto"``, per dimension
#: (LU fill grows as n^1.5 in 2D and n^2 in 3D; beyond these AMG-CG is faster)
DIRECT_LIMIT = {2: 30_000, 3: 10_000}


def _locate_mkl() -> None:
    """Point pypardiso at MKL's ``mkl_rt`` library before it looks for it itself.

    Without ``PYPARDISO_MKL_RT`` (and with no system-wide MKL), every
    ``PyPardisoSolver()`` -- one at ``import pypardiso`` and one per `DirectSolver` --
    globs the whole of ``sys.prefix`` recursively: 2.8 s each in this project's venv,
    more than a Newton iteration at 150 k unknowns. The pip ``mkl`` distribution lists
    the library in its record, which costs milliseconds to read.
    """
    import os

    if os.environ.get("PYPARDISO_MKL_RT"):
        return
    try:
        import importlib.metadata as md

        dist = md.distribution("mkl")
        for f in dist.files or ():
            if "mkl_rt" in f.name:
                path = Path(dist.locate_file(f)).resolve()
                if path.exists():
                    os.environ["PYPARDISO_MKL_RT"] = str(path)
                    return
    except Exception:  # no pip MKL (conda, system MKL): pypardiso's own search
        return


def pardiso_available() -> bool:
    """True if PARDISO (``pypardiso`` + MKL) can be loaded on this machine."""
    _locate_mkl()
    try:
        import pypardiso  # noqa: F401
    except Exception:  # ImportError, or an OSError from a broken MKL install
        return False
    return True


def norm2(x) -> float:
    """Euclidean norm of a vector, without BLAS.

    ``np.linalg.norm`` of a vector is BLAS ``ddot``, which OpenBLAS (numpy's BLAS) runs on
    all threads above ~10 k entries; in a process where MKL's PARDISO threads are also
    active the two thread pools spin against each other for the cores. Measured on the
    full-size PEO phase-field run (2 cores, ``OMP_NUM_THREADS=2``): 49 s with
    ``np.linalg.norm`` in the Newton and residual checks, 31 s with this, 33 s on one
    thread (benchmarks/linear/README: "two thread pools"). ``einsum`` without
    ``optimize`` is numpy's own single-threaded loop.
    """
    x = np.asarray(x, dtype=float).ravel()
    return math.sqrt(float(np.einsum("i,i->", x, x)))


@contextmanager
def mkl_threads(n: int):
    """Inside the block, MKL (PARDISO) calls made by *this* thread use at most *n* threads
    (MKL's thread-local ``MKL_Set_Num_Threads_Local``; other threads keep theirs and the
    previous value is restored after). For runs side by side in threads
    (:mod:`ntransport.studies.concurrent`): two runs with 2-thread PARDISO each on 2 cores
    would oversubscribe. A no-op where PARDISO is not installed.

    Create a run's :class:`DirectSolver` inside the block and use it only there: MKL
    2026.2 crashes when one PARDISO factorisation sees different thread counts
    (``benchmarks/linear/pardiso_threads.py``).
    """
    setter = _mkl_setter() if pardiso_available() else None
    if setter is None:
        yield
        return
    previous = setter(int(n))
    try:
        yield
    finally:
        setter(previous)


def _pypardiso_mkl():
    """The MKL library (ctypes) that pypardiso loaded at import, or None."""
    import pypardiso

    return getattr(getattr(getattr(pypardiso, "scipy_aliases", None), "pypardiso_solver",
                           None), "libmkl", None)


@functools.cache
def _mkl_setter():
    """MKL's thread-local thread-count setter from pypardiso's library, or None (an MKL
    without the call)."""
    return getattr(_pypardiso_mkl(), "MKL_Set_Num_Threads_Local", None)


def _mkl_max_threads() -> int:
    """The number of threads MKL would use for a call from this thread now (thread-local
    limit included; 1 if the library does not say)."""
    get = getattr(_pypardiso_mkl(), "MKL_Get_Max_Threads", None)
    return max(1, int(get())) if get is not None else 1


def _check_finite(x, what):
    if not np.all(np.isfinite(x)):
        raise ConvergenceError(f"{what} produced non-finite values (singular matrix? a "
                               "subdomain not connected to any Dirichlet/electrode boundary?).")
    return x


def _same_pattern(pattern, A) -> bool:
    """Whether CSR *A* has the sparsity *pattern* ``(indptr, indices)`` (None: no)."""
    return (pattern is not None and pattern[0].shape == A.indptr.shape
            and pattern[1].shape == A.indices.shape
            and np.array_equal(pattern[0], A.indptr) and np.array_equal(pattern[1], A.indices))


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


#: PARDISO control parameters set on every handle (0-based index -> value); the others
#: stay 0: one-based CSR input (pypardiso adds 1), no user permutation, classic
#: factorisation, double precision, in core
PARDISO_IPARM = {0: 1,    # use these values, not MKL's defaults
                 1: 2,    # nested dissection (METIS) ordering
                 7: 0,    # iterative refinement only after perturbed pivots
                 9: 13,   # pivot perturbation 1e-13
                 10: 1,   # scaling
                 12: 1}   # weighted matching


class _Pardiso:
    """One PARDISO handle: phase 12 (analysis + factorisation) on a new pattern, 22
    (factorisation only) while the pattern is unchanged, 33 (solve) per right-hand side.

    ``single=True``: MKL's single-precision mode (``iparm[27] = 1``): the matrix values,
    the factors and the right-hand sides are float32 (the caller refines in double).
    ``ordering``: ``"metis"`` (nested dissection, ``iparm[1] = 2``) or
    ``"minimum-degree"`` (``iparm[1] = 0``)."""

    def __init__(self, single: bool = False, ordering: str = "metis"):
        _locate_mkl()
        import pypardiso

        # if _locate_mkl found no pip record, point pypardiso at the library its module
        # loaded at import (its own search costs seconds per new solver)
        import os

        lib = _pypardiso_mkl()
        if "PYPARDISO_MKL_RT" not in os.environ and getattr(lib, "_name", None):
            os.environ["PYPARDISO_MKL_RT"] = lib._name
        self._s = pypardiso.PyPardisoSolver()
        # pypardiso searches the file system for MKL in every new solver (~2.5 s measured
        # here, a glob over sys.prefix); remember the library it found for the next ones
        name = getattr(self._s.libmkl, "_name", None)
        if name and "PYPARDISO_MKL_RT" not in os.environ:
            os.environ["PYPARDISO_MKL_RT"] = name
        # MKL's defaults for real nonsymmetric matrices (nested-dissection ordering, pivot
        # perturbation 1e-13, scaling and weighted matching), stated explicitly, except the
        # iterative refinement: MKL's default runs two refinement steps after every solve;
        # iparm[7] = 0 runs them only when pivots were perturbed. Every solve's residual is
        # checked below anyway. Measured (benchmarks/README.md, "PARDISO settings"): 7-16 %
        # off a refactorisation + solve from 11 k to 1 M unknowns, residuals 1e-11..1e-15.
        for i, v in PARDISO_IPARM.items():
            self._s.set_iparm(i + 1, v)  # set_iparm is 1-based
        if ordering == "minimum-degree":
            self._s.set_iparm(2, 0)
        # repeatable on several threads: iparm[33] (MKL's thread count for conditional
        # numerical reproducibility) fixes how the parallel solve and factorisation split
        # their sums. Without it, fresh handles on 2 threads gave other last bits in 2-15 of
        # 17 solutions on every matrix tried; MKL's sequential solve (iparm[24] = 1) alone
        # fixes most, but not a 118 k 3D system, whose factorisation itself differs; with
        # iparm[33], none differed, at the same factorisation speed
        # (benchmarks/README.md, section 8). The handle keeps the thread count it was made
        # with (see mkl_threads), so the value is that count. On one thread it is left
        # off: one thread is repeatable without it (6 handles x 4 processes, 16 k and 150 k
        # unknowns: identical bits), and it makes every solve 1.5-2x slower (150 k NPP
        # Jacobian, 1 thread: 64 -> 95 ms; single precision 40 -> 68 ms).
        threads = _mkl_max_threads()
        if threads > 1:
            self._s.set_iparm(34, threads)
        self.single = bool(single)
        if self.single:
            self._s.set_iparm(28, 1)  # iparm[27] = 1: single precision
        self._pattern = None

    def factor(self, A):
        same = _same_pattern(self._pattern, A)
        if not np.diff(A.indptr).all():
            raise ConvergenceError(f"direct solver: the {A.shape[0]}x{A.shape[0]} matrix has an "
                                   "empty row (an unknown no equation touches): singular.")
        self._s._check_A(A)
        dtype = np.float32 if self.single else np.float64
        # PARDISO tests some pivots against absolute thresholds: a well-conditioned matrix
        # of tiny scale (1e-14 * I, a diagonal block in SI units) came back unsolved. A
        # power-of-two scale to a largest entry in [0.5, 1) is exact in floating point, so
        # the answers are otherwise unchanged bit for bit; |log2| <= 8 is left alone.
        amax = float(np.abs(A.data).max()) if A.nnz else 0.0
        e = math.frexp(amax)[1] if amax > 0 else 0
        scale = math.ldexp(1.0, -e) if abs(e) > 8 else 1.0
        if self.single or scale != 1.0:
            data = A.data * scale if scale != 1.0 else A.data
            Ak = sp.csr_matrix((data.astype(dtype, copy=False), A.indices, A.indptr),
                               shape=A.shape)
        else:
            Ak = A
        self._s.set_phase(22 if same else 12)
        try:
            self._s._call_pardiso(Ak, np.zeros((A.shape[0], 1), dtype))
        except Exception as exc:  # PyPardisoError(-4): zero pivot, numerically singular
            raise ConvergenceError(f"PARDISO factorisation of a {A.shape[0]}x{A.shape[0]} "
                                   f"matrix failed: {exc}. Is every subdomain connected to an "
                                   "electrode or a fixed potential?") from exc
        if not same:
            self._pattern = (A.indptr.copy(), A.indices.copy())
        token = object()
        self._token = token

        def solve_(b):
            if self._token is not token:
                raise RuntimeError("this factorisation was replaced by a later factor() call "
                                   "on the same DirectSolver; use one solver per matrix.")
            b = np.asarray(b, dtype=float)
            if b.shape[0] != A.shape[0]:
                raise ValueError(f"right-hand side has {b.shape[0]} rows, the matrix "
                                 f"{A.shape[0]}.")
            bb = np.asfortranarray(b * scale if scale != 1.0 else b, dtype=dtype)
            self._s.set_phase(33)
            return np.asarray(self._s._call_pardiso(Ak, bb), dtype=float)

        return solve_


def _superlu(A, single=False):
    dtype = np.float32 if single else np.float64
    try:
        lu = spla.splu(sp.csc_matrix(A, dtype=dtype), permc_spec="COLAMD")
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise ConvergenceError(
            f"direct solver failed (SuperLU) on a {A.shape[0]}x{A.shape[0]} system: {exc}. Is "
            "every subdomain connected to an electrode or a fixed potential?") from exc
    return lambda b: np.asarray(lu.solve(np.asarray(b, dtype=dtype)), dtype=float)


#: ``DirectSolver(precision="auto")`` factorises a system in single precision and refines
#: the solution in double (see :class:`DirectSolver`) when it has at least `MIXED_MIN`
#: unknowns and at least `MIXED_ROW_NNZ` nonzeros per row on average. Measured
#: (benchmarks/linear/mixed_precision.py, refactorisation + solve incl. refinement, mixed
#: against double, 1 / 2 threads): NPP Jacobian 150 k (3 fields, 12 per row) 0.73 / 0.86,
#: 3D P1 Poisson 30 k (13.5 per row) 0.61 / 0.83, but 2D P1 Poisson (5 per row) 1.10 / 1.28
#: at 263 k and 0.94 / 0.95 at 1.05 M (small supernodes: the factorisation does not get
#: cheaper, the two refinement solves are extra), and the 11 k phase-field Jacobian
#: 0.95 / 1.03.
MIXED_MIN = 20_000
MIXED_ROW_NNZ = 10
#: refinement steps a mixed-precision solve may take before it falls back to double
REFINE_MAXITER = 10


def _float32_safe(A, a=None) -> bool:
    """Whether the nonzero values of *A* survive a cast to float32 (no overflow to inf,
    no underflow into the subnormals, with a margin of 1e4 for the factors' growth).
    *a*: ``|A.data|`` if the caller has it."""
    a = np.abs(A.data) if a is None else a
    amin = np.min(a, where=a > 0, initial=np.inf)  # smallest nonzero, without a copy
    if not np.isfinite(amin):
        return False
    fi = np.finfo(np.float32)
    return bool(a.max() < fi.max * 1e-4 and amin > fi.tiny * 1e4)


def _inf_norm(A, a=None) -> float:
    """``|A|_inf`` (largest absolute row sum) of CSR *A* from ``a = |A.data|``, without
    the copy of the matrix ``abs(A)`` makes."""
    a = np.abs(A.data) if a is None else a
    if a.size == 0:
        return 0.0
    rows = np.diff(A.indptr)
    sums = np.add.reduceat(a, np.minimum(A.indptr[:-1], a.size - 1))
    return float(np.where(rows > 0, sums, 0.0).max())


def _refine(A, solve32, b, anorm, rtol=None):
    """Iterative refinement in double of a single-precision solve (LAPACK ``dsgesv``'s
    scheme): ``x += solve32(b - A x)`` until every column satisfies the double-precision
    backward-error test ``|r|_inf <= |x|_inf |A|_inf eps sqrt(n)``, or, with *rtol*, until
    ``|r|_2 <= rtol |b|_2`` (per column) if that comes first. Returns ``(x, steps, r)``
    with ``r = b - A x`` at the returned x, or ``(None, steps, None)`` if the error does
    not halve at a step or `REFINE_MAXITER` steps do not reach the test (then the matrix
    is too ill-conditioned for float32 factors)."""
    tol = anorm * np.finfo(float).eps * math.sqrt(A.shape[0])
    bn = None if rtol is None else rtol * np.sqrt(np.sum(b * b, axis=0))  # per column
    x = solve32(b)
    prev, k = math.inf, 0
    while True:
        r = b - A @ x
        rn = np.abs(r).max(axis=0)
        xn = np.abs(x).max(axis=0)
        q = float(np.max(rn / np.maximum(xn * tol, 1e-300)))
        if np.all(rn <= xn * tol) or (
                bn is not None and np.all(np.sqrt(np.sum(r * r, axis=0)) <= bn)):
            return x, k, r
        if not np.isfinite(q) or q > 0.5 * prev or k == REFINE_MAXITER:
            return None, k, None
        prev, k = q, k + 1
        x = x + solve32(r)


class DirectSolver:
    """Sparse LU, reused for every right-hand side; keeps the symbolic analysis while the
    sparsity pattern is unchanged (PARDISO).

    Parameters
    ----------
    backend : {"auto", "pardiso", "superlu"}
        ``"auto"``: PARDISO where ``pypardiso`` is installed, SuperLU otherwise.
    precision : {"auto", "double", "mixed"}
        ``"mixed"``: LU factors in single precision (half the memory traffic of the
        factorisation, PARDISO's ``iparm[27] = 1`` or SuperLU's ``sgstrf``), the solution
        refined in double until it passes the double-precision backward-error test of
        LAPACK's ``dsgesv`` (:func:`_refine`), so the answer is as accurate as a double
        LU's. A matrix whose values do not fit float32, or whose refinement stalls (too
        ill-conditioned for float32 factors), is factorised in double instead, and this
        solver stays in double from then on (``fallbacks`` counts them). ``"auto"``:
        mixed from `MIXED_MIN` unknowns with `MIXED_ROW_NNZ` nonzeros per row (3D and
        multi-field systems, where it was measured faster), double otherwise.
    ordering : {"metis", "minimum-degree"}
        PARDISO's fill-reducing ordering: nested dissection (METIS, the default: fastest
        on large systems) or minimum degree, which factorises the small 2D three-field
        phase-field Jacobians 25 % faster (benchmarks/README.md, section 8). SuperLU
        always uses COLAMD.

    One instance holds one factorisation: ``factor`` invalidates the solve function of
    the previous call (use one instance per matrix you need at the same time).
    """

    def __init__(self, backend: str = "auto", precision: str = "auto",
                 ordering: str = "metis"):
        if backend not in ("auto", "pardiso", "superlu"):
            raise ConfigError(f"DirectSolver: backend must be 'auto', 'pardiso' or 'superlu', "
                              f"got {backend!r}.{suggest(str(backend), ['pardiso', 'superlu'])}")
        if precision not in ("auto", "double", "mixed"):
            raise ConfigError(f"DirectSolver: precision must be 'auto', 'double' or 'mixed', "
                              f"got {precision!r}."
                              f"{suggest(str(precision), ['auto', 'double', 'mixed'])}")
        if ordering not in ("metis", "minimum-degree"):
            raise ConfigError(f"DirectSolver: ordering must be 'metis' or 'minimum-degree', "
                              f"got {ordering!r}."
                              f"{suggest(str(ordering), ['metis', 'minimum-degree'])}")
        if backend == "pardiso" and not pardiso_available():
            raise ConfigError("DirectSolver: backend='pardiso' but pypardiso/MKL is not "
                              "installed here; `pip install ntransport[pardiso]` (x86-64 only) "
                              "or use backend='superlu'.")
        if backend == "auto":
            backend = "pardiso" if pardiso_available() else "superlu"
        self.backend = backend
        self.precision = precision
        self.ordering = ordering
        self._handles = {}  # PARDISO handle per precision (True: single)
        self.factorisations = 0
        self.fallbacks = 0
        self.refinement_steps = 0

    def __repr__(self):
        return (f"DirectSolver(backend={self.backend!r}, precision={self.precision!r}, "
                f"ordering={self.ordering!r})")

    def _mixed(self, A) -> bool:
        if self.precision == "double" or self.fallbacks:
            return False
        if self.precision == "auto" and (A.shape[0] < MIXED_MIN
                                         or A.nnz < MIXED_ROW_NNZ * A.shape[0]):
            return False
        return True

    def _factor(self, A, single):
        if self.backend == "pardiso":
            if single not in self._handles:
                self._handles[single] = _Pardiso(single=single, ordering=self.ordering)
            return self._handles[single].factor(A)
        return _superlu(A, single=single)

    def factor(self, A):
        """Factorise *A*; return ``solve(b, rtol=None) -> x`` (raises ConvergenceError if
        singular). ``rtol``: the caller accepts ``|b - A x|_2 <= rtol |b|_2`` (a Newton
        direction's forcing term, :mod:`ntransport.solve.newton`): a mixed-precision solve
        then stops refining there; without it, and always in double precision, x is as
        accurate as a double LU's."""
        A = _check_matrix(A, "direct solver")
        self.factorisations += 1
        anorm, mixed = 0.0, self._mixed(A)
        if mixed:  # one |A.data| for the float32 range test and the norm of the refinement
            a = np.abs(A.data)
            mixed = _float32_safe(A, a)
            anorm = _inf_norm(A, a) if mixed else 0.0
        state = {"mixed": mixed}
        state["inner"] = self._factor(A, state["mixed"])

        def solve_(b, rtol=None):
            b = np.asarray(b, dtype=float)
            x = r = None
            if state["mixed"]:
                x, steps, r = _refine(A, state["inner"], b, anorm, rtol)
                self.refinement_steps += steps
                if x is None:  # too ill-conditioned for float32 factors: double from now
                    self.fallbacks += 1
                    log.info("mixed-precision LU of a %dx%d system did not refine to double "
                             "accuracy in %d steps; factorising in double (and staying there)",
                             A.shape[0], A.shape[0], steps)
                    state["mixed"] = False
                    state["inner"] = self._factor(A, False)
            if x is None:
                x = state["inner"](b)
            x = _check_finite(x, f"direct solve ({self.backend})")
            # a zero pivot is perturbed, not reported, by PARDISO: check the residual (the
            # refinement's last one where it ran: b - A x at this x)
            r = norm2(A @ x - b if r is None else r)
            bn = norm2(b)
            if r > max(1e-6, rtol or 0.0) * max(bn, 1e-300) and bn > 0:
                raise ConvergenceError(
                    f"direct solver failed on a {A.shape[0]}x{A.shape[0]} system: relative "
                    f"residual {r / bn:.2e} after the LU solve (numerically singular matrix). "
                    "Is every subdomain connected to an electrode or a fixed potential?")
            return x

        return solve_

    def __call__(self, A, b):
        """Factorise and solve once: ``x = A^{-1} b``."""
        return self.factor(A)(b)


def _looser(own: float, rtol: float | None) -> float:
    """A CG solver's tolerance for one solve: its own, or the caller's (a Newton forcing
    term) where that is looser."""
    return own if rtol is None else max(own, rtol)


def _cg(A, b, M, rtol, maxiter, name, record=None):
    """Preconditioned CG that raises with the residual reached (iterations appended to
    *record*). *A*: the matrix, or its :class:`~.rowblocks.RowBlocks` (a factor's, made
    once for all its solves)."""
    if not np.all(np.isfinite(b)):
        raise ConvergenceError(f"{name}: the right-hand side holds NaN/inf.")
    bnorm = norm2(b)
    if bnorm == 0.0:
        return np.zeros_like(b)
    its = [0]

    def count():
        its[0] += 1

    blocks = A if isinstance(A, RowBlocks) else (
        RowBlocks(A) if sp.issparse(A) and A.format == "csr" else None)
    A = blocks.A if blocks is not None else A
    matvec = blocks.matvec if blocks is not None else spla.aslinearoperator(A).matvec
    psolve = spla.aslinearoperator(M).matvec
    # the products in row blocks on the threads this call may use (the same bits as on
    # one), CG's dot products and axpys on one BLAS thread: OpenBLAS's own threads spin
    # after each call and took the cores the row blocks need (2D CG 0.49 -> 0.41 s,
    # benchmarks/amg; cores.one_blas_thread)
    with one_blas_thread():
        x, info = pcg(matvec, psolve, b, rtol * bnorm, maxiter, count)
    res = norm2(b - A @ x) / bnorm
    if record is not None:
        record.append(its[0])
    if info != 0 or not np.isfinite(res) or res > 10 * rtol:
        raise ConvergenceError(
            f"{name} did not converge: relative residual {res:.3e} after {its[0]} iterations "
            f"(rtol={rtol:g}, maxiter={maxiter}). Try solver='direct', a larger maxiter, or "
            "check for extreme conductivity contrasts.")
    log.debug("%s converged in %d iterations, residual %.2e", name, its[0], res)
    return x


_PRECISIONS = {"double": np.float64, "single": np.float32}
_REUSE = ("none", "prolongators", "all")


class AMGSolver:
    """CG preconditioned by an AMG V-cycle (:mod:`.amg`): smoothed aggregation, or classical
    coarsening where aggregation fills in (``coarsening``).

    Parameters
    ----------
    rtol : float
        Relative residual :math:`\\|b - Ax\\|/\\|b\\|` to reach. The effective
        conductivity is an energy, so its relative error is about
        :math:`\\mathrm{rtol}^2\\kappa` (condition number :math:`\\kappa\\sim(L/h)^2`):
        ~1e-11 at rtol = 1e-8 on 1 M-element meshes (NGSolve agreement, benchmarks/).
    maxiter : int
        CG iterations before :class:`ConvergenceError` is raised.
    theta : float, optional
        Strength threshold: couplings weaker than ``theta * sqrt(a_ii a_jj)``
        (aggregation) or than ``theta * max_k(-a_ik)`` (classical) are ignored. Default
        0.05 for aggregation (halves the CG iterations of P1 composites against 0,
        benchmarks/amg) and pyamg's 0.25 for classical coarsening.
    coarsening : {"auto", "aggregation", "classical"}
        Smoothed aggregation (:func:`.amg.build_hierarchy`), classical Ruge-Stueben
        coarsening (:func:`.amg.build_classical_hierarchy`), or ``"auto"`` (the default):
        aggregation unless one of its coarse levels fills in beyond ``amg.FILL_IN`` of the
        fine level's nonzeros, then classical. Aggregation fills in on 3D voxel grids with a
        conductivity contrast, where classical solves 2-8x faster; it never does on the P1
        systems measured, which keep it (benchmarks/amg/voxel_coarsening.json).
        ``hierarchies`` lists the coarsening of every hierarchy built.
    sweeps : int
        Smoothing sweeps before and after each coarse correction.
    smoother : {"jacobi", "gauss-seidel"}
        The V-cycle's smoother (:mod:`.amg`): weighted Jacobi with
        :math:`\\omega = 4/(3\\rho(D^{-1}A))` (the default: two SpMVs a level per cycle), or
        Gauss-Seidel, forward before and backward after (fewer CG iterations, a dearer
        cycle, no eigenvalue estimate: 3-5 % faster for many small 3D solves;
        benchmarks/amg measures both).
    max_coarse : int
        Size of the coarsest level (solved exactly by Cholesky).
    truncate : float, optional
        Drop tolerance of the smoothed prolongators: entries below ``truncate`` times their
        row's largest are dropped and the row rescaled (:func:`.amg._truncated`). Default
        ``amg.TRUNCATE`` (0.1): a 3D P1 solve 13-45 % faster than with whole prolongators,
        within two CG iterations of theirs (benchmarks/amg/truncation.json); 0 keeps them
        whole.
    precision : {"single", "double"}
        Precision of the hierarchy and V-cycle. ``"single"`` halves the preconditioner's
        memory traffic; CG itself runs in double, so the solution's accuracy is set by
        `rtol` alone. If a single-precision run fails to converge, the solve is
        repeated with a double-precision hierarchy (logged) before an error is raised.
    reuse : {"none", "prolongators", "all"}
        What a later ``factor`` call on a matrix with the *same sparsity pattern* keeps:
        nothing; the prolongators (coarse matrices recomputed as :math:`P^TAP`, no
        aggregation); or the whole preconditioner (any SPD preconditioner keeps CG
        correct -- only the iteration count can grow; for Newton and time steps whose
        coefficients change a little).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> A = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(2000, 2000), format="csr")
    >>> x = AMGSolver(rtol=1e-10).factor(A)(np.ones(2000))
    >>> bool(np.linalg.norm(A @ x - 1.0) < 1e-8 * np.sqrt(2000))
    True
    """

    def __init__(self, rtol: float = 1e-8, maxiter: int = 500, *, theta: float | None = None,
                 sweeps: int = 1, max_coarse: int = 500, precision: str = "single",
                 reuse: str = "none", smoother: str = "jacobi", coarsening: str = "auto",
                 truncate: float | None = None):
        from .amg import COARSENINGS, SMOOTHERS, TRUNCATE

        if precision not in _PRECISIONS:
            raise ConfigError(f"AMGSolver: precision must be 'single' or 'double', got "
                              f"{precision!r}.{suggest(str(precision), _PRECISIONS)}")
        if reuse not in _REUSE:
            raise ConfigError(f"AMGSolver: reuse must be one of {_REUSE}, got {reuse!r}."
                              f"{suggest(str(reuse), _REUSE)}")
        if smoother not in SMOOTHERS:
            raise ConfigError(f"AMGSolver: smoother must be one of {SMOOTHERS}, got "
                              f"{smoother!r}.{suggest(str(smoother), SMOOTHERS)}")
        if coarsening not in COARSENINGS:
            raise ConfigError(f"AMGSolver: coarsening must be one of {COARSENINGS}, got "
                              f"{coarsening!r}.{suggest(str(coarsening), COARSENINGS)}")
        if theta is None:
            theta = 0.25 if coarsening == "classical" else 0.05
        if truncate is None:
            truncate = TRUNCATE
        for name, v, lo in (("rtol", rtol, 0.0), ("theta", theta, -1e-300),
                            ("truncate", truncate, -1e-300)):
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > lo and v < 1):
                raise ConfigError(f"AMGSolver: {name} must be a number in "
                                  f"{'(0, 1)' if name == 'rtol' else '[0, 1)'}, got {v!r}.")
        for name, v in (("maxiter", maxiter), ("sweeps", sweeps), ("max_coarse", max_coarse)):
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ConfigError(f"AMGSolver: {name} must be an integer >= 1, got {v!r}.")
        self.rtol, self.maxiter = float(rtol), int(maxiter)
        self.theta, self.sweeps, self.max_coarse = float(theta), int(sweeps), int(max_coarse)
        self.truncate = float(truncate)
        self.precision, self.reuse, self.smoother = precision, reuse, smoother
        self.coarsening = coarsening
        self._kept = None  # (indptr, indices, hierarchy, preconditioner) for reuse
        self.setups = 0  # full hierarchy builds (coarsening), for tests and benchmarks
        # the coarsening of each of them ("aggregation", "classical", "nested+...")
        self.hierarchies = []
        self.iterations = []  # CG iterations of every solve

    def __repr__(self):
        return (f"AMGSolver(rtol={self.rtol:g}, maxiter={self.maxiter}, theta={self.theta:g}, "
                f"sweeps={self.sweeps}, max_coarse={self.max_coarse}, "
                f"precision={self.precision!r}, reuse={self.reuse!r}, "
                f"smoother={self.smoother!r}, coarsening={self.coarsening!r}, "
                f"truncate={self.truncate:g})")

    def _preconditioner(self, A, precision, prolongator=None):
        from .amg import (
            VCycle, build_auto_hierarchy, build_classical_hierarchy, build_hierarchy,
            build_nested_hierarchy, galerkin_update,
        )

        kept = self._kept
        same = (kept is not None and self.reuse != "none" and kept[4] == precision
                and kept[0].shape == A.indptr.shape and kept[1].shape == A.indices.shape
                and np.array_equal(kept[0], A.indptr) and np.array_equal(kept[1], A.indices))
        if same and self.reuse == "all":
            return kept[3]
        if same:
            h = galerkin_update(kept[2], A)
        else:
            build = {"auto": build_auto_hierarchy, "aggregation": build_hierarchy,
                     "classical": build_classical_hierarchy}[self.coarsening]
            kw = dict(theta=self.theta, max_coarse=self.max_coarse)
            if self.coarsening != "classical":
                kw["truncate"] = self.truncate
            if prolongator is not None:
                h = build_nested_hierarchy(A, prolongator, build, **kw)
            else:
                h = build(A, **kw)
            self.setups += 1
            self.hierarchies.append(h.coarsening)
        M = VCycle(h, sweeps=self.sweeps, dtype=_PRECISIONS[precision],
                   smoother=self.smoother)
        if self.reuse != "none":  # the cycle holds what it merged; A P is not kept twice
            self._kept = (A.indptr.copy(), A.indices.copy(), replace(h, AP=None), M, precision)
        return M

    def factor(self, A, *, prolongator=None):
        """Build (or reuse) the AMG hierarchy of the SPD matrix *A*; return
        ``solve(b, rtol=None)`` (``rtol``: a looser tolerance the caller accepts, e.g. a
        Newton forcing term; CG stops at the larger of it and the solver's own).

        *prolongator*: a first coarsening the discretisation knows (n, nc) sparse, e.g.
        the P1 space inside P2 elements; the hierarchy below it is built as usual
        (:func:`.amg.build_nested_hierarchy`)."""
        A = _check_matrix(A, "AMG-CG")
        with one_blas_thread():  # the setup's row blocks get the cores (cores.py)
            M = self._preconditioner(A, self.precision, prolongator)
        Ab = RowBlocks(A)  # CG's products, for every solve of this factor
        double = []  # the double-precision cycle, built at the first solve that needs it

        def solve_(b, rtol=None):
            b = np.asarray(b, dtype=float)
            tol = _looser(self.rtol, rtol)
            its = []
            try:
                x = _cg(Ab, b, M.aslinearoperator(), tol, self.maxiter, "AMG-CG", its)
            except ConvergenceError:
                if self.precision == "double":
                    raise
                log.info("AMG-CG with a single-precision hierarchy did not converge; "
                         "retrying in double precision")
                if not double:
                    double.append(self._preconditioner(A, "double", prolongator)
                                  .aslinearoperator())
                try:
                    x = _cg(Ab, b, double[0], tol, self.maxiter, "AMG-CG", its)
                except ConvergenceError as exc:
                    raise ConvergenceError(f"{exc} (tried single- and double-precision AMG "
                                           "hierarchies)") from None
            self.iterations.append(its[-1] if its else 0)
            return x

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
        Ab = RowBlocks(A)  # CG's products, for every solve of this factor

        def solve_(b, rtol=None):
            return _cg(Ab, np.asarray(b, dtype=float), M, _looser(self.rtol, rtol),
                       self.maxiter, "Jacobi-CG")

        return solve_


class Reordered:
    """*solver* applied to the renumbered system ``A[order][:, order] y = b[order]``,
    returning ``x`` with ``x[order] = y`` (the same answer as *solver* on A).

    Why: a multi-field system (NPP: every species, then the potential) is assembled field
    by field, so the unknowns of one mesh node sit ``n`` rows apart. Numbered node by node
    instead, the same matrix factorises faster with PARDISO -- the fill-reducing ordering
    is computed either way (same fill); presumably the gain is in how the factorisation
    blocks the columns of one node together. Measured on NPP Jacobians (2 species +
    Poisson, 2 threads, minimum of 6 refactorisations + solve, quiet host): 11 k unknowns
    18 -> 17 ms, 44 k 148 -> 108 ms, 150 k 682 -> 563 ms (1 thread 1076 -> 857 ms), 480 k
    2.74 -> 2.27 s; on a slower state of the host 4-8 % at 44-150 k. The 11 k phase-field
    Jacobian 26 -> 27 ms (no gain at that size). Answers agree to round-off (1e-13).

    The data permutation is computed once per sparsity pattern (a gather per call after
    that), so PARDISO's analysis of the renumbered pattern is reused as usual.

    Parameters
    ----------
    solver : object with ``factor(A)``
        Usually a :class:`DirectSolver` (shared across runs to keep its analysis).
    order : int array
        A permutation of ``range(n)``: position k of the renumbered system holds unknown
        ``order[k]`` of the original one.
    """

    def __init__(self, solver, order):
        order = np.asarray(order)
        if order.ndim != 1 or order.dtype.kind not in "iu" or not np.array_equal(
                np.sort(order), np.arange(order.size)):
            raise ConfigError(f"Reordered: order must be a permutation of range(n) (a 1D "
                              f"integer array holding every index once), got "
                              f"{order.dtype} array of shape {order.shape}.")
        self.solver = solver
        self.order = order.astype(np.intp)
        self._pattern = None

    def __repr__(self):
        return f"Reordered({self.solver!r}, order of {self.order.size})"

    @property
    def factorisations(self):
        """The wrapped solver's factorisation count (DirectSolver)."""
        return getattr(self.solver, "factorisations", None)

    def _permuted(self, A):
        if not _same_pattern(self._pattern, A):
            # renumber the positions 1..nnz once (no zero an operation could drop); their
            # new order is the gather map
            pos = sp.csr_matrix((np.arange(1, A.nnz + 1, dtype=float), A.indices, A.indptr),
                                shape=A.shape)
            P = pos[self.order][:, self.order].tocsr()
            P.sort_indices()
            if P.nnz != A.nnz:  # cannot happen for a permutation; never solve a wrong matrix
                raise RuntimeError(f"Reordered: {A.nnz} entries became {P.nnz}.")
            self._map = P.data.astype(np.intp) - 1
            self._new = (P.indptr, P.indices)
            self._pattern = (A.indptr.copy(), A.indices.copy())
        return sp.csr_matrix((A.data[self._map], self._new[1], self._new[0]), shape=A.shape)

    def factor(self, A):
        """Factorise the renumbered *A*; return ``solve(b, rtol=None) -> x`` in the original
        numbering (``rtol`` is passed on)."""
        A = _check_matrix(A, "Reordered")
        if A.shape[0] != self.order.size:
            raise ConfigError(f"Reordered: the matrix has {A.shape[0]} unknowns but the order "
                              f"{self.order.size}; build the Reordered solver for this system.")
        inner = self.solver.factor(self._permuted(A))
        order = self.order

        def solve_(b, rtol=None):
            b = np.asarray(b, dtype=float)
            y = inner(b[order], rtol=rtol)
            x = np.empty_like(y)
            x[order] = y
            return x

        return solve_

    def __call__(self, A, b):
        """Factorise and solve once."""
        return self.factor(A)(b)


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
