r"""The full cell of Fig. S35: LFP | electrolyte | Li at a C-rate, run to steady state.

Both electrodes are Butler--Volmer boundary conditions (Li anode at the top at
:math:`\phi_s = 0`, LFP cathode at the bottom with its plateau potential as :math:`U`),
galvanostatic at :math:`C \cdot i_{1C}`. The losses are read from the Li+ electrochemical
potential :math:`\tilde\mu/F` along the axis (Donnan-free):

* electrolyte: :math:`\tilde\mu(\text{anode}) - \tilde\mu(\text{cathode})`;
* charge transfer at Li: :math:`0 - \tilde\mu(\text{anode})`;
* charge transfer at LFP: :math:`-(\phi_{s,LFP} - U_{LFP} - \tilde\mu(\text{cathode}))`;

and the polarisation is :math:`U_{LFP} - V_{cell}`.
"""
from __future__ import annotations

from .cells import build_cell, problem_for
from .profiles import potentials, profile_table
from .transient import run_transient, steady_options

__all__ = ["full_cell"]


def full_cell(res, data, setup, *, checkpoints, progress):
    """LFP | electrolyte | Li at a C-rate, steady state: rows, notes, potential maps and
    axis profiles, for every electrolyte of *setup* (name -> ``(layers, species)``)."""
    from ...io.artifacts import slug
    from .figures import full_cell_axis_figure, full_cell_map_figure

    fc = data["full_cell"]
    T = data["temperature"]
    i_app = fc["c_rate"] * fc["one_c_current"]
    sols = {}
    for name, (layers, sp) in setup.items():
        d = build_cell(data["width"], layers, mesh=data["mesh"])
        pr = problem_for(d, sp, "current", T=T, data=data)
        sol, reason = run_transient(pr, key=slug(f"current_{name}"), voltage=("bottom", "top"),
                                    checkpoints=checkpoints, progress=progress,
                                    desc=f"{fc['c_rate']:g} C: {name}", dt_max=data["max_step"],
                                    **steady_options(layers, sp, data))
        sols[name] = sol
        res.solutions[slug(f"current_{name}")] = sol
        _, _, mu = potentials(sol, data)
        Vt = float(sol.history("V_cell")[-1])
        ps_c = float(sol.history("phi_s_bottom")[-1])
        ct_li = 0.0 - float(mu[-1])  # eta - V_T ln(c/c_ref) at the Li anode (phi_s = 0)
        ct_lfp = -(ps_c - fc["cathode_potential"] - float(mu[0]))
        res.summary = (res.summary.add(name, "c_rate", fc["c_rate"], "1")
                       .add_si(name, "current_density", i_app, "A m-2")
                       .add(name, "cell_voltage", Vt, "V")
                       .add(name, "polarisation", fc["cathode_potential"] - Vt, "V")
                       .add(name, "electrolyte_loss", float(mu[-1] - mu[0]), "V")
                       .add(name, "charge_transfer_loss_Li", ct_li, "V")
                       .add(name, "charge_transfer_loss_LFP", ct_lfp, "V")
                       .add(name, "time_to_steady_state", float(sol.times[-1]), "s"))
        if not (reason and reason.startswith("steady")):
            res.notes.append(f"{name}: the full cell did not reach the steady-state tolerance.")
    res.notes.append(
        f"Full cell (Fig. S35): LFP | electrolyte | Li at {fc['c_rate']:g} C = "
        f"{i_app / 10:.4g} mA/cm2 (1 C = {fc['one_c_current'] / 10:.4g} mA/cm2), "
        f"{T - 273.15:.0f} degC, electrodes as Butler-Volmer boundary conditions (Li: i0 = "
        f"{fc['i0_anode']:g} A m-2; LFP: U = {fc['cathode_potential']:g} V, i0 = "
        f"{fc['i0_cathode']:g} A m-2 per geometric area), steady state. Potentials are "
        "relative to the Li anode.")
    res.parameters["full_cell"] = dict(fc)
    res.figures["full_cell_potential_map"] = full_cell_map_figure(sols, setup, data)
    res.figures["full_cell_potential_axis"] = full_cell_axis_figure(sols, setup, data)
    res.tables["full_cell_profiles"] = profile_table(sols)
