"""Profile of the percolation case file (issue 15, item 4): top functions and wall/CPU time.

Run:  OMP_NUM_THREADS=1 python benchmarks/percolation/profile_study.py [--reduced]
Writes profile_after_{full,reduced}.txt (cProfile, top 25 by internal time) and
profile_after_{full,reduced}.json (wall and CPU seconds of the whole run_case, per stage).
The "before" profile (commit 7befe97, the threshold scan alone, 2.3 ks wall on a
heavily loaded box under cProfile; 173 s unprofiled per the issue) is profile_before.txt.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASE = HERE.parents[1] / "geometries" / "percolation_metal_interphase.yaml"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reduced", action="store_true")
    ap.add_argument("--no-profile", action="store_true", help="time only (no cProfile overhead)")
    a = ap.parse_args()
    from ntransport.studies.registry import load_case, run_case

    case = load_case(CASE, reduced=a.reduced)
    tag = "reduced" if a.reduced else "full"
    pr = cProfile.Profile()
    w0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        if not a.no_profile:
            pr.enable()
        res = run_case(case, Path(tmp) / "out", progress=False)
        if not a.no_profile:
            pr.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    out = {"case": str(CASE.name), "size": tag, "wall_s": wall, "cpu_s_main_process": cpu,
           "profiled": not a.no_profile, "stages": res.parameters.get("timings [s]"),
           "note": "FEM ensemble points run in worker processes (ntransport.sweep): their "
                   "CPU time is not in cpu_s_main_process"}
    suffix = "" if not a.no_profile else "_timing"
    (HERE / f"profile_after_{tag}{suffix}.json").write_text(json.dumps(out, indent=1))
    if not a.no_profile:
        s = io.StringIO()
        pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(25)
        (HERE / f"profile_after_{tag}.txt").write_text(f"wall {wall:.1f} s, cpu {cpu:.1f} s\n"
                                                       + s.getvalue())
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
