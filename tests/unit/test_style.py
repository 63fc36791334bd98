"""The one figure style: maps (2D, 3D slices, log, diverging), round-off not stretched,
regions labelled, streamlines, GIF bytes; the one line sampler; tidy tables."""

import numpy as np
import pytest
import skfem

from ntransport.geometry import Domain
from ntransport.io import style
from ntransport.io.tables import DataTable, Row, SummaryTable, display_unit, format_value
from ntransport.post.profiles import sample_line


def _domain(nx=6, ny=4, width=20e-6, height=12e-6):
    m = skfem.MeshTri.init_tensor(np.linspace(0, width, nx + 1), np.linspace(0, height, ny + 1))
    c = m.p[:, m.t].mean(axis=1)
    low = np.nonzero(c[1] < height / 2)[0]
    high = np.nonzero(c[1] >= height / 2)[0]
    return Domain.from_arrays(m.p.T, m.t.T, {"bottom": low, "top": high})


def _box3d(n=4, L=4e-6):
    m = skfem.MeshTet.init_tensor(*(np.linspace(0, L, n + 1),) * 3)
    c = m.p[:, m.t].mean(axis=1)
    return Domain.from_arrays(m.p.T, m.t.T, {"a": np.nonzero(c[2] < L / 2)[0],
                                             "b": np.nonzero(c[2] >= L / 2)[0]})


def _png_ok(path, min_colours=20):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 150 and img.shape[1] > 150
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


def test_color_limits_never_stretch_round_off():
    lo, hi = style.color_limits(1.0 + 1e-13 * np.random.default_rng(0).standard_normal(50))
    assert hi - lo == pytest.approx(2e-3, rel=1e-6)  # +-0.1 % window around the value
    assert style.color_limits([0.0, 2.0]) == (0.0, 2.0)
    assert style.color_limits([-1.0, 3.0], kind="diverging") == (-3.0, 3.0)
    lo, hi = style.color_limits([1e-12, 1e-3, 10.0], kind="log")
    assert hi == 10.0 and lo == pytest.approx(1e-5)  # at most 6 decades below the max


def test_field_map_point_cell_log_and_regions(tmp_path):
    d = _domain()
    x, y = d.mesh.p
    fig, axes = style.new_figure(3)
    style.field_map(axes[0], d, x * 1e5, label="φ [V]")
    style.field_map(axes[1], d, np.arange(d.mesh.nelements) + 1.0, label="n [1]", kind="log")
    style.field_map(axes[2], d, (x - 10e-6) * 1e5, label="s [1]")  # auto -> diverging
    assert axes[0].get_xlabel() == "x [µm]"
    texts = {t.get_text() for t in axes[0].texts}
    assert {"bottom", "top"} <= texts  # regions labelled by name
    assert axes[2].collections[0].get_cmap().name == style.CMAPS["diverging"]
    _png_ok(style.save(fig, tmp_path / "maps.png"))
    with pytest.raises(ValueError, match="one entry per node"):
        style.field_map(axes[0], d, np.zeros(3))
    with pytest.raises(ValueError, match="kind must be"):
        style.field_map(axes[0], d, x, kind="rainbow")


def test_field_map_slices_3d_domains(tmp_path):
    d = _box3d()
    fig, (ax,) = style.new_figure(1)
    style.field_map(ax, d, d.mesh.p[2] * 1e6, label="z [µm]", axis="y")
    assert ax.get_xlabel() == "x [µm]" and ax.get_ylabel() == "z [µm]"
    _png_ok(style.save(fig, tmp_path / "slice.png"))


def test_streamlines_profiles_bars_and_gif(tmp_path):
    d = _domain()
    fig, axes = style.new_figure(3)
    style.field_map(axes[0], d, d.mesh.p[0], label="x")
    j = np.tile([1.0, 0.2], (d.mesh.nelements, 1))
    assert style.streamlines(axes[0], d, j) is not None
    style.line_plot(axes[1], {"a": ([0, 1], [0, 1]), "b": ([0, 1], [1, 0])}, xlabel="s [µm]",
                    ylabel="φ [V]", boundaries={"a": [0.5]})
    style.stacked_bars(axes[2], {"PEO": {"PEO": 6.3}, "PLM": {"MOF": 0.2, "PE": 13.8}},
                       xlabel="mV")
    _png_ok(style.save(fig, tmp_path / "misc.png"), min_colours=5)

    f, (a,) = style.new_figure(1)
    data = style.gif(f, lambda k: style.field_map(a, d, d.mesh.p[0] * (k + 1), label="x",
                                                  vmin=0, vmax=3 * 20e-6), 3)
    assert data[:6] in (b"GIF89a", b"GIF87a") and len(data) > 1000


def test_streamlines_of_a_needle_thin_strip_stay_on_a_bounded_grid():
    """A 2e-11 m wide, 5.6 um tall strip (a perturbed case file's width) asked the
    interpolation grid for 20 x 5.6e6 points: 854 MB, a MemoryError after the solve."""
    import tracemalloc

    d = _domain(nx=2, ny=8, width=2e-11, height=5.6e-6)
    fig, (ax,) = style.new_figure(1)
    j = np.tile([0.0, 1.0], (d.mesh.nelements, 1))
    tracemalloc.start()
    style.streamlines(ax, d, j)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6
    style._plt().close(fig)


def _drawn(fig):
    """*fig* drawn in full, quantised to a palette as the GIF frames are."""
    from PIL import Image

    fig.canvas.draw()
    im = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    style._plt().close(fig)
    return np.asarray(im.convert("P", palette=Image.ADAPTIVE, colors=255).convert("RGB"),
                      dtype=int)


def _moving_front(d, k):
    x, y = d.mesh.p
    return 0.5 * (1 - np.tanh((y - (3 + 2 * k) * 1e-6 - 1e-6 * np.cos(x / 3e-6)) / 0.6e-6))


def _mismatch(a, b):
    """Fraction of pixels whose colour differs by more than 40 of 255 in a channel."""
    return float(np.mean(np.abs(a - b).max(axis=2) > 40))


def test_gif_frames_drawn_on_a_background_match_full_redraws():
    # later frames draw only their maps, contours, spines and titles on a rendered
    # background; they must look like the same frame drawn from scratch (titles present
    # and placed, spines on top of the maps, tick labels not drawn twice)
    d = _domain(30, 20)

    def make():
        return style.new_figure(2, ncols=2, panel=(3.0, 2.4))

    def drawer(axes):
        def draw(k):
            for j, ax in enumerate(axes):
                v = _moving_front(d, k)
                style.field_map(ax, d, v, label="ξ", vmin=0, vmax=1, colorbar=False,
                                title=f"run {j}: t = {0.25 * k:.3g} s")
                ax.tricontour(d.mesh.p[0] * 1e6, d.mesh.p[1] * 1e6, d.mesh.t.T, v,
                              levels=[0.5], colors="white")
        return draw

    fig, axes = make()
    frames = style.gif_frames(style.gif(fig, drawer(axes), 4))
    assert len(frames) == 4
    for k, frame in enumerate(frames):
        fig, axes = make()
        drawer(axes)(k)
        ref = _drawn(fig)
        assert frame.shape == ref.shape
        assert _mismatch(frame, ref) < 2e-3, k
    assert _mismatch(frames[0], frames[3]) > 0.02  # the frames do change


def test_gif_blits_beside_a_shared_colour_bar(monkeypatch):
    # a colour bar's axes has its ticks inside its area; frames draw nothing there, so
    # the maps are still drawn on a background (one full draw, not one per frame: the
    # deposition GIFs took 4.4 s each drawn in full) and look like full redraws
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    d = _domain(30, 20)

    def make():
        fig, axes = style.new_figure(2, ncols=2, panel=(3.0, 2.4))
        fig.colorbar(ScalarMappable(Normalize(0, 1), cmap=style.CMAPS["sequential"]),
                     ax=axes, shrink=0.85).set_label("ξ")
        return fig, axes

    def drawer(axes):
        def draw(k):
            for ax in axes:
                style.field_map(ax, d, _moving_front(d, k), vmin=0, vmax=1, colorbar=False,
                                regions=False, kind="sequential", title=f"t = {k}")
        return draw

    backgrounds = []
    real = style._background
    monkeypatch.setattr(style, "_background", lambda *a: backgrounds.append(1) or real(*a))
    fig, axes = make()
    frames = style.gif_frames(style.gif(fig, drawer(axes), 3))
    assert backgrounds == [1]
    for k, frame in enumerate(frames):
        fig, axes = make()
        drawer(axes)(k)
        assert _mismatch(frame, _drawn(fig)) < 2e-3, k
    assert _mismatch(frames[0], frames[2]) > 0.02


def test_gif_redraws_frames_that_change_limits_and_removes_figure_artists():
    d = _domain(12, 8)

    def make():  # fixed axes position (no layout engine), so a fresh figure is a reference
        f = style._plt().figure(figsize=(4.0, 3.2))
        return f, f.add_axes((0.15, 0.15, 0.6, 0.75))

    def drawer(f, a, seen):
        def draw(k):
            seen.append(len(f.texts))  # the previous frame's figure text must be gone
            style.field_map(a, d, _moving_front(d, k), label="ξ", vmin=0, vmax=1,
                            colorbar=False, title=f"t = {k}")
            a.set_ylim(0, 12 - 2 * k)  # the view changes every frame [µm]
            f.text(0.5, 0.02, f"frame {k}", ha="center")
        return draw

    seen = []
    f, a = make()
    frames = style.gif_frames(style.gif(f, drawer(f, a, seen), 3))
    assert seen == [0, 0, 0]
    for k, frame in enumerate(frames):
        f, a = make()
        drawer(f, a, [])(k)
        assert _mismatch(frame, _drawn(f)) < 2e-3, k


def test_summary_table_units_and_formatting(tmp_path):
    t = SummaryTable().add_si("PEO", "effective_conductivity", 0.01, "S/m")
    t = t.add_si("PEO", "ASR", 1.26e-3, "ohm m2").add("PEO", "voltage_loss", 1e-3, "V", "PEO")
    t = t + SummaryTable([Row("PLM", "x", 2.0, "1")])
    assert t.row("PEO", "effective_conductivity").unit == "mS/cm"
    assert t.value("PEO", "effective_conductivity") == pytest.approx(0.1)
    assert t.value("PEO", "ASR") == pytest.approx(12.6)
    assert display_unit("A/m2") == ("mA/cm²", 0.1) and display_unit("K") == ("K", 1.0)
    assert format_value(9.999999999999999e-05) == "0.0001"
    back = SummaryTable.from_csv(t.to_csv(tmp_path / "s.csv"))
    assert back.value("PEO", "ASR") == pytest.approx(12.6, rel=1e-10)
    with pytest.raises(KeyError, match="0 rows"):
        t.value("PEO", "nothing")
    with pytest.raises(ValueError, match="non-finite"):
        t.add("PEO", "bad", float("nan"), "1")
    with pytest.raises(ValueError, match="has no unit"):
        t.add("PEO", "bad", 1.0, "")
    table = DataTable({"case": ["a", "b"], "x [µm]": [1.0, 2.0]})
    assert table.to_csv(tmp_path / "d.csv").read_text(encoding="utf-8").splitlines()[0] == \
        "case,x [µm]"
    with pytest.raises(Exception, match=r"name \[unit\]"):
        DataTable({"x": [1.0]})


def test_region_labels_of_dispersed_regions_do_not_cover_each_other():
    """Matrix, particles and their shells all have their centroid in the middle of the
    box (labelled at the nearest element of each, the three labels fell within 0.03 of
    each other); each label still sits on its own region, and their boxes do not overlap."""
    x, y = (a.ravel() for a in np.meshgrid(np.linspace(0, 1, 121), np.linspace(0, 1, 121)))
    centres = np.array([[0.5, 0.5], [0.2, 0.2], [0.8, 0.2], [0.2, 0.8], [0.8, 0.8]])
    d = np.sqrt(((np.c_[x, y][:, None] - centres) ** 2).sum(axis=-1)).min(axis=1)
    region = np.where(d < 0.1, 1, np.where(d < 0.13, 2, 0))
    names = ["matrix", "particles", "shells"]
    pos = list(style.label_positions(x, y, region, names))
    assert [p[2] for p in pos] == names
    for px, py, name in pos:  # on an element of its region
        k = np.argmin((x - px) ** 2 + (y - py) ** 2)
        assert region[k] == names.index(name)
    for i in range(3):  # estimated label boxes (0.02 per character, 0.06 high) apart
        for j in range(i + 1, 3):
            (xi, yi, ni), (xj, yj, nj) = pos[i], pos[j]
            assert abs(xi - xj) >= 0.01 * (len(ni) + len(nj)) or abs(yi - yj) >= 0.06


def test_a_cut_through_element_faces_is_moved_into_one_element_layer():
    """The default cut of a box with an even number of element layers lies exactly on
    element faces; it used to take triangles (and regions) from both sides, and the
    zero-area ones drew stray region outlines (percolation current_map.png). Here the
    half x < L/2 holds region "a" in one quadrant, the half x > L/2 is all "b": the cut
    must see one side only, with no degenerate triangle."""
    L = 4e-6
    m = skfem.MeshTet.init_tensor(*(np.linspace(0, L, 5),) * 3)
    c = m.p[:, m.t].mean(axis=1)
    a = (c[0] < L / 2) & (c[1] < L / 2)
    d = Domain.from_arrays(m.p.T, m.t.T, {"a": np.nonzero(a)[0], "b": np.nonzero(~a)[0]})
    tri, _, _, reg, names = style._triangulation(d, d.mesh.p[0], axis="x")
    assert names == ("y", "z")
    assert set(np.unique(reg)) == {d.region_names.index("b")}
    xy = np.c_[tri.x, tri.y][tri.triangles]
    u, v = xy[:, 1] - xy[:, 0], xy[:, 2] - xy[:, 0]
    area = 0.5 * np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
    assert area.min() > 1e-6 * area.max()
    np.testing.assert_allclose(area.sum(), (L * 1e6) ** 2, rtol=1e-12)
    # an origin inside an element layer is kept as given
    tri2, *_ = style._triangulation(d, d.mesh.p[0], axis="x", origin=(1.3e-6, 0, 0))
    assert len(tri2.triangles) > 0


def test_contour_is_exact_for_a_linear_field_and_shares_the_maps_triangulation():
    d = _domain(8, 6)
    fig, (ax,) = style.new_figure(1)
    style.field_map(ax, d, d.mesh.p[0], label="x")
    cs = style.contour(ax, d, d.mesh.p[0], 7.3e-6, colors="white")
    xy = np.concatenate([p.vertices for p in cs.get_paths()])
    np.testing.assert_allclose(xy[:, 0], 7.3, rtol=1e-12)  # µm; x is linear on P1
    assert np.ptp(xy[:, 1]) == pytest.approx(12.0)  # across the whole 12 µm height
    # one Triangulation per mesh, for maps and contours of every frame
    assert style._triangulation(d, d.mesh.p[0])[0] is style._triangulation(d, d.mesh.p[1])[0]
    assert style.contour(ax, d, d.mesh.p[0], 30e-6) is None  # no level inside the range
    with pytest.raises(ValueError, match="nodal"):
        style.contour(ax, d, np.zeros(d.mesh.nelements), 0.0)
    style._plt().close(fig)


def test_outer_labels_keep_the_labels_of_the_outer_panels_of_a_map_grid():
    """A 3 x 3 grid with the lower-right panel hidden (a column with fewer maps): x labels
    stay on the lowest *visible* panel of each column, y labels on the first column."""
    d = _domain()
    fig, axes = style.new_figure(9, ncols=3)
    for ax in axes:
        style.field_map(ax, d, d.mesh.p[0], colorbar=False)
    axes[8].set_visible(False)
    style.outer_labels(axes)
    for k, ax in enumerate(axes[:8]):
        r, c = divmod(k, 3)
        assert bool(ax.get_xlabel()) == (r == 2 or k == 5), k
        assert ax.xaxis.get_tick_params()["labelbottom"] == (r == 2 or k == 5), k
        assert bool(ax.get_ylabel()) == (c == 0), k
        assert ax.yaxis.get_tick_params()["labelleft"] == (c == 0), k
    style._plt().close(fig)


def test_outer_labels_keep_the_labels_of_maps_of_another_box():
    """Two maps side by side of boxes of different heights: the right one keeps its y
    labels (its y range differs); stacked maps of different widths keep their x labels."""
    fig, axes = style.new_figure(2, ncols=2)
    style.field_map(axes[0], _domain(), _domain().mesh.p[0], colorbar=False)
    tall = _domain(height=20e-6)
    style.field_map(axes[1], tall, tall.mesh.p[0], colorbar=False)
    style.outer_labels(axes)
    assert axes[1].get_ylabel() and axes[1].yaxis.get_tick_params()["labelleft"]
    style._plt().close(fig)
    fig, axes = style.new_figure(2, ncols=1)
    wide = _domain(width=30e-6)
    style.field_map(axes[0], wide, wide.mesh.p[0], colorbar=False)
    style.field_map(axes[1], _domain(), _domain().mesh.p[0], colorbar=False)
    style.outer_labels(axes)
    assert axes[0].get_xlabel() and axes[0].xaxis.get_tick_params()["labelbottom"]
    style._plt().close(fig)


def _line_figure():
    fig, (ax,) = style.new_figure(1)
    style.line_plot(ax, {"a": (np.arange(5.0), np.arange(5.0) ** 2)}, xlabel="x [µm]",
                    ylabel="y [1]", title="a line")
    return fig


def test_a_figure_rendered_ahead_is_written_as_the_figure_itself_would_be(tmp_path):
    """style.png renders what style.save writes (a worker renders, the output layer
    writes): the same bytes, a real PNG, and save writes a PNG as is."""
    rendered = style.png(_line_figure())
    assert isinstance(rendered, style.PNG) and rendered[:8] == b"\x89PNG\r\n\x1a\n"
    assert rendered._repr_png_() == bytes(rendered)  # notebooks show it inline
    direct = style.save(_line_figure(), tmp_path / "direct.png")
    assert direct.read_bytes() == bytes(rendered)
    again = style.save(rendered, tmp_path / "sub" / "again.png")
    assert again.read_bytes() == bytes(rendered)
    _png_ok(again, min_colours=5)


def test_figures_are_not_kept_by_pyplot():
    """A study's figures belong to its result, not to pyplot's global list: 30 of them
    leave pyplot's list as it was and raise no "more than 20 figures" warning, and a
    figure dropped by its owner is garbage (no reference left anywhere)."""
    import gc
    import warnings
    import weakref

    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figs = [style.new_figure(2)[0] for _ in range(30)]
    assert plt.get_fignums() == before
    ref = weakref.ref(figs[0])
    del figs
    gc.collect()
    assert ref() is None
