"""Solution: the one result type -- lookups, time interpolation, round trips, NaN refusal."""
import numpy as np
import pytest

import ntransport as nt
from ntransport.errors import ResultError
from ntransport.solution import Frame, Solution, split_key


@pytest.fixture(scope="module")
def stack():
    return nt.geometry.layered_stack([("LLZO", 1e-6), ("PEO", 4e-6)], width=4e-6)


def _transient(domain, n=4):
    x = domain.mesh.p[0]
    frames = [Frame(t, domain, {"c_Li+ [mol m-3]": 1000.0 + t * x * 1e6, "phi [V]": t * x},
                    {"j [A m-2]": np.full((domain.mesh.nelements, 2), t)})
              for t in np.linspace(0.0, 1.0, n)]
    hist = {"t [s]": np.linspace(0, 1, 7), "V_cell [V]": np.linspace(0, 0.1, 7)}
    return Solution(frames, histories=hist, scalars={"sigma_eff [S/m]": 0.01,
                                                     "loss [V]": {"PEO": 0.1, "LLZO": 0.01}},
                    model="npp", info={"dt [s]": 0.1})


def test_keys_carry_units_and_lookups_accept_bare_names(stack):
    sol = _transient(stack)
    assert split_key("c_Li+ [mol m-3]") == ("c_Li+", "mol m-3")
    assert np.array_equal(sol["c_Li+"], sol["c_Li+ [mol m-3]"])
    assert sol.unit("phi") == "V"
    with pytest.raises(KeyError, match="Did you mean 'phi"):
        sol["ph"]
    with pytest.raises(ResultError, match=r"must be 'name \[unit\]'"):
        Frame(0.0, stack, {"phi": np.zeros(stack.mesh.nvertices)})


def test_nan_is_refused_where_it_arises(stack):
    bad = np.zeros(stack.mesh.nvertices)
    bad[3] = np.nan
    with pytest.raises(ResultError, match=r"'phi \[V\]' holds 1 non-finite"):
        Frame(0.0, stack, {"phi [V]": bad})
    with pytest.raises(ResultError, match="non-finite"):
        Solution([Frame(0.0, stack)], scalars={"x [1]": float("inf")})


def test_at_interpolates_linearly_between_frames(stack):
    sol = _transient(stack)
    x = stack.mesh.p[0]
    f = sol.at(0.5)
    assert f.t == 0.5
    assert np.allclose(f["phi"], 0.5 * x, rtol=0, atol=1e-18)
    assert np.array_equal(sol.at(1.0)["phi"], sol["phi"])
    with pytest.raises(ValueError, match="outside the solution's times"):
        sol.at(2.0)
    assert sol.series("phi").shape == (4, stack.mesh.nvertices)


def test_xarray_round_trip_gives_the_same_fields(stack, tmp_path):
    sol = _transient(stack)
    ds = sol.to_xarray()
    assert ds["c_Li+"].attrs["units"] == "mol m-3"
    back = Solution.from_xarray(ds)
    assert back.model == "npp" and np.array_equal(back.times, sol.times)
    for a, b in zip(sol.frames, back.frames):
        for k in a.keys:
            assert np.array_equal(a[k], b[k]), k
    assert back.domain.region_names == stack.region_names
    assert set(back.domain.boundaries) == set(stack.boundaries)
    assert np.array_equal(back.history("V_cell"), sol.history("V_cell"))
    assert back.scalars["loss [V]"]["PEO"] == 0.1
    # and through a NetCDF file (scipy engine: no HDF5 needed)
    import xarray as xr

    ds.to_netcdf(tmp_path / "s.nc", engine="scipy")
    with xr.open_dataset(tmp_path / "s.nc", engine="scipy") as ds2:
        again = Solution.from_xarray(ds2.load())
    assert np.array_equal(again["phi"], sol["phi"])


def test_pvd_opens_in_pyvista_with_region_names_and_units(stack, tmp_path):
    import pyvista as pv

    sol = _transient(stack)
    path = sol.to_pvd(tmp_path, name="run", length_unit="um")
    reader = pv.get_reader(str(path))
    assert np.allclose(reader.time_values, sol.times)
    reader.set_active_time_value(sol.times[-1])
    grid = reader.read()[0]
    assert "c_Li+ [mol m-3]" in grid.point_data and "j [A m-2]" in grid.cell_data
    assert list(grid.field_data["subdomain_names"]) == ["LLZO", "PEO"]
    names = set(grid.cell_data["subdomain_name"])
    assert names == {"LLZO", "PEO"}
    # micrometre coordinates when asked
    assert grid.points[:, 0].max() == pytest.approx(4.0)


def test_summary_quotes_researcher_units(stack):
    sol = _transient(stack)
    tab = sol.summary("cell")
    assert tab.row("cell", "sigma_eff").unit == "mS/cm"
    assert tab.value("cell", "sigma_eff") == pytest.approx(0.1)
    assert tab.value("cell", "loss", "PEO") == pytest.approx(0.1)


def test_solution_is_read_only(stack):
    sol = _transient(stack)
    with pytest.raises(AttributeError, match="read-only"):
        sol.model = "x"
    with pytest.raises(ValueError):
        sol["phi"][0] = 1.0


def test_plot_returns_a_figure(stack):
    sol = _transient(stack)
    fig = sol.plot(["c_Li+", "j"], t=0.5)
    assert len(fig.axes) >= 2
    import matplotlib.pyplot as plt

    plt.close(fig)
