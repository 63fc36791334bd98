"""Segmented images (FIB-SEM, X-ray CT) -> effective conductivity, tortuosity, tensor.

>>> img = read_image("membrane.tif", voxel_size=50e-9,
...                  phases={0: "PEO", 1: "LLZTO"})                   # doctest: +SKIP
>>> img = add_interphase(img, around="LLZTO", thickness=20e-9)      # doctest: +SKIP
>>> props = image_conductivity(img, {"PEO": 0.01, "LLZTO": 0.1,
...                                  "interphase": 1.0})             # doctest: +SKIP
>>> props.tensor, props.tortuosity, props.macmullin                 # doctest: +SKIP
"""
from .interphase import add_interphase
from .mesh import image_domain, voxel_domain
from .properties import ImageProperties, image_conductivity
from .read import read_image, tiff_bytes
from .solve import VoxelConduction, solve_periodic, solve_voxels
from .synthetic import random_spheres_image
from .voxel_image import ImageError, ThinLayer, VoxelImage

__all__ = ["read_image", "tiff_bytes", "VoxelImage", "ThinLayer", "ImageError",
           "add_interphase", "solve_voxels", "solve_periodic", "VoxelConduction",
           "image_conductivity", "ImageProperties", "image_domain", "voxel_domain",
           "random_spheres_image"]
