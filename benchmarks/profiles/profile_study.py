"""Profile one seed study at full size (cProfile) and write its top functions.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/profiles/profile_study.py \
        geometries/dendrite_skeleton.yaml --label before

Writes ``<case>_<label>.prof`` (raw cProfile, in the system temp folder) and
``<case>_<label>.txt`` (wall time, top 25 functions by cumulative and by own time)
next to this file. The study's registered runner is called directly; it is given
``out_dir`` when it still has the older ``run(case, out_dir)`` signature. Runs that a
study would go side by side in threads (`ntransport.studies.concurrent.run_all`) run one
after the other here (``limit_workers(1)``): cProfile sees only the thread it was enabled
in, so a threaded run would profile as time spent waiting.
"""
from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import os
import pstats
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case")
    ap.add_argument("--label", required=True)
    ap.add_argument("--reduced", action="store_true")
    args = ap.parse_args(argv)

    from ntransport.studies.concurrent import limit_workers
    from ntransport.studies.registry import get_study, load_case

    case = load_case(args.case, reduced=args.reduced)
    kind = get_study(case.kind)
    out = Path(tempfile.mkdtemp(prefix=f"prof_{case.name}_"))
    params = inspect.signature(kind.run).parameters
    if "out_dir" in params:
        call = lambda: kind.run(case, out, progress=False)  # noqa: E731
    else:
        call = lambda: kind.run(case, progress=False)  # noqa: E731
    load = os.getloadavg()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    with limit_workers(1):
        call()
    prof.disable()
    wall = time.perf_counter() - t0
    stem = f"{case.name}{'_reduced' if args.reduced else ''}_{args.label}"
    prof.dump_stats(Path(tempfile.gettempdir()) / f"{stem}.prof")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=HERE).stdout.strip()
    buf = io.StringIO()
    buf.write(f"# {case.name} ({'reduced' if args.reduced else 'full'} size), label {args.label}\n"
              f"# commit {commit}, wall {wall:.1f} s under cProfile, "
              f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
              f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n\n")
    for key in ("cumulative", "tottime"):
        buf.write(f"## top 25 by {key}\n")
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(25)
    (HERE / f"{stem}.txt").write_text(buf.getvalue())
    print(f"{stem}: {wall:.1f} s -> {HERE / (stem + '.txt')}")


if __name__ == "__main__":
    main()
