"""Fast P1 assembly helpers: element gradients, cached CSR patterns, node splitting.

scikit-fem's general `asm` spends about half its time converting COO triplets to
CSR. For P1 elements the local matrices are closed-form (see
:mod:`ntransport.physics.conduction`), and the COO -> CSR map depends only on the
mesh, so :class:`CSRPattern` computes it once and every re-assembly is one
``np.bincount`` (5-7x faster at 1 M elements, see /work/shared/PERFORMANCE-FACTS.md).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "p1_gradients", "isoparametric_gradients", "CSRPattern", "coo_to_csr",
    "split_interface_nodes", "SplitMesh", "boundary_nodes",
    "EdgeGraph", "edge_graph", "mesh_edge_graph", "assemble_reduced", "index_dtype",
]


def p1_gradients(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradients of the P1 hat functions and the measure of every simplex.

    For an element with vertices :math:`x_0..x_d`, the Jacobian
    :math:`J = [x_1 - x_0, \dots, x_d - x_0]` maps the reference simplex, and
    :math:`\nabla\lambda_i = J^{-T}\hat\nabla\lambda_i` with
    :math:`\hat\nabla\lambda_0 = -\mathbf 1`, :math:`\hat\nabla\lambda_i = e_i`.
    The inverse is written out by cofactors (vectorised; 5x faster than
    ``np.linalg.inv`` on (nel, d, d) stacks).

    Parameters
    ----------
    p : (dim, nnodes) float
        Node coordinates.
    t : (dim + 1, nel) int
        Element connectivity.

    Returns
    -------
    grads : (dim + 1, dim, nel) float
        ``grads[i, :, e]`` is the gradient of the hat function of local node *i*.
    vol : (nel,) float
        Area (2D) or volume (3D) of each element.
    """
    dim = p.shape[0]
    x0 = p[:, t[0]]
    e = [p[:, t[i + 1]] - x0 for i in range(dim)]  # edge vectors, each (dim, nel)
    g = np.empty((dim + 1, dim, t.shape[1]))
    if dim == 2:
        det = e[0][0] * e[1][1] - e[0][1] * e[1][0]
        # rows of J^{-1}: grad lambda_1 = ( e1_y, -e1_x)/det, grad lambda_2 = (-e0_y, e0_x)/det
        g[1, 0], g[1, 1] = e[1][1] / det, -e[1][0] / det
        g[2, 0], g[2, 1] = -e[0][1] / det, e[0][0] / det
        vol = 0.5 * np.abs(det)
    elif dim == 3:
        def cross(u, v, out):  # row-wise cross product on (3, nel) arrays
            np.subtract(u[1] * v[2], u[2] * v[1], out=out[0])
            np.subtract(u[2] * v[0], u[0] * v[2], out=out[1])
            np.subtract(u[0] * v[1], u[1] * v[0], out=out[2])

        cross(e[1], e[2], g[1])
        cross(e[2], e[0], g[2])
        cross(e[0], e[1], g[3])
        det = e[0][0] * g[1, 0] + e[0][1] * g[1, 1] + e[0][2] * g[1, 2]
        inv = 1.0 / det
        g[1:] *= inv
        vol = np.abs(det) / 6.0
    else:
        raise ValueError(f"P1 gradients need a 2D or 3D mesh, got dimension {dim}.")
    g[0] = -g[1:].sum(axis=0)
    return g, vol


def isoparametric_gradients(x: np.ndarray, dref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Basis gradients and Jacobian determinants of isoparametric elements.

    The map of every element is :math:`x(\xi) = \sum_A x_A\hat\varphi_A(\xi)` (the
    element's own basis), so :math:`J = \sum_A x_A\otimes\hat\nabla\hat\varphi_A` at each
    quadrature point and :math:`\nabla\varphi_A = J^{-T}\hat\nabla\hat\varphi_A`. The
    same quantities scikit-fem's ``MappingIsoparametric`` computes, vectorised over
    elements and points at once, with the inverse written out by cofactors.

    Parameters
    ----------
    x : (dim, nl, nel) float
        Coordinates of every element's nodes (``doflocs[:, element_dofs]``).
    dref : (nl, dim, nq) float
        Reference gradients of the nl basis functions at the nq quadrature points.

    Returns
    -------
    grads : (nl, dim, nel, nq) float
    det : (nel, nq) float
        :math:`\det J` (its sign is the element's orientation).
    """
    dim = x.shape[0]
    J = np.einsum("dAe,Akq->dkeq", x, dref)  # J[d, k] = dx_d / dxi_k
    inv = np.empty_like(J)  # inv[k, d] = (J^{-1})[k, d]
    if dim == 2:
        det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
        inv[0, 0], inv[0, 1] = J[1, 1], -J[0, 1]
        inv[1, 0], inv[1, 1] = -J[1, 0], J[0, 0]
    elif dim == 3:
        for k in range(3):
            k1, k2 = (k + 1) % 3, (k + 2) % 3
            for d in range(3):
                d1, d2 = (d + 1) % 3, (d + 2) % 3
                inv[k, d] = J[d1, k1] * J[d2, k2] - J[d1, k2] * J[d2, k1]
        det = J[0, 0] * inv[0, 0] + J[0, 1] * inv[1, 0] + J[0, 2] * inv[2, 0]
    else:
        raise ValueError(f"isoparametric gradients need a 2D or 3D mesh, got dimension {dim}.")
    inv /= det
    return np.einsum("kdeq,Akq->Adeq", inv, dref), det


def index_dtype(n: int):
    """The narrowest index type scipy keeps for indices below *n*: int32, else int64."""
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def coo_to_csr(rows, cols, vals, shape) -> sp.csr_matrix:
    """One-shot COO -> CSR with duplicates summed (scipy's O(nnz) conversion)."""
    A = sp.csr_matrix((vals, (rows, cols)), shape=shape)
    A.sum_duplicates()
    return A


class CSRPattern:
    """Sparsity pattern and COO -> CSR scatter map, computed once per mesh.

    Parameters
    ----------
    rows, cols : (nnz_coo,) int
        Row and column index of every COO triplet, in the order the values will come.
    shape : (int, int)

    Examples
    --------
    >>> pat = CSRPattern(np.array([0, 1, 0]), np.array([0, 1, 0]), (2, 2))
    >>> pat.assemble(np.array([1.0, 2.0, 3.0])).toarray()
    array([[4., 0.],
           [0., 2.]])
    """

    def __init__(self, rows, cols, shape):
        rows = np.asarray(rows, dtype=np.int64).ravel()
        cols = np.asarray(cols, dtype=np.int64).ravel()
        self.shape = (int(shape[0]), int(shape[1]))
        keys = rows * self.shape[1] + cols
        uniq, self._map = np.unique(keys, return_inverse=True)
        r = uniq // self.shape[1]
        self.indices = (uniq % self.shape[1]).astype(np.int32)
        self.indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=self.shape[0]), out=self.indptr[1:])
        self.nnz = uniq.size
        self.ncoo = keys.size

    def assemble(self, vals) -> sp.csr_matrix:
        """CSR matrix from COO values given in the pattern's triplet order."""
        vals = np.asarray(vals, dtype=float).ravel()
        if vals.size != self.ncoo:
            raise ValueError(f"expected {self.ncoo} COO values for this pattern, got {vals.size}.")
        data = np.bincount(self._map, weights=vals, minlength=self.nnz)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape)


@dataclass(frozen=True)
class SplitMesh:
    """A P1 node numbering in which the nodes of some interfaces are duplicated.

    Attributes
    ----------
    t : (dim + 1, nel) int
        Connectivity into the split node set (same element order as the mesh).
    origin : (nnodes_split,) int
        Original mesh node of every split node.
    pairs : dict name -> (side_a, side_b)
        For each split interface, ``(k, nfacets)`` arrays of split node ids of the facet
        vertices seen from the first and from the second subdomain of ``"a|b"``.
    """

    t: np.ndarray
    origin: np.ndarray
    pairs: dict

    @property
    def nnodes(self) -> int:
        return int(self.origin.size)


def _local_ids(t_orig, t_new, elements, fverts):
    """Split node ids, in element *elements*, of the original vertices *fverts* (k, nf)."""
    te = t_orig[:, elements]  # (nv, nf)
    loc = np.argmax(te[None, :, :] == fverts[:, None, :], axis=1)  # (k, nf)
    return t_new[loc, elements[None, :]]


def split_interface_nodes(domain, interfaces) -> SplitMesh:
    """Duplicate the nodes of each interface ``"a|b"`` for the elements of subdomain *b*.

    A conforming P1 space cannot represent the potential jump across a resistive
    interface; with the nodes split, the two sides are coupled only through the
    interface-conductance term. Interfaces should be closed or end on the outer
    boundary: where a split interface ends at a triple junction, the third subdomain
    stays attached to side *a*.

    Parameters
    ----------
    domain : Domain
    interfaces : iterable of str
        Interface names as in ``domain.boundaries`` (``"a|b"`` with names sorted).
    """
    mesh = domain.mesh
    t_orig = mesh.t
    t_new = t_orig.copy()
    nnodes = mesh.nvertices
    info = []
    for name in interfaces:
        a, b = name.split("|")
        kb = domain.region_names.index(b)
        facets = domain.facets(name)
        fverts = mesh.facets[:, facets]
        nodes = np.unique(fverts)
        elems_b = np.nonzero(domain.region == kb)[0]
        newid = np.full(mesh.nvertices, -1, dtype=np.int64)
        newid[nodes] = nnodes + np.arange(nodes.size)
        tb = t_orig[:, elems_b]
        mask = newid[tb] >= 0
        sub = t_new[:, elems_b]
        sub[mask] = newid[tb[mask]]
        t_new[:, elems_b] = sub
        nnodes += nodes.size
        info.append((name, facets, fverts, domain.region_names.index(a)))
    origin = np.empty(nnodes, dtype=np.int64)
    origin[t_new.ravel()] = t_orig.ravel()
    # drop copies that no element uses any more (several splits of the same node)
    used, compact = np.unique(t_new, return_inverse=True)
    t_new = compact.reshape(t_new.shape)
    origin = origin[used]
    pairs = {}
    f2t = mesh.f2t
    for name, facets, fverts, ka in info:
        e0, e1 = f2t[0, facets], f2t[1, facets]
        first_is_a = domain.region[e0] == ka
        ea = np.where(first_is_a, e0, e1)
        eb = np.where(first_is_a, e1, e0)
        pairs[name] = (_local_ids(t_orig, t_new, ea, fverts), _local_ids(t_orig, t_new, eb, fverts))
    return SplitMesh(t=t_new, origin=origin, pairs=pairs)


def boundary_nodes(domain, split: SplitMesh | None, name: str) -> np.ndarray:
    """Node ids (in the split numbering if given) of the facets of boundary *name*."""
    mesh = domain.mesh
    facets = domain.facets(name)
    fverts = mesh.facets[:, facets]
    if split is None:
        return np.unique(fverts)
    elems = mesh.f2t[0, facets]
    return np.unique(_local_ids(mesh.t, split.t, elems, fverts))


LOCAL_PAIRS = {3: ((0, 1), (0, 2), (1, 2)), 4: ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))}


@dataclass(frozen=True)
class EdgeGraph:
    """Edges of a simplex mesh: the sparsity graph of P1 (off-diagonal entries).

    Attributes
    ----------
    edges : (2, nedges) int
        Node pairs, ``edges[0] < edges[1]``.
    t2e : (npairs, nel) int
        Edge of each local vertex pair ``LOCAL_PAIRS[nv][k]`` of every element.
    """

    edges: np.ndarray
    t2e: np.ndarray


_GRAPHS: dict = {}


def edge_graph(t: np.ndarray) -> EdgeGraph:
    """Edge graph of connectivity *t*, cached while the array *t* is alive.

    The cache key is the array's identity (meshes are immutable), so repeated solves on
    the same mesh (parameter sweeps, time steps) skip the one sort this costs.
    """
    key = id(t)
    hit = _GRAPHS.get(key)
    if hit is not None and hit[0]() is t:
        return hit[1]
    nv, nel = t.shape
    pairs = LOCAL_PAIRS[nv]
    a = np.concatenate([t[i] for i, _ in pairs]).astype(np.int64)
    b = np.concatenate([t[j] for _, j in pairs]).astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    n = int(t.max()) + 1
    from ..geometry.domain import _group_keys

    keys = lo * n + hi
    order, starts, inv = _group_keys(keys)
    uniq = keys[order[starts]]
    graph = EdgeGraph(edges=np.stack([uniq // n, uniq % n]), t2e=inv.reshape(len(pairs), nel))
    _GRAPHS[key] = (weakref.ref(t), graph)
    weakref.finalize(t, _GRAPHS.pop, key, None)
    return graph


def mesh_edge_graph(mesh) -> EdgeGraph:
    """Edge graph of a scikit-fem simplex mesh from its own cached topology.

    In 2D the mesh facets are the edges (``mesh.facets``, ``mesh.t2f``; a `Domain`
    has built them already to find its interfaces); in 3D ``mesh.edges``/``mesh.t2e``
    are built once per mesh with integer keys
    (:func:`ntransport.geometry.domain.mesh_edges`) and cached on it. Row *k* of the
    element-to-edge map belongs to the local vertex pair ``refdom.edges[k]``
    (``refdom.facets[k]`` in 2D) by construction, so ``LOCAL_PAIRS`` is matched against
    the reference element, never against the mesh data.
    """
    from ..geometry.domain import mesh_edges

    t = mesh.t
    edges, t2e = mesh_edges(mesh)
    ref = mesh.elem.refdom.facets if mesh.dim() == 2 else mesh.elem.refdom.edges
    row = {tuple(sorted(pair)): k for k, pair in enumerate(ref)}
    rows = [row[pair] for pair in LOCAL_PAIRS[t.shape[0]]]
    if rows == list(range(len(rows))):
        return EdgeGraph(edges=edges, t2e=t2e)
    return EdgeGraph(edges=edges, t2e=t2e[rows])


#: elements per block when :func:`assemble_reduced` computes the local matrices block by
#: block: 2.4 MB of them in 2D, 4.2 MB in 3D, reused from the heap malloc keeps instead of
#: the fresh pages of one (nv, nv, nel) array (70 / 128 MB at 1 M elements), whose first
#: touch cost a fresh process 0.3-0.6 s (benchmarks/README.md, section 1)
ASSEMBLY_BLOCK = 32768


def assemble_reduced(t, Ke, free_index, ud, *, graph: EdgeGraph | None = None):
    r"""Assemble a symmetric P1 matrix with Dirichlet nodes eliminated.

    Sums the local matrices *Ke* on the mesh edges (off-diagonal) and nodes
    (diagonal) -- 6x fewer triplets than element-wise COO in 3D -- then keeps the
    free-free block :math:`K_{ff}` and the lifting :math:`b = -K_{fd}u_d`.

    Parameters
    ----------
    t : (nv, nel) int
    Ke : (nv, nv, nel) symmetric local matrices, or a callable ``Ke(sl)`` that returns
        those of the elements ``sl`` (a slice): they are then computed `ASSEMBLY_BLOCK`
        elements at a time and never held all at once (the same sums, bit for bit)
    free_index : (nnodes,) int
        Index of each node among the unknowns, -1 for Dirichlet nodes.
    ud : (nnodes,) float
        Dirichlet values (ignored at free nodes).
    graph : EdgeGraph, optional
        ``edge_graph(t)`` (computed and cached if not given).

    Returns
    -------
    A : csr_matrix (nfree, nfree)
    b : (nfree,) float
    """
    graph = graph if graph is not None else edge_graph(t)
    nv, nel = t.shape
    nnodes = free_index.size
    nfree = int(free_index.max()) + 1 if free_index.size else 0
    pairs = LOCAL_PAIRS[nv]
    dvals, ovals = np.empty((nv, nel)), np.empty((len(pairs), nel))
    for lo in range(0, nel, ASSEMBLY_BLOCK):
        sl = slice(lo, min(lo + ASSEMBLY_BLOCK, nel))
        K = Ke(sl) if callable(Ke) else Ke[:, :, sl]
        for i in range(nv):
            dvals[i, sl] = K[i, i]
        for k, (i, j) in enumerate(pairs):
            ovals[k, sl] = K[i, j]
    diag = np.bincount(t.ravel(), weights=dvals.ravel(), minlength=nnodes)
    off = np.bincount(graph.t2e.ravel(), weights=ovals.ravel(), minlength=graph.edges.shape[1])
    # the triplets' indices in int32 (what the CSR keeps): int64 ones doubled their bytes and
    # scipy copied them down again (2D, 1.2 M triangles, a fresh process: 0.30 -> 0.11 s)
    fi = free_index.astype(index_dtype(nfree))
    fa, fb = fi[graph.edges[0]], fi[graph.edges[1]]
    both = (fa >= 0) & (fb >= 0)
    b = np.zeros(nfree)
    for f, other in ((fa, graph.edges[1]), (fb, graph.edges[0])):
        lift = (f >= 0) & (fi[other] < 0)
        b -= np.bincount(f[lift], weights=off[lift] * ud[other[lift]], minlength=nfree)
    dfree = fi >= 0
    rows = np.concatenate([fa[both], fb[both], fi[dfree]])
    cols = np.concatenate([fb[both], fa[both], fi[dfree]])
    vals = np.concatenate([off[both], off[both], diag[dfree]])
    return coo_to_csr(rows, cols, vals, (nfree, nfree)), b
