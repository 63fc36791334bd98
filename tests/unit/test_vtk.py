"""VTU/PVD output opens in pyvista and meshio with the named, unit-carrying arrays."""
import xml.etree.ElementTree as ET

import meshio
import numpy as np
import pytest
import pyvista as pv
import skfem

from ntransport.geometry import Domain
from ntransport.io.vtk import PVDWriter, write_vtu
from ntransport.solve.conduction import solve_conduction


def two_layers(dim):
    Mesh = skfem.MeshTri if dim == 2 else skfem.MeshTet
    m = Mesh.init_tensor(*([np.linspace(0, 1e-6, 4)] * (dim - 1) + [np.linspace(0, 2e-6, 5)]))
    z = m.p[-1, m.t].mean(axis=0)
    fz = m.p[-1, m.facets].mean(axis=0)
    b = m.boundary_facets()
    fg = {"anode": m.facets[:, b[np.isclose(fz[b], 0)]].T,
          "cathode": m.facets[:, b[np.isclose(fz[b], 2e-6)]].T}
    return Domain.from_arrays(m.p.T, m.t.T, {"PEO": np.nonzero(z < 1e-6)[0],
                                             "LLZO": np.nonzero(z > 1e-6)[0]}, fg)


@pytest.mark.parametrize("dim", [2, 3])
def test_conduction_result_to_vtk_opens_with_named_arrays(tmp_path, dim):
    d = two_layers(dim)
    res = solve_conduction(d, {"PEO": 0.01, "LLZO": 0.1}, voltage=1.0)
    path = res.to_vtu(tmp_path / "cond")  # suffix added
    assert path.name == "cond.vtu"
    grid = pv.read(path)
    assert grid.n_points == d.mesh.nvertices and grid.n_cells == d.mesh.nelements
    assert np.allclose(grid.point_data["phi [V]"], res.potential)
    j = grid.cell_data["j [A m-2]"]
    assert j.shape == (d.mesh.nelements, 3)  # 2D vectors padded to 3 components for ParaView
    assert np.allclose(j[:, :dim], res.current_density.T)
    assert np.array_equal(grid.cell_data["subdomain"], d.region)
    assert np.allclose(grid.cell_data["sigma [S/m]"], res.conductivity)
    assert set(grid.cell_data) >= {"subdomain", "j [A m-2]", "|j| [A m-2]", "sigma [S/m]"}
    # ParaView users see the subdomain names, not integers
    assert list(grid.field_data["subdomain_names"]) == list(d.region_names)
    assert list(grid.cell_data["subdomain_name"][:1]) == [d.region_names[d.region[0]]]


def test_write_vtu_accepts_both_vector_layouts_and_rejects_wrong_sizes(tmp_path):
    d = two_layers(2)
    v = np.arange(2 * d.mesh.nvertices, dtype=float).reshape(2, -1)
    p1 = write_vtu(tmp_path / "a.vtu", d, point_data={"u [m s-1]": v})
    p2 = write_vtu(tmp_path / "b.vtu", d, point_data={"u [m s-1]": v.T})
    assert np.array_equal(pv.read(p1).point_data["u [m s-1]"], pv.read(p2).point_data["u [m s-1]"])
    with pytest.raises(ValueError, match=r"point_data 'c \[mol m-3\]' has 3 values, expected"):
        write_vtu(tmp_path / "c.vtu", d, point_data={"c [mol m-3]": np.ones(3)})
    with pytest.raises(ValueError, match=r"cell_data 'x' has shape \(4, 4\)"):
        write_vtu(tmp_path / "c.vtu", d, cell_data={"x": np.ones((4, 4))})


def test_pvd_lists_every_step_in_order(tmp_path):
    d = two_layers(2)
    times = [0.0, 0.5, 2.0]
    with PVDWriter(tmp_path / "run" / "series") as pvd:
        for t in times:
            pvd.add(t, d, point_data={"c [mol m-3]": np.full(d.mesh.nvertices, 1000.0 + t)})
    assert pvd.path.name == "series.pvd"
    sets = ET.parse(pvd.path).getroot().findall("./Collection/DataSet")
    assert [float(s.get("timestep")) for s in sets] == times
    for k, s in enumerate(sets):
        f = pvd.path.parent / s.get("file")
        assert f.exists()
        assert np.allclose(pv.read(f).point_data["c [mol m-3]"], 1000.0 + times[k])
    reader = pv.get_reader(pvd.path)
    assert reader.time_values == times


def test_pvd_rejects_non_increasing_time(tmp_path):
    d = two_layers(2)
    with PVDWriter(tmp_path / "s.pvd") as pvd:
        pvd.add(1.0, d)
        with pytest.raises(ValueError, match=r"times must increase: got t=1.0 after t=1.0"):
            pvd.add(1.0, d)
