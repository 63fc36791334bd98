"""Random particle configurations in a slab cell (pure numpy).

Cell convention (used by every connectivity test): the sample is the box
``[0, L] x [0, W]^(dim-1)``; the electrodes are the planes ``x = 0`` (anode) and
``x = L`` (cathode). The transverse directions are periodic with period ``W``
(``W = L``, a cube, unless a *width* is given: a thin film has ``W >> L``). Centres
are drawn in ``[-m, L + m]`` along x, where ``m`` is the particle bounding radius,
so that the particle density is homogeneous right up to the electrodes: for a
Poisson (fully penetrable) process of reduced density

.. math:: \\eta = n\\,v_p / V_{cell},\\qquad V_{cell} = (L + 2m) W^{d-1},

the covered fraction everywhere inside the sample is :math:`\\phi = 1 - e^{-\\eta}`.

Hard-core (impenetrable) particles are placed by random sequential addition
(RSA), which jams at about 0.547 (disks) and 0.384 (spheres) of covered fraction.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..errors import GeometryError, check_positive
from .shapes import Sphere, Spheroid, check_shape

__all__ = ["Cell", "Particles", "sample_overlapping", "sample_hard_core",
           "RSA_JAMMING"]

log = logging.getLogger(__name__)

#: covered fraction at which random sequential addition jams (Torquato 2002)
RSA_JAMMING = {2: 0.547, 3: 0.384}


@dataclass(frozen=True)
class Cell:
    """Slab cell: sample ``[0, L] x [0, W]^(dim-1)``, x bounded, transverse periodic.

    ``width`` W defaults to ``length`` L (a cube); a thin film has ``W >> L``.
    ``periodic=False`` makes the transverse faces walls too (a mesh cut from the
    box, as `ntransport.geometry.particle_composite` builds it).
    """

    length: float
    dim: int
    margin: float
    periodic: bool = True
    width: float | None = None

    @property
    def transverse(self) -> float:
        """Transverse edge W (= L unless a width was given)."""
        return float(self.length if self.width is None else self.width)

    @property
    def volume(self) -> float:
        """Volume of the region where centres are drawn, ``(L + 2m) W^(d-1)``."""
        return (self.length + 2 * self.margin) * self.transverse ** (self.dim - 1)

    def uniform(self, n: int, rng) -> np.ndarray:
        """*n* uniform centres, shape (n, dim)."""
        x = rng.uniform(-self.margin, self.length + self.margin, size=(n, 1))
        t = rng.uniform(0.0, self.transverse, size=(n, self.dim - 1))
        return np.hstack([x, t])

    def displacement(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Minimum-image vector ``b - a`` (periodic in the transverse axes)."""
        d = b - a
        if self.periodic:
            w = self.transverse
            d[:, 1:] -= w * np.round(d[:, 1:] / w)
        return d

    def tree(self, centres: np.ndarray, cutoff: float) -> cKDTree:
        """KD-tree with transverse periodicity and no wrap along x."""
        if not self.periodic:
            return cKDTree(centres)
        w = self.transverse
        shifted = centres.copy()
        shifted[:, 0] += self.margin
        box = np.full(self.dim, w)
        box[0] = self.length + 2 * self.margin + 2 * cutoff + 1e-12 * self.length
        shifted[:, 1:] %= w
        return cKDTree(shifted, boxsize=box)


@dataclass(frozen=True)
class Particles:
    """Centres, orientations (unit long axes, or None) and the common shape.

    The order is the insertion order: the first *k* particles are themselves a
    valid configuration at lower density (used for threshold search).
    """

    shape: object
    cell: Cell
    centres: np.ndarray
    axes: np.ndarray | None = None

    def __len__(self):
        return len(self.centres)

    def head(self, k: int) -> "Particles":
        ax = None if self.axes is None else self.axes[:k]
        return Particles(self.shape, self.cell, self.centres[:k], ax)

    @property
    def reduced_density(self) -> float:
        """``eta = n v_p / V_cell``."""
        return len(self) * self.shape.volume / self.cell.volume

    def x_extent(self) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest x reached by each particle."""
        s, x = self.shape, self.centres[:, 0]
        if isinstance(s, Sphere):
            h = np.full(len(self), s.radius)
        elif isinstance(s, Spheroid):
            h = np.sqrt(s.shape_matrices(self.axes)[:, 0, 0])
        else:
            h = s.radius + s.half_length * np.abs(self.axes[:, 0])
        return x - h, x + h


def random_axes(n: int, dim: int, rng) -> np.ndarray:
    """Isotropic unit vectors, shape (n, dim)."""
    v = rng.standard_normal((n, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _cell(shape, length, width=None) -> Cell:
    L = check_positive(length, name="length", exc=GeometryError)
    if L < 2 * shape.bounding_radius:
        raise GeometryError(
            f"length={length!r} is smaller than one particle "
            f"(2 x bounding radius = {2 * shape.bounding_radius!r}); enlarge the box.")
    if width is not None:
        W = check_positive(width, name="width", exc=GeometryError)
        if W < 4 * shape.bounding_radius:
            raise GeometryError(
                f"width={width!r} must be at least 4 bounding radii "
                f"({4 * shape.bounding_radius!r}) so that the periodic images of a particle "
                "do not touch it; enlarge the width.")
        return Cell(L, shape.dim, shape.bounding_radius, width=W)
    return Cell(L, shape.dim, shape.bounding_radius)


def _count(shape, cell, n, reduced_density) -> int:
    if (n is None) == (reduced_density is None):
        raise GeometryError("give exactly one of n= or reduced_density=.")
    if n is None:
        eta = check_positive(reduced_density, name="reduced_density",
                             exc=GeometryError)
        n = int(round(eta * cell.volume / shape.volume))
    if int(n) != n or n < 0:
        raise GeometryError(f"n must be a non-negative integer, got {n!r}.")
    from ..geometry.guards import check_particles  # size guard before sampling

    check_particles(n, what="percolation sample", kind="sample_particles")
    return int(n)


def sample_overlapping(shape, length, *, n=None, reduced_density=None, rng=None,
                       width=None):
    """Fully penetrable particles, i.i.d. uniform centres and isotropic axes.

    Parameters
    ----------
    shape : Sphere, Spheroid or Rod
    length : float
        Edge ``L`` of the sample box along the electrode axis x.
    width : float, optional
        Transverse (periodic) edge ``W``; default ``L``. A thin film: ``W >> L``.
    n, reduced_density : int or float
        Number of particles, or ``eta`` (see module docstring); exactly one.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    Particles
    """
    check_shape(shape)
    rng = np.random.default_rng(rng)
    cell = _cell(shape, length, width)
    n = _count(shape, cell, n, reduced_density)
    centres = cell.uniform(n, rng)
    axes = None if isinstance(shape, Sphere) else random_axes(n, shape.dim, rng)
    return Particles(shape, cell, centres, axes)


def sample_hard_core(shape, length, *, exclusion_radius, n=None,
                     reduced_density=None, rng=None, batch=256, max_tries=200):
    """Random sequential addition of spheres that keep centres ``2 R_ex`` apart.

    ``exclusion_radius = radius`` gives impenetrable spheres; a larger value
    models an impenetrable insulating shell of thickness
    ``exclusion_radius - radius`` around a metal core.

    Raises
    ------
    GeometryError
        If the exclusion spheres would cover more than the RSA jamming fraction,
        i.e. the shells are too thick for the requested particle spacing.
    """
    check_shape(shape)
    if not isinstance(shape, Sphere):
        raise GeometryError(
            f"hard-core sampling supports Sphere only, got {type(shape).__name__}; "
            "use sample_overlapping for spheroids and rods.")
    rex = check_positive(exclusion_radius, name="exclusion_radius", exc=GeometryError)
    if rex < shape.radius:
        raise GeometryError(
            f"exclusion_radius={exclusion_radius!r} must be >= radius={shape.radius!r}.")
    rng = np.random.default_rng(rng)
    cell = _cell(Sphere(rex, shape.dim), length)
    cell = Cell(cell.length, cell.dim, shape.radius)
    n = _count(shape, cell, n, reduced_density)
    outer = Sphere(rex, shape.dim).volume * n / cell.volume
    jam = RSA_JAMMING[shape.dim]
    if outer > 0.95 * jam:
        raise GeometryError(
            f"shell too thick for the particle spacing: exclusion spheres of radius "
            f"{rex:g} would fill {outer:.3f} of the cell, above 95 % of the random "
            f"sequential addition jamming limit {jam} in {shape.dim}D; reduce the "
            "shell thickness or the number of particles.")
    centres = np.empty((0, shape.dim))
    fails = 0
    while len(centres) < n:
        cand = cell.uniform(batch, rng)
        ok = np.ones(batch, bool)
        if len(centres):
            dist, _ = cell.tree(centres, 2 * rex).query(
                _shift(cell, cand), k=1, distance_upper_bound=2 * rex)
            ok = ~np.isfinite(dist)
        cand = cand[ok]
        accepted = _greedy_in_batch(cell, cand, 2 * rex)
        cand = cand[accepted][: n - len(centres)]
        fails = fails + 1 if len(cand) == 0 else 0
        if fails > max_tries:
            raise GeometryError(
                f"random sequential addition stalled at {len(centres)} of {n} "
                "particles: shells too thick for the particle spacing; reduce the "
                "shell thickness or the number of particles.")
        centres = np.vstack([centres, cand])
    return Particles(shape, cell, centres, None)


def _shift(cell: Cell, x: np.ndarray) -> np.ndarray:
    s = x.copy()
    s[:, 0] += cell.margin
    s[:, 1:] %= cell.transverse
    return s


def _greedy_in_batch(cell: Cell, cand: np.ndarray, dmin: float) -> np.ndarray:
    """Keep candidates in order, dropping any closer than *dmin* to a kept one."""
    keep = np.ones(len(cand), bool)
    if len(cand) < 2:
        return keep
    pairs = cell.tree(cand, dmin).query_pairs(dmin, output_type="ndarray")
    if len(pairs) == 0:
        return keep
    pairs = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]  # by the later index
    for i, j in pairs:  # only conflicting pairs, typically a handful
        if keep[i]:
            keep[j] = False
    return keep
