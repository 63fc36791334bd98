"""The V-cycle's smoother, A B A B: weighted Jacobi (the default since 2026-12-03) against
Gauss-Seidel (the default before), on the 1 M-element 2D and 3D conduction systems.

Per round and smoother, in one process, one thread, the order alternating from round to
round: the hierarchy (``build_hierarchy``, the same for both), the cycle
(``VCycle(..., dtype=float32, smoother=...)``: level matrices in float32 and, for Jacobi,
the weights' Lanczos), and CG to rtol 1e-8 (``levers.cg``). Reported: min / median of each
stage and of their sum (what a user pays for one solve on a new matrix), the CG iterations,
and CG over the bandwidth floor (issue #15's ratio: CG time over iterations x one SpMV at the
measured copy bandwidth).

    OMP_NUM_THREADS=1 python benchmarks/amg/smoother_ab.py --rounds 8 --out smoother_ab.json
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

from levers import ab_driver, cg, report, summarise  # noqa: E402
from systems import system  # noqa: E402

SMOOTHERS = ("gauss-seidel", "jacobi")


def run_dim(dim, rounds, bw):
    from ntransport.solve.amg import VCycle, build_hierarchy

    A, b = system(dim)
    floor_spmv = spmv_bytes(A) / (bw * 1e9)
    raw = {s: dict(hierarchy=[], cycle=[], cg=[], total=[]) for s in SMOOTHERS}
    its = {}
    for r in range(rounds):
        for smoother in (SMOOTHERS if r % 2 == 0 else SMOOTHERS[::-1]):
            t0 = time.perf_counter()
            h = build_hierarchy(A, truncate=0.0)  # the hierarchy of 2026-12-03
            h = replace(h, AP=None)  # and its cycle: no merged level
            t1 = time.perf_counter()
            M = VCycle(h, dtype=np.float32, smoother=smoother)
            t2 = time.perf_counter()
            its[smoother], res = cg(A, b, M.aslinearoperator())
            t3 = time.perf_counter()
            for key, t in (("hierarchy", t1 - t0), ("cycle", t2 - t1), ("cg", t3 - t2),
                           ("total", t3 - t0)):
                raw[smoother][key].append(t)
            print(f"{dim}D round {r} {smoother:12s} hierarchy {t1 - t0:.3f} cycle {t2 - t1:.3f} "
                  f"CG {t3 - t2:.3f} s ({its[smoother]} its, residual {res:.1e})", flush=True)
    out = dict(dim=dim, n=A.shape[0], nnz=int(A.nnz), spmv_floor_seconds=floor_spmv,
               smoothers=summarise(raw, its, floor_spmv))
    g, j = (out["smoothers"][s] for s in SMOOTHERS)
    out["jacobi_over_gauss_seidel"] = {k: j[k]["min"] / g[k]["min"] for k in ("cg", "total")}
    return out


def main(argv=None):
    out = ab_driver(argv, __doc__, run_dim, rounds=8, out="smoother_ab.json")
    report(out, "smoothers")
    for r in out["results"]:
        for s, v in r["smoothers"].items():
            print(f"{r['dim']}D {s:12s} one fresh solve {v['total']['min']:.3f} / "
                  f"{v['total']['median']:.3f} s")


if __name__ == "__main__":
    main()
