r"""An interphase grown around one phase of a :class:`VoxelImage`.

Every voxel of the phases in `into` whose centre lies within the thickness
:math:`\delta` of phase `around` becomes interphase (Euclidean distance transform with
the voxel size as sampling, anisotropic voxels included). On a voxel grid this rounds
the layer to whole voxels: a host voxel is taken when the distance from its centre to
the nearest `around` voxel centre is at most :math:`\delta + h/2`, so a flat face gets
``round(delta / h)`` layers.

A layer thinner than half a voxel would vanish that way. It is kept instead as a
*thin layer* (:class:`~ntransport.image.voxel_image.ThinLayer`): a sheet on every face
between `around` and `into`, which the voxel solver turns into an interface
conductance with both of its first-order effects (thin-layer asymptotics, e.g.
Benveniste & Miloh 2001):

* across the face, a series resistance :math:`\delta/\sigma_i` in place of
  :math:`\delta/\sigma_{host}`;
* along the face, an excess sheet conductance :math:`K = \delta(\sigma_i -
  \sigma_{host})` [S] that carries current between neighbouring coated faces (the
  "highway" of a conducting interphase).
"""
from __future__ import annotations

import math

import numpy as np

from .voxel_image import ImageError, ThinLayer, VoxelImage

__all__ = ["add_interphase"]

MODES = ("auto", "voxels", "sheet")


def add_interphase(image: VoxelImage, *, around: str, thickness: float,
                   name: str = "interphase", into=None, mode: str = "auto") -> VoxelImage:
    """A copy of *image* with an interphase of *thickness* [m] around phase *around*.

    Parameters
    ----------
    image : VoxelImage
    around : str
        The phase that the interphase coats (e.g. ``"LLZTO"``).
    thickness : float
        Interphase thickness [m] (> 0).
    name : str
        Name of the new phase (give it a conductivity when solving).
    into : str or sequence of str, optional
        Phases the interphase grows into (default: every other phase).
    mode : {"auto", "voxels", "sheet"}
        ``"voxels"``: relabel host voxels (thickness rounded to whole voxels);
        ``"sheet"``: a sub-voxel layer on the faces (needs ``thickness <= h/2``);
        ``"auto"``: sheet when ``thickness <= min(voxel_size) / 2``, voxels otherwise.

    Returns
    -------
    VoxelImage
        ``info["interphases"]`` records each layer: mode, requested and realised
        thickness, volume fraction.
    """
    if mode not in MODES:
        raise ImageError(f"mode must be one of {MODES}, got {mode!r}.")
    try:
        d = float(thickness)
    except (TypeError, ValueError):
        raise ImageError(f"thickness must be a length in metres, got {thickness!r}.") from None
    if not (math.isfinite(d) and d > 0):
        raise ImageError(f"thickness must be finite and > 0 m, got {thickness!r}.")
    if not isinstance(name, str) or not name or "|" in name:
        raise ImageError(f"name must be a non-empty string without '|', got {name!r}.")
    image.index(around)
    if into is None:
        into = tuple(p for p in image.phases if p not in (around, name))
    elif isinstance(into, str):
        into = (into,)
    into = tuple(into)
    for p in into:
        image.index(p)
        if p == around:
            raise ImageError(f"into must not contain the coated phase {around!r}.")
    if not into:
        raise ImageError(f"no phase to grow the interphase into (image phases "
                         f"{list(image.phases)}).")
    if name in image.phases and name in (around, *into):
        raise ImageError(f"the interphase name {name!r} is one of the phases it touches.")
    h = image.voxel_size
    if mode == "auto":
        mode = "sheet" if d <= 0.5 * float(h.min()) else "voxels"
    if mode == "sheet" and d > 0.5 * float(h.min()) * (1 + 1e-12):
        raise ImageError(f"a sheet interphase must be at most half a voxel thick "
                         f"({0.5 * h.min():.4g} m), got {d:.4g} m; use mode='voxels' or "
                         "'auto'.")
    info = dict(image.info)
    record = {"name": name, "around": around, "into": list(into), "mode": mode,
              "thickness [m]": d}
    if mode == "sheet":
        thin = image.thin + (ThinLayer(name, around, into, d),)
        out = image.replace(thin=thin)
        record["volume_fraction [1]"] = out.fractions()[name]
        record["realised thickness [m]"] = d
        info["interphases"] = list(info.get("interphases", [])) + [record]
        return out.replace(info=info)

    from scipy import ndimage

    core = image.mask(around)
    if not core.any():
        raise ImageError(f"phase {around!r} has no voxels; nothing to coat.")
    dist = ndimage.distance_transform_edt(~core, sampling=h)
    host = np.isin(image.labels, [image.index(p) for p in into])
    shell = host & (dist <= d + 0.5 * float(h.min()) * (1 + 1e-9))
    phases = image.phases
    if name not in phases:
        phases = phases + (name,)
    lab = image.labels.astype(np.int32 if len(phases) > 255 else np.uint8)
    lab = np.where(shell, phases.index(name), lab)
    record["volume_fraction [1]"] = float(shell.mean())
    record["realised thickness [m]"] = float(round(d / h.min()) * h.min())
    record["voxel layers"] = int(round(d / h.min()))
    info["interphases"] = list(info.get("interphases", [])) + [record]
    return image.replace(labels=lab, phases=phases, info=info)
