r"""The "npp_zhang" study: Nernst--Planck maps of Zhang et al. (SI, "Simulation of Li+
concentration, electric potential, anion concentration distribution", Figs. S26, S27, S35).

One ``run(case)`` for three comparisons (``comparison:`` in the case file):

* ``peo_vs_peomof`` -- PEO vs PEO/MOF in a 100 x 20 um cell;
* ``peo_vs_plm`` -- PEO vs the layered PLM (LLZO | PE | MOF) in a 20 x 5.6 um cell, with the
  zero-current equilibrium check and the potential along the central axis (Fig. S27);
* ``full_cell`` -- the electrolyte of an LFP | electrolyte | Li cell at a C-rate (Fig. S35).

**Electrolytes.** Each layer has a conductivity :math:`\sigma` (taken to the run's one
temperature by its activation energy) and a Li+ transference number :math:`t_+`. "According
to the Li+ transference number, anions were divided into two sets": free anions with the
normal diffusivity of the host, :math:`D_- = D_+(1-t_0)/t_0` (:math:`t_0` =
``host_transference``, PEO/LiTFSI), and immobilised anions (:math:`D=0`, a fixed charge)
-- a fraction :math:`\theta` with :math:`1-\theta = t_0(1-t_+)/((1-t_0)t_+)`;
:math:`D_+ = t_+\sigma RT/(F^2c_{Li})` (Nernst--Einstein on the mobile ions,
:func:`ntransport.physics.species.transference_split`). Li+ concentrations:
``concentrations: salt`` gives every layer the salt concentration; ``donnan`` the one in
Donnan equilibrium with a host layer at the salt concentration
(:func:`~ntransport.physics.species.donnan_concentration`), so a layered cell starts in
equilibrium (Donnan potentials at the interfaces; at zero current nothing moves).

**Two readings of the paper's driving condition** (the paper sets both "an overpotential
difference of 0.01 V" and "a Li+ flux of 0.01 mol m-2 s-1"; together they over-determine an
electroneutral cell):

* ``voltage`` -- 0.01 V between two reversible Li electrodes (Butler--Volmer with a large
  exchange current, concentration-dependent), run to steady state; the steady
  :math:`\Delta c` is checked against :func:`ntransport.physics.polarisation.steady_polarisation`;
* ``flux`` -- the Li+ flux in at the anode (top) and out at the cathode (bottom), anions
  blocked, until the electrolyte depletes somewhere (``depletion_fraction`` of the initial
  concentration of a mobile species): the depletion time is reported with
  :math:`\sqrt{Dt}` at that time against the thickness.

Optionally the full Poisson model (Debye layers resolved by a graded mesh, permittivity of
the material) runs next to electroneutrality for the ``flux`` reading of one electrolyte,
and the difference outside the Debye layers is reported.

Meshes are structured (:func:`ntransport.geometry.structured.layered_rectangle`, four
triangles per cell): the 1D problems stay uniform along x to round-off.
Every transient run checkpoints to the study's CheckpointStore and resumes from it.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from ..config import ListOf, MapOf, Quantity, Section, Value
from ..constants import F, R
from ..errors import ConfigError, MaterialError
from ..io.tables import SummaryTable
from .conduction_case import MATERIAL
from .registry import register_study

__all__ = ["SCHEMA", "run", "check", "electrolyte_species", "build_cell", "problem_for",
           "zero_current_check", "axis"]

log = logging.getLogger(__name__)

COMPARISONS = ("peo_vs_peomof", "peo_vs_plm", "full_cell")
READINGS = ("voltage", "flux")
FIELDS = ("c_Li+", "dc_Li+", "c_A-", "c_A- immobilised", "phi", "|N_Li+|")
LI, FREE, FIXED = "Li+", "A-", "A- immobilised"

LAYER = Section({"name": Value(str), "thickness": Quantity("length", positive=True),
                 "material": MATERIAL})

SCHEMA = Section({
    "comparison": Value(str, choices=COMPARISONS),
    "title": Value(str, default=""),
    "temperature": Quantity("temperature", positive=True,
                            doc="one temperature for every layer (e.g. 60 degC)"),
    "host_transference": Value(float, default=0.22, doc="t0 of the host (PEO/LiTFSI)"),
    "salt_concentration": Quantity("concentration", default=1000.0, positive=True),
    "concentrations": Value(str, default="donnan", choices=("salt", "donnan")),
    "width": Quantity("length", positive=True),
    "electrolytes": MapOf(ListOf(LAYER, min_len=1), min_len=1,
                          doc="name -> layers from the cathode (bottom) up"),
    "readings": ListOf(Value(str, choices=READINGS), default=list(READINGS)),
    "voltage": Quantity("voltage", default=0.01, positive=True),
    "flux": Value(float, default=0.01, doc="Li+ flux [mol m-2 s-1]"),
    "exchange_current": Quantity("current_density", default=1e4, positive=True,
                                 doc="i0 of both Li electrodes, reading 'voltage'"),
    "depletion_fraction": Value(float, default=0.01),
    "steady_tolerance": Value(float, default=1e-6),
    "flux_frames": ListOf(Value(float), default=[0.1, 0.3, 0.6, 0.9],
                          doc="frame times of the flux reading, in Sand times of the host"),
    "max_step": Quantity("time", default=None, positive=True),
    "poisson": Section({"electrolyte": Value(str),
                        "debye_resolution": Value(float, default=4.0)}, default=None),
    "full_cell": Section({
        "c_rate": Value(float),
        "one_c_current": Quantity("current_density", positive=True),
        "cathode_potential": Quantity("voltage", doc="LFP equilibrium potential vs Li"),
        "i0_anode": Quantity("current_density", positive=True),
        "i0_cathode": Quantity("current_density", positive=True),
    }, default=None),
    "mesh": Section({"nx": Value(int, default=10),
                     "elements_across": Value(int, default=60),
                     "h0": Quantity("length", default=5e-9, positive=True),
                     "growth": Value(float, default=1.2)}, default={}),
})


# ============================================================== electrolytes and cells
def _material(spec, where):
    from .. import materials as lib

    try:
        if isinstance(spec, str):
            return lib.get(spec)
        over = {("conductivity_ref" if k == "conductivity" else k): v for k, v in spec.items()
                if v is not None and k != "library"}
        if spec["library"] is not None:
            m = lib.get(spec["library"])
            return m.with_(**over) if over else m
        if "conductivity_ref" not in over:
            raise ConfigError(f"{where}: give 'library' or at least 'conductivity'.")
        return lib.Material(name=where.rsplit(".", 1)[-1], **over)
    except MaterialError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def electrolyte_species(layers, *, T, t0, c_salt, concentrations="donnan"):
    """``(species, table)`` of one electrolyte: Li+, free and immobilised anions with
    per-layer D and c0 (module docstring), and the per-layer parameters used.

    *layers*: list of ``(name, thickness [m], Material)`` from the cathode up.
    """
    from ..physics.species import Species, donnan_concentration, transference_split

    Dp, Dm, cl, cf, cx, table = {}, {}, {}, {}, {}, {}
    for name, th, m in layers:
        try:
            sigma = m.conductivity(T)
            tp = m.transference
            c = c_salt if concentrations == "salt" else donnan_concentration(tp, t0, c_salt)
            dp, dm, free, fixed = transference_split(sigma, tp, c, t0=t0, T=T)
        except MaterialError as exc:
            raise ConfigError(f"layer {name!r} ({m.name}): {exc}") from exc
        Dp[name], Dm[name], cl[name], cf[name], cx[name] = dp, dm, c, free, fixed
        table[name] = {"material": m.name, "thickness [m]": th, "sigma [S/m]": sigma,
                       "t+ [1]": tp, "c_Li+ [mol m-3]": c, "c_A- free [mol m-3]": free,
                       "c_A- immobilised [mol m-3]": fixed, "D_Li+ [m2 s-1]": dp,
                       "D_A- [m2 s-1]": dm, "citation": m.citation, "note": m.note}
    return (Species(LI, 1, Dp, cl), Species(FREE, -1, Dm, cf), Species(FIXED, -1, 0.0, cx)), table


def build_cell(width, layers, *, mesh, h0=None):
    """Structured layered rectangle (cathode = ``bottom``, anode = ``top``)."""
    from ..geometry.structured import layered_rectangle

    H = sum(th for _, th, *_ in layers)
    return layered_rectangle(width, [(n, th) for n, th, *_ in layers], nx=mesh["nx"],
                             h=H / mesh["elements_across"],
                             h0=mesh["h0"] if h0 is None else h0, growth=mesh["growth"],
                             grade_interfaces=True)


def problem_for(domain, species, reading, *, T, data, electrostatics="electroneutral",
                permittivity=1.0, initial="equilibrium"):
    """The NPPProblem of one reading: ``"voltage"`` (two Li electrodes at 0 and V),
    ``"flux"`` (Li+ flux in at the top, out at the bottom, phi = 0 at the bottom),
    ``"current"`` (Li anode at the top, LFP cathode at the bottom, galvanostatic) or
    ``"zero"`` (two Li electrodes at zero current: the equilibrium check)."""
    from ..physics.electrode import Electrode, FixedPotential, Flux, Galvanostatic
    from ..solve.npp_problem import NPPProblem

    galv = None
    # each electrode's kinetics refer to the equilibrium Li+ concentration of the layer it
    # touches (so i0 is that interface's exchange current); U carries the matching Nernst
    # term so the open-circuit voltage stays the nominal one (module docstring)
    layers = domain.info["layers"]
    c_bot, c_top = species[0].value_in("c0", layers[0][0], domain.region_names), \
        species[0].value_in("c0", layers[-1][0], domain.region_names)
    VT = R * T / F
    shift = lambda c: VT * math.log(c / data["salt_concentration"])
    li = dict(c_ref=c_top, U=shift(c_top))
    lb = dict(c_ref=c_bot, U=shift(c_bot))
    if reading == "voltage":
        i0 = data["exchange_current"]
        bcs = [Electrode("bottom", i0=i0, potential=0.0, **lb),
               Electrode("top", i0=i0, potential=data["voltage"], **li)]
    elif reading == "flux":
        N = data["flux"]
        bcs = [Flux("top", LI, N), Flux("bottom", LI, -N), FixedPotential("bottom", 0.0)]
    elif reading == "zero":
        i0 = data["exchange_current"]
        bcs = [Electrode("bottom", i0=i0, potential=0.0, **lb), Electrode("top", i0=i0, **li)]
        galv = Galvanostatic("top", 0.0)
    elif reading == "current":
        fc = data["full_cell"]
        bcs = [Electrode("top", i0=fc["i0_anode"], potential=0.0, **li),
               Electrode("bottom", i0=fc["i0_cathode"], c_ref=c_bot,
                         U=fc["cathode_potential"] + lb["U"])]
        galv = Galvanostatic("bottom", -fc["c_rate"] * fc["one_c_current"])
    else:  # pragma: no cover - schema guards
        raise ConfigError(f"unknown reading {reading!r}")
    return NPPProblem(domain, species, bcs, electrostatics=electrostatics,
                      permittivity=permittivity, temperature=T, galvanostatic=galv,
                      initial=initial if electrostatics == "electroneutral" else "subdomain",
                      debye_resolution=data["poisson"]["debye_resolution"]
                      if data.get("poisson") else 1.0)


def axis(domain):
    """``(y [m], node indices)`` of the nodes on the left edge, bottom to top (a 1D
    structured cell is uniform along x, so this is its profile at the nodes)."""
    x, y = domain.mesh.p
    idx = np.nonzero(np.abs(x - x.min()) <= 1e-12 * max(np.ptp(x), 1e-300))[0]
    idx = idx[np.argsort(y[idx])]
    return y[idx], idx


# ============================================================== transient runs
def _scaled_rate(stepper):
    """max |du/dt| of the differential unknowns (scaled units) of an accepted step."""
    if stepper is None or stepper.u_prev is None or stepper.t_prev is None:
        return math.inf
    return float(np.max(np.abs(stepper.u - stepper.u_prev)) / (stepper.t - stepper.t_prev))


def _steady_event(system, tol, t_cell):
    """Stop when max |dc/dt| t_cell / c_ref < tol (c scaled by the system's c_ref)."""
    n, m = system.n, system.M_unknown
    tau_s = system.scaling.time

    def event(state):
        s = state.stepper
        if s is None or s.u_prev is None:
            return None
        du = np.abs(s.u[:m * n] - s.u_prev[:m * n]) if m else np.abs(s.u - s.u_prev)
        rate = float(du.max()) / (s.t - s.t_prev) * t_cell / tau_s
        if rate < tol:
            return f"steady state (max |dc/dt| t_cell/c_ref = {rate:.2g} < {tol:g})"
        return None

    return event


def _depletion_event(system, fraction):
    """Stop when a mobile species falls below *fraction* of its initial local value."""
    from ..solve.npp import initial_unknowns

    c0 = system.split(initial_unknowns(system))[0]
    names = system.mobile_names

    def ratio(u):
        c = system.split(u)[0]
        out = []
        for k in range(system.M):
            ok = c0[k] > 1e-12 * max(c0[k].max(), 1e-300)
            r = np.full(c0[k].size, np.inf)
            r[ok] = c[k][ok] / c0[k][ok]
            out.append(r)
        return out

    def event(state):
        s = state.stepper
        rs = ratio(s.u)
        k = int(np.argmin([r.min() for r in rs]))
        if rs[k].min() >= fraction:
            return None
        node = int(np.argmin(rs[k]))
        # time at which the ratio crossed the threshold, linear in the last step
        t = s.t * system.scaling.time
        if s.u_prev is not None and s.t_prev is not None:
            r0 = ratio(s.u_prev)[k][node]
            r1 = rs[k][node]
            if r0 > r1:
                w = (r0 - fraction) / (r0 - r1)
                t = (s.t_prev + w * (s.t - s.t_prev)) * system.scaling.time
        y = float(system.problem.domain.mesh.p[1, node])
        return f"depletion: {names[k]} at y = {y * 1e6:.4g} um fell below {fraction:g} x its initial value at t = {t:.6g} s"

    return event


def _parse_depletion(reason):
    if not reason or not reason.startswith("depletion"):
        return None
    return float(reason.rsplit("t = ", 1)[1].split(" s")[0])


def _transient(problem, *, key, t_end, dt, times, events, voltage, checkpoints, progress,
               desc, dt_max=None, rtol=1e-3):
    """Run one problem to ``t_end`` (or an event) with checkpoints; returns (Solution, last
    NPPState-like record, event reason)."""
    from ..solve.npp import discretise, run
    from ..solve.npp_solution import NPPRecorder
    from .progress import TimeBar

    system = discretise(problem)
    ev = [e(system) for e in events]
    rec = NPPRecorder(problem, times=times, voltage=voltage)
    start = None
    if checkpoints is not None:
        got = checkpoints.load(key)
        if got is not None:
            start, extra = got
            rec.restore(extra)
            log.info("%s: resumed from the checkpoint at t = %.6g s", key,
                     start.t * system.scaling.time)
    t0 = 0.0 if start is None else start.t * system.scaling.time
    reason = None if start is None else start.event
    with TimeBar(t_end, desc=desc, t0=t0, enabled=progress) as bar:
        for state in run(system, t_end, dt, start=start, stop_times=times, events=ev,
                         progress=bar.to, dt_max=dt_max, rtol=rtol):
            rec.add(state)
            reason = state.event
            if checkpoints is not None and (checkpoints.due(state.step) or state.event):
                checkpoints.save(key, state.stepper, model="npp", **rec.arrays())
    sol = rec.solution(info={"stopped": reason or "t_end"})
    return sol, reason


# ============================================================== the study
def _electrolytes(data):
    out = {}
    for name, layers in data["electrolytes"].items():
        names = [lay["name"] for lay in layers]
        if len(set(names)) != len(names):
            raise ConfigError(f"electrolytes.{name}: layer names must be unique, got {names}.")
        out[name] = [(lay["name"], lay["thickness"],
                      _material(lay["material"], f"electrolytes.{name}.{lay['name']}"))
                     for lay in layers]
    return out


def check(case):
    """Resolve materials (at the temperature) and the species split, without solving."""
    data = case.data
    if data["comparison"] == "full_cell" and data["full_cell"] is None:
        raise ConfigError("comparison: full_cell needs a 'full_cell' section (c_rate, "
                          "one_c_current, cathode_potential, i0_anode, i0_cathode).")
    if not 0 < data["depletion_fraction"] < 1:
        raise ConfigError(f"depletion_fraction must lie in (0, 1), got {data['depletion_fraction']!r}.")
    if not data["flux"] > 0:
        raise ConfigError(f"flux: the Li+ flux must be > 0 mol m-2 s-1, got {data['flux']!r}.")
    els = _electrolytes(data)
    if data["poisson"] is not None and data["poisson"]["electrolyte"] not in els:
        from ..errors import unknown_name

        raise unknown_name("poisson.electrolyte", data["poisson"]["electrolyte"], list(els),
                           exc=ConfigError)
    for name, layers in els.items():
        electrolyte_species(layers, T=data["temperature"], t0=data["host_transference"],
                            c_salt=data["salt_concentration"],
                            concentrations=data["concentrations"])
    return els


@register_study("npp_zhang", schema=SCHEMA, check=check,
                doc="Zhang et al. NPP maps: PEO vs PEO/MOF, PEO vs PLM, full cell")
def run(case, *, progress=True, checkpoints=None):
    """Nernst--Planck maps, profiles and numbers of one comparison (module docstring)."""
    from .result import StudyResult

    data = case.data
    els = check(case)
    T = data["temperature"]
    res = StudyResult(case.name, SummaryTable())
    res.parameters["temperature [K]"] = T
    res.parameters["host_transference t0 [1]"] = data["host_transference"]
    res.parameters["salt_concentration [mol m-3]"] = data["salt_concentration"]
    res.parameters["concentrations"] = data["concentrations"]
    res.parameters["sources"] = _sources(data)
    res.notes.append(
        f"One temperature for every layer: {T - 273.15:.1f} degC; each layer's sigma is taken "
        "there by its activation energy (materials without one are used at their T_ref only).")
    res.notes.append(
        "The paper sets both 'an overpotential difference of 0.01 V' and 'a Li+ flux of 0.01 mol "
        "m-2 s-1'. Together they over-determine an electroneutral cell; with Poisson they can "
        "only coexist by placing the ohmic drop of the flux (~2 V across 20 um of PEO at 965 "
        "A/m2) in nanometre double layers. They are run here as two readings side by side.")
    res.notes.append(
        "Anions split by t+ (the paper's 'according to the Li+ transference number'): free "
        f"anions keep the host's normal diffusivity D- = D+(1-t0)/t0 with t0 = "
        f"{data['host_transference']:g}; the rest is immobilised (D = 0). D+ from "
        "Nernst-Einstein on the mobile ions at the run's temperature. This split is an "
        "assumption (the paper gives no formula).")
    setup = {}
    for name, layers in els.items():
        sp, table = electrolyte_species(layers, T=T, t0=data["host_transference"],
                                        c_salt=data["salt_concentration"],
                                        concentrations=data["concentrations"])
        setup[name] = (layers, sp)
        res.parameters[f"electrolyte {name}"] = table
        for lay, row in table.items():
            res.summary = (res.summary
                           .add_si(name, "conductivity", row["sigma [S/m]"], "S/m", lay)
                           .add(name, "transference_number", row["t+ [1]"], "1", lay)
                           .add_si(name, "c_Li+", row["c_Li+ [mol m-3]"], "mol m-3", lay)
                           .add_si(name, "c_A-_immobilised", row["c_A- immobilised [mol m-3]"],
                                   "mol m-3", lay)
                           .add_si(name, "D_Li+", row["D_Li+ [m2 s-1]"], "m2/s", lay))
    if data["comparison"] == "full_cell":
        _full_cell(res, data, setup, checkpoints=checkpoints, progress=progress)
        return res
    if data["comparison"] == "peo_vs_plm":
        _equilibrium_checks(res, data, setup)
    finals = {}
    for reading in data["readings"]:
        finals[reading] = _reading(res, reading, data, setup, checkpoints=checkpoints,
                                   progress=progress)
    if data["comparison"] == "peo_vs_plm":
        _layer_voltages(res, data, setup, finals)
    if data["poisson"] is not None:
        _poisson_comparison(res, data, setup, finals.get("flux"), checkpoints=checkpoints,
                            progress=progress)
    return res


def _sources(data):
    """Where every driving and model parameter comes from (run.json)."""
    fc = data["full_cell"]
    out = {
        "temperature [K]": (data["temperature"], "assumption: the SI cycles its LFP cells at "
                            "60 degC; one temperature for every layer"),
        "width [m]": (data["width"], "paper (100 x 20 um and 20 x 5.6 um domains)"
                      if data["comparison"] != "full_cell" else "assumption (2D strip)"),
        "layer thicknesses": ("see electrolytes", "paper for the totals (20 um, 5.6 um, 12.6 um); "
                              "the split into layers is an assumption (case file)"),
        "voltage [V]": (data["voltage"], "paper: 'overpotential difference ... 0.01 V'"),
        "flux [mol m-2 s-1]": (data["flux"], "paper: 'Li+ flux on the boundary ... 0.01'"),
        "exchange_current [A m-2]": (data["exchange_current"], "assumption: reversible Li "
                                     "electrodes for the 0.01 V reading (no kinetics in the paper)"),
        "host_transference t0 [1]": (data["host_transference"], "t+ of PEO/LiTFSI (library, "
                                     "literature): the 'normal' anion diffusivity"),
        "salt_concentration [mol m-3]": (data["salt_concentration"], "literature (EO:Li ~ 20), "
                                         "see `ntransport materials PEO/LiTFSI`"),
        "anion split": ("free/immobilised by t+", "assumption: free anions keep D- = D+(1-t0)/t0"),
        "depletion_fraction [1]": (data["depletion_fraction"], "definition of 'depleted' (choice)"),
        "permittivity": ("per material", "typical literature values (material notes)"),
    }
    if fc is not None:
        out["full_cell"] = {
            "c_rate [1]": (fc["c_rate"], "paper: cycling at 0.5 C and 60 degC (Figs. S30-S31)"),
            "one_c_current [A m-2]": (fc["one_c_current"], "paper's loading 2.0 mg/cm2 x 170 "
                                      "mAh/g (LiFePO4 theoretical capacity)"),
            "cathode_potential [V]": (fc["cathode_potential"], "literature: LiFePO4 plateau "
                                      "(Padhi et al., J. Electrochem. Soc. 144, 1188 (1997))"),
            "i0_anode [A m-2]": (fc["i0_anode"], "assumption (~30 ohm cm2 charge transfer)"),
            "i0_cathode [A m-2]": (fc["i0_cathode"], "assumption"),
        }
    return out


def zero_current_check(layers, species, *, data, T, steps=5):
    """Run the layered cell at zero current from its equilibrium start; returns
    ``(max |V| [V], max |dc/dt| [mol m-3 s-1], max |c(t) - c(0)| [mol m-3])``."""
    from ..solve.npp import run

    width = data["width"]
    d = build_cell(width, layers, mesh=data["mesh"])
    pr = problem_for(d, species, "zero", T=T, data=data)
    H = sum(th for _, th, *_ in layers)
    Dmax = max(max(s.D.values()) if hasattr(s.D, "values") else s.D for s in species)
    dt = 1e-3 * H**2 / Dmax
    vmax = rate = drift = 0.0
    c_start = None
    for st in run(pr, t_end=steps * dt, dt=dt, adaptive=False):
        cs = np.concatenate([st.concentrations[s.name] for s in pr.mobile])
        if c_start is None:
            from ..solve.npp import discretise, initial_unknowns, to_state

            sy = discretise(pr)
            s0 = to_state(sy, initial_unknowns(sy), 0.0)
            c_start = np.concatenate([s0.concentrations[s.name] for s in pr.mobile])
            prev = c_start
        vmax = max(vmax, abs(st.electrode_potentials["top"] - st.electrode_potentials["bottom"]))
        rate = max(rate, float(np.max(np.abs(cs - prev))) / st.dt)
        drift = max(drift, float(np.max(np.abs(cs - c_start))))
        prev = cs
    return vmax, rate, drift


# ============================================================== pieces of the run
def _thickness(layers):
    return sum(th for _, th, *_ in layers)


def _mobile_D(species):
    """Smallest and largest positive mobile diffusivity [m2 s-1]."""
    vals = [v for s in species for v in (s.D.values() if hasattr(s.D, "values") else [s.D])
            if v > 0]
    return min(vals), max(vals)


def _first_layer(layers, species):
    """(D+, D-, c_Li, c_free, c_fixed) of the cathode-side layer."""
    name = layers[0][0]
    li, free, fixed = species
    return li.D[name], free.D[name], li.c0[name], free.c0[name], fixed.c0[name]


def _host_sand_time(data, setup):
    """Sand's time of the first electrolyte's cathode layer as a binary salt (the common
    clock of the flux reading's frames)."""
    from ..physics.polarisation import sand_time

    layers, sp = next(iter(setup.values()))
    Dp, Dm, c, _, _ = _first_layer(layers, sp)
    return sand_time(data["flux"], c0=c, D_plus=Dp, D_minus=Dm)


def _profile(sol, key, frame=None):
    """(y [m], values) of field *key* on the left edge of the structured cell."""
    f = sol.frames[-1] if frame is None else frame
    y, idx = axis(f.domain)
    return y, np.asarray(f[key])[idx]


def _reading(res, reading, data, setup, *, checkpoints, progress):
    """One reading (``voltage`` or ``flux``) for every electrolyte: runs, rows, figures."""
    from ..io.artifacts import slug
    from ..physics.polarisation import steady_polarisation

    T = data["temperature"]
    sols, notes, eqs = {}, [], {}
    t_s = _host_sand_time(data, setup)
    for name, (layers, sp) in setup.items():
        d = build_cell(data["width"], layers, mesh=data["mesh"])
        pr = problem_for(d, sp, reading, T=T, data=data)
        H = _thickness(layers)
        Dmin, Dmax = _mobile_D(sp)
        if reading == "voltage":
            t_cell = H**2 / Dmin
            tol = data["steady_tolerance"]
            events = [lambda sy, t_cell=t_cell: _steady_event(sy, tol, t_cell)]
            kw = dict(t_end=5 * t_cell, dt=1e-6 * t_cell, times=(), voltage=("top", "bottom"))
        else:
            frac = data["depletion_fraction"]
            events = [lambda sy: _depletion_event(sy, frac)]
            kw = dict(t_end=20 * t_s, dt=1e-4 * t_s,
                      times=[f * t_s for f in data["flux_frames"]], voltage=("top", "bottom"))
        sol, reason = _transient(pr, key=slug(f"{reading}_{name}"), events=events,
                                 checkpoints=checkpoints, progress=progress,
                                 desc=f"{reading}: {name}", dt_max=data["max_step"], **kw)
        sols[name] = sol
        res.solutions[slug(f"{reading}_{name}")] = sol
        eqs[name] = _equilibrium(d, sp, data, T)
        y, c = _profile(sol, "c_Li+")
        c = c - eqs[name].concentrations[LI][axis(d)[1]]  # polarisation: c - c(equilibrium)
        t_last = float(sol.times[-1])
        V = float(sol.history("V_cell")[-1])
        if reading == "voltage":
            steady = bool(reason and reason.startswith("steady"))
            res.summary = (res.summary
                           .add_si(name, "delta_c_Li+_steady", c[-1] - c[0], "mol m-3")
                           .add_si(name, "current_density_steady",
                                   float(sol.history("i_top")[-1]), "A m-2")
                           .add(name, "time_to_steady_state", t_last, "s")
                           .add(name, "cell_voltage", V, "V"))
            if not steady:
                notes.append(f"{name}: reading 'voltage' did not reach the steady-state "
                             f"tolerance by t = {t_last:.4g} s.")
            if len(layers) == 1:
                Dp, Dm, cl, cf, cx = _first_layer(layers, sp)
                ref = steady_polarisation(data["voltage"], c_free=cf, c_fixed=cx, D_plus=Dp,
                                          length=H, T=T, i0=data["exchange_current"], c_ref=cl)
                res.summary = (res.summary
                               .add_si(name, "delta_c_Li+_analytic", ref["delta_c"], "mol m-3")
                               .add(name, "delta_c_relative_error",
                                    (c[-1] - c[0]) / ref["delta_c"] - 1, "1"))
        else:
            t_dep = _parse_depletion(reason)
            Dp, Dm, cl, cf, cx = _first_layer(layers, sp)
            D_amb = 2 * Dp * Dm / (Dp + Dm)
            if t_dep is None:
                notes.append(f"{name}: reading 'flux' reached t = {t_last:.4g} s without "
                             "depletion.")
            else:
                res.summary = (res.summary
                               .add(name, "depletion_time", t_dep, "s")
                               .add_si(name, "diffusion_length_at_depletion",
                                       math.sqrt(D_amb * t_dep), "m")
                               .add(name, "diffusion_length_over_thickness",
                                    math.sqrt(D_amb * t_dep) / H, "1"))
                notes.append(f"{name}, flux {data['flux']:g} mol m-2 s-1: {reason}; "
                             f"sqrt(D t) = {math.sqrt(D_amb * t_dep) * 1e6:.3g} um against a "
                             f"thickness of {H * 1e6:.3g} um.")
            if len(layers) == 1 and cx == 0:
                from ..physics.polarisation import sand_time

                res.summary = res.summary.add(name, "sand_time_analytic",
                                              sand_time(data["flux"], c0=cl, D_plus=Dp,
                                                        D_minus=Dm), "s")
            res.summary = res.summary.add(name, "cell_voltage_at_end", V, "V")
        res.summary = res.summary.add(name, f"max_conservation_error_{reading}",
                                      float(sol.history("conservation_error").max()), "1")
        res.summary = res.summary.add(name, f"x_uniformity_{reading}", _x_uniformity(sol), "1")
    res.notes.extend(notes)
    if reading == "voltage":
        res.notes.append(
            f"Reading 'voltage': {data['voltage'] * 1e3:g} mV between two Li electrodes "
            f"(Butler-Volmer, i0 = {data['exchange_current']:g} A m-2: reversible, an "
            "assumption -- the paper gives no kinetics), run to steady state; the steady "
            "Delta c is compared with the analytic 1D solution (ntransport.physics."
            "polarisation.steady_polarisation).")
    else:
        ratios = [r.value for r in res.summary.select(quantity="diffusion_length_over_thickness")]
        if ratios:
            res.notes.append(
                "Finding: at the paper's Li+ flux every electrolyte depletes while sqrt(D t) is "
                f"at most {max(ratios):.2g} of its thickness, so the flux reading cannot give "
                "maps with gradients across the whole cell (the concentration contrast stays in "
                "sub-micrometre layers at the electrodes and interfaces); the 0.01 V reading, run "
                "to steady state, does.")
        res.notes.append(
            f"Reading 'flux': Li+ flux {data['flux']:g} mol m-2 s-1 in at the anode (top) and "
            "out at the cathode (bottom), anions blocked, phi = 0 at the cathode; run until "
            f"a mobile species falls below {data['depletion_fraction']:g} of its initial "
            f"value. Frames at {data['flux_frames']} x the host's Sand time {t_s:.4g} s.")
    res.figures[f"maps_{reading}"] = _maps_figure(sols, data, reading, eqs)
    res.figures[f"profiles_{reading}"] = _profiles_figure(sols, data, reading, setup, eqs)
    res.tables[f"profiles_{reading}"] = _profile_table(sols)
    return sols


def _x_uniformity(sol) -> float:
    """max over node rows of (max - min)/max|c| of c(Li+) in the last frame: 0 for a 1D
    problem solved exactly uniform along x."""
    f = sol.frames[-1]
    y = f.domain.mesh.p[1]
    c = np.asarray(f["c_Li+"])
    key = np.round(y / max(np.ptp(y), 1e-300) * 1e12).astype(np.int64)
    order = np.argsort(key, kind="stable")
    ks, cs = key[order], c[order]
    cut = np.nonzero(np.diff(ks))[0] + 1
    lo = np.minimum.reduceat(cs, np.r_[0, cut])
    hi = np.maximum.reduceat(cs, np.r_[0, cut])
    return float(np.max(hi - lo) / max(np.max(np.abs(c)), 1e-300))


def _equilibrium_checks(res, data, setup):
    """Zero-current run from the Donnan start of every electrolyte; Donnan potentials."""
    T = data["temperature"]
    for name, (layers, sp) in setup.items():
        v, rate, drift = zero_current_check(layers, sp, data=data, T=T)
        res.summary = (res.summary.add(name, "zero_current_max_abs_voltage", v, "V")
                       .add(name, "zero_current_max_dc_dt", rate, "mol m-3 s-1")
                       .add_si(name, "zero_current_max_drift", drift, "mol m-3"))
        d = build_cell(data["width"], layers, mesh=data["mesh"])
        st = _equilibrium(d, sp, data, T)
        y, idx = axis(d)
        phi = st.potential[idx]
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


def _layer_drops(sol, layers, phi_eq=None):
    y, phi = _profile(sol, "phi")
    if phi_eq is not None:
        phi = phi - phi_eq
    out, z0 = {}, 0.0
    for lay, th, _ in layers:
        a = np.argmin(np.abs(y - z0))
        b = np.argmin(np.abs(y - (z0 + th)))
        out[lay] = float(phi[b] - phi[a])
        z0 += th
    return out


def _equilibrium(domain, sp, data, T):
    """The zero-current (Donnan) equilibrium state of a cell (SI NPPState)."""
    from ..solve.npp import discretise, initial_unknowns, to_state

    sy = discretise(problem_for(domain, sp, "zero", T=T, data=data))
    return to_state(sy, initial_unknowns(sy), 0.0)


def _equilibrium_phi(sol, problem_data, layers, sp):
    data, T = problem_data
    d = sol.frames[-1].domain
    return _equilibrium(d, sp, data, T).potential[axis(d)[1]]


def _common_frame(sol, sols):
    """The frame of *sol* at the latest time every solution in *sols* has a frame at
    (the last frame if there is none)."""
    common = None
    for t in sorted({float(f.t) for f in sol.frames}, reverse=True):
        if all(any(abs(f.t - t) <= 1e-9 * max(t, 1e-300) for f in o.frames) for o in sols):
            common = t
            break
    if common is None:
        return sol.frames[-1]
    return min(sol.frames, key=lambda f: abs(f.t - common))


def _layer_voltages(res, data, setup, finals):
    """Potential drop across each layer (minus its equilibrium value) for every reading,
    and the axis potential of Fig. S27 (steady state; flux reading: the latest time all
    electrolytes reached)."""
    from ..io import style

    T = data["temperature"]
    n = len(finals)
    fig, axes = style.new_figure(2 * n, ncols=n, panel=(4.6, 3.0))
    figb, axesb = style.new_figure(n, ncols=n, panel=(4.6, 0.9 + 0.5 * len(setup)))
    for col, (reading, sols) in enumerate(finals.items()):
        curves, pol, bounds, bars = {}, {}, {}, {}
        for name, (layers, sp) in setup.items():
            sol = sols[name]
            fr = sol.frames[-1] if reading == "voltage" else _common_frame(sol, sols.values())
            y, phi = _profile(sol, "phi", fr)
            eq = _equilibrium_phi(sol, (data, T), layers, sp)
            z0, drops = 0.0, {}
            for lay, th, _ in layers:
                a, b = np.argmin(np.abs(y - z0)), np.argmin(np.abs(y - (z0 + th)))
                drops[lay] = float((phi[b] - eq[b]) - (phi[a] - eq[a]))
                z0 += th
            for lay, v in drops.items():
                res.summary = res.summary.add(name, f"layer_voltage_{reading}", v, "V", lay)
            res.summary = res.summary.add(name, f"layer_voltage_{reading}_time", fr.t, "s")
            bars[f"{name} (t = {fr.t:.3g} s)"] = {lay: 1e3 * v for lay, v in drops.items()}
            curves[name] = (y * 1e6, phi * 1e3)
            pol[name] = (y * 1e6, (phi - eq) * 1e3)
            bounds[name] = list(np.cumsum([th for _, th, _ in layers])[:-1] * 1e6)
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
    res.figures["potential_axis"] = fig
    res.figures["voltage_per_layer"] = figb


def _poisson_comparison(res, data, setup, flux_sols, *, checkpoints, progress):
    """The flux reading of one electrolyte with full Poisson (Debye layers resolved)."""
    from ..io.artifacts import slug
    from ..physics.scaling import debye_length

    name = data["poisson"]["electrolyte"]
    layers, sp = setup[name]
    if len(layers) != 1:
        raise ConfigError(f"poisson.electrolyte {name!r} has {len(layers)} layers; the Poisson "
                          "comparison starts from uniform concentrations and needs a single "
                          "layer.")
    if flux_sols is None:
        raise ConfigError("poisson: the comparison is made on the 'flux' reading; add it to "
                          "readings.")
    T = data["temperature"]
    m = layers[0][2]
    _, _, cl, cf, cx = _first_layer(layers, sp)
    lam = debye_length(m.permittivity, 0.5 * (cl + cf + cx), T)
    r = data["poisson"]["debye_resolution"]
    d = build_cell(data["width"], layers, mesh=data["mesh"], h0=lam / (1.1 * r))
    pr = problem_for(d, sp, "flux", T=T, data=data, electrostatics="poisson",
                     permittivity=m.permittivity)
    # the frames before depletion (close to depletion the double layer widens as c -> 0 and
    # the comparison "outside the Debye layers" loses its meaning)
    times = [float(t) for t in flux_sols[name].times[:-1]] or [float(flux_sols[name].times[-1])]
    t_end = times[-1]
    t_s = _host_sand_time(data, setup)
    runs = {}
    for model, problem in (("poisson", pr), ("electroneutral", problem_for(
            d, sp, "flux", T=T, data=data, initial="subdomain"))):
        runs[model], _ = _transient(problem, key=slug(f"{model}_mesh_flux_{name}"), t_end=t_end,
                                    dt=1e-4 * t_s, times=times, events=[],
                                    voltage=("top", "bottom"), checkpoints=checkpoints,
                                    progress=progress, desc=f"{model} (Debye mesh): {name}",
                                    dt_max=data["max_step"])
    sol, en = runs["poisson"], runs["electroneutral"]
    res.solutions[slug(f"poisson_flux_{name}")] = sol
    # compare on the same mesh at the last frame before depletion
    fp, fe = sol.frames[-1], en.frames[-1]
    H = _thickness(layers)
    ye, ce = _profile(en, "c_Li+", fe)
    _, pe = _profile(en, "phi", fe)
    yp, cp = _profile(sol, "c_Li+", fp)
    _, pp = _profile(sol, "phi", fp)
    out = (ye > 20 * lam) & (ye < H - 20 * lam)
    dc = float(np.max(np.abs(np.interp(ye[out], yp, cp) - ce[out])) / cl)
    V = max(abs(float(pe[-1] - pe[0])), 1e-300)
    dphi = float(np.max(np.abs(np.interp(ye[out], yp, pp) - pe[out])) / V)
    res.summary = (res.summary.add_si(name, "debye_length", lam, "m")
                   .add(name, "poisson_vs_electroneutral_max_dc", dc, "1")
                   .add(name, "poisson_vs_electroneutral_max_dphi", dphi, "1")
                   .add(name, "poisson_comparison_time", fp.t, "s")
                   .add(name, "poisson_mesh_nodes", d.mesh.nvertices, "1"))
    res.parameters[f"poisson {name}"] = {
        "permittivity [1]": m.permittivity, "debye_length [m]": lam,
        "first_cell [m]": float(np.min(np.diff(axis(d)[0]))), "compared_at [s]": fp.t,
        "excluded_layers [m]": 20 * lam}
    res.notes.append(
        f"Poisson vs electroneutral ({name}, flux reading, t = {fp.t:.4g} s, both on the same "
        f"Debye-resolving mesh, first cell {np.min(np.diff(yp)) * 1e12:.3g} pm): outside 20 Debye "
        f"lengths ({20 * lam * 1e9:.3g} nm) of the electrodes the Li+ concentrations differ by "
        f"{dc:.2g} of c and the potentials by {dphi:.2g} of the cell voltage.")
    res.figures["poisson_vs_electroneutral"] = _poisson_figure(
        (ye, ce, pe), (yp, cp, pp), lam, name, fp.t, cl)


def _full_cell(res, data, setup, *, checkpoints, progress):
    """LFP | electrolyte | Li at a C-rate, steady state: potential maps and axis profiles."""
    from ..io.artifacts import slug

    fc = data["full_cell"]
    T = data["temperature"]
    i_app = fc["c_rate"] * fc["one_c_current"]
    sols = {}
    for name, (layers, sp) in setup.items():
        d = build_cell(data["width"], layers, mesh=data["mesh"])
        pr = problem_for(d, sp, "current", T=T, data=data)
        H = _thickness(layers)
        Dmin, _ = _mobile_D(sp)
        t_cell = H**2 / Dmin
        tol = data["steady_tolerance"]
        sol, reason = _transient(pr, key=slug(f"current_{name}"), t_end=5 * t_cell,
                                 dt=1e-6 * t_cell, times=(), voltage=("bottom", "top"),
                                 events=[lambda sy, t_cell=t_cell: _steady_event(sy, tol, t_cell)],
                                 checkpoints=checkpoints, progress=progress,
                                 desc=f"{fc['c_rate']:g} C: {name}", dt_max=data["max_step"])
        sols[name] = sol
        res.solutions[slug(f"current_{name}")] = sol
        y, phi = _profile(sol, "phi")
        _, c = _profile(sol, "c_Li+")
        Vt = float(sol.history("V_cell")[-1])
        VT = R * T / F
        # electrochemical potential of Li+ / F [V] (reference: the salt concentration, as
        # the electrodes' U in problem_for)
        mu = phi + VT * np.log(c / data["salt_concentration"])
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
    res.figures["full_cell_potential_map"] = _full_cell_map(sols, setup, data)
    res.figures["full_cell_potential_axis"] = _full_cell_axis(sols, setup, fc, data)
    res.tables["full_cell_profiles"] = _profile_table(sols)


# ============================================================== figures and tables
def _profile_table(sols):
    from ..io.tables import DataTable

    parts = []
    for name, sol in sols.items():
        for f in sol.frames:
            y, idx = axis(f.domain)
            cols = {"case": np.full(y.size, name), "t [s]": np.full(y.size, f.t),
                    "y [µm]": y * 1e6}
            for key in ("c_Li+ [mol m-3]", "c_A- [mol m-3]", "c_A- immobilised [mol m-3]",
                        "phi [V]"):
                cols[key] = np.asarray(f[key])[idx]
            parts.append(DataTable(cols))
    return DataTable.concat(parts)


def _field_values(frame, field, eq=None):
    if field == "dc_Li+":
        return np.asarray(frame["c_Li+"]) - eq.concentrations[LI]
    if field == "|N_Li+|":
        return np.linalg.norm(np.asarray(frame["N_Li+ [mol m-2 s-1]"]), axis=1)
    return np.asarray(frame[field])


_LABELS = {"c_Li+": "c(Li⁺) [mol m⁻³]", "dc_Li+": "c(Li⁺) − c_eq(Li⁺) [mol m⁻³]", "c_A-": "c(free A⁻) [mol m⁻³]",
           "c_A- immobilised": "c(immobilised A⁻) [mol m⁻³]", "phi": "φ [mV]",
           "|N_Li+|": "|N(Li⁺)| [mol m⁻² s⁻¹]"}


def _maps_figure(sols, data, reading, eqs):
    """Rows: fields; columns: electrolytes; one colour range per field (shared).
    ``eqs``: the equilibrium state of each electrolyte (for the polarisation row)."""
    from ..io import style

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
        for c, n in enumerate(names):
            ax = axes[r * len(names) + c]
            f = frames[n]
            kind = ("diverging" if field in ("phi", "dc_Li+") and lo < 0 < hi
                    else "sequential")
            pos = min((float(v[v > 0].min()) for v in vals.values() if np.any(v > 0)),
                      default=0.0)
            if field.startswith("c_") and pos > 0 and hi > 20 * pos:
                kind = "log"  # layers whose concentrations differ by decades
            title = f"{n}: {_LABELS[field].split(' [')[0]}" + (
                f"  (t = {f.t:.3g} s)" if r == 0 else "")
            vmin, vmax = (pos if kind == "log" else lo), hi
            if kind == "diverging":
                vmax = max(abs(lo), abs(hi))
                vmin = -vmax
            style.field_map(ax, f.domain, vals[n], label="[" + _LABELS[field].split(" [")[1],
                            kind=kind, vmin=vmin, vmax=vmax, title=title)
            if field == "|N_Li+|":
                style.streamlines(ax, f.domain, f["N_Li+ [mol m-2 s-1]"], density=0.5, n=48)
    what = ("steady state under %g mV" % (data["voltage"] * 1e3) if reading == "voltage"
            else "Li⁺ flux %g mol m⁻² s⁻¹, at depletion" % data["flux"])
    fig.suptitle(f"{data['title'] or data['comparison']} — {what} "
                 "(same colour range for both electrolytes)")
    return fig


def _profiles_figure(sols, data, reading, setup, eqs):
    """c(Li+), c(free A-), phi and the salt ratio c(A-)/c_eq(A-) across the cell (nodes of
    the left edge); the flux reading's earlier frames as thin lines."""
    from ..io import style

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
                if key == "ratio":
                    y, v = _profile(sol, "c_A-", fr)
                    v = v / np.maximum(eq, 1e-300)
                else:
                    y, v = _profile(sol, key, fr)
                span.append(v)
                last = j == len(frames) - 1
                ax.plot(y * 1e6, v * f, color=colors[name], lw=1.4 if last else 0.8,
                        alpha=1.0 if last else 0.35 + 0.5 * j / max(len(frames), 1),
                        label=f"{name} (t = {fr.t:.3g} s)" if last else None)
        allv = np.concatenate(span)
        if key.startswith("c_") and allv.min() > 0 and allv.max() > 20 * allv.min():
            ax.set_yscale("log")
        for el_name, (lays, _) in setup.items():
            for b in np.cumsum([th for _, th, _ in lays])[:-1]:
                ax.axvline(b * 1e6, color=colors[el_name], ls=":", lw=0.8)
        ax.set_xlabel("distance from the cathode [µm]")
        ax.set_ylabel(label)
        ax.grid(alpha=0.25, lw=0.5)
    axes[0].legend(frameon=False, fontsize=7)
    what = ("steady state" if reading == "voltage" else
            "flux reading: thin lines = earlier frames, thick = at depletion")
    fig.suptitle(f"Profiles across the cell — {what}")
    return fig


def _poisson_figure(en, po, lam, name, t, c0):
    from ..io import style

    ye, ce, pe = en
    yp, cp, pp = po
    fig, axes = style.new_figure(3, ncols=3, panel=(3.6, 3.0))
    for ax, (a, b, lab) in zip(axes[:2], ((ce, cp, "c(Li⁺) [mol m⁻³]"), (pe * 1e3, pp * 1e3, "φ [mV]"))):
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


def _full_cell_map(sols, setup, data):
    """Rows: the electric potential phi and the Li+ electrochemical potential mu/F =
    phi + RT/F ln(c/c_salt) (Donnan-free: what drives the current); one colour range per row."""
    from ..io import style

    T = data["temperature"]
    names = list(sols)
    VT = R * T / F
    rows = {"φ [mV]": {n: np.asarray(sols[n].frames[-1]["phi"]) * 1e3 for n in names},
            "μ̃(Li⁺)/F = φ + (RT/F) ln(c/c_salt) [mV]": {
                n: (np.asarray(sols[n].frames[-1]["phi"])
                    + VT * np.log(np.asarray(sols[n].frames[-1]["c_Li+"])
                                  / data["salt_concentration"])) * 1e3 for n in names}}
    Hmax = max(_thickness(setup[n][0]) for n in names)
    fig, axes = style.new_figure(2 * len(names), ncols=len(names),
                                 panel=(3.2, 1.3 + 3.0 * Hmax / 50e-6))
    for r, (label, vals) in enumerate(rows.items()):
        lo = min(v.min() for v in vals.values())
        hi = max(v.max() for v in vals.values())
        for c, n in enumerate(names):
            ax = axes[r * len(names) + c]
            f = sols[n].frames[-1]
            style.field_map(ax, f.domain, vals[n], label=label, kind="sequential", vmin=lo,
                            vmax=hi, title=n if r == 0 else f"{n}: electrochemical")
            if r == 0:
                style.streamlines(ax, f.domain, f["i [A m-2]"], density=0.5, n=48)
            ax.set_ylim(0, Hmax * 1e6)
    fig.suptitle("Fig. S35 — LFP (bottom) | electrolyte | Li (top), potentials vs the Li anode; "
                 "same colour range per row; white: current lines")
    return fig


def _full_cell_axis(sols, setup, fc, data):
    """The potential ladder Li (0) -> electrolyte -> LFP; the electrolyte potential phi
    (with Donnan steps); the Li+ electrochemical potential (Donnan-free)."""
    from ..io import style

    VT = R * data["temperature"] / F
    fig, axes = style.new_figure(3, ncols=3, panel=(4.0, 3.2))
    curves, mus, bounds, ladder = {}, {}, {}, {}
    for n, sol in sols.items():
        y, phi = _profile(sol, "phi")
        _, c = _profile(sol, "c_Li+")
        H = y[-1]
        x = (H - y)[::-1]  # distance from the Li anode
        curves[n] = (x * 1e6, phi[::-1] * 1e3)
        mus[n] = (x * 1e6, (phi + VT * np.log(c / data["salt_concentration"]))[::-1] * 1e3)
        layers = setup[n][0]
        bounds[n] = list((H - np.cumsum([th for _, th, _ in layers])[:-1]) * 1e6)
        ps = float(sol.history("phi_s_bottom")[-1])
        ladder[n] = (np.r_[-2.0, 0.0, x * 1e6, H * 1e6, H * 1e6 + 2.0],
                     np.r_[0.0, 0.0, phi[::-1], ps, ps])
    style.line_plot(axes[0], ladder, xlabel="distance from the Li anode [µm]",
                    ylabel="potential vs Li [V]",
                    title="Li (φ_s = 0) | electrolyte φ | LFP (φ_s)")
    style.line_plot(axes[1], curves, xlabel="distance from the Li anode [µm]",
                    ylabel="electrolyte potential φ [mV]", boundaries=bounds,
                    title=f"φ at {fc['c_rate']:g} C (steps: Donnan potentials)")
    style.line_plot(axes[2], mus, xlabel="distance from the Li anode [µm]",
                    ylabel="μ̃(Li⁺)/F [mV]", boundaries=bounds,
                    title="Li⁺ electrochemical potential (its drop is the loss)")
    return fig
