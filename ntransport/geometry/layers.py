"""`layered_stack`: layers stacked from the anode upwards, thin layers resolved locally."""
from __future__ import annotations

import logging
import math

import numpy as np

from ..errors import GeometryError
from . import _occ, guards, refinement
from .domain import Domain
from .gmsh_io import from_gmsh

__all__ = ["layered_stack"]

log = logging.getLogger(__name__)


def _check_layers(layers) -> list[tuple[str, float]]:
    try:
        items = [(name, thick) for name, thick in layers]
    except (TypeError, ValueError):
        raise GeometryError(
            f"layers must be a list of (name, thickness) pairs, e.g. [('PEO', 20e-6)], got "
            f"{layers!r:.100}."
        ) from None
    if not items:
        raise GeometryError("layers is empty; give at least one (name, thickness) pair.")
    out = []
    for i, (name, thick) in enumerate(items):
        if not isinstance(name, str) or not name or "|" in name:
            raise GeometryError(f"layer {i} name must be a non-empty string without '|', got {name!r}.")
        try:
            t = float(thick)
        except (TypeError, ValueError):
            raise GeometryError(f"layer {i} ({name!r}) thickness must be a number, got {thick!r}.") from None
        if not (math.isfinite(t) and t > 0):
            raise GeometryError(
                f"layer {i} ({name!r}) thickness must be finite and > 0 (metres), got {thick!r}."
            )
        out.append((name, t))
    return out


def layered_stack(
    layers,
    *,
    width: float,
    depth: float | None = None,
    mesh_size: float | None = None,
    min_elements_across: int = 3,
    algorithm: int | None = None,
    boundary_layer=None,
    seed=None,
) -> Domain:
    """Layers stacked along y (2D) or z (3D) from the anode (bottom) to the cathode (top).

    Parameters
    ----------
    layers : list of (name, thickness)
        From the anode upwards, thickness in metres. Layers sharing a name form one
        subdomain (e.g. a sandwich ``[("PEO", t), ("LLZO", t2), ("PEO", t)]``).
    width : float
        Extent along x (metres).
    depth : float, optional
        Extent along y for a 3D stack (then the stacking axis is z); 2D if None.
    mesh_size : float, optional
        Element size in the thick layers (metres); default ``min(width, total) / 20``.
    min_elements_across : int
        Each layer gets size ``min(mesh_size, thickness / min_elements_across)``, applied
        only in that layer (gmsh Constant fields), so a 1 µm layer in a 20 µm stack has
        at least this many elements across without refining the thick layers.
    algorithm : int, optional
        gmsh 2D / 3D algorithm number (default 5 in 2D, 1 in 3D: HXT is slow with the
        per-layer size fields).
    boundary_layer : BoundaryLayer or sequence of them, optional
        Graded refinement next to named boundaries/interfaces
        (:class:`ntransport.geometry.refinement.BoundaryLayer`), e.g. from the Debye
        length with :func:`ntransport.physics.debye.debye_boundary_layer`.
    seed : ignored
        Accepted for a uniform builder signature (the stack is deterministic).

    Returns
    -------
    Domain
        Subdomains named after the layers, boundaries ``"anode"`` (bottom),
        ``"cathode"`` (top), ``"sides"``, interfaces ``"a|b"``; ``info`` holds the layer
        list, interface positions (m) and the per-layer element sizes.

    Examples
    --------
    >>> d = layered_stack([("Li-IL@MOF", 1e-6), ("PE", 10e-6), ("LLZO", 1.6e-6)],
    ...                   width=20e-6)                                   # doctest: +SKIP
    """
    items = _check_layers(layers)
    check = lambda v, n: _positive(v, n)
    W = check(width, "width") * _occ.UM
    D = None if depth is None else check(depth, "depth") * _occ.UM
    if int(min_elements_across) != min_elements_across or min_elements_across < 1:
        raise GeometryError(f"min_elements_across must be an integer >= 1, got {min_elements_across!r}.")
    dim = 2 if D is None else 3
    total = sum(t for _, t in items) * _occ.UM
    h = (min(W, total) / 20.0 if mesh_size is None else check(mesh_size, "mesh_size") * _occ.UM)
    # HXT is slow with background size fields; plain Delaunay is 8x faster here
    alg = _occ.check_algorithm(1 if algorithm is None and dim == 3 else algorithm, dim)
    guards.check_elements(sum(  # size guard before any gmsh work (per-layer sizes, um)
        guards.estimate_elements(W * t * _occ.UM * (D or 1.0),
                                 min(h, t * _occ.UM / min_elements_across), dim)
        for _, t in items), dim=dim, what="layered_stack",
        hint="Use a larger mesh_size or a smaller min_elements_across.")
    sizes, z, positions = [], 0.0, [0.0]
    with _occ.session() as gmsh:
        occ = gmsh.model.occ
        ents = []
        for name, t in items:
            tu = t * _occ.UM
            if dim == 2:
                ents.append((2, occ.addRectangle(0, z, 0, W, tu)))
            else:
                ents.append((3, occ.addBox(0, 0, z, W, D, tu)))
            sizes.append(min(h, tu / min_elements_across))
            z += tu
            positions.append(z)
        _, out_map = occ.fragment(ents[:1], ents[1:]) if len(ents) > 1 else (ents, [ents])
        occ.synchronize()
        groups: dict[str, list[int]] = {}
        for (name, _), children in zip(items, out_map):
            for _, tag in children:
                groups.setdefault(name, []).append(tag)
        box = (W, total) if dim == 2 else (W, D, total)
        outer = _occ.classify_outer(gmsh, dim, box)
        _occ.add_groups(gmsh, dim, groups, outer)
        ids = _layer_fields(gmsh, dim, positions, sizes, h, box)
        ids += refinement.add_boundary_layer_fields(gmsh, dim, boundary_layer, facets=outer,
                                                    cells=groups, bulk_size=h, scale=_occ.UM)
        refinement.combine_background(gmsh, ids)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        _occ.generate(gmsh, dim, algorithm=alg, threads=1)
        domain = from_gmsh(unit="um")
    log.info("layered_stack: %d layers, %d elements", len(items), domain.mesh.nelements)
    return domain.with_info(
        builder="layered_stack", layers=tuple(items),
        interfaces_at=np.array(positions) / _occ.UM, electrode_axis=dim - 1,
        layer_mesh_size=tuple(s / _occ.UM for s in sizes), mesh_size=h / _occ.UM,
        boundary_layer=boundary_layer,
    )


def _positive(v, name) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise GeometryError(f"{name} must be a number (metres), got {v!r}.") from None
    if not (math.isfinite(x) and x > 0):
        raise GeometryError(f"{name} must be finite and > 0 (metres), got {v!r}.")
    return x


def _layer_fields(gmsh, dim, positions, sizes, h, box) -> list[int]:
    """One Box size field per layer (analytic, cheap); the minimum wins on interfaces.
    Returns the field ids (the caller sets their minimum as background)."""
    field = gmsh.model.mesh.field
    ids = []
    eps = 1e-9 * positions[-1]
    for lo, hi, s in zip(positions[:-1], positions[1:], sizes):
        f = field.add("Box")
        field.setNumber(f, "VIn", s)
        field.setNumber(f, "VOut", h)
        lim = {"X": (-eps, box[0] + eps), "Y": (-eps, box[1] + eps), "Z": (-1.0, 1.0)}
        lim["Y" if dim == 2 else "Z"] = (lo - eps, hi + eps)
        if dim == 3:
            lim["Y"] = (-eps, box[1] + eps)
        for ax, (a, b) in lim.items():
            field.setNumber(f, f"{ax}Min", a)
            field.setNumber(f, f"{ax}Max", b)
        ids.append(f)
    return ids
