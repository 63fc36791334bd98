"""The 1 M-element conduction systems (2D and 3D composites) as CSR matrices.

Assembled exactly as `solve_conduction` does (P1, Dirichlet nodes eliminated) from the
cached benchmark meshes (``benchmarks/conduction/meshes.py``), and cached as ``.npz``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "conduction"))
from meshes import DEFAULT_WORKDIR, ensure, load  # noqa: E402

SIGMA = {"matrix": 1.0, "particles": 10.0}


def domain_of(a):
    from ntransport.geometry import Domain

    names = [str(x) for x in a["region_names"]]
    return Domain.from_arrays(
        a["points"], a["cells"], {n: np.nonzero(a["region"] == k)[0] for k, n in enumerate(names)},
        {b: a[f"facets_{b}"] for b in ("anode", "cathode", "sides") if f"facets_{b}" in a})


def assemble(domain, sigma=None):
    """(A, b) of the unit-voltage conduction problem with Dirichlet nodes eliminated."""
    from ntransport.physics.conduction import conduction_p1
    from ntransport.solve.assembly import (assemble_reduced, boundary_nodes, mesh_edge_graph,
                                           p1_gradients)
    from ntransport.solve.conduction_inputs import element_conductivity

    mesh = domain.mesh
    sigma = element_conductivity(domain, sigma or SIGMA)
    grads, vol = p1_gradients(mesh.p, mesh.t)
    Ke = conduction_p1(grads, vol, sigma)
    anode, cathode = (boundary_nodes(domain, None, n) for n in ("anode", "cathode"))
    ud = np.zeros(mesh.nvertices)
    ud[anode] = 1.0
    free = np.ones(mesh.nvertices, dtype=bool)
    free[anode] = free[cathode] = False
    fidx = np.full(mesh.nvertices, -1, dtype=np.int64)
    fidx[free] = np.arange(int(free.sum()))
    return assemble_reduced(mesh.t, Ke, fidx, ud, graph=mesh_edge_graph(mesh))


def system(dim, size="full", seed=0, workdir=DEFAULT_WORKDIR, particles=10.0):
    """Cached (A, b) of one benchmark mesh (particle conductivity *particles* S/m)."""
    tag = "" if particles == 10.0 else f"_p{particles:g}"
    path = Path(workdir) / f"system_{dim}d_{size}_s{seed}{tag}.npz"
    if path.exists():
        z = np.load(path)
        A = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        return A, z["b"]
    ensure(dim, size, seed, workdir)
    A, b = assemble(domain_of(load(dim, size, seed, workdir)),
                    {"matrix": 1.0, "particles": particles})
    np.savez(path, data=A.data, indices=A.indices, indptr=A.indptr, shape=A.shape, b=b)
    return A, b
