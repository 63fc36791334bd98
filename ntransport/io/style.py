"""The one figure style of ntransport: every PNG and GIF a study writes is drawn here.

House rules (ARCHITECTURE.md): lengths in µm; perceptual colour maps -- ``viridis`` for
sequential fields, ``coolwarm`` (Moreland's diverging map) centred on zero for signed
fields, ``magma`` on a log scale for magnitudes that span decades (current densities);
regions outlined and labelled by name; a colour range is never stretched over round-off
(a field uniform to 1e-9 shows as one colour, with its value on the colour bar); tight
margins; 150 dpi.

Maps of 3D domains show a planar slice (default: the mid-plane normal to z) through
the same code path.

Matplotlib (Agg) is imported inside the functions, never at module import.
"""
from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["new_figure", "save", "png", "PNG", "DRAWING", "field_map", "add_colorbar",
           "outer_labels", "streamlines", "line_plot", "bar_plot", "stacked_bars",
           "plot_fields", "gif", "gif_frames", "color_limits", "UM", "CMAPS", "label_for",
           "contour"]

log = logging.getLogger(__name__)

UM = 1e6  #: metres -> micrometres
CMAPS = {"sequential": "viridis", "diverging": "coolwarm", "log": "magma",
         "regions": "tab20"}
_RC = {"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "legend.fontsize": 8,
       "xtick.labelsize": 8, "ytick.labelsize": 8, "figure.dpi": 100, "savefig.dpi": 150,
       "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis",
       "axes.prop_cycle": None}


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        try:
            matplotlib.use("Agg", force=False)
        except Exception:  # a GUI backend already in use in an interactive session
            pass
    import matplotlib.pyplot as plt
    from cycler import cycler

    rc = dict(_RC)
    # Okabe-Ito: distinguishable with colour-vision deficiency
    rc["axes.prop_cycle"] = cycler(color=["#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                          "#E69F00", "#56B4E9", "#000000", "#F0E442"])
    plt.rcParams.update(rc)
    return plt


def new_figure(n: int = 1, *, ncols: int | None = None, panel=(4.0, 3.2)):
    """A figure with *n* panels (``ncols`` per row); returns ``(fig, [axes...])``.

    The figure is not registered with pyplot (an Agg canvas of its own): a study's figures
    live as long as its result, not in pyplot's global list until someone closes them (a
    notebook running studies in a loop kept every figure: "more than 20 figures have been
    opened"), and nothing is drawn to the screen behind the user's back; ``result.show()``
    or the figure as a cell's value displays it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _plt()  # the house style (rcParams) is read when the figure is made
    ncols = ncols or min(n, 3)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(panel[0] * ncols, panel[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    axes = list(axes.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


#: held by code that draws outside the main thread (a study's figure follow-ups, which run
#: in threads when the runs cannot go to child processes): matplotlib is not thread-safe
#: (rcParams, the font and text-layout caches are shared by every figure), so two such
#: threads draw one after the other
DRAWING = threading.RLock()


class PNG(bytes):
    """A figure already rendered by :func:`png` (the PNG file's bytes): a study may hand
    one back where a figure goes (rendered in a worker while other runs go on);
    :func:`save` writes it as is and notebooks show it inline."""

    def _repr_png_(self) -> bytes:
        return bytes(self)


def png(fig, *, dpi: int = 150) -> PNG:
    """*fig* rendered as :func:`save` renders it (the same bytes), and closed."""
    plt = _plt()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.04)
    finally:
        plt.close(fig)
    return PNG(buf.getvalue())


def save(fig, path, *, dpi: int = 150) -> Path:
    """Save *fig* (a figure, or a :class:`PNG` already rendered) as PNG (tight) and close
    it; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fig if isinstance(fig, PNG) else png(fig, dpi=dpi))
    return path


def label_for(key: str) -> str:
    """``"c_Li+ [mol m-3]"`` -> ``"c(Li⁺) [mol m⁻³]"`` for axes and colour bars."""
    name, _, unit = key.partition(" [")
    unit = unit.rstrip("]")
    for a, b in (("m-3", "m⁻³"), ("m-2", "m⁻²"), ("s-1", "s⁻¹"), ("m2", "m²"), ("cm2", "cm²"),
                 ("um", "µm")):
        unit = unit.replace(a, b)
    name = name.replace("Li+", "Li⁺").replace("A-", "A⁻")
    return f"{name} [{unit}]" if unit else name


def color_limits(values, *, kind="sequential", vmin=None, vmax=None, floor=1e-6):
    """``(vmin, vmax)`` for *values*. A range below 1e-9 of the magnitude is round-off:
    it is widened to ±0.1 % around the mean (never stretched over noise). ``kind="log"``
    keeps at most ``1/floor`` decades below the maximum."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo = float(np.min(v)) if vmin is None else float(vmin)
    hi = float(np.max(v)) if vmax is None else float(vmax)
    if kind == "log":
        hi = max(hi, 1e-300)
        pos = v[v > 0]
        lo = max(float(np.min(pos)) if pos.size and vmin is None else (vmin or hi * floor),
                 hi * floor)
        if hi <= lo * (1 + 1e-9):
            lo, hi = hi / 10 ** 0.5, hi * 10 ** 0.5
        return lo, hi
    if kind == "diverging" and vmin is None and vmax is None:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    scale = max(abs(lo), abs(hi), 1e-300)
    if hi - lo <= 1e-9 * scale:
        mid = 0.5 * (lo + hi)
        half = max(1e-3 * abs(mid), 1e-300 if mid == 0 else 0.0) or 1.0
        lo, hi = mid - half, mid + half
    return lo, hi


def _auto_kind(v) -> str:
    v = np.asarray(v, float)
    lo, hi = float(np.min(v)), float(np.max(v))
    if lo < 0 < hi and min(-lo, hi) > 0.05 * max(-lo, hi):
        return "diverging"
    return "sequential"


def _off_the_nodes(coord, o, k, extent):
    """*o* with its component *k* moved off a layer of mesh nodes.

    A cut exactly through element faces (the centre of a voxel mesh with an even number
    of voxels, a plane of a structured box) is cut from the elements on both sides: the
    section then carries zero-area triangles and both sides' regions, which drew spurious
    region outlines. Such a plane is moved halfway to the next layer of nodes above it
    (below it at the top face), so it passes through the interior of one element layer."""
    tol = 1e-9 * float(extent[k])
    if not np.any(np.abs(coord - o[k]) <= tol):
        return o
    above, below = coord[coord > o[k] + tol], coord[coord < o[k] - tol]
    o = o.copy()
    o[k] = 0.5 * (o[k] + (above.min() if above.size else below.max()))
    return o


def _slice(domain, values, where, axis, origin):
    """Triangulated planar cut of a 3D domain: (xy in m, triangles, values on it, region
    per triangle, axis labels)."""
    from .vtk import to_pyvista

    data = {"__v": values}
    key = "point_data" if where == "point" else "cell_data"
    grid = to_pyvista(domain, **{key: data})
    normal = {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1)}[axis]
    lo, hi = domain.mesh.p.min(axis=1), domain.mesh.p.max(axis=1)
    o = 0.5 * (lo + hi) if origin is None else np.array(origin, float)
    o = _off_the_nodes(domain.mesh.p[normal.index(1)], o, normal.index(1), hi - lo)
    cut = grid.slice(normal=normal, origin=o).triangulate()
    if cut.n_cells == 0:
        raise ValueError(f"the slice normal to {axis} through {o} misses the mesh.")
    keep = [i for i in range(3) if normal[i] == 0]
    xy = cut.points[:, keep].T
    tris = cut.faces.reshape(-1, 4)[:, 1:]
    vals = cut.point_data["__v"] if where == "point" else cut.cell_data["__v"]
    reg = cut.cell_data["subdomain"]
    names = "xyz"
    return xy, tris, np.asarray(vals), np.asarray(reg), (names[keep[0]], names[keep[1]])


_TRIANGULATION = "_ntransport_triangulation"  # cached on a 2D skfem mesh


def _triangulation(domain, values, *, axis="z", origin=None):
    """(Triangulation in µm, values, where, region per triangle, axis names)."""
    from matplotlib.tri import Triangulation

    v = np.asarray(values, dtype=float)
    m = domain.mesh
    where = "point" if v.shape[0] == m.nvertices else "cell"
    if v.shape[0] not in (m.nvertices, m.nelements):
        raise ValueError(f"values must have one entry per node ({m.nvertices}) or element "
                         f"({m.nelements}), got {v.shape[0]}.")
    if domain.dim == 2:
        # one Triangulation per mesh (meshes are immutable): the maps, outlines and contours
        # of every frame of an animation on that mesh share its neighbour tables
        tri = getattr(m, _TRIANGULATION, None)
        if tri is None:
            tri = Triangulation(m.p[0] * UM, m.p[1] * UM, m.t.T)
            object.__setattr__(m, _TRIANGULATION, tri)
        return tri, v, where, np.asarray(domain.region), ("x", "y")
    xy, tris, vals, reg, names = _slice(domain, v, where, axis, origin)
    tri = Triangulation(xy[0] * UM, xy[1] * UM, tris)
    return tri, vals, where, reg, names


def _outline_regions(ax, tri, region, names, *, labels=True, color="white"):
    """Draw the interfaces between regions and label each region once."""
    nb = tri.neighbors
    t = tri.triangles
    segs = []
    for k in range(3):
        other = nb[:, k]
        mask = (other >= 0) & (other > np.arange(len(t)))
        mask &= region[np.maximum(other, 0)] != region
        a, b = t[mask, k], t[mask, (k + 1) % 3]
        segs.append(np.stack([np.c_[tri.x[a], tri.y[a]], np.c_[tri.x[b], tri.y[b]]], axis=1))
    segs = np.concatenate(segs) if segs else np.zeros((0, 2, 2))
    if len(segs):
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(segs, colors=color, linewidths=0.6, alpha=0.8))
    if not labels or len(names) < 2:
        return
    cx = tri.x[t].mean(axis=1)
    cy = tri.y[t].mean(axis=1)
    for x, y, name in label_positions(cx, cy, region, names):
        ax.text(x, y, name, ha="center", va="center", fontsize=7, color="black",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))


def label_positions(cx, cy, region, names, *, char: float = 0.02, line: float = 0.06):
    """``(x, y, name)`` of one label per region: at the region's element nearest to its
    centroid, unless a label placed there would overlap one already placed, then at the
    nearest element where it does not (or the farthest one if there is none).

    Labels are estimated as boxes `char` x the plot's size per character wide and `line`
    x the size high (7 pt text on a ~3.6 in wide map, with margin; maps are drawn with
    equal axes, so both scale with the larger extent). Dispersed regions (particles,
    their shells, the matrix) all have their centroid near the middle of the box;
    labelled there, they covered each other."""
    size = max(float(np.ptp(cx)), float(np.ptp(cy)), 1e-300)
    placed = []  # (x, y, characters)
    for k, name in enumerate(names):
        sel = np.nonzero(region == k)[0]
        if sel.size == 0:
            continue
        x, y = cx[sel], cy[sel]
        order = np.argsort((x - x.mean()) ** 2 + (y - y.mean()) ** 2)
        if placed:
            px, py, pn = (np.array(v, dtype=float) for v in zip(*placed))
            half_w = 0.5 * char * size * (len(name) + pn)  # centre distance to clear
            sep = np.maximum(np.abs(x[order, None] - px) / half_w,
                             np.abs(y[order, None] - py) / (line * size)).min(axis=1)
            j = order[np.argmax(sep >= 1.0)] if (sep >= 1.0).any() else order[np.argmax(sep)]
        else:
            j = order[0]
        placed.append((x[j], y[j], len(name)))
        yield x[j], y[j], name


def field_map(ax, domain, values, *, label: str = "", kind: str = "auto", vmin=None,
              vmax=None, regions: bool = True, region_labels: bool = True, title: str = "",
              colorbar: bool = True, axis: str = "z", origin=None, cmap: str | None = None):
    """Draw a nodal (P1) or element field of *domain* on *ax*; returns the mappable.

    ``kind``: ``"sequential"``, ``"diverging"`` (centred on 0), ``"log"`` (log colour
    scale; for magnitudes spanning decades) or ``"auto"`` (diverging when the field
    changes sign substantially). 3D domains are cut by the plane normal to *axis*
    through *origin* (default: the centre).
    """
    from matplotlib.colors import LogNorm, Normalize

    tri, v, where, reg, names = _triangulation(domain, values, axis=axis, origin=origin)
    if v.ndim != 1:
        raise ValueError(f"field_map draws scalar fields; got shape {v.shape} (take a "
                         "magnitude or a component first).")
    kind = _auto_kind(v) if kind == "auto" else kind
    if kind not in ("sequential", "diverging", "log"):
        raise ValueError(f"kind must be 'auto', 'sequential', 'diverging' or 'log', got {kind!r}.")
    lo, hi = color_limits(v, kind=kind, vmin=vmin, vmax=vmax)
    norm = LogNorm(lo, hi) if kind == "log" else Normalize(lo, hi)
    if kind == "log":
        v = np.clip(v, lo, None)
    cm = cmap or CMAPS[kind]
    if where == "point":
        art = ax.tripcolor(tri, v, shading="gouraud", cmap=cm, norm=norm, rasterized=True)
    else:
        art = ax.tripcolor(tri, facecolors=v, cmap=cm, norm=norm, rasterized=True,
                           edgecolors="none")
    if regions:
        _outline_regions(ax, tri, reg, domain.region_names, labels=region_labels,
                         color="white" if kind != "diverging" else "0.2")
    ax.set_aspect("equal")
    ax.set_xlabel(f"{names[0]} [µm]")
    ax.set_ylabel(f"{names[1]} [µm]")
    ax.set_xlim(tri.x.min(), tri.x.max())
    ax.set_ylim(tri.y.min(), tri.y.max())
    if title:
        ax.set_title(title)
    if colorbar:
        add_colorbar(art, ax, label)
    return art


def add_colorbar(art, axes, label: str = "", *, location: str = "right"):
    """One colour bar for *axes* (one panel, or the panels of a row or column that share
    *art*'s colour range), beside them (``"right"``) or below (``"bottom"``), in the one
    style of every map."""
    below = location == "bottom"
    cb = art.axes.figure.colorbar(art, ax=axes, location=location, pad=0.02,
                                  shrink=0.8 if below else 0.9, aspect=25 if below else 20)
    cb.set_label(label)
    return cb


def outer_labels(axes) -> None:
    """Label a grid of maps on its outer panels only: a panel drops its x labels and tick
    labels when a visible panel below it in its column has the same x range, and its y
    labels when one to its left in its row has the same y range (so maps of different
    boxes keep theirs). Every label not drawn is text the figure does not lay out (most
    of a many-panel figure's drawing time)."""
    spots = {}
    for ax in axes:
        if ax.get_visible() and ax.get_subplotspec() is not None:
            spec = ax.get_subplotspec()
            spots[ax] = (spec.rowspan.start, spec.colspan.start)

    def same(a, b, lim):
        return np.allclose(getattr(a, lim)(), getattr(b, lim)(), rtol=1e-9, atol=0.0)

    for ax, (r, c) in spots.items():
        if any(rr > r and cc == c and same(ax, o, "get_xlim") for o, (rr, cc) in spots.items()):
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
        if any(cc < c and rr == r and same(ax, o, "get_ylim") for o, (rr, cc) in spots.items()):
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)


def contour(ax, domain, values, levels, **kwargs):
    """Iso-lines of the nodal field *values* of *domain* at *levels*, in µm, on the
    triangulation :func:`field_map` draws (3D: the same slice; ``axis``/``origin`` as
    there); other keywords go to ``tricontour``. Returns the contour set, or None when
    no level lies inside the field's range."""
    slicing = {k: kwargs.pop(k) for k in ("axis", "origin") if k in kwargs}
    tri, v, where, _, _ = _triangulation(domain, values, **slicing)
    if where != "point":
        raise ValueError("contour needs a nodal field (one value per mesh node).")
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    if not np.any((levels > v.min()) & (levels < v.max())):
        return None
    return ax.tricontour(tri, v, levels=levels, **kwargs)


def nodal_vectors(domain, vectors):
    """Element vectors (nel, dim) -> nodal (nnodes, dim) by volume-weighted averaging;
    nodal input passes through."""
    m = domain.mesh
    a = np.asarray(vectors, float)
    if a.shape[0] != m.nvertices and a.shape[0] != m.nelements and a.ndim == 2:
        a = a.T
    if a.shape[0] == m.nvertices:
        return a
    vol = domain.element_volumes()
    out = np.zeros((m.nvertices, a.shape[1]))
    w = np.zeros(m.nvertices)
    for k in range(m.t.shape[0]):
        np.add.at(out, m.t[k], a * vol[:, None])
        np.add.at(w, m.t[k], vol)
    return out / np.maximum(w, 1e-300)[:, None]


def streamlines(ax, domain, vectors, *, density: float = 1.2, color="white", n: int = 160,
                linewidth: float = 0.6):
    """Streamlines of a 2D vector field (nodal or per element) over a map."""
    from matplotlib.tri import LinearTriInterpolator, Triangulation

    if domain.dim != 2:
        log.info("streamlines are drawn for 2D domains only; skipped")
        return None
    m = domain.mesh
    vec = nodal_vectors(domain, vectors)
    tri = Triangulation(m.p[0] * UM, m.p[1] * UM, m.t.T)
    x0, x1, y0, y1 = tri.x.min(), tri.x.max(), tri.y.min(), tri.y.max()
    ratio = (y1 - y0) / max(x1 - x0, 1e-300)
    nx = n if ratio <= 1 else max(int(n / ratio), 20)
    # at most 8 n rows: a 2e-11 m wide, 5.6 um tall strip asked for 20 x 5.6e6 points (854 MB)
    ny = min(max(int(nx * ratio), 20), 8 * n)
    X, Y = np.meshgrid(np.linspace(x0, x1, nx), np.linspace(y0, y1, ny))
    U = LinearTriInterpolator(tri, vec[:, 0])(X, Y)
    V = LinearTriInterpolator(tri, vec[:, 1])(X, Y)
    if np.ma.count(U) == 0:
        return None
    return ax.streamplot(X, Y, U.filled(np.nan), V.filled(np.nan), density=density, color=color,
                         linewidth=linewidth, arrowsize=0.6, broken_streamlines=True)


#: dash patterns of line_plot's curves, in turn (the colours cycle with them)
LINE_STYLES = ("-", (0, (5, 2)), (0, (6, 2, 1.5, 2)), (0, (1.5, 1.5)))


def line_plot(ax, curves: Mapping[str, tuple], *, xlabel: str, ylabel: str, title: str = "",
              boundaries: Mapping[str, Sequence[float]] | None = None, logy: bool = False,
              markers: bool = False, styles: Mapping[str, dict] | None = None):
    """Curves ``label -> (x, y)`` on *ax*; ``boundaries`` draws dashed layer interfaces.

    Each curve has its own colour and dash pattern (solid, dashed, dash-dot, dotted, in
    turn), so curves that coincide -- two runs with the same answer -- stay visible and
    the figure reads in grey scale too; ``styles`` overrides per label."""
    for k, (label, (x, y)) in enumerate(curves.items()):
        kw = dict(marker="o" if markers else None, ms=3, ls=LINE_STYLES[k % len(LINE_STYLES)])
        kw.update((styles or {}).get(label, {}))
        (line,) = ax.plot(x, y, label=label, lw=1.4, **kw)
        for b in (boundaries or {}).get(label, ()):
            ax.axvline(b, color=line.get_color(), ls=":", lw=0.8, alpha=0.7)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend(frameon=False)
    ax.grid(alpha=0.25, lw=0.5)


def bar_plot(ax, values: Mapping[str, float], *, ylabel: str, title: str = "",
             errors: Mapping[str, float] | None = None, logy: bool = False):
    """One bar per label."""
    labels = list(values)
    ax.bar(labels, [values[k] for k in labels],
           yerr=None if errors is None else [errors.get(k, 0.0) for k in labels],
           color=[f"C{i}" for i in range(len(labels))], capsize=3)
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=20)


def stacked_bars(ax, data: Mapping[str, Mapping[str, float]], *, xlabel: str, title: str = ""):
    """Horizontal stacked bars: one bar per case, one segment per region (labelled)."""
    regions = list(dict.fromkeys(r for d in data.values() for r in d))
    cases = list(data)
    left = np.zeros(len(cases))
    colors = {r: f"C{i % 8}" for i, r in enumerate(regions)}
    for r in regions:
        w = np.array([data[c].get(r, 0.0) for c in cases])
        bars = ax.barh(cases, w, left=left, color=colors[r], label=r, edgecolor="white", lw=0.5)
        for b, wi in zip(bars, w):
            if wi > 0.06 * max(left.max() + w.max(), 1e-300):
                ax.text(b.get_x() + b.get_width() / 2, b.get_y() + b.get_height() / 2, r,
                        ha="center", va="center", fontsize=7, color="white")
        left = left + w
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, ncols=min(len(regions), 4), loc="upper center",
              bbox_to_anchor=(0.5, -0.25))


def plot_fields(frame, names: Sequence[str], *, kind: str = "auto", ncols: int | None = None,
                streamline: str | None = None, **kwargs):
    """One map per field of a :class:`~ntransport.solution.Frame`; returns the Figure.
    Vector fields are drawn as their magnitude (log scale when it spans > 2 decades)."""
    fig, axes = new_figure(len(names), ncols=ncols)
    for ax, name in zip(axes, names):
        v = np.asarray(frame[name])
        key = next(k for k in frame.keys if k == name or k.startswith(name + " ["))
        k = kind
        if v.ndim == 2:
            v = np.linalg.norm(v, axis=1)
            pos = v[v > 0]
            k = "log" if pos.size and pos.max() > 100 * pos.min() and kind == "auto" else kind
            key = "|" + key.split(" [")[0] + "| [" + key.split(" [")[1]
        field_map(ax, frame.domain, v, label=label_for(key), kind=k, **kwargs)
        if streamline and streamline in frame:
            streamlines(ax, frame.domain, frame[streamline])
    t = frame.t
    if t:
        fig.suptitle(f"t = {t:.4g} s")
    return fig


def gif_frames(data: bytes) -> list[np.ndarray]:
    """The frames of GIF *data* (bytes, e.g. from :func:`gif`) as RGB arrays
    ``(height, width, 3)`` of int (to inspect or compare frames in a notebook or a test)."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    out = []
    for k in range(getattr(im, "n_frames", 1)):
        im.seek(k)
        out.append(np.asarray(im.convert("RGB"), dtype=int))
    return out


def _views(axes):
    """What a blitted frame must leave unchanged: each axes' limits and visibility."""
    return [(tuple(ax.get_xlim()), tuple(ax.get_ylim()), ax.get_visible()) for ax in axes]


def _axis_outside(ax) -> bool:
    """Whether *ax* draws no tick marks or grid lines inside its area (so a frame's maps
    can be drawn over a background that already holds the ticks)."""
    from matplotlib.lines import TICKDOWN, TICKLEFT

    for axis, out in ((ax.xaxis, TICKDOWN), (ax.yaxis, TICKLEFT)):
        for t in axis.get_major_ticks() + axis.get_minor_ticks():
            if t.gridline.get_visible() or t.tick2line.get_visible() or (
                    t.tick1line.get_visible() and t.tick1line.get_marker() != out):
                return False
    return True


def _background(fig, hide):
    """Lay *fig* out as it is now (then freeze the layout) and render it with the artists
    *hide* hidden; returns the saved canvas region."""
    from matplotlib.text import Text

    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)  # the layout with the first frame's titles and artists
    fig.set_layout_engine("none")
    # texts are made transparent, not invisible: an invisible title is placed elsewhere
    # by the axes' draw (matplotlib moves titles to clear the tick labels)
    texts = [(a, a.get_alpha()) for a in hide if a.get_visible() and isinstance(a, Text)]
    others = [a for a in hide if a.get_visible() and not isinstance(a, Text)]
    for a, _ in texts:
        a.set_alpha(0.0)
    for a in others:
        a.set_visible(False)
    fig.canvas.draw()
    for a, alpha in texts:
        a.set_alpha(alpha)
    for a in others:
        a.set_visible(True)
    return fig.canvas.copy_from_bbox(fig.bbox)


def gif(fig, draw: Callable[[int], object], n: int, *, fps: float = 6.0) -> bytes:
    """An animated GIF (bytes) of *n* frames drawn on one figure *fig*: ``draw(k)`` adds
    frame k's artists (maps, contours, titles...) to fig's axes; they are removed again
    after the frame is captured, so *fig* holds only what is common to all frames (axes,
    labels, colour bars; what a frame adds to the figure itself goes too). *fig* is
    closed at the end. Nothing touches the disk.

    The layout is made for the first frame and kept; the figure without the frame's
    artists, spines and titles is rendered once, and every frame draws only its own
    artists, the spines and the titles on that background (blitting: a full draw of six
    map panels costs ~0.65 s, most of it ticks and text). A frame that changes any
    axes' limits or adds artists to the figure itself is drawn in full, and so is a
    frame that adds artists to an axes with grid lines or inward ticks (they would be
    covered; a colour bar's axes, which frames leave alone, may have them)."""
    from PIL import Image

    plt = _plt()
    axes = list(fig.axes)
    static = {ax: set(ax.get_children()) for ax in axes}
    static_fig = set(fig.get_children())
    # drawn over each frame's artists: the spines and the (centre, left, right) titles
    overlay = {ax: [a for a in (*ax.spines.values(), ax.title,
                                *(getattr(ax, k) for k in ("_left_title", "_right_title")
                                  if hasattr(ax, k))) if a.get_visible()] for ax in axes}

    def added():
        new = [a for ax in axes for a in ax.get_children() if a not in static[ax]]
        return new, [a for a in fig.get_children() if a not in static_fig]

    def grab():
        return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())

    images, background, frozen = [], None, None
    # axes whose ticks and grid stay outside their area: a frame's artists may be drawn
    # over the background there (a colour bar's axes, with its ticks inside, receives none)
    clear = {ax for ax in axes if _axis_outside(ax)}
    try:
        for k in range(int(n)):
            draw(k)
            new, on_fig = added()
            blit = not on_fig and all(a.axes in clear for a in new)
            if k == 0 and blit:
                frozen = _views(axes)
                background = _background(fig, [a for ax in axes for a in overlay[ax]] + new)
            if background is not None and blit and _views(axes) == frozen:
                fig.canvas.restore_region(background)
                for ax in axes:
                    if ax.get_visible():
                        mine = [a for a in new if a.axes is ax] + overlay[ax]
                        for a in sorted(mine, key=lambda a: a.get_zorder()):  # as draw() does
                            if a.get_visible():
                                ax.draw_artist(a)
            else:
                fig.canvas.draw()
            images.append(grab())
            for a in on_fig + new:  # colour bars before their mappables
                a.remove()
    finally:
        plt.close(fig)
    if not images:
        raise ValueError("gif: no frames to draw.")
    pal = [im.convert("P", palette=Image.ADAPTIVE, colors=255) for im in images]
    bio = io.BytesIO()
    pal[0].save(bio, format="GIF", save_all=True, append_images=pal[1:],
                duration=int(1000 / fps), loop=0, optimize=False)
    return bio.getvalue()
