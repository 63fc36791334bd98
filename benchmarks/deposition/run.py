"""CPU and wall time of the deposition_defect study (Zhu et al. 2023), reduced and full.

Usage: OMP_NUM_THREADS=1 python benchmarks/deposition/run.py [--reduced]
Writes results.json (or results_reduced.json) next to this file; RESULTS.md is updated by
hand from it. The study runs 2 cited + 2 x len(i0_sweep) deposition runs in one process.
"""
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASE = HERE.parents[1] / "geometries" / "deposition_defect.yaml"


def main():
    from ntransport.studies.registry import load_case, run_case

    reduced = "--reduced" in sys.argv
    case = load_case(CASE, reduced=reduced)
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_case(case, Path(tmp) / "out", progress=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    runs = {k: {"steps": s.info["steps"], "remeshes": len(s.info["remeshes"]),
                "event": s.info["event"], "final_nodes": int(s.domain.mesh.p.shape[1])}
            for k, s in result.solutions.items()}
    rows = [r.__dict__ for r in result.summary]
    out = {"case": str(CASE.relative_to(HERE.parents[1])), "reduced": reduced,
           "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
           "load_average": os.getloadavg()[0], "python": platform.python_version(),
           "machine": platform.machine(), "omp_threads": os.environ.get("OMP_NUM_THREADS"),
           "runs": runs, "summary": rows}
    (HERE / ("results_reduced.json" if reduced else "results.json")).write_text(
        json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: out[k] for k in ("reduced", "wall_s", "cpu_s", "load_average")}))


if __name__ == "__main__":
    main()
