"""Sanity of raw mesh arrays before a Domain is built from them (any source: gmsh,
a mesh file, user arrays): finite coordinates, valid node indices, no zero-measure
cells -- a corrupt or degenerate mesh is a MeshError here, not a NaN in a solver; and
the element measures and shape quality the builders and mesh motion report."""
from __future__ import annotations

import math

import numpy as np

from ..errors import MeshError

__all__ = ["check_mesh_arrays", "simplex_det", "mean_ratio"]


def simplex_det(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Signed Jacobian determinant of each triangle/tetrahedron: ``p`` is ``(dim, nnodes)``,
    ``t`` is ``(dim + 1, nelements)``; ``|det| / dim!`` is the element measure.

    Written out (cross and triple products) instead of ``np.linalg.det`` on a stack of
    small matrices, which runs an LU per element: 0.30 s against 0.62 s at 1.3 M
    tetrahedra, 0.06 s against 0.11 s at 0.5 M triangles (gathers included), paid by
    every mesh on its way to a Domain."""
    x0 = p[:, t[0]]
    return _det([p[:, t[i + 1]] - x0 for i in range(t.shape[0] - 1)])


def mean_ratio(p, t, *, signed: bool = False) -> np.ndarray:
    """Mean-ratio shape quality of triangles/tetrahedra *t* (columns) with nodes *p*:
    1 for equilateral/regular, -> 0 when flat; ``4 sqrt3 A / sum l^2`` and
    ``12 (3 V)^(2/3) / sum l^2``. ``signed=True`` gives it the sign of the determinant
    (compare signs between configurations of one mesh: orientations may be mixed)."""
    dim = t.shape[0] - 1
    x = [p[:, t[i]] for i in range(dim + 1)]  # one gather per vertex
    det = _det([x[i + 1] - x[0] for i in range(dim)])
    s = sum(np.einsum("ij,ij->j", x[j] - x[i], x[j] - x[i])
            for i in range(dim + 1) for j in range(i + 1, dim + 1))
    if dim == 2:
        q = 2 * math.sqrt(3) * np.abs(det) / s
    else:
        q = 12 * np.cbrt(np.abs(det) / 2) ** 2 / s
    return np.copysign(q, det) if signed else q


def _det(e) -> np.ndarray:
    """Determinant of the edge vectors *e* (dim arrays of shape (dim, n))."""
    if len(e) == 1:
        return e[0][0]
    if len(e) == 2:
        return e[0][0] * e[1][1] - e[0][1] * e[1][0]
    a, b, c = e
    return (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
            + a[2] * (b[0] * c[1] - b[1] * c[0]))


def check_mesh_arrays(points, cells, facets, where) -> np.ndarray:
    """Finite coordinates, cells referring to existing nodes, no degenerate cells.
    Returns |det| of every cell (dim! x its measure, in the points' unit)."""
    pts = np.asarray(points, dtype=float)
    if not np.isfinite(pts).all():
        bad = ~np.isfinite(pts).all(axis=1)
        raise MeshError(f"{where}: {int(bad.sum())} node(s) have NaN/inf coordinates (first: "
                        f"node {int(np.argmax(bad))}); the mesh file is corrupt.")
    n = pts.shape[0]
    for name, arr in [("cells", cells), *((f"facets of {k!r}", v) for k, v in facets.items())]:
        a = np.asarray(arr)
        if a.size and (a.min() < 0 or a.max() >= n):
            raise MeshError(f"{where}: {name} refer to nodes that do not exist; the mesh file "
                            "is corrupt or truncated.")
    c = np.asarray(cells)
    vol = np.zeros(len(c))
    if c.size:
        dim = c.shape[1] - 1
        x = np.ascontiguousarray(pts[:, :dim].T)  # one row per coordinate: faster gathers
        vol = np.abs(simplex_det(x, c.T))
        scale = max(max(float(np.ptp(r)) for r in x), 1e-300) ** dim
        flat = vol <= 1e-14 * scale
        if flat.any():
            raise MeshError(f"{where}: {int(flat.sum())} of {len(c)} cells have zero "
                            f"{'area' if dim == 2 else 'volume'} (first: cell "
                            f"{int(np.argmax(flat))}); remesh the geometry.")
    return vol
