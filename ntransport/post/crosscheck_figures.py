"""Figure of the ALE vs phase-field cross-check (matplotlib, Agg).

:func:`plot_crosscheck` draws, for a :class:`ntransport.studies.crosscheck.CrossCheckResult`:
(a) the ALE anode curves at the snapshot times, (b) the phase-field xi = 1/2 contours
over the last xi field, (c) both overlaid, (d) mean front advance of both models vs
the Faraday thickness and bump height above the flat front over time.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_crosscheck"]


def _sorted(pts):
    o = np.argsort(pts[0])
    return pts[0, o] * 1e6, pts[1, o] * 1e6


def plot_crosscheck(result, path, *, dpi: int = 130) -> Path:
    """Write the four-panel cross-check figure to `path` (PNG) and return the path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    path = Path(path)
    case = result.case
    snaps = result.snapshots
    cmap = plt.get_cmap("viridis")
    colours = [cmap(k / max(len(snaps) - 1, 1)) for k in range(len(snaps))]
    fig, ax = plt.subplots(1, 4, figsize=(17, 4.2), constrained_layout=True)
    x0, y0 = result.initial_curve * 1e6
    for a in ax[:3]:
        a.plot(x0, y0, "k:", lw=1, label="t = 0")
        a.set_xlabel("x [µm]")
        a.set_ylabel("y [µm]")
        a.set_xlim(0, case.width * 1e6)
    m = result.pf_mesh
    l0 = result.pf_length
    tri = Triangulation(m.p[0] * l0 * 1e6, (m.p[1] * l0 - case.foil) * 1e6)
    ax[1].tricontourf(tri, result.pf_xi, levels=np.linspace(0, 1, 11), cmap="Greys",
                      alpha=0.35)
    for s, col in zip(snaps, colours):
        lab = f"t = {s.t:.0f} s"
        ax[0].plot(*_sorted(s.ale_curve), color=col, lw=1.8, label=lab)
        ax[1].plot(*_sorted(s.pf_points), color=col, lw=1.8, label=lab)
        ax[2].plot(*_sorted(s.ale_curve), color=col, lw=1.8)
        ax[2].plot(*_sorted(s.pf_points), color=col, lw=1.8, ls="--")
    ymax = max(max(s.ale_curve[1].max(), s.pf_points[1].max()) for s in snaps) * 1e6
    for a in ax[:3]:
        a.set_ylim(-0.3, ymax + 0.4)
    ax[0].set_title("(a) sharp interface (ALE): anode")
    ax[1].set_title(r"(b) phase field: $\xi$ = 1/2 (grey: last $\xi$)")
    ax[2].set_title("(c) overlay: ALE solid, phase field dashed")
    ax[0].legend(fontsize=7, loc="upper left")
    t = result.times
    far = result.faraday() * 1e6
    a = ax[3]
    a.plot(t, far, "k-", lw=1, label="Faraday i t M/(Fρ)")
    a.plot(t, [s.ale_mean_advance * 1e6 for s in snaps], "o", mfc="none", label="mean advance ALE")
    a.plot(t, [s.pf_mean_advance * 1e6 for s in snaps], "x", label="mean advance phase field")
    a.plot(t, [s.ale_bump * 1e6 for s in snaps], "s-", label="bump height ALE")
    a.plot(t, [s.pf_bump * 1e6 for s in snaps], "d--", label="bump height phase field")
    a.axhline(case.bump_height * 1e6, color="grey", lw=0.8, ls=":")
    a.set_xlabel("t [s]")
    a.set_ylabel("[µm]")
    a.set_title("(d) front advance and bump height")
    a.legend(fontsize=7, loc="center right")
    fig.suptitle(f"Same defect, same current ({case.current_density:g} A/m², plating): "
                 f"sharp-interface ALE vs phase field (interface width "
                 f"{result.interface_width * 1e6:.2f} µm)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
