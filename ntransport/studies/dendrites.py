r"""Study "dendrites": Li deposits in PEO with and without the aligned PE skeleton.

Zhang et al., Supporting Information, "Simulation of Li dendrite evolution" (Figs.
S24--S25, Table S1): a phase-field model of Li electroplating into a 12.6 µm polymer
electrolyte, the PE skeleton "configured as uniformly aligned filaments perpendicular
to the anode surface" and, being much stiffer than PEO, not deformed by the deposit;
"the volume change of Li dendrites compresses the electrolyte and the opposite stress
retard[s] the electrochemical reaction rate".

Every run of a case is one :func:`ntransport.solve.phasefield.solve` on a structured
box (:mod:`ntransport.geometry.boxes`, regions ``PEO`` and ``PE``) whose fine band
follows the deposit to the far side; the run ends when the xi = 1/2 contour comes
within one interface width of the cathode (the short circuit) or at ``duration``. The
runs are compared at equal passed charge (the Faradaic charge of the deposit per anode
width), not at equal time.

Case file (``geometries/dendrite_*.yaml``; lengths, potentials, times with units)::

    study: dendrites
    cell: {width: 12.6 um, height: 12.6 um, li_layer: 0.5 um, seed_radius: 1.2 um}
    skeleton: {filaments: 3, diameter: 0.8 um, gap_anode: 2 um, transport_factor: 1e-4}
    parameters: {set: moose, anisotropy: 0.04, transference: 0.22}   # PEO/LiTFSI
    drive: {anode_potential: -0.45 V, duration: 10 s}
    mechanics: {E_metal: 4.9 GPa, E_electrolyte: 12.6 MPa, expansion: 0.05}
    runs:
      PEO: {}
      PEO+PE: {skeleton: true}
      PEO+PE+mechanics: {skeleton: true, mechanics: true}
      PEO+PE Table S1: {skeleton: true, parameters: zhang2024_table_s1}
    sweep: {run: PEO, transference: [1.0, 0.5, 0.22]}

The transference sweep repeats one run at several Li+ transference numbers (rows
``sweep t+=...``, figure ``transference_sweep``): tip height vs charge, and the salt
next to the tip and next to the flat front when the tip is at 60 % of the cell -- the
salt depletion that makes the binary-salt (t+ < 1) tip outgrow the flat front.

The CLI (``ntransport run``) and the notebook call the same :func:`run`.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..config import ListOf, MapOf, Quantity, Section, Value
from ..constants import F
from ..errors import ConfigError, suggest
from ..io.artifacts import distinct_slugs
from ..io.tables import DataTable, SummaryTable
from .registry import register_study

__all__ = ["SCHEMA", "run", "check", "build_run", "initial_field"]

log = logging.getLogger(__name__)

SETS = ("moose", "zhang2024_table_s1")

RUN = Section({
    "skeleton": Value(bool, default=False, doc="PE filaments in the cell"),
    "mechanics": Value(bool, default=False, doc="elastic stress retards plating"),
    "parameters": Value(str, default=None, choices=SETS + (None,),
                        doc="parameter set (default: parameters.set)"),
    "transference": Value(float, default=None, doc="Li+ transference number of the salt"),
    "transport_factor": Value(float, default=None, doc="skeleton transport factor"),
    "duration": Quantity("time", default=None, positive=True),
    "anode_potential": Quantity("voltage", default=None,
                                doc="default: drive.anode_potential"),
})

SCHEMA = Section({
    "cell": Section({
        "width": Quantity("length", default=12.6e-6, positive=True),
        "height": Quantity("length", default=12.6e-6, positive=True,
                           doc="electrolyte thickness (12.6 um in Zhang et al.)"),
        "li_layer": Quantity("length", default=0.5e-6, positive=True),
        "seed_radius": Quantity("length", default=1.2e-6, positive=True),
        "seed_x": Quantity("length", default=None, nonnegative=True,
                           doc="default: the centre"),
    }, default={}),
    "skeleton": Section({
        "filaments": Value(int, default=3),
        "diameter": Quantity("length", default=0.8e-6, positive=True),
        "gap_anode": Quantity("length", default=2e-6, nonnegative=True),
        "transport_factor": Value(float, default=1e-4,
                                  doc="D_l and sigma_l inside the filaments times this"),
    }, default={}),
    "parameters": Section({
        "set": Value(str, default="moose", choices=SETS),
        "anisotropy": Value(float, default=0.04),
        "mode": Value(float, default=4.0),
        "transference": Value(float, default=1.0,
                              doc="1: single-ion (the sets' own sigma_l); 0.22: PEO/LiTFSI"),
        "interface_length": Quantity("length", default=0.5e-6, positive=True,
                                     doc="Table S1: thin-interface scaling target"),
    }, default={}),
    "drive": Section({
        "anode_potential": Quantity("voltage", default=-0.45,
                                    doc="Li metal vs the electrolyte at the far side"),
        "duration": Quantity("time", default=10.0, positive=True),
    }, default={}),
    "mechanics": Section({
        "E_metal": Quantity("pressure", default=4.9e9, positive=True),
        "E_electrolyte": Quantity("pressure", default=12.6e6, positive=True),
        "nu": Value(float, default=0.33),
        "expansion": Value(float, default=0.05),
        "mixing": Value(str, default="hashin-shtrikman",
                        choices=("hashin-shtrikman", "reuss", "voigt")),
    }, default={}),
    "numerics": Section({
        "elements_across": Value(float, default=4.0),
        "snapshots": Value(int, default=12),
        "atol": Value(float, default=0.05),
        "dt": Quantity("time", default=2e-3, positive=True),
    }, default={}),
    "runs": MapOf(RUN, default={"PEO": {}, "PEO+PE": {"skeleton": True}}, min_len=1),
    "sweep": Section({
        "transference": ListOf(Value(float), default=[],
                               doc="t+ values at which `run` is repeated (e.g. [1, 0.5, 0.22])"),
        "run": Value(str, default="PEO", doc="the run of `runs` that is repeated"),
    }, default={}),
})


# ------------------------------------------------------------------ building blocks
def _parameters(data, name):
    from ..physics import phasefield_params as pp

    prm = data["parameters"]
    if name == "moose":
        return pp.moose_normalised_parameters(delta=prm["anisotropy"], omega=prm["mode"])
    return pp.thin_interface(pp.zhang2024_table_s1(delta=prm["anisotropy"], omega=prm["mode"]),
                             interface_length=prm["interface_length"])


def _check_numbers(data):
    c, s, prm = data["cell"], data["skeleton"], data["parameters"]
    if c["li_layer"] + c["seed_radius"] >= 0.5 * c["height"]:
        raise ConfigError(f"cell: li_layer + seed_radius = "
                          f"{(c['li_layer'] + c['seed_radius']) * 1e6:.3g} um must be below half "
                          f"the height ({c['height'] * 1e6:.3g} um).")
    sx = c["seed_x"] if c["seed_x"] is not None else 0.5 * c["width"]
    if c["width"] < c["seed_radius"] or not 0.0 <= sx <= c["width"]:
        # a seed centred on a side is half a seed (the sides are mirror planes)
        raise ConfigError(f"cell: the seed (radius {c['seed_radius'] * 1e6:.3g} um, centre at "
                          f"x = {sx * 1e6:.3g} um) must have its centre inside the cell's width "
                          f"({c['width'] * 1e6:.3g} um), which must be at least the radius: "
                          "widen the cell or move the seed.")
    for where, V in [("drive.anode_potential", data["drive"]["anode_potential"])] + [
            (f"runs.{k}.anode_potential", r["anode_potential"]) for k, r in data["runs"].items()
            if r["anode_potential"] is not None]:
        if not V < 0:  # 0 V plated nothing: every 'at the common charge' number was NaN
            raise ConfigError(f"{where} must be < 0 V (the Li metal below the electrolyte "
                              f"plates Li; -0.45 V in the MOOSE inputs), got {V:g} V.")
    if s["filaments"] < 0:
        raise ConfigError(f"skeleton.filaments must be >= 0, got {s['filaments']}.")
    if s["filaments"] and any(r["skeleton"] for r in data["runs"].values()) \
            and s["diameter"] >= c["width"] / s["filaments"]:
        raise ConfigError(f"skeleton: {s['filaments']} filaments of {s['diameter'] * 1e6:.3g} um "
                          f"across the {c['width'] * 1e6:.3g} um cell would touch (spacing "
                          f"{c['width'] / s['filaments'] * 1e6:.3g} um); use fewer or thinner "
                          "filaments, or a wider cell.")
    if not (0.0 < s["transport_factor"] <= 1.0):
        raise ConfigError(f"skeleton.transport_factor must lie in (0, 1], got "
                          f"{s['transport_factor']!r} (1e-4: blocking).")
    if not (0.0 < prm["transference"] <= 1.0):
        raise ConfigError(f"parameters.transference must lie in (0, 1], got "
                          f"{prm['transference']!r} (PEO/LiTFSI ~0.22).")
    sw = data["sweep"]
    for tp in sw["transference"]:
        if not (0.0 < tp <= 1.0):
            raise ConfigError(f"sweep.transference: every value must lie in (0, 1], got {tp!r}.")
    if sw["transference"] and sw["run"] not in data["runs"]:
        raise ConfigError(f"sweep.run: {sw['run']!r} is not a run of this case."
                          f"{suggest(sw['run'], data['runs'])}")
    if data["numerics"]["elements_across"] < 3:
        raise ConfigError("numerics.elements_across must be >= 3 (4 is the tested value).")
    # every run, and every sweep run, writes checkpoints and outputs under its label
    sweep_labels = [_sweep_label(sw["run"], tp) for tp in sw["transference"]]
    distinct_slugs(list(data["runs"]) + sweep_labels, "runs (with the sweep's runs)")
    if s["gap_anode"] <= c["li_layer"]:
        raise ConfigError(f"skeleton.gap_anode ({s['gap_anode'] * 1e6:.3g} um) must exceed "
                          f"cell.li_layer ({c['li_layer'] * 1e6:.3g} um).")


def initial_field(data):
    r"""``domain -> xi0``: Li foil of thickness ``li_layer`` plus a semicircular seed,
    :math:`\tfrac12[1-\tanh(d/\ell)]` of the signed distance d; zero inside filaments."""
    c = data["cell"]
    xs = c["width"] / 2 if c["seed_x"] is None else c["seed_x"]
    ell = {}

    def xi0(domain, *, _ell=ell):
        x, y = domain.mesh.p
        d = np.minimum(y - c["li_layer"], np.hypot(x - xs, y - c["li_layer"]) - c["seed_radius"])
        xi = 0.5 * (1 - np.tanh(d / _ell["value"]))
        if "PE" in domain.region_names:
            inside = np.zeros(domain.mesh.nvertices, bool)
            inside[np.unique(domain.mesh.t[:, domain.elements("PE")])] = True
            xi = np.where(inside & (xi < 0.5), 0.0, xi)
        return xi

    return xi0, ell


def build_run(data, label, spec_run):
    """``(problem, xi0, options)`` of one run of a validated case."""
    from ..geometry.boxes import BoxSpec, evenly_spaced_filaments
    from ..physics.phasefield_mechanics import Mechanics
    from ..physics.phasefield_params import interface_length, interface_width
    from ..solve.phasefield import PhaseFieldProblem, scaled_parameters

    c, s = data["cell"], data["skeleton"]
    name = spec_run["parameters"] or data["parameters"]["set"]
    t_plus = spec_run["transference"] or data["parameters"]["transference"]
    p = _parameters(data, name).with_(t_plus=t_plus)
    sp = scaled_parameters(p)
    width = interface_width(sp) * sp.length
    ell = interface_length(sp) * sp.length
    h_fine = width / data["numerics"]["elements_across"] / math.sqrt(2) * 0.995
    fil = None
    if spec_run["skeleton"]:
        if s["filaments"] < 1:
            raise ConfigError(f"runs.{label}: skeleton: true but skeleton.filaments = 0.")
        fil = evenly_spaced_filaments(c["width"], s["filaments"], diameter=s["diameter"],
                                      gap_anode=s["gap_anode"], height=c["height"])
    spec = BoxSpec(c["width"], c["height"], h_fine, filaments=fil)
    # fine band: the seed's interface (tail to xi = 0.02 ~ 1 width), the margin (1 width)
    # and room to grow (1 width) before the first remesh
    band0 = min(c["height"], c["li_layer"] + c["seed_radius"] + 3 * width)
    mech = None
    if spec_run["mechanics"]:
        m = data["mechanics"]
        mech = Mechanics(E_metal=m["E_metal"], E_electrolyte=m["E_electrolyte"], nu=m["nu"],
                         expansion=m["expansion"], mixing=m["mixing"],
                         clamped=("anode", "cathode"), rollers=("sides",),
                         fixed_regions=("PE",) if fil is not None else ())
    tf = spec_run["transport_factor"] or s["transport_factor"]
    V = data["drive"]["anode_potential"] if spec_run["anode_potential"] is None \
        else spec_run["anode_potential"]
    prob = PhaseFieldProblem(spec.build(band0), p, metal_potential=V,
                             potential={"cathode": 0.0},
                             concentration={"cathode": p.c0},
                             skeleton=("PE",) if fil is not None else (),
                             skeleton_factor=tf, mechanics=mech, remesh=spec,
                             remesh_margin=width, remesh_step=3 * width)
    xi0, holder = initial_field(data)
    holder["value"] = ell
    opts = dict(t_end=spec_run["duration"] or data["drive"]["duration"],
                dt=data["numerics"]["dt"], snapshots=data["numerics"]["snapshots"],
                stop_height=c["height"] - 0.5 * width, atol=data["numerics"]["atol"], tol=1e-6,
                frame_heights=np.linspace(0.2, 0.8, 4) * c["height"])
    return prob, xi0, opts, {"parameter_set": name, "h_fine [m]": h_fine,
                             "interface_width [m]": width, "t_plus [1]": t_plus,
                             "anode_potential [V]": V,
                             "reaction_to_relaxation [1]": reaction_ratio(sp, V)}


#: relative cost of a run with mechanics (one elastic solve per step on top of the
#: Newton iterations) and of a run at t+ = 1 (c stays c0: no limiting current, a few
#: Newton iterations a step), against a plain run of the same mesh and duration. Measured
#: on the full-size case (2026-12-02, benchmarks/README.md section 7): 22.4 s with
#: mechanics against 21.5 s without, 3.8 s at t+ = 1 against 15.8 s at t+ = 0.5 and 21.3 s
#: at 0.22. Only the order of the runs depends on them (which starts first), never a result.
COST_MECHANICS = 1.05
COST_SINGLE_ION = 0.2


def cost_hint(prob, xi0, opts, info) -> float:
    """Estimated cost of one run (arbitrary unit: mesh nodes x simulated seconds, scaled
    by `COST_MECHANICS` and `COST_SINGLE_ION`), for starting the longest runs first."""
    cost = prob.domain.mesh.nvertices * float(opts["t_end"])
    if prob.mechanics is not None:
        cost *= COST_MECHANICS
    if info["t_plus [1]"] >= 1.0 - 1e-9:
        cost *= COST_SINGLE_ION
    return cost


def reaction_ratio(sp, V) -> float:
    r""":math:`L_\eta|B(V)|/(L_\sigma W)`: plating rate at the anode potential over the
    Allen--Cahn relaxation rate. Above ~1 a small xi anywhere in contact with the
    potential grows faster than the double well pulls it back: the diffuse interface
    stops being thin (precursor growth ahead of the deposit)."""
    from ..physics.phasefield import reaction

    B = reaction(np.asarray(V, float), 1.0, f=sp.f, alpha=sp.alpha)[0]
    return float(sp.L_eta * abs(B) / (sp.L_sigma * sp.W))


def check(case) -> None:
    """Resolve every run (parameter sets, meshes, mechanics) without solving."""
    data = case.data
    _check_numbers(data)
    for label, r in data["runs"].items():
        prob, xi0, _, _ = build_run(data, label, r)
        from ..solve.phasefield import check_initial_field, check_interface_resolution

        xi = check_initial_field(xi0(prob.domain), prob.domain.mesh.nvertices)
        check_interface_resolution(prob.domain, xi, prob.interface_width)


# ------------------------------------------------------------------ the study
@register_study("dendrites", schema=SCHEMA, check=check,
                doc="phase-field Li dendrites: PEO vs PEO with a PE skeleton (Zhang et al. SI)")
def run(case, *, progress=True, checkpoints=None):
    """Run every run of the case; tip height vs passed charge, short-circuit times, maps.

    The runs and the transference sweep's extra runs are independent: they run side by
    side (:func:`ntransport.studies.concurrent.run_all`, one per core, in child processes,
    longest first). The figures of the case's runs (maps, tip vs charge, mechanics, the
    GIF) are a follow-up job: drawn on a worker as soon as those runs are done, while the
    sweep's runs go on (:class:`_FigureJob`); so is the sweep's figure
    (:class:`_SweepFigureJob`), so this process never draws."""
    from ..io.artifacts import slug
    from .concurrent import run_all
    from .result import StudyResult

    data = case.data
    _check_numbers(data)
    result = StudyResult(case.name, SummaryTable())
    plan = {label: (build_run(data, label, r), r) for label, r in data["runs"].items()}
    specs = dict(data["runs"])  # label -> the run's spec (a sweep run's: with its t+)
    sweep_of = _sweep_plan(data, plan, specs)  # sweep label -> (run label, t+)
    sols = run_all({label: _RunJob(case.name, label, data, spec, checkpoints, progress)
                    for label, spec in specs.items()},
                   cost={label: cost_hint(*built) for label, (built, _) in plan.items()},
                   processes=True,
                   then=_figure_jobs(data, sweep_of))
    drawn = sols.pop(_FIGURES)
    for label, ((prob, _, _, info), r) in plan.items():
        sol = sols[label]
        result.solutions[slug(label)] = sol
        result.parameters[label] = _parameters_record(data, prob, info, r)
        log.info("%s: %d steps, t = %.4g s, tip %.3g um", label, len(sol.history("t")) - 1,
                 sol.times[-1], sol.history("tip height")[-1] * 1e6)
    runs = {label: sols[label] for label in data["runs"]}
    meta = {label: (prob, info, r) for label, ((prob, _, _, info), r) in plan.items()
            if label in data["runs"]}
    sweep = {label: (sols[run_label], tp) for label, (run_label, tp) in sweep_of.items()}
    _summarise(result, data, runs, meta)
    if sweep:
        _summarise_sweep(result, data, sweep)
        result.figures["transference_sweep"] = sols.pop(_SWEEP_FIGURE)
    result.notes.extend(_notes(result, data, runs, meta))
    if sweep:
        result.notes.append(_sweep_note(result, sweep))
    result.figures.update(drawn["figures"])
    result.animations["dendrites"] = drawn["animation"]
    result.tables["tip_vs_charge"] = _tip_table(
        {**runs, **{k: v for k, (v, _) in sweep.items() if k not in runs}})
    return result


@dataclass(frozen=True)
class _RunJob:
    """One run as a job of :func:`run_all`, picklable (the runs go to child processes):
    it rebuilds its problem from the case data (build_run is deterministic and cheap:
    ~10 ms), makes its own linear solvers (a PARDISO handle belongs to one thread),
    shows a progress bar over simulated time and calls ``alive()`` every step."""

    name: str
    label: str
    data: Mapping  # the validated case data (read-only)
    spec: Mapping  # the run's entry of data["runs"] (a sweep run's: with its t+)
    checkpoints: object  # a CheckpointStore or None
    progress: bool

    def __call__(self, alive):
        from ..io.artifacts import slug
        from ..solve.linear import DirectSolver
        from ..solve.phasefield import default_solver, solve
        from .progress import run_steps

        prob, xi0, opts, info = build_run(self.data, self.label, self.spec)
        with run_steps(opts["t_end"], alive, desc=f"{self.name}: {self.label}",
                       enabled=self.progress) as step:
            return solve(prob, xi0, store=self.checkpoints, key=slug(self.label),
                         progress=step, info={"label": self.label, **info},
                         solver=default_solver(), elastic_solver=DirectSolver(), **opts)


_FIGURES = "(figures)"  # the follow-ups' labels (run_all refuses runs of these names)
_SWEEP_FIGURE = "(sweep figure)"


def _figure_jobs(data, sweep_of) -> dict:
    """The follow-ups of the runs: the figures of the case's runs; the sweep's figure."""
    from .concurrent import After

    then = {_FIGURES: After(tuple(data["runs"]), _FigureJob(data))}
    if sweep_of:
        needs = tuple(dict.fromkeys(run_label for run_label, _ in sweep_of.values()))
        then[_SWEEP_FIGURE] = After(needs, _SweepFigureJob(data, dict(sweep_of)))
    return then


@dataclass(frozen=True)
class _FigureJob:
    """The figures of the case's runs, drawn and rendered to PNG / GIF bytes (a follow-up
    of :func:`run_all`: on a worker, as soon as those runs are done). Measured on the full
    case: 4-7 s of drawing and PNG encoding that followed the last run, now done while the
    sweep's last run goes on (benchmarks/README.md, section 7)."""

    data: Mapping  # the validated case data (read-only)

    def __call__(self, alive, sols):
        from ..io.style import DRAWING, png
        from ..post import phasefield_figures as figs

        meta = {}
        for label, r in self.data["runs"].items():
            prob, _, _, info = build_run(self.data, label, r)
            meta[label] = (prob, info, r)
        runs = {label: sols[label] for label in self.data["runs"]}
        with DRAWING:
            drawn = figs.study_figures(runs, meta, self.data)
            figures = {k: png(fig) for k, fig in drawn.items()}
            return {"figures": figures, "animation": figs.animation(runs, meta)}


@dataclass(frozen=True)
class _SweepFigureJob:
    """The transference sweep's figure, rendered to PNG bytes (a follow-up of the sweep's
    runs, on the worker the runs leave free)."""

    data: Mapping  # the validated case data (read-only)
    sweep_of: Mapping  # sweep label -> (label of the run that answers it, t+)

    def __call__(self, alive, sols):
        from ..io.style import DRAWING, png

        sweep = {label: (sols[run_label], tp)
                 for label, (run_label, tp) in self.sweep_of.items()}
        with DRAWING:
            return png(_sweep_figure(sweep, self.data))


def _sweep_label(run, tp) -> str:
    return f"{run} t+={tp:g}"


def _sweep_plan(data, plan, specs):
    """``sweep label -> (label of the run that answers it, t+)``: ``sweep.run`` at every
    ``sweep.transference``; a run of the case with the same t+ is reused, the others
    are added to *plan* and *specs* (in place) under their sweep label."""
    sw = data["sweep"]
    base = data["runs"].get(sw["run"])
    out = {}
    for tp in sw["transference"]:
        label = _sweep_label(sw["run"], tp)
        same = [k for k, ((_, _, _, info), r) in plan.items()
                if r is base and abs(info["t_plus [1]"] - tp) < 1e-12]
        if same:
            out[label] = (same[0], tp)
            continue
        specs[label] = dict(base, transference=tp)
        plan[label] = (build_run(data, label, specs[label]), base)
        out[label] = (label, tp)
    return out


def _parameters_record(data, prob, info, r):
    from ..physics.phasefield_params import TABLE_S1_PRINTED, interface_energy, zhang2024_table_s1

    sp = prob.scaled
    rec = {"set": info["parameter_set"], "citation": sp.citation,
           "scaled": {k: getattr(sp, k) for k in ("L_sigma", "W", "L_eta", "kappa0", "D_e",
                                                   "D_l", "gamma", "cs_c0", "f", "delta",
                                                   "omega", "t_plus")},
           "scales": {"length [m]": sp.length, "time [s]": sp.time,
                      "conductivity [S/m]": sp.conductivity, "c0 [mol/m3]": sp.c0},
           "anode potential [V]": data["drive"]["anode_potential"],
           "skeleton": bool(r["skeleton"]), "transport factor": prob.skeleton_factor,
           "mechanics": None if prob.mechanics is None else {
               "E_metal [Pa]": prob.mechanics.E_metal,
               "E_electrolyte [Pa]": prob.mechanics.E_electrolyte, "nu": prob.mechanics.nu,
               "expansion": prob.mechanics.expansion, "mixing": prob.mechanics.mixing,
               "boundary conditions": "anode and cathode clamped, sides on rollers, PE fixed",
               "citation": "Table S1 moduli; nu and expansion: assumptions"},
           **{k: v for k, v in info.items() if k != "parameter_set"}}
    if info["parameter_set"] == "zhang2024_table_s1":
        t1 = zhang2024_table_s1()
        rec["Table S1 as printed"] = {sym: txt for _, sym, txt in TABLE_S1_PRINTED}
        rec["Table S1 implications"] = t1.note
        rec["interfacial energy [J/m2]"] = interface_energy(t1)
    return rec


def _charge_interp(sol, q):
    qs, y = sol.history("passed charge"), sol.history("tip height")
    if q > qs[-1] * (1 + 1e-12):
        return float("nan")
    return float(np.interp(q, qs, y))


def _summarise(result, data, sols, meta):
    from ..physics.phasefield_params import zhang2024_table_s1, interface_energy

    tab = result.summary
    groups = {}
    for label, sol in sols.items():  # runs are compared within one parameter set
        groups.setdefault(meta[label][1]["parameter_set"], []).append(
            float(sol.history("passed charge")[-1]))
    q_set = {k: min(v) for k, v in groups.items()}
    H = data["cell"]["height"]
    for label, sol in sols.items():
        prob, info, r = meta[label]
        q_common = q_set[info["parameter_set"]]
        h = sol.histories
        t, y, q = h["t [s]"], h["tip height [m]"], h["passed charge [C m-2]"]
        tab = (tab.add_si(label, "tip_height_final", float(y[-1]), "m")
                  .add(label, "tip_height_over_cell", float(y[-1] / H), "1")
                  .add(label, "time_final", float(t[-1]), "s")
                  .add_si(label, "passed_charge_final", float(q[-1]), "C m-2"))
        if q_common > 0:  # else no net plating in some run: nothing to compare at equal charge
            tab = (tab.add_si(label, "tip_height_at_common_charge",
                              _charge_interp(sol, q_common), "m")
                      .add_si(label, "mean_deposit_thickness_at_common_charge",
                              q_common / (F * prob.scaled.cs_c0 * prob.scaled.c0), "m"))
        v = _velocity_at(sol, 0.8 * q_common) if q_common > 0 else float("nan")
        if math.isfinite(v):
            tab = tab.add(label, "tip_velocity_at_0.8_common_charge", v * 1e6, "µm/s")
        tab = (tab.add_si(label, "interface_width", info["interface_width [m]"], "m")
                  .add_si(label, "element_size_fine", info["h_fine [m]"], "m")
                  .add(label, "Li_balance_error_max", float(np.max(h["Li balance error [1]"])), "1")
                  .add_si(label, "c_min", float(np.min(h["c min [mol m-3]"])), "mol m-3")
                  .add_si(label, "c_max", float(np.max(h["c max [mol m-3]"])), "mol m-3")
                  .add(label, "steps", float(len(t) - 1), "1")
                  .add(label, "transference", info["t_plus [1]"], "1")
                  .add(label, "anode_potential", info["anode_potential [V]"], "V")
                  .add(label, "reaction_to_relaxation_ratio", info["reaction_to_relaxation [1]"],
                       "1"))
        if sol.info.get("short_circuit"):
            tab = (tab.add(label, "short_circuit_time", float(t[-1]), "s")
                      .add_si(label, "short_circuit_charge", float(q[-1]), "C m-2"))
        if "sigma_h ahead of tip [Pa]" in h:
            tab = tab.add(label, "sigma_h_ahead_of_tip_final",
                          float(h["sigma_h ahead of tip [Pa]"][-1]) / 1e6, "MPa")
    t1 = zhang2024_table_s1()
    ell = math.sqrt(2 * t1.kappa0 / t1.W)
    tab = (tab.add("Table S1", "interface_length_as_printed", ell * 1e6, "µm")
              .add("Table S1", "interface_width_10_90_as_printed", 2 * math.atanh(0.8) * ell * 1e6,
                   "µm")
              .add("Table S1", "interfacial_energy", interface_energy(t1), "J/m2")
              .add("Table S1", "thin_interface_factor",
                   ell / data["parameters"]["interface_length"], "1")    )
    for name, q in q_set.items():
        tab = tab.add(name, "common_charge", q / 36000.0, "mAh/cm²")
        if not q > 0:
            result.notes.append(
                f"Parameter set {name}: a run ended with {q / 36000.0:.3g} mAh/cm² passed (no "
                "net plating: the seed's curvature outweighed the drive), so no run of this set "
                "is compared at equal charge (no '..._at_common_charge' rows).")
    result.summary = tab


def salt_at_front(frame, *, where: str = "tip") -> float:
    """Salt concentration [mol m-3] in the electrolyte (xi < 0.05) next to the deposit:
    at the node nearest to the tip of the xi = 1/2 contour (``where="tip"``), or next
    to the flat front at the side of the cell farthest from the tip (``"flat"``)."""
    from ..solve.phasefield import interface_points

    xi, c = frame["xi [1]"], frame["c_Li+ [mol m-3]"]
    p = frame.domain.mesh.p
    pts = interface_points(frame.domain, xi)
    if not pts.shape[1]:
        return float("nan")
    tip = pts[:, np.argmax(pts[1])]
    if where == "flat":
        xs = p[0].min() if abs(tip[0] - p[0].min()) > abs(tip[0] - p[0].max()) else p[0].max()
        near = np.abs(pts[0] - xs) <= np.abs(pts[0] - xs).min() + 1e-12
        tip = np.array([xs, pts[1, near].max()])
    el = np.nonzero(xi < 0.05)[0]
    k = el[np.argmin(np.hypot(p[0, el] - tip[0], p[1, el] - tip[1]))]
    return float(c[k])


def growth_frame(sol, height: float):
    """The frame whose tip height is closest to *height* [m] (a growth stage before the
    deposit meets the cathode, where c = c0 is imposed)."""
    from ..solve.phasefield import tip_height

    tips = [tip_height(f.domain, f["xi [1]"]) for f in sol.frames]
    return sol.frames[int(np.argmin(np.abs(np.asarray(tips) - height)))]


def _summarise_sweep(result, data, sweep):
    """One row group per t+ of the sweep: tip height at the sweep's common charge, the
    end of the run (short circuit or duration), and the salt at the tip vs at the flat
    front when the tip is at 60 % of the cell (the depletion that drives the tip)."""
    from ..solve.phasefield import tip_height

    tab = result.summary
    q_common = min(float(sol.history("passed charge")[-1]) for sol, _ in sweep.values())
    H = data["cell"]["height"]
    for label, (sol, tp) in sweep.items():
        h = sol.histories
        key = f"sweep t+={tp:g}"
        f = growth_frame(sol, 0.6 * H)
        c0 = float(sol.frames[0]["c_Li+ [mol m-3]"].max())
        tab = (tab.add(key, "transference", tp, "1")
                  .add_si(key, "tip_height_final", float(h["tip height [m]"][-1]), "m")
                  .add_si(key, "passed_charge_final", float(h["passed charge [C m-2]"][-1]),
                          "C m-2"))
        if q_common > 0:  # else a run plated nothing net: no comparison at equal charge
            tab = tab.add_si(key, "tip_height_at_sweep_common_charge",
                             _charge_interp(sol, q_common), "m")
        tab = (tab.add_si(key, "tip_height_of_growth_frame", tip_height(f.domain, f["xi [1]"]),
                          "m")
                  .add(key, "c_at_tip_over_c0", salt_at_front(f) / c0, "1")
                  .add(key, "c_at_flat_front_over_c0", salt_at_front(f, where="flat") / c0, "1")
                  .add_si(key, "c_min", float(np.min(h["c min [mol m-3]"])), "mol m-3")
                  .add_si(key, "c_max", float(np.max(h["c max [mol m-3]"])), "mol m-3")
                  .add(key, "short_circuit", float(bool(sol.info.get("short_circuit"))), "1"))
        if sol.info.get("short_circuit"):
            tab = (tab.add(key, "short_circuit_time", float(h["t [s]"][-1]), "s")
                      .add_si(key, "short_circuit_charge", float(h["passed charge [C m-2]"][-1]),
                              "C m-2"))
    result.summary = tab.add("sweep", "common_charge", q_common / 36000.0, "mAh/cm²")


def _sweep_figure(sweep, data):
    """Tip height vs passed charge per t+, and per t+ the salt c(Li+) (one colour scale)
    when the tip is at 60 % of the cell, with that xi = 1/2 contour (white) and the
    final one (short circuit or end, dashed)."""
    from ..io import style

    n = len(sweep)
    fig, axes = style.new_figure(n + 1, ncols=n + 1, panel=(3.3, 3.0))
    H = data["cell"]["height"]
    style.line_plot(axes[0], {f"t+ = {tp:g}": (sol.history("passed charge [C m-2]") / 36000.0,
                                               sol.history("tip height [m]") * 1e6)
                              for sol, tp in sweep.values()},
                    xlabel="passed charge [mAh/cm²]", ylabel="tip height [µm]",
                    title="Tip vs charge per transference number")
    axes[0].axhline(H * 1e6, color="0.3", ls="--", lw=0.8)
    frames = {k: growth_frame(sol, 0.6 * H) for k, (sol, _) in sweep.items()}
    hi = max(float(f["c_Li+ [mol m-3]"].max()) for f in frames.values())
    for ax, (label, (sol, tp)) in zip(axes[1:], sweep.items()):
        f = frames[label]
        q = float(np.interp(f.t, sol.history("t [s]"), sol.history("passed charge"))) / 36000.0
        art = style.field_map(ax, f.domain, f["c_Li+ [mol m-3]"] / 1000.0, kind="sequential",
                              vmin=0.0, vmax=hi / 1000.0, colorbar=False,
                              title=f"t+ = {tp:g}: {f.t:.3g} s, {q:.2g} mAh/cm²")
        for fr, ls in ((f, "solid"), (sol.frames[-1], "dashed")):
            style.contour(ax, fr.domain, fr["xi [1]"], 0.5, colors="white", linewidths=0.9,
                          linestyles=ls)
    # one colour scale, one bar
    style.add_colorbar(art, axes[1:], "c(Li⁺) [mol/L]")
    style.outer_labels(axes[1:])
    return fig


def _sweep_note(result, sweep):
    tab = result.summary
    parts = []
    for label, (sol, tp) in sweep.items():
        key = f"sweep t+={tp:g}"
        end = (f"short circuit at {tab.value(key, 'short_circuit_time'):.3g} s" if
               sol.info.get("short_circuit") else "no short circuit")
        rows = tab.select(case=key, quantity="tip_height_at_sweep_common_charge").rows
        at_q = (f"tip {rows[0].value:.3g} {rows[0].unit} at the common charge" if rows else
                "no net plating in some run of the sweep (no common charge)")
        parts.append(f"t+ = {tp:g}: {at_q}, "
                     f"c(tip)/c0 = "
                     f"{tab.value(key, 'c_at_tip_over_c0'):.2g} vs "
                     f"{tab.value(key, 'c_at_flat_front_over_c0'):.2g} at the flat front "
                     "(tip at 60 % of the cell), "
                     f"{end}")
    return ("Transference sweep (same run, same drive): " + "; ".join(parts) + ". With an "
            "immobile anion (t+ = 1) the salt stays at c0 and the plating rate is set by the "
            "potential alone; with a mobile anion the salt is depleted where Li plates, "
            "most at the flat front and least at the tip, which reaches into fresher "
            "electrolyte: the tip grows faster per passed charge (a diffusion-limited, "
            "Mullins-Sekerka-type instability). At the limiting current the plating rate is "
            "set by salt diffusion, i_lim = 2F D_amb c0 /((1 - t+) L) = 4F D_l c0/L with "
            "D_amb = 2 D_l (1 - t+) for the anion diffusivity D_l (1 - t+)/t+: independent "
            "of t+, so runs with t+ < 1 at this drive coincide once the salt is depleted.")


def _velocity_at(sol, q):
    qs, y, t = (sol.history(k) for k in ("passed charge", "tip height", "t [s]"))
    if t.size < 3 or q > qs[-1]:
        return float("nan")
    return float(np.interp(q, qs, np.gradient(y, t)))


def _notes(result, data, sols, meta):
    """Findings and assumptions, in words, with the numbers of this run."""
    notes = [
        "Model: Chen et al. (2015) phase field with an equipotential metal (sigma_e = 1e7 "
        "S/m drops < 1 uV over the cell), the overpotential eta = phi_metal - phi_electrolyte "
        "and the salt transported as an electroneutral binary salt (anion balance, "
        "edge-averaged fluxes: c >= 0 by construction; the Newton update of c is taken in "
        "ln c where it would remove more than half of the salt, so every iterate stays "
        "positive). The PEO runs use t+ = 0.22 (PEO/LiTFSI; Edman et al., J. Phys. Chem. B "
        "104 (2000) 3476: t0+ = 0.17 at 742 mol/m3, 85 degC) with the anion diffusivity "
        "D_l (1 - t+)/t+; t+ = 1 is the single-ion reading of the sets' own "
        "sigma_l = F^2 D_l c0/RT (c = c0 everywhere), kept in the transference sweep. "
        "Bounds on c (stated, tested on the reduced t+ = 0.22 PEO run): 0 <= c everywhere; "
        "c <= c0, the value held at the far side, once the start-up transient is over "
        "(t > 0.1 s); during it c <= 2 c0 for the MOOSE set (measured max 1.32 c0, before "
        "0.05 s: the initial tanh profile relaxes and the Li that leaves the interface is "
        "released as salt in place, c_s/c0 = 77 per unit of xi). The Table S1 run exceeds "
        "that bound in its first 2 ms step for the same reason (its thinner scaled interface "
        "relaxes more: measured 2.02 c0 on the reduced cell, 2.24 c0 at full size), and "
        "c <= c0 after 0.06 s. c -> 1e-12 c0 at the deposit at the "
        "limiting current. The run's c_min/c_max rows give the values reached.",
        "Concentrations: the original Li+-only model with a fixed-sigma charge equation lets "
        "the charge equation carry current that the Li+ flux does not, so Li+ piled up "
        "ahead of the tips and was drained below zero at the filament bases (measured on "
        "this case before the fix: c/c0 from -1.71 to +8.99 in PEO, -1.90 to +6.66 with "
        "the skeleton). Since the plating rate is proportional to c, that pile-up is what "
        "made the old tips needle-like; with consistent transport and t+ = 1 the deposits "
        "grow as rounded mounds at this drive (t+ < 1: see the transference sweep).",
        "Blocking (transport x 1e-4) and 'slow' (x 0.05) skeletons differ by < 0.1 % in tip "
        "height at equal charge (measured on the reduced cell): the current a filament "
        "can carry is bounded by factor x area share (< 1 %) and Li cannot grow into "
        "either, so the 'slow' case file was dropped.",
    ]
    for k, (prob, info, r) in meta.items():
        if info["parameter_set"] == "zhang2024_table_s1":
            notes.append(
                f"Table S1 ({k}): as printed its interface is 11.5 um long (10-90 % width "
                "25.4 um, wider than the 12.6 um cell), so it cannot be run as printed; the "
                "closest faithful run scales it to a 0.5 um interface keeping the interfacial "
                "energy (0.72 J/m2), the curvature mobility L_sigma kappa0 and the exchange "
                "current L_eta ell (factor "
                f"{result.summary.value('Table S1', 'thin_interface_factor'):.4g}). "
                f"Its anode potential is {info['anode_potential [V]']:g} V because its "
                "plating rate over the Allen-Cahn relaxation rate, L_eta |B| / (L_sigma W), "
                "must stay below ~1 for the interface to stay thin (it is "
                f"{info['reaction_to_relaxation [1]']:.2g} here, "
                f"{reaction_ratio(prob.scaled, -0.45):.3g} at -0.45 V, where a precursor "
                "grows ahead of the deposit).")
    pairs = [(j, k) for k, (p1, i1, r1) in meta.items() if p1.mechanics is not None
             for j, (p2, i2, r2) in meta.items() if p2.mechanics is None
             and r2["skeleton"] == r1["skeleton"] and i2["parameter_set"] == i1["parameter_set"]]
    for off, on in pairs[:1]:
        q = result.summary.value(meta[on][1]["parameter_set"], "common_charge") * 36000.0
        v0, v1 = _velocity_at(sols[off], 0.8 * q), _velocity_at(sols[on], 0.8 * q)
        s = float(sols[on].history("sigma_h ahead of tip")[-1]) / 1e6
        state = "in compression" if s < 0 else "in tension"
        speed = (f"the tip is slower at equal charge by {100 * (1 - v1 / v0):.2g} %" if v1 < v0
                 else f"the tip is not slower at equal charge ({100 * (v1 / v0 - 1):.2g} % "
                 "faster, within the step-size noise of the velocity)")
        notes.append(
            f"Mechanics ({on} vs {off}): the electrolyte one interface width ahead of the tip "
            f"is {state} ({s:.3g} MPa at the end), and {speed} (at 0.8 x the common "
            "charge). The effect is small because the stress shift dV sigma_h/F (~0.1-1 mV for MPa stresses) is "
            "small against the ~0.25 V interfacial overpotential at this drive; the "
            "mechanism the paper describes is there, its size at Table S1 moduli is not "
            "enough to regulate the growth.")
    return notes


def _tip_table(sols):
    parts = []
    for label, sol in sols.items():
        h = sol.histories
        parts.append(DataTable({"run": np.full(h["t [s]"].size, label),
                                "t [s]": h["t [s]"],
                                "passed charge [mAh/cm2]": h["passed charge [C m-2]"] / 36000.0,
                                "tip height [µm]": h["tip height [m]"] * 1e6}))
    return DataTable.concat(parts)
