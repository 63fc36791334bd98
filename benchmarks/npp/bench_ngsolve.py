"""NGSolve reference for one coupled PNP Newton iteration on the SAME mesh as bench_npp.py.

Galerkin P1 (NGSolve has no Scharfetter-Gummel form), one integrator per term, scaled
variables as in ntransport; timings: AssembleLinearization + residual (Apply) + sparse
direct solve (pardiso if NGSolve was built with it, else umfpack). Benchmark only: never
imported by ntransport.
"""
import json
import time
from pathlib import Path

import numpy as np


def ngsolve_newton_step(n=223):
    import ngsolve as ngs
    from netgen.meshing import Element1D, Element2D, FaceDescriptor, MeshPoint, Pnt
    from netgen.meshing import Mesh as NGMesh
    import skfem

    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1))
    ngm = NGMesh(dim=2)
    pids = [ngm.Add(MeshPoint(Pnt(x, y, 0))) for x, y in m.p.T]
    fd = ngm.Add(FaceDescriptor(bc=1, domin=1, surfnr=1))
    ngm.SetMaterial(1, "cell")
    for tri in m.t.T:
        ngm.Add(Element2D(fd, [pids[i] for i in tri]))
    ngm.SetBCName(0, "wall")
    for f in m.facets[:, m.boundary_facets()].T:
        ngm.Add(Element1D([pids[i] for i in f], index=1))
    mesh = ngs.Mesh(ngm)
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
    res = gf.vec.CreateVector()
    du = gf.vec.CreateVector()
    inv_name = "pardiso"
    t = time.perf_counter(); a.Apply(gf.vec, res); t_res = time.perf_counter() - t
    t = time.perf_counter(); a.AssembleLinearization(gf.vec); t_jac = time.perf_counter() - t
    t = time.perf_counter()
    try:
        inv = a.mat.Inverse(X.FreeDofs(), inverse="pardiso")
    except Exception:
        inv_name = "umfpack"
        inv = a.mat.Inverse(X.FreeDofs(), inverse="umfpack")
    du.data = inv * res
    t_solve = time.perf_counter() - t
    return {"dofs": X.ndof, "residual_s": t_res, "jacobian_s": t_jac, "solve_s": t_solve,
            "solver": inv_name, "newton_iteration_s": t_res + t_jac + t_solve}


if __name__ == "__main__":
    out = ngsolve_newton_step()
    Path(__file__).with_name("results_ngsolve.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
