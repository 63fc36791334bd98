"""How close to the bandwidth floor could an AMG-CG iteration get with MKL's compiled kernels?

The AMG target of issue #15 (CG within 10x of the memory-bandwidth floor) was measured
at 17-21x with the cycle shipped then (``ntransport.solve.amg``: scipy SpMV, pyamg's
compiled Gauss-Seidel, a float32 hierarchy, a CSR prolongation); "shipped" below means that
cycle, which the script builds explicitly (``smoother="gauss-seidel"``, a CSR ``P``) since
the default became weighted Jacobi with ``P = R^T`` (benchmarks/README.md, section 2).
This script asks whether the fastest compiled sparse kernels on this machine would close
the gap: Intel MKL's inspector-executor sparse BLAS
(``mkl_sparse_?_mv`` and ``mkl_sparse_?_trsv`` after ``mkl_sparse_optimize``), from the
``libmkl_rt`` that the ``pardiso`` extra already installs (pypardiso's dependency), called
through ``ctypes`` here only -- nothing in ``ntransport`` uses it.

For the 2D and 3D 1 M-element conduction systems (``systems.py``) it times, interleaved
(every kernel once per round, rounds repeated; each time the minimum of ``--reps`` calls):

* the shipped kernels of one CG iteration: scipy's float64 SpMV, pyamg's forward
  Gauss-Seidel from a zero guess, the residual ``b - A x``, restriction ``R r`` and
  prolongation ``P e``, pyamg's backward sweep (float32), and the whole shipped iteration
  (a real CG to rtol 1e-8 with ``VCycle``: its time over its iterations);
* the MKL kernels that would replace them, each checked against the shipped one:
  ``mv`` (float64, optimised), the forward sweep from zero as one lower triangular solve
  ``(D + L) x = b`` (``trsv``), the residual after it as ``-U x`` (a strict-upper SpMV:
  ``(D + L) x = b`` makes ``b - A x = -U x``, half the bytes of ``b - A x``), the
  backward sweep as ``x <- (D + U)^{-1} (b - L x)`` (strict-lower SpMV + upper
  ``trsv``), ``R r`` and ``P e`` as ``mv``, and CG's vector work as BLAS calls.

It then composes a per-iteration time (fine-level kernels, the coarse levels charged as
``(operator complexity - 1)`` times the fine level's sweeps and residual, plus the CG
SpMV, the vector work as BLAS calls and the precision casts) twice: from the shipped
kernels, checked against the shipped iteration as measured (the difference is scipy's
Python-level CG loop), and from the faster of the two kernels for every job, a lower
bound of what a cycle assembled from these kernels could reach. Both are divided by the
floor (one float64 SpMV's bytes at the single-thread bandwidth measured in the same run,
``common.memory_bandwidth``).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/amg/mkl_kernels.py --out mkl_kernels.json
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import (best_of, environment, memory_bandwidth, set_threads,  # noqa: E402
                    spmv_bytes, stats)

set_threads(1)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402
from scipy.linalg import blas  # noqa: E402

from systems import system  # noqa: E402

RTOL = 1e-8

# ---------------------------------------------------------------- MKL (ctypes, benchmark only)
# enum values of mkl_spblas.h
_NON_TRANSPOSE = 10
_GENERAL, _TRIANGULAR = 20, 23
_LOWER, _UPPER, _FULL = 40, 41, 42
_NON_UNIT = 50


class _Descr(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("mode", ctypes.c_int), ("diag", ctypes.c_int)]


GENERAL = _Descr(_GENERAL, _FULL, _NON_UNIT)
LOWER = _Descr(_TRIANGULAR, _LOWER, _NON_UNIT)
UPPER = _Descr(_TRIANGULAR, _UPPER, _NON_UNIT)


def _load_mkl():
    """The MKL library pypardiso loaded (found the way the toolkit finds it:
    ``ntransport.solve.linear``), and its path."""
    from ntransport.solve.linear import _pypardiso_mkl, pardiso_available

    lib = _pypardiso_mkl() if pardiso_available() else None
    if lib is None:
        raise SystemExit("mkl_kernels.py needs MKL's runtime library (libmkl_rt): install the "
                         "'pardiso' extra (pip install '.[pardiso]'), which brings it.")
    return lib, getattr(lib, "_name", "?")


MKL, MKL_PATH = _load_mkl()
_P = ctypes.c_void_p


def _check(status, what):
    if status != 0:
        raise RuntimeError(f"MKL {what} returned status {status}")


class MKLMatrix:
    """An optimised inspector-executor CSR handle (LP64: int32 indices)."""

    def __init__(self, A, dtype, hints=("mv",)):
        A = sp.csr_matrix(A, dtype=dtype)
        A.sort_indices()
        self._arrays = (A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data)
        ip, ix, v = self._arrays
        self.t = "d" if A.dtype == np.float64 else "s"
        self.ct = ctypes.c_double if self.t == "d" else ctypes.c_float
        self.h = _P()
        _check(getattr(MKL, f"mkl_sparse_{self.t}_create_csr")(
            ctypes.byref(self.h), 0, A.shape[0], A.shape[1], ip.ctypes.data_as(_P),
            _P(ip.ctypes.data + 4), ix.ctypes.data_as(_P), v.ctypes.data_as(_P)), "create_csr")
        for hint in hints:
            descr = {"mv": GENERAL, "sv_lower": LOWER, "sv_upper": UPPER}[hint]
            _check(getattr(MKL, f"mkl_sparse_set_{hint.split('_')[0]}_hint")(
                self.h, _NON_TRANSPOSE, descr, 1000), f"{hint} hint")
        _check(MKL.mkl_sparse_optimize(self.h), "optimize")

    def mv(self, x, y, alpha=1.0, beta=0.0):
        """y <- alpha A x + beta y"""
        _check(getattr(MKL, f"mkl_sparse_{self.t}_mv")(
            _NON_TRANSPOSE, self.ct(alpha), self.h, GENERAL, x.ctypes.data_as(_P),
            self.ct(beta), y.ctypes.data_as(_P)), "mv")
        return y

    def trsv(self, b, x, descr):
        """x <- T^{-1} b, T the lower or upper triangle of A (with its diagonal)."""
        _check(getattr(MKL, f"mkl_sparse_{self.t}_trsv")(
            _NON_TRANSPOSE, self.ct(1.0), self.h, descr, b.ctypes.data_as(_P),
            x.ctypes.data_as(_P)), "trsv")
        return x

    def __del__(self):
        if getattr(self, "h", None):
            MKL.mkl_sparse_destroy(self.h)


# ---------------------------------------------------------------- kernels
def kernels(A, b):
    """``label -> (callable, implementation, job)`` for one system (implementation
    'shipped', 'mkl' or 'both'; job: the part of a CG iteration it does), the hierarchy, the
    V-cycle and the checks of the MKL kernels against the shipped ones."""
    from pyamg import amg_core

    from ntransport.solve.amg import VCycle, build_hierarchy

    h = build_hierarchy(A)
    # the cycle this script was written for and measured on (2026-12-03 07:10 UTC):
    # Gauss-Seidel, prolongation by a CSR P (the default since is Jacobi with P = R^T)
    V = VCycle(h, dtype=np.float32, smoother="gauss-seidel")
    V.P = [sp.csr_matrix(p, dtype=np.float32) for p in h.P]
    A32, P, R = V.A[0], V.P[0], V.R[0]
    n, nc = A32.shape[0], P.shape[1]
    gs = amg_core.gauss_seidel
    U = sp.triu(A32, 1, format="csr")
    L = sp.tril(A32, -1, format="csr")
    mA64 = MKLMatrix(A, np.float64)
    mA32 = MKLMatrix(A32, np.float32, hints=("sv_lower", "sv_upper"))
    mU, mL = MKLMatrix(U, np.float32), MKLMatrix(L, np.float32)
    mP, mR = MKLMatrix(P, np.float32), MKLMatrix(R, np.float32)

    rng = np.random.default_rng(0)
    x64, y64 = rng.random(n), np.empty(n)
    b32 = b.astype(np.float32)
    x32, y32, e32 = np.zeros(n, np.float32), np.empty(n, np.float32), np.empty(n, np.float32)
    ec, rc = rng.random(nc).astype(np.float32), np.empty(nc, np.float32)
    vec = [rng.random(n) for _ in range(5)]  # CG's x, r, z, p, q

    def gs_forward():
        x32[:] = 0.0
        gs(A32.indptr, A32.indices, A32.data, x32, b32, 0, n, 1)

    def gs_backward():
        gs(A32.indptr, A32.indices, A32.data, x32, b32, n - 1, -1, -1)

    def mkl_backward():
        np.copyto(e32, b32)
        mL.mv(x32, e32, alpha=-1.0, beta=1.0)  # b - L x
        mA32.trsv(e32, y32, UPPER)

    def cg_vectors_blas():  # x += a p; r -= a q; r.z; p.q; p <- z + beta p
        xx, r, z, p, q = vec
        blas.daxpy(p, xx, a=1e-3)
        blas.daxpy(q, r, a=-1e-3)
        blas.ddot(r, z)
        blas.ddot(p, q)
        blas.dscal(0.5, p)
        blas.daxpy(z, p)

    # checks: each MKL kernel against the shipped one it would replace
    gs_forward()
    fwd = mA32.trsv(b32, y32.copy(), LOWER)
    scale = float(np.abs(x32).max())
    res_shipped = b32 - A32 @ x32
    res_mkl = mU.mv(x32, np.empty(n, np.float32), alpha=-1.0)
    x_before = x32.copy()
    gs_backward()
    x_after_shipped = x32.copy()
    x32[:] = x_before
    mkl_backward()
    checks = {
        "forward sweep: trsv vs pyamg (max rel. diff)": float(np.abs(fwd - x32).max() / scale),
        "residual: -U x vs b - A x (max diff / max |r|)":
            float(np.abs(res_mkl - res_shipped).max() / np.abs(res_shipped).max()),
        "backward sweep: L mv + trsv vs pyamg (max rel. diff)":
            float(np.abs(y32 - x_after_shipped).max() / np.abs(x_after_shipped).max()),
        "mv64 vs scipy (max rel. diff)":
            float(np.abs(mA64.mv(x64, y64) - A @ x64).max() / np.abs(A @ x64).max()),
    }
    x32[:] = x_before

    # label -> (callable, implementation, job): the jobs of one CG iteration
    ks = {
        "cg spmv64 (scipy)": (lambda: A @ x64, "shipped", "cg spmv"),
        "cg spmv64 (mkl mv)": (lambda: mA64.mv(x64, y64), "mkl", "cg spmv"),
        "cg vector work (blas: 3 axpy, 2 dot, 1 scal)": (cg_vectors_blas, "both", "cg vectors"),
        "casts r 64->32, z 32->64": (lambda: (np.copyto(y32, x64, casting="unsafe"),
                                              np.copyto(y64, y32)), "both", "casts"),
        "fine forward GS from 0 (pyamg)": (gs_forward, "shipped", "forward sweep"),
        "fine forward GS from 0 (mkl trsv lower)": (lambda: mA32.trsv(b32, y32, LOWER), "mkl",
                                                    "forward sweep"),
        "fine residual b - A x (scipy)": (lambda: b32 - A32 @ x32, "shipped", "residual"),
        "fine residual -U x (mkl mv, strict upper)": (lambda: mU.mv(x32, e32, alpha=-1.0), "mkl",
                                                      "residual"),
        "fine restriction R r (scipy)": (lambda: R @ y32, "shipped", "restriction"),
        "fine restriction R r (mkl mv)": (lambda: mR.mv(y32, rc), "mkl", "restriction"),
        "fine prolongation x += P e (scipy)": (lambda: x32.__iadd__(P @ ec), "shipped",
                                               "prolongation"),
        "fine prolongation x += P e (mkl mv)": (lambda: mP.mv(ec, x32, beta=1.0), "mkl",
                                                "prolongation"),
        "fine backward GS (pyamg)": (gs_backward, "shipped", "backward sweep"),
        "fine backward GS (mkl: strict-lower mv + trsv upper)": (mkl_backward, "mkl",
                                                                 "backward sweep"),
    }
    return ks, h, V, checks


def shipped_iteration(A, b, V):
    """The shipped CG (scipy cg + VCycle): (seconds per iteration, iterations)."""
    its = [0]
    t0 = time.perf_counter()
    spla.cg(A, b, rtol=RTOL, atol=0.0, M=V.aslinearoperator(), maxiter=1000,
            callback=lambda _: its.__setitem__(0, its[0] + 1))
    return (time.perf_counter() - t0) / its[0], its[0]


SMOOTH = ("forward sweep", "residual", "backward sweep")  # repeated on every coarse level


def pick_jobs(t, pick):
    """``job -> (label, seconds)`` from ``t`` (label -> (seconds, implementation, job)):
    for every job the shipped kernel (*pick* 'shipped') or the faster of the two ('best')."""
    jobs = {}
    for label, (sec, impl, job) in t.items():
        if pick == "shipped" and impl == "mkl":
            continue
        if job not in jobs or sec < jobs[job][1]:
            jobs[job] = (label, sec)
    return jobs


def per_iteration(jobs, oc):
    """Per-iteration seconds of the model: every job once, plus (operator complexity - 1)
    x the fine level's sweeps and residual for the coarse levels (charged at the fine
    level's speed per nonzero)."""
    return (sum(s for _, s in jobs.values())
            + (oc - 1.0) * sum(jobs[j][1] for j in SMOOTH))


def run_dim(dim, rounds, reps, bw):
    A, b = system(dim)
    floor = spmv_bytes(A) / (bw * 1e9)
    ks, h, V, checks = kernels(A, b)
    raw = {k: [] for k in ks}
    iters = []
    for r in range(rounds):
        for k, (f, _, _) in ks.items():
            raw[k].append(best_of(f, reps))
        iters.append(shipped_iteration(A, b, V))
        print(f"{dim}D round {r}: shipped iteration {iters[-1][0] * 1e3:.2f} ms "
              f"({iters[-1][1]} its)", flush=True)
    t = {k: (min(v), ks[k][1], ks[k][2]) for k, v in raw.items()}
    oc = h.operator_complexity
    shipped_jobs, best_jobs = pick_jobs(t, "shipped"), pick_jobs(t, "best")
    shipped_model, best_model = per_iteration(shipped_jobs, oc), per_iteration(best_jobs, oc)
    it_min = min(s for s, _ in iters)
    rec = dict(dim=dim, n=A.shape[0], nnz=int(A.nnz), operator_complexity=oc,
               levels=h.sizes, spmv_floor_seconds=floor, checks=checks,
               kernels={k: dict(min_s=min(v), median_s=stats(v)["median"],
                                over_floor=min(v) / floor, group=ks[k][1], kind=ks[k][2])
                        for k, v in raw.items()},
               shipped_iteration=dict(min_s=it_min, all_s=[s for s, _ in iters],
                                      iterations=iters[0][1], over_floor=it_min / floor),
               shipped_model=dict(seconds=shipped_model, over_floor=shipped_model / floor),
               best_model=dict(seconds=best_model, over_floor=best_model / floor,
                               jobs={j: lab for j, (lab, _) in best_jobs.items()}))
    print(f"{dim}D n={A.shape[0]} floor {floor * 1e3:.2f} ms, operator complexity {oc:.2f}")
    for k, v in rec["kernels"].items():
        print(f"  {k:55s} {v['min_s'] * 1e3:6.2f} ms  {v['over_floor']:5.2f}x")
    print(f"  shipped iteration, measured {it_min * 1e3:6.2f} ms  {it_min / floor:5.2f}x;"
          f" model {shipped_model * 1e3:6.2f} ms {shipped_model / floor:5.2f}x")
    print(f"  best kernel per job, model  {best_model * 1e3:6.2f} ms  {best_model / floor:5.2f}x"
          f"  (target 10x = {10 * floor * 1e3:.2f} ms)")
    for k, v in checks.items():
        print(f"  check {k}: {v:.2e}")
    return rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--out", default="mkl_kernels.json")
    args = ap.parse_args(argv)
    env = environment()
    bw = memory_bandwidth()
    print("bandwidth", bw, "MKL", MKL_PATH, flush=True)
    results = [run_dim(d, args.rounds, args.reps, bw["floor_GBps"]) for d in args.dims]
    bw_end = memory_bandwidth()
    env["loadavg_end"] = list(os.getloadavg())
    out = dict(environment=env, bandwidth=bw, bandwidth_end=bw_end, mkl=MKL_PATH,
               rtol=RTOL, results=results)
    (HERE / args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {HERE / args.out}")


if __name__ == "__main__":
    main()
