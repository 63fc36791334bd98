"""Wall time of the 2-hour deposition-from-a-defect study (Zhu et al. 2023), per case.

Usage: OMP_NUM_THREADS=1 python benchmarks/deposition/run.py [--reduced]
Writes results.json (or results_reduced.json) next to this file; RESULTS.md is
updated by hand from it. Target: < 5 min per case on 2 cores.
"""
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from ntransport.studies.deposition import load_case, run_case  # noqa: E402


def main():
    reduced = "--reduced" in sys.argv
    case = load_case(HERE.parents[1] / "geometries" / "deposition_defect.yaml", reduced=reduced)
    rows = []
    for name in case.electrolytes:
        t0, c0 = time.perf_counter(), time.process_time()
        run = run_case(case, name)
        row = run.summary()
        row.update(wall_s=round(time.perf_counter() - t0, 2),
                   cpu_s=round(time.process_time() - c0, 2),
                   elements_final=int(run.snapshots[max(run.snapshots)].domain.mesh.t.shape[1]),
                   max_remesh_content_error=max((e.content_error for e in run.remeshes),
                                                default=0.0))
        rows.append(row)
        print(json.dumps(row))
    out = {"case": "geometries/deposition_defect.yaml", "reduced": reduced,
           "h_anode_um": case.h_anode * 1e6, "h_max_um": case.h_max * 1e6,
           "simulated_time_h": case.duration / 3600, "python": platform.python_version(),
           "machine": platform.machine(), "omp_threads": os.environ.get("OMP_NUM_THREADS"),
           "results": rows}
    name = "results_reduced.json" if reduced else "results.json"
    (HERE / name).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
