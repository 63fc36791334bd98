"""The layered (PLM) cell: its zero-current Donnan equilibrium and the voltage per layer.

* :func:`zero_current_check` runs a layered cell at zero current from its equilibrium
  start: the cell voltage, dc/dt and the drift of c must stay at round-off;
* :func:`equilibrium_checks` adds those numbers and the Donnan potential of every layer
  (relative to the cathode-side layer) to the summary;
* :func:`layer_voltages` gives the potential drop across each layer minus its equilibrium
  value, for every reading, and the axis potential of Fig. S27.
"""
from __future__ import annotations

import numpy as np

from .cells import build_cell, equilibrium_state, problem_for
from .electrolytes import interfaces, mobile_D, thickness
from .profiles import axis, common_frame, layer_drops, profile

__all__ = ["zero_current_check", "equilibrium_checks", "layer_voltages"]


def zero_current_check(layers, species, *, data, T, steps=5):
    """Run the layered cell at zero current from its equilibrium start; returns
    ``(max |V| [V], max |dc/dt| [mol m-3 s-1], max |c(t) - c(0)| [mol m-3])``."""
    from ...solve.npp import run

    d = build_cell(data["width"], layers, mesh=data["mesh"])
    pr = problem_for(d, species, "zero", T=T, data=data)
    dt = 1e-3 * thickness(layers)**2 / mobile_D(species)[1]
    vmax = rate = drift = 0.0
    c_start = None
    for st in run(pr, t_end=steps * dt, dt=dt, adaptive=False):
        cs = np.concatenate([st.concentrations[s.name] for s in pr.mobile])
        if c_start is None:
            s0 = equilibrium_state(d, species, data, T)
            c_start = np.concatenate([s0.concentrations[s.name] for s in pr.mobile])
            prev = c_start
        vmax = max(vmax, abs(st.electrode_potentials["top"] - st.electrode_potentials["bottom"]))
        rate = max(rate, float(np.max(np.abs(cs - prev))) / st.dt)
        drift = max(drift, float(np.max(np.abs(cs - c_start))))
        prev = cs
    return vmax, rate, drift


def equilibrium_checks(res, data, setup):
    """Zero-current run from the Donnan start of every electrolyte; Donnan potentials."""
    T = data["temperature"]
    for name, (layers, sp) in setup.items():
        v, rate, drift = zero_current_check(layers, sp, data=data, T=T)
        res.summary = (res.summary.add(name, "zero_current_max_abs_voltage", v, "V")
                       .add(name, "zero_current_max_dc_dt", rate, "mol m-3 s-1")
                       .add_si(name, "zero_current_max_drift", drift, "mol m-3"))
        d = build_cell(data["width"], layers, mesh=data["mesh"])
        y, idx = axis(d)
        phi = equilibrium_state(d, sp, data, T).potential[idx]
        z0 = 0.0
        ref = None
        for lay, th, _ in layers:
            mid = phi[np.argmin(np.abs(y - (z0 + th / 2)))]
            ref = mid if ref is None else ref
            res.summary = res.summary.add(name, "equilibrium_layer_potential", mid - ref, "V", lay)
            z0 += th
    res.notes.append(
        "Equilibrium start: every mobile species Boltzmann-distributed in one potential, the "
        "potential at each node fixed by electroneutrality with the local fixed charge "
        "(Donnan potentials, relative to the cathode-side layer). At zero current the cell "
        "voltage and dc/dt stay at round-off (rows zero_current_*).")


def layer_voltages(res, data, setup, finals):
    """Potential drop across each layer (minus its equilibrium value) for every reading,
    and the axis potential of Fig. S27 (steady state; flux reading: the latest time all
    electrolytes reached). *finals*: reading -> name -> Solution."""
    from .figures import layer_voltage_figures

    T = data["temperature"]
    panels = {}
    for reading, sols in finals.items():
        curves, pol, bounds, bars = {}, {}, {}, {}
        for name, (layers, sp) in setup.items():
            sol = sols[name]
            fr = sol.frames[-1] if reading == "voltage" else common_frame(sol, sols.values())
            y, phi = profile(sol, "phi", fr)
            d = sol.frames[-1].domain
            eq = equilibrium_state(d, sp, data, T).potential[axis(d)[1]]
            drops = layer_drops(y, phi - eq, layers)
            for lay, v in drops.items():
                res.summary = res.summary.add(name, f"layer_voltage_{reading}", v, "V", lay)
            res.summary = res.summary.add(name, f"layer_voltage_{reading}_time", fr.t, "s")
            bars[f"{name} (t = {fr.t:.3g} s)"] = {lay: 1e3 * v for lay, v in drops.items()}
            curves[name] = (y * 1e6, phi * 1e3)
            pol[name] = (y * 1e6, (phi - eq) * 1e3)
            bounds[name] = list(interfaces(layers) * 1e6)
        panels[reading] = (curves, pol, bounds, bars)
    res.figures["potential_axis"], res.figures["voltage_per_layer"] = \
        layer_voltage_figures(panels, n_electrolytes=len(setup))
