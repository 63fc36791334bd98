"""Figure of the ALE vs phase-field cross-check, drawn with :mod:`ntransport.io.style`.

:func:`crosscheck_figure` returns, for a :class:`ntransport.studies.crosscheck.CrossCheckResult`:
(a) the ALE anode at the snapshot times, (b) the last phase-field xi with its xi = 1/2
contours, (c) the ALE anode and the phase field's equivalent sharp interface (column
integral of xi) overlaid, (d) mean front advance of both models vs the Faraday
thickness, bump heights and the shape distance over time. :func:`plot_crosscheck`
saves it as a PNG.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import style

__all__ = ["crosscheck_figure", "plot_crosscheck"]

UM = 1e6


def _sorted(pts, dy=0.0):
    o = np.argsort(pts[0])
    return pts[0, o] * UM, (pts[1, o] + dy) * UM


def crosscheck_figure(result):
    """The four-panel figure (matplotlib Figure)."""
    case = result.case
    snaps = result.snapshots
    fig, ax = style.new_figure(4, ncols=4, panel=(4.0, 3.3))
    labels = [f"t = {s.t:.0f} s" for s in snaps]
    x0, y0 = result.initial_curve * UM
    ale = {"t = 0": (x0, y0), **{k: _sorted(s.ale_curve) for k, s in zip(labels, snaps)}}
    style.line_plot(ax[0], ale, xlabel="x [µm]", ylabel="y [µm]",
                    title="(a) sharp interface (ALE): anode")
    style.field_map(ax[1], result.pf_domain, result.pf_xi, label="ξ (last)", kind="sequential",
                    vmin=0.0, vmax=1.0, regions=False, colorbar=False,
                    title="(b) phase field: ξ = 1/2 (foil below)")
    for k, s in zip(labels, snaps):
        ax[1].plot(*_sorted(s.pf_points, case.foil), lw=1.2, label=k)
    ax[1].legend(frameon=True, fontsize=7, loc="upper right")
    over, styles = {}, {}
    for i, (k, s) in enumerate(zip(labels, snaps)):
        over[f"ALE, {k}"] = _sorted(s.ale_curve)
        over[f"PF ∫ξdy, {k}"] = _sorted(s.pf_columns)
        styles[f"ALE, {k}"] = {"color": f"C{i}", "ls": "-"}
        styles[f"PF ∫ξdy, {k}"] = {"color": f"C{i}", "ls": "--"}
    style.line_plot(ax[2], over, xlabel="x [µm]", ylabel="y [µm]", styles=styles,
                    title="(c) ALE solid, phase field ∫ξ dy dashed")
    t = result.times
    style.line_plot(ax[3], {
        "Faraday i t M/(Fρ)": (t, result.faraday() * UM),
        "mean advance ALE": (t, [s.ale_mean_advance * UM for s in snaps]),
        "mean advance PF": (t, [s.pf_mean_advance * UM for s in snaps]),
        "bump height ALE": (t, [s.ale_bump * UM for s in snaps]),
        "bump height PF": (t, [s.pf_bump * UM for s in snaps]),
        "bump height PF ∫ξdy": (t, [s.column_bump * UM for s in snaps]),
        "shape distance ∫ξdy (mean)": (t, [s.column_mean * UM for s in snaps]),
    }, xlabel="t [s]", ylabel="[µm]", markers=True, title="(d) advance, bump, shape")
    fig.suptitle(f"Same defect, same current ({case.current_density:g} A/m², plating), same "
                 f"interface energy: ALE vs phase field (interface width "
                 f"{result.interface_width * UM:.2f} µm)")
    return fig


def plot_crosscheck(result, path) -> Path:
    """Save :func:`crosscheck_figure` to `path` (PNG) and return the path."""
    return style.save(crosscheck_figure(result), path)
