"""Percolation benchmarks: time per realisation (graph and FEM, 2D/3D) and a
200-realisation percolation curve on local processes vs a 2-worker dask LocalCluster.

Run:  OMP_NUM_THREADS=1 python benchmarks/percolation/run.py  [--quick]
Writes results.json next to this file; RESULTS.md quotes it.
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def critical_point(L, seed, dim=3):
    """One realisation of the percolation curve: critical metal fraction."""
    from ntransport.percolation import Sphere
    from ntransport.percolation.threshold import critical_densities

    eta = critical_densities(Sphere(1.0, dim=dim), L, 1, rng=seed)[0]
    return {"phi_c": 1.0 - np.exp(-eta)}


def _median_time(fn, n):
    ts = []
    for k in range(n):
        t = time.perf_counter()
        fn(k)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def main(quick=False):
    from ntransport.percolation import Sphere
    from ntransport.percolation.threshold import critical_densities
    from ntransport.studies.percolation_gmsh import realisation
    from ntransport.sweep import sweep

    res = {"machine": platform.processor() or platform.machine(), "quick": quick}
    # graph: one realisation = exact critical density by bisection over prefixes
    for dim, L in ((2, 64), (2, 128), (3, 24), (3, 48)):
        res[f"graph_{dim}d_L{L}_s"] = _median_time(
            lambda k: critical_densities(Sphere(1.0, dim=dim), L, 1, rng=k), 5 if quick else 20)
    # FEM: mesh (gmsh) + conduction solve of one overlapping microstructure
    for dim, L, vf in ((2, 20.0, 0.75), (3, 8.0, 0.4)):
        rows = [realisation(vf, seed=k, dim=dim, box_radii=L) for k in range(2 if quick else 4)]
        res[f"fem_{dim}d_box{L:g}r"] = {
            "mesh_s": float(np.median([r["t_mesh [s]"] for r in rows])),
            "solve_s": float(np.median([r["t_solve [s]"] for r in rows])),
            "elements": float(np.median([r["n_elements"] for r in rows]))}
    # 200-realisation percolation curve (3D spheres, L = 24 r)
    from functools import partial
    study = partial(critical_point, 24.0)
    n = 40 if quick else 200
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        ds = sweep(study, {}, realisations=n, store=Path(d) / "local", n_workers=2,
                   progress=False)
        res["curve_local_processes_s"] = time.perf_counter() - t
        phi = ds["phi_c"].values
        res["curve_phi_c_mean"] = float(phi.mean())
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
            t = time.perf_counter()
            sweep(study, {}, realisations=n, store=Path(d) / "dask",
                  scheduler=c.scheduler_address, progress=False)
            res["curve_dask_localcluster_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for k in range(n):
            critical_point(24.0, k)
        res["curve_serial_s"] = time.perf_counter() - t
    res["curve_realisations"] = n
    (HERE / "results.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    main(ap.parse_args().quick)
