"""PARDISO control parameters: MKL's defaults against ntransport's (`PARDISO_IPARM`: the
same ordering, scaling, matching and perturbation, iterative refinement only after perturbed
pivots), and minimum-degree ordering for comparison, on four matrices: a phase-field Newton
Jacobian (full-size PEO run of dendrite_skeleton.yaml after 3 s, 11 k unknowns, 3 fields),
2D P1 Poisson (263 k and 1.05 M unknowns) and 3D P1 Poisson (30 k unknowns).

Usage: OMP_NUM_THREADS=1 python benchmarks/linear/pardiso_settings.py [repeats] [out.json]
       OMP_NUM_THREADS=2 ...  (default output pardiso_settings_2threads.json)

Also compared: ntransport's settings (MKL's classic factorisation) against the "improved
two-level" parallel factorisation (``iparm[23] = 10``; faster, not adopted:
benchmarks/README.md, section 8), and the NPP benchmark's 150 k Jacobian. ntransport's own
handles also set ``iparm[33]`` (the reproducibility thread count; same speed, section 8),
which this driver leaves at 0.

Per matrix, one process, variants interleaved (A B C A B C ...): analysis + factorisation
once, then the minimum over the repeats of a refactorisation with the analysis reused plus
one solve (what a Newton iteration pays); relative residual and nnz(L+U). Writes
``pardiso_settings.json``.
"""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def phasefield_jacobian():
    import ntransport.solve.phasefield as pf
    from ntransport.solve.linear import DirectSolver
    from ntransport.studies import dendrites
    from ntransport.studies.registry import load_case

    data = load_case(ROOT / "geometries" / "dendrite_skeleton.yaml").data
    prob, xi0, opts, _ = dendrites.build_run(data, "PEO", data["runs"]["PEO"])
    solver, last = DirectSolver(), {}
    factor = solver.factor

    def keep(A):
        last["A"] = A.copy()
        return factor(A)

    solver.factor = keep
    for _ in pf.run(prob, xi0, t_end=3.0, dt=data["numerics"]["dt"], atol=opts["atol"],
                    tol=opts["tol"], solver=solver):
        pass
    return last["A"].tocsr()


def poisson(dim, refine):
    import skfem
    from skfem.models.poisson import laplace

    m = (skfem.MeshTri.init_sqsymmetric() if dim == 2 else skfem.MeshTet()).refined(refine)
    e = skfem.ElementTriP1() if dim == 2 else skfem.ElementTetP1()
    A = laplace.assemble(skfem.Basis(m, e))
    return (A + sp.identity(A.shape[0]) * 1e-3).tocsr()


def compare(A, repeats):
    import pypardiso

    from ntransport.solve.linear import PARDISO_IPARM

    A = A.tocsr()
    A.sort_indices()
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    variants = {"MKL defaults": None, "ntransport (PARDISO_IPARM)": dict(PARDISO_IPARM),
                "minimum degree, no scaling/matching": {**PARDISO_IPARM, 1: 0, 10: 0, 12: 0},
                "improved two-level factorisation (iparm[23] = 10)": {**PARDISO_IPARM, 23: 10}}
    out, handles = {}, {}
    for name, ip in variants.items():
        s = pypardiso.PyPardisoSolver()
        for i, v in (ip or {}).items():
            s.set_iparm(i + 1, v)
        if ip:
            s.set_iparm(18, -1)  # report nnz(L+U)
        t0 = time.perf_counter()
        s.set_phase(12)
        s._call_pardiso(A, np.zeros((A.shape[0], 1)))
        handles[name] = s
        out[name] = {"analysis+factor [s]": time.perf_counter() - t0, "refactor+solve [s]": []}
    for _ in range(repeats):
        for name, s in handles.items():
            t0 = time.perf_counter()
            s.set_phase(22)
            s._call_pardiso(A, np.zeros((A.shape[0], 1)))
            s.set_phase(33)
            x = s._call_pardiso(A, b)
            out[name]["refactor+solve [s]"].append(time.perf_counter() - t0)
            out[name]["residual"] = float(np.linalg.norm(A @ x - b) / np.linalg.norm(b))
            out[name]["nnz LU"] = int(s.iparm[17])
    for r in out.values():
        r["refactor+solve min [s]"] = min(r["refactor+solve [s]"])
    return out


def npp_jacobian(node_order=False):
    """The NPP benchmark's Jacobian (benchmarks/npp: 223 x 223 squares, P1 c+, c-, phi),
    numbered field by field as assembled, or node by node (``node_order=True``: as
    ``solve.npp.run`` factorises it)."""
    sys.path.insert(0, str(ROOT / "benchmarks" / "npp"))
    from run import ours_setup

    st = ours_setup(223)
    u = st["u"]
    uk = u * (1 + 0.01 * np.random.default_rng(0).standard_normal(u.size))
    J = st["sy"].residual_jacobian(uk, 0.0, 1.0, -u)[1].tocsr()
    if node_order:
        o = st["sy"].node_order()
        J = J[o][:, o].tocsr()
    return J


def main(repeats=5, out=None):
    mats = {"phase-field Jacobian": phasefield_jacobian, "NPP Jacobian 150 k": npp_jacobian,
            "2D Poisson 263 k": lambda: poisson(2, 8),
            "2D Poisson 1.05 M": lambda: poisson(2, 9), "3D Poisson 30 k": lambda: poisson(3, 5)}
    res = {"threads": os.environ.get("OMP_NUM_THREADS"), "load": os.getloadavg(),
           "date": time.strftime("%Y-%m-%d %H:%M"), "matrices": {}}
    for name, make in mats.items():
        A = make()
        r = compare(A, repeats)
        res["matrices"][name] = {"n": A.shape[0], "nnz": int(A.nnz), "variants": r}
        print(name, A.shape[0], {k: round(v["refactor+solve min [s]"] * 1e3, 1)
                                  for k, v in r.items()}, flush=True)
    threads = os.environ.get("OMP_NUM_THREADS", "1")
    name = out or ("pardiso_settings.json" if threads == "1"
                   else f"pardiso_settings_{threads}threads.json")
    (HERE / name).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, sys.argv[2] if len(sys.argv) > 2 else None)
