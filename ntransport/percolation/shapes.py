"""Particle shapes for continuum percolation: spheres, spheroids and rods.

Every shape is a frozen dataclass that knows its volume (area in 2D), the radius
of a bounding sphere (for neighbour search) and how to turn random orientations
into the geometric data the overlap tests need.

Aspect ratio ``AR`` follows Su et al. (EES Batteries 2025): the ratio of the
longest to the shortest dimension, so ``AR = 1`` is a disk/sphere.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError, check_positive
from ..geometry.shapes import particle_volume

__all__ = ["Sphere", "Spheroid", "Rod", "check_shape"]


def _check_dim(dim) -> int:
    if dim not in (2, 3):
        raise GeometryError(f"dim must be 2 or 3, got {dim!r}.")
    return int(dim)


def _check_aspect(aspect_ratio) -> float:
    ar = check_positive(aspect_ratio, name="aspect_ratio", exc=GeometryError)
    if ar < 1.0:
        raise GeometryError(
            f"aspect_ratio is longest/shortest dimension and must be >= 1, got "
            f"{aspect_ratio!r}; for a flattened particle give 1/aspect_ratio.")
    return ar


@dataclass(frozen=True)
class Sphere:
    """Disk (2D) or sphere (3D) of radius ``radius``."""

    radius: float
    dim: int = 3

    def __post_init__(self):
        check_positive(self.radius, name="radius", exc=GeometryError)
        _check_dim(self.dim)

    @property
    def volume(self) -> float:
        """Area (2D) or volume (3D) of one particle."""
        return float(particle_volume(self.radius, 1.0, "ellipsoid", self.dim))

    @property
    def bounding_radius(self) -> float:
        return float(self.radius)


@dataclass(frozen=True)
class _Elongated:
    """Shared fields and checks of the elongated shapes: ``radius`` across the long
    axis, ``aspect_ratio`` = longest/shortest dimension, ``dim`` 2 or 3."""

    radius: float
    aspect_ratio: float
    dim: int = 3

    def __post_init__(self):
        check_positive(self.radius, name="radius", exc=GeometryError)
        _check_aspect(self.aspect_ratio)
        _check_dim(self.dim)

    @property
    def bounding_radius(self) -> float:
        return float(self.radius * self.aspect_ratio)


@dataclass(frozen=True)
class Spheroid(_Elongated):
    """Ellipse (2D) or prolate spheroid (3D), randomly oriented.

    Semi-axes: ``radius * aspect_ratio`` along the long axis, ``radius`` across it.
    """

    @property
    def semi_axes(self) -> np.ndarray:
        a = self.radius * self.aspect_ratio
        return np.array([a] + [self.radius] * (self.dim - 1))

    @property
    def volume(self) -> float:
        """Area (2D) or volume (3D): ``pi r^2 AR`` or ``4/3 pi r^3 AR``."""
        return float(particle_volume(self.radius, self.aspect_ratio, "ellipsoid", self.dim))

    def shape_matrices(self, axes: np.ndarray) -> np.ndarray:
        """``M = a² u uᵀ + b² (I − u uᵀ)`` for unit long axes *axes* (n, dim).

        The particle is ``{x : (x − c)ᵀ M⁻¹ (x − c) ≤ 1}``.
        """
        a2 = (self.radius * self.aspect_ratio) ** 2
        b2 = self.radius ** 2
        uu = axes[:, :, None] * axes[:, None, :]
        eye = np.eye(self.dim)[None]
        return a2 * uu + b2 * (eye - uu)


@dataclass(frozen=True)
class Rod(_Elongated):
    """Spherocylinder (3D) or stadium (2D): a segment swept by a disk of ``radius``.

    Total length ``2 * radius * aspect_ratio``; the axis segment has half-length
    ``radius * (aspect_ratio - 1)``.
    """

    @property
    def half_length(self) -> float:
        return float(self.radius * (self.aspect_ratio - 1.0))

    @property
    def volume(self) -> float:
        """Area (2D) or volume (3D): the two caps (a disk/sphere) plus the swept core."""
        return float(particle_volume(self.radius, self.aspect_ratio, "rod", self.dim))


def check_shape(shape):
    """Raise GeometryError unless *shape* is one of the supported shapes."""
    if not isinstance(shape, (Sphere, Spheroid, Rod)):
        raise GeometryError(
            f"shape must be Sphere, Spheroid or Rod, got {type(shape).__name__}.")
    return shape
