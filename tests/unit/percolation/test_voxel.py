"""Voxel route: rasterised volume and conduction of simple configurations."""
import math

import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.percolation import Rod, Sphere, Spheroid, voxel_conductivity
from ntransport.percolation.sampling import Cell, Particles
from ntransport.percolation.voxel import voxelize


@pytest.mark.parametrize("shape,axes", [
    (Sphere(2.0, dim=3), None),
    (Spheroid(1.0, 2.0, dim=3), np.array([[0.6, 0.8, 0.0]])),
    (Rod(1.0, 3.0, dim=3), np.array([[0.0, 0.6, 0.8]])),
])
def test_voxelized_volume(shape, axes):
    cell = Cell(10.0, 3, shape.bounding_radius, periodic=False)
    p = Particles(shape, cell, np.array([[5.0, 5.0, 5.0]]), axes)
    mask = voxelize(p, 60)
    vol = mask.sum() * (10.0 / 60) ** 3
    assert vol == pytest.approx(shape.volume, rel=0.03)  # 60^3 voxels: ~1-2 % surface error


def test_bar_of_overlapping_disks_conducts_like_its_width():
    cell = Cell(10.0, 2, 1.0, periodic=False)
    xs = np.arange(0.0, 10.01, 0.5)  # a thick bar of width ~2 along x
    p = Particles(Sphere(1.0, dim=2), cell, np.column_stack([xs, np.full(xs.size, 5.0)]))
    s = voxel_conductivity(p, 100, sigma_insulator=0.0)
    assert 0.18 < s <= 0.2 + 1e-9  # bar of width 1.94-2 over a 10-wide sample
    assert voxel_conductivity(p.head(5), 100, sigma_insulator=0.0) == 0.0
    with pytest.raises(GeometryError, match="n must be an integer >= 2"):
        voxelize(p, 1)
    assert math.isfinite(voxel_conductivity(p, 40))
