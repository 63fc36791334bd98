"""Sanity of raw mesh arrays before a Domain is built from them (any source: gmsh,
a mesh file, user arrays): finite coordinates, valid node indices, no zero-measure
cells -- a corrupt or degenerate mesh is a MeshError here, not a NaN in a solver."""
from __future__ import annotations

import numpy as np

from ..errors import MeshError

__all__ = ["check_mesh_arrays"]


def check_mesh_arrays(points, cells, facets, where) -> None:
    """Finite coordinates, cells referring to existing nodes, no degenerate cells."""
    pts = np.asarray(points, dtype=float)
    bad = ~np.isfinite(pts).all(axis=1)
    if bad.any():
        raise MeshError(f"{where}: {int(bad.sum())} node(s) have NaN/inf coordinates (first: "
                        f"node {int(np.argmax(bad))}); the mesh file is corrupt.")
    n = pts.shape[0]
    for name, arr in [("cells", cells), *((f"facets of {k!r}", v) for k, v in facets.items())]:
        a = np.asarray(arr)
        if a.size and (a.min() < 0 or a.max() >= n):
            raise MeshError(f"{where}: {name} refer to nodes that do not exist; the mesh file "
                            "is corrupt or truncated.")
    c = np.asarray(cells)
    if c.size:
        dim = c.shape[1] - 1
        x = pts[:, :dim][c]  # (nel, dim+1, dim)
        vol = np.abs(np.linalg.det(x[:, 1:] - x[:, :1]))
        scale = max(float(np.ptp(pts[:, :dim], axis=0).max()), 1e-300) ** dim
        flat = vol <= 1e-14 * scale
        if flat.any():
            raise MeshError(f"{where}: {int(flat.sum())} of {len(c)} cells have zero "
                            f"{'area' if dim == 2 else 'volume'} (first: cell "
                            f"{int(np.argmax(flat))}); remesh the geometry.")
