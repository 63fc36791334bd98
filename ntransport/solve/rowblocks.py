"""Sparse products split by rows over the threads a call may use: the kernels of AMG-CG.

A CSR product ``y = A x`` computes every row on its own, so the rows can be cut into
blocks of about equal nonzeros and each block computed by scipy's compiled kernel in its
own thread (the kernel releases the interpreter lock). Every row is then summed in the
same order as by ``A @ x``: the answers are the same **bit for bit** whatever the number
of threads, and a run repeats its bits on any machine.

How many threads: :func:`ntransport.cores.kernel_threads` (the usable cores, limited by
``OMP_NUM_THREADS``, 1 outside the main thread of the main process), but never blocks of
fewer than :data:`BLOCK_NNZ` nonzeros: below that a thread hand-off (~20-50 us) costs more
than it saves, so a matrix of fewer than ``2 * BLOCK_NNZ`` nonzeros stays on one thread.
On one thread every product is the plain ``A @ x``.

The sparse-sparse products of the AMG setup (:meth:`RowBlocks.matmat`) are split the same
way: a row of ``A @ B`` depends only on that row of *A*.

Measured (``benchmarks/amg/threads_ab*.json``, 2 threads against 1, interleaved, the 1 M-
element conduction systems): one SpMV 2.2-6.4 -> 1.2-4.0 ms, the CG 12-28 % and the
hierarchy's setup 20-26 % faster, the same bits; on a loaded host the gain shrinks (the
second core is then shared).

The kernel is scipy's ``csr_matvec`` (``scipy.sparse._sparsetools``, the one ``A @ x``
calls, present since scipy 1.8); if a scipy release drops it, every product falls back
to one thread.
"""
from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from ..cores import kernel_threads

__all__ = ["RowBlocks", "BLOCK_NNZ"]

#: the fewest nonzeros a thread's block may have (a hand-off costs ~20-50 us, a product of
#: 1e5 nonzeros ~0.1 ms)
BLOCK_NNZ = 100_000

try:
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - a future scipy without the private kernel
    _csr_matvec = None


@functools.cache
def _pool(workers: int, pid: int) -> ThreadPoolExecutor:
    """The worker threads (one pool per size and process: a forked child inherits the
    parent's pool object but not its threads)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ntransport-rows")


class RowBlocks:
    """The CSR matrix *A* cut into row blocks of about equal nonzeros, one per thread.

    ``threads``: how many blocks at most (default :func:`~ntransport.cores.kernel_threads`);
    no block has fewer than :data:`BLOCK_NNZ` nonzeros. ``A`` itself is kept and not copied;
    the blocks are views of its index and value arrays (plus a shifted copy of each
    block's row pointers).
    """

    def __init__(self, A, threads: int | None = None):
        if not sp.issparse(A) or A.format != "csr":
            raise TypeError(f"RowBlocks: A must be a scipy CSR matrix, got {type(A).__name__}.")
        self.A = A
        self.shape = A.shape
        self.dtype = A.dtype
        n = self.count(A.nnz, A.shape[0], threads)
        cuts = np.searchsorted(A.indptr, np.arange(1, n) * (A.nnz / n))
        cuts = np.unique(np.concatenate([[0], np.clip(cuts, 0, A.shape[0]), [A.shape[0]]]))
        if cuts.size == 1:  # no rows: one empty block
            cuts = np.array([0, 0])
        self.blocks = []
        for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
            ip = A.indptr[lo:hi + 1]
            a, b = int(ip[0]), int(ip[-1])
            self.blocks.append((lo, hi, ip - ip[0], A.indices[a:b], A.data[a:b]))
        self.threads = len(self.blocks)

    @staticmethod
    def count(nnz: int, nrows: int, threads: int | None = None) -> int:
        """How many blocks a matrix of *nnz* nonzeros and *nrows* rows is cut into (what
        ``RowBlocks(A).threads`` will be), without cutting it."""
        n = threads if threads is not None else kernel_threads()
        n = max(1, min(int(n), nnz // BLOCK_NNZ, nrows))
        return n if _csr_matvec is not None else 1

    def __repr__(self):
        return (f"RowBlocks({self.shape[0]}x{self.shape[1]}, nnz={self.A.nnz}, "
                f"threads={self.threads})")

    def _run(self, job):
        """``job(block)`` for every block: the first on this thread, the others on the pool."""
        if self.threads == 1:
            job(self.blocks[0])
            return
        pool = _pool(self.threads - 1, os.getpid())
        futures = [pool.submit(job, blk) for blk in self.blocks[1:]]
        job(self.blocks[0])
        for f in futures:
            f.result()

    def _product(self, blk, x, y):
        """``y[lo:hi] = A[lo:hi] x`` (``y[lo:hi]`` zero on entry: the kernel accumulates)."""
        lo, hi, ip, ind, dat = blk
        _csr_matvec(hi - lo, self.shape[1], ip, ind, dat, x, y[lo:hi])

    def matvec(self, x):
        """``A x``, bit for bit the same as ``A @ x``."""
        if self.threads == 1:
            return self.A @ x
        x = np.ascontiguousarray(x, dtype=np.result_type(self.dtype, x.dtype)).ravel()
        y = np.zeros(self.shape[0], dtype=x.dtype)
        self._run(lambda blk: self._product(blk, x, y))
        return y

    def residual(self, b, x):
        """``b - A x`` (as ``np.subtract(b, A @ x)``)."""
        if self.threads == 1:
            r = self.A @ x
            np.subtract(b, r, out=r)
            return r
        r = np.zeros(self.shape[0], dtype=np.result_type(self.dtype, x.dtype))

        def job(blk):
            self._product(blk, x, r)
            lo, hi = blk[0], blk[1]
            np.subtract(b[lo:hi], r[lo:hi], out=r[lo:hi])

        self._run(job)
        return r

    def jacobi(self, w, b, x):
        """One weighted-Jacobi sweep, ``x + w (b - A x)``, as a new vector (every block
        reads the old *x*)."""
        if self.threads == 1:
            r = self.residual(b, x)
            r *= w
            r += x
            return r
        out = np.zeros(self.shape[0], dtype=np.result_type(self.dtype, x.dtype))

        def job(blk):
            self._product(blk, x, out)
            lo, hi = blk[0], blk[1]
            r = out[lo:hi]
            np.subtract(b[lo:hi], r, out=r)
            r *= w[lo:hi]
            r += x[lo:hi]

        self._run(job)
        return out

    def matmat(self, B):
        """``A @ B`` for a sparse *B* (CSR; indices not sorted, as scipy's product leaves
        them): each block's rows multiplied in its own thread by scipy's own product, whose
        rows depend only on the same rows of *A*, so the bits are those of ``A @ B``."""
        if self.threads == 1:
            return sp.csr_matrix(self.A @ B)
        B = sp.csr_matrix(B)
        products = {}

        def job(blk):
            lo, hi, ip, ind, dat = blk
            block = sp.csr_matrix((dat, ind, ip), shape=(hi - lo, self.shape[1]))
            products[lo] = sp.csr_matrix(block @ B)

        self._run(job)
        # stack the blocks' products into one CSR matrix, each block freed once copied: the
        # result's pages are written only as the blocks' are released (np.empty commits no
        # memory), so the peak stays near one product plus one block, not two products
        parts = [products.pop(lo) for lo, *_ in self.blocks]
        nnz = sum(p.nnz for p in parts)
        idx = np.int64 if nnz >= np.iinfo(np.int32).max or max(
            p.indices.dtype.itemsize for p in parts) > 4 else np.int32
        data = np.empty(nnz, dtype=np.result_type(*[p.dtype for p in parts]))
        indices = np.empty(nnz, dtype=idx)
        indptr = np.empty(self.shape[0] + 1, dtype=idx)
        indptr[0] = 0
        at = 0
        for (lo, hi, *_), i in zip(self.blocks, range(len(parts))):
            p, parts[i] = parts[i], None
            data[at:at + p.nnz] = p.data
            indices[at:at + p.nnz] = p.indices
            indptr[lo + 1:hi + 1] = p.indptr[1:] + at
            at += p.nnz
            del p
        return sp.csr_matrix((data, indices, indptr), shape=(self.shape[0], B.shape[1]))
