"""FEM conductivity ensembles and the fit of sigma = sigma_0 (V_f - V_p)^n (2D and 3D).

Run:  OMP_NUM_THREADS=1 python benchmarks/percolation/fem_fit.py
Writes fem_fit.json (fits with V_p fixed at the graph threshold and free, bootstrap CIs).
"""
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from ntransport.percolation import fit_power_law
from ntransport.studies.percolation_gmsh import conductivity_ensemble

HERE = Path(__file__).resolve().parent
CASES = {2: dict(fractions=[0.70, 0.74, 0.78, 0.82, 0.86, 0.90], reals=4, box=24.0, vp=0.6763),
         3: dict(fractions=[0.34, 0.40, 0.46, 0.52], reals=3, box=8.0, vp=0.2895)}


def main():
    out = {}
    for dim, c in CASES.items():
        t = time.perf_counter()
        ds = conductivity_ensemble(c["fractions"], c["reals"],
                                   store=Path(tempfile.mkdtemp()) / f"fem{dim}",
                                   dim=dim, box_radii=c["box"], n_workers=2, progress=False)
        v = ds["volume_fraction"].values.ravel()
        s = ds["sigma_rel"].values.ravel()
        sp = ds["spans"].values.ravel() > 0
        g = np.tile(np.arange(c["reals"]), len(c["fractions"]))
        fixed = fit_power_law(v[sp], s[sp], v_p=c["vp"], realisation=g[sp], dim=dim)
        try:
            free = fit_power_law(v[sp], s[sp], realisation=g[sp], dim=dim)
            free_d = {"n": free.n, "n_ci": free.ci.get("n"), "v_p": free.v_p,
                      "v_p_ci": free.ci.get("v_p")}
        except Exception as exc:  # noqa: BLE001 - recorded
            free_d = {"error": str(exc)}
        out[f"{dim}d"] = {"box_radii": c["box"], "realisations": c["reals"],
                          "fractions": c["fractions"], "wall_s": time.perf_counter() - t,
                          "volume_fraction": v.tolist(), "sigma_rel": s.tolist(),
                          "spans": sp.tolist(),
                          "fixed_vp": {"v_p": c["vp"], "n": fixed.n, "n_ci": fixed.ci.get("n"),
                                       "sigma0": fixed.sigma0},
                          "free_vp": free_d}
        print(dim, json.dumps(out[f"{dim}d"]["fixed_vp"]), json.dumps(free_d), flush=True)
    (HERE / "fem_fit.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
