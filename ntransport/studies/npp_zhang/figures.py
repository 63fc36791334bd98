"""Every figure of the study, drawn through :mod:`ntransport.io.style` (µm axes, perceptual
colour maps, regions outlined, the same colour range for panels that are compared).

* :func:`maps_figure` -- fields x electrolytes at the end of a reading (Figs. S26/S27 maps);
* :func:`profiles_figure` -- c(Li+), c(free A-), phi and the salt ratio across the cell;
* :func:`layer_voltage_figures` -- axis potential (Fig. S27) and voltage per layer;
* :func:`poisson_figure` -- Poisson against electroneutrality near and away from the walls;
* :func:`full_cell_map_figure`, :func:`full_cell_axis_figure` -- Fig. S35.
"""
from __future__ import annotations

import numpy as np

from .cells import electrochemical_potential
from .electrolytes import interfaces, thickness
from .profiles import axis, potentials, profile
from .schema import FREE, LI

__all__ = ["FIELDS", "maps_figure", "profiles_figure", "layer_voltage_figures",
           "poisson_figure", "full_cell_map_figure", "full_cell_axis_figure"]

#: the rows of :func:`maps_figure`
FIELDS = ("c_Li+", "dc_Li+", "c_A-", "c_A- immobilised", "phi", "|N_Li+|")
_LABELS = {"c_Li+": "c(Li⁺) [mol m⁻³]", "dc_Li+": "c(Li⁺) − c_eq(Li⁺) [mol m⁻³]",
           "c_A-": "c(free A⁻) [mol m⁻³]", "c_A- immobilised": "c(immobilised A⁻) [mol m⁻³]",
           "phi": "φ [mV]", "|N_Li+|": "|N(Li⁺)| [mol m⁻² s⁻¹]"}


def _field_values(frame, field, eq=None):
    if field == "dc_Li+":
        return np.asarray(frame["c_Li+"]) - eq.concentrations[LI]
    if field == "|N_Li+|":
        return np.linalg.norm(np.asarray(frame["N_Li+ [mol m-2 s-1]"]), axis=1)
    return np.asarray(frame[field])


def maps_figure(sols, data, reading, eqs):
    """Rows: fields; columns: electrolytes; one colour range and one colour bar per field
    (a row). ``eqs``: the equilibrium state of each electrolyte (for the polarisation
    row)."""
    from ...io import style

    names = list(sols)
    frames = {n: sols[n].frames[-1] for n in names}
    dom = frames[names[0]].domain
    w, h = np.ptp(dom.mesh.p[0]), np.ptp(dom.mesh.p[1])
    panel = (4.4, max(1.5, min(3.4, 4.4 * h / w + 0.8)))
    fig, axes = style.new_figure(len(FIELDS) * len(names), ncols=len(names), panel=panel)
    for r, field in enumerate(FIELDS):
        vals = {n: _field_values(frames[n], field, eqs[n]) * (1e3 if field == "phi" else 1.0)
                for n in names}
        lo = min(float(v.min()) for v in vals.values())
        hi = max(float(v.max()) for v in vals.values())
        pos = min((float(v[v > 0].min()) for v in vals.values() if np.any(v > 0)), default=0.0)
        kind = "diverging" if field in ("phi", "dc_Li+") and lo < 0 < hi else "sequential"
        if field.startswith("c_") and pos > 0 and hi > 20 * pos:
            kind = "log"  # layers whose concentrations differ by decades
        vmin, vmax = style.color_limits(np.concatenate(list(vals.values())), kind=kind)
        for c, n in enumerate(names):
            f = frames[n]
            title = f"{n}: {_LABELS[field].split(' [')[0]}" + (
                f"  (t = {f.t:.3g} s)" if r == 0 else "")
            ax = axes[r * len(names) + c]
            art = style.field_map(ax, f.domain, vals[n], kind=kind, vmin=vmin, vmax=vmax,
                                  title=title, colorbar=False)
            if field == "|N_Li+|":
                style.streamlines(ax, f.domain, f["N_Li+ [mol m-2 s-1]"], density=0.5, n=48)
        # one colour bar per row: its panels share one range
        row = axes[r * len(names):(r + 1) * len(names)]
        style.add_colorbar(art, row, "[" + _LABELS[field].split(" [")[1])
    style.outer_labels(axes)
    what = ("steady state under %g mV" % (data["voltage"] * 1e3) if reading == "voltage"
            else "Li⁺ flux %g mol m⁻² s⁻¹, at depletion" % data["flux"])
    fig.suptitle(f"{data['title'] or data['comparison']} — {what} "
                 "(same colour range for both electrolytes)")
    return fig


def profiles_figure(sols, reading, setup, eqs):
    """c(Li+), c(free A-), phi and the salt ratio c(A-)/c_eq(A-) across the cell (nodes of
    the left edge); the flux reading's earlier frames as thin lines."""
    from ...io import style

    keys = [("c_Li+", "c(Li⁺) [mol m⁻³]", 1.0), ("c_A-", "c(free A⁻) [mol m⁻³]", 1.0),
            ("phi", "φ [mV]", 1e3), ("ratio", "c(free A⁻) / c_eq(free A⁻)", 1.0)]
    fig, axes = style.new_figure(len(keys), ncols=len(keys), panel=(3.6, 3.0))
    colors = {name: f"C{i}" for i, name in enumerate(sols)}
    for ax, (key, label, f) in zip(axes, keys):
        span = []
        for name, sol in sols.items():
            frames = sol.frames
            eq = eqs[name].concentrations[FREE][axis(sol.domain)[1]]
            for j, fr in enumerate(frames):
                y, v = profile(sol, "c_A-" if key == "ratio" else key, fr)
                if key == "ratio":
                    v = v / np.maximum(eq, 1e-300)
                span.append(v)
                last = j == len(frames) - 1
                ax.plot(y * 1e6, v * f, color=colors[name], lw=1.4 if last else 0.8,
                        alpha=1.0 if last else 0.35 + 0.5 * j / max(len(frames), 1),
                        label=f"{name} (t = {fr.t:.3g} s)" if last else None)
        allv = np.concatenate(span)
        if key.startswith("c_") and allv.min() > 0 and allv.max() > 20 * allv.min():
            ax.set_yscale("log")
        for el_name, (lays, _) in setup.items():
            for b in interfaces(lays):
                ax.axvline(b * 1e6, color=colors[el_name], ls=":", lw=0.8)
        ax.set_xlabel("distance from the cathode [µm]")
        ax.set_ylabel(label)
        ax.grid(alpha=0.25, lw=0.5)
    axes[0].legend(frameon=False, fontsize=7)
    what = ("steady state" if reading == "voltage" else
            "flux reading: thin lines = earlier frames, thick = at depletion")
    fig.suptitle(f"Profiles across the cell — {what}")
    return fig


def layer_voltage_figures(panels, *, n_electrolytes):
    """``(axis figure, bars figure)``; *panels*: reading -> ``(curves, curves minus
    equilibrium, interface positions, bars)`` in µm and mV, one column per reading."""
    from ...io import style

    n = len(panels)
    fig, axes = style.new_figure(2 * n, ncols=n, panel=(4.6, 3.0))
    figb, axesb = style.new_figure(n, ncols=n, panel=(4.6, 0.9 + 0.5 * n_electrolytes))
    for col, (reading, (curves, pol, bounds, bars)) in enumerate(panels.items()):
        when = "steady state" if reading == "voltage" else "flux, latest common time"
        style.line_plot(axes[col], curves, xlabel="distance from the cathode [µm]",
                        ylabel="potential φ [mV]", boundaries=bounds,
                        title=f"Fig. S27 — {reading} reading ({when})")
        style.line_plot(axes[n + col], pol, xlabel="distance from the cathode [µm]",
                        ylabel="φ − φ(equilibrium) [mV]", boundaries=bounds,
                        title="the part driven by the current (Donnan steps removed)")
        style.stacked_bars(axesb[col], bars, xlabel="drop across the layer minus its "
                           "equilibrium value [mV]", title=f"Voltage per layer — {reading} "
                           "reading")
    return fig, figb


def poisson_figure(en, po, lam, name, t, c0):
    """c and phi of both models against the distance from the cathode (log, nm) with
    lambda_D and 20 lambda_D marked; the relative difference in c outside 20 lambda_D.
    *en*, *po*: ``(y [m], c, phi)`` of the electroneutral and the Poisson run."""
    from ...io import style

    ye, ce, pe = en
    yp, cp, pp = po
    fig, axes = style.new_figure(3, ncols=3, panel=(3.6, 3.0))
    for ax, (a, b, lab) in zip(axes[:2], ((ce, cp, "c(Li⁺) [mol m⁻³]"),
                                          (pe * 1e3, pp * 1e3, "φ [mV]"))):
        sel_e, sel_p = ye > 0, yp > 0
        ax.semilogx(yp[sel_p] * 1e9, b[sel_p], label="Poisson", lw=1.6)
        ax.semilogx(ye[sel_e] * 1e9, a[sel_e], "--", label="electroneutral", lw=1.2)
        ax.axvline(lam * 1e9, color="0.4", ls=":", lw=0.8)
        ax.axvline(20 * lam * 1e9, color="0.4", ls="-.", lw=0.8)
        ax.set_xlabel("distance from the cathode [nm] (log)")
        ax.set_ylabel(lab)
        ax.grid(alpha=0.25, lw=0.5)
    axes[0].legend(frameon=False)
    axes[0].set_title(f"{name}, t = {t:.3g} s; dotted: λ_D, dash-dot: 20 λ_D")
    ax = axes[2]
    H = ye[-1]
    out = (ye > 20 * lam) & (ye < H - 20 * lam)
    diff = np.abs(np.interp(ye[out], yp, cp) - ce[out]) / c0
    ax.semilogy(ye[out] * 1e6, np.maximum(diff, 1e-16))
    ax.set_xlabel("distance from the cathode [µm]")
    ax.set_ylabel("|c_Poisson − c_EN| / c₀")
    ax.set_title("difference outside the Debye layers")
    ax.grid(alpha=0.25, lw=0.5)
    return fig


def full_cell_map_figure(sols, setup, data):
    """Rows: the electric potential phi and the Li+ electrochemical potential mu/F =
    phi + RT/F ln(c/c_salt) (Donnan-free: what drives the current); one colour range per row."""
    from ...io import style

    names = list(sols)
    last = {n: sols[n].frames[-1] for n in names}
    rows = {"φ [mV]": {n: np.asarray(last[n]["phi"]) * 1e3 for n in names},
            "μ̃(Li⁺)/F = φ + (RT/F) ln(c/c_salt) [mV]": {
                n: electrochemical_potential(np.asarray(last[n]["phi"]),
                                             np.asarray(last[n]["c_Li+"]), data) * 1e3
                for n in names}}
    Hmax = max(thickness(setup[n][0]) for n in names)
    fig, axes = style.new_figure(2 * len(names), ncols=len(names),
                                 panel=(3.2, 1.3 + 3.0 * Hmax / 50e-6))
    for r, (label, vals) in enumerate(rows.items()):
        lo, hi = style.color_limits(np.concatenate(list(vals.values())))
        for c, n in enumerate(names):
            ax = axes[r * len(names) + c]
            f = last[n]
            art = style.field_map(ax, f.domain, vals[n], kind="sequential", vmin=lo, vmax=hi,
                                  title=n if r == 0 else f"{n}: electrochemical",
                                  colorbar=False)
            if r == 0:
                style.streamlines(ax, f.domain, f["i [A m-2]"], density=0.5, n=48)
            ax.set_ylim(0, Hmax * 1e6)
        # one colour bar per row: its panels share one range
        style.add_colorbar(art, axes[r * len(names):(r + 1) * len(names)], label)
    style.outer_labels(axes)
    fig.suptitle("Fig. S35 — LFP (bottom) | electrolyte | Li (top), potentials vs the Li anode; "
                 "same colour range per row; white: current lines")
    return fig


def full_cell_axis_figure(sols, setup, data):
    """The potential ladder Li (0) -> electrolyte -> LFP; the electrolyte potential phi
    (with Donnan steps); the Li+ electrochemical potential (Donnan-free)."""
    from ...io import style

    fig, axes = style.new_figure(3, ncols=3, panel=(4.0, 3.2))
    curves, mus, bounds, ladder = {}, {}, {}, {}
    for n, sol in sols.items():
        y, phi, mu = potentials(sol, data)
        H = y[-1]
        x = (H - y)[::-1]  # distance from the Li anode
        curves[n] = (x * 1e6, phi[::-1] * 1e3)
        mus[n] = (x * 1e6, mu[::-1] * 1e3)
        bounds[n] = list((H - interfaces(setup[n][0])) * 1e6)
        ps = float(sol.history("phi_s_bottom")[-1])
        ladder[n] = (np.r_[-2.0, 0.0, x * 1e6, H * 1e6, H * 1e6 + 2.0],
                     np.r_[0.0, 0.0, phi[::-1], ps, ps])
    style.line_plot(axes[0], ladder, xlabel="distance from the Li anode [µm]",
                    ylabel="potential vs Li [V]",
                    title="Li (φ_s = 0) | electrolyte φ | LFP (φ_s)")
    style.line_plot(axes[1], curves, xlabel="distance from the Li anode [µm]",
                    ylabel="electrolyte potential φ [mV]", boundaries=bounds,
                    title=f"φ at {data['full_cell']['c_rate']:g} C (steps: Donnan potentials)")
    style.line_plot(axes[2], mus, xlabel="distance from the Li anode [µm]",
                    ylabel="μ̃(Li⁺)/F [mV]", boundaries=bounds,
                    title="Li⁺ electrochemical potential (its drop is the loss)")
    return fig
