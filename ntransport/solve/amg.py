r"""Smoothed-aggregation AMG in CSR, and its V-cycle: the preconditioner of `AMGSolver`.

For a scalar SPD matrix :math:`A` (P1 conduction, Poisson) one level is built as in
pyamg's ``smoothed_aggregation_solver`` with the constant near-nullspace,

.. math::

    C = \{(i,j): |a_{ij}| \ge \theta\sqrt{|a_{ii} a_{jj}|}\}, \qquad
    T = \text{aggregates of } C \text{ (columns normalised)}, \\
    P = (I - \omega D^{-1} A)\,T, \quad D_{ii} = \textstyle\sum_j |a_{ij}|, \qquad
    A_c = P^T A P,

but every matrix stays CSR (scipy's compiled kernels): pyamg works on 1x1-block BSR
matrices, whose ``abs()`` calls scipy's pure-Python ``sum_duplicates`` -- seconds per
level at 1 M unknowns. Strength and aggregation are pyamg's compiled kernels.

:math:`P` is then truncated (:func:`_truncated`, ``truncate=0.1`` by default): entries
below a tenth of their row's largest are dropped and the row rescaled so that it still
interpolates the near-nullspace. The smoothing's small far entries filled the 3D coarse
levels (operator complexity 1.40 -> 1.22 on the 1 M-element P1 system, 62 -> 39 entries a
row at level 1) for no gain in iterations: a 3D P1 solve is 13-45 % faster, and fourteen
hard problems take 0.55-1.00 of their time (benchmarks/amg/truncation.json).

:func:`build_classical_hierarchy` builds a classical (Ruge-Stueben) hierarchy instead, with
pyamg's ``ruge_stuben_solver``, and :func:`build_auto_hierarchy` (``AMGSolver``'s default)
falls back to it when aggregation's coarse levels fill in, as they do on 3D voxel grids
with a conductivity contrast. :func:`build_nested_hierarchy` puts a prolongator the
discretisation knows on top (the P1 functions inside P2 elements: p-multigrid), and
either coarsening below it.

The V-cycle (:class:`VCycle`) smooths ``sweeps`` times before and after the coarse
correction, with the same smoother both ways so that the preconditioner is symmetric, as
CG needs, an exact (Cholesky) solve on the coarsest level, and no residual norms (pyamg's
``aspreconditioner`` computes two per application, two extra fine-level SpMVs). The
smoother is either

* ``"jacobi"`` (the default): weighted Jacobi :math:`x \leftarrow x + \omega D^{-1}(b -
  Ax)` with :math:`\omega = 4/(3\rho(D^{-1}A))` per level, :math:`\rho` estimated once
  per level by ARPACK's Lanczos (:func:`jacobi_weight`). Its first sweep from the zero
  guess is :math:`\omega D^{-1} b` (no product), every other sweep one SpMV: a cycle of
  one sweep each way costs two SpMVs per level; or
* ``"gauss-seidel"``: forward sweeps before, backward sweeps after, with pyamg's compiled
  ``gauss_seidel`` kernel (~1.5 SpMVs a sweep; a stronger smoother, a dearer cycle).

Measured on the 1 M-element 2D and 3D conduction systems (benchmarks/amg, one thread,
interleaved): Jacobi's cycle costs ~60 % of Gauss-Seidel's and CG needs 25 / 21
iterations instead of 20 / 15, so CG is ~20 % faster in 2D and 5-8 % faster in 3D, while
the weights' Lanczos adds 0.04-0.07 s to the setup (one fresh solve: a wash); a
preconditioner kept across steps (``AMGSolver(reuse="all")``) pays that once. On small 3D
systems (15-31 k unknowns) the Lanczos is not repaid: a solve is 3-5 % slower than with
Gauss-Seidel. The prolongation is ``R.T``, a CSC view of the restriction: its product
loops over the coarse columns, 2.4x faster than a CSR ``P`` over the fine rows.

Where ``A P`` is sparser than the level matrix (`MERGE_BELOW`: the 2D P1 levels; with
truncated prolongators the 3D ones too), a Jacobi cycle of one sweep each way merges its
post-sweep into the prolongation (:meth:`VCycle._merged`): the same preconditioner with
one fine-level SpMV and the prolongation replaced by one product with
:math:`P_t = P - \operatorname{diag}(w) A P` (CG on the 1 M-element 2D system 13-17 %
faster; ``A P`` is the Galerkin product's right factor, kept for it).

The products by A and R run in row blocks on the threads a call may use
(:mod:`.rowblocks`: the same bits on any number of threads); the Gauss-Seidel sweeps and
the prolongation's column loop stay on one.

``dtype=np.float32`` keeps the whole hierarchy in single precision (mixed-precision
preconditioning: half the memory traffic; the CG iteration itself stays in double, so
the accuracy of the solution is unchanged).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .rowblocks import RowBlocks

log = logging.getLogger(__name__)

__all__ = ["Hierarchy", "build_hierarchy", "build_classical_hierarchy", "build_auto_hierarchy",
           "build_nested_hierarchy", "galerkin_update", "VCycle", "SMOOTHERS", "COARSENINGS",
           "FILL_IN", "jacobi_weight"]

#: the V-cycle's smoothers (:class:`VCycle`)
SMOOTHERS = ("jacobi", "gauss-seidel")
#: how a hierarchy is built: :func:`build_auto_hierarchy`, :func:`build_hierarchy` or
#: :func:`build_classical_hierarchy`
COARSENINGS = ("auto", "aggregation", "classical")
#: aggregation "fills in" when a coarse level holds more nonzeros than this share of the
#: fine level's: its densest level holds 1.31-2.54x the fine level's on 3D voxel grids with
#: contrasts 1e2-1e8, where classical coarsening is 2-8x faster; at most 0.87x on 2D voxel
#: grids (contrasts up to 1e8), 0.53-0.55x on homogeneous 3D grids and the image case's
#: voxel systems, 0.30x on the P1 systems, where aggregation is the faster
#: (benchmarks/amg/voxel_coarsening.json)
FILL_IN = 1.0
#: the V-cycle merges a level's post-smoothing into its prolongation (:class:`VCycle`) where
#: ``A P`` holds at most this share of the level matrix's nonzeros. On the 1 M-element P1
#: systems with whole prolongators: 0.54-0.69 in 2D, where CG is 13-17 % faster merged;
#: 0.77-1.00 in 3D, where it was 2-4 % slower (a cold product with as many entries as the
#: hot SpMV it replaces). With the default truncation 0.45-0.63 (2D) and 0.45-0.70 (3D):
#: all merge (benchmarks/amg/truncation.json, README section 2)
MERGE_BELOW = 0.75
#: drop tolerance of the smoothed prolongators (:func:`_truncated`)
TRUNCATE = 0.1


@dataclass
class Hierarchy:
    """Matrices of every level: ``A[0]`` the fine matrix, ``P[k]``/``R[k]`` between
    levels k and k+1 (``R = P^T``)."""

    A: list
    P: list
    R: list
    coarsening: str = "aggregation"
    #: per level ``A[k] P[k]`` (the Galerkin product's right factor) where the V-cycle
    #: merges its post-smoothing into the prolongation (`MERGE_BELOW`), else None (given as
    #: None: no level merges)
    AP: list | None = None

    def __post_init__(self):
        if self.AP is None:
            self.AP = [None] * len(self.P)

    @property
    def operator_complexity(self) -> float:
        """Sum of the nonzeros of all level matrices over those of the fine matrix."""
        return sum(a.nnz for a in self.A) / self.A[0].nnz

    @property
    def sizes(self) -> list[int]:
        return [a.shape[0] for a in self.A]


def _csr(M, dtype=None):
    M = sp.csr_matrix(M)
    M.sum_duplicates()
    M.sort_indices()
    if M.indices.dtype != np.int32 and M.nnz < 2**31 and M.shape[0] < 2**31:
        M.indices = M.indices.astype(np.int32)
        M.indptr = M.indptr.astype(np.int32)
    if dtype is not None and M.dtype != dtype:
        M = M.astype(dtype)
    return M


def _tentative(C, B) -> tuple[sp.csr_matrix, np.ndarray]:
    """Aggregation of the strength graph *C* and the tentative prolongator that
    interpolates the near-nullspace vector *B* exactly: ``T[i, j] = B[i] / |B_j|`` on
    aggregate *j*; returns ``(T, B_coarse)`` with ``B_coarse[j] = |B_j|`` (the QR of
    pyamg's ``fit_candidates`` for one candidate)."""
    from pyamg.aggregation import standard_aggregation

    agg, _ = standard_aggregation(C)
    agg = sp.csr_matrix(agg)
    rows = np.repeat(np.arange(agg.shape[0]), np.diff(agg.indptr))
    norm = np.sqrt(np.bincount(agg.indices, weights=B[rows] ** 2, minlength=agg.shape[1]))
    T = sp.csr_matrix((B[rows] / norm[agg.indices], agg.indices, agg.indptr), shape=agg.shape)
    return T, norm


def _smoothed_prolongator(Ab, T, omega) -> sp.csr_matrix:
    """:math:`P = T - \\omega D^{-1} A T` with the Gershgorin row weights of pyamg's
    ``weighting='local'`` (no spectral-radius iteration); *Ab*: ``RowBlocks(A)``."""
    d = np.asarray(abs(Ab.A).sum(axis=1)).ravel()
    dinv = np.zeros_like(d)
    dinv[d != 0] = 1.0 / d[d != 0]
    AT = Ab.matmat(T)
    AT.data *= np.repeat(omega * dinv, np.diff(AT.indptr))  # diag(omega D^-1) AT, same bits
    return _csr(T - AT)


def _truncated(P, B, eps) -> sp.csr_matrix:
    """*P* with the entries below *eps* times their row's largest magnitude dropped, and
    each row rescaled so that it interpolates the coarse near-nullspace *B* as before
    (``(P B)_i`` unchanged; rows whose ``P B`` or truncated sum is 0 keep their scale): the
    truncation of interpolation of classical AMG (Stueben 2001; hypre's ``trunc_factor``)
    applied to the smoothed prolongator.

    The smoothing spreads each aggregate's basis function over its neighbours with small
    weights; those entries fill the coarse matrices (3D P1: 62 entries a row at level 1)
    and cost every cycle more than they buy (benchmarks/amg/truncation.json)."""
    from pyamg.util.utils import filter_matrix_rows

    Q = _csr(filter_matrix_rows(P, eps))  # pyamg's compiled row filter
    before, after = P @ B, Q @ B
    scale = np.ones_like(before)
    ok = (after != 0) & (before != 0)
    scale[ok] = before[ok] / after[ok]
    Q.data *= np.repeat(scale, np.diff(Q.indptr))
    return Q


def _galerkin(Ab, P, R) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
    """The coarse matrix ``R (A P)`` (*Ab*: ``RowBlocks(A)``), both products in row blocks
    over the threads a call may use (:mod:`.rowblocks`: the same bits as on one thread),
    and ``A P`` itself if the cycle merges this level (`MERGE_BELOW`), else None."""
    AP = Ab.matmat(P)
    Ac = _csr(RowBlocks(R).matmat(AP))
    return Ac, (AP if AP.nnz <= MERGE_BELOW * Ab.A.nnz else None)


def build_hierarchy(A, *, theta: float = 0.05, max_coarse: int = 500, max_levels: int = 20,
                    omega: float = 4.0 / 3.0, max_fill: float | None = None,
                    truncate: float = TRUNCATE) -> Hierarchy | None:
    """Smoothed-aggregation hierarchy of the SPD CSR matrix *A* (double precision); None
    as soon as a coarse level holds more than *max_fill* times the nonzeros of *A*.
    *truncate*: drop tolerance of the prolongators (:func:`_truncated`; 0 keeps them
    whole)."""
    from pyamg.strength import symmetric_strength_of_connection

    A = _csr(A, np.float64)
    As, Ps, Rs, APs = [A], [], [], []
    B = np.ones(A.shape[0])  # the near-nullspace of a scalar diffusion operator
    while As[-1].shape[0] > max_coarse and len(As) < max_levels:
        Ak = As[-1]
        C = symmetric_strength_of_connection(Ak, theta)
        T, B = _tentative(C, B)
        if T.shape[1] == 0 or T.shape[1] >= Ak.shape[0]:
            break  # no coarsening possible (e.g. a diagonal matrix)
        Ab = RowBlocks(Ak)  # both products of the level by Ak share its row blocks
        P = _smoothed_prolongator(Ab, T, omega)
        if truncate > 0:
            P = _truncated(P, B, truncate)
        R = _csr(P.T)
        Ps.append(P)
        Rs.append(R)
        Ac, AP = _galerkin(Ab, P, R)
        As.append(Ac)
        APs.append(AP)
        if max_fill is not None and As[-1].nnz > max_fill * A.nnz:
            log.info("AMG: smoothed aggregation fills in (level %d holds %.2f of the fine "
                     "level's nonzeros)", len(As) - 1, As[-1].nnz / A.nnz)
            return None
    return Hierarchy(As, Ps, Rs, AP=APs)


def build_classical_hierarchy(A, *, theta: float = 0.25, max_coarse: int = 500,
                              max_levels: int = 20) -> Hierarchy:
    """Classical (Ruge-Stueben) hierarchy of the SPD CSR M-matrix *A*: pyamg's
    ``ruge_stuben_solver`` (classical strength, RS C/F splitting, classical interpolation;
    compiled kernels), its levels kept as CSR for :class:`VCycle`.

    For the two-point-flux matrices of 3D voxel grids with a conductivity contrast, where
    smoothed aggregation's coarse matrices fill in (operator complexity 4-8 against
    2.6-2.9) and a solve costs 2-8x more with it (52 s against 8.0 s at 96^3 near the
    percolation threshold; ``benchmarks/amg/voxel_coarsening.json``):
    :func:`build_auto_hierarchy` falls back to it there. On the P1 finite-element systems
    aggregation needs 2-3.5x fewer CG iterations.
    """
    import pyamg

    A = _csr(A, np.float64)
    ml = pyamg.ruge_stuben_solver(A, strength=("classical", {"theta": theta}),
                                  max_coarse=max_coarse, max_levels=max_levels, keep=False)
    levels = ml.levels
    return Hierarchy([_csr(lv.A, np.float64) for lv in levels],
                     [_csr(lv.P, np.float64) for lv in levels[:-1]],
                     [_csr(lv.R, np.float64) for lv in levels[:-1]], "classical")


def build_auto_hierarchy(A, *, theta: float = 0.05, max_coarse: int = 500,
                         truncate: float = TRUNCATE) -> Hierarchy:
    """Smoothed aggregation (strength *theta*), unless a coarse level fills in beyond
    `FILL_IN` of the fine level's nonzeros: then a classical hierarchy (its own default
    strength) instead. The abandoned levels cost little next to what they save: on a 96^3
    voxel grid near the percolation threshold the whole aggregation setup took 52 s, the
    classical solve 8 s (benchmarks/amg/voxel_coarsening.json)."""
    h = build_hierarchy(A, theta=theta, max_coarse=max_coarse, max_fill=FILL_IN,
                        truncate=truncate)
    return h if h is not None else build_classical_hierarchy(A, max_coarse=max_coarse)


def build_nested_hierarchy(A, P, build=build_auto_hierarchy, **kw) -> Hierarchy:
    """A hierarchy whose first coarsening is the given prolongator *P* (n, nc) -- a
    coarse space the discretisation knows, e.g. the P1 functions inside P2 elements
    (p-multigrid) -- and *build* (``**kw``) on the Galerkin coarse matrix below it.

    For P2 conduction, P maps the free vertex values to the free P2 dofs (an edge dof the
    mean of its two vertices): one sparse Galerkin product instead of aggregating and
    smoothing a prolongator on the P2 matrix. Measured on a 3D composite (789 k P2
    unknowns): see :func:`ntransport.solve.conduction_p2.p1_prolongator`."""
    A = _csr(A, np.float64)
    P = _csr(P, np.float64)
    if P.shape[0] != A.shape[0] or P.shape[1] >= A.shape[0]:
        raise ValueError(f"build_nested_hierarchy: the prolongator must map fewer unknowns "
                         f"onto the matrix's {A.shape[0]}, got shape {P.shape}.")
    R = _csr(P.T)
    Ac, AP = _galerkin(RowBlocks(A), P, R)
    inner = build(Ac, **kw)
    return Hierarchy([A] + inner.A, [P] + inner.P, [R] + inner.R,
                     f"nested+{inner.coarsening}", [AP] + inner.AP)


def galerkin_update(h: Hierarchy, A) -> Hierarchy:
    """Same prolongators, new fine matrix (same sparsity): coarse matrices
    :math:`A_{k+1} = R_k A_k P_k` recomputed, aggregation and smoothing of P skipped.

    The reuse a Newton or time loop can afford while the pattern (and roughly the
    coefficients) hold; the preconditioner stays SPD, so CG stays correct, only the
    iteration count can grow."""
    As, APs = [_csr(A, np.float64)], []
    for P, R in zip(h.P, h.R):
        Ac, AP = _galerkin(RowBlocks(As[-1]), P, R)
        As.append(Ac)
        APs.append(AP)
    return Hierarchy(As, h.P, h.R, h.coarsening, APs)


def jacobi_weight(A, *, tol: float = 0.1, blocks: RowBlocks | None = None) -> np.ndarray:
    r""":math:`\omega D^{-1}` of the weighted-Jacobi smoother of the SPD matrix *A*, with
    :math:`\omega = 4/(3\rho)` and :math:`\rho` the largest eigenvalue of :math:`D^{-1}A`
    (that of the symmetric :math:`D^{-1/2}AD^{-1/2}`): the classical smoothing weight
    (it damps the upper two thirds of the spectrum; Jacobi converges for any
    :math:`\omega\rho < 2`).

    :math:`\rho` comes from ARPACK's Lanczos (``scipy.sparse.linalg.eigsh``, relative
    accuracy *tol*, a fixed start vector so a run repeats bit for bit; ~10 products, in
    the precision of *A*: a float32 matrix gives the same three digits of :math:`\rho`
    at two thirds of the time) and from a dense eigensolver below 64 unknowns. A Ritz
    value never exceeds :math:`\rho`, so the estimate errs low by at most ~*tol*:
    :math:`\omega\rho \le 4/(3(1 - tol))`, 1.48 at the default, well inside 2.
    *blocks*: the :class:`~.rowblocks.RowBlocks` of *A* if the caller has them already.
    """
    import scipy.sparse.linalg as spla

    given, A = A, sp.csr_matrix(A)
    if A.dtype not in (np.float32, np.float64):
        A = A.astype(np.float64)
    d = A.diagonal().astype(np.float64)
    if np.any(d < 0) or not np.any(d > 0):
        raise ValueError(f"jacobi_weight: {int(np.sum(d < 0))} negative and "
                         f"{int(np.sum(d == 0))} zero diagonal entries of {d.size}: the "
                         "matrix is not SPD (use the 'gauss-seidel' smoother or a direct "
                         "solver).")
    live = d > 0  # rows without a positive diagonal (none in an SPD matrix) are not smoothed,
    s = np.zeros_like(d)  # as pyamg's Gauss-Seidel skips zero diagonals
    s[live] = 1.0 / np.sqrt(d[live])
    n = A.shape[0]
    if n < 64:
        rho = float(np.linalg.eigvalsh(A.astype(np.float64).multiply(np.outer(s, s))
                                       .toarray())[-1])
    else:
        sa = s.astype(A.dtype)
        # the caller's row blocks of this very matrix (a V-cycle's), else new ones
        Ab = (blocks if blocks is not None and blocks.A is given and given.dtype == A.dtype
              else RowBlocks(A))
        op = spla.LinearOperator(A.shape, matvec=lambda v: sa * Ab.matvec(sa * np.ravel(v)),
                                 dtype=A.dtype)
        v0 = np.random.default_rng(0).random(n).astype(A.dtype)
        rho = float(spla.eigsh(op, k=1, which="LA", tol=tol, v0=v0, ncv=min(n - 1, 8),
                               return_eigenvectors=False)[0])
    if not (np.isfinite(rho) and rho > 0):
        raise ValueError(f"jacobi_weight: the largest eigenvalue of D^-1 A came out as {rho!r}; "
                         "the matrix is not SPD (use the 'gauss-seidel' smoother or a direct "
                         "solver).")
    return s * s * (4.0 / (3.0 * rho))


def _merged_prolongator(R, AP, w, dtype):
    r""":math:`P_t = P - \operatorname{diag}(w) A P` with :math:`P = R^T` (computed in double,
    kept in *dtype*): the prolongation and the post-sweep of a Jacobi V-cycle in one product
    (:meth:`VCycle._merged`). Built in CSC (``R.T`` is one without a copy; 39 against 65 ms
    through CSR at the 1 M-element 2D fine level) and kept for its product: CSC on one thread
    (a loop over the coarse columns like ``R.T``'s: 1.5 against 2.9 ms for CSR on that
    level), CSR in row blocks where the products run on several threads (2D CG 0.35 against
    0.37 s with CSC on two threads; benchmarks/amg)."""
    APc = AP.tocsc()  # sorted row indices in every column
    APc.data *= np.asarray(w, np.float64)[APc.indices]
    Pt = R.T - APc
    Pt = sp.csc_matrix((Pt.data.astype(dtype), Pt.indices, Pt.indptr), shape=Pt.shape)
    if RowBlocks.count(Pt.nnz, Pt.shape[0]) > 1:
        return RowBlocks(_csr(Pt.tocsr()))
    return Pt


@dataclass
class VCycle:
    """One V-cycle as a linear operator ``M(r) ~ A^{-1} r`` (SPD for SPD *A*).

    Parameters
    ----------
    h : Hierarchy
    sweeps : int
        Smoothing sweeps before and after the coarse correction.
    dtype : numpy dtype
        Precision of the hierarchy and of the cycle (``np.float32``: mixed precision).
    smoother : {"jacobi", "gauss-seidel"}
        Weighted Jacobi (:func:`jacobi_weight`; the same sweeps before and after) or
        Gauss-Seidel (forward before, backward after).
    """

    def __init__(self, h: Hierarchy, *, sweeps: int = 1, dtype=np.float64,
                 smoother: str = "jacobi"):
        from pyamg import amg_core

        if smoother not in SMOOTHERS:
            raise ValueError(f"VCycle: smoother must be one of {SMOOTHERS}, got {smoother!r}.")
        self._gs = amg_core.gauss_seidel
        self.smoother = smoother
        self.dtype = np.dtype(dtype)
        self.sweeps = int(sweeps)
        self.A = [_csr(a, self.dtype) for a in h.A]
        self.R = [_csr(r, self.dtype) for r in h.R]
        # the prolongation as R^T, a CSC view of R (no copy): a product loops over the coarse
        # columns (~25 entries each in 2D) instead of the fine rows (~2.5 each), 0.89-1.02
        # against 2.44 ms at 484 k x 49 k (float32, one thread)
        self.P = [r.T for r in self.R]
        # the products by A and R in row blocks over the threads this call may use (the
        # same bits as on one thread; rowblocks); the prolongation's column loop stays whole
        self._Ab = [RowBlocks(a) for a in self.A[:-1]]
        self._Rb = [RowBlocks(r) for r in self.R]
        self.W = ([jacobi_weight(a, blocks=ab).astype(self.dtype)
                   for a, ab in zip(self.A[:-1], self._Ab)]
                  if smoother == "jacobi" else None)
        self._Pt = [None] * len(self.P)
        if self.W is not None and self.sweeps == 1:
            for k, AP in enumerate(h.AP):
                if AP is not None:
                    self._Pt[k] = _merged_prolongator(h.R[k], AP, self.W[k], self.dtype)
        coarse = h.A[-1].toarray()
        self._coarse_n = coarse.shape[0]
        try:
            self._chol = sla.cho_factor(coarse, lower=True, check_finite=False)
            self._pinv = None
        except np.linalg.LinAlgError:  # singular coarse matrix (pure Neumann): pseudo-inverse
            self._chol = None
            self._pinv = np.linalg.pinv(coarse)
        self.shape = h.A[0].shape

    @property
    def operator_complexity(self) -> float:
        return sum(a.nnz for a in self.A) / self.A[0].nnz

    def _coarse(self, b):
        b = b.astype(np.float64)
        x = sla.cho_solve(self._chol, b, check_finite=False) if self._chol else self._pinv @ b
        return x.astype(self.dtype)

    def _cycle(self, lvl, b):
        if lvl == len(self.A) - 1:
            return self._coarse(b)
        if self._Pt[lvl] is not None:
            return self._merged(lvl, b)
        A, Ab = self.A[lvl], self._Ab[lvl]
        n = A.shape[0]
        if self.W is not None:
            w = self.W[lvl]
            x = w * b  # the first sweep from x = 0
            for _ in range(self.sweeps - 1):
                x = Ab.jacobi(w, b, x)
        else:
            x = np.zeros(n, dtype=self.dtype)
            for _ in range(self.sweeps):
                self._gs(A.indptr, A.indices, A.data, x, b, 0, n, 1)
        r = Ab.residual(b, x)
        x += self.P[lvl] @ self._cycle(lvl + 1, self._Rb[lvl].matvec(r))
        for _ in range(self.sweeps):
            if self.W is not None:
                x = Ab.jacobi(self.W[lvl], b, x)
            else:
                self._gs(A.indptr, A.indices, A.data, x, b, n - 1, -1, -1)
        return x

    def _merged(self, lvl, b):
        """One Jacobi sweep each way with the post-sweep merged into the prolongation:
        ``x1 = w b``, ``r = b - A x1``, ``e`` the coarse correction of ``R r``; the post-sweep
        of ``x1 + P e`` is ``x1 + P e + w (r - A P e) = w (b + r) + Pt e``."""
        w = self.W[lvl]
        r = self._Ab[lvl].residual(b, w * b)
        e = self._cycle(lvl + 1, self._Rb[lvl].matvec(r))
        r += b
        r *= w
        Pt = self._Pt[lvl]
        r += Pt.matvec(e) if isinstance(Pt, RowBlocks) else Pt @ e
        return r

    def __call__(self, r):
        b = np.ascontiguousarray(r, dtype=self.dtype).ravel()
        return self._cycle(0, b).astype(np.float64, copy=False)

    def aslinearoperator(self):
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(self.shape, matvec=self, dtype=np.float64)
