r"""Li deposition from a defect: LPC vs LPC@2%UCPBA (Zhu et al., PNAS 2023, Fig. 4G--J).

The ``deposition_defect`` study kind: the paper's COMSOL model -- tertiary current
distribution (Nernst--Planck with electroneutrality), concentration-dependent
Butler--Volmer at the Li surface (α_a = α_c = 0.5), the surface moving with
:math:`v_n = -iM/(F\rho)`, 318 K, 0.3 mA cm⁻² plating for 2 h on a 5 × 3 µm cell with a
defect at the centre -- run on the NPP core on a moving mesh
(:mod:`ntransport.solve.deposition`). For each electrolyte "as a whole" (measured σ and
t₊; D± by Nernst--Einstein; σ at 318 K through the activation energy):

* the **cited run**: i₀ bounded from below by the paper's symmetric-cell overpotentials
  (:func:`ntransport.physics.kinetics.symmetric_cell_exchange_current`; or an explicit
  ``exchange_current_density``), with snapshots and animation frames;
* an **i₀ sweep** (``i0_sweep``): tip/flat current ratio and defect height at the end of
  each run; snapshots and an animation at the ``contrast_i0`` (default: the largest).

Outputs (through :class:`~ntransport.studies.result.StudyResult`): summary rows per
electrolyte and per sweep point, ``i0_sweep.csv``, PVD time series of the cited and
contrast runs (c of every species, φ, the flux pieces and i; histories in
``<run>_history.csv``), figures ``flux_snapshots*.png`` (|N(Li⁺)| with streamlines and
the electrode, Fig. 4G/I), ``concentration_snapshots*.png`` (c(Li⁺) near the interface,
Fig. 4H/J), ``deposit_profiles*.png``, ``i0_sweep.png``, and GIFs (Movies S1/S2).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..config import ListOf, MapOf, Quantity, Section, Value
from ..constants import F, R
from ..errors import (ConfigError, GeometryError, MaterialError, check_transfer_coefficients,
                      suggest)
from ..io.artifacts import distinct_slugs, slug
from ..io.tables import DataTable, SummaryTable
from .registry import register_study
from .result import StudyResult

__all__ = ["SCHEMA", "run", "check", "resolve"]

log = logging.getLogger(__name__)

_CELL = Section({
    "overpotential": Quantity("voltage", positive=True),
    "current_density": Quantity("current_density", positive=True),
    "thickness": Quantity("length", positive=True),
    "temperature": Quantity("temperature", positive=True),
    "citation": Value(str, default=""),
})

_OVERRIDE = Section({
    "conductivity": Quantity("conductivity", default=None, positive=True),
    "activation_energy": Quantity("molar_energy", default=None, nonnegative=True),
    "transference": Value(float, default=None),
    "c_ref": Quantity("concentration", default=None, positive=True),
    "note": Value(str, default=""),
})

SCHEMA = Section({
    "citation": Value(str, default=""),
    "notes": Value(str, default=""),
    "width": Quantity("length", positive=True),
    "height": Quantity("length", positive=True),
    "defect_height": Quantity("length", nonnegative=True),
    "defect_width": Quantity("length", positive=True),
    "defect_shape": Value(str, default="cosine", choices=("ellipse", "cosine")),
    "temperature": Quantity("temperature", positive=True),
    "current_density": Quantity("current_density", positive=True,
                                doc="plating current density per projected electrode area"),
    "alpha_a": Value(float, default=0.5),
    "alpha_c": Value(float, default=0.5),
    "duration": Quantity("time", positive=True),
    "electrolytes": ListOf(Value(str), min_len=1),
    "exchange_current_density": MapOf(Quantity("current_density", positive=True), default={},
                                      doc="explicit i0 per electrolyte (overrides the cell)"),
    "symmetric_cells": MapOf(_CELL, default={},
                             doc="Li|electrolyte|Li polarisation bounding i0, per electrolyte"),
    "i0_sweep": ListOf(Quantity("current_density", positive=True), default=[]),
    "contrast_i0": Quantity("current_density", default=None, positive=True),
    "follow_front": Value(bool, default=True),
    "h_anode": Quantity("length", positive=True),
    "h_max": Quantity("length", positive=True),
    "cfl": Value(float, default=0.3),
    "dt_max": Quantity("time", default=120.0, positive=True),
    "snapshots": ListOf(Quantity("time", nonnegative=True), min_len=1),
    "frames": Value(int, default=13),
    "li_thickness": Quantity("length", default=20e-6, positive=True),
    "electrolyte_overrides": MapOf(_OVERRIDE, default={}),
})


# ------------------------------------------------------------------ inputs
def _check_inputs(d):
    dur = d["duration"]
    for k, t in enumerate(d["snapshots"]):
        if not 0.0 <= t <= dur:
            raise ConfigError(
                f"snapshots[{k}]: {t:g} s lies outside [0, duration = {dur:g} s]; snapshot "
                "times must fall within the run (shorten the snapshot or lengthen duration).")
    if d["frames"] < 2:
        raise ConfigError(f"frames: {d['frames']!r} animation frames; give at least 2.")
    if d["h_max"] < d["h_anode"]:
        raise ConfigError(f"h_max = {d['h_max']:.3g} m is smaller than h_anode = "
                          f"{d['h_anode']:.3g} m; the mesh must coarsen away from the anode.")
    if not d["cfl"] > 0:
        raise ConfigError(f"cfl: must be > 0, got {d['cfl']!r}.")
    check_transfer_coefficients(d["alpha_a"], d["alpha_c"], exc=ConfigError)
    if d["defect_width"] >= d["width"]:
        raise ConfigError(f"defect_width = {d['defect_width']:.3g} m must be smaller than "
                          f"width = {d['width']:.3g} m.")
    if d["defect_height"] >= d["height"] / 2:
        raise ConfigError(f"defect_height = {d['defect_height']:.3g} m leaves less than half "
                          f"the electrolyte height {d['height']:.3g} m above the tip; use "
                          "defect_height < height / 2.")
    names = d["electrolytes"]
    distinct_slugs(names, "electrolytes")  # their names name the runs' files
    from .. import materials

    known = materials.available()
    for n in names:
        if n not in known:
            raise ConfigError(f"electrolytes: unknown material {n!r}.{suggest(n, known)}")
    for section in ("exchange_current_density", "symmetric_cells", "electrolyte_overrides"):
        for n in d[section]:
            if n not in names:
                raise ConfigError(f"{section}.{n}: not one of electrolytes {names}."
                                  f"{suggest(n, names)}")
    for n in names:
        if n not in d["exchange_current_density"] and n not in d["symmetric_cells"]:
            raise ConfigError(
                f"exchange_current_density: no value for {n!r} -- give one (e.g. "
                f"exchange_current_density: {{{n}: 1 mA/cm^2}}) or a symmetric_cells entry "
                "(overpotential, current_density, thickness, temperature) to bound it.")
    if d["contrast_i0"] is not None and not any(
            np.isclose(d["contrast_i0"], x) for x in d["i0_sweep"]):
        raise ConfigError(f"contrast_i0 = {d['contrast_i0'] * 0.1:g} mA/cm² is not one of "
                          f"i0_sweep {[x * 0.1 for x in d['i0_sweep']]} mA/cm².")


def _material(name, d):
    from .. import materials

    m = materials.get(name)
    ov = d["electrolyte_overrides"].get(name) or {}
    changes = {k: ov[k] for k in ("conductivity", "activation_energy", "transference", "c_ref")
               if ov.get(k) is not None}
    if "conductivity" in changes:
        changes["conductivity_ref"] = changes.pop("conductivity")
    if "c_ref" in changes:
        changes["salt_concentration"] = changes.pop("c_ref")
    try:
        return (m.with_(**changes) if changes else m), ov.get("note", "")
    except MaterialError as exc:
        raise ConfigError(f"electrolyte_overrides.{name}: {exc}") from None


def resolve(case) -> dict:
    """Everything :func:`run` resolves, per electrolyte: material, σ(T), t₊, D±, the cited
    i₀ and how it was obtained, each with its source (``run.json``'s parameters)."""
    from ..physics.kinetics import symmetric_cell_exchange_current
    from ..solve.deposition import electrolyte_species

    d = case.data if hasattr(case, "data") else case
    _check_inputs(d)
    T = d["temperature"]
    out = {}
    for name in d["electrolytes"]:
        m, note = _material(name, d)
        try:
            sigma = m.conductivity(T)
        except MaterialError as exc:
            raise ConfigError(f"electrolytes: {exc} (set electrolyte_overrides.{name}."
                              "activation_energy)") from None
        species = electrolyte_species(sigma, m.transference, c_ref=m.salt_concentration, T=T)
        p = {"material": name, "citation": m.citation,
             "conductivity_ref [S/m]": m.conductivity_ref, "T_ref [K]": m.T_ref,
             "activation_energy [J/mol]": m.activation_energy,
             "activation_energy_source": note or "materials library",
             f"conductivity at {T:g} K [S/m]": sigma, "transference": m.transference,
             "c_ref [mol/m3]": m.salt_concentration, "c_ref_source": "library (nominal)",
             "D_Li+ [m2/s]": species[0].D, "D_anion [m2/s]": species[1].D}
        if name in d["exchange_current_density"]:
            i0 = d["exchange_current_density"][name]
            p.update({"i0 [A/m2]": i0, "i0_source": "case file (explicit)"})
        else:
            cell = d["symmetric_cells"][name]
            try:
                i0, eta_ct, bulk = symmetric_cell_exchange_current(
                    cell["overpotential"], cell["current_density"],
                    conductivity=m.conductivity(cell["temperature"]),
                    transference=m.transference, thickness=cell["thickness"],
                    T=cell["temperature"], alpha_a=d["alpha_a"], alpha_c=d["alpha_c"])
            except (ValueError, MaterialError) as exc:
                raise ConfigError(f"symmetric_cells.{name}: {exc}") from None
            p.update({"i0 [A/m2]": i0, "i0_source": (
                f"lower bound from the symmetric-cell overpotential "
                f"{cell['overpotential'] * 1e3:g} mV at {cell['current_density'] * 0.1:g} "
                f"mA/cm² ({cell['citation']}): bulk i L/(σ t+) = {bulk * 1e3:.3g} mV "
                f"(L = {cell['thickness'] * 1e6:g} µm, σ at {cell['temperature']:.4g} K), "
                f"the rest split over two electrodes, η_ct = {eta_ct * 1e3:.3g} mV, "
                "inverted with Butler-Volmer; any interphase resistance would make i0 larger"),
                "charge-transfer overpotential per electrode [V]": eta_ct,
                "bulk polarisation of the cell [V]": bulk})
        out[name] = {"species": species, "parameters": p}
    return out


def check(case) -> None:
    """Resolve materials, i0 and the geometry without solving (``ntransport check``)."""
    from ..geometry.remesh import anode_profile

    resolve(case)
    d = case.data
    try:
        anode_profile(d["width"], height=d["height"], defect_height=d["defect_height"],
                      defect_width=d["defect_width"], spacing=d["h_anode"],
                      shape=d["defect_shape"])
    except GeometryError as exc:
        raise ConfigError(str(exc)) from None


# ------------------------------------------------------------------ run
def _problem(d, species, i0):
    from ..solve.deposition import DepositionProblem

    return DepositionProblem(species, i0=i0, current_density=-d["current_density"],
                             width=d["width"], height=d["height"], temperature=d["temperature"],
                             alpha_a=d["alpha_a"], alpha_c=d["alpha_c"],
                             follow_front=d["follow_front"], li_thickness=d["li_thickness"])


def _wagner(sigma, i0, d):
    """Wagner number κ (dη/di)/ℓ of the defect (ℓ its height; linear kinetics)."""
    r_ct = R * d["temperature"] / (F * i0 * (d["alpha_a"] + d["alpha_c"]))
    return sigma * r_ct / max(d["defect_height"], 1e-12)


@register_study("deposition_defect", schema=SCHEMA, check=check,
                doc="Li deposition from an electrode defect: NPP on a moving mesh (ALE)")
def run(case, *, progress=True, checkpoints=None) -> StudyResult:
    """Run the cited and the i₀-sweep deposition runs of every electrolyte (module doc)."""
    from ..geometry.remesh import anode_profile
    from ..post import deposition as fig
    from ..solve.deposition import MeshOptions
    from .concurrent import run_all

    d = case.data
    res = resolve(case)
    dur = d["duration"]
    names = d["electrolytes"]
    curve = anode_profile(d["width"], height=d["height"], defect_height=d["defect_height"],
                          defect_width=d["defect_width"], spacing=d["h_anode"],
                          shape=d["defect_shape"])
    mesh = MeshOptions(h_anode=d["h_anode"], h_max=d["h_max"], cfl=d["cfl"], dt_max=d["dt_max"])
    snaps = sorted(set(float(t) for t in d["snapshots"]) | {dur})
    gif_times = list(np.linspace(0.0, dur, d["frames"]))
    sweep = sorted(d["i0_sweep"])
    contrast = d["contrast_i0"] if d["contrast_i0"] is not None else (sweep[-1] if sweep else None)
    runs = [(name, "cited", res[name]["parameters"]["i0 [A/m2]"]) for name in names]
    runs += [(name, "sweep", x) for x in sweep for name in names]
    jobs = {}
    for name, kind, i0 in runs:
        key = slug(name) if kind == "cited" else slug(f"{name}_i0_{i0 * 0.1:g}mAcm2")
        movie = kind == "cited" or (contrast is not None and np.isclose(i0, contrast))
        times = sorted(set(snaps) | (set(gif_times) if movie else set()))
        jobs[(name, kind, i0)] = _RunJob(
            key, name, i0, _problem(d, res[name]["species"], i0), curve, mesh, dur,
            tuple(times), checkpoints, progress)
    # the runs are independent: side by side, one per core, in child processes (each
    # run's Python-level work is most of its time: ~900-element meshes)
    done = run_all({job.key: job for job in jobs.values()}, processes=True)
    sols = {run: done[job.key] for run, job in jobs.items()}
    return _result(case, d, res, sols, snaps, contrast, fig)


@dataclass(frozen=True)
class _RunJob:
    """One deposition run as a job of :func:`~ntransport.studies.concurrent.run_all`,
    picklable (the runs go to child processes): a progress bar over the run's simulated
    time, ``alive()`` at every step, the run checkpointed under *key*."""

    key: str
    name: str
    i0: float
    problem: object  # DepositionProblem
    curve: object  # the anode profile
    mesh: object  # MeshOptions
    duration: float
    times: tuple
    checkpoints: object  # a CheckpointStore or None
    progress: bool

    def __call__(self, alive):
        from ..solve.deposition_checkpoint import solve_checkpointed
        from .progress import run_steps

        log.info("deposition run %s: %s, i0 = %.4g mA/cm2", self.key, self.name,
                 self.i0 * 0.1)
        with run_steps(self.duration, alive, desc=f"deposition: {self.key}",
                       enabled=self.progress) as step:
            return solve_checkpointed(self.key, self.problem, self.curve, mesh=self.mesh,
                                      duration=self.duration, times=list(self.times),
                                      store=self.checkpoints, progress=step)


# ------------------------------------------------------------------ outputs
def _end(sol, key):
    return float(sol.history(key)[-1])


def _result(case, d, res, sols, snaps, contrast, fig) -> StudyResult:
    names = d["electrolytes"]
    dur_h = d["duration"] / 3600
    cited = {n: sols[(n, "cited", res[n]["parameters"]["i0 [A/m2]"])] for n in names}
    table = SummaryTable()
    parameters = {"case": {k: v for k, v in d.items() if k not in ("notes", "citation")}}
    for n in names:
        p = res[n]["parameters"]
        s = cited[n]
        parameters[n] = p
        sig = p[f"conductivity at {d['temperature']:g} K [S/m]"]
        far = _end(s, "Faraday volume [m2]") / d["width"]
        rows = [("conductivity at T", sig, "S/m"), ("Li+ transference number", p["transference"], "1"),
                ("D_Li+", p["D_Li+ [m2/s]"], "m2/s"), ("D_anion", p["D_anion [m2/s]"], "m2/s"),
                ("exchange current density (cited)", p["i0 [A/m2]"], "A/m2"),
                ("Wagner number of the defect (cited i0)", _wagner(sig, p["i0 [A/m2]"], d), "1"),
                ("defect height at start", float(s.history("defect height [m]")[0]), "m"),
                ("defect height at end", _end(s, "defect height [m]"), "m"),
                ("tip-to-flat current ratio at end", _end(s, "tip-to-flat current ratio [1]"), "1"),
                ("mean advance", _end(s, "mean advance [m]"), "m"),
                ("Faraday advance", far, "m"),
                ("Faraday volume balance error (max)",
                 float(np.abs(s.history("volume balance error [1]")).max()), "1"),
                ("minimum c_Li+", float(s.history("c_min [mol m-3]").min()), "mol m-3"),
                ("cell voltage at end", _end(s, "cell voltage [V]"), "V"),
                ("time steps", float(s.info["steps"]), "1"),
                ("remeshes", float(len(s.info["remeshes"])), "1")]
        if "charge-transfer overpotential per electrode [V]" in p:
            rows.append(("charge-transfer overpotential per electrode (cell)",
                         p["charge-transfer overpotential per electrode [V]"], "V"))
        for q, v, u in rows:
            table = table.add_si(n, q, v, u)
        table = table.add(n, "simulated time", s.times[-1] / 3600, "h")
        if s.info["remeshes"]:
            table = table.add(n, "max remesh content error",
                              max(r["content_error"] for r in s.info["remeshes"]), "1")
    cols = {"electrolyte": [], "i0 [mA/cm2]": [], "Wagner number [1]": [],
            "tip-to-flat current ratio [1]": [], "defect height [µm]": [], "end time [h]": [],
            "stopped early": []}
    for (n, kind, i0), s in sols.items():
        if kind != "sweep":
            continue
        sig = res[n]["parameters"][f"conductivity at {d['temperature']:g} K [S/m]"]
        region = f"i0 = {i0 * 0.1:g} mA/cm²"
        ratio, height = _end(s, "tip-to-flat current ratio [1]"), _end(s, "defect height [m]")
        table = table.add(n, "tip-to-flat current ratio at end (i0 sweep)", ratio, "1", region)
        table = table.add_si(n, "defect height at end (i0 sweep)", height, "m", region)
        table = table.add(n, "end time (i0 sweep)", s.times[-1] / 3600, "h", region)
        for k, v in (("electrolyte", n), ("i0 [mA/cm2]", i0 * 0.1),
                     ("Wagner number [1]", _wagner(sig, i0, d)),
                     ("tip-to-flat current ratio [1]", ratio), ("defect height [µm]", height * 1e6),
                     ("end time [h]", s.times[-1] / 3600),
                     ("stopped early", s.info["event"] or "")):
            cols[k].append(v)
    result = StudyResult(case.name, table, parameters=parameters)
    result.notes.extend(_notes(d, res, cited, sols, contrast))
    for n in names:
        result.solutions[slug(n)] = cited[n]
    result.figures["flux_snapshots"] = fig.snapshot_panels(
        cited, snaps, field="flux", title="cited i0 (symmetric-cell bound)")
    result.figures["concentration_snapshots"] = fig.snapshot_panels(
        cited, snaps, field="c", window=1.5e-6, title="cited i0 (symmetric-cell bound)")
    result.figures["deposit_profiles"] = fig.deposit_profiles(cited, snaps)
    result.animations["deposition"] = fig.animation(cited)
    if cols["electrolyte"]:
        sweep_table = DataTable({k: np.asarray(v) for k, v in cols.items()})
        result.tables["i0_sweep"] = sweep_table
        chosen = {n: (res[n]["parameters"]["i0 [A/m2]"] * 0.1,
                      _end(cited[n], "tip-to-flat current ratio [1]"),
                      _end(cited[n], "defect height [m]") * 1e6) for n in names}
        result.figures["i0_sweep"] = fig.sweep_figure(sweep_table, chosen=chosen,
                                                      duration_h=dur_h)
    if contrast is not None:
        con = {n: sols[(n, "sweep", x)] for (n, kind, x) in sols
               if kind == "sweep" and np.isclose(x, contrast)}
        tag = f"i0_{contrast * 0.1:g}mAcm2"
        title = f"i0 = {contrast * 0.1:g} mA/cm² (where the paper's contrast appears)"
        for n, s in con.items():
            result.solutions[slug(f"{n}_{tag}")] = s
        result.figures[f"flux_snapshots_{tag}"] = fig.snapshot_panels(con, snaps, field="flux",
                                                                      title=title)
        result.figures[f"concentration_snapshots_{tag}"] = fig.snapshot_panels(
            con, snaps, field="c", window=1.5e-6, title=title)
        result.figures[f"deposit_profiles_{tag}"] = fig.deposit_profiles(con, snaps)
        result.animations[f"deposition_{tag}"] = fig.animation(con)
    return result


def _notes(d, res, cited, sols, contrast) -> list[str]:
    names = d["electrolytes"]
    notes = [d["notes"].strip()] if d["notes"].strip() else []
    for n in names:
        p = res[n]["parameters"]
        notes.append(f"{n}: i0 = {p['i0 [A/m2]'] * 0.1:.3g} mA/cm² -- {p['i0_source']}.")
        if p["activation_energy_source"] != "materials library":
            notes.append(f"{n}: activation energy {p['activation_energy [J/mol]'] / 96485.332:.3g}"
                         f" eV -- {p['activation_energy_source']}.")
    growth = {n: _end(cited[n], "defect height [m]") - float(
        cited[n].history("defect height [m]")[0]) for n in names}
    ratio = {n: _end(cited[n], "tip-to-flat current ratio [1]") for n in names}
    key = f"conductivity at {d['temperature']:g} K [S/m]"
    wag = {n: _wagner(res[n]["parameters"][key], res[n]["parameters"]["i0 [A/m2]"], d)
           for n in names}
    notes.append("At the cited (lower-bound) i0: " + "; ".join(
        f"{n} defect grows {growth[n] * 1e6:.3g} µm, tip/flat {ratio[n]:.3f}" for n in names)
        + ". Kinetics dominate (Wagner numbers of the defect " + ", ".join(
            f"{n} {wag[n]:.0f}" for n in names) + "): the current is nearly uniform and both "
        "deposits stay conformal -- the paper's contrast does not appear at the smallest i0 "
        "its own cells allow.")
    sweep = sorted({x for (_, k, x) in sols if k == "sweep"})
    if sweep and len(names) >= 2:
        a, b = names[0], names[1]
        rows = []
        first = None
        for x in sweep:
            ga = _end(sols[(a, "sweep", x)], "defect height [m]")
            gb = _end(sols[(b, "sweep", x)], "defect height [m]")
            ra = _end(sols[(a, "sweep", x)], "tip-to-flat current ratio [1]")
            rb = _end(sols[(b, "sweep", x)], "tip-to-flat current ratio [1]")
            rows.append(f"{x * 0.1:g} mA/cm²: tip/flat {ra:.2f} vs {rb:.2f}, defect "
                        f"{ga * 1e6:.2f} vs {gb * 1e6:.2f} µm")
            if first is None and ra > 1.25 and ra - 1 > 2 * (rb - 1):
                first = x
        notes.append(f"i0 sweep ({a} vs {b}, at the end of the run): " + "; ".join(rows) + ".")
        if first is not None:
            key = f"conductivity at {d['temperature']:g} K [S/m]"
            pa, pb = res[a]["parameters"], res[b]["parameters"]
            wa = _wagner(pa[key], first, d)
            notes.append(
                f"The paper's contrast (a fast-growing {a} dendrite, a near-uniform {b} deposit) "
                f"appears from i0 ≈ {first * 0.1:g} mA/cm²: there the kinetic resistance "
                f"RT/(F i0) is comparable to the ohmic resistance over the defect (Wagner "
                f"number {wa:.2g} for {a}), so the current focuses on the tip; {b} focuses "
                f"less because its conductivity at {d['temperature']:g} K is "
                f"{pb[key] / pa[key]:.2g}x higher and its t+ ({pb['transference']:.2g} vs "
                f"{pa['transference']:.2g}) gives less concentration polarisation. That i0 is "
                f"{first / max(pa['i0 [A/m2]'], pb['i0 [A/m2]']):.0f}x the lower bounds the "
                "paper's symmetric cells give: the measurement allows it but does not "
                "establish it, so the paper's contrast rests on fast kinetics it does not "
                "state.")
        else:
            notes.append("No sweep point shows the paper's contrast (LPC tip/flat > 1.25 and "
                         "twice UCPBA's excess): at these i0 both deposits grow conformally.")
    for (n, kind, x), s in sols.items():
        if s.info["event"]:
            notes.append(f"{n} at i0 = {x * 0.1:.3g} mA/cm² stopped at "
                         f"t = {s.times[-1] / 60:.0f} min: {s.info['event']}")
    return notes
