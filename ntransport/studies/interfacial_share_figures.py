"""Figures of the LLZTO-PMA interfacial-share study (`ntransport.io.style` only)."""
from __future__ import annotations

import numpy as np

from ..io import style

__all__ = ["current_map", "reachable", "shares"]


def current_map(res):
    """|j| (log) in a section of the 3D composite (coated particles as Hashin spheres)."""
    fig, (ax,) = style.new_figure(1, panel=(5.2, 4.4))
    j = 0.1 * np.asarray(res["|j| [A m-2]"])
    hi, lo = float(np.percentile(j, 99.9)), float(np.percentile(j, 0.1))
    log = hi > 30 * max(lo, 1e-300)
    style.field_map(ax, res.domain, j, label="|j| [mA/cm²] at 1 V",
                    kind="log" if log else "sequential", vmin=max(lo, hi * 1e-3) if log else lo,
                    vmax=hi, axis="x", region_labels=False,
                    title="LLZTO (+ interphase shell, Hashin-equivalent) in PMA, x = L/2")
    return fig


def reachable(fits, targets):
    """Reachable composite conductivity per variant and matrix vs the measured value."""
    fig, axes = style.new_figure(2, ncols=2, panel=(4.6, 3.4))
    names = list(fits)
    for k, (label, idx) in enumerate((("bare PMA matrix", 0), ("matrix from NMR share", 1))):
        ax = axes[0]
        lo = [10 * fits[n][idx].sigma_range[0] for n in names]
        hi = [10 * fits[n][idx].sigma_range[1] for n in names]
        y = np.arange(len(names)) + 0.15 * (2 * k - 1)
        ax.hlines(y, lo, hi, color=f"C{k}", lw=5, label=label)
    axes[0].axvline(10 * targets[0], color="k", ls="--", lw=1, label="measured 0.266 mS/cm")
    axes[0].set_yticks(range(len(names)), names)
    axes[0].set_ylim(-0.6, len(names) - 0.4)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("composite σ reachable by any interphase [mS/cm]")
    axes[0].set_title("Conductivity at 20 °C")
    axes[0].legend(frameon=False, fontsize=7, loc="upper left")
    for k, (label, idx) in enumerate((("bare PMA matrix", 0), ("matrix from NMR share", 1))):
        lo = [fits[n][idx].ea_range[0] for n in names]
        hi = [fits[n][idx].ea_range[1] for n in names]
        y = np.arange(len(names)) + 0.15 * (2 * k - 1)
        ok = np.isfinite(lo)
        axes[1].hlines(y[ok], np.array(lo)[ok], np.array(hi)[ok], color=f"C{k}", lw=5,
                       label=label)
    axes[1].axvline(targets[1], color="k", ls="--", lw=1, label="measured 0.331 eV")
    axes[1].set_yticks(range(len(names)), names)
    axes[1].set_ylim(-0.6, len(names) - 0.4)
    axes[1].text(0.02, 0.02, "bare PMA: no interphase reaches 0.266 mS/cm\n(no activation "
                 "energy to fit)", transform=axes[1].transAxes, fontsize=7, va="bottom")
    axes[1].set_xlabel("apparent Ea reachable (Ea_i 0-1 eV) [eV]")
    axes[1].set_title("Activation energy 20–90 °C")
    axes[1].legend(frameon=False, fontsize=7, loc="upper left")
    return fig


def shares(fits, share_nmr):
    """Interphase current share vs the NMR population share, per variant."""
    fig, (ax,) = style.new_figure(1, panel=(5.2, 3.4))
    vals = {f"{n} (NMR matrix)": fits[n][1].shares["interphase"] for n in fits}
    vals.update({f"{n} (bare PMA)": fits[n][0].shares["interphase"] for n in fits})
    style.bar_plot(ax, vals, ylabel="interphase current share",
                   title="Current through the interphase vs the NMR population share")
    ax.axhline(share_nmr, color="k", ls="--", lw=1)
    ax.text(0.02, share_nmr, " NMR 12.35 % (population)", va="bottom", fontsize=7,
            transform=ax.get_yaxis_transform())
    return fig
