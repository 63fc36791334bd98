"""Figures of the host-guest highways study, drawn with `ntransport.io.style` only."""
from __future__ import annotations

import numpy as np

from ..io import style
from . import host_guest_homogenisation as hg

__all__ = ["current_map_2d", "distribution", "current_map_3d", "arrhenius"]


def current_map_2d(sec, i_mean, stats):
    """|j| on a log scale with streamlines in the 18 x 18 um section (cf. Fig. S22b)."""
    fig, (ax,) = style.new_figure(1, panel=(6.2, 5.4))
    j = 0.1 * np.asarray(sec["|j| [A m-2]"])  # mA/cm2
    hi = float(np.percentile(j, 99.9))
    style.field_map(ax, sec.domain, j, label="|j| [mA/cm²]", kind="log", vmin=hi * 1e-3,
                    vmax=hi, region_labels=False,
                    title=f"PVH-in-SiO2 section at {0.1 * i_mean:g} mA/cm²: interphase median "
                          f"{0.1 * stats['interphase']['q'][50]:.3g}, PVH "
                          f"{0.1 * stats['PVH']['q'][50]:.3g} mA/cm²")
    style.streamlines(ax, sec.domain, sec.current_density.T, density=1.0, color="0.85",
                      linewidth=0.5)
    # zoom on the hottest interphase spot: the 20 nm layer is invisible at full scale
    dom = sec.domain
    e = dom.elements("interphase")
    k = e[int(np.argmax(np.asarray(sec["|j| [A m-2]"])[e]))]
    c = dom.mesh.p[:, dom.mesh.t[:, k]].mean(axis=1) * style.UM
    ins = ax.inset_axes([0.62, 0.62, 0.36, 0.36])
    style.field_map(ins, dom, j, kind="log", vmin=hi * 1e-3, vmax=hi, colorbar=False,
                    region_labels=False)
    w = 0.4
    ins.set_xlim(c[0] - w, c[0] + w)
    ins.set_ylim(c[1] - w, c[1] + w)
    ins.set_title("zoom: interphase", fontsize=7)
    ins.tick_params(labelsize=6)
    ins.set_xlabel("")
    ins.set_ylabel("")
    ax.indicate_inset_zoom(ins, edgecolor="white")
    return fig


def distribution(sec, stats, i_mean):
    """Volume-weighted histogram of |j| per region (log bins)."""
    fig, (ax,) = style.new_figure(1, panel=(5.4, 3.6))
    dom = sec.domain
    j = 0.1 * np.asarray(sec["|j| [A m-2]"])
    vol = dom.element_volumes()
    pos = j[j > 0]
    bins = np.logspace(np.log10(np.percentile(pos, 0.5)), np.log10(pos.max()), 60)
    for k, reg in enumerate(("PVH", "interphase", "SiO2 host")):
        e = dom.elements(reg)
        w = vol[e] / vol[e].sum()
        ax.hist(j[e], bins=bins, weights=w, histtype="step", lw=1.5, color=f"C{k}",
                label=f"{reg} (median {0.1 * stats[reg]['q'][50]:.3g} mA/cm²)")
    ax.axvspan(100, 1000, color="0.85", alpha=0.6, lw=0,
               label="paper: interface 10²–10³ mA/cm² (drive unstated)")
    ax.set_xscale("log")
    ax.set_xlabel(f"|j| [mA/cm²] at a mean {0.1 * i_mean:g} mA/cm²")
    ax.set_ylabel("volume fraction of the region")
    ax.set_title(f"Current density by region; interface/PVH median ratio {stats['ratio']:.3g}")
    ax.legend(frameon=False, fontsize=7)
    return fig


def current_map_3d(sol, i_mean):
    """|j| (log) in a section of the 3D voxel box."""
    fig, (ax,) = style.new_figure(1, panel=(5.4, 4.6))
    j = 0.1 * np.asarray(sol["|j| [A m-2]"])
    hi = float(np.percentile(j, 99.9))
    style.field_map(ax, sol.domain, j, label="|j| [mA/cm²]", kind="log", vmin=hi * 1e-3,
                    vmax=hi, axis="x", region_labels=False,
                    title=f"3D box (voxels), section x = L/2, {0.1 * i_mean:g} mA/cm²")
    return fig


def arrhenius(pvh, model, s_i, ea, ea_fit, temps):
    """Model vs measured conductivities, 30-80 degC."""
    fig, (ax,) = style.new_figure(1, panel=(5.2, 3.8))
    T = np.linspace(min(min(temps), hg.T25), max(temps), 12)
    inv = 1000.0 / T
    curves, styles = {}, {}
    meas = {"PVH (measured, 0.22 eV)": hg.arrhenius(hg.LIU_2025["sigma_PVH"], 0.22, T),
            "PVH-in-SiO2 (measured, 0.17 eV)":
                hg.arrhenius(hg.LIU_2025["sigma_PVH-in-SiO2"], 0.17, T)}
    for k, (lab, s) in enumerate(meas.items()):
        curves[lab] = (inv, 10 * s)
        styles[lab] = {"color": f"C{k}", "ls": "--"}
    color = {"PVH-in-SiO2": "C1", "SiO2-in-PVH": "C2"}
    for arch in model.resp:
        s = [model.sigma(arch, pvh.conductivity(t), hg.arrhenius(s_i, ea, t)) for t in T]
        lab = f"{arch} model (Ea_i {ea:.2f} eV, DFT)"
        curves[lab] = (inv, 10 * np.array(s))
        styles[lab] = {"color": color[arch]}
    if ea_fit is not None:
        s = [model.sigma("PVH-in-SiO2", pvh.conductivity(t), hg.arrhenius(s_i, ea_fit, t))
             for t in T]
        lab = f"PVH-in-SiO2 model (Ea_i {ea_fit:.3f} eV, fitted)"
        curves[lab] = (inv, 10 * np.array(s))
        styles[lab] = {"color": "0.3", "ls": ":"}
    style.line_plot(ax, curves, xlabel="1000 / T [1/K]", ylabel="σ [mS/cm]", logy=True,
                    styles=styles, title="Arrhenius: calibrated at 25 °C, slopes predicted")
    ax.plot([1000 / hg.T25], [10 * hg.LIU_2025["sigma_SiO2-in-PVH"]], "s", color="C2",
            label="SiO2-in-PVH measured (25 °C)")
    ax.legend(frameon=False, fontsize=6.5)
    return fig
