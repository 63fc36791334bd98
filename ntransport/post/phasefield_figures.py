"""Figures of phase-field runs, drawn with :mod:`ntransport.io.style` (µm axes, perceptual
colour maps, regions -- the PE skeleton -- outlined and labelled).

* :func:`maps` -- one row per run at its last frame: xi, c(Li+), phi and, with
  mechanics, the hydrostatic stress (diverging map centred on 0), with the xi = 1/2
  contour; the panels of a column share one colour range and one colour bar, and the
  axes are labelled on the outer panels (the runs share one cell).
* :func:`tip_vs_charge` -- tip height against the passed (Faradaic) charge and against
  time, the cell height marked (short circuit).
* :func:`mechanics` -- tip velocity with and without mechanics at equal charge, and the
  stress ahead of the tip.
* :func:`animation` -- GIF bytes of the xi maps of every run over its frames.
* :func:`study_figures` -- the set the ``dendrites`` study returns.

Solutions are :class:`ntransport.solution.Solution` objects of
:func:`ntransport.solve.phasefield.solve`.
"""
from __future__ import annotations

import numpy as np

from ..io import style

__all__ = ["maps", "tip_vs_charge", "mechanics", "animation", "study_figures"]

UM = 1e6
MAH = 1.0 / 36000.0  # C m-2 -> mAh cm-2


def _contour(ax, frame):
    style.contour(ax, frame.domain, frame["xi [1]"], 0.5, colors="white", linewidths=0.9)


def _charge(sol, t):
    return float(np.interp(t, sol.history("t [s]"), sol.history("passed charge [C m-2]"))) * MAH


def maps(sols, *, frame: int = -1):
    """Fields of every run at frame *frame* (default: the last)."""
    labels = list(sols)
    stress = any("sigma_h [Pa]" in sols[k].frames[frame] for k in labels)
    cols = ["xi [1]", "c_Li+ [mol m-3]", "phi [V]"] + (["sigma_h [Pa]"] if stress else [])
    fr = {k: sols[k].frames[frame] for k in labels}
    # shared ranges for the compared panels
    rng = {}
    for key in cols[1:]:
        # the stress colour range is the electrolyte's (xi < 0.1): the metal is far
        # more stressed and would wash out where the electrolyte is compressed
        vals = [np.asarray(f[key])[f["xi [1]"] < 0.1] if key == "sigma_h [Pa]"
                else np.asarray(f[key]) for f in fr.values() if key in f]
        vals = [v for v in vals if v.size] or [np.zeros(1)]
        rng[key] = (min(v.min() for v in vals), max(v.max() for v in vals))
    fig, axes = style.new_figure(len(labels) * len(cols), ncols=len(cols), panel=(2.9, 2.6))
    names = {"xi [1]": "ξ (1 = Li)", "c_Li+ [mol m-3]": "c(Li⁺) [mol/L]",
             "phi [V]": "φ electrolyte [V]",
             "sigma_h [Pa]": "σ_h [MPa] (tension > 0; metal clipped)"}
    for j, key in enumerate(cols):
        shown = []  # (axes, mappable) of this column, top to bottom
        for i, k in enumerate(labels):
            f, ax = fr[k], axes[i * len(cols) + j]
            q = _charge(sols[k], f.t)
            title = f"{k}: {f.t:.3g} s, {q:.2g} mAh/cm²" if j == 0 else k
            if key not in f:
                ax.set_visible(False)
                continue
            common = dict(title=title, colorbar=False)
            if key == "xi [1]":
                art = style.field_map(ax, f.domain, f[key], kind="sequential", vmin=0.0,
                                      vmax=1.0, **common)
            elif key == "c_Li+ [mol m-3]":
                lo, hi = rng[key]
                art = style.field_map(ax, f.domain, f[key] / 1000.0, kind="sequential",
                                      vmin=lo / 1000.0, vmax=hi / 1000.0, **common)
            elif key == "phi [V]":
                lo, hi = rng[key]
                art = style.field_map(ax, f.domain, f[key], kind="sequential", vmin=lo,
                                      vmax=hi, **common)
            else:
                lo, hi = rng[key]
                m = max(abs(lo), abs(hi), 1e-3) / 1e6
                art = style.field_map(ax, f.domain, np.clip(f[key] / 1e6, -m, m),
                                      kind="diverging", vmin=-m, vmax=m, **common)
            _contour(ax, f)
            shown.append((ax, art))
        if shown:
            # one colour bar per column (its panels share one range): below the column;
            # beside a lone panel (below it, it would open a gap across the grid's row)
            style.add_colorbar(shown[-1][1], [a for a, _ in shown], names[key],
                               location="bottom" if len(shown) > 1 else "right")
    style.outer_labels(axes)
    return fig


def tip_vs_charge(sols, *, height: float):
    """Tip height vs passed charge and vs time; the cell height dashed."""
    fig, (a, b) = style.new_figure(2, ncols=2, panel=(4.6, 3.4))
    style.line_plot(a, {k: (s.history("passed charge [C m-2]") * MAH,
                            s.history("tip height [m]") * UM) for k, s in sols.items()},
                    xlabel="passed charge [mAh/cm²]", ylabel="tip height [µm]",
                    title="Tip of the deposit vs charge")
    style.line_plot(b, {k: (s.history("t [s]"), s.history("tip height [m]") * UM)
                        for k, s in sols.items()},
                    xlabel="t [s]", ylabel="tip height [µm]", title="Tip of the deposit vs time")
    for ax in (a, b):
        ax.axhline(height * UM, color="0.3", ls="--", lw=0.8)
        ax.text(ax.get_xlim()[0], height * UM, " cathode (short circuit)", va="bottom",
                fontsize=7, color="0.3")
    return fig


def _velocity(sol):
    t, y = sol.history("t [s]"), sol.history("tip height [m]")
    q = sol.history("passed charge [C m-2]") * MAH
    v = np.gradient(y, t) if t.size > 2 else np.zeros_like(t)
    return q, v


def mechanics(sols, pairs):
    """Tip velocity vs charge for (without, with) mechanics pairs; stress ahead of the tip."""
    fig, (a, b) = style.new_figure(2, ncols=2, panel=(4.6, 3.4))
    curves, stress = {}, {}
    for off, on in pairs:
        for k in (off, on):
            q, v = _velocity(sols[k])
            curves[k] = (q, v * UM)
        h = sols[on].histories
        stress[on] = (h["passed charge [C m-2]"] * MAH, h["sigma_h ahead of tip [Pa]"] / 1e6)
    style.line_plot(a, curves, xlabel="passed charge [mAh/cm²]", ylabel="tip velocity [µm/s]",
                    title="Tip velocity at equal charge")
    style.line_plot(b, stress, xlabel="passed charge [mAh/cm²]",
                    ylabel="σ_h one width ahead of the tip [MPa]",
                    title="Electrolyte stress ahead of the tip (< 0: compression)")
    b.axhline(0.0, color="0.3", lw=0.6)
    return fig


def animation(sols, meta=None) -> bytes:
    """GIF of the xi maps of every run, frame by frame (runs with fewer frames hold
    their last one)."""
    labels = list(sols)
    n = max(len(s.frames) for s in sols.values())
    fig, axes = style.new_figure(len(labels), ncols=len(labels), panel=(2.6, 2.4))
    fig.set_dpi(60)  # an animation preview; the PVD series holds the full fields

    def draw(k):
        for ax, lab in zip(axes, labels):
            f = sols[lab].frames[min(k, len(sols[lab].frames) - 1)]
            style.field_map(ax, f.domain, f["xi [1]"], label="ξ", kind="sequential", vmin=0.0,
                            vmax=1.0, title=f"{lab}: t = {f.t:.3g} s", colorbar=False)
            _contour(ax, f)

    return style.gif(fig, draw, n, fps=3)


def study_figures(sols, meta, data) -> dict:
    """The figures of the ``dendrites`` study: maps, tip vs charge, mechanics pairs."""
    out = {"dendrite_maps": maps(sols),
           "tip_vs_charge": tip_vs_charge(sols, height=data["cell"]["height"])}
    pairs = []
    for k, (prob, info, r) in meta.items():
        if prob.mechanics is None:
            continue
        for j, (p2, i2, r2) in meta.items():
            if (p2.mechanics is None and r2["skeleton"] == r["skeleton"]
                    and i2["parameter_set"] == info["parameter_set"]
                    and i2["t_plus [1]"] == info["t_plus [1]"]):
                pairs.append((j, k))
                break
    if pairs:
        out["mechanics"] = mechanics(sols, pairs)
    return out
