"""Smoothed aggregation against classical (Ruge-Stueben) coarsening on voxel grids.

``percolation.voxel.grid_solution`` solves the two-point-flux (lowest-order mixed FE)
conduction matrix of a voxel grid. On 3D grids with a conductivity contrast, the smoothed
-aggregation hierarchy that serves the P1 finite-element systems fills in on its coarse
levels (operator complexity 6-8), and its setup dominates the solve. This driver times the
whole user call, ``grid_solution(sig, rtol=1e-10, solver=AMGSolver(coarsening=...))``, for
both coarsenings, interleaved (A B, then B A), on random two-phase grids in 2D and 3D
(the phase of each voxel drawn with probability p, one seed per grid), and records the
iterations, the operator complexity of each hierarchy (built once more, untimed) and the
effective conductivities (which must agree to the solve's tolerance). ``--choices`` adds
to an existing JSON, untimed, what the default ``coarsening="auto"`` picks on each grid and
the nonzeros of every aggregation level over the fine level's (auto turns classical when
one exceeds ``amg.FILL_IN``).

    OMP_NUM_THREADS=1 python benchmarks/amg/voxel_coarsening.py [--rounds 2] [--choices]

Writes ``voxel_coarsening.json`` beside this script.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import environment, set_threads, stats  # noqa: E402

set_threads(1)

import numpy as np  # noqa: E402

#: (n, dim, p, contrast, periodic): n^dim voxels, fraction p at conductivity `contrast`, 1 elsewhere
GRIDS = [(64, 3, 0.5, 1.0, False), (64, 3, 0.2, 1e8, False), (64, 3, 0.3, 1e4, False),
         (64, 3, 0.32, 1e8, False), (64, 3, 0.45, 1e4, False), (64, 3, 0.6, 1e-4, False),
         (48, 3, 0.3, 1e8, True), (80, 3, 0.3, 1e6, False), (96, 3, 0.31, 1e8, False),
         (512, 2, 0.45, 1e4, False), (512, 2, 0.6, 1e8, False),
         # where the two break even (the voxel solver's CLASSICAL_CONTRAST)
         (64, 3, 0.4, 3.0, False), (64, 3, 0.4, 10.0, False), (64, 3, 0.4, 30.0, False),
         (64, 3, 0.4, 100.0, False)]
METHODS = ("aggregation", "classical")


def add_choices():
    from ntransport.percolation.voxel import grid_system
    from ntransport.solve.amg import build_auto_hierarchy, build_hierarchy

    out = HERE / "voxel_coarsening.json"
    data = json.loads(out.read_text())
    for k, ((n, dim, p, c, periodic), row) in enumerate(zip(GRIDS, data["results"])):
        assert (row["n"], row["dim"], row["p"], row["contrast"]) == (n, dim, p, c)
        sig = np.where(np.random.default_rng(k).random((n,) * dim) < p, c, 1.0)
        A = grid_system(sig, periodic=periodic)[0]
        h = build_hierarchy(A)
        row["aggregation_level_nnz_over_fine"] = [a.nnz / h.A[0].nnz for a in h.A[1:]]
        row["auto_choice"] = build_auto_hierarchy(A).coarsening
        print(n, dim, p, c, row["auto_choice"],
              [round(x, 2) for x in row["aggregation_level_nnz_over_fine"]], flush=True)
    data["choices_environment"] = environment()
    out.write_text(json.dumps(data, indent=1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--choices", action="store_true",
                    help="add auto's choice and the aggregation levels' fill to the JSON")
    args = ap.parse_args(argv)
    if args.choices:
        return add_choices()
    from ntransport.percolation.voxel import grid_solution, grid_system
    from ntransport.solve.amg import build_classical_hierarchy, build_hierarchy
    from ntransport.solve.linear import AMGSolver

    results = []
    for k, (n, dim, p, c, periodic) in enumerate(GRIDS):
        sig = np.where(np.random.default_rng(k).random((n,) * dim) < p, c, 1.0)
        A = grid_system(sig, periodic=periodic)[0]
        row = dict(n=n, dim=dim, p=p, contrast=c, periodic=periodic, unknowns=A.shape[0],
                   methods={})
        times = {m: [] for m in METHODS}
        for r in range(args.rounds):
            for m in (METHODS if r % 2 == 0 else METHODS[::-1]):
                s = AMGSolver(rtol=1e-10, maxiter=3000, coarsening=m)
                t0 = time.perf_counter()
                g = grid_solution(sig, rtol=1e-10, periodic=periodic, solver=s)
                times[m].append(time.perf_counter() - t0)
                row["methods"][m] = dict(iterations=s.iterations[-1], sigma_eff=g.sigma_eff)
                print(f"{n}^{dim} p={p} contrast {c:g}{' periodic' if periodic else ''} "
                      f"{m:12s} {times[m][-1]:7.2f} s {s.iterations[-1]:4d} its "
                      f"sigma_eff {g.sigma_eff:.10g}", flush=True)
        for m, build in zip(METHODS, (build_hierarchy, build_classical_hierarchy)):
            row["methods"][m].update(time=stats(times[m]),
                                     operator_complexity=build(A).operator_complexity)
        agg, cls = (row["methods"][m] for m in METHODS)
        row["classical_over_aggregation"] = cls["time"]["min"] / agg["time"]["min"]
        row["sigma_eff_relative_difference"] = abs(cls["sigma_eff"] / agg["sigma_eff"] - 1)
        results.append(row)
    out = HERE / "voxel_coarsening.json"
    out.write_text(json.dumps(dict(environment=environment(), rounds=args.rounds,
                                   rtol=1e-10, results=results), indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
