"""Electrolyte above a Li anode whose surface is a curve: a bump (defect) or any polyline.

`electrode_with_defect` follows Zhu et al. (PNAS 2023): a 5 µm x 3 µm electrolyte with
"a defect at the center" of the Li surface. `electrolyte_above_curve` meshes the
region above an arbitrary polyline anode, so a moving-boundary solver can rebuild
the domain after every deposition step.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from ..errors import GeometryError
from . import _occ
from .domain import Domain
from .gmsh_io import from_gmsh
from .layers import _positive

__all__ = ["electrode_with_defect", "electrolyte_above_curve", "defect_profile"]

log = logging.getLogger(__name__)

SHAPES = ("gaussian", "semicircle", "rectangle")


def defect_profile(width, *, defect_height, defect_width, shape="gaussian",
                   n_points: int = 81) -> np.ndarray:
    """Anode surface points (n, 2), metres, from x = 0 to `width`, bump at the centre.

    ``gaussian``: ``y = h exp(-(x - c)^2 / (2 s^2))`` with FWHM = `defect_width`
    (s = w / (2 sqrt(2 ln 2))), truncated to ``|x - c| <= 1.5 w``;
    ``semicircle``: half-ellipse of semi-axes w/2 and h (a semicircle when h = w/2);
    ``rectangle``: a step of width w and height h.
    """
    W = _positive(width, "width")
    h = _positive(defect_height, "defect_height")
    w = _positive(defect_width, "defect_width")
    if shape not in SHAPES:
        raise GeometryError(f"shape must be one of {SHAPES}, got {shape!r}.")
    c = W / 2
    half = {"gaussian": 1.5 * w, "semicircle": w / 2, "rectangle": w / 2}[shape]
    if half >= c:
        raise GeometryError(
            f"defect_width={w:.3g} m is too wide for width={W:.3g} m (the {shape} bump "
            f"spans {2 * half:.3g} m); make the defect narrower or the domain wider."
        )
    if shape == "rectangle":
        bump = np.array([[c - half, 0.0], [c - half, h], [c + half, h], [c + half, 0.0]])
    else:
        s = np.linspace(-1.0, 1.0, n_points)
        if shape == "gaussian":
            xs = c + half * s
            sig = w / (2 * math.sqrt(2 * math.log(2)))
            ys = h * np.exp(-0.5 * ((xs - c) / sig) ** 2)
            ys[[0, -1]] = 0.0
        else:
            theta = np.linspace(math.pi, 0.0, n_points)
            xs, ys = c + half * np.cos(theta), h * np.sin(theta)
            ys[[0, -1]] = 0.0
        bump = np.stack([xs, ys], axis=1)
    return np.vstack([[0.0, 0.0], bump, [W, 0.0]])


def electrode_with_defect(
    width: float = 5e-6,
    height: float = 3e-6,
    *,
    defect_height: float = 0.3e-6,
    defect_width: float = 0.5e-6,
    shape: str = "gaussian",
    mesh_size: float | None = None,
    defect_mesh_size: float | None = None,
    electrolyte: str = "electrolyte",
) -> Domain:
    """Electrolyte box on an anode carrying a bump at its centre (2D).

    Defaults: the 5 µm x 3 µm model of Zhu et al. (PNAS 2023); the paper gives no bump
    size, 0.3 µm x 0.5 µm is our choice.

    Parameters
    ----------
    width, height : float
        Domain size (metres); the flat anode is y = 0, the cathode y = height.
    defect_height, defect_width : float
        Bump height and width (FWHM for the gaussian), metres.
    shape : {"gaussian", "semicircle", "rectangle"}
    mesh_size : float, optional
        Bulk element size, default ``height / 20``.
    defect_mesh_size : float, optional
        Element size on and near the anode, default ``min(defect_height, defect_width) / 8``.

    Returns
    -------
    Domain
        Subdomain `electrolyte`; boundaries ``"anode"`` (the whole bumpy Li surface),
        ``"cathode"`` (top), ``"sides"``; ``info["anode_curve"]`` the (n, 2) points (m).
    """
    W = _positive(width, "width")
    H = _positive(height, "height")
    h = _positive(defect_height, "defect_height")
    if h >= H:
        raise GeometryError(
            f"defect_height={h:.3g} m is not below the domain height={H:.3g} m: the defect "
            "would touch the cathode. Use a smaller defect or a taller domain."
        )
    pts = defect_profile(W, defect_height=h, defect_width=defect_width, shape=shape)
    hd = (min(h, float(defect_width)) / 8 if defect_mesh_size is None
          else _positive(defect_mesh_size, "defect_mesh_size"))
    d = electrolyte_above_curve(pts, W, H, mesh_size=mesh_size, anode_mesh_size=hd,
                                electrolyte=electrolyte)
    return d.with_info(builder="electrode_with_defect", defect_height=h,
                       defect_width=float(defect_width), shape=shape)


def electrolyte_above_curve(
    points,
    width: float,
    height: float,
    *,
    mesh_size: float | None = None,
    anode_mesh_size: float | None = None,
    refine_distance: float | None = None,
    electrolyte: str = "electrolyte",
) -> Domain:
    """Mesh the region between a polyline anode and the flat cathode ``y = height``.

    Parameters
    ----------
    points : (n, 2) array, metres
        Anode surface from ``x = 0`` to ``x = width`` (left to right), a simple
        (non-self-intersecting) polyline below ``height``; overhangs are allowed.
    width, height : float
    mesh_size : float, optional
        Bulk size, default ``height / 20``.
    anode_mesh_size : float, optional
        Size on the anode, default `mesh_size`; it grows to `mesh_size` over
        `refine_distance` (default ``2 * mesh_size``) from the anode.

    Returns
    -------
    Domain
        ``"anode"`` (all polyline segments), ``"cathode"``, ``"sides"``;
        ``info["anode_curve"]`` is a copy of *points*.
    """
    W = _positive(width, "width")
    H = _positive(height, "height")
    p = np.array(points, dtype=float)  # copy: never touch the caller's array
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 2 or not np.all(np.isfinite(p)):
        raise GeometryError(f"points must be a finite (n >= 2, 2) array, got shape {p.shape}.")
    tol = 1e-9 * W
    if abs(p[0, 0]) > tol or abs(p[-1, 0] - W) > tol:
        raise GeometryError(
            f"the anode curve must run from x = 0 to x = width = {W:.6g} m; it runs from "
            f"{p[0, 0]:.6g} to {p[-1, 0]:.6g} m."
        )
    if p[:, 1].max() >= H:
        raise GeometryError(
            f"the anode curve reaches y = {p[:, 1].max():.3g} m, not below height = {H:.3g} m; "
            "the deposit would touch the cathode."
        )
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    if np.any(seg <= tol):
        raise GeometryError("the anode curve has repeated consecutive points; remove them.")
    _check_simple(p)
    h = H / 20 if mesh_size is None else _positive(mesh_size, "mesh_size")
    ha = h if anode_mesh_size is None else min(h, _positive(anode_mesh_size, "anode_mesh_size"))
    dist = 2 * h if refine_distance is None else _positive(refine_distance, "refine_distance")
    U = _occ.UM
    with _occ.session() as gmsh:
        geo = gmsh.model.geo
        tags = [geo.addPoint(x * U, y * U, 0.0, ha * U) for x, y in p]
        tr, tl = geo.addPoint(W * U, H * U, 0.0, h * U), geo.addPoint(0.0, H * U, 0.0, h * U)
        anode = [geo.addLine(a, b) for a, b in zip(tags[:-1], tags[1:])]
        right, top, left = geo.addLine(tags[-1], tr), geo.addLine(tr, tl), geo.addLine(tl, tags[0])
        surf = geo.addPlaneSurface([geo.addCurveLoop(anode + [right, top, left])])
        geo.synchronize()
        _occ.add_groups(gmsh, 2, {electrolyte: [surf]},
                        {"anode": anode, "cathode": [top], "sides": [left, right]})
        if ha < h:
            _occ.distance_size_field(gmsh, 2, anode, ha * U, h * U, dist_near=0.0,
                                     dist_far=dist * U,
                                     sampling=max(20, int(4 * seg.max() / ha)))
            gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        _occ.generate(gmsh, 2, algorithm=6, mesh_size=h * U)
        domain = from_gmsh(unit="um")
    log.info("electrolyte_above_curve: %d anode points, %d triangles", len(p), domain.mesh.nelements)
    return domain.with_info(builder="electrolyte_above_curve", anode_curve=p, width=W,
                            height=H, electrode_axis=1)


def _check_simple(p: np.ndarray) -> None:
    """Raise if two non-adjacent segments of the polyline intersect (O(n^2) vectorised)."""
    n = p.shape[0] - 1
    if n < 3 or n > 4000:
        return
    a, b = p[:-1], p[1:]
    i, j = np.triu_indices(n, k=2)

    def orient(u, v, w):
        return np.sign((v[:, 0] - u[:, 0]) * (w[:, 1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (w[:, 0] - u[:, 0]))

    o1 = orient(a[i], b[i], a[j])
    o2 = orient(a[i], b[i], b[j])
    o3 = orient(a[j], b[j], a[i])
    o4 = orient(a[j], b[j], b[i])
    cross = (o1 * o2 < 0) & (o3 * o4 < 0)
    if np.any(cross):
        k = int(np.nonzero(cross)[0][0])
        raise GeometryError(
            f"the anode curve intersects itself (segments {i[k]} and {j[k]}); a deposit "
            "front must be a simple curve."
        )
