r"""The two readings of the paper's driving condition, run for every electrolyte.

* ``voltage`` -- 0.01 V between two reversible Li electrodes, to steady state; the steady
  :math:`\Delta c` of a single-layer cell is checked against
  :func:`ntransport.physics.polarisation.steady_polarisation`;
* ``flux`` -- the Li+ flux in at the anode and out at the cathode, anions blocked, until a
  mobile species depletes (``depletion_fraction``); reported: the depletion time and
  :math:`\sqrt{D_{amb} t}` against the thickness (:math:`D_{amb} = 2D_+D_-/(D_++D_-)`),
  and Sand's time of a single binary layer.

Each reading adds its summary rows, notes, maps, profiles and profile table to the result.
"""
from __future__ import annotations

import math

from .cells import build_cell, equilibrium_state, problem_for
from .electrolytes import first_layer, host_sand_time, thickness
from .profiles import axis, profile, profile_table, x_uniformity
from .schema import LI
from .transient import depletion_event, depletion_time, run_transient, steady_options

__all__ = ["run_reading"]


def run_reading(res, reading, data, setup, *, checkpoints, progress):
    """One reading (``voltage`` or ``flux``) for every electrolyte of *setup* (name ->
    ``(layers, species)``): runs, rows, notes, figures; returns name -> Solution."""
    from ...io.artifacts import slug
    from .figures import maps_figure, profiles_figure

    T = data["temperature"]
    sols, notes, eqs = {}, [], {}
    t_s = host_sand_time(data, setup)
    for name, (layers, sp) in setup.items():
        d = build_cell(data["width"], layers, mesh=data["mesh"])
        pr = problem_for(d, sp, reading, T=T, data=data)
        if reading == "voltage":
            kw = steady_options(layers, sp, data)
        else:
            frac = data["depletion_fraction"]
            kw = dict(t_end=20 * t_s, dt=1e-4 * t_s, events=[lambda sy: depletion_event(sy, frac)],
                      times=[f * t_s for f in data["flux_frames"]])
        sol, reason = run_transient(pr, key=slug(f"{reading}_{name}"), voltage=("top", "bottom"),
                                    checkpoints=checkpoints, progress=progress,
                                    desc=f"{reading}: {name}", dt_max=data["max_step"], **kw)
        sols[name] = sol
        res.solutions[slug(f"{reading}_{name}")] = sol
        eqs[name] = equilibrium_state(d, sp, data, T)
        _, c = profile(sol, "c_Li+")
        c = c - eqs[name].concentrations[LI][axis(d)[1]]  # polarisation: c - c(equilibrium)
        rows = _voltage_rows if reading == "voltage" else _flux_rows
        notes += rows(res, name, sol, reason, c, layers, sp, data)
        res.summary = res.summary.add(name, f"max_conservation_error_{reading}",
                                      float(sol.history("conservation_error").max()), "1")
        res.summary = res.summary.add(name, f"x_uniformity_{reading}", x_uniformity(sol), "1")
    res.notes.extend(notes)
    res.notes.extend(_reading_notes(res, reading, data, t_s))
    res.figures[f"maps_{reading}"] = maps_figure(sols, data, reading, eqs)
    res.figures[f"profiles_{reading}"] = profiles_figure(sols, reading, setup, eqs)
    res.tables[f"profiles_{reading}"] = profile_table(sols)
    return sols


def _voltage_rows(res, name, sol, reason, dc, layers, sp, data) -> list[str]:
    """Rows of the steady state under the voltage; *dc*: c(Li+) - c_eq along the axis."""
    from ...physics.polarisation import steady_polarisation

    notes = []
    t_last = float(sol.times[-1])
    res.summary = (res.summary
                   .add_si(name, "delta_c_Li+_steady", dc[-1] - dc[0], "mol m-3")
                   .add_si(name, "current_density_steady", float(sol.history("i_top")[-1]),
                           "A m-2")
                   .add(name, "time_to_steady_state", t_last, "s")
                   .add(name, "cell_voltage", float(sol.history("V_cell")[-1]), "V"))
    if not (reason and reason.startswith("steady")):
        notes.append(f"{name}: reading 'voltage' did not reach the steady-state "
                     f"tolerance by t = {t_last:.4g} s.")
    if len(layers) == 1:
        Dp, Dm, cl, cf, cx = first_layer(layers, sp)
        ref = steady_polarisation(data["voltage"], c_free=cf, c_fixed=cx, D_plus=Dp,
                                  length=thickness(layers), T=data["temperature"],
                                  i0=data["exchange_current"], c_ref=cl)
        res.summary = (res.summary
                       .add_si(name, "delta_c_Li+_analytic", ref["delta_c"], "mol m-3")
                       .add(name, "delta_c_relative_error",
                            (dc[-1] - dc[0]) / ref["delta_c"] - 1, "1"))
    return notes


def _flux_rows(res, name, sol, reason, dc, layers, sp, data) -> list[str]:
    """Rows of the flux reading: depletion time, sqrt(D t) against the thickness."""
    from ...physics.polarisation import sand_time

    notes = []
    H = thickness(layers)
    t_dep = depletion_time(reason)
    Dp, Dm, cl, cf, cx = first_layer(layers, sp)
    D_amb = 2 * Dp * Dm / (Dp + Dm)
    if t_dep is None:
        notes.append(f"{name}: reading 'flux' reached t = {float(sol.times[-1]):.4g} s "
                     "without depletion.")
    else:
        L = math.sqrt(D_amb * t_dep)
        res.summary = (res.summary
                       .add(name, "depletion_time", t_dep, "s")
                       .add_si(name, "diffusion_length_at_depletion", L, "m")
                       .add(name, "diffusion_length_over_thickness", L / H, "1"))
        notes.append(f"{name}, flux {data['flux']:g} mol m-2 s-1: {reason}; "
                     f"sqrt(D t) = {L * 1e6:.3g} um against a thickness of {H * 1e6:.3g} um.")
    if len(layers) == 1 and cx == 0:
        res.summary = res.summary.add(name, "sand_time_analytic",
                                      sand_time(data["flux"], c0=cl, D_plus=Dp, D_minus=Dm), "s")
    res.summary = res.summary.add(name, "cell_voltage_at_end",
                                  float(sol.history("V_cell")[-1]), "V")
    return notes


def _reading_notes(res, reading, data, t_s) -> list[str]:
    """What the reading is (and, for the flux reading, the finding across electrolytes)."""
    if reading == "voltage":
        return [
            f"Reading 'voltage': {data['voltage'] * 1e3:g} mV between two Li electrodes "
            f"(Butler-Volmer, i0 = {data['exchange_current']:g} A m-2: reversible, an "
            "assumption -- the paper gives no kinetics), run to steady state; the steady "
            "Delta c is compared with the analytic 1D solution (ntransport.physics."
            "polarisation.steady_polarisation)."]
    notes = []
    ratios = [r.value for r in res.summary.select(quantity="diffusion_length_over_thickness")]
    if ratios:
        notes.append(
            "Finding: at the paper's Li+ flux every electrolyte depletes while sqrt(D t) is "
            f"at most {max(ratios):.2g} of its thickness, so the flux reading cannot give "
            "maps with gradients across the whole cell (the concentration contrast stays in "
            "sub-micrometre layers at the electrodes and interfaces); the 0.01 V reading, run "
            "to steady state, does.")
    notes.append(
        f"Reading 'flux': Li+ flux {data['flux']:g} mol m-2 s-1 in at the anode (top) and "
        "out at the cathode (bottom), anions blocked, phi = 0 at the cathode; run until "
        f"a mobile species falls below {data['depletion_fraction']:g} of its initial "
        f"value. Frames at {data['flux_frames']} x the host's Sand time {t_s:.4g} s.")
    return notes
