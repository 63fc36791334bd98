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
  the λ-bracket to 4e-9, far below any geometric tolerance that matters. The
  quadratic form is evaluated in closed form (adjugate / determinant of the 2x2
  or 3x3 matrix) once per step; pairs are dropped as soon as they are decided
  (`touching`). Measured: 4-5x faster than a batched dense LAPACK solve with two
  evaluations per step, identical verdicts (benchmarks/percolation/).

``gap`` is an electron-tunnelling distance: surfaces closer than ``gap`` count
as connected (spheres and rods only).
"""
from __future__ import annotations

import numpy as np

from ..errors import GeometryError, check_positive
from ..geometry.shapes import segment_distance as _segment_distance
from .sampling import Particles
from .shapes import Rod, Sphere

__all__ = ["contacts", "perram_wertheim", "touching", "segment_distance"]

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
    return pairs[touching(r, M[i], M[j], inner_radius=s.radius)]


def _quadratic_form(r, a, b, lam):
    r""":math:`r^T [(1-\lambda) M_a + \lambda M_b]^{-1} r` in closed form (no solve).

    For a symmetric matrix the inverse is the adjugate over the determinant; *a*, *b*
    are the independent entries of the two shape matrices (``_entries``), so one
    evaluation is ~20 vectorised multiply-adds per pair instead of a batched LU.
    """
    m = [(1.0 - lam) * x + lam * y for x, y in zip(a, b)]
    x = r.T
    if len(m) == 3:  # 2D: [[p, q], [q, s]]
        p, q, s = m
        num = s * x[0] ** 2 - 2.0 * q * x[0] * x[1] + p * x[1] ** 2
        return num / (p * s - q * q)
    p, q, u, s, v, w = m  # [[p, q, u], [q, s, v], [u, v, w]]
    c00, c11, c22 = s * w - v * v, p * w - u * u, p * s - q * q
    c01, c02, c12 = u * v - q * w, q * v - u * s, q * u - p * v
    det = p * c00 + q * c01 + u * c02
    num = (c00 * x[0] ** 2 + c11 * x[1] ** 2 + c22 * x[2] ** 2
           + 2.0 * (c01 * x[0] * x[1] + c02 * x[0] * x[2] + c12 * x[1] * x[2]))
    return num / det


def _entries(M):
    """Independent entries of symmetric (p, d, d) matrices, row-major upper triangle."""
    d = M.shape[-1]
    return [M[:, i, j] for i in range(d) for j in range(i, d)]


def perram_wertheim(r: np.ndarray, Ma: np.ndarray, Mb: np.ndarray,
                    *, steps: int = 40) -> np.ndarray:
    r"""``max_λ F(λ)`` for centre offsets *r* (p, d) and shape matrices (p, d, d).

    Golden-section search on the concave :math:`F`, one closed-form evaluation of the
    quadratic form per step (the interior point kept from the previous step is reused),
    so 40 steps cost 42 evaluations and shrink the λ-bracket to ~4e-9.
    """
    r = np.asarray(r, dtype=float)
    a, b = _entries(np.asarray(Ma, float)), _entries(np.asarray(Mb, float))

    def F(lam):
        return lam * (1.0 - lam) * _quadratic_form(r, a, b, lam)

    n = len(r)
    lo, hi = np.zeros(n), np.ones(n)
    x1, x2 = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
    f1, f2 = F(x1), F(x2)
    for _ in range(steps):
        left = f1 > f2  # concave: the maximum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        nx1 = np.where(left, hi - _GOLD * (hi - lo), x2)
        nx2 = np.where(left, x1, lo + _GOLD * (hi - lo))
        new = np.where(left, nx1, nx2)
        fn = F(new)
        f1, f2 = np.where(left, fn, f2), np.where(left, f1, fn)
        x1, x2 = nx1, nx2
    return F(0.5 * (lo + hi))


def touching(r: np.ndarray, Ma: np.ndarray, Mb: np.ndarray, *, steps: int = 40,
             inner_radius: float | None = None) -> np.ndarray:
    r"""Exact overlap verdict ``max_λ F(λ) < 1`` for each pair, decided early.

    Same golden-section bracket as :func:`perram_wertheim`, but a pair is settled and
    dropped as soon as it is decided: any evaluated :math:`F(\lambda) \ge 1` proves
    that the maximum is >= 1 (no contact), and pairs whose centres are closer than
    twice *inner_radius* (the inscribed sphere, e.g. the short semi-axis) overlap
    without a search. The verdicts equal ``perram_wertheim(...) < 1`` (the test
    suite compares them on random configurations).
    """
    r = np.asarray(r, dtype=float)
    n = len(r)
    out = np.zeros(n, dtype=bool)
    live = np.arange(n)
    if inner_radius is not None:
        near = np.einsum("pd,pd->p", r, r) < (2.0 * inner_radius) ** 2
        out[near] = True
        live = live[~near]
    a, b = _entries(np.asarray(Ma, float)), _entries(np.asarray(Mb, float))
    rr, aa, bb = r[live], [x[live] for x in a], [y[live] for y in b]

    def F(lam):
        return lam * (1.0 - lam) * _quadratic_form(rr, aa, bb, lam)

    lo, hi = np.zeros(live.size), np.ones(live.size)
    x1, x2 = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
    f1, f2 = F(x1), F(x2)
    for _ in range(steps):
        keep = (f1 < 1.0) & (f2 < 1.0)  # otherwise decided: no contact
        if not keep.all():
            live, rr, lo, hi, x1, x2, f1, f2 = (v[keep] for v in
                                                (live, rr, lo, hi, x1, x2, f1, f2))
            aa, bb = [x[keep] for x in aa], [y[keep] for y in bb]
        if live.size == 0:
            return out
        left = f1 > f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        nx1 = np.where(left, hi - _GOLD * (hi - lo), x2)
        nx2 = np.where(left, x1, lo + _GOLD * (hi - lo))
        fn = F(np.where(left, nx1, nx2))
        f1, f2 = np.where(left, fn, f2), np.where(left, f1, fn)
        x1, x2 = nx1, nx2
    out[live] = F(0.5 * (lo + hi)) < 1.0
    return out


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
