"""Which particles touch: KD-tree candidate pairs + exact pairwise tests.

All tests are exact (no conservative approximation):

* spheres: ``|c_i - c_j| <= 2 r + gap``;
* rods (spherocylinders / stadia): the distance between the two axis segments
  ``<= 2 r + gap`` (closest points of two segments, Ericson 2005, §5.1.9);
* spheroids / ellipses: the Perram–Wertheim contact function

  .. math:: F(\\lambda) = \\lambda(1-\\lambda)\\, r^T\\,[(1-\\lambda) M_i
            + \\lambda M_j]^{-1} r,

  with ``M`` the shape matrices; the particles overlap iff
  :math:`\\max_{\\lambda\\in[0,1]} F < 1` (Perram & Wertheim 1985). ``F`` is concave
  in λ, so a vectorised golden-section search finds the maximum; 40 steps bring
  the λ-bracket to 1e-8, far below any geometric tolerance that matters.

``gap`` is an electron-tunnelling distance: surfaces closer than ``gap`` count
as connected (spheres and rods only).
"""
from __future__ import annotations

import numpy as np

from ..errors import GeometryError, check_positive
from ..geometry.shapes import segment_distance as _segment_distance
from .sampling import Particles
from .shapes import Rod, Sphere

__all__ = ["contacts", "perram_wertheim", "segment_distance"]

_GOLD = (np.sqrt(5.0) - 1.0) / 2.0


def contacts(particles: Particles, *, gap: float = 0.0) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, of touching particles, shape (m, 2)."""
    gap = check_positive(gap, name="gap", allow_zero=True, exc=GeometryError)
    s, cell = particles.shape, particles.cell
    if len(particles) < 2:
        return np.empty((0, 2), dtype=np.intp)
    cutoff = 2 * s.bounding_radius + gap
    pairs = cell.tree(particles.centres, cutoff).query_pairs(
        cutoff, output_type="ndarray")
    if len(pairs) == 0:
        return np.empty((0, 2), dtype=np.intp)
    i, j = pairs[:, 0], pairs[:, 1]
    r = cell.displacement(particles.centres[i], particles.centres[j])
    if isinstance(s, Sphere):
        return pairs  # the KD-tree radius is already the exact test
    if isinstance(s, Rod):
        h = s.half_length
        d = segment_distance(r, particles.axes[i] * h, particles.axes[j] * h)
        return pairs[d <= 2 * s.radius + gap]
    if gap > 0:
        raise GeometryError(
            f"gap={gap!r}: a tunnelling gap is supported for Sphere and Rod only; "
            "use gap=0 with Spheroid.")
    M = s.shape_matrices(particles.axes)
    return pairs[perram_wertheim(r, M[i], M[j]) < 1.0]


def perram_wertheim(r: np.ndarray, Ma: np.ndarray, Mb: np.ndarray,
                    *, steps: int = 40) -> np.ndarray:
    """``max_λ F(λ)`` for centre offsets *r* (p, d) and shape matrices (p, d, d)."""
    def F(lam):
        A = (1 - lam)[:, None, None] * Ma + lam[:, None, None] * Mb
        x = np.linalg.solve(A, r[:, :, None])[:, :, 0]
        return lam * (1 - lam) * np.einsum("pd,pd->p", r, x)

    lo, hi = np.zeros(len(r)), np.ones(len(r))
    for _ in range(steps):
        a = hi - _GOLD * (hi - lo)
        b = lo + _GOLD * (hi - lo)
        left = F(a) > F(b)  # concave: the maximum lies in [lo, b]
        hi = np.where(left, b, hi)
        lo = np.where(left, lo, a)
    return F(0.5 * (lo + hi))


def segment_distance(r: np.ndarray, ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """Distance between segments ``[-ha, ha]`` and ``r + [-hb, hb]`` (vectorised).

    The closest points of two segments (Ericson, *Real-Time Collision Detection*, 2005,
    ClosestPtSegmentSegment) are computed once, by
    :func:`ntransport.geometry.shapes.segment_distance`; this only turns the half-axis
    vectors into unit directions and half-lengths (a zero vector is a point).
    """
    la, lb = np.linalg.norm(ha, axis=1), np.linalg.norm(hb, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ua = np.where(la[:, None] > 0, ha / la[:, None], 0.0)
        ub = np.where(lb[:, None] > 0, hb / lb[:, None], 0.0)
    return _segment_distance(np.zeros_like(r, dtype=float), ua, la, r, ub, lb)
