r"""Quadratic (P2) elements for steady conduction, isoparametric on curved interfaces.

Same problem as :func:`ntransport.solve.conduction.solve_conduction` with
:math:`\phi\in P_2`: the energy (hence :math:`\sigma_\mathrm{eff}`) error falls as
:math:`h^4` instead of :math:`h^2` for piecewise-smooth solutions on interface-conforming
meshes. Interface edge midpoints are placed on the smooth reconstruction of
:mod:`ntransport.solve.conduction_curved`, so the geometry error of a faceted circle or
sphere does not cap the rate at :math:`h^2`. Assembly by scikit-fem
(:func:`ntransport.physics.conduction.conduction`, a 4th-order rule); linear algebra by
:mod:`ntransport.solve.linear`.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..physics.conduction import conduction
from .conduction_curved import curved_midpoints
from .linear import make_solver

__all__ = ["p2_mesh", "solve_p2"]


def p2_mesh(domain, *, curved: bool = True):
    """The quadratic scikit-fem mesh of *domain* (MeshTri2 / MeshTet2), interface edge
    midpoints on the curved reconstruction when *curved*."""
    import skfem

    from ..geometry.domain import edge_index, edge_keys, mesh_edges

    m1 = domain.mesh
    edges = mesh_edges(m1)[0]  # the integer-key build, cached on m1 as scikit-fem's own
    M = (skfem.MeshTri2 if domain.dim == 2 else skfem.MeshTet2).from_mesh(m1)
    if curved:
        a, b, mid = curved_midpoints(domain)
        if a.size:
            n = m1.nvertices
            eidx = edge_index(a, b, edge_keys(edges, n), n, what="p2_mesh (curved edges)")
            doflocs = M.doflocs.copy()
            doflocs[:, n + eidx] = mid
            M = replace(M, doflocs=doflocs)
    return _share_topology(M, m1)


#: the topology caches of a scikit-fem mesh (its facets and edges, element maps)
_TOPOLOGY = ("_facets", "_t2f", "_f2t", "_edges", "_t2e")


def _share_topology(M, m1):
    """Give the quadratic mesh *M* the facet and edge arrays the linear mesh *m1* has
    cached: both have the same elements (``M.t is m1.t``), so scikit-fem would build the
    same arrays again, with ``np.unique`` over rows -- 10 s of a 47 s P2 solve at 0.5 M
    tetrahedra (benchmarks/README.md, section 1)."""
    if M.t is m1.t or np.array_equal(M.t, m1.t):
        for name in _TOPOLOGY:
            if hasattr(m1, name) and not hasattr(M, name):
                setattr(M, name, getattr(m1, name))
    return M


def solve_p2(domain, sigma, electrodes, *, solver="auto", curved=True):
    """Unit-voltage P2 solve. Returns a dict: ``u`` (P2 dofs), ``current`` (at 1 V),
    ``grad`` (dim, nel) element-mean gradient, ``volumes`` (nel,), ``vertex_u``,
    ``dofs``."""
    import skfem

    M = p2_mesh(domain, curved=curved)
    elem = skfem.ElementTriP2() if domain.dim == 2 else skfem.ElementTetP2()
    basis = skfem.Basis(M, elem, intorder=4)
    nqp = basis.X.shape[1]
    K = conduction.assemble(basis, sigma=np.repeat(sigma[:, None], nqp, axis=1)).tocsr()
    anode = basis.get_dofs(np.asarray(domain.facets(electrodes[0]))).all()
    cathode = basis.get_dofs(np.asarray(domain.facets(electrodes[1]))).all()
    u = np.zeros(basis.N)
    u[anode] = 1.0
    free = np.ones(basis.N, dtype=bool)
    free[anode] = False
    free[cathode] = False
    A = K[free][:, free]
    b = -(K[free][:, ~free] @ u[~free])
    s = make_solver(solver, n=int(free.sum()), dim=domain.dim)
    u[free] = s.factor(A)(b)
    current = float(u @ (K @ u))
    grad = basis.interpolate(u).grad  # (dim, nel, nqp)
    dx = basis.dx
    vol = dx.sum(axis=1)
    g = np.einsum("deq,eq->de", np.asarray(grad), dx) / vol
    return {"u": u, "current": current, "grad": g, "volumes": vol,
            "vertex_u": u[basis.nodal_dofs[0]], "dofs": int(basis.N),
            "solver": type(s).__name__}
