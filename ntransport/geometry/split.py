"""Uniform refinement of a Domain: every triangle into four, every tetrahedron into eight.

Red refinement: the new nodes are the edge midpoints; a triangle's four children are
similar to it; a tetrahedron keeps its four corner children (similar to it) and cuts the
inner octahedron along its shortest diagonal, the usual choice for the shape of the four
inner children (J. Bey, Computing 55, 355-378, 1995, discusses the options). Subdomains and
named boundaries (interfaces included) pass to the children, so a split Domain is used
exactly like the one it came from -- and the meshes are nested, which is what an
h-convergence study wants.

A flat midpoint on a curved interface would leave the geometry as faceted as the coarse
mesh. A *projector* (e.g. `ntransport.geometry.surfaces.particle_projector`) moves the
midpoints of edges lying on named boundaries or interfaces onto the exact surface; a move
that would leave a child with less than `MIN_QUALITY_RATIO` of its shape quality on the
chords (a flattened or inverted element) is halved, up to `_MAX_HALVINGS` times, then
undone.

Meshing at twice the size and splitting is also a fast way to a large mesh: the split
costs far less per element than gmsh's Delaunay/HXT stages (benchmarks/README.md,
section 3).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import GeometryError, MeshError
from .domain import Domain, edge_index, edge_keys, mesh_edges
from .mesh_checks import mean_ratio

__all__ = ["split_elements", "Projector", "MIN_QUALITY_RATIO"]

#: ``project(a, b) -> (points, moved)``: for edges with endpoints ``a``, ``b`` (k, dim)
#: [m] on named boundaries/interfaces, the new node of each edge (k, dim) and a boolean
#: mask of the edges whose new node is off the chord.
Projector = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: a projected move is held back where a child's shape quality (mean ratio; negative when
#: inverted) would fall below this fraction of its quality with the new nodes on the chords
MIN_QUALITY_RATIO = 0.7
_MAX_HALVINGS = 4  # a move is halved up to this often before it is undone

# children as rows of local node numbers: 0..d the parent's vertices, then its edge
# midpoints in scikit-fem's edge order (triangle: 01, 12, 02 -> 3, 4, 5; tetrahedron:
# 01, 12, 02, 03, 13, 23 -> 4 ... 9)
_TRI = np.array([[0, 3, 5], [3, 1, 4], [5, 4, 2], [3, 4, 5]])
_TET_CORNERS = [[0, 4, 6, 7], [4, 1, 5, 8], [6, 5, 2, 9], [7, 8, 9, 3]]
# the octahedron (midpoints 4..9) cut along one of its three diagonals: the diagonal
# with each pair of neighbours on the ring of the other four midpoints (the m12 - m03
# rows list the diagonal reversed, so every child keeps its parent's orientation).
_TET_OCTA = {
    (6, 8): [[6, 8, 4, 5], [6, 8, 5, 9], [6, 8, 9, 7], [6, 8, 7, 4]],  # m02 - m13
    (4, 9): [[4, 9, 5, 6], [4, 9, 6, 7], [4, 9, 7, 8], [4, 9, 8, 5]],  # m01 - m23
    (5, 7): [[7, 5, 4, 6], [7, 5, 6, 9], [7, 5, 9, 8], [7, 5, 8, 4]],  # m12 - m03
}


def split_elements(domain: Domain, levels: int = 1, *, project: Projector | None = None) -> Domain:
    """*domain* with every element split ``levels`` times (4 / 8 children per level).

    Parameters
    ----------
    domain : Domain
        Triangles or tetrahedra (P1 geometry).
    levels : int >= 0
        Number of splits; elements grow by 4**levels (2D) or 8**levels (3D).
    project : Projector, optional
        Moves the midpoints of edges on named boundaries and interfaces onto the exact
        geometry (e.g. the particle surfaces of a composite); without it new nodes sit on
        the chords.

    Returns
    -------
    Domain
        Same subdomain and boundary names; ``info`` as *domain*'s plus ``split_levels``
        and ``split_projected`` / ``split_reverted`` (midpoints moved onto a surface /
        left short of it or on the chord because a child would have been flattened).

    Examples
    --------
    Nested meshes for an h-convergence study of a layered stack (flat interfaces: no
    projector needed); for particle composites use ``particle_composite(..., split=k)``,
    which projects the new nodes onto the particle surfaces:

    >>> from ntransport.geometry import layered_stack, split_elements   # doctest: +SKIP
    >>> coarse = layered_stack([("PEO", 20e-6), ("LLZO", 5e-6)], width=10e-6)  # doctest: +SKIP
    >>> meshes = [split_elements(coarse, k) for k in range(3)]          # doctest: +SKIP
    >>> [m.mesh.nelements // coarse.mesh.nelements for m in meshes]     # doctest: +SKIP
    [1, 4, 16]
    """
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 0:
        raise GeometryError(f"split levels must be an integer >= 0, got {levels!r} "
                            "(1 gives 4x the triangles / 8x the tetrahedra).")
    if domain.mesh.t.shape[0] not in (3, 4):
        raise GeometryError("split needs a triangle or tetrahedron mesh, got elements with "
                            f"{domain.mesh.t.shape[0]} nodes.")
    moved = reverted = 0
    info = dict(domain.info)
    if levels:
        # the levels in between stay arrays (a Domain's checks and interfaces are built
        # once, for the final mesh; split=2 of the 1 M-triangle composite: 0.15-0.2 s less)
        mesh, region = domain.mesh, np.asarray(domain.region)
        facets = {name: mesh.facets[:, idx] for name, idx in domain.boundaries.items()}
        for level in range(int(levels)):
            if level:  # scikit-fem's vertex order per element, as a Domain would have it
                mesh = type(domain.mesh)(p, t, validate=False)
            p, t, region, facets, m, r = _split_once(mesh, region, facets, project)
            moved, reverted = moved + m, reverted + r
        groups = {name: np.flatnonzero(region == k)
                  for k, name in enumerate(domain.region_names)}
        domain = Domain.from_arrays(p.T, t.T, groups, {k: f.T for k, f in facets.items()},
                                    source="split")
    info.update(split_levels=int(info.get("split_levels", 0)) + int(levels),
                split_projected=int(info.get("split_projected", 0)) + moved,
                split_reverted=int(info.get("split_reverted", 0)) + reverted)
    return domain.with_info(**info)


def _split_once(mesh, region, facets, project):
    """One red refinement of *mesh* (with element *region* ids and named facets given by
    their node columns): the children's points, elements, regions and named facets
    (node columns), and the counts of moved and held-back midpoints."""
    p, t = mesh.p, mesh.t
    n, dim = mesh.nvertices, mesh.dim()
    edges, t2e = mesh_edges(mesh)
    chord = 0.5 * (p[:, edges[0]] + p[:, edges[1]])
    mid = chord.copy()
    moved = np.zeros(edges.shape[1], dtype=bool)
    # the edges of every named facet, looked up once (new facet nodes and candidates)
    keys = edge_keys(edges, n)
    fedges = {name: _facet_edges(fn, keys, n) for name, fn in facets.items()}
    if project is not None and fedges:
        cand = np.unique(np.concatenate([e.ravel() for e in fedges.values()]))
        if cand.size:
            new, ok = project(p[:, edges[0, cand]].T, p[:, edges[1, cand]].T)
            ok = np.asarray(ok, dtype=bool)
            mid[:, cand[ok]] = np.asarray(new, dtype=float)[ok].T
            moved[cand[ok]] = True
    nodes = np.vstack([t, n + t2e])  # (dim + 1 + nedges_per_element, nel)
    local = _TRI if dim == 2 else _tet_children(chord, t2e)
    # children of one parent next to each other (locality for every later gather)
    if local.ndim == 2:
        local = local[:, :, None]
    cells = nodes[local, np.arange(t.shape[1])]  # (nchild, dim + 1, nel)
    cells = np.ascontiguousarray(cells.transpose(1, 2, 0).reshape(dim + 1, -1))
    pts = np.hstack([p, mid])
    nchild = 4 if dim == 2 else 8
    moved_count = reverted = 0
    if moved.any():
        pts, moved_count, reverted = _limit_moves(pts, np.hstack([p, chord]), cells,
                                                  np.concatenate([np.zeros(n, bool), moved]))
    children = {name: _split_facets(fn, n + fedges[name]).T for name, fn in facets.items()}
    return (pts, cells, np.repeat(region, nchild), children, moved_count, reverted)


def _limit_moves(pts, lin, cells, moved):
    """Halve projected moves (up to `_MAX_HALVINGS` times, then undo them) where a
    child's quality would fall below `MIN_QUALITY_RATIO` of its quality on the chords.
    Returns (points, fully moved count, shortened or undone count)."""
    target = pts.copy()
    frac = moved.astype(float)
    touch = np.flatnonzero(moved[cells].any(axis=0))
    c = cells[:, touch]
    q_lin = mean_ratio(lin, c, signed=True)
    sign = np.sign(q_lin)
    check = np.arange(touch.size)
    for _ in range(_MAX_HALVINGS + 1):
        cc = c[:, check]
        ratio = mean_ratio(pts, cc, signed=True) * sign[check] / np.abs(q_lin[check])
        bad = cc[:, ratio < MIN_QUALITY_RATIO]
        back = np.unique(bad[frac[bad] > 0])
        if not back.size:
            break
        frac[back] *= 0.5
        frac[back[frac[back] < 0.5 ** _MAX_HALVINGS]] = 0.0
        pts[:, back] = lin[:, back] + frac[back] * (target[:, back] - lin[:, back])
        changed = np.zeros(frac.size, dtype=bool)
        changed[back] = True
        check = np.flatnonzero(changed[c].any(axis=0))
    full = int(np.sum(frac == 1.0))
    return pts, full, int(moved.sum()) - full


def _tet_children(mids, t2e) -> np.ndarray:
    """(8, 4, nel) local node numbers of each tetrahedron's children, the octahedron
    cut along its shortest diagonal (*mids*: the edge midpoints)."""
    lengths = []
    for a, b in _TET_OCTA:
        d = mids[:, t2e[a - 4]] - mids[:, t2e[b - 4]]
        lengths.append(np.einsum("ij,ij->j", d, d))
    choice = np.argmin(np.stack(lengths), axis=0)
    table = np.array([_TET_CORNERS + kids for kids in _TET_OCTA.values()])  # (3, 8, 4)
    return table[choice].transpose(1, 2, 0)  # (8, 4, nel)


def _facet_edges(fn: np.ndarray, keys, n) -> np.ndarray:
    """(nedges_per_facet, nf) edge indices of facets *fn* (nodes (2 or 3, nf))."""
    def index(i, j):
        try:
            return edge_index(fn[i], fn[j], keys, n)
        except MeshError:
            raise GeometryError("split: a named facet has an edge that is not a mesh "
                                "edge.") from None

    if fn.shape[0] == 2:
        return index(0, 1)[None, :]
    return np.stack([index(0, 1), index(1, 2), index(0, 2)])


def _split_facets(fn: np.ndarray, mids: np.ndarray) -> np.ndarray:
    """Children (k, 2 or 3) node rows of the facets *fn* (nodes (2 or 3, nf)) whose edges
    have the new nodes *mids* (rows as `_facet_edges`)."""
    if fn.shape[1] == 0:
        return np.zeros((0, fn.shape[0]), dtype=np.int64)
    if fn.shape[0] == 2:
        m = mids[0]
        return np.concatenate([np.stack([fn[0], m], 1), np.stack([m, fn[1]], 1)])
    a, b, c = fn
    mab, mbc, mac = mids
    return np.concatenate([np.stack(x, 1) for x in
                           ((a, mab, mac), (mab, b, mbc), (mac, mbc, c), (mab, mbc, mac))])
