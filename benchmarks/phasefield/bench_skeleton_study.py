"""Wall time of the dendrite skeleton study (both cases), JSON + RESULTS.md.

Usage: OMP_NUM_THREADS=1 python benchmarks/phasefield/bench_skeleton_study.py [--ci]
"""
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from ntransport.studies.dendrites import build_mesh, case_dict, load_case, run_case

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def main(ci: bool) -> dict:
    case = load_case(ROOT / "geometries" / "dendrite_skeleton.yaml")
    if ci:
        case = case.reduced()
    t0 = time.perf_counter()
    mesh, skel = build_mesh(case)
    t_mesh = time.perf_counter() - t0
    out = {"case": case_dict(case), "reduced": ci, "nodes": int(mesh.nvertices),
           "dofs": int(3 * mesh.nvertices), "mesh_s": t_mesh,
           "python": platform.python_version(), "machine": platform.machine(), "runs": {}}
    for label, sk in (("PEO", False), ("PEO+PE", True)):
        r = run_case(case, skeleton=sk, mesh=mesh, skel=skel)
        out["runs"][label] = r.summary()
    out["total_s"] = time.perf_counter() - t0
    name = "results_ci.json" if ci else "results.json"
    (HERE / name).write_text(json.dumps(out, indent=2, default=float))
    return out


if __name__ == "__main__":
    res = main("--ci" in sys.argv)
    print(json.dumps(res["runs"], indent=1, default=float), res["total_s"])
