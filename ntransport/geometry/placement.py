"""Random placement of disks, spheres, ellipses, spheroids and rods in a box (pure numpy).

No gmsh here: the placement is a list of particles that the builders (or a
percolation graph) consume. Lengths are in whatever unit the caller uses.

Models
------
* **Hard-core** (``overlap=False``): random sequential addition (RSA). Candidates are
  drawn uniformly and kept if they keep a surface gap ``gap`` to every particle already
  placed. RSA saturates ("jams") below close packing: area fraction 0.5472 for equal
  disks (Hinrichsen, Feder & Jøssang 1986) and volume fraction 0.3841 for equal spheres
  (Talbot, Schaaf & Tarjus 1991). A gap ``g`` shrinks these limits by
  ``(r / (r + g/2))**d``; in a finite number of attempts the practical ceiling is a few
  per cent lower still. Above the limit a `GeometryError` suggests ``overlap=True`` or
  smaller particles.
* **Overlapping** (``overlap=True``): the Boolean model. ``N`` centres uniform in the
  box extended by the particle size, with ``N`` chosen so that the expected covered
  fraction ``1 - exp(-N v / V_ext)`` equals the target (``N`` is fixed, not Poisson
  distributed, so realisations differ only in positions).

Boundary treatment
------------------
``periodic=False`` (default): centres lie in the box and particles that cross a face
are clipped by it; the fraction counts only the part inside the box. Particles whose
surface would come within ``gap`` of a face without crossing it by more than ``gap``
are rejected, so the mesh has no slivers. ``periodic=True``: distances use the minimum
image and the returned list contains the periodic images of particles that cross a
face, so clipping them at the box gives exactly ``sum(v) / V`` and a periodic
microstructure.

Shapes
------
``aspect_ratio`` a = (long semi-axis) / (short semi-axis). ``radius`` is the short
semi-axis. ``shape="ellipsoid"``: ellipse (2D) or prolate spheroid (3D).
``shape="rod"``: stadium (2D) or spherocylinder (3D) of radius ``radius`` and total
length ``2 * a * radius``. Hard-core tests between elongated particles use the
enclosing spherocylinder (exact for rods, conservative for spheroids, which then keep a
slightly larger gap than asked).
"""
from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError
from . import guards
from .shapes import (_check_aspect, _check_box, _directions, _radius_sampler, _support,
                     inside_fraction, particle_volume, segment_distance)

__all__ = ["Particles", "place_particles", "rsa_limit", "particle_volume", "segment_distance",
           "inside_fraction", "jammed_packing"]

log = logging.getLogger(__name__)

RSA_JAMMING = {2: 0.5472, 3: 0.3841}


@dataclass(frozen=True, eq=False)
class Particles:
    """Particles in a box: centres, short semi-axes and long-axis directions.

    Attributes
    ----------
    centers : (n, d) float
    radii : (n,) float
        Short semi-axis (the radius for disks, spheres and rods).
    aspect_ratio : float
        Long over short semi-axis (1 for disks and spheres).
    directions : (n, d) float
        Unit vectors of the long axis.
    shape : {"ellipsoid", "rod"}
    box : (d,) float
    periodic : bool
    image_of : (n,) int
        Index of the original particle each entry is an image of (itself if original).
    """

    centers: np.ndarray
    radii: np.ndarray
    aspect_ratio: float
    directions: np.ndarray
    shape: str
    box: np.ndarray
    periodic: bool
    image_of: np.ndarray

    @property
    def dim(self) -> int:
        return self.centers.shape[1]

    def __len__(self) -> int:
        return self.radii.size

    @property
    def half_length(self) -> np.ndarray:
        """Half-length of the core segment of the enclosing spherocylinder."""
        return (self.aspect_ratio - 1.0) * self.radii

    @property
    def extent(self) -> np.ndarray:
        """Bounding-sphere radius of each particle."""
        return self.aspect_ratio * self.radii

    def touching_pairs(self, *, tol: float = 0.0) -> np.ndarray:
        """Pairs ``(i, j)``, i < j, of particles closer than `tol` (overlapping or touching).

        The particle-connectivity graph for percolation. Exact for disks, spheres and
        rods; for spheroids/ellipses it uses the enclosing spherocylinder, so a pair of
        near-touching elongated ellipsoids may be reported as connected. Periodic
        images are separate entries (map with `image_of`).
        """
        from scipy.spatial import cKDTree

        if len(self) < 2:
            return np.zeros((0, 2), dtype=np.int64)
        reach = 2 * float(self.extent.max()) + tol
        pairs = cKDTree(self.centers).query_pairs(reach, output_type="ndarray")
        if pairs.size == 0:
            return np.zeros((0, 2), dtype=np.int64)
        i, j = pairs[:, 0], pairs[:, 1]
        h = self.half_length
        dist = segment_distance(self.centers[i], self.directions[i], h[i],
                                self.centers[j], self.directions[j], h[j])
        keep = dist < self.radii[i] + self.radii[j] + tol
        out = pairs[keep]
        return out[np.lexsort((out[:, 1], out[:, 0]))]

    def volumes(self) -> np.ndarray:
        """Full (unclipped) area or volume of each particle."""
        return particle_volume(self.radii, self.aspect_ratio, self.shape, self.dim)


def rsa_limit(dim: int, *, gap_ratio: float = 0.0) -> float:
    """RSA jamming fraction for equal disks (2D) / spheres (3D) kept ``gap`` apart.

    ``gap_ratio`` is gap / radius; the excluded shell of half the gap shrinks the
    jamming fraction by ``(1 + gap_ratio / 2) ** -dim``.
    """
    return RSA_JAMMING[dim] / (1.0 + 0.5 * gap_ratio) ** dim


# ---------------------------------------------------------------- placement
def place_particles(
    box,
    *,
    volume_fraction: float,
    radius=None,
    seed=None,
    overlap: bool = False,
    gap: float | None = None,
    aspect_ratio: float = 1.0,
    orientation=None,
    shape: str = "ellipsoid",
    periodic: bool = False,
    max_attempts: int = 200_000,
) -> Particles:
    """Place particles at random to a target area (2D) or volume (3D) fraction.

    Parameters
    ----------
    box : sequence of 2 or 3 floats
        Box edge lengths; the box is ``[0, Lx] x [0, Ly] (x [0, Lz])``.
    volume_fraction : float in (0, 1)
        Target fraction of the box covered by particles (clipped parts excluded).
    radius : float, ("lognormal", mean, sd), ("uniform", lo, hi) or callable
        Short semi-axis, or its distribution; a callable is ``f(rng, n) -> radii``.
    seed : int or None
        Seed of `numpy.random.default_rng`; the same seed gives the same particles.
    overlap : bool
        False: hard-core RSA; True: overlapping Boolean model.
    gap : float, optional
        Minimum surface-to-surface distance (hard-core only). Default ``0.1 * r_mean``
        so that the mesh between near neighbours stays well shaped.
    aspect_ratio : float >= 1
        Long / short semi-axis (1 gives disks/spheres). Only prolate shapes: values
        below 1 (oblate) raise, naming the reciprocal to use instead.
    orientation : "random", None or a d-vector
        Direction of the long axis: isotropic at random, or all aligned with the vector.
    shape : {"ellipsoid", "rod"}
    periodic : bool
        Minimum-image distances and images of face-crossing particles (see module doc).
    max_attempts : int
        Candidates tried without success before RSA gives up.

    Returns
    -------
    Particles

    Raises
    ------
    GeometryError
        Bad sizes, a particle larger than the box, or a fraction RSA cannot reach.
    """
    box = _check_box(box)
    dim = box.size
    phi = float(volume_fraction)
    if not (0.0 < phi < 1.0):
        raise GeometryError(
            f"volume_fraction must lie in (0, 1), got {volume_fraction!r}. A fraction >= 1 "
            "leaves no matrix; give e.g. volume_fraction=0.3."
        )
    a = _check_aspect(aspect_ratio)
    if shape not in ("ellipsoid", "rod"):
        raise GeometryError(f"shape must be 'ellipsoid' or 'rod', got {shape!r}.")
    if radius is None:
        raise GeometryError("radius is required (a number, a distribution or a callable).")
    draw = _radius_sampler(radius)
    rng = np.random.default_rng(seed)
    r_probe = draw(np.random.default_rng(0 if seed is None else seed), 256)
    r_mean = float(np.mean(r_probe))
    if gap is None:
        gap = 0.0 if overlap else 0.1 * r_mean
    gap = float(gap)
    if not (math.isfinite(gap) and gap >= 0):
        raise GeometryError(f"gap must be finite and >= 0, got {gap!r}.")
    if 2 * a * float(np.max(r_probe)) > float(np.min(box)):
        raise GeometryError(
            f"particles (radius {float(np.max(r_probe)):.3g}, aspect_ratio {a:g}, size "
            f"{2 * a * float(np.max(r_probe)):.3g}) are larger than the smallest box edge "
            f"{float(np.min(box)):.3g}; use smaller particles or a larger box."
        )
    guards.check_particles(guards.expected_particles(  # size guard before placing
        float(np.prod(box)), phi, float(np.mean(particle_volume(r_probe, a, shape, dim))),
        overlap=overlap), what=f"place_particles (volume_fraction={phi:g}, radius~{r_mean:.3g})")
    if overlap:
        parts = _boolean(box, phi, draw, rng, a, orientation, shape, periodic)
    else:
        limit = rsa_limit(dim, gap_ratio=gap / r_mean)
        if shape == "rod" or a != 1.0:
            limit = max(limit, 0.6 if dim == 2 else 0.45)  # elongated RSA jams higher
        if phi > limit:
            raise GeometryError(
                f"volume_fraction={phi:g} is above what random non-overlapping placement can "
                f"reach (RSA jamming ~{limit:.3f} in {dim}D for gap={gap:.3g}, radius~{r_mean:.3g}). "
                "Use overlap=True (overlapping particles), a smaller gap, or smaller particles "
                "of several sizes (radius=('lognormal', mean, sd))."
            )
        parts = _rsa(box, phi, draw, rng, a, orientation, shape, periodic, gap, max_attempts)
    log.info("placed %d particles (%s, %dD), target fraction %.4f",
             len(parts), "overlapping" if overlap else "hard-core", dim, phi)
    return parts


def _boolean(box, phi, draw, rng, a, orientation, shape, periodic) -> Particles:
    dim = box.size
    r_probe = draw(np.random.default_rng(12345), 4096)
    v_mean = float(np.mean(particle_volume(r_probe, a, shape, dim)))
    ext = 0.0 if periodic else a * float(np.max(r_probe))
    v_ext = float(np.prod(box + 2 * ext))
    n = max(1, int(round(-math.log1p(-phi) * v_ext / v_mean)))
    radii = draw(rng, n)
    centers = rng.uniform(-ext, box + ext, size=(n, dim))
    dirs = _directions(rng, n, dim, orientation)
    return _finish(centers, radii, a, dirs, shape, box, periodic)


def _rsa(box, phi, draw, rng, a, orientation, shape, periodic, gap, max_attempts) -> Particles:
    dim = box.size
    target = phi * float(np.prod(box))
    # pre-draw radii for ~1.3x the target volume, largest first (packs further)
    pool = np.zeros(0)
    while particle_volume(pool, a, shape, dim).sum() < 1.3 * target:
        pool = np.concatenate([pool, draw(rng, max(16, pool.size))])
    pool = np.sort(pool)[::-1]
    centers = np.zeros((0, dim))
    radii = np.zeros(0)
    dirs = np.zeros((0, dim))
    filled, failures, k = 0.0, 0, 0
    batch = 4  # adaptive: grows while candidates fail, shrinks after a success
    elongated = shape == "rod" or a != 1.0
    while filled < target:
        if k >= pool.size:
            pool = np.concatenate([pool, draw(rng, pool.size)])
        r = pool[k]
        cand = rng.uniform(0.0, box, size=(batch, dim))
        cdir = _directions(rng, batch, dim, orientation)
        ok = np.ones(batch, dtype=bool)
        # no near-tangent contact with the faces (slivers; their images too if periodic)
        for ax in range(dim):
            h = _support(cdir, np.full(batch, r), a, shape, ax)
            for dist in (cand[:, ax], box[ax] - cand[:, ax]):
                ok &= ~((dist > h - gap) & (dist < h + gap))
        if centers.shape[0]:
            ok &= _free(cand, cdir, r, centers, radii, dirs, a, shape, gap, box, periodic, elongated)
        hit = np.nonzero(ok)[0]
        if hit.size == 0:
            failures += batch
            batch = min(2 * batch, 1024)
            if failures >= max_attempts:
                reached = filled / float(np.prod(box))
                raise GeometryError(
                    f"random non-overlapping placement jammed at fraction {reached:.4f} after "
                    f"{max_attempts} failed attempts; volume_fraction={phi:g} is not reachable "
                    f"with radius~{r:.3g} and gap={gap:.3g}. Use overlap=True, a smaller gap, "
                    "or smaller/polydisperse particles."
                )
            continue
        failures = 0
        batch = max(4, batch // 2)
        i = hit[0]
        c, d = cand[i], cdir[i]
        vol = float(particle_volume(np.array([r]), a, shape, dim)[0])
        if not periodic:
            h = np.array([_support(d[None], np.array([r]), a, shape, ax)[0] for ax in range(dim)])
            if np.any(c < h) or np.any(c > box - h):
                vol *= inside_fraction(c, r, d, a, shape, box)
        centers = np.vstack([centers, c])
        radii = np.append(radii, r)
        dirs = np.vstack([dirs, d])
        filled += vol
        k += 1
    return _finish(centers, radii, a, dirs, shape, box, periodic)


# Below this many candidate x placed-particle pairs, `_free` tests every pair at once
# instead of building a KD-tree over the placed particles for every attempt (1 015
# disks: the tree was ~0.6 ms of the ~0.7 ms an attempt cost); the decisions are the same.
_BRUTE_FORCE_PAIRS = 20_000


def _norm(v):
    """Euclidean norm over the last axis: what ``np.linalg.norm(v, axis=-1)`` computes (the
    same sum of squares, so the same bits) without its per-call checks (2 562 calls
    placing 1 015 disks; 0.50 -> 0.48 s)."""
    return np.sqrt(np.add.reduce(v * v, axis=-1))


def _free(cand, cdir, r, centers, radii, dirs, a, shape, gap, box, periodic, elongated):
    """Which candidates keep ``gap`` from every placed particle (every pair at once for
    few particles, else the near neighbours found by a KD-tree), all candidate-neighbour
    pairs tested in one pass."""
    reach = a * r + a * float(radii.max()) + gap
    if cand.shape[0] * centers.shape[0] <= _BRUTE_FORCE_PAIRS:
        dc = _wrapped(cand[:, None, :] - centers[None, :, :], box, periodic)
        dist = _norm(dc)
        if not elongated:  # the same test as below, on every placed particle at once
            return ~np.any(dist < r + radii + gap, axis=1)
        i, j = np.nonzero(dist <= reach)
        dc = dc[i, j]
    else:
        from scipy.spatial import cKDTree

        tree = cKDTree(centers, boxsize=box if periodic else None)
        lists = tree.query_ball_point(np.mod(cand, box) if periodic else cand, reach)
        # the pairs as two flat index arrays, tested at once below: a Python loop over the
        # candidates (batches of up to 1024 near jamming) made a 3D periodic placement at
        # 0.3 take 14.4 s instead of 1.8 s
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        i = np.repeat(np.arange(len(lists)), counts)
        j = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int64,
                        count=int(counts.sum()))
        dc = _wrapped(cand[i] - centers[j], box, periodic)
    ok = np.ones(cand.shape[0], dtype=bool)
    if i.size == 0:
        return ok
    if elongated:
        dist = segment_distance(dc, cdir[i], np.full(i.size, (a - 1) * r), np.zeros_like(dc),
                                dirs[j], (a - 1) * radii[j])
    else:
        dist = _norm(dc)
    ok[i[dist < r + radii[j] + gap]] = False
    return ok


def _wrapped(dc, box, periodic):
    """Centre offsets *dc* to the nearest periodic image (unchanged if not periodic)."""
    if periodic:
        dc -= box * np.round(dc / box)
    return dc


def _finish(centers, radii, a, dirs, shape, box, periodic) -> Particles:
    n = radii.size
    image_of = np.arange(n)
    if periodic and n:
        dim = box.size
        ext = np.stack([_support(dirs, radii, a, shape, ax) for ax in range(dim)], axis=1)
        centers = np.mod(centers, box)
        shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * dim, indexing="ij")).reshape(dim, -1).T
        shifts = shifts[np.any(shifts != 0, axis=1)]
        extra_c, extra_i = [], []
        for s in shifts:
            c = centers + s * box
            keep = np.all((c + ext > 0) & (c - ext < box), axis=1)
            extra_c.append(c[keep])
            extra_i.append(np.nonzero(keep)[0])
        centers = np.vstack([centers, *extra_c])
        image_of = np.concatenate([image_of, *extra_i])
        radii, dirs = radii[image_of], dirs[image_of]
    return Particles(
        centers=centers, radii=radii, aspect_ratio=float(a), directions=dirs, shape=shape,
        box=box.copy(), periodic=bool(periodic), image_of=image_of,
    )


# ---------------------------------------------------------------- dense packings
def jammed_packing(box, radius: float, *, overlap: float = 0.05, density: float = 0.60,
                   seed=None, max_iter: int = 4000, tol: float = 1e-4,
                   margin: float | None = None) -> Particles:
    r"""Touching (slightly overlapping) equal spheres/disks near random close packing.

    Centres are drawn uniformly in the box, ``n = density * V / v_min`` of them, where
    :math:`v_{min}` is the volume of a sphere of the *contact diameter*
    :math:`d_{min} = 2r(1-\text{overlap})`; overlaps deeper than that are then removed
    by relaxation (every pair closer than :math:`d_{min}` is pushed apart along its line
    of centres, centres kept in the box) until the deepest violation is below
    ``tol * d_min``. With *density* just below random close packing of the contact
    spheres (0.64 in 3D, 0.82 in 2D) the result is a jammed-like network of spheres in
    contact, each neighbour pair overlapping by at most ``overlap`` of a diameter
    ("interconnected spheres" with necks). Centres live in the box grown by *margin*
    (default: one radius) on every side, so the packing is as dense next to the faces
    as inside; spheres are clipped by the box faces.

    Parameters
    ----------
    box : (Lx, Ly[, Lz])
    radius : float
    overlap : float in [0, 0.5)
        Largest overlap depth as a fraction of the diameter.
    density : float
        Nominal packing fraction of the contact spheres (sets the number of spheres).

    Raises
    ------
    GeometryError
        If the relaxation does not converge (density above jamming).
    """
    from scipy.spatial import cKDTree

    box = _check_box(box)
    dim = box.size
    r = float(radius)
    if not (math.isfinite(r) and r > 0):
        raise GeometryError(f"radius must be finite and > 0, got {radius!r}.")
    if not 0.0 <= overlap < 0.5:
        raise GeometryError(f"overlap must lie in [0, 0.5), got {overlap!r}.")
    jam = {2: 0.84, 3: 0.64}[dim]
    if not 0.0 < density < jam:
        raise GeometryError(f"density must lie in (0, {jam}) (random close packing of the "
                            f"contact spheres in {dim}D), got {density!r}.")
    dmin = 2.0 * r * (1.0 - overlap)
    vmin = particle_volume(np.array([dmin / 2]), 1.0, "ellipsoid", dim)[0]
    m = r if margin is None else float(margin)
    lo_b, hi_b = -m * np.ones(dim), box + m
    n = max(2, int(round(density * float(np.prod(hi_b - lo_b)) / vmin)))
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo_b, hi_b, size=(n, dim))
    for it in range(int(max_iter)):
        pairs = cKDTree(x).query_pairs(dmin, output_type="ndarray")
        if pairs.size == 0:
            break
        d = x[pairs[:, 1]] - x[pairs[:, 0]]
        dist = np.linalg.norm(d, axis=1)
        viol = dmin - dist
        if viol.max() < tol * dmin:
            break
        u = d / np.maximum(dist, 1e-12 * dmin)[:, None]
        push = np.zeros_like(x)
        np.add.at(push, pairs[:, 0], -0.5 * (viol[:, None] + 1e-3 * tol * dmin) * u)
        np.add.at(push, pairs[:, 1], 0.5 * (viol[:, None] + 1e-3 * tol * dmin) * u)
        x = np.clip(x + push, lo_b, hi_b)
    else:
        raise GeometryError(f"jammed_packing did not converge in {max_iter} iterations "
                            f"(deepest extra overlap {viol.max() / dmin:.2e} of a diameter); "
                            f"lower density={density!r}.")
    # keep the spheres that reach into the box
    keep = np.all((x + r > 0) & (x - r < box), axis=1)
    x = x[keep]
    n = x.shape[0]
    log.info("jammed_packing: %d spheres, %d relaxation sweeps", n, it)
    dirs = np.zeros((n, dim))
    dirs[:, 0] = 1.0
    return Particles(centers=x, radii=np.full(n, r), aspect_ratio=1.0, directions=dirs,
                     shape="ellipsoid", box=box.copy(), periodic=False, image_of=np.arange(n))
