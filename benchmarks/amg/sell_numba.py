"""A SIMD-friendly sparse format for the SpMV, tried with numba (not a dependency of
ntransport: ``pip install numba`` into the benchmark environment to run this).

The AMG-CG target of issue #15 asks for kernels near the memory bandwidth; scipy's CSR SpMV
runs at 2-3x the copy-bandwidth floor on one thread. Does a SELL-C-sigma layout (rows in
chunks of C, the chunk's entries stored column-major so the inner loop runs over C rows at
once and a compiler can vectorise it; sigma = 1, padding with explicit zeros) or a plain
numba CSR loop beat scipy's compiled kernel? Also measured: the single-thread read
bandwidth by three kernels (``np.add.reduce``, BLAS ``ddot``, a 4-way unrolled numba sum)
against the copy bandwidth, since the floor of benchmarks/common.py takes the larger of
``np.add.reduce`` and the copy.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/amg/sell_numba.py

Writes ``sell_numba.json``; minima of 30 calls (5 for the bandwidth).
"""
import json
import sys
from pathlib import Path

import numba as nb
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import best_of, environment  # noqa: E402

REPS = 30  # calls per kernel timing (minimum kept)


def load(dim):
    """The 1 M-element conduction system of benchmarks/amg/systems.py (built and cached
    there on first use)."""
    sys.path.insert(0, str(HERE))
    from systems import system

    return system(dim)[0]


@nb.njit(fastmath=True)
def nbsum(x):
    s0 = s1 = s2 = s3 = 0.0
    for i in range(0, x.size // 4 * 4, 4):
        s0 += x[i]
        s1 += x[i + 1]
        s2 += x[i + 2]
        s3 += x[i + 3]
    return s0 + s1 + s2 + s3


def bandwidth():
    """Single-thread read (three kernels) and copy (read + write) bandwidth, 400 MB."""
    x = np.random.default_rng(0).random(50_000_000)
    y = np.empty_like(x)
    nbsum(x[:10])
    out = dict(read_add_reduce=x.nbytes / best_of(lambda: np.add.reduce(x), 5) / 1e9,
               read_ddot=x.nbytes / best_of(lambda: np.dot(x, x), 5) / 1e9,
               read_numba=x.nbytes / best_of(lambda: nbsum(x), 5) / 1e9,
               copy=2 * x.nbytes / best_of(lambda: np.copyto(y, x), 5) / 1e9)
    print("bandwidth [GB/s]", {k: round(v, 1) for k, v in out.items()})
    return out


def to_sell(A, C=8):
    """SELL-C-1 of the CSR matrix *A*: chunks of *C* rows, each padded to its longest row
    with explicit zeros (column = the row itself) and stored column-major."""
    n = A.shape[0]
    nchunks = (n + C - 1) // C
    lens = np.concatenate([np.diff(A.indptr), np.zeros(nchunks * C - n, int)])
    lens = lens.reshape(nchunks, C).max(axis=1)
    cptr = np.zeros(nchunks + 1, np.int64)
    cptr[1:] = np.cumsum(lens * C)
    cols = np.zeros(cptr[-1], np.int32)
    vals = np.zeros(cptr[-1], A.dtype)
    fill(A.indptr, A.indices, A.data, n, C, cptr, cols, vals)
    return cptr, lens, cols, vals


@nb.njit
def fill(indptr, indices, data, n, C, cptr, cols, vals):
    for i in range(n):
        ch = i // C
        r = i - ch * C
        base = cptr[ch]
        k = 0
        for j in range(indptr[i], indptr[i + 1]):
            cols[base + k * C + r] = indices[j]
            vals[base + k * C + r] = data[j]
            k += 1
        while k < (cptr[ch + 1] - cptr[ch]) // C:  # padding: own column, value 0
            cols[base + k * C + r] = i
            k += 1


@nb.njit(fastmath=True, boundscheck=False)
def sell_mv(cptr, lens, cols, vals, x, y, n, C):
    acc = np.empty(C, vals.dtype)
    for ch in range(lens.size):
        base = cptr[ch]
        for r in range(C):
            acc[r] = 0.0
        for k in range(lens[ch]):
            o = base + k * C
            for r in range(C):  # the loop a compiler can vectorise (gathers of x)
                acc[r] += vals[o + r] * x[cols[o + r]]
        for r in range(min(C, n - ch * C)):
            y[ch * C + r] = acc[r]


@nb.njit(fastmath=True, boundscheck=False)
def csr_mv(indptr, indices, data, x, y):
    for i in range(y.size):
        s = 0.0
        for j in range(indptr[i], indptr[i + 1]):
            s += data[j] * x[indices[j]]
        y[i] = s


def run_dim(dim):
    A = load(dim)
    n = A.shape[0]
    x = np.random.default_rng(1).random(n)
    y = np.empty(n)
    nbytes = A.data.nbytes + A.indices.nbytes + A.indptr.nbytes + 2 * x.nbytes
    out = dict(n=n, nnz=int(A.nnz), spmv_bytes=int(nbytes))
    out["scipy_ms"] = best_of(lambda: A @ x, REPS) * 1e3
    csr_mv(A.indptr, A.indices, A.data, x, y)  # compile
    out["numba_csr_ms"] = best_of(lambda: csr_mv(A.indptr, A.indices, A.data, x, y), REPS) * 1e3
    for C in (4, 8, 16):
        cptr, lens, cols, vals = to_sell(A, C)
        sell_mv(cptr, lens, cols, vals, x, y, n, C)
        assert np.allclose(y, A @ x)
        out[f"sell_C{C}_ms"] = best_of(lambda: sell_mv(cptr, lens, cols, vals, x, y, n, C),
                                       REPS) * 1e3
        out[f"sell_C{C}_padding"] = vals.size / A.nnz
    A32, x32, y32 = A.astype(np.float32), x.astype(np.float32), np.empty(n, np.float32)
    cptr, lens, cols, vals = to_sell(A32, 8)
    sell_mv(cptr, lens, cols, vals, x32, y32, n, 8)
    out["sell_C8_float32_ms"] = best_of(
        lambda: sell_mv(cptr, lens, cols, vals, x32, y32, n, 8), REPS) * 1e3
    out["scipy_float32_ms"] = best_of(lambda: A32 @ x32, REPS) * 1e3
    print(f"{dim}D", {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()})
    return out


def main():
    out = dict(environment=environment(), bandwidth_GBps=bandwidth())
    for dim in (2, 3):
        out[f"{dim}D"] = run_dim(dim)
    (HERE / "sell_numba.json").write_text(json.dumps(out, indent=2))
    print("wrote", HERE / "sell_numba.json")


if __name__ == "__main__":
    main()
