"""Synthetic segmented images: random particles voxelised at a given resolution.

Used to make a "tomogram" whose microstructure is known (the image study) and for
tests. Particles are placed by :func:`ntransport.geometry.placement.place_particles`
(hard-core random sequential addition, or overlapping), periodically so that the image
tiles space; a voxel belongs to a particle when its centre lies inside it.
"""
from __future__ import annotations

import numpy as np

from ..geometry.placement import place_particles
from .voxel_image import ImageError, VoxelImage

__all__ = ["random_spheres_image", "voxelise_spheres"]

_UM = 1e6


def voxelise_spheres(shape, voxel_size, centers, radii) -> np.ndarray:
    """Boolean mask (shape) of voxels whose centre lies in any sphere/disk [m]."""
    shape = tuple(int(s) for s in shape)
    h = np.broadcast_to(np.asarray(voxel_size, float), (len(shape),))
    mask = np.zeros(shape, bool)
    for c, r in zip(np.atleast_2d(centers), np.ravel(radii)):
        lo = np.maximum(np.floor((c - r) / h - 0.5).astype(int), 0)
        hi = np.minimum(np.ceil((c + r) / h + 0.5).astype(int), shape)
        if np.any(hi <= lo):
            continue
        axes = [(np.arange(a, b) + 0.5) * hh - cc for a, b, hh, cc in zip(lo, hi, h, c)]
        d2 = sum(np.meshgrid(*[x * x for x in axes], indexing="ij"))
        sl = tuple(slice(a, b) for a, b in zip(lo, hi))
        mask[sl] |= d2 <= r * r
    return mask


def random_spheres_image(shape, voxel_size, *, fraction: float, radius, seed=0,
                         phases=("matrix", "particles"), overlap: bool = False,
                         gap: float | None = None) -> VoxelImage:
    """Random (hard-core or overlapping) spheres (3D) / disks (2D) in a matrix, periodic.

    Parameters
    ----------
    shape : (nx, ny[, nz]) voxels
    voxel_size : float [m]
    fraction : target particle volume fraction (the realised voxel fraction is in
        ``info["volume_fraction"]``)
    radius : float [m] or ("lognormal", mean, sd) / ("uniform", lo, hi) in metres
    seed : random seed (same seed, same image)
    phases : (matrix name, particle name)
    overlap, gap : see :func:`ntransport.geometry.placement.place_particles`
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ImageError(f"shape must be 2 or 3 positive voxel counts, got {shape!r}.")
    h = float(voxel_size)
    box = np.asarray(shape, float) * h
    if isinstance(radius, tuple):
        rad = (radius[0], *[float(x) * _UM for x in radius[1:]])
    else:
        rad = float(radius) * _UM
    parts = place_particles(box * _UM, volume_fraction=fraction, radius=rad, seed=seed,
                            overlap=overlap, gap=None if gap is None else gap * _UM,
                            periodic=True)
    mask = voxelise_spheres(shape, h, parts.centers / _UM, parts.radii / _UM)
    labels = mask.astype(np.uint8)
    return VoxelImage(labels, tuple(phases), np.full(len(shape), h), info={
        "synthetic": "random spheres" if len(shape) == 3 else "random disks",
        "seed": seed, "target_fraction": float(fraction),
        "volume_fraction": float(mask.mean()), "n_particles": int(np.unique(parts.image_of).size),
        "radius [m]": radius if not isinstance(radius, tuple) else list(radius)})
