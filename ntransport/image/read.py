"""`read_image`: a segmented image (TIFF stack or numpy array) -> :class:`VoxelImage`.

The image must already be segmented: every voxel holds an integer label, and the
``phases`` mapping names every label that occurs (``{0: "PEO", 1: "LLZTO"}``). Grey
values, RGB images and labels without a name are refused with a message saying what
was found. The voxel size has no default (TIFF files rarely store it reliably): give it
in metres, one value for cubic voxels or one per axis.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..geometry.guards import check_voxels
from .voxel_image import AXES, ImageError, VoxelImage

__all__ = ["read_image", "tiff_bytes"]

_TIFF = (".tif", ".tiff")


def _read_tiff(fh, where: str) -> np.ndarray:
    """Read a TIFF stack after checking its declared shape against the voxel limit."""
    import tifffile

    broken = (tifffile.TiffFileError, ValueError, OSError, EOFError)
    try:
        tif = tifffile.TiffFile(fh)
    except broken as exc:
        raise ImageError(f"{where}: not a readable TIFF stack ({exc}).") from None
    with tif:
        if not tif.series:
            raise ImageError(f"{where}: the TIFF file holds no image.")
        check_voxels(tif.series[0].shape, what=where)  # the declared shape, nothing read yet
        try:
            return np.asarray(tif.series[0].asarray())
        except broken as exc:
            raise ImageError(f"{where}: not a readable TIFF stack ({exc}).") from None


def _load(source) -> tuple[np.ndarray, str]:
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise ImageError(f"image file {str(p)!r} does not exist.")
        if p.suffix.lower() in _TIFF:
            return _read_tiff(p, str(p)), str(p)
        if p.suffix.lower() == ".npy":
            try:
                head = np.load(p, mmap_mode="r", allow_pickle=False)
            except ValueError as exc:
                raise ImageError(f"{str(p)!r}: not a readable .npy array ({exc}).") from None
            check_voxels(head.shape, what=str(p))
            return np.array(head), str(p)
        raise ImageError(f"image file {p.name!r}: unknown format {p.suffix!r}; give a TIFF "
                         "stack (.tif/.tiff), a .npy array, or a numpy array.")
    if isinstance(source, (bytes, bytearray)):
        return _read_tiff(io.BytesIO(source), "<TIFF bytes>"), "<TIFF bytes>"
    if isinstance(source, np.ndarray):
        check_voxels(source.shape, what="<array>")
        return source, "<array>"
    raise ImageError(f"source must be a path to a TIFF stack, TIFF bytes or a numpy array, "
                     f"got {type(source).__name__}.")


def _labels(arr: np.ndarray, where: str) -> np.ndarray:
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if arr.dtype.kind == "f":
        raise ImageError(
            f"{where}: the image holds floating-point values (dtype {arr.dtype}); read_image "
            "needs a segmented image of integer labels. Threshold or segment it first, e.g. "
            "labels = (grey > threshold).astype(np.uint8).")
    if arr.dtype.kind not in "iu":
        raise ImageError(f"{where}: dtype {arr.dtype} is not an integer label type; give "
                         "uint8/uint16/int labels or a boolean mask.")
    return arr


def read_image(source, *, voxel_size, phases: Mapping, crop=None, downsample=1) -> VoxelImage:
    """Read a segmented 2D/3D image with named phases.

    Parameters
    ----------
    source : path, bytes or ndarray
        A TIFF stack (``.tif``/``.tiff``: pages are axis 0), a ``.npy`` file, TIFF bytes
        or an integer/boolean array of shape (nx, ny) or (nx, ny, nz).
    voxel_size : float or sequence of float
        Voxel edge [m]: one value (cubic voxels) or one per array axis (anisotropic).
    phases : mapping label -> name
        The name of every label value that occurs, e.g. ``{0: "PEO", 1: "LLZTO"}``.
    crop : sequence of (start, stop) or slice, optional
        Sub-volume to keep, one range per axis (applied before downsampling).
    downsample : int or sequence of int
        Block size per axis; each block takes its majority phase.

    Returns
    -------
    VoxelImage

    Raises
    ------
    ImageError
        Missing file, grey/float or RGB data, an empty image, labels without a phase
        name, a bad voxel size or crop.

    Examples
    --------
    >>> import numpy as np
    >>> img = read_image(np.array([[0, 1], [1, 0]]), voxel_size=1e-6,
    ...                  phases={0: "PEO", 1: "LLZTO"})
    >>> img.fractions()
    {'PEO': 0.5, 'LLZTO': 0.5}
    """
    arr, where = _load(source)
    arr = _labels(np.asarray(arr), where)
    if arr.ndim == 4 and arr.shape[-1] in (3, 4):
        raise ImageError(f"{where}: shape {arr.shape} looks like an RGB(A) stack; give one "
                         "integer label per voxel (a segmented image).")
    if arr.ndim not in (2, 3):
        raise ImageError(f"{where}: expected a 2D or 3D image, got shape {arr.shape}.")
    if arr.size == 0:
        raise ImageError(f"{where}: the image is empty (shape {arr.shape}).")
    if not isinstance(phases, Mapping) or not phases:
        raise ImageError(f"phases must map each label value to a phase name, e.g. "
                         f"{{0: 'PEO', 1: 'LLZTO'}}, got {phases!r}.")
    keys = []
    for k in phases:
        try:
            ki = int(k)
        except (TypeError, ValueError):
            raise ImageError(f"phases: label {k!r} is not an integer.") from None
        if ki != k:
            raise ImageError(f"phases: label {k!r} is not an integer.")
        keys.append(ki)
    names = [str(phases[k]) for k in phases]
    if len(set(names)) != len(names):
        raise ImageError(f"phases: names must be distinct, got {names}; give one label per "
                         "phase (merge labels with np.where first).")
    present, counts = np.unique(arr, return_counts=True)
    missing = [(int(v), int(c)) for v, c in zip(present, counts) if int(v) not in keys]
    if missing:
        desc = ", ".join(f"{v} ({c} voxels)" for v, c in missing[:8])
        raise ImageError(
            f"{where}: label value(s) {desc} have no phase name; phases names "
            f"{dict(zip(keys, names))}. Add them, e.g. phases={{..., {missing[0][0]}: 'pore'}}.")
    off = -min(0, int(present.min()), min(keys))
    lut = np.zeros(max(max(keys), int(present.max())) + off + 1, dtype=np.int64)
    for i, k in enumerate(keys):
        lut[k + off] = i
    labels = lut[arr.astype(np.int64) + off]
    h = np.asarray(voxel_size, dtype=float).ravel() if np.ndim(voxel_size) else \
        np.full(arr.ndim, float(voxel_size))
    if h.size not in (1, arr.ndim):
        raise ImageError(f"voxel_size must be one length or {arr.ndim} (one per axis "
                         f"{AXES[:arr.ndim]}), got {voxel_size!r}.")
    img = VoxelImage(labels, tuple(names), h, info={"source": where,
                                                    "labels": dict(zip(names, keys))})
    if crop is not None:
        img = img.crop(*crop) if not isinstance(crop, slice) else img.crop(crop)
    return img.downsample(downsample)


def tiff_bytes(labels: np.ndarray, *, voxel_size=None) -> bytes:
    """An integer label array as TIFF stack bytes (pages = axis 0), ``read_image``-ready.
    The voxel size, if given [m], is stored in the ImageJ metadata (µm)."""
    import tifffile

    a = np.asarray(labels)
    if a.dtype.kind not in "iub":
        raise ImageError(f"tiff_bytes writes integer labels, got dtype {a.dtype}.")
    a = a.astype(np.uint8 if a.max() < 256 and a.min() >= 0 else np.int32)
    buf = io.BytesIO()
    kw = {}
    if voxel_size is not None:
        h = np.broadcast_to(np.asarray(voxel_size, float), (a.ndim,)) * 1e6
        kw = {"imagej": a.dtype == np.uint8,
              "resolution": (1.0 / h[-1], 1.0 / h[-2]),
              "metadata": {"spacing": float(h[0]), "unit": "um"} if a.ndim == 3 else
              {"unit": "um"}}
        if not kw["imagej"]:
            kw.pop("imagej")
            kw.pop("metadata")
    tifffile.imwrite(buf, a, **kw)
    return buf.getvalue()
