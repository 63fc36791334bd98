"""One case file, full size, from the CLI, under two checkouts of ntransport, interleaved
(A B A B ...): wall and CPU time of each run (its own fresh process: imports, meshing,
runs, figures and files included), the load average before it, and whether the two
artifact sets are byte-identical (CSV, PNG, GIF).

    python benchmarks/casefiles/ab.py OLD_TREE NEW_TREE [--case NAME] [--rounds N] --out FILE

``OLD_TREE`` / ``NEW_TREE``: folders holding an ``ntransport/`` package (a git worktree of
each commit), put first on ``PYTHONPATH`` of their runs.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def one(tree: Path, case: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "2"}
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ntransport.cli", "run", str(case), "--out",
                           str(out), "-q"], capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load_before": round(load, 2),
            "exit_code": proc.returncode, "utc": time.strftime("%H:%M:%S", time.gmtime())}


def same_artifacts(a: Path, b: Path) -> dict:
    names = sorted(p.name for p in a.iterdir() if p.suffix in (".csv", ".png", ".gif"))
    return {n: filecmp.cmp(a / n, b / n, shallow=False) for n in names}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--case", default="dendrite_skeleton")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    case = ROOT / "geometries" / f"{args.case}.yaml"
    rec = {"case": args.case, "size": "full", "threads": 2, "date": time.strftime("%Y-%m-%d"),
           "trees": {"old": str(args.old), "new": str(args.new)}, "rounds": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            row = {}
            for name, tree in (("old", args.old), ("new", args.new)):
                row[name] = one(tree, case, Path(tmp) / name)
                print(r, name, row[name], flush=True)
            rec["rounds"].append(row)
        rec["identical_artifacts"] = same_artifacts(Path(tmp) / "old", Path(tmp) / "new")
    for name in ("old", "new"):
        walls = sorted(x[name]["wall_s"] for x in rec["rounds"])
        cpus = sorted(x[name]["cpu_s"] for x in rec["rounds"])
        rec[f"{name}_wall_min_median"] = [walls[0], walls[len(walls) // 2]]
        rec[f"{name}_cpu_min_median"] = [cpus[0], cpus[len(cpus) // 2]]
    args.out.write_text(json.dumps(rec, indent=1))
    print(json.dumps({k: v for k, v in rec.items() if k != "rounds"}, indent=1))


if __name__ == "__main__":
    main()
