r"""Graded boundary-layer refinement next to named boundaries and internal interfaces.

A :class:`BoundaryLayer` asks the gmsh builders for elements of size ``size`` within
``thickness`` of the chosen boundaries, growing linearly with distance beyond it,

.. math::

    h(d) = \begin{cases} s & d \le t \\ \min\bigl(s + (g-1)(d-t),\ H\bigr) & d > t\end{cases}

(s = ``size``, t = ``thickness``, g = ``growth``, H = the builder's bulk size). A size
that grows by ``(g-1) d`` is what a geometric progression of cells with ratio g gives
(cell k+1 = g x cell k), so g is the usual boundary-layer growth ratio. It is realised
with one gmsh ``Distance`` + ``Threshold`` field per layer; the builders take the minimum
with their own size fields.

Distances are measured to points sampled along the target curves/surfaces, spaced at
most ``thickness`` apart, so a point on the boundary is never further than ``t/2`` from
a sample and keeps the size ``s``.

Before meshing, :func:`estimate_elements` predicts the number of elements the layer adds
(flat-boundary approximation); above ``max_elements`` the builder raises instead of
meshing for hours. ``note`` (e.g. the Debye length it came from and what to do instead)
is appended to that error.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from ..errors import GeometryError, check_positive

__all__ = ["BoundaryLayer", "estimate_elements", "add_boundary_layer_fields", "interface_tags",
           "combine_background"]

log = logging.getLogger(__name__)

INTERFACES = "interfaces"  # keyword in `on`: every internal interface between subdomains
# area of an equilateral triangle / volume of a regular tetrahedron of edge h, over h^dim
_SHAPE = {2: math.sqrt(3) / 4, 3: 1 / (6 * math.sqrt(2))}
_MAX_SAMPLES = 2_000_000  # distance-field sample points per layer


@dataclass(frozen=True)
class BoundaryLayer:
    """Element size ``size`` within ``thickness`` of the boundaries ``on`` (metres).

    Parameters
    ----------
    size : float
        Element size at the boundary [m].
    thickness : float
        Distance from the boundary over which the size stays ``size`` [m].
    growth : float > 1
        Growth ratio of element sizes beyond ``thickness`` (linear size gradient g - 1).
    on : tuple of str
        Boundary names (``"anode"``, ``"cathode"``, ``"sides"``), interface names
        ``"a|b"`` (sorted subdomain names), or ``"interfaces"`` for every internal
        interface. Interfaces are refined on both sides.
    max_elements : int
        The builder raises GeometryError if the layer would add more elements than this.
    note : str
        Appended to that error (what the size came from, what to do instead).
    """

    size: float
    thickness: float
    growth: float = 1.2
    on: tuple = ("anode", "cathode", INTERFACES)
    max_elements: int = 2_000_000
    note: str = ""

    def __post_init__(self):
        check_positive(self.size, name="BoundaryLayer.size [m]", exc=GeometryError)
        check_positive(self.thickness, name="BoundaryLayer.thickness [m]", exc=GeometryError)
        if not (isinstance(self.growth, (int, float)) and math.isfinite(self.growth)
                and self.growth > 1.0):
            raise GeometryError(f"BoundaryLayer.growth must be a number > 1 (e.g. 1.2), got "
                                f"{self.growth!r}.")
        on = (self.on,) if isinstance(self.on, str) else tuple(self.on)
        if not on or not all(isinstance(n, str) and n for n in on):
            raise GeometryError(f"BoundaryLayer.on must be boundary names, e.g. ('anode', "
                                f"'interfaces'), got {self.on!r}.")
        object.__setattr__(self, "on", on)
        check_positive(self.max_elements, name="BoundaryLayer.max_elements", exc=GeometryError)

    def size_at(self, distance, bulk_size: float):
        """The target size h(d) [m] at *distance* d [m] (numpy-friendly)."""
        import numpy as np

        d = np.asarray(distance, float)
        return np.minimum(self.size + (self.growth - 1.0) * np.maximum(d - self.thickness, 0.0),
                          max(bulk_size, self.size))


def estimate_elements(layer: BoundaryLayer, measure: float, dim: int, bulk_size: float) -> float:
    r"""Elements added by *layer* along boundaries of total *measure* (length in 2D, area
    in 3D; two-sided interfaces counted twice), in the units of ``layer``.

    :math:`N = \mu\int_0^\infty dd/(k h(d)^{dim})` with k the equilateral element shape
    factor; for the linear growth this is
    :math:`\mu[t/(k s^2) + (1/s - 1/H)/(k(g-1))]` in 2D and
    :math:`\mu[t/(k s^3) + (1/s^2 - 1/H^2)/(2k(g-1))]` in 3D. Flat boundaries: curved
    ones and corners change it by a factor of order one.
    """
    s, t, g = layer.size, layer.thickness, layer.growth
    H = max(bulk_size, s)
    k = _SHAPE[dim]
    if dim == 2:
        per = t / (k * s**2) + (1 / s - 1 / H) / (k * (g - 1))
    else:
        per = t / (k * s**3) + (1 / s**2 - 1 / H**2) / (2 * k * (g - 1))
    return measure * per


def interface_tags(gmsh, dim: int, cells: dict[str, list[int]]) -> dict[str, list[int]]:
    """(dim-1)-entity tags of every internal interface ``"a|b"`` between cell groups."""
    owner: dict[int, set[str]] = {}
    for name, tags in cells.items():
        for tag in tags:
            for _, f in gmsh.model.getBoundary([(dim, tag)], combined=False, oriented=False):
                owner.setdefault(abs(f), set()).add(name)
    out: dict[str, list[int]] = {}
    for f, names in owner.items():
        if len(names) == 2:
            out.setdefault("|".join(sorted(names)), []).append(f)
    return out


def _targets(layer, dim, facets, interfaces) -> tuple[list[int], list[int]]:
    """(outer tags, interface tags) selected by ``layer.on``; unknown names raise."""
    outer, inner = [], []
    valid = sorted(facets) + sorted(interfaces) + [INTERFACES]
    for name in layer.on:
        if name == INTERFACES:
            inner += [t for tags in interfaces.values() for t in tags]
        elif name in interfaces:
            inner += interfaces[name]
        elif name in facets:
            outer += facets[name]
        else:
            from ..errors import suggest

            raise GeometryError(f"BoundaryLayer.on: no boundary {name!r} in this geometry"
                                f"{suggest(name, valid)}; valid names: {valid}.")
    return sorted(set(outer)), sorted(set(inner) - set(outer))


def add_boundary_layer_fields(gmsh, dim: int, layers, *, facets: dict[str, list[int]],
                              cells: dict[str, list[int]], bulk_size: float,
                              scale: float) -> list[int]:
    """Add a Distance + Threshold field per layer; return the Threshold field ids.

    *facets*: named outer (dim-1)-entity groups, *cells*: named dim-entity groups, both
    as given to the physical groups; *bulk_size* in gmsh units; *scale* converts the
    layer's metres to gmsh units. Raises GeometryError if the predicted element count
    exceeds ``layer.max_elements`` (before anything is meshed).
    """
    if layers is None:
        return []
    layers = (layers,) if isinstance(layers, BoundaryLayer) else tuple(layers)
    for lay in layers:
        if not isinstance(lay, BoundaryLayer):
            raise GeometryError(f"boundary_layer must be a BoundaryLayer or a sequence of them, "
                                f"got {lay!r:.80}.")
    interfaces = interface_tags(gmsh, dim, cells)
    field = gmsh.model.mesh.field
    ids = []
    for lay in layers:
        outer, inner = _targets(lay, dim, facets, interfaces)
        tags = outer + inner
        if not tags:
            log.warning("BoundaryLayer on %s: no such entities in this geometry", lay.on)
            continue
        mass = {t: gmsh.model.occ.getMass(dim - 1, t) for t in tags}
        measure = sum(mass[t] for t in outer) + 2 * sum(mass[t] for t in inner)  # um^(dim-1)
        s, t = lay.size * scale, lay.thickness * scale
        n = estimate_elements(lay, measure / scale ** (dim - 1), dim, bulk_size / scale)
        if n > lay.max_elements:
            raise GeometryError(
                f"boundary layer of size {lay.size:.3g} m over {lay.thickness:.3g} m on "
                f"{list(lay.on)} would need about {n:.3g} elements (max_elements="
                f"{lay.max_elements:.3g}). {lay.note}".rstrip())
        # sample spacing <= t along the longest target, so the boundary keeps size s
        longest = max(_extent(gmsh, dim, tag, mass[tag]) for tag in tags)
        sampling = max(20, int(math.ceil(longest / t)) + 1)
        if sampling ** (dim - 1) * len(tags) > _MAX_SAMPLES:
            raise GeometryError(
                f"boundary layer thickness {lay.thickness:.3g} m is too thin to sample the "
                f"{dim - 1}D targets ({sampling ** (dim - 1) * len(tags):.3g} distance points); "
                f"use a thicker layer. {lay.note}".rstrip())
        f = field.add("Distance")
        field.setNumbers(f, "CurvesList" if dim == 2 else "SurfacesList", tags)
        field.setNumber(f, "Sampling", sampling)
        th = field.add("Threshold")
        field.setNumber(th, "InField", f)
        field.setNumber(th, "SizeMin", s)
        field.setNumber(th, "SizeMax", max(bulk_size, s))
        field.setNumber(th, "DistMin", t)
        field.setNumber(th, "DistMax", t + max(bulk_size - s, 0.0) / (lay.growth - 1.0))
        ids.append(th)
        log.info("boundary layer on %s: size %.3g m, thickness %.3g m, ~%.0f elements",
                 lay.on, lay.size, lay.thickness, n)
    return ids


def _extent(gmsh, dim, tag, mass) -> float:
    """Longest parametric extent of a target: its length (curve), the bounding-box
    diagonal (plane) or pi x the largest box side (curved surface: a sphere's
    longitude spans 2 pi r)."""
    if dim == 2:
        return mass
    bb = gmsh.model.getBoundingBox(dim - 1, tag)
    sides = [bb[i + 3] - bb[i] for i in range(3)]
    if gmsh.model.getType(dim - 1, tag) == "Plane":
        return math.sqrt(sum(x * x for x in sides))
    return math.pi * max(sides)


def combine_background(gmsh, ids: list[int]) -> int | None:
    """Set the minimum of the fields *ids* as the background size; return its id."""
    if not ids:
        return None
    field = gmsh.model.mesh.field
    if len(ids) == 1:
        fid = ids[0]
    else:
        fid = field.add("Min")
        field.setNumbers(fid, "FieldsList", list(ids))
    field.setAsBackgroundMesh(fid)
    gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
    return fid
