"""The V-cycle's post-smoothing merged into the prolongation, A B A B (measured 2026-12-03
late; not adopted): the shipped Jacobi cycle against the same cycle with one product less.

With one Jacobi sweep each way, ``x1 = w b``, ``r = b - A x1``, ``e`` the coarse correction of
``R r``, the post-sweep of ``x1 + P e`` is ``x1 + P e + w (r - A P e) = w (b + r) + Pt e``
with ``Pt = P - diag(w) A P``: the same preconditioner (to float32 rounding), with the
post-sweep's fine-level SpMV and the prolongation replaced by one product with ``Pt``
(stored CSC, a column loop like the shipped ``R.T``). ``Pt`` costs setup: ``A P`` (which the
Galerkin product computes anyway, so a library version gets it for free; timed here as
``ap``, re-multiplied), the row scaling, the subtraction and the CSC conversion (``pt``).

Per round, one process, one thread, the order alternating: the hierarchy
(``build_hierarchy``, shared), each cycle (``VCycle(..., dtype=float32)``, Lanczos included)
and CG to rtol 1e-8 (``levers.cg``). CG over the bandwidth floor as in ``smoother_ab.py``.

    OMP_NUM_THREADS=1 python benchmarks/amg/merged_post.py --rounds 6 --out merged_post.json
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import set_threads, spmv_bytes  # noqa: E402

set_threads(1)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from levers import ab_driver, cg, report, summarise  # noqa: E402
from systems import system  # noqa: E402

from ntransport.solve.amg import VCycle, build_hierarchy  # noqa: E402
from ntransport.solve.rowblocks import RowBlocks  # noqa: E402


class MergedCycle(VCycle):
    """The shipped Jacobi cycle (one sweep each way) with ``w (b + r) + Pt e`` after the
    coarse correction instead of ``x1 + P e`` and a post-sweep."""

    def __init__(self, h, **kw):
        super().__init__(h, **kw)
        t0 = time.perf_counter()
        APs = [RowBlocks(a).matmat(p) for a, p in zip(h.A[:-1], h.P)]
        t1 = time.perf_counter()
        self.Pt = []
        for P, AP, w in zip(h.P, APs, self.W):
            wAP = sp.csr_matrix((AP.data * np.repeat(w, np.diff(AP.indptr)), AP.indices,
                                 AP.indptr), shape=AP.shape)
            Pt = sp.csr_matrix(P - wAP).tocsc()
            self.Pt.append(sp.csc_matrix((Pt.data.astype(self.dtype), Pt.indices, Pt.indptr),
                                         shape=Pt.shape))
        self.times = dict(ap=t1 - t0, pt=time.perf_counter() - t1)
        self.pt_nnz = [int(p.nnz) for p in self.Pt]

    def _cycle(self, lvl, b):
        if lvl == len(self.A) - 1:
            return self._coarse(b)
        w = self.W[lvl]
        r = self._Ab[lvl].residual(b, w * b)
        e = self._cycle(lvl + 1, self._Rb[lvl].matvec(r))
        r += b
        r *= w
        r += self.Pt[lvl] @ e
        return r


CYCLES = {"shipped": VCycle, "merged": MergedCycle}


def run_dim(dim, rounds, bw):
    A, b = system(dim)
    floor_spmv = spmv_bytes(A) / (bw * 1e9)
    h = build_hierarchy(A, truncate=0.0)  # the hierarchy of 2026-12-03
    h = replace(h, AP=None)  # "shipped": the unmerged cycle of that day (merged since 2026-12-04)
    probe = np.random.default_rng(1).random(A.shape[0])
    Ms = {k: c(h, dtype=np.float32) for k, c in CYCLES.items()}
    m0, m1 = Ms["shipped"](probe), Ms["merged"](probe)
    same = float(np.abs(m1 - m0).max() / np.abs(m0).max())
    raw = {k: dict(cycle=[], cg=[], ap=[], pt=[]) for k in CYCLES}
    its = {}
    for r in range(rounds):
        for name in (list(CYCLES) if r % 2 == 0 else list(CYCLES)[::-1]):
            t0 = time.perf_counter()
            M = CYCLES[name](h, dtype=np.float32)
            t1 = time.perf_counter()
            its[name], res = cg(A, b, M.aslinearoperator())
            t2 = time.perf_counter()
            raw[name]["cycle"].append(t1 - t0)
            raw[name]["cg"].append(t2 - t1)
            for k, v in getattr(M, "times", dict(ap=0.0, pt=0.0)).items():
                raw[name][k].append(v)
            print(f"{dim}D round {r} {name:8s} cycle {t1 - t0:.3f} CG {t2 - t1:.3f} s "
                  f"({its[name]} its, residual {res:.1e})", flush=True)
    out = dict(dim=dim, n=A.shape[0], nnz=int(A.nnz), spmv_floor_seconds=floor_spmv,
               levels=h.sizes, A_nnz=[int(a.nnz) for a in h.A],
               P_nnz=[int(p.nnz) for p in h.P], Pt_nnz=Ms["merged"].pt_nnz,
               cycle_relative_difference=same, cycles=summarise(raw, its, floor_spmv))
    s, m = out["cycles"]["shipped"], out["cycles"]["merged"]
    out["merged_over_shipped_cg"] = m["cg"]["min"] / s["cg"]["min"]
    out["setup_added_without_ap"] = m["pt"]["min"]
    out["cg_saved"] = s["cg"]["min"] - m["cg"]["min"]
    return out


def main(argv=None):
    out = ab_driver(argv, __doc__, run_dim, rounds=6, out="merged_post.json")
    report(out, "cycles")
    for r in out["results"]:
        print(f"{r['dim']}D merged/shipped CG {r['merged_over_shipped_cg']:.3f}; CG saved "
              f"{r['cg_saved']:.3f} s; Pt build (A P excluded) "
              f"{r['setup_added_without_ap']:.3f} s; A P {r['cycles']['merged']['ap']['min']:.3f} s")


if __name__ == "__main__":
    main()
