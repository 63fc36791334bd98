"""Mixed-precision direct solves: ``DirectSolver(precision="mixed")`` (single-precision LU
factors, the solution refined in double to the double-precision backward-error test of
LAPACK's dsgesv) against ``precision="double"``, on the matrices of
``pardiso_settings.py``: a phase-field Newton Jacobian (11 k unknowns), the NPP
benchmark's Jacobian (150 k, numbered node by node as ``solve.npp.run`` factorises it),
2D P1 Poisson (263 k, 1.05 M) and 3D P1 Poisson (30 k).

Per matrix, one process, the two solvers interleaved (A B A B ...): the first
``factor(A)(b)`` pays the analysis; then the minimum and median over the repeats of a
refactorisation with the analysis reused plus one solve -- refinement included, i.e.
what a Newton iteration pays. Also recorded: refinement steps per solve, the relative
residual and the backward error ``|r|_inf / (|A|_inf |x|_inf)`` of both answers.

Usage: OMP_NUM_THREADS=1 python benchmarks/linear/mixed_precision.py [repeats]
       OMP_NUM_THREADS=2 ...   (writes mixed_precision_<threads>thread.json)
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def compare(A, repeats):
    from ntransport.solve.linear import DirectSolver

    b = np.random.default_rng(0).standard_normal(A.shape[0])
    anorm = float(abs(A).sum(axis=1).max())
    solvers = {p: DirectSolver(precision=p) for p in ("double", "mixed")}
    out = {}
    for p, s in solvers.items():
        t0 = time.perf_counter()
        s.factor(A)(b)
        out[p] = {"analysis+factor+solve [s]": time.perf_counter() - t0,
                  "refactor+solve [s]": []}
    for _ in range(repeats):
        for p, s in solvers.items():
            steps = s.refinement_steps
            t0 = time.perf_counter()
            x = s.factor(A)(b)
            out[p]["refactor+solve [s]"].append(time.perf_counter() - t0)
            r = A @ x - b
            out[p]["refinement steps"] = s.refinement_steps - steps
            out[p]["relative residual"] = float(np.linalg.norm(r) / np.linalg.norm(b))
            out[p]["backward error"] = float(np.abs(r).max() / (anorm * np.abs(x).max()))
            out[p]["fallbacks"] = s.fallbacks
    for r in out.values():
        t = r["refactor+solve [s]"]
        r["min [s]"], r["median [s]"] = min(t), statistics.median(t)
    out["ratio of minima (mixed / double)"] = out["mixed"]["min [s]"] / out["double"]["min [s]"]
    return out


def main(repeats=5):
    import pardiso_settings as ps

    mats = {"phase-field Jacobian": ps.phasefield_jacobian,
            "NPP Jacobian 150 k (node order)": lambda: ps.npp_jacobian(node_order=True),
            "2D Poisson 263 k": lambda: ps.poisson(2, 8),
            "2D Poisson 1.05 M": lambda: ps.poisson(2, 9),
            "3D Poisson 30 k": lambda: ps.poisson(3, 5)}
    threads = os.environ.get("OMP_NUM_THREADS", "1")
    res = {"threads": threads, "load": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M"),
           "repeats": repeats, "matrices": {}}
    for name, make in mats.items():
        A = make()
        r = compare(A, repeats)
        res["matrices"][name] = {"n": A.shape[0], "nnz": int(A.nnz), **r}
        print(f"{name} n={A.shape[0]}: double {1e3 * r['double']['min [s]']:.1f} ms, mixed "
              f"{1e3 * r['mixed']['min [s]']:.1f} ms ({r['mixed']['refinement steps']} "
              f"refinement steps, backward error {r['mixed']['backward error']:.1e} vs "
              f"{r['double']['backward error']:.1e}), ratio "
              f"{r['ratio of minima (mixed / double)']:.2f}", flush=True)
    res["load_end"] = os.getloadavg()
    (HERE / f"mixed_precision_{threads}thread.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
