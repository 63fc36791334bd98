r"""Threshold scans and conductivity ensembles used by the percolation study.

* `film_threshold`: first through-thickness spanning of a film of thickness ``H``
  and (periodic) width ``W >> H``. In an infinitely wide film a spanning path exists
  at any density somewhere, so the film "threshold" depends on the electrode area:
  it is reported for a stated ``W`` and falls below the bulk value as ``W/H`` grows.
* `fem_point`: one realisation of overlapping spheres (or spheroids) in a cube with
  transverse periodicity, its exact contact graph and its mixed-FEM conductivity on
  a voxel grid that keeps the exact contact topology (see
  :func:`~ntransport.percolation.voxel.grid_solution`); optional electron tunnelling
  between particles that do not touch,

  .. math:: g_t = \sigma_M \exp(-2 d/\xi),

  with ``d`` the surface gap and ``xi`` the tunnelling length (both in radii;
  Balberg, PRL 59, 1305, 1987; Simmons' exponential decay of the tunnelling
  conductance), replacing the insulating barrier where it is larger.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError, check_positive
from .connectivity import connectivity
from .sampling import sample_overlapping
from .shapes import Sphere, Spheroid
from .threshold import critical_densities

__all__ = ["FilmThreshold", "film_threshold", "fem_point", "fem_grid_size", "LITERATURE"]

#: Reference thresholds (covered volume fraction) of overlapping particles in 3D
#: (2D disks for completeness); key (shape, aspect ratio, dim) -> (value, source).
LITERATURE = {
    ("sphere", 1.0, 3): (0.2895, "Lorenz & Ziff, J. Chem. Phys. 114, 3659 (2001)"),
    ("spheroid", 1.0, 3): (0.2895, "Lorenz & Ziff, J. Chem. Phys. 114, 3659 (2001)"),
    ("spheroid", 2.0, 3): (0.2618, "Garboczi et al., Phys. Rev. E 52, 819 (1995), Table 1"),
    ("spheroid", 4.0, 3): (0.1901, "Garboczi et al., Phys. Rev. E 52, 819 (1995), Table 1"),
    ("spheroid", 10.0, 3): (0.08703, "Garboczi et al., Phys. Rev. E 52, 819 (1995), Table 1"),
    ("sphere", 1.0, 2): (0.6763475, "Mertens & Moore, Phys. Rev. E 86, 061109 (2012)"),
}


@dataclass(frozen=True)
class FilmThreshold:
    """Critical covered fraction of first through-thickness spanning in a film."""

    thickness: float       # H, in particle radii
    width: float           # W (periodic), in particle radii
    fraction: float        # mean of 1 - exp(-eta*) over realisations
    se: float              # standard error of that mean
    eta: np.ndarray        # eta* per realisation


def film_threshold(thickness, width, realisations, *, rng=None, dim=3, gap=0.0,
                   progress=None) -> FilmThreshold:
    """First-spanning threshold of overlapping unit spheres across a film.

    Parameters
    ----------
    thickness, width : float
        Film thickness ``H`` (electrode axis) and transverse periodic width ``W``,
        in particle radii (W = H is the cubic box).
    realisations : int
    gap : float
        Tunnelling distance counted as contact (radii).
    """
    check_positive(thickness, name="thickness", exc=GeometryError)
    eta = critical_densities(Sphere(1.0, dim=dim), float(thickness), int(realisations),
                             rng=rng, gap=gap, width=float(width), progress=progress)
    phi = 1.0 - np.exp(-eta)
    se = float(phi.std(ddof=1) / math.sqrt(phi.size)) if phi.size > 1 else float("inf")
    return FilmThreshold(float(thickness), float(width), float(phi.mean()), se, eta)


def _shape(aspect_ratio, dim):
    return Sphere(1.0, dim=dim) if aspect_ratio == 1.0 else Spheroid(1.0, aspect_ratio,
                                                                       dim=dim)


def fem_grid_size(box_radii, voxels_per_radius) -> int:
    """Voxels along each side of :func:`fem_point`'s grid (at least 4)."""
    return max(4, int(round(float(box_radii) * voxels_per_radius)))


def fem_point(target, seed, *, box_radii=8.0, voxels_per_radius=3, dim=3,
              aspect_ratio=1.0, sigma_ratio=1e-8, tunnelling_length=None) -> dict:
    r"""Conductivity of one random microstructure at covered fraction *target*.

    Unit particles (short semi-axis 1) at reduced density :math:`-\ln(1-V)` in a
    cube of ``box_radii`` with periodic transverse faces; conductivity in units of
    the metal's (:math:`\sigma_M = 1`, insulator ``sigma_ratio``).

    Returns
    -------
    dict
        ``volume_fraction`` (realised, voxel count), ``sigma_rel``
        (:math:`\sigma_{eff}/\sigma_M`), ``spans`` (exact contact graph, 1/0).
    """
    from .voxel import grid_solution, voxelize

    if not 0.0 < target < 1.0:
        raise GeometryError(f"target volume fraction must lie in (0, 1), got {target!r}.")
    check_positive(sigma_ratio, name="sigma_ratio", exc=GeometryError)
    shape = _shape(float(aspect_ratio), dim)
    L = float(box_radii)
    p = sample_overlapping(shape, L, reduced_density=-math.log1p(-target), rng=int(seed))
    n = fem_grid_size(L, voxels_per_radius)
    owners = voxelize(p, n, owners=True)
    con = connectivity(p)
    barrier = None
    if tunnelling_length is not None:
        barrier = _tunnelling(p, float(tunnelling_length), float(sigma_ratio))
    sig = np.where(owners >= 0, 1.0, float(sigma_ratio))
    lo, hi = p.x_extent()
    g = grid_solution(sig, periodic=True, owners=owners, clusters=con.labels,
                      barrier=barrier, electrode_contact=(lo <= 0.0, hi >= L))
    return {"volume_fraction": float(np.mean(owners >= 0)), "sigma_rel": float(g.sigma_eff),
            "spans": float(con.spans)}


def _tunnelling(particles, xi, floor):
    """Face conductance between voxels of two particles separated by a gap (spheres)."""
    check_positive(xi, name="tunnelling_length", exc=GeometryError)
    if not isinstance(particles.shape, Sphere):
        raise GeometryError("tunnelling conductance is implemented for spheres only.")
    r = particles.shape.radius

    def barrier(a, b):
        d = particles.cell.displacement(particles.centres[a], particles.centres[b])
        gap = np.maximum(np.linalg.norm(d, axis=1) - 2.0 * r, 0.0)
        return np.maximum(np.exp(-2.0 * gap / xi), floor)

    return barrier
