"""Wall and CPU time of the dendrite study (``geometries/dendrite_skeleton.yaml``), with a
profile of the top functions; writes ``results_<size>.json`` and ``profile_after_<size>.txt``.

Usage: OMP_NUM_THREADS=1 python benchmarks/phasefield/bench_skeleton_study.py [--reduced]

The machine is shared: the wall time depends on the load, so the load average at the start
and at the end and the process CPU time (one thread: the compute the run itself needs) are
recorded beside it.
"""
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def main(reduced: bool) -> dict:
    from ntransport.studies.registry import load_case, run_case

    case = load_case(ROOT / "geometries" / "dendrite_skeleton.yaml", reduced=reduced)
    load0 = os.getloadavg()
    prof = cProfile.Profile()
    w0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        prof.enable()
        result = run_case(case, Path(tmp) / "out", progress=False)
        prof.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
    tag = "reduced" if reduced else "full"
    (HERE / f"profile_after_{tag}.txt").write_text(s.getvalue())
    rows = {f"{r.case}: {r.quantity}": [r.value, r.unit] for r in result.summary
            if r.quantity in ("steps", "short_circuit_time", "tip_height_at_common_charge",
                              "passed_charge_final")}
    out = {"case": "geometries/dendrite_skeleton.yaml", "size": tag, "wall_s": wall,
           "cpu_s": cpu, "load_average_start": load0, "load_average_end": os.getloadavg(),
           "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
           "python": platform.python_version(), "machine": platform.machine(),
           "summary": rows}
    (HERE / f"results_{tag}.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    res = main("--reduced" in sys.argv)
    print(json.dumps({k: res[k] for k in ("wall_s", "cpu_s", "load_average_start")}, indent=1))
