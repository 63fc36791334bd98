"""The FEM path: voxel-conforming Domain of an image, solved by solve_conduction."""
import numpy as np
import pytest

import ntransport.image as ni
from ntransport.solve.conduction import solve_conduction


@pytest.mark.parametrize("shape", [(6, 4), (4, 3, 5)])
def test_voxel_domain_regions_boundaries_and_volumes(shape):
    lab = np.zeros(shape, np.uint8)
    lab[: shape[0] // 2] = 1
    h = [1e-6, 2e-6, 0.5e-6][: len(shape)]
    img = ni.read_image(lab, voxel_size=h, phases={0: "A", 1: "B"})
    d = ni.image_domain(img, axis="x")
    assert d.mesh.nelements == lab.size * (2 if len(shape) == 2 else 6)
    assert set(d.region_names) == {"A", "B"}
    assert d.volume() == pytest.approx(float(np.prod(img.extent)))
    assert d.volume_fractions()["B"] == pytest.approx(img.fractions()["B"])
    for name in ("xmin", "xmax", "ymin", "anode", "cathode", "A|B"):
        assert d.facets(name).size > 0
    assert d.facet_measure("anode") == pytest.approx(float(np.prod(img.extent)) / img.extent[0])


def test_fem_on_the_voxel_mesh_matches_the_voxel_solver_on_layers():
    lab = np.zeros((8, 3, 3), np.uint8)
    lab[2:5] = 1
    img = ni.read_image(lab, voxel_size=1e-6, phases={0: "A", 1: "B"})
    fv = ni.solve_voxels(img, {"A": 1.0, "B": 4.0}, axis="x").effective_conductivity
    d = ni.image_domain(img, axis="x")
    fem = solve_conduction(d, {"A": 1.0, "B": 4.0}, voltage=1.0).effective_conductivity
    assert fem == pytest.approx(fv, rel=1e-10)
    assert fv == pytest.approx(1 / (5 / 8 + 3 / 8 / 4), rel=1e-12)


def test_voxel_solution_writes_vtu(tmp_path):
    import pyvista as pv

    img = ni.random_spheres_image((8, 8, 8), 1e-7, fraction=0.2, radius=2e-7, seed=0)
    sol = ni.solve_voxels(img, {"matrix": 1.0, "particles": 5.0}).to_solution()
    p = sol.to_vtu(tmp_path / "v.vtu")
    grid = pv.read(p)
    assert grid.n_cells == 8 ** 3 * 6
    assert np.all(np.isfinite(grid.cell_data["phi [V]"]))


def test_thin_layers_cannot_be_meshed():
    img = ni.read_image(np.eye(6, dtype=np.uint8), voxel_size=1e-6, phases={0: "A", 1: "B"})
    img = ni.add_interphase(img, around="B", thickness=0.1e-6)
    with pytest.raises(ni.ImageError, match="cannot mesh the sub-voxel"):
        ni.image_domain(img)


def test_study_result_files_are_written_as_bytes(tmp_path):
    from ntransport.errors import ResultError
    from ntransport.io.tables import SummaryTable
    from ntransport.studies.result import StudyResult

    r = StudyResult("x", SummaryTable(), files={"stack.tif": ni.tiff_bytes(np.eye(3, dtype=np.uint8))})
    paths = r.save(tmp_path)
    assert (tmp_path / "stack.tif").read_bytes()[:2] in (b"II", b"MM")
    assert tmp_path / "stack.tif" in paths
    with pytest.raises(ResultError, match="must be bytes"):
        StudyResult("x", SummaryTable(), files={"a.txt": "text"})


@pytest.mark.parametrize("contrast, coarsening", [(1e5, "classical"), (4.0, "aggregation")])
def test_voxel_solver_amg_coarsens_where_aggregation_fills_in_and_matches_the_direct_solve(
        contrast, coarsening, monkeypatch):
    """Above the direct limit the image's voxel solver takes the default AMG, whose "auto"
    coarsening turns classical on a 3D two-phase image with a high contrast (aggregation
    fills in there); its answer is the direct solve's to the AMG's tolerance."""
    import ntransport.solve.linear as lin

    lab = (np.random.default_rng(2).random((24, 22, 22)) < 0.4).astype(np.uint8)
    img = ni.read_image(lab, voxel_size=1e-6, phases={0: "A", 1: "B"})
    sigma = {"A": 1.0, "B": contrast}
    made = []
    real = lin.make_solver
    monkeypatch.setattr("ntransport.image.solve.make_solver",
                        lambda *a, **kw: made.append(real(*a, **kw)) or made[-1])
    amg = ni.solve_voxels(img, sigma, axis="x")
    assert [s.hierarchies for s in made] == [[coarsening]]
    direct = ni.solve_voxels(img, sigma, axis="x", solver="direct")
    assert amg.effective_conductivity == pytest.approx(direct.effective_conductivity, rel=1e-7)
