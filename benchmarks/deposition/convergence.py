"""Mesh and time-step sensitivity of the study's headline numbers at 2 h: tip/flat current
ratio and defect height, for both electrolytes at the cited i0 and at 10 and 30 mA/cm².

Usage: OMP_NUM_THREADS=1 python benchmarks/deposition/convergence.py
Writes convergence.json next to this file.
"""
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASE = HERE.parents[1] / "geometries" / "deposition_defect.yaml"
LEVELS = [(0.1e-6, 0.5e-6, 0.3), (0.05e-6, 0.3e-6, 0.3), (0.05e-6, 0.3e-6, 0.15),
          (0.035e-6, 0.25e-6, 0.3)]
I0 = (None, 100.0, 300.0)  # A/m2; None: the cited value


def main():
    from ntransport.geometry.remesh import anode_profile
    from ntransport.solve.deposition import MeshOptions, solve
    from ntransport.studies import deposition as study
    from ntransport.studies.registry import load_case

    case = load_case(CASE, reduced=False)
    d = case.data
    res = study.resolve(case)
    rows = []
    levels = LEVELS[:2] if "--quick" in sys.argv else LEVELS
    for h, hmax, cfl in levels:
        curve = anode_profile(d["width"], height=d["height"], defect_height=d["defect_height"],
                              defect_width=d["defect_width"], spacing=h, shape=d["defect_shape"])
        mesh = MeshOptions(h_anode=h, h_max=hmax, cfl=cfl, dt_max=d["dt_max"])
        for i0 in I0:
            for name in d["electrolytes"]:
                x = res[name]["parameters"]["i0 [A/m2]"] if i0 is None else i0
                c0 = time.process_time()
                s = solve(study._problem(d, res[name]["species"], x), curve, t_end=d["duration"],
                          mesh=mesh)
                row = {"electrolyte": name, "i0_mA_cm2": x * 0.1, "h_anode_um": h * 1e6,
                       "cfl": cfl, "cpu_s": round(time.process_time() - c0, 1),
                       "steps": s.info["steps"], "remeshes": len(s.info["remeshes"]),
                       "t_end_h": s.times[-1] / 3600, "event": s.info["event"],
                       "tip_to_flat": float(s.history("tip-to-flat current ratio [1]")[-1]),
                       "defect_height_um": float(s.history("defect height [m]")[-1] * 1e6)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    (HERE / "convergence.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
