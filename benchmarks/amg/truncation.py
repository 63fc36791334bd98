"""Truncated prolongators and the merged post-smoothing (both shipped 2026-12-04), against
the hierarchy and cycle before them, on the hard problems of ``additive_suite.py`` and the
two 1 M-element systems: time to solution, iterations, answers.

Variants (all ``AMGSolver`` with its defaults otherwise, the whole user call timed):

* ``whole (before)``: ``truncate=0`` and no merged level (``amg.MERGE_BELOW`` < 0): the
  solver of 2026-12-03;
* ``whole + merged``: the merged post-smoothing alone (exact: the same preconditioner);
* ``truncate 0.1 (default)``: the shipped solver;
* ``truncate 0.2``: a coarser truncation.

Each case runs every variant once per round, the order reversed each round, 1 thread. The
voxel grids add two of ``voxel_coarsening.py``'s where ``coarsening="auto"`` turned
classical (truncation thins aggregation's coarse levels, so auto's choice can change).

    OMP_NUM_THREADS=1 python benchmarks/amg/truncation.py [--rounds 2] [--only NAME ...]
    OMP_NUM_THREADS=1 python benchmarks/amg/truncation.py --voxels

Writes ``truncation.json`` (``truncation_voxels.json`` with ``--voxels``: the fifteen
grids of ``voxel_coarsening.py``, whole against truncations 0.1-0.3) beside this script.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from additive_suite import cases, compare, write  # noqa: E402  (one thread before numpy)

import numpy as np  # noqa: E402

import ntransport.solve.amg as amg  # noqa: E402
from ntransport.solve.linear import AMGSolver  # noqa: E402


class Solver(AMGSolver):
    """``AMGSolver(truncate=...)`` with the merged post-smoothing on or off."""

    def __init__(self, truncate, merge):
        super().__init__(truncate=truncate)
        self._merge = merge

    def _preconditioner(self, *a, **kw):
        keep = amg.MERGE_BELOW
        amg.MERGE_BELOW = keep if self._merge else -1.0
        try:
            return super()._preconditioner(*a, **kw)
        finally:
            amg.MERGE_BELOW = keep


SOLVERS = {"whole (before)": lambda: Solver(0.0, False),
           "whole + merged": lambda: Solver(0.0, True),
           "truncate 0.1 (default)": lambda: Solver(0.1, True),
           "truncate 0.2": lambda: Solver(0.2, True)}


def more_voxels(want):
    from ntransport.percolation.voxel import grid_solution

    for k, n, dim, p, c in ((8, 96, 3, 0.31, 1e8), (9, 512, 2, 0.45, 1e4)):
        name = f"voxels {n}^{dim}, p = {p}, contrast {c:g}"
        if want(name):
            sig = np.where(np.random.default_rng(k).random((n,) * dim) < p, c, 1.0)
            yield name, lambda s, sig=sig: float(grid_solution(sig, rtol=1e-10,
                                                               solver=s).sigma_eff)


VOXEL_SOLVERS = {"whole (before)": lambda: Solver(0.0, False),
                 "truncate 0.1 (default)": lambda: Solver(0.1, True),
                 "truncate 0.2": lambda: Solver(0.2, True),
                 "truncate 0.3": lambda: Solver(0.3, True)}


def voxel_grids(want):
    """The grids of ``voxel_coarsening.py`` (the same seeds), solved as the voxel solver
    does (``grid_solution``, rtol 1e-10, maxiter 3000)."""
    from voxel_coarsening import GRIDS

    from ntransport.percolation.voxel import grid_solution

    for k, (n, dim, p, c, periodic) in enumerate(GRIDS):
        name = f"grid {n}^{dim}, p = {p}, contrast {c:g}{', periodic' if periodic else ''}"
        if want(name):
            sig = np.where(np.random.default_rng(k).random((n,) * dim) < p, c, 1.0)
            yield name, lambda s, sig=sig, per=periodic: float(grid_solution(
                sig, rtol=1e-10, periodic=per, solver=s).sigma_eff)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", nargs="+", default=None,
                    help="run only the cases whose names contain one of these strings")
    ap.add_argument("--voxels", action="store_true",
                    help="the voxel grids of voxel_coarsening.py instead (truncation_voxels.json)")
    args = ap.parse_args(argv)
    want = (lambda n: True) if not args.only else (lambda n: any(s in n for s in args.only))
    results = []
    todo = (voxel_grids(want) if args.voxels else [*cases(want), *more_voxels(want)])
    for name, call in todo:
        results.append(compare(name, call, args.rounds,
                               VOXEL_SOLVERS if args.voxels else SOLVERS))
        v = results[-1]["variants"]
        print("  ->", {k: (round(r["time_min_over_shipped"], 3), r["iterations"],
                           r["coarsening"]) for k, r in v.items()}, flush=True)
    write(results, HERE / ("truncation_voxels.json" if args.voxels else "truncation.json"),
          args.rounds, partial=bool(args.only))

if __name__ == "__main__":
    main()
