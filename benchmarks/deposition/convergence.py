"""Mesh/time-step sensitivity of the study's headline number (defect growth in 2 h).

Usage: OMP_NUM_THREADS=1 python benchmarks/deposition/convergence.py
Writes convergence.json next to this file.
"""
import dataclasses
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from ntransport.studies.deposition import load_case, run_case  # noqa: E402

LEVELS = [(0.1e-6, 0.5e-6, 0.3), (0.05e-6, 0.3e-6, 0.3), (0.05e-6, 0.3e-6, 0.15),
          (0.025e-6, 0.2e-6, 0.3)]


def main():
    base = load_case(HERE.parents[1] / "geometries" / "deposition_defect.yaml")
    rows = []
    for h, hmax, cfl in LEVELS:
        case = dataclasses.replace(base, h_anode=h, h_max=hmax, cfl=cfl, frames=2,
                                   snapshots=(base.duration,))
        for name in case.electrolytes:
            t0 = time.perf_counter()
            s = run_case(case, name).summary()
            s.update(h_anode_um=h * 1e6, cfl=cfl, wall_s=round(time.perf_counter() - t0, 1),
                     defect_growth_um=s["defect_height_um_end"] - s["defect_height_um_start"])
            rows.append(s)
            print(json.dumps(s), flush=True)
    (HERE / "convergence.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
