"""The NPP benchmark's two discretisations on one problem: do they give the same answer?

``run.py`` times ntransport's Scharfetter-Gummel edge fluxes against NGSolve's Galerkin P1
(NGSolve has no SG form), on systems of the same size and pattern. Issue #15 asks that such
a comparison state the difference *and compare answers*. Here both codes solve one steady
Nernst-Planck-Poisson problem on the same meshes and the nodal fields are compared:

* a square of side L = 1 um, n x n squares cut into triangles (the mesh of ``run.py``);
* a binary salt, c0 = 1 mol/m3, D+ = 1e-11 and D- = 2e-11 m2/s, relative permittivity 1e5
  (Debye length 0.34 um, so the double layers are resolved by every mesh below), 298.15 K;
* left edge: phi = 0, c+ = c- = c0; the upper half of the right edge: phi = 4 V_T,
  c+ = c- = 0.3 c0; every other boundary insulating. The steady state carries an ionic
  current through a salt gradient, with space charge and a 2D spread towards the
  half-width electrode. (With equal concentrations at both ends the exact steady state
  would be c = c0 and a linear potential, which both schemes reproduce to round-off.)

ntransport: ``solve.npp.run`` (its time stepping) to 30 L^2/D+, when the fields no longer
change. NGSolve 6.2: the steady equations in ntransport's scaled variables (x/L, c/c0,
phi/V_T, D/D+; Poisson coefficient ``Scaling.lambda2``), Galerkin P1, Newton
(``ngsolve.solvers.Newton``, PARDISO) to 1e-13. Both discretisations are second-order
accurate in the nodal values of a smooth solution, so their difference should fall ~4x per
halving of h if both solve the same equations.

    python benchmarks/npp/answers.py --n 16 32 64 128 223

Writes ``answers.json`` beside this script.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

L, C0, DP, DM, EPS, T = 1e-6, 1.0, 1e-11, 2e-11, 1e5, 298.15
C_RIGHT = 0.3  # the right electrode's salt concentration [c0]


def square(n):
    import numpy as np
    import skfem

    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1))
    bf = m.facets[:, m.boundary_facets()]
    x, y = m.p[:, bf].mean(axis=1)
    return m, {"left": bf[:, x < 1e-12].T, "right": bf[:, (x > 1 - 1e-12) & (y > 0.5)].T}


def ours(n):
    """ntransport's steady state [SI] at the skfem node order of ``square(n)``."""
    import numpy as np

    from ntransport.geometry import Domain
    from ntransport.physics.electrode import FixedConcentration, FixedPotential
    from ntransport.physics.scaling import Scaling
    from ntransport.physics.species import binary_salt
    from ntransport.solve.npp import NPPProblem, run

    m, walls = square(n)
    d = Domain.from_arrays(m.p.T * L, m.t.T, {"cell": np.arange(m.t.shape[1])}, walls)
    vt = Scaling(L, C0, DP, T).thermal_voltage
    bcs = [FixedPotential("left", 0.0), FixedPotential("right", 4 * vt)]
    bcs += [FixedConcentration(w, s, c) for w, c in (("left", C0), ("right", C_RIGHT * C0))
            for s in ("Li+", "A-")]
    pr = NPPProblem(d, binary_salt(C0, DP, DM), bcs, electrostatics="poisson",
                    permittivity=EPS, temperature=T)
    tau = L**2 / DP
    last = None
    for s in run(pr, t_end=30 * tau, dt=1e-4 * tau):
        prev, last = last, s
    # the node of the Domain that sits at each skfem node (Domain may renumber)
    ij = np.rint(d.mesh.p / L * n).astype(int)
    order = np.empty(m.nvertices, dtype=int)
    order[ij[0] * (n + 1) + ij[1]] = np.arange(d.mesh.nvertices)
    key = np.rint(m.p * n).astype(int)
    at = order[key[0] * (n + 1) + key[1]]
    change = float(np.abs(last.potential - prev.potential).max() / (4 * vt))
    return dict(phi=last.potential[at], cp=last.concentrations["Li+"][at],
                cm=last.concentrations["A-"][at], vt=vt, last_step_change=change,
                t_end=float(last.t))


def theirs(n, vt):
    """NGSolve's Galerkin P1 steady state [SI] at the skfem node order of ``square(n)``."""
    import ngsolve as ngs
    import numpy as np
    from ngsolve.solvers import Newton
    from run import ng_mesh  # this folder's peer benchmark

    from ntransport.physics.scaling import Scaling

    m, walls = square(n)
    mesh = ng_mesh(m, walls)  # the vertices in m's node order
    V = ngs.H1(mesh, order=1, dirichlet="left|right")
    X = V * V * V
    (cp, cm, ph), (vp, vm, w) = X.TnT()
    lam2 = float(Scaling(L, C0, DP, T).lambda2(EPS))
    dp, dm = 1.0, DM / DP
    a = ngs.BilinearForm(X, symmetric=False)
    a += dp * (ngs.grad(cp) + cp * ngs.grad(ph)) * ngs.grad(vp) * ngs.dx
    a += dm * (ngs.grad(cm) - cm * ngs.grad(ph)) * ngs.grad(vm) * ngs.dx
    a += lam2 * ngs.grad(ph) * ngs.grad(w) * ngs.dx
    a += -(cp - cm) * w * ngs.dx
    gf = ngs.GridFunction(X)
    for k in (0, 1):  # the boundary values, and a linear guess inside
        gf.components[k].Set(1.0 - (1.0 - C_RIGHT) * ngs.x)
    gf.components[2].Set(4.0 * ngs.x)
    status, its = Newton(a, gf, freedofs=X.FreeDofs(), maxit=50, maxerr=1e-13,
                         inverse="pardiso", printing=False)
    if status != 0:
        raise RuntimeError(f"NGSolve's Newton did not converge on n = {n} ({its} iterations)")
    # an order-1 H1 space numbers its dofs by the vertices, in the order they were added
    vals = [np.array(gf.components[k].vec)[:m.nvertices] for k in range(3)]
    return dict(phi=vals[2] * vt, cp=vals[0] * C0, cm=vals[1] * C0, lam2=lam2,
                newton_iterations=int(its))


def main(argv=None):
    import numpy as np

    from common import environment

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[16, 32, 64, 128, 223])
    args = ap.parse_args(argv)
    out = dict(environment=environment(), problem=dict(
        L=L, c0=C0, D_plus=DP, D_minus=DM, eps_r=EPS, T=T, right_potential="4 V_T",
        right_concentration=f"{C_RIGHT} c0", right_electrode="upper half of the right edge"),
        rows=[])
    for n in args.n:
        t0 = time.perf_counter()
        a = ours(n)
        t1 = time.perf_counter()
        b = theirs(n, a["vt"])
        t2 = time.perf_counter()
        row = dict(n=n, h_over_L=1.0 / n, ntransport_seconds=t1 - t0, ngsolve_seconds=t2 - t1,
                   ntransport_last_step_change=a["last_step_change"],
                   ngsolve_newton_iterations=b["newton_iterations"], lambda2=b["lam2"])
        m, _ = square(n)
        # the edge of the half-width electrode (x = L, y = L/2): the corner singularity
        far = np.hypot(m.p[0] - 1.0, m.p[1] - 0.5) > 0.25
        for k, scale in (("phi", 4 * a["vt"]), ("cp", C0), ("cm", C0)):
            d = a[k] - b[k]
            row[f"{k}_max_diff"] = float(np.abs(d).max() / scale)
            row[f"{k}_max_diff_away_from_electrode_edge"] = float(np.abs(d[far]).max() / scale)
            row[f"{k}_where_max"] = [float(v) for v in m.p[:, np.argmax(np.abs(d))]]
            row[f"{k}_rms_diff"] = float(np.sqrt(np.mean(d**2)) / scale)
            row[f"{k}_range"] = [float(a[k].min()), float(a[k].max())]
        out["rows"].append(row)
        print(f"n = {n:4d}: max / rms / max beyond L/4 of the electrode edge |diff|: "
              + "; ".join(f"{k} {row[k + '_max_diff']:.2e} / {row[k + '_rms_diff']:.2e} / "
                          f"{row[k + '_max_diff_away_from_electrode_edge']:.2e} at max "
                          f"{row[k + '_where_max']}" for k in ("phi", "cp", "cm"))
              + f"; ntransport {t1 - t0:.1f} s, NGSolve {t2 - t1:.1f} s "
              f"({b['newton_iterations']} Newton)", flush=True)
    rows = out["rows"]
    for r0, r1 in zip(rows, rows[1:]):
        for k in ("phi", "cp", "cm"):
            for kind in ("max_diff", "rms_diff", "max_diff_away_from_electrode_edge"):
                r1[f"order_{k}_{kind}"] = float(np.log(r0[f"{k}_{kind}"] / r1[f"{k}_{kind}"])
                                                / np.log(r1["n"] / r0["n"]))
    (HERE / "answers.json").write_text(json.dumps(out, indent=2))
    print(f"wrote {HERE / 'answers.json'}")


if __name__ == "__main__":
    main()
