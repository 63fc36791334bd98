r"""Structured boxes for phase-field runs: rectangles in metres with named regions.

A phase-field interface must be resolved everywhere it goes (>= 4 elements across its
diffuse width), but it only goes where the deposit grows. The builders here make
tensor-product rectangles that are uniform (element size ``h_fine``) in a band above
the anode and graded (rows growing by ``growth``) above it; a run that sees the deposit
approach the end of the band rebuilds the box with a taller band
(:func:`ntransport.solve.phasefield.run` does it), so the refined region follows the
interface to the far side of the cell.

* :func:`box` -- the rectangle ``[0, width] x [0, height]``: subdomains ``electrolyte``
  (default ``"PEO"``) and, if filaments are given, ``filament_name`` (default ``"PE"``);
  boundaries ``"anode"`` (y = 0), ``"cathode"`` (y = height), ``"sides"`` (x = 0, width),
  the interface ``"PE|PEO"``. Grid lines pass through every filament edge, so the
  filaments are exact strips.
* :func:`column` -- a one-element-wide uniform box: a 1D problem (fields that depend on
  y only) on the 2D machinery.
* :func:`evenly_spaced_filaments` -- the PE skeleton of Zhang et al. (SI, "Simulation of
  Li dendrite evolution"): filaments perpendicular to the anode, centred at
  ``(k + 1/2) width / n``.

Each rectangle of the grid is cut into two right triangles along alternating
diagonals (a checkerboard), so the mesh has no preferred diagonal direction and every
triangle is non-obtuse (the P1 stiffness edge weights are >= 0: the edge-averaged
transport of :mod:`ntransport.physics.nernst_planck` keeps concentrations positive).
The element size that matters for the interface is the longest edge, the diagonal
:math:`\sqrt{h_x^2 + h_y^2}`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError, check_positive
from . import guards
from .domain import Domain

__all__ = ["Filaments", "evenly_spaced_filaments", "graded_coordinates", "box", "column",
           "BoxSpec", "longest_edges"]


@dataclass(frozen=True)
class Filaments:
    """Vertical strips (2D filaments) ``|x - centre| < width/2``, ``start < y < end`` [m]."""

    centres: tuple
    width: float
    start: float = 0.0
    end: float = math.inf

    def __post_init__(self):
        check_positive(self.width, name="filament width", exc=GeometryError)
        c = np.sort(np.asarray(self.centres, float))
        if c.size == 0:
            raise GeometryError("Filaments: give at least one centre.")
        if c.size > 1 and np.min(np.diff(c)) <= self.width:
            raise GeometryError(f"filaments of width {self.width:.3g} m at centres {c.tolist()} "
                                "touch or overlap; use fewer or thinner filaments.")
        if not (0.0 <= self.start < self.end):
            raise GeometryError(f"filament start ({self.start!r}) must be >= 0 and below its "
                                f"end ({self.end!r}).")
        object.__setattr__(self, "centres", tuple(float(x) for x in c))


def evenly_spaced_filaments(width: float, n: int, *, diameter: float, gap_anode: float = 0.0,
                            gap_cathode: float = 0.0, height: float = math.inf) -> Filaments:
    """``n`` filaments of `diameter` centred at ``(k + 1/2) width/n``, from `gap_anode`
    above the anode to `gap_cathode` below the cathode at `height`."""
    check_positive(width, name="width", exc=GeometryError)
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise GeometryError(f"n (number of filaments) must be an integer >= 1, got {n!r}.")
    if diameter >= width / n:
        raise GeometryError(f"filament diameter {diameter:.3g} m >= spacing {width / n:.3g} m: "
                            "the filaments would touch; use fewer or thinner filaments.")
    if gap_anode < 0 or gap_cathode < 0:
        raise GeometryError(f"gaps must be >= 0, got gap_anode={gap_anode!r}, "
                            f"gap_cathode={gap_cathode!r}.")
    return Filaments(tuple((k + 0.5) * width / n for k in range(int(n))), float(diameter),
                     float(gap_anode), float(height) - float(gap_cathode))


def _uniform(breaks, h):
    """Coordinates through every break, each segment split into equal parts <= h."""
    out = [breaks[0]]
    guards.check_elements(sum((b - a) / h for a, b in zip(breaks[:-1], breaks[1:])), dim=1,
                          what=f"grid line (spacing {h:.3g} m)")  # size guard (h-sec)
    for a, b in zip(breaks[:-1], breaks[1:]):
        n = max(1, int(math.ceil((b - a) / h * (1 - 1e-9))))
        out.extend(np.linspace(a, b, n + 1)[1:])
    return np.asarray(out)


def graded_coordinates(length: float, *, h_fine: float, band: float | None = None,
                       growth: float = 1.3, breaks=()) -> np.ndarray:
    """Coordinates on ``[0, length]``: spacing <= `h_fine` up to `band` (default: all),
    then growing by `growth` per interval; every value of `breaks` is a coordinate.

    Above the band each interval is ``growth`` times the previous one (capped so a break
    or the end is hit exactly; a sliver below 0.3 of its neighbour is merged).
    """
    check_positive(length, name="length", exc=GeometryError)
    check_positive(h_fine, name="h_fine", exc=GeometryError)
    if not growth >= 1.0:
        raise GeometryError(f"growth must be >= 1, got {growth!r}.")
    band = length if band is None else float(band)
    check_positive(band, name="band", exc=GeometryError)
    band = min(band, length)
    tol = 1e-9 * length
    br = sorted({0.0, band, *(float(b) for b in breaks if tol < b < length - tol)})
    fine = [b for b in br if b <= band + tol]
    y = list(_uniform(fine, h_fine))
    rest = [b for b in br if b > band + tol] + [length]
    dy = h_fine
    for target in rest:
        while y[-1] < target - tol:
            dy *= growth
            nxt = y[-1] + dy
            if nxt > target - 0.3 * dy:
                nxt = target
            y.append(nxt)
        y[-1] = target
    y = np.asarray(y)
    return y[np.concatenate([[True], np.diff(y) > tol])]


def _triangulate(x, y):
    """Checkerboard split of the tensor grid x (nx+1) by y (ny+1) into triangles (3, 2 nx ny)."""
    nx, ny = x.size - 1, y.size - 1
    guards.check_elements(2 * nx * ny, dim=2, what=f"structured box ({nx} x {ny} cells)",
                          hint="Use a larger h_fine or a thinner band.")  # size guard (h-sec)
    X, Y = np.meshgrid(x, y, indexing="ij")
    p = np.vstack([X.ravel(), Y.ravel()])
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    i, j = i.ravel(), j.ravel()
    n00 = i * (ny + 1) + j
    n10, n01, n11 = n00 + (ny + 1), n00 + 1, n00 + ny + 2
    even = (i + j) % 2 == 0
    # even: diagonal n00-n11; odd: diagonal n10-n01
    t1 = np.where(even, [n00, n10, n11], [n00, n10, n01])
    t2 = np.where(even, [n00, n11, n01], [n10, n11, n01])
    return p, np.hstack([t1, t2])


def box(width: float, height: float, *, h_fine: float, band: float | None = None,
        growth: float = 1.3, filaments: Filaments | None = None, electrolyte: str = "PEO",
        filament_name: str = "PE") -> Domain:
    """Rectangle ``[0, width] x [0, height]`` [m], uniform below `band`, graded above.

    Parameters
    ----------
    width, height : float
        Cell size [m]; the anode is y = 0, the cathode y = height.
    h_fine : float
        Grid spacing in x everywhere and in y below `band` [m].
    band : float, optional
        Top of the uniformly fine band [m] (default: the whole height).
    growth : float
        Ratio of successive row heights above the band.
    filaments : Filaments, optional
        Strips meshed as the subdomain `filament_name`.

    Returns
    -------
    Domain
        Subdomains `electrolyte` (and `filament_name`); boundaries ``anode``,
        ``cathode``, ``sides``; ``info``: ``h_fine``, ``band``, ``growth``, ``width``,
        ``height``, ``filaments`` (centres, width, start, end) or None.
    """
    check_positive(width, name="width", exc=GeometryError)
    check_positive(height, name="height", exc=GeometryError)
    check_positive(h_fine, name="h_fine", exc=GeometryError)
    if h_fine > min(width, height):
        raise GeometryError(f"h_fine = {h_fine:.3g} m is larger than the box "
                            f"({width:.3g} x {height:.3g} m); choose h_fine <= {min(width, height):.3g} m.")
    # size guard (h-sec): the fine band dominates; documented, overridable limit
    fine = height if band is None else min(float(band), height)
    guards.check_elements(2 * (width / h_fine) * (fine / h_fine), dim=2,
                          what=f"box (h_fine = {h_fine:.3g} m over a {fine:.3g} m band)",
                          hint="Use a thinner band or a larger h_fine.")
    xb, yb = [], []
    if filaments is not None:
        if not isinstance(filaments, Filaments):
            raise GeometryError(f"filaments must be a Filaments(...), got {filaments!r}.")
        for c in filaments.centres:
            lo, hi = c - filaments.width / 2, c + filaments.width / 2
            if lo <= 0 or hi >= width:
                raise GeometryError(f"filament at x = {c:.3g} m (width {filaments.width:.3g} m) "
                                    f"does not fit inside the box width {width:.3g} m.")
            xb += [lo, hi]
        yb += [filaments.start, min(filaments.end, height)]
    x = graded_coordinates(width, h_fine=h_fine, breaks=xb)
    y = graded_coordinates(height, h_fine=h_fine, band=band, growth=growth, breaks=yb)
    p, t = _triangulate(x, y)
    xc, yc = p[:, t].mean(axis=1)
    inside = np.zeros(t.shape[1], bool)
    if filaments is not None:
        for c in filaments.centres:
            inside |= ((np.abs(xc - c) < filaments.width / 2) & (yc > filaments.start)
                       & (yc < filaments.end))
    groups = {electrolyte: np.nonzero(~inside)[0]}
    if inside.any():
        groups[filament_name] = np.nonzero(inside)[0]
    tol = 1e-9 * max(width, height)

    def facets(mask_fn):
        edges = np.hstack([t[[a, b]] for a, b in ((0, 1), (1, 2), (2, 0))]).T
        mid = 0.5 * (p[:, edges[:, 0]] + p[:, edges[:, 1]])
        return edges[mask_fn(mid)]

    fgroups = {"anode": facets(lambda m: m[1] < tol),
               "cathode": facets(lambda m: m[1] > height - tol),
               "sides": facets(lambda m: (m[0] < tol) | (m[0] > width - tol))}
    dom = Domain.from_arrays(p.T, t.T, groups, fgroups)
    fil = None if filaments is None else {"centres": list(filaments.centres),
                                          "width": filaments.width, "start": filaments.start,
                                          "end": min(filaments.end, height)}
    return dom.with_info(builder="box", width=float(width), height=float(height),
                         h_fine=float(h_fine), band=float(y[-1] if band is None else
                                                          min(band, height)),
                         growth=float(growth), filaments=fil, electrolyte=electrolyte,
                         filament_name=filament_name)


@dataclass(frozen=True, eq=False)
class BoxSpec:
    """The arguments of :func:`box` except the band: ``spec.build(band)`` makes the box
    with its fine band up to *band* (boxes are cached per band, so a run that rebuilds
    its mesh, and a resumed run, get the identical Domain)."""

    width: float
    height: float
    h_fine: float
    growth: float = 1.3
    filaments: Filaments | None = None
    electrolyte: str = "PEO"
    filament_name: str = "PE"

    def __post_init__(self):
        object.__setattr__(self, "_cache", {})

    def build(self, band: float | None = None) -> Domain:
        band = self.height if band is None else min(float(band), self.height)
        key = round(band / self.h_fine * 1e6)
        if key not in self._cache:
            self._cache[key] = box(self.width, self.height, h_fine=self.h_fine, band=band,
                                   growth=self.growth, filaments=self.filaments,
                                   electrolyte=self.electrolyte,
                                   filament_name=self.filament_name)
        return self._cache[key]


def column(length: float, n: int, *, electrolyte: str = "electrolyte") -> Domain:
    """A uniform box ``length/n`` wide and `length` tall with `n` rows: a 1D problem along
    y on the 2D machinery (boundaries ``anode`` at y = 0, ``cathode`` at y = length)."""
    check_positive(length, name="length", exc=GeometryError)
    if isinstance(n, bool) or int(n) != n or n < 2:
        raise GeometryError(f"n must be an integer >= 2, got {n!r}.")
    h = length / int(n)
    return box(h, length, h_fine=h, electrolyte=electrolyte)


def longest_edges(domain: Domain) -> np.ndarray:
    """Longest edge of every element [m] (the size that must resolve an interface)."""
    p, t = domain.mesh.p, domain.mesh.t
    out = np.zeros(t.shape[1])
    for a, b in ((0, 1), (1, 2), (2, 0)):
        out = np.maximum(out, np.linalg.norm(p[:, t[a]] - p[:, t[b]], axis=0))
    return out
