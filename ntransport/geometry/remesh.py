r"""Electrolyte above a moving electrode curve: initial profile and gmsh (re)meshing.

The deposition solver keeps the Li surface as an ordered polyline (left wall to right
wall). This module turns such a polyline into a triangulated electrolyte

.. math:: \Omega = \{(x, y) : 0 < x < W,\; y_{anode}(x) < y < y_{top}\}

with the named boundaries ``"anode"`` (the polyline, kept node-for-node so a remesh
changes neither the deposited volume nor the surface), ``"top"``, ``"left"`` and
``"right"``, and the single subdomain ``"electrolyte"``. Mesh size grows from
`h_anode` on the anode to `h_max` away from it (gmsh Distance + Threshold fields).

gmsh (GPL) is imported inside the functions only.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from ..errors import GeometryError, LimitError, MeshError, check_positive
from .guards import check_elements, check_gmsh_model

__all__ = ["anode_profile", "refine_polyline", "coarsen_polyline", "resample_arclength",
           "check_simple_polyline",
           "mesh_electrolyte_above_curve", "anode_chain"]

log = logging.getLogger(__name__)


def anode_profile(width, *, height, defect_height, defect_width, spacing,
                  shape="ellipse", amplitude=0.0, wavelength=None):
    r"""Polyline of a flat Li surface at y = 0 with an optional defect at its centre.

    ``shape="ellipse"``: a half-ellipse :math:`y = h_d\sqrt{1-(2(x-W/2)/w_d)^2}`;
    ``shape="cosine"``: a smooth bump :math:`y = h_d\cos^2(\pi (x-W/2)/w_d)`;
    ``amplitude``/``wavelength`` add :math:`A\cos(2\pi x/\lambda)` (linear-stability tests).

    Parameters
    ----------
    width, height : float
        Domain size [m]; `height` is the initial electrolyte thickness above y = 0.
    defect_height, defect_width : float
        Defect size [m] (``defect_height = 0`` for a flat electrode).
    spacing : float
        Target node spacing along the curve [m].

    Returns
    -------
    ndarray (n, 2)
        Points ordered from x = 0 to x = `width`.
    """
    width = check_positive(width, name="width", exc=GeometryError)
    height = check_positive(height, name="height", exc=GeometryError)
    spacing = check_positive(spacing, name="spacing", exc=GeometryError)
    hd = check_positive(defect_height, name="defect_height", allow_zero=True, exc=GeometryError)
    if hd + abs(amplitude) >= height:
        raise GeometryError(
            f"defect_height = {hd:.3g} m (+ |amplitude| = {abs(amplitude):.3g} m) does not fit "
            f"under the domain height = {height:.3g} m; the defect must be lower than the "
            "electrolyte, e.g. defect_height <= height / 3."
        )
    if hd > 0:
        wd = check_positive(defect_width, name="defect_width", exc=GeometryError)
        if wd >= width:
            raise GeometryError(f"defect_width = {wd:.3g} m must be smaller than width = "
                                f"{width:.3g} m.")
    if shape not in ("ellipse", "cosine"):
        raise GeometryError(f"shape must be 'ellipse' or 'cosine', got {shape!r}.")
    # dense analytic sampling (cosine-clustered on the defect), then equal arc lengths;
    # its size bounded before it is allocated (width 5 m at spacing 0.1 um asked for 15 GB)
    n = 40 * max(math.ceil(width / spacing), 4)
    check_elements(n, dim=1, what=f"anode profile ({n:.3g} samples: 40 per spacing "
                   f"{spacing:.3g} m over the width {width:.3g} m)",
                   hint="Use a larger anode spacing (h_anode) or a narrower cell.")
    x = np.linspace(0.0, width, n + 1)
    if hd > 0:
        xd = 0.5 * wd * np.sin(np.linspace(-0.5 * np.pi, 0.5 * np.pi, 4001))
        x = np.union1d(x, xd + 0.5 * width)
    y = np.zeros_like(x)
    if hd > 0:
        s = (x - 0.5 * width) / (0.5 * wd)
        inside = np.abs(s) < 1
        if shape == "ellipse":
            y[inside] = hd * np.sqrt(1.0 - s[inside] ** 2)
        else:
            y[inside] = hd * np.cos(0.5 * np.pi * s[inside]) ** 2
    if amplitude:
        lam = check_positive(wavelength, name="wavelength", exc=GeometryError)
        y = y + amplitude * np.cos(2 * np.pi * x / lam)
    return resample_arclength(np.column_stack([x, y]), spacing=spacing)


def resample_arclength(points, *, spacing):
    """Resample a polyline at equal arc-length steps close to `spacing` (ends kept)."""
    p = np.asarray(points, dtype=float)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
    n = max(int(np.ceil(s[-1] / spacing)), 2)
    si = np.linspace(0.0, s[-1], n + 1)
    return np.column_stack([np.interp(si, s, p[:, 0]), np.interp(si, s, p[:, 1])])


def _perp(d):
    return np.array([-d[1], d[0]])


def coarsen_polyline(points, *, min_length):
    """Merge segments shorter than `min_length`, keeping the enclosed area exactly.

    A short segment (a, b) becomes one node m at its midpoint (or the interior node is
    dropped if the segment touches an end); m is then moved along the normal of its new
    neighbours' chord so the signed area under the polyline is unchanged (polygon area
    is linear in one vertex's position). Returns a new array.
    """
    p = [np.asarray(q, dtype=float) for q in np.asarray(points, dtype=float)]
    changed = True
    while changed and len(p) > 3:
        changed = False
        L = [np.linalg.norm(p[k + 1] - p[k]) for k in range(len(p) - 1)]
        k = int(np.argmin(L))
        if L[k] >= min_length:
            break
        if k == 0:  # drop interior node 1, compensate with node 2
            drop, comp = [1], 1
        elif k == len(p) - 2:
            drop, comp = [len(p) - 2], len(p) - 3
        else:
            drop, comp = None, k
        old = _shoelace(p)
        if drop is None:
            m = 0.5 * (p[k] + p[k + 1])
            p = p[:k] + [m] + p[k + 2:]
        else:
            p = p[:drop[0]] + p[drop[0] + 1:]
            comp = min(comp, len(p) - 2)
        chord = p[comp + 1] - p[comp - 1]
        nrm = _perp(chord)
        # d(area)/d(p_comp) = 0.5 * perp(chord) for the shoelace of the open chain
        p[comp] = p[comp] + (old - _shoelace(p)) / (0.5 * nrm @ nrm) * nrm
        changed = True
    return np.array(p)


def _shoelace(p):
    """Signed area between the open chain and the x-axis (trapezoids), in chain order."""
    p = np.asarray(p)
    return float(np.sum(0.5 * (p[1:, 0] - p[:-1, 0]) * (p[1:, 1] + p[:-1, 1])))


def refine_polyline(points, *, max_length, smooth=False):
    """Split segments longer than `max_length` into equal parts. Returns a new array.

    ``smooth=False``: new points on the straight segment (the curve and its area are
    unchanged). ``smooth=True``: new points on the Catmull--Rom (Hermite) spline through
    the nodes, so a resolved curved surface stays curved instead of faceting; the new
    points are then shifted together along their normals so the area under the curve is
    unchanged to round-off (polygon area is smooth in the shift; 3 Newton steps).
    """
    pts = np.asarray(points, dtype=float)
    n = len(pts)
    tang = np.empty_like(pts)
    tang[1:-1] = 0.5 * (pts[2:] - pts[:-2])
    tang[0], tang[-1] = pts[1] - pts[0], pts[-1] - pts[-2]
    out, new = [pts[:1]], []
    for i in range(n - 1):
        a, b = pts[i], pts[i + 1]
        k = int(np.ceil(np.linalg.norm(b - a) / max_length))
        if k > 1:
            s = np.linspace(0, 1, k + 1)[1:-1, None]
            if smooth:
                h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
                h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
                seg = h00 * a + h10 * tang[i] + h01 * b + h11 * tang[i + 1]
            else:
                seg = a + s * (b - a)
            start = sum(len(o) for o in out)
            new.extend(range(start, start + len(seg)))
            out.append(seg)
        out.append(b[None])
    q = np.concatenate(out)
    if smooth and new:
        q = _restore_area(q, np.asarray(new), _shoelace(pts))
    return q


def _restore_area(q, idx, target):
    """Shift the nodes `idx` along their chord normals by one common δ so that the
    area under the open chain equals `target` (Newton on the quadratic A(δ))."""
    chord = q[np.minimum(idx + 1, len(q) - 1)] - q[np.maximum(idx - 1, 0)]
    nrm = np.column_stack([-chord[:, 1], chord[:, 0]])
    nrm /= np.linalg.norm(nrm, axis=1)[:, None]
    delta, eps = 0.0, 1e-6 * np.linalg.norm(chord, axis=1).mean()
    for _ in range(4):
        q1 = q.copy()
        q1[idx] += delta * nrm
        a0 = _shoelace(q1)
        q2 = q1.copy()
        q2[idx] += eps * nrm
        slope = (_shoelace(q2) - a0) / eps
        if slope == 0:
            break
        delta += (target - a0) / slope
    q = q.copy()
    q[idx] += delta * nrm
    return q


def check_simple_polyline(points, *, name="anode curve"):
    """Raise GeometryError if the open polyline crosses itself (O(n^2), n ~ 1e3 is fine)."""
    p = np.asarray(points, dtype=float)
    a, b = p[:-1], p[1:]
    n = len(a)
    if n < 3:
        return
    i, j = np.triu_indices(n, k=2)
    def orient(p0, p1, q):
        return (p1[..., 0] - p0[..., 0]) * (q[..., 1] - p0[..., 1]) - \
               (p1[..., 1] - p0[..., 1]) * (q[..., 0] - p0[..., 0])
    o1 = orient(a[i], b[i], a[j]) * orient(a[i], b[i], b[j])
    o2 = orient(a[j], b[j], a[i]) * orient(a[j], b[j], b[i])
    cross = (o1 < 0) & (o2 < 0)
    if np.any(cross):
        k = int(np.nonzero(cross)[0][0])
        raise GeometryError(
            f"the {name} intersects itself (segments {int(i[k])} and {int(j[k])} near "
            f"x = {a[i[k], 0]:.4g} m, y = {a[i[k], 1]:.4g} m); the deposit folded over. "
            "Use a smaller time step or a finer anode spacing.")


def mesh_electrolyte_above_curve(curve, *, width, y_top, h_anode, h_max, algorithm=6):
    """Triangulate the electrolyte between the anode polyline `curve` and ``y = y_top``.

    The anode nodes are exactly the points of `curve` (each segment is one mesh edge).

    Parameters
    ----------
    curve : (n, 2) array [m]
        Anode surface from ``(0, y0)`` to ``(width, yn)``.
    width, y_top : float
        Domain width and top-boundary height [m].
    h_anode, h_max : float
        Element size on the anode and far from it [m].

    Returns
    -------
    Domain
        Subdomain ``"electrolyte"``; boundaries ``"anode"``, ``"top"``, ``"left"``, ``"right"``.

    Raises
    ------
    GeometryError
        The curve does not span [0, width], reaches `y_top`, or crosses itself.
    MeshError
        gmsh failed (message carries gmsh's).
    """
    from .gmsh_io import from_gmsh, gmsh_session

    c = np.asarray(curve, dtype=float)
    um = 1e6
    if c.ndim != 2 or c.shape[1] != 2 or len(c) < 2:
        raise GeometryError(f"curve must be an (n, 2) array with n >= 2, got shape {c.shape}.")
    tol = 1e-9 * width
    if abs(c[0, 0]) > tol or abs(c[-1, 0] - width) > tol:
        raise GeometryError(
            f"curve must run from x = 0 to x = width = {width:.4g} m, got x from {c[0, 0]:.4g} "
            f"to {c[-1, 0]:.4g} m.")
    if c[:, 1].max() >= y_top:
        raise GeometryError(
            f"the anode reaches y = {c[:, 1].max():.4g} m, at or above the top boundary "
            f"y_top = {y_top:.4g} m: the deposit has short-circuited the electrolyte layer.")
    check_simple_polyline(c)
    c = c * um
    W, H = width * um, y_top * um
    ha, hm = h_anode * um, h_max * um
    try:
        with gmsh_session() as gmsh:
            geo = gmsh.model.geo
            pa = [geo.addPoint(float(x), float(y), 0.0, ha) for x, y in c]
            ptr = geo.addPoint(W, H, 0.0, hm)
            ptl = geo.addPoint(0.0, H, 0.0, hm)
            anode = [geo.addLine(a, b) for a, b in zip(pa[:-1], pa[1:])]
            right = geo.addLine(pa[-1], ptr)
            top = geo.addLine(ptr, ptl)
            left = geo.addLine(ptl, pa[0])
            loop = geo.addCurveLoop([*anode, right, top, left])
            surf = geo.addPlaneSurface([loop])
            geo.synchronize()
            for ln in anode:
                gmsh.model.mesh.setTransfiniteCurve(ln, 2)
            fd = gmsh.model.mesh.field.add("Distance")
            gmsh.model.mesh.field.setNumbers(fd, "CurvesList", anode)
            gmsh.model.mesh.field.setNumber(fd, "Sampling", 4)
            ft = gmsh.model.mesh.field.add("Threshold")
            gmsh.model.mesh.field.setNumber(ft, "InField", fd)
            gmsh.model.mesh.field.setNumber(ft, "SizeMin", ha)
            gmsh.model.mesh.field.setNumber(ft, "SizeMax", hm)
            gmsh.model.mesh.field.setNumber(ft, "DistMin", 2 * ha)
            gmsh.model.mesh.field.setNumber(ft, "DistMax", 2 * ha + 4 * hm)
            gmsh.model.mesh.field.setAsBackgroundMesh(ft)
            gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
            gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
            gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
            gmsh.option.setNumber("Mesh.Algorithm", algorithm)
            gmsh.model.addPhysicalGroup(2, [surf], name="electrolyte")
            gmsh.model.addPhysicalGroup(1, anode, name="anode")
            gmsh.model.addPhysicalGroup(1, [top], name="top")
            gmsh.model.addPhysicalGroup(1, [left], name="left")
            gmsh.model.addPhysicalGroup(1, [right], name="right")
            check_gmsh_model(gmsh, 2, mesh_size=hm, unit="µm")  # size guard (h-sec)
            gmsh.model.mesh.generate(2)
            domain = from_gmsh(unit="um")
    except (GeometryError, MeshError, LimitError):
        raise
    except Exception as exc:  # gmsh raises plain Exception
        raise MeshError(f"gmsh could not mesh the electrolyte above the anode curve "
                        f"({len(c)} points): {exc}") from exc
    chain = anode_chain(domain)
    if len(chain) != len(c):
        raise MeshError(f"gmsh split the anode into {len(chain) - 1} edges instead of "
                        f"{len(c) - 1}; the anode nodes must be kept one-for-one.")
    return domain


def anode_chain(domain):
    """Node indices of the ``"anode"`` boundary ordered from the left wall to the right."""
    m = domain.mesh
    f = m.facets[:, domain.facets("anode")]
    nodes, counts = np.unique(f, return_counts=True)
    ends = nodes[counts == 1]
    if ends.size != 2:
        raise MeshError(f"the anode boundary is not one open chain ({ends.size} ends).")
    start = ends[np.argmin(m.p[0, ends])]
    nbrs = {}
    for a, b in f.T:
        nbrs.setdefault(int(a), []).append(int(b))
        nbrs.setdefault(int(b), []).append(int(a))
    chain, prev, cur = [int(start)], -1, int(start)
    for _ in range(nodes.size - 1):
        nxt = [q for q in nbrs[cur] if q != prev]
        prev, cur = cur, nxt[0]
        chain.append(cur)
    return np.asarray(chain, dtype=np.int64)
