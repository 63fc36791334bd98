r"""Figures of deposition runs (Zhu et al., PNAS 2023, Fig. 4G--J), drawn through
:mod:`ntransport.io.style`.

Input: deposition :class:`~ntransport.solution.Solution` s (one per electrolyte) whose
frames carry ``N_Li+ [mol m-2 s-1]`` (element vectors), ``c_Li+ [mol m-3]`` and the
moving domain with its ``"anode"`` boundary. Every figure that compares electrolytes
uses one colour range for all its panels. The Li metal is drawn in grey below the
anode polyline; lengths in µm.
"""
from __future__ import annotations

import numpy as np

from ..geometry.remesh import anode_chain
from ..io import style

__all__ = ["flux_magnitude", "snapshot_panels", "deposit_profiles", "sweep_figure",
           "animation"]

UM = style.UM


def flux_magnitude(frame, species="Li+"):
    """|N_species| per element [mol m-2 s-1]."""
    return np.linalg.norm(np.asarray(frame[f"N_{species} [mol m-2 s-1]"]), axis=1)


_FLUX_LABEL = "|N(Li⁺)| [µmol m⁻² s⁻¹]"  # drawn in µmol: no offset label on the bar


def _anode(frame):
    d = frame.domain
    return d.mesh.p[:, anode_chain(d)].T


def _metal(ax, frame, bottom):
    X = _anode(frame) * UM
    ax.fill_between(X[:, 0], X[:, 1], bottom, color="0.62", lw=0, zorder=3)
    ax.plot(X[:, 0], X[:, 1], color="0.15", lw=0.8, zorder=4)
    ax.text(0.03 * X[-1, 0], bottom + 0.35 * (X[:, 1].min() - bottom), "Li", fontsize=7,
            color="white", zorder=5, va="center")


def _frame_at(sol, t):
    k = int(np.argmin(np.abs(sol.times - t)))
    return sol.frames[k]


def _limits(sols, times, field):
    vals = []
    for sol in sols.values():
        for t in times:
            f = _frame_at(sol, t)
            vals.append(flux_magnitude(f) if field == "flux" else np.asarray(f["c_Li+"]))
    v = np.concatenate(vals)
    scale = 1e6 if field == "flux" else 1.0  # flux drawn in µmol m-2 s-1
    return float(v.min()) * scale, float(v.max()) * scale


def snapshot_panels(sols, times, *, field="flux", title="", window=None):
    """Rows: electrolytes; columns: *times* [s]. ``field="flux"``: |N(Li⁺)| with
    streamlines of N(Li⁺) (Fig. 4G/I); ``"c"``: c(Li⁺) near the interface (Fig. 4H/J,
    the view cut *window* [m] above the highest tip). One colour range for all panels."""
    names = list(sols)
    fig, axes = style.new_figure(len(names) * len(times), ncols=len(times), panel=(2.9, 2.3))
    lo, hi = _limits(sols, times, field)
    art = None
    for r, name in enumerate(names):
        sol = sols[name]
        for c, t in enumerate(times):
            ax = axes[r * len(times) + c]
            f = _frame_at(sol, t)
            if field == "flux":
                art = style.field_map(ax, f.domain, flux_magnitude(f) * 1e6, kind="sequential",
                                      vmin=lo, vmax=hi, regions=False, colorbar=False)
                style.streamlines(ax, f.domain, f["N_Li+ [mol m-2 s-1]"], density=0.8, n=60)
            else:
                art = style.field_map(ax, f.domain, f["c_Li+"], kind="sequential", vmin=lo,
                                      vmax=hi, regions=False, colorbar=False)
            X = _anode(f)
            bottom = (X[:, 1].min() - 0.15e-6) * UM
            _metal(ax, f, bottom)
            top = f.domain.mesh.p[1].max() if window is None else X[:, 1].max() + window
            ax.set_ylim(bottom, top * UM)
            stopped = f.t < t * (1 - 1e-9)
            ax.set_title(f"{name}, stopped at {f.t / 3600:.2g} h" if stopped
                         else f"{name}, t = {f.t / 3600:.2g} h")
            if c:
                ax.set_ylabel("")
            if r < len(names) - 1:
                ax.set_xlabel("")
    label = _FLUX_LABEL if field == "flux" else "c(Li⁺) [mol m⁻³]"
    cb = fig.colorbar(art, ax=axes, shrink=0.85, pad=0.01)
    cb.set_label(label)
    if title:
        fig.suptitle(title)
    return fig


def deposit_profiles(sols, times):
    """Li surface at *times* per electrolyte, and the defect height above the flat Li
    over time (constant under uniform growth; rising when the current focuses)."""
    names = list(sols)
    fig, axes = style.new_figure(len(names) + 1, ncols=len(names) + 1, panel=(3.6, 2.8))
    for ax, name in zip(axes, names):
        curves = {}
        for t in times:
            f = _frame_at(sols[name], t)  # a run that stopped early: its last frame, once
            X = _anode(f) * UM
            curves.setdefault(f"{f.t / 3600:.2g} h", (X[:, 0], X[:, 1]))
        style.line_plot(ax, curves, xlabel="x [µm]", ylabel="Li surface y [µm]", title=name)
    curves = {n: (sols[n].history("t [s]") / 3600, sols[n].history("defect height [m]") * UM)
              for n in names}
    style.line_plot(axes[-1], curves, xlabel="t [h]",
                    ylabel="defect height above flat Li [µm]", title="defect growth")
    return fig


def sweep_figure(table, *, chosen=None, duration_h=2.0):
    """Tip/flat current ratio and defect height at the end of the run vs i0 (log scale),
    one curve per electrolyte (a run that stopped early is annotated with its end time); *chosen* ``{name: (i0 [mA/cm²], ratio, height [µm])}``
    marks the runs at each electrolyte's cited i0."""
    fig, axes = style.new_figure(2, ncols=2, panel=(3.8, 3.0))
    names = list(dict.fromkeys(table["electrolyte"]))
    i0 = np.asarray(table["i0 [mA/cm2]"], float)
    el = np.asarray(table["electrolyte"])
    for ax, key, lab in ((axes[0], "tip-to-flat current ratio [1]", "tip/flat current ratio"),
                         (axes[1], "defect height [µm]", "defect height [µm]")):
        curves = {n: (i0[el == n], np.asarray(table[key], float)[el == n]) for n in names}
        style.line_plot(ax, curves, xlabel="exchange current density i₀ [mA/cm²]",
                        ylabel=f"{lab} at {duration_h:.2g} h", markers=True)
        ax.set_xscale("log")
        yv = np.asarray(table[key], float)
        ends = np.asarray(table["end time [h]"], float)
        for x, y, te in zip(i0, yv, ends):
            if te < duration_h * (1 - 1e-6):  # stopped early (fold, short circuit)
                ax.annotate(f"stopped at {te:.2g} h", (x, y), textcoords="offset points",
                            xytext=(-6, 6), ha="right", fontsize=7)
        for k, (n, v) in enumerate((chosen or {}).items()):
            ax.plot([v[0]], [v[1] if "ratio" in key else v[2]], marker="*", ms=9, ls="none",
                    color=f"C{names.index(n) if n in names else k}",
                    label=f"{n}, cited i₀")
        ax.legend(frameon=False, fontsize=7)
    return fig


def animation(sols, *, fps=4.0):
    """GIF (bytes) of |N(Li⁺)| and the growing deposit, electrolytes side by side, one
    colour range for all frames. Each frame shows the cell as it is then (the cell's top
    follows the advancing Li, as in the snapshot panels): from just below the lowest
    point of the Li surface to the lower of the two cells' tops, the same view in both
    panels. (A view fixed at the first frame's cell was filled with Li by the end: the
    surface advances ~2.9 µm in the 3 µm cell of the full case.)"""
    names = list(sols)
    longest = max(names, key=lambda k: len(sols[k].frames))
    times = [f.t for f in sols[longest].frames]
    lo, hi = _limits(sols, times, "flux")
    frames = [[_frame_at(sols[name], t) for t in times] for name in names]
    views = [((min(_anode(fs[k])[:, 1].min() for fs in frames) - 0.15e-6) * UM,
              min(fs[k].domain.mesh.p[1].max() for fs in frames) * UM)
             for k in range(len(times))]

    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    fig, axes = style.new_figure(len(names), ncols=len(names), panel=(3.4, 2.6))
    lo, hi = style.color_limits([lo, hi], kind="sequential")
    bar = ScalarMappable(Normalize(lo, hi), cmap=style.CMAPS["sequential"])
    fig.colorbar(bar, ax=axes, shrink=0.85, pad=0.01).set_label(_FLUX_LABEL)

    def draw(k):
        bottom, top = views[k]
        for ax, name, fs in zip(axes, names, frames):
            f = fs[k]  # a run that stopped early keeps its last frame
            style.field_map(ax, f.domain, flux_magnitude(f) * 1e6, kind="sequential",
                            vmin=lo, vmax=hi, regions=False, colorbar=False)
            _metal(ax, f, bottom)
            ax.set_ylim(bottom, top)
            ax.set_title(f"{name}, t = {f.t / 60:.0f} min")

    return style.gif(fig, draw, len(times), fps=fps)
