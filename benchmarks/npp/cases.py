"""Wall time of the NPP source-study case files (the study-case part of the former
``bench_npp.py``; the peer comparison is ``run.py``). Writes ``cases.json``.

    OMP_NUM_THREADS=2 python benchmarks/npp/cases.py
"""
import json
import time
from pathlib import Path


def main():
    from ntransport.studies.registry import load_case, run_study

    root = Path(__file__).resolve().parents[2] / "geometries"
    out = {}
    for name in ("npp_peo_vs_peomof", "npp_peo_vs_plm", "npp_full_cell"):
        t = time.perf_counter()
        res = run_study(load_case(root / f"{name}.yaml"), progress=False)
        out[name] = {"wall_time_s": time.perf_counter() - t,
                     "summary": [[r.case, r.quantity, r.region, r.value, r.unit]
                                 for r in res.summary]}
    Path(__file__).with_name("cases.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
