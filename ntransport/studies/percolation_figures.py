"""Figures of the percolation study, drawn with `ntransport.io.style` only."""
from __future__ import annotations

import numpy as np

from ..io import style

__all__ = ["finite_size", "film", "conductivity", "current_map"]


def finite_size(rows, t):
    """<first-spanning fraction>_L vs L^(-1/nu): the data, the weighted fit
    eta_c + a L^(-1/nu) (dashed) and the estimate used (square, 2 sigma) at L -> inf."""
    fig, (ax,) = style.new_figure(1, panel=(5.2, 3.8))
    for k, r in enumerate(r for r in rows if "estimate" in r):
        est = r["estimate"]
        x = est.lengths ** (-1.0 / est.nu)
        phi = 1 - np.exp(-est.mean)
        err = np.exp(-est.mean) * est.sem
        c = f"C{k}"
        boxes = ", ".join(f"{L:g}" for L in est.lengths)
        ax.errorbar(x, phi, yerr=err, fmt="o", color=c, ms=4, capsize=2,
                    label=f"AR {r['aspect_ratio']:g}: boxes {boxes} r")
        xx = np.linspace(0, x.max() * 1.05, 50)
        if np.isfinite(est.slope):
            ax.plot(xx, 1 - np.exp(-(est.eta_extrapolated + est.slope * xx)), "--", color=c,
                    lw=0.8)
        if est.method == "plateau":
            ax.plot(xx, np.full_like(xx, est.fraction), ":", color=c, lw=1)
        ax.errorbar([0], [est.fraction], yerr=[2 * est.fraction_se], fmt="s", color=c, ms=5,
                    capsize=3)
        if r["reference"] is not None:
            ax.plot([0], [r["reference"][0]], "*", color=c, mec="k", ms=10,
                    label=f"AR {r['aspect_ratio']:g}: literature")
    ax.set_xlabel("L$^{-1/ν}$ (L = box edge / short particle radius)")
    ax.set_ylabel("metal volume fraction at first spanning")
    ax.set_title("Threshold vs box size: dotted = weighted mean (estimate), "
                 "dashed = L$^{-1/ν}$ fit; squares ±2σ", fontsize=8)
    ax.legend(frameon=False, fontsize=7)
    ax.grid(alpha=0.25, lw=0.5)
    return fig


def film(data, bulk):
    """First through-thickness spanning vs H/r: film (W fixed) and cube (L = H)."""
    fig, (ax,) = style.new_figure(1, panel=(5.2, 3.8))
    for key, label, mk in (("film", "thin film, W = {w:g} r", "o"), ("cube", "cube, L = H", "s")):
        rows = data[key]
        h = [r.thickness for r in rows]
        ax.errorbar(h, [r.fraction for r in rows], yerr=[2 * r.se for r in rows], fmt=mk + "-",
                    ms=4, capsize=2, label=label.format(w=rows[0].width))
    for g, r in data["gaps"]:
        ax.plot([r.thickness], [r.fraction], "v", ms=6,
                label=f"film with tunnelling gap {g:g} r")
    if bulk is not None:
        ax.axhspan(bulk["fraction"] - 2 * bulk["se"], bulk["fraction"] + 2 * bulk["se"],
                   color="0.8", alpha=0.6, lw=0)
        ax.axhline(bulk["fraction"], color="0.3", lw=1, ls="--", label="bulk threshold (±2σ)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("interphase thickness / particle radius (H/r): larger particles →")
    ax.invert_xaxis()
    ax.set_ylabel("metal fraction at first through-thickness path")
    ax.set_title("Thin film vs cube (error bars 2σ)")
    ax.legend(frameon=False, fontsize=7)
    ax.grid(alpha=0.25, lw=0.5)
    return fig


def conductivity(v, s, spans, fit, bulk, f):
    """FEM sigma_e/sigma_M vs V_FM (log), eqn (2) fit in the critical region, eqn (1)."""
    fig, (ax,) = style.new_figure(1, panel=(5.6, 4.0))
    vv, ss, sp = v.ravel(), s.ravel(), spans.ravel() > 0
    ax.semilogy(vv[sp], ss[sp], "o", ms=3.5, alpha=0.7, label="FEM realisation, metal path")
    ax.semilogy(vv[~sp], ss[~sp], "x", ms=4, alpha=0.7, label="FEM realisation, no path")
    vm, mean = v.mean(axis=1), s.mean(axis=1)
    ax.semilogy(vm, mean, "k-", lw=1.2, label="ensemble mean")
    x = np.linspace(fit.v_p + 2e-3, max(vm.max(), fit.v_p + f["fit_window"]), 200)
    lo, hi = fit.ci.get("n", (np.nan, np.nan))
    ax.semilogy(x, fit.sigma0 * (x - fit.v_p) ** fit.n, "-", color="C2", lw=1.5,
                label=f"eqn (2) fit: n = {fit.n:.2f} [{lo:.2f}, {hi:.2f}] (V_p = graph)")
    xm = np.linspace(vm.min(), vm.max(), 50)
    ax.semilogy(xm, xm + (1 - xm) * f["sigma_ratio"], "--", color="C1", lw=1.5,
                label="eqn (1) mixing rule")
    ax.axvspan(bulk["fraction"] - 2 * bulk["se"], bulk["fraction"] + 2 * bulk["se"],
               color="0.85", lw=0)
    ax.axvline(bulk["fraction"], color="0.4", lw=0.8, ls=":", label="graph threshold (±2σ)")
    ax.axvspan(bulk["fraction"], bulk["fraction"] + f["fit_window"], color="C2", alpha=0.06,
               lw=0)
    ax.set_xlabel("metal volume fraction V_FM")
    ax.set_ylabel("electronic conductivity σ_e / σ_M")
    ax.set_title("MII electronic conductivity: percolation vs mixing rule")
    ax.legend(frameon=False, fontsize=6.5, loc="lower right")
    ax.grid(alpha=0.25, lw=0.5, which="both")
    return fig


def current_map(sol, vf, spans):
    """|j| (log) in a section of the voxel realisation, metal outlined."""
    fig, (ax,) = style.new_figure(1, panel=(5.0, 4.2))
    j = 0.1 * np.asarray(sol["|j| [A m-2]"])  # mA/cm2
    pos = j[j > 0]
    style.field_map(ax, sol.domain, j, label="|j| [mA/cm²] at 1 V", kind="log",
                    vmin=float(pos.max()) * 1e-6 if pos.size else None, axis="x",
                    title=f"Section of one realisation (r = 1 µm): metal fraction {vf:.3f}, "
                          f"{'metal path' if spans else 'no metal path'}")
    return fig
