"""Fair NPP benchmark: one Newton iteration of Nernst-Planck (2 species) + Poisson.

Same mesh (a structured triangulation of the unit square with n x n squares; n = 223 gives
150 k unknowns), same unknowns (P1 c+, c-, phi: identical sparsity), same linear solver
(PARDISO, MKL) in both codes, interleaved in one process (A B A B), after a warm-up on a
*different* mesh (n = 60). Thread counts: one process per ``--threads`` value, with the
OMP/MKL/OpenBLAS variables set before any import and NGSolve inside a ``TaskManager``.

**The discretisations differ and this is stated, not hidden**: ntransport assembles
Scharfetter-Gummel edge fluxes (its NPP scheme: positivity, exact for 1D drift); NGSolve
has no SG form and assembles plain Galerkin P1, one integrator per term
(``AssembleLinearization``). Both produce a 3n x 3n Jacobian with the same pattern; the
timing compares residual + Jacobian assembly + sparse LU solve per iteration. The answers of
the two discretisations are compared on one problem by ``answers.py`` beside this script.

Timed per code:
* ``first``: first Newton iteration on the mesh (PARDISO symbolic analysis included);
* ``next``: a later iteration on a perturbed state (analysis reused: ntransport's
  ``DirectSolver`` keeps it while the pattern holds, NGSolve's ``MKLPardiso.Update()``).

ntransport factorises its Jacobian numbered node by node, as ``solve.npp.run`` does
(``solve.linear.Reordered``), with ``DirectSolver``'s default precision: at 150 k unknowns
(>= ``MIXED_MIN``) single-precision LU factors, the solution refined in double until it
passes the double-precision backward-error test (the accuracy of a double LU; NGSolve's
PARDISO factorises in double). "ntransport double-LU" is the same code with
``precision="double"`` (one more variant in the same rounds). Until 2026-12-01 17:30 UTC
that variant was the field-by-field numbering ("field-order"; README section 1).

"ntransport Newton per iteration" (since 2026-12-02): a whole Newton solve from a perturbed
state to the update tolerance 1e-10 on the same setup (analysis reused), its time divided
by its iterations, once with the forcing terms ``solve.newton`` uses by default (the
first direction at full accuracy, the next ones refined only to Eisenstat-Walker's relative
residual: the middle ones are one unrefined single-precision solve) and once with every direction refined to double accuracy
("exact directions"), in alternating order; the record keeps both iteration counts and
the largest difference of the answers. Its ratio is taken against NGSolve's "next"
iteration (every NGSolve iteration is a double LU + one solve). This counts one more
residual + Jacobian per solve than iterations (Newton evaluates the accepted iterate).

    nice -n 5 python benchmarks/npp/run.py --threads 1 2 --repeats 8
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def ours_setup(n, node_order=True, precision="auto"):
    import numpy as np
    import skfem

    from ntransport.geometry import Domain
    from ntransport.physics.electrode import FixedConcentration, FixedPotential
    from ntransport.physics.species import binary_salt
    from ntransport.solve.linear import DirectSolver
    from ntransport.solve.npp import NPPProblem, discretise, initial_unknowns

    m = skfem.MeshTri.init_tensor(np.linspace(0, 1e-6, n + 1), np.linspace(0, 1e-6, n + 1))
    b = m.boundary_facets()
    d = Domain.from_arrays(m.p.T, m.t.T, {"cell": np.arange(m.t.shape[1])},
                           {"wall": m.facets[:, b].T})
    pr = NPPProblem(d, binary_salt(1.0, 1e-11, 2e-11),
                    [FixedPotential("wall", 0.05), FixedConcentration("wall", "Li+", 1.0),
                     FixedConcentration("wall", "A-", 1.0)],
                    electrostatics="poisson", permittivity=1e5)
    sy = discretise(pr)
    u = initial_unknowns(sy)
    # what ntransport.solve.npp.run factorises: from NODE_ORDER_MIN unknowns (here) the
    # Jacobian numbered node by node (Reordered); node_order=False is the field-by-field
    # numbering used before 2026-12-01. From MIXED_MIN unknowns (here) DirectSolver's LU is
    # single precision, refined to double accuracy; precision="double" is the LU before
    solver = DirectSolver(precision=precision)
    solver = sy.linear_solver(solver) if node_order else solver
    return dict(sy=sy, u=u, solver=solver, rng=np.random.default_rng(0))


def ours_iteration(st):
    """One Newton iteration on a perturbed state: residual + Jacobian + LU solve."""
    import numpy as np

    u = st["u"]
    uk = u * (1 + 0.01 * st["rng"].standard_normal(u.size))
    t0 = time.perf_counter()
    R, J = st["sy"].residual_jacobian(uk, 0.0, 1.0, -u)
    t1 = time.perf_counter()
    du = st["solver"].factor(J)(-R)
    t2 = time.perf_counter()
    assert np.all(np.isfinite(du))
    return t2 - t0, dict(assembly=t1 - t0, solve=t2 - t1, dofs=int(u.size))


def ours_newton(st, forcing):
    """A whole Newton solve from a perturbed state to the update tolerance 1e-10 (analysis
    reused), as ``solve.npp.run`` calls it: with ``forcing`` (the default there) the
    directions after the first are refined only to Eisenstat-Walker's forcing term
    (``solve.newton``), else
    every solve to the double-precision backward-error test. Returns the time per
    iteration (all residual + Jacobian evaluations, line search included) and the record."""
    from ntransport.solve.newton import newton

    u = st["u"]
    u0 = u * (1 + 0.01 * st["rng"].standard_normal(u.size))
    t0 = time.perf_counter()
    res = newton(lambda v: st["sy"].residual_jacobian(v, 0.0, 1.0, -u, lazy=True), u0, tol=1e-10,
                 solver=st["solver"], forcing=forcing)
    t = time.perf_counter() - t0
    return t / res.iterations, dict(iterations=res.iterations, total=t, u=res.u,
                                    residuals=res.residuals)


def ng_mesh(m, boundaries):
    """An NGSolve mesh of the skfem triangle mesh *m*, its vertices in *m*'s node order
    (so an order-1 H1 space numbers its dofs as *m* its nodes), with the named boundary
    segments ``{name: (nseg, 2) node pairs}``."""
    import netgen.meshing as nm
    import ngsolve as ngs
    import numpy as np

    ngm = nm.Mesh(dim=2)
    pts = np.zeros((m.nvertices, 3))
    pts[:, :2] = m.p.T
    ngm.AddPoints(pts)
    ngm.AddElements(dim=2, index=ngm.AddRegion("cell", dim=2), base=0,
                    data=np.ascontiguousarray(m.t.T, dtype=np.int32))
    for name, f in boundaries.items():
        ngm.AddElements(dim=1, index=ngm.AddRegion(name, dim=1), base=0,
                        data=np.ascontiguousarray(f, dtype=np.int32))
    return ngs.Mesh(ngm)


def ng_setup(n, threads):
    import ngsolve as ngs
    import numpy as np
    import skfem

    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1))
    mesh = ng_mesh(m, {"wall": m.facets[:, m.boundary_facets()].T})
    V = ngs.H1(mesh, order=1, dirichlet="wall")
    X = V * V * V
    (cp, cm, ph), (vp, vm, w) = X.TnT()
    Dp, Dm, lam2, dt = 1.0, 2.0, 0.1, 1.0
    gf = ngs.GridFunction(X)
    gf.components[0].Set(1.0)
    gf.components[1].Set(1.0)
    old = ngs.GridFunction(X)
    old.vec.data = gf.vec
    a = ngs.BilinearForm(X, symmetric=False)
    a += (cp - old.components[0]) / dt * vp * ngs.dx
    a += Dp * (ngs.grad(cp) + cp * ngs.grad(ph)) * ngs.grad(vp) * ngs.dx
    a += (cm - old.components[1]) / dt * vm * ngs.dx
    a += Dm * (ngs.grad(cm) - cm * ngs.grad(ph)) * ngs.grad(vm) * ngs.dx
    a += lam2 * ngs.grad(ph) * ngs.grad(w) * ngs.dx
    a += -(cp - cm) * w * ngs.dx
    return dict(ngs=ngs, X=X, gf=gf, a=a, inv=None, base=np.array(gf.vec),
                rng=np.random.default_rng(0), threads=threads,
                res=gf.vec.CreateVector(), du=gf.vec.CreateVector())


def ng_iteration(st):
    ngs = st["ngs"]
    st["gf"].vec.FV().NumPy()[:] = st["base"] * (1 + 0.01 * st["rng"].standard_normal(
        st["base"].size))
    ctx = ngs.TaskManager() if st["threads"] > 1 else _null()
    with ctx:
        t0 = time.perf_counter()
        st["a"].Apply(st["gf"].vec, st["res"])
        st["a"].AssembleLinearization(st["gf"].vec)
        t1 = time.perf_counter()
        if st["inv"] is None:
            st["inv"] = st["a"].mat.Inverse(st["X"].FreeDofs(), inverse="pardiso")
        else:
            st["inv"].Update()
        st["du"].data = st["inv"] * st["res"]
        t2 = time.perf_counter()
    return t2 - t0, dict(assembly=t1 - t0, solve=t2 - t1, dofs=int(st["X"].ndof))


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def worker(n, repeats, threads):
    import ngsolve as ngs
    import numpy as np

    from common import environment, stats

    if threads > 1:
        ngs.SetNumThreads(threads)
    # warm-up on a different mesh: imports, MKL load, first calls
    s, g = ours_setup(60), ng_setup(60, threads)
    for _ in range(2):
        ours_iteration(s)
        ng_iteration(g)
    rec = dict(environment=environment(threads_requested=threads), n=n, rounds=[])
    times = {k: [] for k in ("ntransport first", "ngsolve first", "ntransport next",
                             "ngsolve next", "ntransport double-LU first",
                             "ntransport double-LU next", "ntransport Newton per iteration",
                             "ntransport Newton per iteration, exact directions")}
    for r in range(repeats):
        # fresh mesh objects each round: the 'first' iteration pays the analysis
        rnd = dict(loadavg=list(os.getloadavg()))
        s = ours_setup(n)
        t, st = ours_iteration(s)
        times["ntransport first"].append(t)
        t2, st2 = ours_iteration(s)
        times["ntransport next"].append(t2)
        g = ng_setup(n, threads)
        tn, stn = ng_iteration(g)
        times["ngsolve first"].append(tn)
        tn2, stn2 = ng_iteration(g)
        times["ngsolve next"].append(tn2)
        s = ours_setup(n, precision="double")
        tf, stf = ours_iteration(s)
        times["ntransport double-LU first"].append(tf)
        tf2, stf2 = ours_iteration(s)
        times["ntransport double-LU next"].append(tf2)
        # whole Newton solves on the first setup (analysis reused), from the same start
        # with and without forcing terms: iterations and answers compared
        s = ours_setup(n)
        ours_iteration(s)  # the analysis, as in a run's first iteration
        out = {}
        for forcing in ((True, False) if r % 2 == 0 else (False, True)):  # A B, then B A
            s["rng"] = np.random.default_rng(100 + r)
            out[forcing] = ours_newton(s, forcing)
        (tw, nw), (te, ne) = out[True], out[False]
        times["ntransport Newton per iteration"].append(tw)
        times["ntransport Newton per iteration, exact directions"].append(te)
        diff = float(np.abs(nw.pop("u") - ne.pop("u")).max())
        rnd.update(ntransport=[st, st2], ngsolve=[stn, stn2], ntransport_double_lu=[stf, stf2],
                   newton=dict(forcing=nw, exact=ne, max_abs_difference=diff))
        rec["rounds"].append(rnd)
        print(f"{threads} thr round {r}: " + ", ".join(f"{k} {v[-1]:.2f} s"
                                                        for k, v in times.items()), flush=True)
    rec["stats"] = {k: stats(v) for k, v in times.items()}
    for kind in ("first", "next"):
        rec[f"ratio_of_minima_{kind}"] = (rec["stats"][f"ntransport {kind}"]["min"]
                                          / rec["stats"][f"ngsolve {kind}"]["min"])
    # NGSolve's iterations all cost what its 'next' does (a double LU and one solve)
    rec["ratio_of_minima_newton"] = (rec["stats"]["ntransport Newton per iteration"]["min"]
                                     / rec["stats"]["ngsolve next"]["min"])
    rec["dofs"] = rec["rounds"][-1]["ntransport"][0]["dofs"]
    rec["environment"]["loadavg_end"] = list(os.getloadavg())
    print("RESULT " + json.dumps(rec), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=223)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", default="results.json", help="JSON file name beside this script")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.n, args.repeats, args.threads[0])
    runs = []
    for t in args.threads:
        env = dict(os.environ, **{v: str(t) for v in
                                  ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
        proc = subprocess.run([sys.executable, __file__, "--worker", "--n", str(args.n),
                               "--repeats", str(args.repeats), "--threads", str(t)],
                              env=env, capture_output=True, text=True)
        sys.stdout.write("".join(l + "\n" for l in proc.stdout.splitlines()
                                 if not l.startswith("RESULT ")))
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"worker with {t} threads failed")
        line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")][-1]
        runs.append(dict(threads=t, **json.loads(line[len("RESULT "):])))
    (HERE / args.out).write_text(json.dumps(dict(runs=runs), indent=2))
    print(f"wrote {HERE / args.out}")


if __name__ == "__main__":
    main()
