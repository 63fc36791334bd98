"""3D conduction at ~10 M tetrahedra on one 24 GB machine: time and peak memory per stage.

The 3D benchmark composite (200 spheres, 20 % of a 20 um cube) meshed at h = 0.151 um
with gmsh HXT, then every stage of ``solve_conduction`` run one by one (the same calls
it makes) so each gets its own wall time, CPU time and peak resident memory (sampled
every 20 ms by a thread; ``ru_maxrss`` for the whole run):

mesh (gmsh, in process) -> Domain (gmsh arrays, facets, interfaces) -> mesh edges ->
P1 gradients + local matrices -> assembly with Dirichlet elimination -> AMG setup ->
CG (rtol 1e-8) -> current density and sigma_eff. ``--split``: gmsh meshes at 2h and
every tetrahedron is split into eight (`particle_composite(split=1)`).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/scale/run_10m.py --threads 2 [--split]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "conduction"))
from common import current_rss_gb, environment, peak_rss_gb  # noqa: E402


class Sampler:
    """Peak resident memory between ``start`` and ``stop``, sampled by a thread."""

    def __init__(self, dt=0.02):
        self.dt, self.peak, self._run = dt, 0.0, False

    def _loop(self):
        while self._run:
            self.peak = max(self.peak, current_rss_gb())
            time.sleep(self.dt)

    def start(self):
        self.peak, self._run = current_rss_gb(), True
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def stop(self):
        self._run = False
        self._t.join()
        return max(self.peak, current_rss_gb())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="10M")
    ap.add_argument("--threads", type=int, default=2, help="gmsh threads")
    ap.add_argument("--tag", default="", help="suffix of the results file name")
    ap.add_argument("--split", action="store_true",
                    help="gmsh at twice the size, then every tetrahedron split into 8 with the "
                         "new sphere nodes on the spheres (particle_composite(split=1))")
    args = ap.parse_args(argv)
    import contextlib

    import numpy as np

    from ntransport.geometry.guards import limits

    # this benchmark is the case the element limit (5e6 by default) exists for: raised here
    guard = contextlib.ExitStack()
    guard.enter_context(limits(elements=3e7))

    from meshes import CASES, radius_for
    from ntransport.geometry.composite import particle_composite
    from ntransport.geometry.domain import mesh_edges
    from ntransport.physics.conduction import conduction_p1
    from ntransport.post.effective import effective_conductivity, electrode_axis
    from ntransport.solve.assembly import (assemble_reduced, boundary_nodes, mesh_edge_graph,
                                           p1_gradients)
    from ntransport.solve.conduction_inputs import element_conductivity
    from ntransport.solve.linear import AMGSolver

    stages, sampler, state = {}, Sampler(), {}

    def stage(name, fn):
        sampler.start()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        stages[name] = dict(wall=wall, cpu=cpu, peak_rss_gb=sampler.stop(),
                            rss_after_gb=current_rss_gb(), loadavg=list(os.getloadavg()))
        print(f"{name:28s} wall {wall:7.1f} s  cpu {cpu:7.1f} s  peak {stages[name]['peak_rss_gb']:5.2f}"
              f" GB  after {stages[name]['rss_after_gb']:5.2f} GB", flush=True)
        return out

    c = CASES[3][args.size]
    r = radius_for(c["box"], c["volume_fraction"], c["n"])
    split = 1 if args.split else 0
    d = stage("mesh + Domain" + (" (gmsh at 2h, split)" if split else " (gmsh)"),
              lambda: particle_composite(
                  c["box"], volume_fraction=c["volume_fraction"], radius=r, seed=0,
                  mesh_size=c["mesh_size"], threads=args.threads, split=split))
    if split:
        args.size += "-split"
    mesh = d.mesh
    print(d, dict(d.info).get("timings"), flush=True)
    stage("mesh edges", lambda: mesh_edges(mesh))
    sigma = {"matrix": 1.0, "particles": 10.0}

    def local():
        s = element_conductivity(d, sigma)
        g, v = p1_gradients(mesh.p, mesh.t)
        state.update(sigma=s, grads=g, vol=v)
        return conduction_p1(g, v, s)

    Ke = stage("P1 gradients + local", local)

    def assemble():
        anode, cathode = (boundary_nodes(d, None, n) for n in ("anode", "cathode"))
        ud = np.zeros(mesh.nvertices)
        ud[anode] = 1.0
        free = np.ones(mesh.nvertices, dtype=bool)
        free[anode] = free[cathode] = False
        fidx = np.full(mesh.nvertices, -1, dtype=np.int64)
        fidx[free] = np.arange(int(free.sum()))
        A, b = assemble_reduced(mesh.t, Ke, fidx, ud, graph=mesh_edge_graph(mesh))
        state.update(ud=ud, free=free)
        return A, b

    A, b = stage("assembly + Dirichlet", assemble)
    del Ke
    solver = AMGSolver()
    solve = stage("AMG setup", lambda: solver.factor(A))
    x = stage("CG (rtol 1e-8)", lambda: solve(b))

    def post():
        u = state["ud"].copy()
        u[state["free"]] = x
        g = state["grads"]
        gradu = np.einsum("iae,ie->ae", g, u[mesh.t])
        energy = float(np.sum(state["sigma"] * state["vol"] * np.einsum("ae,ae->e", gradu, gradu)))
        axis, length, area = electrode_axis(d, ("anode", "cathode"))
        return effective_conductivity(energy, 1.0, length, area)

    sig = stage("current + sigma_eff", post)
    out = dict(environment=environment(gmsh_threads=args.threads), size=args.size,
               elements=int(mesh.nelements), nodes=int(mesh.nvertices), unknowns=int(A.shape[0]),
               nnz=int(A.nnz), cg_iterations=solver.iterations[-1], sigma_eff=sig,
               gmsh_timings=dict(dict(d.info).get("timings", {})), stages=stages,
               total_wall=sum(s["wall"] for s in stages.values()), peak_rss_gb=peak_rss_gb())
    out["environment"]["loadavg_end"] = list(os.getloadavg())
    (HERE / f"results_{args.size}{args.tag}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k not in ("environment", "stages")}, indent=1))


if __name__ == "__main__":
    main()
