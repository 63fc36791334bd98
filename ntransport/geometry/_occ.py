"""Small gmsh/OpenCASCADE helpers shared by the builders (gmsh imported by callers).

All coordinates here are in micrometres (the builders convert from metres).
"""
from __future__ import annotations

import contextlib
import logging
import math

import numpy as np

from ..errors import GeometryError, MeshError
from .guards import check_gmsh_model

log = logging.getLogger(__name__)

UM = 1e6  # metres -> micrometres

# gmsh defaults when the user does not pick: Delaunay (5) in 2D is faster than the
# default frontal-Delaunay on composites with many inclusions; HXT (10) in 3D is the
# fastest tetrahedral mesher in gmsh (PERFORMANCE-FACTS.md).
DEFAULT_ALGORITHM = {2: 5, 3: 10}
ALGORITHMS_2D = {1, 2, 3, 5, 6, 7, 8, 9, 11}
ALGORITHMS_3D = {1, 3, 4, 7, 9, 10}


def check_algorithm(algorithm, dim: int) -> int:
    """The gmsh algorithm number to use (validated)."""
    if algorithm is None:
        return DEFAULT_ALGORITHM[dim]
    valid = ALGORITHMS_2D if dim == 2 else ALGORITHMS_3D
    if algorithm not in valid:
        key = "Mesh.Algorithm" if dim == 2 else "Mesh.Algorithm3D"
        raise GeometryError(
            f"algorithm={algorithm!r} is not a gmsh {key} value for a {dim}D mesh; use one of "
            f"{sorted(valid)} (2D: 5 Delaunay, 6 Frontal-Delaunay, 8 quads-oriented; "
            "3D: 1 Delaunay, 10 HXT)."
        )
    return int(algorithm)


def add_particle(occ, dim, center, r, aspect, direction, shape,
                 seam: float = 0.0) -> list[tuple[int, int]]:
    """Add one disk/ellipse/stadium (2D) or sphere/spheroid/spherocylinder (3D).

    ``r`` is the short semi-axis, the long axis is ``aspect * r`` along *direction*.
    ``seam`` (2D disks and ellipses): parametric angle [rad] of the one vertex that
    closes the boundary curve (OpenCASCADE puts it at 0, the end of the long axis), so
    a builder can keep it away from tile edges; the shape is the same.
    Returns the gmsh (dim, tag) pairs (several for a rod: fragment merges them later).
    """
    c = [float(x) for x in center] + [0.0] * (3 - dim)
    d = np.zeros(3)
    d[:dim] = direction
    d /= np.linalg.norm(d)
    if aspect == 1.0:
        if dim == 2:
            tag = occ.addDisk(c[0], c[1], 0.0, r, r)
            if seam:
                occ.rotate([(2, tag)], c[0], c[1], 0.0, 0, 0, 1, float(seam))
            return [(2, tag)]
        return [(3, occ.addSphere(c[0], c[1], c[2], r))]
    if shape == "rod":
        h = (aspect - 1.0) * r
        p0, p1 = np.array(c) - h * d, np.array(c) + h * d
        if dim == 2:
            n = np.array([-d[1], d[0], 0.0]) * r
            pts = [p0 - n, p1 - n, p1 + n, p0 + n]
            tags = [occ.addPoint(*p) for p in pts]
            lines = [occ.addLine(tags[i], tags[(i + 1) % 4]) for i in range(4)]
            rect = occ.addPlaneSurface([occ.addCurveLoop(lines)])
            out, _ = occ.fuse([(2, rect)], [(2, occ.addDisk(*p0, r, r)), (2, occ.addDisk(*p1, r, r))])
            return list(out)
        cyl = occ.addCylinder(*p0, *(2 * h * d), r)
        out, _ = occ.fuse([(3, cyl)], [(3, occ.addSphere(*p0, r)), (3, occ.addSphere(*p1, r))])
        return list(out)
    if dim == 2:
        if seam:
            e = occ.addEllipse(0.0, 0.0, 0.0, aspect * r, r, angle1=float(seam),
                               angle2=float(seam) + 2 * math.pi)
            tag = occ.addPlaneSurface([occ.addCurveLoop([e])])
        else:
            tag = occ.addDisk(0.0, 0.0, 0.0, aspect * r, r)
        occ.rotate([(2, tag)], 0, 0, 0, 0, 0, 1, math.atan2(d[1], d[0]))
        occ.translate([(2, tag)], c[0], c[1], 0.0)
        return [(2, tag)]
    tag = occ.addSphere(0.0, 0.0, 0.0, r)
    occ.dilate([(3, tag)], 0, 0, 0, aspect, 1.0, 1.0)
    ex = np.array([1.0, 0.0, 0.0])
    axis = np.cross(ex, d)
    angle = math.acos(float(np.clip(d @ ex, -1.0, 1.0)))
    if np.linalg.norm(axis) > 1e-12:
        occ.rotate([(3, tag)], 0, 0, 0, *axis, angle)
    occ.translate([(3, tag)], *c)
    return [(3, tag)]


def classify_outer(gmsh, dim: int, box_um, axis: int | None = None) -> dict[str, list[int]]:
    """Outer boundary entities as ``anode`` (axis min), ``cathode`` (axis max), ``sides``.

    *axis* is the electrode axis (default: the last coordinate, y in 2D and z in 3D).
    """
    axis = dim - 1 if axis is None else axis
    ents = gmsh.model.getEntities(dim)
    outer = gmsh.model.getBoundary(ents, combined=True, oriented=False, recursive=False)
    tol = 1e-6 * max(box_um)
    groups = {"anode": [], "cathode": [], "sides": []}
    for d, tag in outer:
        bb = gmsh.model.getBoundingBox(d, abs(tag))
        lo, hi = bb[axis], bb[axis + 3]
        if hi < tol:
            groups["anode"].append(abs(tag))
        elif lo > box_um[axis] - tol:
            groups["cathode"].append(abs(tag))
        else:
            groups["sides"].append(abs(tag))
    return groups


def add_groups(gmsh, dim: int, cells: dict[str, list[int]], facets: dict[str, list[int]]):
    """Physical groups with names; empty groups are skipped (a cell group must not be)."""
    for name, tags in cells.items():
        if tags:
            gmsh.model.addPhysicalGroup(dim, sorted(set(tags)), name=name)
    for name, tags in facets.items():
        if tags:
            gmsh.model.addPhysicalGroup(dim - 1, sorted(set(tags)), name=name)


def generate(gmsh, dim: int, *, algorithm: int, mesh_size: float | None = None,
             threads: int = 1, optimize: bool = True, smoothing: int | None = None,
             uniform: bool = False) -> None:
    """Set the algorithm and a uniform size (if given) and mesh; raise MeshError on failure.

    ``smoothing``: gmsh ``Mesh.Smoothing`` steps (None keeps gmsh's default, 1). In 2D
    smoothing costs more than the Delaunay insertion itself (measured: 0.66 s vs 1.22 s
    CPU for 110 k triangles, minimum SICN quality 0.61 vs 0.63), so the composite
    builders switch it off. ``uniform``: the size is `mesh_size` everywhere, so gmsh can
    skip interpolating point sizes (~20 % faster).
    """
    check_gmsh_model(gmsh, dim, mesh_size=mesh_size, unit="µm")  # refuse runaway sizes first
    opt = gmsh.option
    if smoothing is not None:
        opt.setNumber("Mesh.Smoothing", int(smoothing))
    if uniform:
        opt.setNumber("Mesh.MeshSizeFromPoints", 0)
        opt.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    if dim == 2:
        opt.setNumber("Mesh.Algorithm", algorithm)
    else:
        opt.setNumber("Mesh.Algorithm3D", algorithm)
    opt.setNumber("General.NumThreads", int(threads))
    opt.setNumber("Mesh.MaxNumThreads2D", int(threads))
    opt.setNumber("Mesh.MaxNumThreads3D", int(threads))
    if mesh_size is not None:
        opt.setNumber("Mesh.MeshSizeMax", mesh_size)
        opt.setNumber("Mesh.MeshSizeFromCurvature", 0)
    opt.setNumber("Mesh.Optimize", 1 if optimize and dim == 3 else 0)
    try:
        gmsh.model.mesh.generate(dim)
    except Exception as exc:  # gmsh raises a bare Exception
        raise MeshError(
            f"gmsh failed to mesh the {dim}D geometry ({exc}). Try a smaller mesh_size, "
            "another algorithm (2D: 5 or 6, 3D: 1 or 10) or a larger particle gap."
        ) from exc


def constant_size_field(gmsh, dim: int, sizes: dict[int, float], default: float) -> None:
    """Background size: ``sizes[tag]`` inside (and on the boundary of) entity *tag* of
    dimension *dim*, `default` elsewhere; the minimum wins where regions meet."""
    field = gmsh.model.mesh.field
    ids = []
    key = "SurfacesList" if dim == 2 else "VolumesList"
    for tag, size in sizes.items():
        f = field.add("Constant")
        field.setNumbers(f, key, [tag])
        field.setNumber(f, "VIn", size)
        field.setNumber(f, "VOut", default)
        field.setNumber(f, "IncludeBoundary", 1)
        ids.append(f)
    if not ids:
        return
    fmin = field.add("Min")
    field.setNumbers(fmin, "FieldsList", ids)
    field.setAsBackgroundMesh(fmin)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)


def distance_size_field(gmsh, dim: int, tags: list[int], size_near: float, size_far: float,
                        *, dist_near: float, dist_far: float | None = None,
                        sampling: int = 40, background: bool = True) -> int:
    """Background size `size_near` within `dist_near` of the (dim-1)-entities *tags*,
    growing linearly to `size_far` at `dist_far` (default ``dist_near + 2 size_far``).
    Returns the field id; ``background=False`` only creates it (to be combined)."""
    field = gmsh.model.mesh.field
    f = field.add("Distance")
    field.setNumbers(f, "CurvesList" if dim == 2 else "SurfacesList", sorted(tags))
    field.setNumber(f, "Sampling", sampling)
    th = field.add("Threshold")
    field.setNumber(th, "InField", f)
    field.setNumber(th, "SizeMin", size_near)
    field.setNumber(th, "SizeMax", size_far)
    field.setNumber(th, "DistMin", dist_near)
    field.setNumber(th, "DistMax", dist_near + 2 * size_far if dist_far is None else dist_far)
    if background:
        field.setAsBackgroundMesh(th)
    return th


# options the builders change; restored afterwards so a caller's own gmsh session
# (gmsh_session is re-entrant) is left as it was
_TOUCHED = ("Mesh.Algorithm", "Mesh.Algorithm3D", "General.NumThreads", "Mesh.MaxNumThreads2D",
            "Mesh.MaxNumThreads3D", "Mesh.MeshSizeMax", "Mesh.MeshSizeMin",
            "Mesh.MeshSizeFromCurvature", "Mesh.MeshSizeFromPoints",
            "Mesh.MeshSizeExtendFromBoundary", "Mesh.Optimize", "Mesh.Smoothing")

# Boolean-operation options the builders rely on, held at gmsh's defaults inside a
# builder even when the caller's own gmsh session changed them: the builders identify
# the pieces of a fragment through its output map, which with
# ``OCCBooleanPreserveNumbering = 0`` mislabels them (measured: a 3D composite's particle
# fraction 0.187 -> 0.170, silently); glue mode assumes the arguments do not intersect.
_BOOLEAN_DEFAULTS = {"Geometry.OCCBooleanPreserveNumbering": 1, "Geometry.OCCBooleanGlue": 0}


@contextlib.contextmanager
def session(**kwargs):
    """`gmsh_session` that holds the Boolean options the builders rely on at gmsh's
    defaults and restores them and every mesh option the builders set afterwards."""
    from .gmsh_io import gmsh_session

    with gmsh_session(**kwargs) as gmsh:
        saved = {k: gmsh.option.getNumber(k) for k in (*_TOUCHED, *_BOOLEAN_DEFAULTS)}
        for k, v in _BOOLEAN_DEFAULTS.items():
            gmsh.option.setNumber(k, v)
        try:
            yield gmsh
        finally:
            if gmsh.isInitialized():
                for k, v in saved.items():
                    gmsh.option.setNumber(k, v)
