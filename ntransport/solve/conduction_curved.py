r"""Curved internal interfaces from a straight-sided mesh: edge midpoints on a smooth
reconstruction of the interface.

gmsh puts interface *vertices* on the true curved surface, but the straight edges
between them cut inside it (error :math:`h^2\kappa/8`). Both quadratic elements and
uniform refinement need points *between* the vertices; placing them on the chord keeps
the polygon, so the answer converges to the polygon's. Here the midpoint of an
interface edge :math:`(a, b)` is placed on the cubic Hermite curve whose end tangents
are orthogonal to the vertex normals :math:`n_a, n_b`:

.. math::

    m = \tfrac12(a+b) + \tfrac18\big[(d\cdot n_b)\,n_b - (d\cdot n_a)\,n_a\big],
    \qquad d = b - a,

which is within :math:`O(h^4)` of a circle or sphere through a and b. Vertex normals are
weighted averages of the adjacent interface facet normals, exact for vertices on a
circle (weights :math:`1/|f|` in 2D) or a sphere (Max 1999, weights
:math:`e_1\times e_2/(|e_1|^2|e_2|^2)` in 3D). Flat interfaces are left flat (the
correction vanishes); edges across a kink (normals more than 40 degrees apart, or a
chord steeper than 30 degrees to a tangent plane) are left straight.

Where the Domain knows its geometry exactly -- ``particle_composite`` spheres/disks
(``info`` centres and radii, shells included, no overlaps) -- a midpoint whose edge ends
lie on one of those spheres is projected onto it instead, so refinement converges to the
true geometry rather than to the reconstruction of the first mesh.
"""
from __future__ import annotations

import numpy as np

__all__ = ["interface_edges", "curved_midpoints", "sphere_projection"]

_COS_KINK = np.cos(np.radians(40.0))


def _edge_keys(a, b, n):
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return lo * n + hi


def _oriented_normals(domain, name):
    """Unit normals (dim, nf) of interface *name*, pointing out of its first subdomain,
    and the facet node array (k, nf)."""
    mesh = domain.mesh
    f = domain.facets(name)
    nodes = mesh.facets[:, f]
    x = mesh.p[:, nodes]
    if domain.dim == 2:
        t = x[:, 1] - x[:, 0]
        nrm = np.stack([t[1], -t[0]])
    else:
        nrm = np.cross((x[:, 1] - x[:, 0]).T, (x[:, 2] - x[:, 0]).T).T
    nrm = nrm / np.linalg.norm(nrm, axis=0)
    first = name.split("|")[0]
    e0 = mesh.f2t[0, f]
    e1 = mesh.f2t[1, f]
    k = domain.region_names.index(first) if first in domain.region_names else -1
    inside = np.where(domain.region[e0] == k, e0, e1)
    c_in = mesh.p[:, mesh.t[:, inside]].mean(axis=1)
    c_f = x.mean(axis=1)
    sign = np.sign(np.einsum("df,df->f", nrm, c_f - c_in))
    sign[sign == 0] = 1.0
    return nrm * sign, nodes


def _vertex_normals(domain, name):
    """Vertex -> unit normal (dim, nnodes; zero off the interface)."""
    mesh = domain.mesh
    nrm, nodes = _oriented_normals(domain, name)
    acc = np.zeros((domain.dim, mesh.nvertices))
    x = mesh.p[:, nodes]
    if domain.dim == 2:
        ln = np.linalg.norm(x[:, 1] - x[:, 0], axis=0)
        for k in range(2):
            for d in range(2):
                acc[d] += np.bincount(nodes[k], weights=nrm[d] / ln, minlength=mesh.nvertices)
    else:
        for k in range(3):
            e1 = x[:, (k + 1) % 3] - x[:, k]
            e2 = x[:, (k + 2) % 3] - x[:, k]
            w = np.cross(e1.T, e2.T).T / (np.einsum("df,df->f", e1, e1)
                                          * np.einsum("df,df->f", e2, e2))
            w *= np.sign(np.einsum("df,df->f", w, nrm))
            for d in range(3):
                acc[d] += np.bincount(nodes[k], weights=w[d], minlength=mesh.nvertices)
    nn = np.linalg.norm(acc, axis=0)
    on = nn > 0
    acc[:, on] /= nn[on]
    return acc


def interface_edges(domain):
    """Name -> (2, ne) vertex pairs of the edges lying on each internal interface."""
    out = {}
    for name in domain.interfaces:
        f = domain.facets(name)
        if f.size == 0:
            continue
        nodes = domain.mesh.facets[:, f]
        if domain.dim == 2:
            e = nodes
        else:
            e = np.concatenate([nodes[[0, 1]], nodes[[1, 2]], nodes[[2, 0]]], axis=1)
        key = _edge_keys(e[0], e[1], domain.mesh.nvertices)
        _, first = np.unique(key, return_index=True)
        out[name] = np.sort(e[:, first], axis=0)
    return out


def sphere_projection(domain, a, b, m):
    """Project midpoints *m* (dim, ne) of edges (a, b) onto the builder's exact spheres
    where both ends lie on the same sphere; returns (m, mask of projected edges)."""
    info = domain.info
    ok = np.zeros(a.size, dtype=bool)
    if (info.get("builder") != "particle_composite" or info.get("overlap")
            or info.get("aspect_ratio", 1.0) != 1.0 or info.get("shape", "ellipsoid") != "ellipsoid"
            or info.get("centers") is None or a.size == 0):
        return m, ok
    from scipy.spatial import cKDTree

    c = np.asarray(info["centers"], dtype=float)
    r = np.asarray(info["radii"], dtype=float)
    if c.ndim != 2 or c.shape[1] != domain.dim or r.size != c.shape[0]:
        return m, ok
    shells = [0.0] + ([float(info["shell_thickness"])] if info.get("shell_thickness") else [])
    p = domain.mesh.p
    idx = cKDTree(c).query(m.T)[1]
    cc = c[idx].T
    da = np.linalg.norm(p[:, a] - cc, axis=0)
    db = np.linalg.norm(p[:, b] - cc, axis=0)
    h = np.linalg.norm(p[:, b] - p[:, a], axis=0)
    out = m.copy()
    for t in shells:
        R = r[idx] + t
        on = (np.abs(da - R) < 1e-6 * h + 1e-12 * R) & (np.abs(db - R) < 1e-6 * h + 1e-12 * R)
        on &= ~ok
        if on.any():
            v = m[:, on] - cc[:, on]
            out[:, on] = cc[:, on] + v * (R[on] / np.linalg.norm(v, axis=0))
            ok |= on
    return out, ok


def curved_midpoints(domain):
    """``(a, b, m)``: vertex pairs (2, ne) of the curved interface edges and their
    midpoints (dim, ne) on the reconstruction (see the module docstring)."""
    p = domain.mesh.p
    A, B, M = [], [], []
    seen = set()
    for name, e in interface_edges(domain).items():
        nv = _vertex_normals(domain, name)
        a, b = e
        key = _edge_keys(a, b, p.shape[1])
        fresh = np.array([k not in seen for k in key.tolist()], dtype=bool)
        seen.update(key.tolist())
        a, b = a[fresh], b[fresh]
        d = p[:, b] - p[:, a]
        na, nb = nv[:, a], nv[:, b]
        dn_a = np.einsum("de,de->e", d, na)
        dn_b = np.einsum("de,de->e", d, nb)
        dl = np.linalg.norm(d, axis=0)
        ok = (np.einsum("de,de->e", na, nb) > _COS_KINK) & (np.abs(dn_a) < 0.5 * dl) \
            & (np.abs(dn_b) < 0.5 * dl)
        m = 0.5 * (p[:, a] + p[:, b])
        m[:, ok] += (dn_b[ok] * nb[:, ok] - dn_a[ok] * na[:, ok]) / 8.0
        m, exact = sphere_projection(domain, a, b, m)
        ok |= exact
        A.append(a[ok])
        B.append(b[ok])
        M.append(m[:, ok])
    if not A:
        return np.zeros(0, int), np.zeros(0, int), np.zeros((domain.dim, 0))
    return np.concatenate(A), np.concatenate(B), np.concatenate(M, axis=1)
