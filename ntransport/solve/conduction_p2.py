r"""Quadratic (P2) elements for steady conduction, isoparametric on curved interfaces.

Same problem as :func:`ntransport.solve.conduction.solve_conduction` with
:math:`\phi\in P_2`: the energy (hence :math:`\sigma_\mathrm{eff}`) error falls as
:math:`h^4` instead of :math:`h^2` for piecewise-smooth solutions on interface-conforming
meshes. Interface edge midpoints are placed on the smooth reconstruction of
:mod:`ntransport.solve.conduction_curved`, so the geometry error of a faceted circle or
sphere does not cap the rate at :math:`h^2`.

Assembly: every element in closed form
(:func:`ntransport.physics.conduction.conduction_p2`), then those touching a curved
interface edge again by a degree-4 rule on their isoparametric map
(:func:`ntransport.solve.assembly.isoparametric_gradients`,
:func:`ntransport.physics.conduction.conduction_quadrature`; scikit-fem's
:func:`~ntransport.physics.conduction.conduction` form is the tests' reference); upper
triangles only, the free dofs numbered first. Linear algebra by
:mod:`ntransport.solve.linear`; AMG-CG coarsens to the P1 functions first
(:func:`p1_prolongator`). scikit-fem's isoparametric basis on every element and AMG on
the P2 matrix had made a 3D P2 solve 5.9x slower (benchmarks/README.md, section 1).
"""
from __future__ import annotations


import numpy as np

from ..physics.conduction import conduction_p2, conduction_quadrature, p2_gradient_tensors
from .assembly import coo_to_csr, index_dtype, isoparametric_gradients, p1_gradients
from .conduction_curved import curved_midpoints
from .linear import AMGSolver, make_solver

__all__ = ["p2_mesh", "solve_p2", "p1_prolongator", "local_edges"]


def p2_mesh(domain, *, curved: bool = True):
    """The quadratic scikit-fem mesh of *domain* (MeshTri2 / MeshTet2), interface edge
    midpoints on the curved reconstruction when *curved*."""
    return _p2_mesh(domain, curved)[0]


def _p2_mesh(domain, curved):
    """(quadratic mesh, indices of the edges whose midpoint left the chord)."""
    import skfem

    from ..geometry.domain import edge_index, edge_keys, mesh_edges

    m1 = domain.mesh
    p, n = m1.p, m1.nvertices
    edges = mesh_edges(m1)[0]  # the integer-key build, cached on m1 as scikit-fem's own
    mid = 0.5 * (p[:, edges[0]] + p[:, edges[1]])  # dof n + k sits on edge k
    eidx = np.zeros(0, dtype=np.int64)
    if curved:
        a, b, m = curved_midpoints(domain)
        if a.size:
            eidx = edge_index(a, b, edge_keys(edges, n), n, what="p2_mesh (curved edges)")
            mid[:, eidx] = m
    M = (skfem.MeshTri2 if domain.dim == 2 else skfem.MeshTet2)(np.hstack([p, mid]), m1.t)
    return _share_topology(M, m1), eidx


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


def local_edges(elem) -> list[tuple[int, int]]:
    """Local vertex pair of each edge dof of a scikit-fem P2 simplex element, read from
    its reference dof locations (an edge dof sits at the midpoint of its two vertices)."""
    x = np.asarray(elem.doflocs, dtype=float)
    nv = elem.refdom.nnodes
    pairs = {(i, j): 0.5 * (x[i] + x[j]) for i in range(nv) for j in range(i + 1, nv)}
    out = []
    for A in range(nv, x.shape[0]):
        hit = [ij for ij, m in pairs.items() if np.allclose(m, x[A])]
        if len(hit) != 1:
            raise ValueError(f"{type(elem).__name__}: dof {A} is not at an edge midpoint.")
        out.append(hit[0])
    return out


def _electrode_dofs(m1, facet_sets, dim):
    """P2 dofs on each of the boundary facet sets *facet_sets*: their vertices, and their
    edges (offset by the vertex count, scikit-fem's numbering: 2D facet dofs, 3D edge
    dofs); the edge keys built once for all sets."""
    from ..geometry.domain import edge_index, edge_keys, mesh_edges

    n = m1.nvertices
    keys = edge_keys(mesh_edges(m1)[0], n) if dim == 3 else None
    out = []
    for facets in facet_sets:
        facets = np.asarray(facets)
        nodes = m1.facets[:, facets]
        if dim == 2:
            e = facets
        else:
            e = np.concatenate([edge_index(nodes[i], nodes[j], keys, n, what="electrode edges")
                                for i, j in ((0, 1), (1, 2), (0, 2))])
        out.append(np.concatenate([np.unique(nodes), n + np.unique(e)]))
    return out


def p1_prolongator(m1, fixed):
    r"""The P1 functions inside the P2 space, on the free dofs: the prolongator
    (nfree_P2, nfree_vertices) that keeps a vertex value and gives an edge dof the mean
    of its two vertices (exact for the P1 functions on straight edges, along which they
    are linear; on a curved edge still a valid coarse space, as any Galerkin one).
    Dirichlet dofs (*fixed*, in scikit-fem's P2 numbering) drop out as rows and as
    columns, so the coarse correction keeps their values.

    AMG-CG on the P2 system then coarsens geometrically first (p-multigrid) and by
    aggregation below (:func:`ntransport.solve.amg.build_nested_hierarchy`), instead of
    aggregating the P2 matrix: on a 3D composite (a /tmp script, 1 thread, mesh size
    0.45 um) the solve took 2.5 s and 21 CG iterations against 5.6 s and 35."""
    import scipy.sparse as sp

    from ..geometry.domain import mesh_edges

    edges = mesh_edges(m1)[0]
    n, ne = m1.nvertices, edges.shape[1]
    rows = np.concatenate([np.arange(n), np.repeat(n + np.arange(ne), 2)])
    cols = np.concatenate([np.arange(n), edges.T.ravel()])
    vals = np.concatenate([np.ones(n), np.full(2 * ne, 0.5)])
    P = sp.csr_matrix((vals, (rows, cols)), shape=(n + ne, n))
    return P[~fixed][:, ~fixed[:n]].tocsr()


def _curved_elements(m1, eidx, dim):
    """Mask of the elements with an edge among the curved edges *eidx*."""
    from ..geometry.domain import mesh_edges

    edges, t2e = mesh_edges(m1)
    bent = np.zeros(edges.shape[1], dtype=bool)
    bent[eidx] = True
    return bent[t2e].any(axis=0)


def _halves_to_csr(fe, iu, ju, Su, N):
    """``S`` (N, N) from the triplets ``(fe[iu], fe[ju], Su)``, built as the sum of the
    first and the second half of the local pairs' triplets: each half's COO -> CSR in its
    own thread when the call may use two (scipy's conversion releases the interpreter
    lock), one after the other otherwise -- the same halves and the same sum either way,
    so the same bits on one thread and on two.

    Halves of the pairs, not of the elements: a half of *Su* (npairs, nel) is a run of its
    rows, handed to scipy without a copy. The peak memory of the P2 solve is here or in
    A + A^T below, and the first touch of new memory costs system time (on the project's
    VM a fresh process wrote its first 256 MB at 0.46 GB/s). With the changes of
    `_reduced_system` and `solve_p2`, at 0.57 M tetrahedra: peak 1.49 -> 1.34 GB and
    9.7-10.2 -> 9.2-9.4 s on one thread, 1.95 -> 1.61 GB on two (benchmarks/README.md,
    section 1). Four runs of the pairs, two at a time, were no better (1.48-1.57 GB on
    two threads; 0.3 s slower on one: more sums)."""
    from concurrent.futures import ThreadPoolExecutor

    from ..cores import spare_thread

    cut = iu.size // 2

    def half(lo, hi):
        return coo_to_csr(fe[iu[lo:hi]].ravel(), fe[ju[lo:hi]].ravel(), Su[lo:hi].ravel(),
                          (N, N))

    if spare_thread() and fe.shape[1] >= HALVES_THREAD_MIN:
        with ThreadPoolExecutor(1) as ex:
            second = ex.submit(half, cut, iu.size)
            first = half(0, cut)
            return first + second.result()
    return half(0, cut) + half(cut, iu.size)


#: elements from which the two halves of the P2 matrix are converted in two threads
HALVES_THREAD_MIN = 50_000


def _reduced_system(edofs, Su, fixed, ud):
    """Free-free matrix, lifting ``b = -K_fd u_d`` and ``u_d^T K_dd u_d`` of the symmetric
    matrix ``K = S + S^T`` whose local matrices have the upper triangles *Su* (npairs,
    nel), pairs in ``np.triu_indices`` order, the diagonal halved, on the element dofs
    *edofs*, the dofs where *fixed* eliminated.

    Only the upper triangles are scattered: 55 of 100 triplets a tetrahedron. The free
    dofs are numbered first, so the free-free block is the leading block of S and no
    triplet is masked."""
    nl = edofs.shape[0]
    N = fixed.size
    nfree = N - int(fixed.sum())
    order = np.empty(N, dtype=index_dtype(N))
    order[~fixed] = np.arange(nfree)
    order[fixed] = np.arange(nfree, N)
    iu, ju = np.triu_indices(nl)
    fe = order[edofs]
    S = _halves_to_csr(fe, iu, ju, Su, N)
    del fe
    A = S[:nfree, :nfree]
    udf = ud[fixed]
    b = -(S[:nfree, nfree:] @ udf + udf @ S[nfree:, :nfree])
    cdd = 2.0 * float(udf @ (S[nfree:, nfree:] @ udf))
    del S  # before A + A^T, the step that needs the most memory
    return (A + A.T).tocsr(), b, cdd


def solve_p2(domain, sigma, electrodes, *, solver="auto", curved=True):
    """Unit-voltage P2 solve. Returns a dict: ``u`` (P2 dofs), ``current`` (at 1 V),
    ``grad`` (dim, nel) element-mean gradient, ``volumes`` (nel,), ``vertex_u``,
    ``dofs``."""
    import skfem
    from skfem.assembly import Dofs

    m1, dim = domain.mesh, domain.dim
    M, eidx = _p2_mesh(domain, curved)
    elem = skfem.ElementTriP2() if dim == 2 else skfem.ElementTetP2()
    dofs = Dofs(M, elem)
    edofs = dofs.element_dofs  # (nl, nel)
    N = int(dofs.N)
    bent = _curved_elements(m1, eidx, dim)
    cur = np.flatnonzero(bent)

    anode, cathode = _electrode_dofs(m1, [domain.facets(e) for e in electrodes[:2]], dim)
    ud = np.zeros(N)
    ud[anode] = 1.0
    fixed = np.zeros(N, dtype=bool)
    fixed[anode] = fixed[cathode] = True

    # local matrices (their upper triangles, pairs iu <= ju, the diagonal halved: Su) and
    # mean-gradient weights: every element in closed form, then the curved ones again, by
    # quadrature on their isoparametric map
    C, D = p2_gradient_tensors(dim, local_edges(elem))
    iu, ju = np.triu_indices(C.shape[0])
    g, volumes = p1_gradients(m1.p, m1.t)
    Su = conduction_p2(g, volumes, sigma, C[iu, ju])  # (npairs, nel)
    Gm = (D @ g.reshape(dim + 1, -1)).reshape(-1, dim, g.shape[2])  # mean of grad(phi_A)
    del g
    if cur.size:
        _curved_kernels(M.doflocs, edofs, cur, sigma, elem, (iu, ju), Su, Gm, volumes)
    Su[iu == ju] *= 0.5
    A, b, cdd = _reduced_system(edofs, Su, fixed, ud)
    # the local matrices are not needed again: the current below comes from A, b and cdd
    # (252 MB less at 0.57 M tetrahedra while the AMG hierarchy is built)
    del Su

    s = make_solver(solver, n=A.shape[0], dim=dim)
    u = ud.copy()
    if isinstance(s, AMGSolver):  # the P1 functions as the first coarse level
        u[~fixed] = s.factor(A, prolongator=p1_prolongator(m1, fixed))(b)
    else:
        u[~fixed] = s.factor(A)(b)

    # current at 1 V = u^T K u = u_f^T A u_f + 2 u_f^T K_fd u_d + u_d^T K_dd u_d (the
    # energy: its error is quadratic in the solve's); element-mean gradients
    uf = u[~fixed]
    current = float(uf @ (A @ uf)) - 2.0 * float(uf @ b) + cdd
    grad = np.einsum("Ae,Ade->de", u[edofs], Gm)
    return {"u": u, "current": current, "grad": grad, "volumes": volumes,
            "vertex_u": u[:m1.nvertices], "dofs": N, "solver": type(s).__name__}


#: curved elements per block of the quadrature kernel (bounds its temporaries)
CURVED_BLOCK = 20_000


def _curved_kernels(doflocs, edofs, cur, sigma, elem, pairs, Su, Gm, volumes):
    """Fill the local matrices (the (A, B) *pairs* of them in *Su*), mean-gradient
    weights and volumes of the curved elements *cur* by a degree-4 rule on their
    isoparametric (P2) map. Blocks of `CURVED_BLOCK` elements, on two threads when the
    call may use two (numpy's products release the interpreter lock; each block writes
    its own columns, so the bits do not depend on the threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from skfem.quadrature import get_quadrature

    from ..cores import spare_thread

    X, W = get_quadrature(elem.refdom, 4)
    dref = np.stack([elem.lbasis(X, i)[1] for i in range(edofs.shape[0])])  # (nl, dim, nq)

    def one(block):
        gr, det = isoparametric_gradients(doflocs[:, edofs[:, block]], dref)
        wdx = np.abs(det) * W
        Su[:, block] = conduction_quadrature(gr, wdx, sigma[block])[pairs]
        vc = wdx.sum(axis=1)
        Gm[:, :, block] = np.einsum("Adeq,eq->Ade", gr, wdx) / vc
        volumes[block] = vc

    blocks = np.array_split(cur, -(-cur.size // CURVED_BLOCK))
    if spare_thread() and len(blocks) > 1:
        with ThreadPoolExecutor(2) as ex:
            list(ex.map(one, blocks))
    else:
        for block in blocks:
            one(block)
