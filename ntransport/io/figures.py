"""Quick figures saved as PNG: field maps (pyvista offscreen), line profiles and
current streamlines (matplotlib Agg), and sampling of P1 fields along a line.

Plotting libraries are imported inside the functions. Axes are shown in micrometres;
values are plotted as given (callers scale them, e.g. V -> mV, and say so in `label`).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_map", "plot_profile", "plot_streamlines", "plot_stacked_bars", "sample_line"]

logger = logging.getLogger(__name__)
UM = 1e6  # metres -> micrometres for axes


# ------------------------------------------------------------------ sampling
def sample_line(domain, nodal_values, start, end, n: int = 200):
    r"""Values of a P1 nodal field at *n* equally spaced points from *start* to *end*.

    :math:`u(x_k) = \sum_i u_i \lambda_i(x_k)` with the barycentric coordinates of the
    element containing :math:`x_k` (skfem probes).

    Parameters
    ----------
    domain : Domain
    nodal_values : (nvertices,) array
    start, end : (dim,) points in metres, inside the mesh or on its boundary.
    n : int, number of samples (>= 2).

    Returns
    -------
    s : (n,) distance from *start* [m]
    values : (n,) field values
    """
    import skfem

    mesh = domain.mesh
    u = np.asarray(nodal_values, dtype=float)
    if u.shape != (mesh.nvertices,):
        raise ValueError(
            f"sample_line: nodal_values must have one value per mesh node ({mesh.nvertices}), "
            f"got shape {u.shape}."
        )
    if int(n) < 2:
        raise ValueError(f"sample_line: n must be >= 2, got {n!r}.")
    a, b = np.asarray(start, float), np.asarray(end, float)
    if a.shape != (domain.dim,) or b.shape != (domain.dim,):
        raise ValueError(f"sample_line: start and end must be {domain.dim}-vectors in metres.")
    t = np.linspace(0.0, 1.0, int(n))
    # end points on the boundary may sit a rounding error outside the mesh: pull the
    # end samples in by 1e-12 of the line length (far below any element size)
    tt = np.clip(t, 1e-12, 1.0 - 1e-12)
    pts = a[:, None] + (b - a)[:, None] * tt[None, :]
    elem = skfem.ElementTriP1() if domain.dim == 2 else skfem.ElementTetP1()
    try:
        P = skfem.CellBasis(mesh, elem).probes(pts)
    except ValueError:
        raise ValueError(
            f"sample_line: the line from {a.tolist()} to {b.tolist()} m leaves the mesh "
            f"(bounds {domain.bounds.tolist()} m)."
        ) from None
    return t * float(np.linalg.norm(b - a)), P @ u


# ------------------------------------------------------------------ pyvista map
def _quiet_vtk():
    """Silence VTK's warnings (e.g. no X server) without hiding our own logging."""
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    try:
        from vtkmodules.vtkCommonCore import vtkLogger, vtkObject

        vtkObject.GlobalWarningDisplayOff()
        # "bad X server connection. DISPLAY=" is a vtkLogger WARN; keep errors only
        vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)
    except ImportError:  # pragma: no cover - vtk always ships with pyvista
        pass


def _grid(domain):
    import pyvista as pv

    mesh = domain.mesh
    p = mesh.p.T * UM
    p = np.where(np.abs(p) < 1e-9 * np.abs(p).max(), 0.0, p)  # no "-0.0" axis labels
    if domain.dim == 2:
        p = np.column_stack([p, np.zeros(len(p))])
        ctype = pv.CellType.TRIANGLE
    else:
        ctype = pv.CellType.TETRA
    t = mesh.t.T
    cells = np.column_stack([np.full(len(t), t.shape[1]), t]).ravel()
    return pv.UnstructuredGrid(cells, np.full(len(t), ctype, dtype=np.uint8), p)


def _interfaces(domain):
    """Internal interfaces as a pyvista line/triangle set (µm), or None."""
    import pyvista as pv

    names = [k for k in domain.boundaries if "|" in k]
    if not names or domain.dim != 2:
        return None
    f = np.unique(np.concatenate([domain.boundaries[k] for k in names]))
    if f.size == 0:
        return None
    edges = domain.mesh.facets[:, f].T
    p = np.column_stack([domain.mesh.p.T * UM, np.zeros(domain.mesh.nvertices)])
    lines = np.column_stack([np.full(len(edges), 2), edges]).ravel()
    return pv.PolyData(p, lines=lines)


def _scalars(domain, values, name):
    v = np.asarray(values, dtype=float)
    if v.ndim == 2:  # vectors (dim, n) or (n, dim): magnitude
        v = np.linalg.norm(v if v.shape[0] in (2, 3) and v.shape[1] != v.shape[0] else v.T, axis=0)
    mesh = domain.mesh
    if v.shape == (mesh.nvertices,):
        return "point", v
    if v.shape == (mesh.nelements,):
        return "cell", v
    raise ValueError(
        f"{name}: values must have one entry per node ({mesh.nvertices}) or per element "
        f"({mesh.nelements}) (or be vectors of such), got shape {np.shape(values)}."
    )


def _robust_clim(v):
    """Colour limits; a field uniform up to round-off gets a +-1 % window around its mean
    so the colour map does not magnify 1e-12 noise into false structure."""
    lo, hi = float(np.min(v)), float(np.max(v))
    scale = max(abs(lo), abs(hi))
    if hi - lo <= 1e-6 * scale:
        m = 0.5 * (lo + hi)
        d = 0.01 * abs(m) if m != 0 else 1.0
        return (m - d, m + d)
    return (lo, hi)


def plot_map(domain, values, path, *, title: str = "", label: str = "", cmap: str = "viridis",
             log: bool = False, clim=None, show_edges: bool = False, outline: bool = True,
             window_size=(1200, 800)) -> Path:
    """Save a colour map of a nodal or element field over the domain as PNG.

    Parameters
    ----------
    domain : Domain
    values : (nvertices,) nodal, (nelements,) element values, or (dim, nelements)
        vectors (their magnitude is shown).
    path : str or Path of the PNG.
    title, label : figure title and scalar-bar label (with units, e.g. "phi [mV]").
    cmap : matplotlib colormap name.
    log : colour scale in log10 (values must be > 0).
    clim : (vmin, vmax) or None.
    outline : draw internal interfaces (layer/particle boundaries) as thin black lines.

    Returns
    -------
    Path of the written PNG.
    """
    _quiet_vtk()
    import pyvista as pv

    where, v = _scalars(domain, values, "plot_map")
    if log and np.any(v <= 0):
        raise ValueError("plot_map: log=True needs values > 0; got min "
                         f"{float(v.min())!r}. Plot |values| or shift them.")
    if clim is None:
        clim = _robust_clim(v)
    grid = _grid(domain)
    key = label or "value"
    (grid.point_data if where == "point" else grid.cell_data)[key] = v
    pl = pv.Plotter(off_screen=True, window_size=list(window_size))
    pl.set_background("white")
    bar = dict(title=key, color="black", vertical=True, position_x=0.86, position_y=0.15,
               height=0.7, width=0.05, title_font_size=18, label_font_size=16, fmt="%.3g")
    pl.add_mesh(grid, scalars=key, cmap=cmap, log_scale=log, clim=clim, show_edges=show_edges,
                scalar_bar_args=bar, preference=where,
                lighting=domain.dim == 3)  # 2D: true colormap colours, no shading
    lines = _interfaces(domain) if outline else None
    if lines is not None:
        pl.add_mesh(lines, color="black", line_width=1.5)
    if title:
        pl.add_text(title, position="upper_edge", font_size=12, color="black")
    if domain.dim == 2:
        pl.view_xy()
        pl.show_bounds(xtitle="x [um]", ytitle="y [um]", ztitle="", color="black",
                       font_size=12, location="outer", ticks="outside", n_zlabels=0,
                       show_zaxis=False, show_zlabels=False, use_2d=True)
        pl.camera.zoom(1.15)
    else:
        pl.show_bounds(xtitle="x [um]", ytitle="y [um]", ztitle="z [um]", color="black")
        pl.view_isometric()
        pl.camera.zoom(0.8)
    out = Path(path)
    pl.screenshot(str(out))
    pl.close()
    logger.info("wrote %s", out)
    return out


# ------------------------------------------------------------------ matplotlib
def plot_profile(profiles: Mapping[str, tuple], path, *, xlabel: str = "distance [um]",
                 ylabel: str = "", title: str = "",
                 boundaries: Mapping[str, Sequence[float]] | None = None,
                 figsize=(6.4, 4.2)) -> Path:
    """Save line profiles on one plot as PNG (matplotlib, Agg backend).

    Parameters
    ----------
    profiles : label -> (x, y) arrays, already in display units.
    boundaries : label -> x positions (same units as x) drawn as dashed vertical lines
        in the colour of that profile (layer interfaces).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if not profiles:
        raise ValueError("plot_profile: profiles is empty; give at least one label -> (x, y).")
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    for label, (x, y) in profiles.items():
        (line,) = ax.plot(np.asarray(x), np.asarray(y), lw=2, label=label)
        for xb in (boundaries or {}).get(label, ()):
            ax.axvline(xb, color=line.get_color(), ls="--", lw=1, alpha=0.7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    out = Path(path)
    fig.savefig(out, dpi=150)
    plt.close(fig)
    logger.info("wrote %s", out)
    return out


def plot_stacked_bars(data: Mapping[str, Mapping[str, float]], path, *, xlabel: str = "",
                      title: str = "", figsize=(6.4, 3.6)) -> Path:
    """Save horizontal stacked bars as PNG: one bar per key of *data*, one segment per
    inner key (e.g. the voltage lost in each layer of each stack), labelled in place.

    Parameters
    ----------
    data : bar label -> (segment label -> value >= 0), values in display units.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if not data:
        raise ValueError("plot_stacked_bars: data is empty; give bar -> {segment: value}.")
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    colours = {}
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    bars = list(data)
    total = max(sum(v.values()) for v in data.values())
    for i, bar in enumerate(bars):
        left = 0.0
        for seg, val in data[bar].items():
            if val < 0:
                raise ValueError(f"plot_stacked_bars: {bar}/{seg} is negative ({val!r}).")
            new = seg not in colours
            c = colours.setdefault(seg, cycle[len(colours) % len(cycle)])
            ax.barh(i, val, left=left, color=c, edgecolor="white", label=seg if new else None)
            if val > 0.06 * total:
                ax.text(left + val / 2, i, f"{seg}\n{val:.3g}", ha="center", va="center",
                        fontsize=8, color="white")
            left += val
    ax.set_yticks(range(len(bars)), bars)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(axis="x", alpha=0.3)
    out = Path(path)
    fig.savefig(out, dpi=150)
    plt.close(fig)
    logger.info("wrote %s", out)
    return out


def plot_streamlines(domain, vector_cell_data, path, *, background=None, title: str = "",
                     label: str = "", cmap: str = "viridis", n_grid: int = 200,
                     density: float = 1.2, mask_below: float = 1e-3,
                     figsize=(6.4, 5.2)) -> Path:
    """Save streamlines of an element-wise vector field (e.g. current density) over a
    colour map, as PNG. 2D only: the field is resampled on an ``n_grid`` square grid
    (value of the containing element) and drawn with matplotlib ``streamplot``.

    Parameters
    ----------
    vector_cell_data : (2, nelements) vectors.
    background : nodal or element scalars for the colour map (default: |vector|).
    mask_below : no streamlines where |vector| < mask_below * max|vector| (blocking,
        nearly insulating phases would otherwise show lines of a vanishing field).
    """
    if domain.dim != 2:
        raise ValueError("plot_streamlines: only 2D domains are supported; for 3D write the "
                         "VTU and use ParaView's Stream Tracer.")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    mesh = domain.mesh
    vec = np.asarray(vector_cell_data, dtype=float)
    if vec.shape != (2, mesh.nelements):
        raise ValueError(f"plot_streamlines: vector_cell_data must have shape (2, "
                         f"{mesh.nelements}), got {vec.shape}.")
    (x0, x1), (y0, y1) = domain.bounds
    nx = int(n_grid)
    ny = max(8, int(round(nx * (y1 - y0) / (x1 - x0))))
    gx = np.linspace(x0, x1, nx)
    gy = np.linspace(y0, y1, ny)
    X, Y = np.meshgrid(gx, gy)
    # nudge the outermost samples inside so every point finds an element
    eps = 1e-9 * max(x1 - x0, y1 - y0)
    tri = Triangulation(mesh.p[0] * UM, mesh.p[1] * UM, mesh.t.T)
    el = tri.get_trifinder()(np.clip(X.ravel(), x0 + eps, x1 - eps) * UM,
                             np.clip(Y.ravel(), y0 + eps, y1 - eps) * UM)
    inside = el >= 0
    mag = np.linalg.norm(vec, axis=0)
    keep = inside & (mag[np.maximum(el, 0)] >= mask_below * mag.max())
    U = np.ma.masked_array(vec[0, np.maximum(el, 0)], ~keep).reshape(X.shape)
    V = np.ma.masked_array(vec[1, np.maximum(el, 0)], ~keep).reshape(X.shape)
    bg = mag if background is None else np.asarray(background, float)
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    if bg.shape == (mesh.nelements,):
        im = ax.tripcolor(tri, facecolors=bg, cmap=cmap, shading="flat")
    elif bg.shape == (mesh.nvertices,):
        im = ax.tripcolor(tri, bg, cmap=cmap, shading="gouraud")
    else:
        raise ValueError("plot_streamlines: background must be nodal or element values.")
    fig.colorbar(im, ax=ax, label=label)
    ax.streamplot(gx * UM, gy * UM, U, V, color="white", density=density, linewidth=0.8,
                  arrowsize=0.8)
    ax.set_aspect("equal")
    ax.set_xlim(x0 * UM, x1 * UM)
    ax.set_ylim(y0 * UM, y1 * UM)
    ax.set_xlabel("x [um]")
    ax.set_ylabel("y [um]")
    if title:
        ax.set_title(title)
    out = Path(path)
    fig.savefig(out, dpi=150)
    plt.close(fig)
    logger.info("wrote %s", out)
    return out
