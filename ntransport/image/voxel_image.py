"""`VoxelImage`: a segmented 2D or 3D image with named phases and a voxel size in metres.

Array axis *k* is direction ``"xyz"[k]`` everywhere downstream (a TIFF stack's pages are
axis 0, as in PoreSpy and TauFactor). Voxels may be anisotropic: ``voxel_size`` holds one
edge length per axis. An image is immutable: every operation returns a new image.

Interphases thinner than a voxel cannot be drawn with voxels; they are carried as
:class:`ThinLayer` records (which phase they coat, into which phases, how thick) and
enter the voxel solver as a sheet on the coated faces (see
:mod:`ntransport.image.assembly`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..errors import NtransportError, suggest

__all__ = ["VoxelImage", "ThinLayer", "ImageError", "AXES"]

AXES = "xyz"


class ImageError(NtransportError, ValueError):
    """An image, its phases or a voxel operation is unusable as given."""


@dataclass(frozen=True)
class ThinLayer:
    """An interphase thinner than a voxel: phase `name` of `thickness` [m] coating the
    faces between phase `around` and each phase in `into` (on the `into` side)."""

    name: str
    around: str
    into: tuple[str, ...]
    thickness: float


@dataclass(frozen=True, eq=False)
class VoxelImage:
    """Phase labels on a regular grid.

    Parameters
    ----------
    labels : (nx, ny) or (nx, ny, nz) integer array
        Phase index of each voxel (an index into `phases`).
    phases : tuple of str
        Phase names; ``labels == k`` is phase ``phases[k]``.
    voxel_size : (dim,) float
        Voxel edge length along each axis [m].
    thin : tuple of ThinLayer
        Sub-voxel interphases (see :func:`ntransport.image.add_interphase`).
    info : mapping
        Provenance (file, crop, downsampling, realised interphase thickness...).
    """

    labels: np.ndarray
    phases: tuple[str, ...]
    voxel_size: np.ndarray
    thin: tuple[ThinLayer, ...] = ()
    info: Mapping = field(default_factory=dict)

    def __post_init__(self):
        lab = np.ascontiguousarray(self.labels)
        if lab.ndim not in (2, 3):
            raise ImageError(f"labels must be a 2D or 3D array, got shape {lab.shape}.")
        if lab.dtype.kind not in "iu":
            raise ImageError(f"labels must be integers, got dtype {lab.dtype}.")
        if lab.size == 0:
            raise ImageError(f"the image is empty (shape {lab.shape}).")
        if len(set(self.phases)) != len(self.phases) or any(
                not isinstance(p, str) or not p or "|" in p for p in self.phases):
            raise ImageError(f"phase names must be distinct non-empty strings without '|', "
                             f"got {self.phases!r}.")
        if lab.min() < 0 or lab.max() >= len(self.phases):
            raise ImageError(f"labels must lie in [0, {len(self.phases) - 1}] (one per phase "
                             f"{list(self.phases)}), got [{lab.min()}, {lab.max()}].")
        h = np.asarray(self.voxel_size, dtype=float).ravel()
        if h.size == 1:
            h = np.full(lab.ndim, h[0])
        if h.size != lab.ndim or not np.all(np.isfinite(h)) or np.any(h <= 0):
            raise ImageError(f"voxel_size must be {lab.ndim} finite positive lengths [m] (or "
                             f"one for cubic voxels), got {self.voxel_size!r}.")
        lab = lab.astype(np.uint8 if len(self.phases) <= 255 else np.int32, copy=False)
        if lab is self.labels:
            lab = lab.copy()
        lab.setflags(write=False)
        h.setflags(write=False)
        object.__setattr__(self, "labels", lab)
        object.__setattr__(self, "voxel_size", h)
        object.__setattr__(self, "phases", tuple(self.phases))
        object.__setattr__(self, "thin", tuple(self.thin))
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    # ------------------------------------------------------------------ access
    @property
    def dim(self) -> int:
        return self.labels.ndim

    @property
    def shape(self) -> tuple[int, ...]:
        return self.labels.shape

    @property
    def extent(self) -> np.ndarray:
        """Edge lengths of the imaged box [m]."""
        return np.asarray(self.shape) * self.voxel_size

    @property
    def all_phases(self) -> tuple[str, ...]:
        """Voxel phases followed by the names of the thin layers."""
        return self.phases + tuple(t.name for t in self.thin if t.name not in self.phases)

    def index(self, name: str) -> int:
        """Label value of phase *name* (raises with close matches)."""
        if name not in self.phases:
            raise ImageError(f"phase {name!r} not in the image.{suggest(str(name), self.phases)}")
        return self.phases.index(name)

    def mask(self, name: str) -> np.ndarray:
        """Boolean mask of phase *name*."""
        return self.labels == self.index(name)

    def fractions(self) -> dict[str, float]:
        """Phase name -> volume fraction. Thin layers count their area x thickness, taken
        from the phase they grow into."""
        counts = np.bincount(self.labels.ravel(), minlength=len(self.phases))
        out = {p: float(c) / self.labels.size for p, c in zip(self.phases, counts)}
        if self.thin:
            from .assembly import coated_faces

            vol = float(np.prod(self.extent))
            for layer in self.thin:
                for ax, _s, host in coated_faces(self, layer):
                    area = float(np.prod(self.voxel_size)) / self.voxel_size[ax]
                    for k in np.unique(host):
                        v = np.count_nonzero(host == k) * area * layer.thickness / vol
                        out[layer.name] = out.get(layer.name, 0.0) + v
                        out[self.phases[k]] -= v
        return out

    def __repr__(self):
        h = ", ".join(f"{v * 1e6:.4g}" for v in self.voxel_size)
        fr = ", ".join(f"{k}: {v:.3f}" for k, v in self.fractions().items())
        return f"VoxelImage({'x'.join(map(str, self.shape))} voxels of ({h}) µm, {{{fr}}})"

    # ------------------------------------------------------------------ derived images
    def replace(self, **changes) -> "VoxelImage":
        kw = dict(labels=self.labels, phases=self.phases, voxel_size=self.voxel_size,
                  thin=self.thin, info=dict(self.info))
        kw.update(changes)
        return VoxelImage(**kw)

    def crop(self, *slices) -> "VoxelImage":
        """Sub-image ``labels[slices]`` (one ``slice`` or ``(start, stop)`` per axis)."""
        if len(slices) == 1 and isinstance(slices[0], (list, tuple)) and \
                all(isinstance(s, (slice, list, tuple, type(None))) for s in slices[0]):
            slices = tuple(slices[0])
        if len(slices) != self.dim:
            raise ImageError(f"crop needs one range per axis ({self.dim}), got {slices!r}.")
        sl = []
        for ax, s in enumerate(slices):
            if s is None:
                s = slice(None)
            elif not isinstance(s, slice):
                if len(s) != 2:
                    raise ImageError(f"crop range of axis {AXES[ax]} must be (start, stop), "
                                     f"got {s!r}.")
                s = slice(int(s[0]), int(s[1]))
            if s.step not in (None, 1):
                raise ImageError("crop takes contiguous ranges; use downsample() for steps.")
            start, stop, _ = s.indices(self.shape[ax])
            if stop <= start:
                raise ImageError(f"crop range {s} of axis {AXES[ax]} is empty for an image "
                                 f"of {self.shape[ax]} voxels along it.")
            sl.append(slice(start, stop))
        info = dict(self.info)
        info["crop"] = [(s.start, s.stop) for s in sl]
        return self.replace(labels=self.labels[tuple(sl)].copy(), info=info)

    def downsample(self, factor) -> "VoxelImage":
        """Coarser image: blocks of ``factor`` voxels per axis take their majority phase
        (ties to the lower label); a trailing partial block is dropped."""
        f = np.broadcast_to(np.asarray(factor), (self.dim,)).astype(int)
        if np.any(f < 1) or not np.all(np.asarray(factor) == np.round(np.asarray(factor))):
            raise ImageError(f"downsample factor must be integers >= 1, got {factor!r}.")
        if np.all(f == 1):
            return self
        n = np.asarray(self.shape) // f
        if np.any(n < 1):
            raise ImageError(f"downsample factor {tuple(f)} is larger than the image "
                             f"{self.shape}.")
        lab = self.labels[tuple(slice(0, k * s) for k, s in zip(n, f))]
        shp = []
        for k, s in zip(n, f):
            shp += [k, s]
        blocks = lab.reshape(shp)
        blocks = blocks.transpose(list(range(0, 2 * self.dim, 2)) + list(range(1, 2 * self.dim, 2)))
        blocks = blocks.reshape(tuple(n) + (-1,))
        counts = np.stack([(blocks == k).sum(axis=-1) for k in range(len(self.phases))], axis=-1)
        info = dict(self.info)
        info["downsample"] = tuple(int(v) for v in f)
        return self.replace(labels=np.argmax(counts, axis=-1).astype(lab.dtype),
                            voxel_size=self.voxel_size * f, info=info)
