"""The AMG-CG's products on one thread against split by rows over two (solve/rowblocks.py).

One process with two threads allowed (``OMP_NUM_THREADS=2``); per round and system, the
shipped ``AMGSolver`` (setup + CG to rtol 1e-8) with the row blocks held to one thread
(``rowblocks.kernel_threads`` patched to 1, the code before) and with two, interleaved (A B
A B). The code before let OpenBLAS run CG's dot products on two threads, which changes
their last bits; the two-thread solution is therefore compared bit for bit with the
one-thread kernels *and* BLAS held to one thread (``same_bits``). The bandwidth is probed on
one and on two threads before and after the rounds; the floor of a variant is the highest
rate seen on at most its own thread count (two threads can always stream what one can).

    python benchmarks/amg/threads_ab.py --repeats 5

Writes ``threads_ab.json`` beside this script.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import environment, memory_bandwidth, set_threads, spmv_bytes, stats  # noqa: E402

set_threads(2)

import numpy as np  # noqa: E402

from systems import system  # noqa: E402


def one(A, b, threads):
    """Setup and CG of the shipped AMGSolver with the row blocks on *threads* threads."""
    from ntransport.solve import rowblocks
    from ntransport.solve.linear import AMGSolver

    saved = rowblocks.kernel_threads
    rowblocks.kernel_threads = lambda: threads
    try:
        s = AMGSolver()
        t0 = time.perf_counter()
        solve = s.factor(A)
        t1 = time.perf_counter()
        x = solve(b)
        t2 = time.perf_counter()
    finally:
        rowblocks.kernel_threads = saved
    return t1 - t0, t2 - t1, s.iterations[-1], x


def spmv(A, threads, n=20):
    from ntransport.solve.rowblocks import RowBlocks

    Ab, x, best = RowBlocks(A, threads=threads), np.ones(A.shape[1]), np.inf
    for _ in range(n):
        t0 = time.perf_counter()
        Ab.matvec(x)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="threads_ab.json")
    args = ap.parse_args(argv)
    env = environment()
    bw = {k: memory_bandwidth(threads=k) for k in (1, 2)}
    print("bandwidth", bw, flush=True)
    probes = [bw]
    out = dict(environment=env, bandwidth={str(k): v for k, v in bw.items()}, rtol=1e-8,
               results=[])
    for dim in args.dims:
        A, b = system(dim)
        nbytes = spmv_bytes(A)
        raw = {k: dict(setup=[], solve=[]) for k in (1, 2)}
        xs, its = {}, {}
        for r in range(args.repeats):
            for k in (1, 2):
                ts, tc, it, x = one(A, b, k)
                raw[k]["setup"].append(ts)
                raw[k]["solve"].append(tc)
                xs[k], its[k] = x, it
                print(f"{dim}D round {r} kernels on {k} thread(s): setup {ts:.3f} s, "
                      f"CG {tc:.3f} s, {it} its", flush=True)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            x_one = one(A, b, 1)[3]
        probes.append({k: memory_bandwidth(threads=k) for k in (1, 2)})
        rec = dict(dim=dim, n=A.shape[0], nnz=int(A.nnz), spmv_bytes=int(nbytes),
                   same_bits=bool(np.array_equal(x_one, xs[2])),
                   bandwidth_probes=[{str(k): v for k, v in p.items()} for p in probes],
                   variants={})
        for k in (1, 2):
            floor_gbps = max(p[j]["floor_GBps"] for p in probes for j in (1, 2) if j <= k)
            floor_spmv = nbytes / (floor_gbps * 1e9)
            solve = stats(raw[k]["solve"])
            rec["variants"][str(k)] = dict(
                threads=k, floor_GBps=floor_gbps, setup=stats(raw[k]["setup"]), solve=solve,
                iterations=its[k],
                spmv_seconds=spmv(A, k), spmv_floor_seconds=floor_spmv,
                per_iteration_seconds=solve["min"] / its[k],
                ratio_to_floor=solve["min"] / (its[k] * floor_spmv))
        out["results"].append(rec)
        v1, v2 = rec["variants"]["1"], rec["variants"]["2"]
        print(f"{dim}D: CG {v1['solve']['min']:.3f} -> {v2['solve']['min']:.3f} s, ratio to the "
              f"floor {v1['ratio_to_floor']:.1f}x (1 thread) / {v2['ratio_to_floor']:.1f}x "
              f"(2 threads), same bits: {rec['same_bits']}", flush=True)
    out["environment"]["loadavg_end"] = list(os.getloadavg())
    (HERE / args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {HERE / args.out}")


if __name__ == "__main__":
    main()
