"""A B timing of ``Domain.from_arrays`` and the P1 solve between two checkouts (issue #15,
section 1): the fresh-mesh path of ``run.py``'s ``ours()`` on its cached composites.

Each process (one per checkout, alternating A B A B) warms up on the small mesh, then runs
``ours()`` (Domain build + P1 solve) ``--rounds`` times on the full mesh and records every
round's Domain and solve seconds and its system CPU time (first touch of new memory).

    python benchmarks/conduction/domain_ab.py --a /path/to/old --b . --dim 2 --threads 2
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = r"""
import json, os, resource, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, os.environ["PYTHONPATH"])
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, os.path.dirname(sys.argv[1]))
import run as R
from meshes import load
dim, rounds = int(sys.argv[2]), int(sys.argv[3])
R.ours(load(dim, "small", 1))
a = load(dim, "full", 0)
out = []
for _ in range(rounds):
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t, st, e = R.ours(a)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    out.append(dict(seconds=t, domain=st["domain"], solve=st["solve"], energy=e,
                    sys=r1.ru_stime - r0.ru_stime))
print("RESULT " + json.dumps(out))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", default=str(HERE.parents[1]))
    ap.add_argument("--dim", type=int, default=2, choices=(2, 3))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    env = {**os.environ, **{k: str(args.threads) for k in
                            ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}}
    res = {"a": [], "b": []}
    for i in range(args.pairs):
        for tag in ("a", "b"):
            root = str(Path(getattr(args, tag)).resolve())
            p = subprocess.run([sys.executable, "-c", CHILD, str(HERE), str(args.dim),
                                str(args.rounds)], env={**env, "PYTHONPATH": root},
                               capture_output=True, text=True, check=True)
            rec = json.loads(p.stdout.split("RESULT ", 1)[1])
            res[tag].append(rec)
            print(f"pair {i} {tag}: " + ", ".join(
                f"{r['seconds']:.3f} s (domain {r['domain']:.3f}, sys {r['sys']:.2f})"
                for r in rec), flush=True)
    for tag in ("a", "b"):
        first = [r[0]["seconds"] for r in res[tag]]
        best = [min(x["seconds"] for x in r) for r in res[tag]]
        dom = [min(x["domain"] for x in r) for r in res[tag]]
        print(f"{tag}: first rounds {min(first):.3f}-{max(first):.3f} s, best rounds "
              f"{min(best):.3f}-{max(best):.3f} s, Domain {min(dom):.3f}-{max(dom):.3f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(dict(args=vars(args), results=res), indent=1))


if __name__ == "__main__":
    main()
