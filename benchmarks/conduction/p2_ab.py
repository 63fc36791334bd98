"""A B timing of the conduction solve between two checkouts (issue #15, section 1).

Each round runs ``solve_conduction(order=2)`` (the 3D default; ``--order 1`` for P1) on the
same composite with interphase shells (``particle_composite``, seed 3, 10 um cube; with
``--dim 2`` a 40 um square; the mesh built in the child, not timed) in a fresh process per
checkout, alternating A B A B, one thread (``--threads``). Records
the solve time, its user and system CPU seconds and the process's peak resident memory
(the system time is mostly the first touch of new memory), sigma_eff, P2 unknowns and
AMG-CG iterations per round.

    python benchmarks/conduction/p2_ab.py --a /path/to/old/checkout --b . --rounds 2
    python benchmarks/conduction/p2_ab.py --a OLD --order 1 --dim 2 --mesh-size 0.06e-6
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
import json, os, resource, sys, time
# the checkout on PYTHONPATH, not an editable install's finder (which comes first)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, os.environ["PYTHONPATH"])
from ntransport.geometry.composite import particle_composite
from ntransport.solve.conduction import solve_conduction
from ntransport.solve.linear import AMGSolver
dim, order = int(sys.argv[3]), int(sys.argv[2])
d = particle_composite(((10e-6,) * 3 if dim == 3 else (40e-6,) * 2), volume_fraction=0.2,
                       radius=1.5e-6, seed=3, shell_thickness=0.2e-6,
                       mesh_size=float(sys.argv[1]))
s = AMGSolver()
r0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
r = solve_conduction(d, {"matrix": 1e-2, "particles": 1.0, "interphase": 10.0},
                     voltage=1.0, order=order, solver=s)
import ntransport
wall = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps(dict(module=ntransport.__file__, seconds=wall,
                      user=r1.ru_utime - r0.ru_utime, system=r1.ru_stime - r0.ru_stime,
                      peak_rss_MB=r1.ru_maxrss / 1024, rss_before_MB=r0.ru_maxrss / 1024,
                      sigma_eff=r.effective_conductivity,
                      dofs=r.info.get("dofs"), iterations=s.iterations,
                      elements=d.mesh.nelements)))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True, help="checkout A (e.g. the commit before)")
    ap.add_argument("--b", default=str(HERE.parents[1]), help="checkout B")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mesh-size", type=float, default=0.3e-6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--order", type=int, default=2, choices=(1, 2))
    ap.add_argument("--dim", type=int, default=3, choices=(2, 3))
    ap.add_argument("--out", default=str(HERE / "p2_ab.json"))
    args = ap.parse_args(argv)
    n = str(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n)
    rounds = []
    for r in range(args.rounds):
        for tag, path in (("A", args.a), ("B", args.b)):
            e = dict(env, PYTHONPATH=str(Path(path).resolve()))
            git = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip()
            out = subprocess.run([sys.executable, "-c", CHILD, str(args.mesh_size),
                                  str(args.order), str(args.dim)], env=e,
                                 capture_output=True, text=True, check=True).stdout
            rec = dict(round=r, code=tag, commit=git, path=str(Path(path).resolve()),
                       loadavg=list(os.getloadavg()),
                       **json.loads(out.strip().splitlines()[-1]))
            rounds.append(rec)
            print(f"round {r} {tag} ({git}): {rec['seconds']:.2f} s (system "
                  f"{rec['system']:.2f} s, peak {rec['peak_rss_MB']:.0f} MB), sigma_eff "
                  f"{rec['sigma_eff']:.12g}, {rec['dofs']} dofs, CG {rec['iterations']}",
                  flush=True)
    Path(args.out).write_text(json.dumps(dict(rounds=rounds, mesh_size=args.mesh_size,
                                              threads=args.threads, order=args.order,
                                              dim=args.dim),
                                         indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
