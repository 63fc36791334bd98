"""Which PARDISO setting makes 2-thread answers repeat bit for bit, and what it costs.

Usage: OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 python benchmarks/linear/pardiso_repeatability.py [trials]

For each matrix, ``trials`` fresh handles (analysis + factorisation, a refactorisation with
the analysis reused, then three solves of one right-hand side) per variant, variants
interleaved; a variant repeats if every solution of every handle has the same bits.
Variants on top of ntransport's ``PARDISO_IPARM``: ``iparm[33] = 2`` (conditional
numerical reproducibility on 2 threads, what ``_Pardiso`` sets), nothing, and
``iparm[24] = 1`` (sequential forward/backward solve) without the reproducibility mode.
Matrices: nonsymmetric P1 Laplacians (2D 4 k, 66 k, 1.05 M; 3D 15.6 k, 118 k, values
perturbed by 30 %) and the 150 k NPP Jacobian of ``benchmarks/npp`` numbered node by node,
in double and in single precision (``iparm[27] = 1``). Writes ``pardiso_repeatability.json``.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from pardiso_settings import npp_jacobian, poisson  # noqa: E402

VARIANTS = {"reproducibility mode iparm[33]=2": {33: 2}, "none": {},
            "sequential solve iparm[24]=1": {24: 1}}


def laplacians(rng):
    """The 2D P1 Laplacians of ``pardiso_settings.py`` and two 3D ones on tensor grids,
    values perturbed by 30 % (nonsymmetric, same pattern)."""
    import skfem
    from skfem.models.poisson import laplace

    mats = [(2, poisson(2, n)) for n in (5, 7, 9)]
    for n in (24, 48):
        m = skfem.MeshTet.init_tensor(*[np.linspace(0, 1, n + 1)] * 3)
        A = laplace.assemble(skfem.Basis(m, skfem.ElementTetP1()))
        mats.append((3, (A + sp.identity(m.nvertices) * 1e-3).tocsr()))
    out = []
    for dim, A in mats:
        A.data *= 1.0 + 0.3 * rng.standard_normal(A.data.size)
        out.append((f"{dim}D nonsymmetric P1 Laplacian {A.shape[0]}", A, False))
    return out


def npp_jacobians():
    """The NPP benchmark's Jacobian numbered node by node (``pardiso_settings.py``), in
    double and in single precision."""
    from ntransport.solve.linear import _check_matrix

    J = _check_matrix(npp_jacobian(node_order=True), "J")  # sorted rows, as PARDISO needs
    # the power-of-two scale _Pardiso applies (entries of SI scale trip PARDISO's pivot
    # thresholds); exact, so the bits of the answers are what the solver layer gets
    J.data *= 2.0 ** -np.frexp(np.abs(J.data).max())[1]
    return [(f"NPP Jacobian {J.shape[0]} (double)", J, False),
            (f"NPP Jacobian {J.shape[0]} (single)", J, True)]


def trial(A, b, extra, single):
    import pypardiso

    from ntransport.solve.linear import PARDISO_IPARM

    dt = np.float32 if single else np.float64
    Ak = sp.csr_matrix((A.data.astype(dt), A.indices, A.indptr), shape=A.shape)
    s = pypardiso.PyPardisoSolver()
    for i, v in {**PARDISO_IPARM, **extra}.items():
        s.set_iparm(i + 1, v)
    if single:
        s.set_iparm(28, 1)
    s._check_A(A)  # pypardiso's checks accept float64 only; Ak has A's pattern
    zero = np.zeros((A.shape[0], 1), dt)
    s.set_phase(12)
    s._call_pardiso(Ak, zero)
    t0 = time.perf_counter()
    s.set_phase(22)
    s._call_pardiso(Ak, zero)
    tf = time.perf_counter() - t0
    xs, ts = [], []
    s.set_phase(33)
    for _ in range(3):
        t0 = time.perf_counter()
        xs.append(np.array(s._call_pardiso(Ak, b.astype(dt))))
        ts.append(time.perf_counter() - t0)
    s.free_memory(everything=True)
    return xs, tf, min(ts)


def main(trials=6):
    from common import environment

    rng = np.random.default_rng(0)
    mats = laplacians(rng) + npp_jacobians()
    rec = dict(environment=environment(), trials=trials, results=[])
    for name, A, single in mats:
        b = rng.standard_normal((A.shape[0], 1))
        xs = {k: [] for k in VARIANTS}
        tf = {k: [] for k in VARIANTS}
        ts = {k: [] for k in VARIANTS}
        for _ in range(trials):
            for k, extra in VARIANTS.items():
                x, f, s = trial(A, b, extra, single)
                xs[k] += x
                tf[k].append(f)
                ts[k].append(s)
        for k in VARIANTS:
            differ = sum(not np.array_equal(xs[k][0], x) for x in xs[k][1:])
            res = float(np.linalg.norm(A @ xs[k][0].astype(float) - b) / np.linalg.norm(b))
            row = dict(matrix=name, variant=k, unknowns=int(A.shape[0]),
                       solutions=len(xs[k]), differing=int(differ),
                       factor_min_ms=1e3 * min(tf[k]), solve_min_ms=1e3 * min(ts[k]),
                       relative_residual=res)
            rec["results"].append(row)
            print(f"{name:40s} {k:34s} differ {differ:2d}/{len(xs[k]) - 1} factor "
                  f"{row['factor_min_ms']:7.1f} ms solve {row['solve_min_ms']:6.1f} ms "
                  f"res {res:.1e}", flush=True)
    (HERE / "pardiso_repeatability.json").write_text(json.dumps(rec, indent=1))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
