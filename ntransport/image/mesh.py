"""Voxel image -> voxel-conforming simplex mesh with named regions (the FEM path).

Each pixel is split into 2 triangles, each voxel into 6 tetrahedra (Kuhn/Freudenthal:
the paths from the voxel's lowest to its highest corner), which conform across voxel
faces. Subdomains are the phases present; boundaries ``xmin``/``xmax``/``ymin``/...
are the faces of the box, and ``anode``/``cathode`` the two faces normal to `axis` if
it is given, so ``solve_conduction(image_domain(img, axis="x"), ...)`` works as is.
Lengths in metres.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..geometry.domain import Domain
from .solve import check_axis
from .voxel_image import AXES, ImageError, VoxelImage

__all__ = ["voxel_domain", "image_domain"]

MAX_ELEMENTS = 20_000_000


def _corner_index(shape):
    return np.arange(int(np.prod([s + 1 for s in shape]))).reshape([s + 1 for s in shape])


def voxel_domain(image: VoxelImage, *, axis=None, return_voxel: bool = False):
    """Domain of the voxels of *image* (see the module docstring).

    Returns the Domain, and with ``return_voxel=True`` also the flat voxel index of
    every element (to map voxel fields onto the mesh).
    """
    if not isinstance(image, VoxelImage):
        raise ImageError(f"image must be a VoxelImage, got {type(image).__name__}.")
    shape, dim = image.shape, image.dim
    nel = int(np.prod(shape)) * (2 if dim == 2 else 6)
    if nel > MAX_ELEMENTS:
        raise ImageError(f"a mesh of {image.shape} voxels would have {nel} elements (limit "
                         f"{MAX_ELEMENTS}); crop or downsample the image first.")
    corner = _corner_index(shape)
    grids = np.meshgrid(*[np.arange(s + 1) * h for s, h in zip(shape, image.voxel_size)],
                        indexing="ij")
    points = np.stack([g.ravel() for g in grids], axis=1)

    def corner_of(offset):
        return corner[tuple(slice(o, o + s) for o, s in zip(offset, shape))].ravel()

    cells = []
    if dim == 2:
        c00, c10, c01, c11 = (corner_of(o) for o in ((0, 0), (1, 0), (0, 1), (1, 1)))
        cells = [np.stack([c00, c10, c11], 1), np.stack([c00, c11, c01], 1)]
    else:
        for perm in itertools.permutations(range(3)):
            o = [0, 0, 0]
            verts = [corner_of(tuple(o))]
            for a in perm:
                o[a] = 1
                verts.append(corner_of(tuple(o)))
            cells.append(np.stack(verts, 1))
    k = len(cells)
    cells = np.stack(cells, axis=1).reshape(-1, dim + 1)  # voxel-major
    voxel = np.repeat(np.arange(int(np.prod(shape))), k)
    lab = image.labels.ravel()[voxel]
    groups = {p: np.flatnonzero(lab == i) for i, p in enumerate(image.phases)
              if np.any(image.labels == i)}
    facets = {}
    for a in range(dim):
        for side, name in ((0, f"{AXES[a]}min"), (shape[a], f"{AXES[a]}max")):
            sl = [slice(None)] * dim
            sl[a] = side
            face = corner[tuple(sl)]  # (dim-1)-dimensional grid of nodes
            if dim == 2:
                facets[name] = np.stack([face[:-1], face[1:]], 1)
            else:
                f00, f10 = face[:-1, :-1].ravel(), face[1:, :-1].ravel()
                f01, f11 = face[:-1, 1:].ravel(), face[1:, 1:].ravel()
                facets[name] = np.concatenate([np.stack([f00, f10, f11], 1),
                                               np.stack([f00, f01, f11], 1)])
    if axis is not None:
        ax = check_axis(axis, dim)
        facets["anode"] = facets[f"{AXES[ax]}min"]
        facets["cathode"] = facets[f"{AXES[ax]}max"]
    dom = Domain.from_arrays(points, cells, groups, facets)
    dom = dom.with_info(builder="voxel_domain", voxel_size=image.voxel_size.tolist(),
                        shape=list(shape), **({"electrode_axis": int(check_axis(axis, dim))}
                                              if axis is not None else {}))
    return (dom, voxel) if return_voxel else dom


def image_domain(image: VoxelImage, *, axis=None) -> Domain:
    """The FEM path: a voxel-conforming Domain with the phases as named subdomains.

    Sub-voxel (sheet) interphases cannot be meshed; resolve them with voxels first
    (``add_interphase(..., mode="voxels")`` on a finer image).
    """
    if image.thin:
        raise ImageError(f"image_domain cannot mesh the sub-voxel interphase(s) "
                         f"{[t.name for t in image.thin]}; use the voxel solver, or resolve "
                         "them with voxels on a finer image.")
    return voxel_domain(image, axis=axis)
