"""A parameter sweep on a dask ``LocalCluster`` of processes, against the serial loop.

Each point is a full FEM evaluation (mesh a 2D particle composite with
``particle_composite``, ~25 k triangles, and solve it with ``solve_conduction``:
about one second), over a grid of particle fractions x realisations. Timed:

* ``serial``: a plain loop calling the point function in this process;
* ``local processes``: ``ntransport.sweep(..., n_workers=N)`` (a process pool);
* ``dask LocalCluster``: ``ntransport.sweep(..., scheduler=cluster.scheduler_address)``
  with ``N`` worker processes of one thread each (cluster start-up and the workers'
  first imports timed separately).

The speed-up is serial / sweep wall time. Needs the ``cluster`` extra
(``pip install "ntransport[cluster]"``).

    nice -n 5 python benchmarks/cluster/dask_sweep.py --workers 2 --points 16
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


MESH_SIZE = float(os.environ.get("NTRANSPORT_BENCH_MESH_SIZE", "0.25e-6"))


def point(volume_fraction, seed):
    """One FEM evaluation: sigma_eff of a random 2D composite (matrix 1, particles 10 S/m)."""
    from ntransport.geometry import particle_composite
    from ntransport.solve.conduction import solve_conduction

    d = particle_composite((20e-6, 20e-6), volume_fraction=volume_fraction, radius=1e-6,
                           seed=seed, mesh_size=MESH_SIZE)
    res = solve_conduction(d, {"matrix": 1.0, "particles": 10.0}, voltage=1.0)
    return {"sigma_eff [S m-1]": res.effective_conductivity,
            "elements": float(d.mesh.nelements)}


def _warm():
    import ntransport.geometry  # noqa: F401
    import ntransport.solve.conduction  # noqa: F401


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--realisations", type=int, default=4)
    ap.add_argument("--mesh-size", type=float, default=0.25e-6,
                    help="element size [m] of each point's composite (smaller: heavier points)")
    args = ap.parse_args(argv)
    os.environ["NTRANSPORT_BENCH_MESH_SIZE"] = repr(args.mesh_size)  # workers inherit it
    global MESH_SIZE
    MESH_SIZE = args.mesh_size
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from distributed import LocalCluster

    from common import environment
    from ntransport.sweep import sweep

    grid = {"volume_fraction": [0.1, 0.2, 0.3, 0.4]}
    n_points = len(grid["volume_fraction"]) * args.realisations
    point(0.1, 99)  # warm-up (imports) in this process
    out = dict(environment=environment(), workers=args.workers, points=n_points,
               mesh_size=args.mesh_size)

    t0 = time.perf_counter()
    serial = [point(f, s) for f in grid["volume_fraction"] for s in range(args.realisations)]
    out["serial_seconds"] = time.perf_counter() - t0
    out["elements_per_point"] = serial[0]["elements"]
    print(f"serial: {out['serial_seconds']:.1f} s for {n_points} points", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sweep(point, grid, store=Path(tmp) / "pool", realisations=args.realisations,
              n_workers=args.workers, progress=False)
        out["process_pool_seconds"] = time.perf_counter() - t0
        print(f"local processes: {out['process_pool_seconds']:.1f} s", flush=True)

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        # what a long-lived cluster has done once: workers import the stack (the first
        # task on a cold worker would otherwise pay ~5-10 s of imports)
        from distributed import Client

        with Client(cluster.scheduler_address) as c:
            c.run(_warm)
        out["cluster_start_seconds"] = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            ds = sweep(point, grid, store=Path(tmp) / "dask", realisations=args.realisations,
                       scheduler=cluster.scheduler_address, progress=False)
            out["dask_seconds"] = time.perf_counter() - t0
        finally:
            cluster.close()
        ok = int((ds["status"] == "ok").sum())
        out["dask_points_ok"] = ok
        print(f"dask LocalCluster: {out['dask_seconds']:.1f} s (+ {out['cluster_start_seconds']:.1f}"
              f" s start-up), {ok}/{n_points} points ok", flush=True)
    out["speedup_process_pool"] = out["serial_seconds"] / out["process_pool_seconds"]
    out["speedup_dask"] = out["serial_seconds"] / out["dask_seconds"]
    out["environment"]["loadavg_end"] = list(os.getloadavg())
    name = "results.json" if args.mesh_size == 0.25e-6 else f"results_h{args.mesh_size:g}.json"
    (HERE / name).write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "environment"}, indent=1))


if __name__ == "__main__":
    main()
