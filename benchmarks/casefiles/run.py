"""Wall and CPU time of every shipped case file, full size and reduced (issue #15 item 4).

Each case runs in its own fresh process (`ntransport run`, so imports, meshing and file
writing are included: what a user pays), one after the other, with the load average
recorded before each run. Results: ``results.json`` beside this file.

With ``--probe`` each row also records the host's speed just before and just after the run
(``common.speed_probe``: one fixed PARDISO refactorisation and the memory bandwidth, one
thread) and the hypervisor's steal time during it (``common.cpu_ticks``), for the reader to
compare the host's state between snapshots (on 2026-12-03 the probe did not predict the run
after it; the steal time showed the hypervisor was not the cause of the slow hours).

    python benchmarks/casefiles/run.py [--reduced-only | --full-only] [--only NAME ...]
        [--repeats N] [--probe] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))


def one(case: Path, reduced: bool, probe: bool = False) -> dict:
    from common import cpu_ticks, speed_probe

    host = speed_probe() if probe else None
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "ntransport.cli", "run", str(case), "--out",
               str(Path(tmp) / "out"), "-q"] + (["--reduced"] if reduced else [])
        load = os.getloadavg()[0]
        ticks = cpu_ticks()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={
            **os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")})
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        steal = cpu_ticks().get("steal", 0.0) - ticks.get("steal", 0.0)
    row = {"case": case.stem, "size": "reduced" if reduced else "full", "wall_s": round(wall, 2),
           "cpu_s": round(cpu, 2), "load_before": round(load, 2), "exit_code": proc.returncode,
           "error": proc.stderr.strip().splitlines()[-1] if proc.returncode else None}
    if probe:
        row.update(host_probe=host, host_probe_after=speed_probe(), steal_s=round(steal, 2))
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--reduced-only", action="store_true")
    size.add_argument("--full-only", action="store_true")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs of each case and size, one after the other")
    ap.add_argument("--probe", action="store_true",
                    help="record the host's speed before and after each run and the steal time "
                         "during it")
    ap.add_argument("--out", default=None,
                    help="results file (default: results.json beside this script; a bare "
                         "name also goes beside it; a re-run on another host goes to its "
                         "own file)")
    a = ap.parse_args(argv)
    cases = sorted((ROOT / "geometries").glob("*.yaml"))
    if a.only:
        cases = [c for c in cases if c.stem in a.only]
    out = Path(a.out or "results.json")
    if out.parent == Path("."):  # a bare name: beside this script, like the others' --out
        out = Path(__file__).with_name(out.name)
    # a partial re-run (--only) replaces its rows and keeps the others (each row is dated)
    old = json.loads(out.read_text())["runs"] if out.exists() else []
    rows = []
    for c in cases:
        sizes = (True,) if a.reduced_only else (False,) if a.full_only else (True, False)
        for reduced in sizes:
            for _ in range(a.repeats):
                r = dict(one(c, reduced, a.probe), date=time.strftime("%Y-%m-%d %H:%M"))
                print(json.dumps(r), flush=True)
                rows.append(r)
    done = {(r["case"], r["size"]) for r in rows}
    rows = sorted([r for r in old if (r["case"], r["size"]) not in done] + rows,
                  key=lambda r: (r["case"], r["size"] != "reduced"))
    out.write_text(json.dumps({"threads": os.environ.get("OMP_NUM_THREADS", "2"),
                               "nproc": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M"),
                               "runs": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
