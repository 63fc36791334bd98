"""Meshing speed of the 1 M-element composites (issue 15, item 5): options against time.

Builds the conduction benchmark composites (2D: 1000 disks, 0.96 M triangles; 3D: 200
spheres, 1.0 M tetrahedra) with ``particle_composite`` and times the gmsh stages (CAD,
mesh, gmsh -> Domain) for gmsh thread counts, algorithms, the 3D optimisation pass and
``split=1`` / ``2`` (gmsh at twice / four times the size, every element split once / twice,
new interface nodes on the spheres/disks); records wall and CPU seconds, the element count,
the minimum gmsh SICN of the mesh gmsh made, and the mean-ratio quality (1 = equilateral)
of the final mesh, the same measure for every variant. Variants run interleaved,
``--repeats`` rounds.

    nice -n 5 python benchmarks/meshing/run.py --dims 2 3 --repeats 2
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
sys.path.insert(0, str(HERE.parent / "conduction"))

import numpy as np  # noqa: E402
from common import environment, stats  # noqa: E402

VARIANTS = {
    2: {
        "Delaunay(5), 1 thread": dict(algorithm=5, threads=1),
        "Delaunay(5), 2 threads": dict(algorithm=5, threads=2),
        "Delaunay(5), 2 threads, split 1": dict(algorithm=5, threads=2, split=1),
        "Delaunay(5), 2 threads, split 2": dict(algorithm=5, threads=2, split=2),
    },
    3: {
        "HXT(10), optimize, 1 thread": dict(algorithm=10, threads=1, optimize=True),
        "HXT(10), optimize, 2 threads": dict(algorithm=10, threads=2, optimize=True),
        "HXT(10), optimize, 2 threads, split 1": dict(algorithm=10, threads=2, optimize=True,
                                                      split=1),
        # "HXT(10), no gmsh optimize" was measured once (-20 % mesh time) and left inverted
        # tetrahedra (min SICN <= 0); ntransport's mesh checks now refuse that mesh
        # ("90 of 1031730 cells have zero volume"), so it is no longer a variant
    },
}


def one(dim, size, opts):
    import gmsh

    from meshes import CASES, radius_for
    from ntransport.geometry import _occ
    from ntransport.geometry.composite import particle_composite

    quality = {}
    orig = _occ.generate

    def generate(g, d, **kw):  # the benchmark's hook: override options, read quality
        kw["threads"] = opts["threads"]
        if "optimize" in opts:
            kw["optimize"] = opts["optimize"]
        orig(g, d, **kw)
        q = []
        for et in g.model.mesh.getElementTypes(d):
            tags, _ = g.model.mesh.getElementsByType(et)
            q.append(g.model.mesh.getElementQualities(tags, "minSICN"))
        quality["min_sicn"] = float(min(x.min() for x in q))
        quality["p01_sicn"] = float(np.percentile(np.concatenate(q), 1))

    _occ.generate = generate
    try:
        c = CASES[dim][size]
        r = radius_for(c["box"], c["volume_fraction"], c["n"])
        t0, c0 = time.perf_counter(), time.process_time()
        d = particle_composite(c["box"], volume_fraction=c["volume_fraction"], radius=r, seed=0,
                               mesh_size=c["mesh_size"], threads=opts["threads"],
                               algorithm=opts["algorithm"], split=opts.get("split", 0))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        _occ.generate = orig
    assert not gmsh.isInitialized()
    from ntransport.geometry.mesh_checks import mean_ratio

    q = mean_ratio(d.mesh.p, d.mesh.t)
    quality.update(mean_ratio_min=float(q.min()), mean_ratio_p01=float(np.percentile(q, 1)),
                   mean_ratio_p001=float(np.percentile(q, 0.1)))
    return dict(wall=wall, cpu=cpu, elements=int(d.mesh.nelements),
                volume_fraction=float(d.info["volume_fraction"]),
                split_reverted=int(d.info.get("split_reverted", 0)),
                stages=dict(d.info["timings"]), **quality)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--size", default="full")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default=None, help="JSON file name beside this script "
                    "(default results.json, or results_<size>.json)")
    args = ap.parse_args(argv)
    out = dict(environment=environment(), results=[])
    for dim in args.dims:
        rec = dict(dim=dim, size=args.size, variants={})
        raw = {k: [] for k in VARIANTS[dim]}
        for r in range(args.repeats):
            for name, opts in VARIANTS[dim].items():
                res = one(dim, args.size, opts)
                res["loadavg"] = list(os.getloadavg())
                raw[name].append(res)
                print(f"{dim}D round {r} {name:42s} wall {res['wall']:6.1f} s  cpu "
                      f"{res['cpu']:6.1f} s  mesh {res['stages']['mesh']:5.1f} s  "
                      f"{res['elements']:,} el  minSICN {res['min_sicn']:.3f}  mean ratio min "
                      f"{res['mean_ratio_min']:.3f} p1 {res['mean_ratio_p01']:.3f}", flush=True)
        for name, runs in raw.items():
            rec["variants"][name] = dict(
                wall=stats([x["wall"] for x in runs]), cpu=stats([x["cpu"] for x in runs]),
                mesh_stage=stats([x["stages"]["mesh"] for x in runs]), runs=runs)
        out["results"].append(rec)
    out["environment"]["loadavg_end"] = list(os.getloadavg())
    name = args.out or ("results.json" if args.size == "full" else f"results_{args.size}.json")
    (HERE / name).write_text(json.dumps(out, indent=2))
    print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
