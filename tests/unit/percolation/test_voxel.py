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


def test_topology_preserving_voxels_conduct_iff_the_graph_spans():
    """Mixed FEM on voxels with faces between different contact clusters insulating:
    a realisation conducts (sigma >> sigma_NM) exactly when its contact graph spans."""
    from ntransport.percolation import connectivity, sample_overlapping
    from ntransport.percolation.voxel import grid_solution

    seen = set()
    for seed in range(16):
        p = sample_overlapping(Sphere(1.0, dim=3), 6.0, reduced_density=0.34, rng=seed)
        own = voxelize(p, 18, owners=True)
        c = connectivity(p)
        lo, hi = p.x_extent()
        g = grid_solution(np.where(own >= 0, 1.0, 1e-8), periodic=True, owners=own,
                          clusters=c.labels, electrode_contact=(lo <= 0, hi >= 6.0))
        assert (g.sigma_eff > 1e-4) == c.spans, (seed, g.sigma_eff, c.spans)
        seen.add(c.spans)
    assert seen == {True, False}


def test_grid_system_is_what_grid_solution_solves():
    """`grid_system` gives the matrix and right-hand side `grid_solution` solves: its
    solution is grid_solution's potential on the conducting voxels, and voxels cut off
    from the electrodes are dropped."""
    import scipy.sparse.linalg as spla

    from ntransport.percolation.voxel import backbone_mask, grid_solution, grid_system

    sig = np.where(np.random.default_rng(4).random((9, 8, 7)) < 0.7, 2.0, 0.0)
    A, b = grid_system(sig)
    keep = backbone_mask(sig > 0)
    assert A.shape == (keep.sum(),) * 2 and A.format == "csr"
    np.testing.assert_allclose(spla.spsolve(A.tocsc(), b),
                               grid_solution(sig).phi[keep], rtol=1e-10)
    with pytest.raises(GeometryError, match="sig must hold finite conductivities"):
        grid_system(np.full((3, 3), np.nan))


def test_grid_solution_flux_and_errors():
    from ntransport.percolation.voxel import grid_solution

    g = grid_solution(np.ones((5, 4, 3)))
    assert g.sigma_eff == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_allclose(g.flux[..., 0], 0.2, rtol=1e-9)  # unit voltage over 5 voxels
    with pytest.raises(GeometryError, match="sig must hold finite conductivities >= 0"):
        grid_solution(-np.ones((3, 3)))
    with pytest.raises(GeometryError, match="owners must have the grid's shape"):
        grid_solution(np.ones((3, 3)), owners=np.zeros((2, 2), int))


@pytest.mark.parametrize("shape, contrast, coarsening", [
    ((26, 26, 26), 1e6, "aggregation"), ((26, 26, 26), 10.0, "aggregation"),
    ((120, 120), 1e6, "aggregation")])
def test_large_grids_use_the_measured_amg_and_match_the_direct_solve(shape, contrast,
                                                                      coarsening, monkeypatch):
    """Above the direct solver's size the voxel AMG truncates its prolongators at
    `VOXEL_TRUNCATE` in 3D (the library's default in 2D), so that aggregation stays sparse
    on 3D grids with a contrast, where whole prolongators filled in and "auto" turned
    classical (benchmarks/amg/truncation_voxels.json); sigma_eff and phi are the direct
    solve's to the tolerance."""
    import ntransport.solve.amg as amg
    import ntransport.solve.linear as lin
    from ntransport.percolation.voxel import VOXEL_TRUNCATE, grid_solution

    made = []
    real = lin.AMGSolver

    class Spy(real):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)

    sig = np.where(np.random.default_rng(3).random(shape) < 0.35, contrast, 1.0)
    monkeypatch.setattr(lin, "AMGSolver", Spy)
    g = grid_solution(sig)
    assert [s.hierarchies for s in made] == [[coarsening]]
    assert made[0].truncate == (VOXEL_TRUNCATE if len(shape) == 3 else amg.TRUNCATE)
    ref = grid_solution(sig, solver=lin.DirectSolver("superlu"))
    assert g.sigma_eff == pytest.approx(ref.sigma_eff, rel=1e-7)
    np.testing.assert_allclose(g.phi, ref.phi, atol=1e-7)


def test_tunnelling_conductance_raises_the_subthreshold_conductivity():
    """Below the threshold the metal clusters are separated by thin gaps; a tunnelling
    conductance exp(-2 d / xi) across face-adjacent voxels of different clusters lets
    current through them, more for a longer tunnelling length."""
    from ntransport.percolation.scans import fem_point

    plain = fem_point(0.24, 3, box_radii=6.0)["sigma_rel"]
    short = fem_point(0.24, 3, box_radii=6.0, tunnelling_length=0.05)["sigma_rel"]
    long_ = fem_point(0.24, 3, box_radii=6.0, tunnelling_length=0.3)["sigma_rel"]
    assert plain < short < long_
    with pytest.raises(GeometryError, match="tunnelling_length must be finite and > 0"):
        fem_point(0.24, 3, box_radii=6.0, tunnelling_length=0.0)
