"""Figures (PNG written, sane pixels), line sampling (exact for P1), summary tables."""
import numpy as np
import pytest
import skfem

from ntransport.geometry import Domain
from ntransport.io.figures import (plot_map, plot_profile, plot_stacked_bars, plot_streamlines,
                                   sample_line)
from ntransport.io.tables import Row, SummaryTable


def _domain(nx=6, ny=4, width=20e-6, height=12e-6):
    m = skfem.MeshTri.init_tensor(np.linspace(0, width, nx + 1), np.linspace(0, height, ny + 1))
    c = m.p[:, m.t].mean(axis=1)
    low = np.nonzero(c[1] < height / 2)[0]
    high = np.nonzero(c[1] >= height / 2)[0]
    return Domain.from_arrays(m.p.T, m.t.T, {"bottom": low, "top": high})


def _png_ok(path, min_colours=20):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) >= min_colours  # a colour map, not a blank canvas
    return img


def test_sample_line_is_exact_for_linear_fields():
    d = _domain()
    x, y = d.mesh.p
    u = 3.0 + 2e5 * x - 1e5 * y          # P1 interpolates a linear field exactly
    s, v = sample_line(d, u, [0.0, 0.0], [20e-6, 12e-6], 37)
    assert s[0] == 0.0 and s[-1] == pytest.approx(np.hypot(20e-6, 12e-6), rel=1e-14)
    t = np.linspace(0, 1, 37)
    exact = 3.0 + 2e5 * 20e-6 * t - 1e5 * 12e-6 * t
    # end samples sit 1e-12 of the length inside: error <= |grad u| L 1e-12 ~ 1e-11
    assert np.abs(v - exact).max() < 1e-10


def test_sample_line_bad_input():
    d = _domain()
    u = np.zeros(d.mesh.nvertices)
    with pytest.raises(ValueError, match=r"one value per mesh node \(35\), got shape \(3,\)"):
        sample_line(d, np.zeros(3), [0, 0], [1e-6, 1e-6])
    with pytest.raises(ValueError, match="leaves the mesh"):
        sample_line(d, u, [0, 0], [30e-6, 0])
    with pytest.raises(ValueError, match="n must be >= 2"):
        sample_line(d, u, [0, 0], [1e-6, 0], n=1)
    with pytest.raises(ValueError, match="2-vectors in metres"):
        sample_line(d, u, [0, 0, 0], [1e-6, 0, 0])


def test_plot_map_point_cell_and_vector_data(tmp_path):
    d = _domain()
    phi = d.mesh.p[1] * 1e3
    phi_before = phi.copy()
    out = plot_map(d, phi, tmp_path / "phi.png", title="potential", label="phi [mV]")
    assert out.exists()
    _png_ok(out)
    assert np.array_equal(phi, phi_before)                     # inputs never mutated
    cell = np.arange(d.mesh.nelements, dtype=float) + 1.0
    _png_ok(plot_map(d, cell, tmp_path / "cell.png", log=True, cmap="inferno"))
    vec = np.vstack([np.ones(d.mesh.nelements), cell])
    _png_ok(plot_map(d, vec, tmp_path / "vec.png", label="|j| [A/m2]"))


def test_uniform_field_is_not_drawn_as_noise():
    from ntransport.io.figures import _robust_clim

    v = 5.0 + 1e-12 * np.arange(10.0)          # uniform up to round-off
    assert _robust_clim(v) == pytest.approx((4.95, 5.05), rel=1e-12)
    assert _robust_clim(np.zeros(3)) == (-1.0, 1.0)
    assert _robust_clim(np.array([1.0, 3.0])) == (1.0, 3.0)


def test_plot_map_errors(tmp_path):
    d = _domain()
    with pytest.raises(ValueError, match=r"one entry per node \(35\) or per element \(48\)"):
        plot_map(d, np.zeros(7), tmp_path / "x.png")
    with pytest.raises(ValueError, match="log=True needs values > 0"):
        plot_map(d, np.zeros(d.mesh.nvertices), tmp_path / "x.png", log=True)


def test_plot_profile_and_streamlines(tmp_path):
    x = np.linspace(0, 12, 50)
    out = plot_profile({"A": (x, 10 - x / 2), "B": (x, 10 - x ** 2 / 14.4)},
                       tmp_path / "p.png", ylabel="phi [mV]", boundaries={"A": [3.0, 10.0]})
    _png_ok(out, min_colours=5)
    with pytest.raises(ValueError, match="profiles is empty"):
        plot_profile({}, tmp_path / "e.png")
    d = _domain()
    j = np.vstack([0.2 * np.ones(d.mesh.nelements), np.ones(d.mesh.nelements)])
    _png_ok(plot_streamlines(d, j, tmp_path / "s.png", background=d.mesh.p[1], label="y"),
            min_colours=5)
    with pytest.raises(ValueError, match=r"must have shape \(2, 48\)"):
        plot_streamlines(d, j.T, tmp_path / "s.png")


def test_plot_stacked_bars(tmp_path):
    data = {"PEO": {"PEO": 6.3}, "PLM": {"MOF": 0.18, "PE": 13.8, "LLZO": 0.035}}
    _png_ok(plot_stacked_bars(data, tmp_path / "b.png", xlabel="mV"), min_colours=5)
    with pytest.raises(ValueError, match=r"PLM/PE is negative"):
        plot_stacked_bars({"PLM": {"PE": -1.0}}, tmp_path / "c.png")
    with pytest.raises(ValueError, match="data is empty"):
        plot_stacked_bars({}, tmp_path / "c.png")


def test_summary_table_roundtrip_and_errors(tmp_path):
    t = SummaryTable().add("PEO", "effective_conductivity", 0.01, "S/m")
    t = t.add("PEO", "voltage_loss", 1e-3, "V", "PEO") + SummaryTable([Row("PLM", "x", 2.0, "1")])
    assert len(t) == 3 and t.value("PEO", "voltage_loss", "PEO") == 1e-3
    back = SummaryTable.from_csv(t.to_csv(tmp_path / "s.csv"))
    assert back == t                                      # full float precision kept
    assert "| PEO | effective_conductivity |  | 0.01 | S/m |" in t.to_markdown()
    with pytest.raises(KeyError, match="0 rows"):
        t.value("PEO", "nothing")
    with pytest.raises(ValueError, match="non-finite"):
        t.add("PEO", "bad", float("nan"), "1")
