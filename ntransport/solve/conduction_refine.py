r"""Uniform refinement of a :class:`~ntransport.geometry.Domain` (new nodes on curved
interfaces), for the refinement sequence of ``solve_conduction(..., rtol=...)``.

Every triangle is split into 4 and every tetrahedron into 8 (edge midpoints; the inner
octahedron cut along the diagonal between the midpoints of edges 02 and 13), children
keep the parent's subdomain, named boundary facets are split alike, and the midpoints of
interface edges go onto the curved reconstruction of
:mod:`ntransport.solve.conduction_curved`. The sequence is nested except for those
moved midpoints, so :math:`\sigma_\mathrm{eff}` converges smoothly and Richardson
extrapolation applies.
"""
from __future__ import annotations

import numpy as np

from ..geometry.domain import Domain
from .conduction_curved import curved_midpoints

__all__ = ["refine_domain"]


def refine_domain(domain: Domain, *, curved: bool = True) -> Domain:
    """The uniformly refined copy of *domain* (see the module docstring)."""
    m = domain.mesh
    p, t = m.p, m.t
    n = m.nvertices
    dim = domain.dim
    edges = m.facets if dim == 2 else m.edges
    keys = np.minimum(edges[0], edges[1]).astype(np.int64) * n + np.maximum(edges[0], edges[1])
    order = np.argsort(keys)
    skeys = keys[order]

    def mid(a, b):
        k = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
        return n + order[np.searchsorted(skeys, k)]

    pm = 0.5 * (p[:, edges[0]] + p[:, edges[1]])
    if curved:
        a, b, xm = curved_midpoints(domain)
        if a.size:
            pm[:, mid(a, b) - n] = xm
    points = np.concatenate([p, pm], axis=1).T
    if dim == 2:
        v0, v1, v2 = t
        m01, m12, m02 = mid(v0, v1), mid(v1, v2), mid(v0, v2)
        kids = [(v0, m01, m02), (v1, m12, m01), (v2, m02, m12), (m01, m12, m02)]
    else:
        v0, v1, v2, v3 = t
        m01, m02, m03 = mid(v0, v1), mid(v0, v2), mid(v0, v3)
        m12, m13, m23 = mid(v1, v2), mid(v1, v3), mid(v2, v3)
        kids = [(v0, m01, m02, m03), (m01, v1, m12, m13), (m02, m12, v2, m23),
                (m03, m13, m23, v3), (m01, m02, m03, m13), (m01, m02, m12, m13),
                (m02, m03, m13, m23), (m02, m12, m13, m23)]
    k = len(kids)
    cells = np.stack([np.stack(c, axis=1) for c in kids], axis=1).reshape(-1, dim + 1)
    region = np.repeat(np.asarray(domain.region), k)
    groups = {name: np.flatnonzero(region == i) for i, name in enumerate(domain.region_names)}
    facets = {}
    for name, f in domain.boundaries.items():
        if "|" in name:
            continue
        fn = m.facets[:, f]
        if dim == 2:
            a, b = fn
            c = mid(a, b)
            facets[name] = np.concatenate([np.stack([a, c], 1), np.stack([c, b], 1)])
        else:
            a, b, c = fn
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            facets[name] = np.concatenate([np.stack(x, 1) for x in
                                           ((a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca))])
    out = Domain.from_arrays(points, cells, groups, facets)
    info = dict(domain.info)
    info["refinements"] = int(info.get("refinements", 0)) + 1
    return out.with_info(**info)
