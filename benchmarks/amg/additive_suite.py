"""The additive finest level (``levers.additive_finest``) against the shipped V-cycle on
hard conduction problems: time to solution, not only the cost of an iteration.

Section 2 of ``benchmarks/README.md`` found that a cycle whose finest level is additive,
``M r = W r + P V(R r)``, meets issue #15's ratio to the bandwidth floor (7x) at the shipped
cycle's time to solution on the two 1 M-element systems, with 1.5-1.9x the iterations, and
left it unshipped for lack of evidence on harder systems. This driver supplies that
evidence: the whole user call (``solve_conduction`` with P1, or the voxel solver
``grid_solution``) with each preconditioner passed as the solver object, order A B B A per
round, 1 thread:

* thin resistive / conductive layers (``layered_stack``, contrast 1e4-1e5, 2D and 3D);
* particle composites with interphase shells 1e4 times more and less conductive than the
  matrix (2D and 3D);
* random voxel grids near and above percolation, contrast 1e4-1e8;
* the two 1 M-element systems of ``systems.py`` (AMG setup + CG only).

Variant ``add2`` is the additive level with two Jacobi sweeps as ``W`` (one SpMV), to see
whether a stronger ``W`` buys back the iterations.

    OMP_NUM_THREADS=1 python benchmarks/amg/additive_suite.py [--rounds 2] [--only NAME ...]

Writes ``additive_suite.json`` beside this script.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from levers import additive_finest  # noqa: E402  (sets one thread before numpy)
from common import environment, stats  # noqa: E402

import numpy as np  # noqa: E402

from ntransport.solve.amg import VCycle  # noqa: E402
from ntransport.solve.linear import _PRECISIONS, AMGSolver  # noqa: E402

UM = 1e-6


def additive_two_sweeps(h, **kw):
    """The additive finest level with ``W`` = two Jacobi sweeps from zero (one SpMV)."""
    base = additive_finest(h, **kw)

    class TwoSweeps(type(base)):
        def _cycle(self, lvl, b):
            if lvl > 0:
                return VCycle._cycle(self, lvl, b)
            x = self._Ab[0].jacobi(self.W[0], b, self.W[0] * b)
            x += self.P[0] @ VCycle._cycle(self, 1, self._Rb[0].matvec(b))
            return x

    base.__class__ = TwoSweeps
    return base


class Variant(AMGSolver):
    """The library's AMGSolver with its V-cycle swapped for a benchmark cycle."""

    def __init__(self, make, **kw):
        super().__init__(**kw)
        self._make = make

    def _preconditioner(self, A, precision):
        if self._make is None:
            return super()._preconditioner(A, precision)
        from ntransport.solve.amg import build_hierarchy

        h = build_hierarchy(A, theta=self.theta, max_coarse=self.max_coarse)
        self.setups += 1
        make = self._make if len(h.A) > 1 else VCycle  # one level: no finest to make additive
        return make(h, sweeps=self.sweeps, dtype=_PRECISIONS[precision])


VARIANTS = {"v-cycle (shipped)": None, "additive finest": additive_finest,
            "add2 (W = two Jacobi sweeps)": additive_two_sweeps}


def conduction_cases():
    from ntransport.geometry import layered_stack, particle_composite

    def stack(dim):
        if dim == 2:
            return layered_stack([("a", 10 * UM), ("b", 0.1 * UM), ("a2", 10 * UM)],
                                 width=20 * UM, mesh_size=0.05 * UM)
        return layered_stack([("a", 10 * UM), ("b", 0.2 * UM), ("a2", 10 * UM)],
                             width=10 * UM, depth=10 * UM, mesh_size=0.5 * UM)

    def shells(dim):
        if dim == 2:
            return particle_composite((100 * UM, 100 * UM), volume_fraction=0.4,
                                      radius=2 * UM, seed=3, shell_thickness=0.2 * UM)
        return particle_composite((16 * UM, 16 * UM, 16 * UM), volume_fraction=0.18,
                                  radius=2 * UM, seed=3, shell_thickness=0.3 * UM)

    def shell_sigma(c):
        return {"matrix": 1.0, "particles": 1e-3, "interphase": c}

    yield "layers 2D, 0.1 um layer 1e-4", lambda: stack(2), {"a": 1.0, "b": 1e-4, "a2": 1.0}
    yield "layers 3D, 0.2 um layer 1e-5", lambda: stack(3), {"a": 1.0, "b": 1e-5, "a2": 1.0}
    yield "layers 3D, 0.2 um layer 1e5", lambda: stack(3), {"a": 1e-5, "b": 1.0, "a2": 1e-5}
    for dim in (2, 3):
        for c in (1e4, 1e-4):
            yield f"shells {dim}D, interphase x{c:g}", (lambda d=dim: shells(d)), shell_sigma(c)


def timed(f):
    t0 = time.perf_counter()
    value = f()
    return time.perf_counter() - t0, value


def compare(name, call, rounds, solvers=None):
    """call(solver) -> answer; every variant once per round, the order reversed each round.
    *solvers*: ``{variant: () -> solver}`` (default: a `Variant` of each of `VARIANTS`)."""
    solvers = solvers or {k: (lambda m=m: Variant(m)) for k, m in VARIANTS.items()}
    rows = {k: dict(seconds=[], iterations=None, answer=None) for k in solvers}
    names = list(solvers)
    for r in range(rounds):
        for k in (names if r % 2 == 0 else names[::-1]):
            s = solvers[k]()
            dt, ans = timed(lambda: call(s))
            rows[k]["seconds"].append(dt)
            rows[k].update(iterations=s.iterations[-1], answer=ans,
                           coarsening=(getattr(s, "hierarchies", None) or [None])[-1])
            print(f"{name:42s} {k:30s} {dt:7.3f} s {s.iterations[-1]:4d} its  {ans}", flush=True)
    ref = rows[names[0]]
    out = dict(case=name, variants={})
    for k, v in rows.items():
        out["variants"][k] = dict(time=stats(v["seconds"]), iterations=v["iterations"],
                                  answer=v["answer"], coarsening=v["coarsening"],
                                  time_min_over_shipped=min(v["seconds"]) / min(ref["seconds"]),
                                  iterations_over_shipped=v["iterations"] / ref["iterations"])
    return out


def cases(want):
    """``(name, call)`` of every case whose name *want* accepts; ``call(solver)`` is the
    whole user call with that solver and returns its answer."""
    from ntransport.solve.conduction import solve_conduction

    built = {}
    for name, make, sigma in conduction_cases():
        if not want(name):
            continue
        key = name.split(",")[0]  # the layers and shells meshes are shared by their cases
        d = built[key] = built[key] if key in built else make()

        def call(s, d=d, sg=sigma):
            return float(solve_conduction(d, sg, voltage=1.0, order=1,
                                          solver=s).effective_conductivity)

        yield name + f" ({d.mesh.p.shape[1]} nodes)", call
    from ntransport.percolation.voxel import grid_solution

    rng = np.random.default_rng(5)
    for n, p, c in ((64, 0.32, 1e8), (64, 0.45, 1e4), (80, 0.30, 1e6)):
        sig = np.where(rng.random((n, n, n)) < p, c, 1.0)
        name = f"voxels {n}^3, p = {p}, contrast {c:g}"
        if want(name):
            yield name, lambda s, sig=sig: float(grid_solution(sig, rtol=1e-10,
                                                               solver=s).sigma_eff)
    import systems

    for dim in (2, 3):
        name = f"1 M elements {dim}D (setup + CG)"
        if want(name):
            A, b = systems.system(dim)
            yield name, lambda s, A=A, b=b: float(s.factor(A)(b) @ b)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", nargs="+", default=None,
                    help="run only the cases whose names contain one of these strings")
    args = ap.parse_args(argv)
    want = (lambda n: True) if not args.only else (lambda n: any(s in n for s in args.only))
    results = [compare(name, call, args.rounds) for name, call in cases(want)]
    write(results, HERE / "additive_suite.json", args.rounds, partial=bool(args.only))


def write(results, path, rounds, partial):
    """*results* (with their rounds and date) as JSON at *path*; a *partial* re-run
    replaces its own cases only."""
    env = environment()
    for r in results:
        r.update(rounds=rounds, date=env.get("date"))
    if partial and path.exists():
        done = {r["case"] for r in results}
        results = [r for r in json.loads(path.read_text())["results"]
                   if r["case"] not in done] + results
    path.write_text(json.dumps(dict(environment=env, results=results), indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
