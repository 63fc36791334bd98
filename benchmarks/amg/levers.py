"""AMG-CG levers on the 1 M-element conduction systems, against the memory-bandwidth floor.

For the 2D (0.96 M triangles) and 3D (1.0 M tetrahedra) composite systems of
``benchmarks/conduction`` this times, interleaved (every variant once per round, rounds
repeated), the AMG setup and the CG solve to rtol 1e-8 of:

* ``pyamg-previous``: the former ``AMGSolver`` (pyamg ``smoothed_aggregation_solver``,
  1x1-BSR setup, symmetric Gauss-Seidel, ``aspreconditioner``);
* variants of the current one (:mod:`ntransport.solve.amg`): the default since 2026-12-04
  (Jacobi, truncated prolongators, merged post-sweep where it pays), the default of
  2026-12-03 (whole prolongators, no merged level; all other variants keep these too), the
  smoother (weighted Jacobi or Gauss-Seidel), strength theta, sweeps,
  coarsest size, single/double precision hierarchy (theta = 0.1 and a coarsest
  level of 2000 were tried in development and were slower on both systems: 28 vs 20 CG
  iterations with operator complexity 1.39 vs 1.22 in 2D, a larger dense coarse solve);
* reuse across Newton/time steps: a second matrix with the same pattern (coefficients
  changed by up to 10 %) with ``reuse="prolongators"`` and ``reuse="all"``.

The floor: one SpMV of the fine matrix moves at least ``spmv_bytes(A)`` (values,
indices, row pointers, x, y); at the bandwidth ``BW`` measured on the run's threads
(``--threads``, default 1) a CG of ``k`` iterations cannot take less than
``k * spmv_bytes / BW``. With ``--threads N`` the library splits its products by rows over
N threads (``solve/rowblocks.py``) and the floor is the N-thread bandwidth. ``ratio_to_floor`` is
the CG time over that (the issue's definition), ``spmv_equivalents`` the CG time over one
SpMV at the floor (independent of the iteration count).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/amg/levers.py --dims 2 3 --repeats 3
    python benchmarks/amg/levers.py --threads 2 --variants "(default)" --out results_2threads.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import environment, memory_bandwidth, set_threads, spmv_bytes, stats  # noqa: E402

# one thread unless --threads N (set before numpy is imported)
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
set_threads(THREADS)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from systems import system  # noqa: E402

RTOL = 1e-8


def previous_pyamg(A):
    """The AMGSolver of commit 7befe97 (for the 'before' row)."""
    import pyamg

    ml = pyamg.smoothed_aggregation_solver(
        A, symmetry="symmetric", strength=("symmetric", {"theta": 0.05}),
        smooth=("jacobi", {"omega": 4.0 / 3.0, "weighting": "local"}), improve_candidates=None,
        presmoother=("gauss_seidel", {"sweep": "symmetric"}),
        postsmoother=("gauss_seidel", {"sweep": "symmetric"}), max_coarse=500)
    for level in ml.levels:
        level.A = sp.csr_matrix(level.A)
        if hasattr(level, "P"):
            level.P, level.R = sp.csr_matrix(level.P), sp.csr_matrix(level.R)
    return ml.aspreconditioner(cycle="V"), ml.operator_complexity()


def additive_finest(h, **kw):
    """Not in the library (a measured lever): the finest level *additive*, ``M r = W r +
    P V(R r)`` with Jacobi's ``W = omega D^-1`` and the V-cycle ``V`` of the coarser levels.
    Symmetric positive definite like the V-cycle, but without a fine-level SpMV: a CG
    iteration costs one SpMV of CG's own, the two transfers and the coarse cycle."""
    from ntransport.solve.amg import VCycle

    class AdditiveFinest(VCycle):
        def _cycle(self, lvl, b):
            if lvl > 0:
                return super()._cycle(lvl, b)
            x = self.W[0] * b
            x += self.P[0] @ super()._cycle(1, self.R[0] @ b)
            return x

    return AdditiveFinest(h, smoother="jacobi", **kw)


def ours(A, **kw):
    """The library's hierarchy and cycle with the options *kw*; prolongators whole and no
    merged level unless ``truncate`` / ``merge=True`` are given (the variants measured
    before 2026-12-04 keep their meaning)."""
    from dataclasses import replace

    from ntransport.solve.amg import VCycle, build_hierarchy

    prec = kw.pop("precision", "double")
    sweeps = kw.pop("sweeps", 1)
    smoother = kw.pop("smoother", "gauss-seidel")
    kw.setdefault("truncate", 0.0)
    merge = kw.pop("merge", False)
    h = build_hierarchy(A, **kw)
    if not merge:
        h = replace(h, AP=None)  # no level merged
    dtype = np.float32 if prec == "single" else np.float64
    M = (additive_finest(h, sweeps=sweeps, dtype=dtype) if smoother == "additive" else
         VCycle(h, sweeps=sweeps, dtype=dtype, smoother=smoother))
    return M.aslinearoperator(), M.operator_complexity


VARIANTS = {
    "pyamg-previous": previous_pyamg,
    "csr theta0.05 sweeps1 double": lambda A: ours(A),
    "csr theta0.05 sweeps1 single": lambda A: ours(A, precision="single"),
    "csr theta0.05 sweeps2 single": lambda A: ours(A, precision="single", sweeps=2),
    "csr theta0 sweeps1 single": lambda A: ours(A, precision="single", theta=0.0),
    "csr theta0.05 coarse100 single": lambda A: ours(A, precision="single", max_coarse=100),
    "csr theta0.05 jacobi1 single (2026-12-03 default)": lambda A: ours(
        A, precision="single", smoother="jacobi"),
    "csr theta0.05 jacobi1 single truncate0.1 merged (default)": lambda A: ours(
        A, precision="single", smoother="jacobi", truncate=0.1, merge=True),
    "csr theta0.05 jacobi1 double": lambda A: ours(A, smoother="jacobi"),
    "csr theta0.05 jacobi2 single": lambda A: ours(A, precision="single", smoother="jacobi",
                                                  sweeps=2),
    "csr theta0.05 jacobi additive-finest single": lambda A: ours(A, precision="single",
                                                                 smoother="additive"),
}


def cg(A, b, M):
    """The library's CG (``solve.linear._cg``: ``solve.pcg``, scipy's ``cg`` recurrences in
    place since 2026-12-04), with the products split by rows on several threads
    (``solve/rowblocks.py``) when ``--threads`` > 1."""
    from ntransport.solve.linear import _cg

    its = []
    x = _cg(A, b, M, RTOL, 1000, "CG", its)
    res = float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))
    return its[0], res


def time_spmv(A, n=20):
    from ntransport.solve.rowblocks import RowBlocks

    x = np.ones(A.shape[1])
    Ab = RowBlocks(A)  # A @ x on one thread; split by rows with --threads > 1
    best = np.inf
    for _ in range(n):
        t0 = time.perf_counter()
        Ab.matvec(x)
        best = min(best, time.perf_counter() - t0)
    return best


def reuse_rows(A, b, A_prev):
    """The next Newton/time step: same pattern, coefficients changed (particle
    conductivity 12 -> 10 S/m); AMGSolver with each reuse mode, factorised on the
    previous matrix first."""
    from ntransport.solve.linear import AMGSolver

    out = {}
    for mode in ("none", "prolongators", "all"):
        s = AMGSolver(reuse=mode)
        s.factor(A_prev)  # the previous step
        t0 = time.perf_counter()
        solve = s.factor(A)  # the next step, same pattern
        t1 = time.perf_counter()
        solve(b)
        t2 = time.perf_counter()
        out[mode] = dict(setup=t1 - t0, solve=t2 - t1, iterations=s.iterations[-1])
        print(f"   reuse {mode:12s} setup {t1 - t0:5.2f} s  CG {t2 - t1:5.2f} s  "
              f"{s.iterations[-1]} its", flush=True)
    return out


def summarise(raw, its, floor_spmv):
    """Per variant: min / median of every stage in *raw* (``{variant: {stage: [s]}}``),
    its CG iterations and CG over the bandwidth floor (issue #15's ratio)."""
    out = {}
    for name, stages in raw.items():
        st = {k: stats(v) for k, v in stages.items()}
        out[name] = dict(st, iterations=its[name],
                         cg_over_floor=st["cg"]["min"] / (its[name] * floor_spmv))
    return out


def report(res, key):
    """One line per dimension and variant of ``res["results"][k][key]``: CG min / median,
    iterations, CG over the floor."""
    for r in res["results"]:
        for name, v in r[key].items():
            print(f"{r['dim']}D {name:12s} CG {v['cg']['min']:.3f} / {v['cg']['median']:.3f} s, "
                  f"{v['iterations']} its, {v['cg_over_floor']:.1f}x floor")


def ab_driver(argv, doc, run_dim, *, rounds, out):
    """The A B drivers' command line (``--dims``, ``--rounds``, ``--out``): the copy
    probe, ``run_dim(dim, rounds, floor_GBps)`` per dimension, the JSON written beside
    this file; returns what was written."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--out", default=out)
    a = ap.parse_args(argv)
    bw = memory_bandwidth()
    print("bandwidth", bw, flush=True)
    res = dict(environment=environment(), bandwidth=bw,
               results=[run_dim(d, a.rounds, bw["floor_GBps"]) for d in a.dims])
    (HERE / a.out).write_text(json.dumps(res, indent=2))
    print(f"wrote {HERE / a.out}")
    return res


def run_dim(dim, repeats, bw, reuse_only=False):
    A, b = system(dim)
    nbytes = spmv_bytes(A)
    floor_spmv = nbytes / (bw * 1e9)
    spmv = time_spmv(A)
    rec = dict(dim=dim, n=A.shape[0], nnz=int(A.nnz), spmv_bytes=int(nbytes),
               spmv_seconds=spmv, spmv_floor_seconds=floor_spmv,
               spmv_over_floor=spmv / floor_spmv, variants={}, reuse=[])
    raw = {k: dict(setup=[], solve=[]) for k in VARIANTS}
    A_prev, _ = system(dim, particles=12.0)
    for r in range(repeats):
        for name, make in (VARIANTS.items() if not reuse_only else ()):
            t0 = time.perf_counter()
            M, oc = make(A)
            t1 = time.perf_counter()
            its, res = cg(A, b, M)
            t2 = time.perf_counter()
            raw[name]["setup"].append(t1 - t0)
            raw[name]["solve"].append(t2 - t1)
            raw[name].update(iterations=its, residual=res, operator_complexity=oc)
            print(f"{dim}D round {r} {name:34s} setup {t1 - t0:5.2f} s  CG {t2 - t1:5.2f} s  "
                  f"{its:3d} its  OC {oc:.2f}", flush=True)
        rec["reuse"].append(reuse_rows(A, b, A_prev))
    for name, v in raw.items():
        if not v["solve"]:
            continue
        solve = stats(v["solve"])
        floor = v["iterations"] * floor_spmv
        rec["variants"][name] = dict(
            setup=stats(v["setup"]), solve=solve, iterations=v["iterations"],
            residual=v["residual"], operator_complexity=v["operator_complexity"],
            floor_seconds=floor, ratio_to_floor=solve["min"] / floor,
            spmv_equivalents=solve["min"] / floor_spmv,
            per_iteration_spmv_equivalents=solve["min"] / floor / 1.0)
    return rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for the kernels and the bandwidth floor (default 1)")
    ap.add_argument("--variants", nargs="+", default=None,
                    help="run only the variants whose names contain one of these strings")
    ap.add_argument("--reuse-only", action="store_true",
                    help="re-measure only the reuse rows, keep the variants of results.json")
    ap.add_argument("--out", default="results.json",
                    help="results file name beside this script (a re-run on another host: "
                         "its own file)")
    args = ap.parse_args(argv)
    env = environment()
    if args.variants:
        for k in list(VARIANTS):
            if not any(v in k for v in args.variants):
                del VARIANTS[k]
    bw = memory_bandwidth(threads=args.threads)
    print("bandwidth", bw, flush=True)
    results = [run_dim(d, args.repeats, bw["floor_GBps"], args.reuse_only) for d in args.dims]
    if args.reuse_only:  # merge into the previous full run
        old = json.loads((HERE / args.out).read_text())
        for r_old in old["results"]:
            for r in results:
                if r["dim"] == r_old["dim"]:
                    r_old["reuse"] = r["reuse"]
                    r_old["reuse_environment"] = env
        out = old
    else:
        out = dict(environment=env, bandwidth=bw, rtol=RTOL, results=results)
    import os

    out["environment"]["loadavg_end"] = list(os.getloadavg())
    (HERE / args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {HERE / args.out}")


if __name__ == "__main__":
    main()
