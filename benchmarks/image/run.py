"""ntransport's voxel solver against TauFactor on identical images (CPU, interleaved).

Both solve the same two-point finite-volume system (harmonic-mean faces, Dirichlet
planes half a voxel outside the first and last layers, sealed sides), so the tortuosity
factors must agree to the solvers' tolerances. Each run is a separate process (peak RSS
= memory), A B A B order, same thread count for both (``--threads``). CPU time (process time, all threads) is
recorded beside wall time: on a shared machine it is the fairer measure.

    python benchmarks/image/run.py --sizes 100 200 --repeats 2 --threads 1
    python benchmarks/image/run.py --largest 300 400 --threads 2
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def make_image(n: int, seed: int = 0):
    """Conducting pore space of overlapping spheres (porosity ~0.65), n^3 voxels."""
    import numpy as np

    from ntransport.image import random_spheres_image

    img = random_spheres_image((n, n, n), 1.0 / n, fraction=0.35, radius=0.05, seed=seed,
                               overlap=True, phases=("pore", "solid"))
    return (img.labels == 0).astype(np.uint8)


def _child(kind: str, n: int, threads: int, conv: float) -> dict:
    """Run one solve in this process; print a JSON record."""
    import resource

    import numpy as np

    mask = make_image(n)
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "ntransport":
        import ntransport.image as ni

        img = ni.VoxelImage(mask, ("solid", "pore"), [1.0 / n] * 3)
        res = ni.solve_voxels(img, {"solid": 0.0, "pore": 1.0}, axis=0,
                              solver=ni.solve.make_solver("amg", n=mask.size, dim=3))
        eps = float(mask.mean())
        tau = eps / res.effective_conductivity
        info = dict(res.info)
    else:
        import torch

        import taufactor as tf

        torch.set_num_threads(threads)
        s = tf.Solver(mask, device="cpu")
        tau = float(np.ravel(s.solve(verbose=False, conv_crit=conv, iter_limit=200000))[0])
        info = {"iterations": int(s.iter), "conv_crit": conv}
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"solver": kind, "n": n, "voxels": int(mask.size), "tau": tau, "wall_s": wall,
            "cpu_s": cpu, "load_average": os.getloadavg()[0],
            "peak_rss_bytes": rss, "bytes_per_voxel": rss / mask.size, "info": info}


def run_one(kind, n, threads, conv, timeout=3600):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, __file__, "--child", kind, str(n), str(threads), str(conv)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"solver": kind, "n": n, "error": f"timeout after {timeout} s"}
    if out.returncode != 0:
        return {"solver": kind, "n": n, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 200])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--conv", type=float, default=1e-5,
                    help="TauFactor conv_crit (relative flux spread between layers)")
    ap.add_argument("--largest", type=int, nargs="*", default=[])
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--child", nargs=4)
    a = ap.parse_args()
    if a.child:
        kind, n, threads, conv = a.child
        print(json.dumps(_child(kind, int(n), int(threads), float(conv))))
        return
    records = []
    for n in a.sizes:
        for _ in range(a.repeats):  # A B A B
            for kind in ("ntransport", "taufactor"):
                r = run_one(kind, n, a.threads, a.conv)
                print(json.dumps(r), flush=True)
                records.append(r)
    largest = []
    for n in a.largest:
        r = run_one("ntransport", n, a.threads, a.conv)
        print(json.dumps(r), flush=True)
        largest.append(r)
    out = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.platform(),
           "cpus": os.cpu_count(), "threads": a.threads, "taufactor_conv_crit": a.conv,
           "load_average_at_end": os.getloadavg(), "runs": records, "largest": largest}
    old = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else {}
    if records or not old:
        Path(a.out).write_text(json.dumps({**old, **out}, indent=1))
    else:
        old.setdefault("largest", []).extend(largest)
        Path(a.out).write_text(json.dumps(old, indent=1))


if __name__ == "__main__":
    main()
