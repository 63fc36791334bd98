r"""Symmetric vs asymmetric Li cells with a metal-incorporated interphase (Su et al. 2025).

Reproduces the protocol of Su et al., EES Batteries 2025, 1, 242 (Fig. 2): Li|SE|Li cells
with a 100 um counter electrode and a 100 / 50 / 20 um working electrode, cycled at
0.5 mA cm-2 and 0.5 mAh cm-2 per half-cycle between +-5 V, for three metal-incorporated
interphases (MII-1, MII-2, MII-3: high, medium, very low metal fraction V_FM) and a
metal-free SEI. Physics: :mod:`ntransport.physics.interphase` (percolation conductivity,
growth law) and :mod:`ntransport.solve.cell_cycling` (inventory, voltage, events).

The case-file kind is ``li_inventory`` (see ``geometries/li_inventory.yaml``); this
module only builds objects from the validated case, runs them and writes the outputs.
"""
from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import F
from ..config import ListOf, MapOf, Quantity, Section, Tagged, Value
from ..errors import ConfigError
from ..physics.interphase import (
    N_CONDUCTIVITY_3D,
    V_P_OVERLAPPING_SPHERES,
    Interphase,
    mixing_rule_conductivity,
    percolation_conductivity,
)
from ..solve.cell_cycling import CyclingResult, Electrode, LiCell, Protocol, run_cycling

__all__ = ["SCHEMA", "CellRun", "sigma_e_law", "build_cells", "run_study", "failure_rows",
           "write_failure_csv", "plot_voltage_grid", "plot_inventory", "run",
           "run_case_file"]

log = logging.getLogger(__name__)

_MAH_CM2 = 36000.0  # C/m2 per mAh/cm2


@dataclass(frozen=True)
class _Pint:
    """Schema spec for quantities without a :data:`ntransport.units.KINDS` entry."""

    unit: str
    default: object
    doc: str = ""

    def check(self, data, path):
        from ..units import ureg

        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
        try:
            return float(ureg().Quantity(str(data)).to(self.unit).magnitude)
        except Exception:  # pint raises several unrelated types
            raise ConfigError(f"{path}: expected a quantity convertible to {self.unit!r} "
                              f"(e.g. '0.5 mA*h/cm^2'), got {data!r}.") from None


_LAW = Tagged({
    "percolation": Section({
        "sigma0": Quantity("conductivity", default=5e-4, positive=True),
        "V_p": Value(float, default=V_P_OVERLAPPING_SPHERES),
        "n": Value(float, default=N_CONDUCTIVITY_3D),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
    }),
    # V_p measured here and now by the graph percolation study of ntransport.percolation
    # (overlapping spheres or spheroids of the given aspect ratio, finite-size
    # extrapolation over the box sizes `lengths`, in particle radii)
    "study": Section({
        "sigma0": Quantity("conductivity", default=5e-4, positive=True),
        "n": Value(float, default=N_CONDUCTIVITY_3D),
        "aspect_ratio": Value(float, default=1.0),
        "lengths": ListOf(Value(float), min_len=2, default=[12.0, 20.0, 28.0]),
        "realisations": Value(int, default=60),
        "seed": Value(int, default=0),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
    }),
    "mixing": Section({
        "sigma_metal": Quantity("conductivity", positive=True),
        "sigma_nonmetal": Quantity("conductivity", default=0.0, nonnegative=True),
    }),
    # the FEM percolation fit (ntransport.percolation.fit_power_law), made in units of
    # the metal-phase conductivity, scaled by the interphase's metal_conductivity
    "fem": Section({
        "sigma0": Value(float, doc="fitted prefactor, units of the metal conductivity"),
        "V_p": Value(float),
        "n": Value(float),
        "metal_conductivity": Quantity("conductivity", positive=True),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
    }),
})

_INTERPHASE = Section({
    "V_FM": Value(float),
    "sigma_ion": Quantity("conductivity", positive=True),
    "i0": Quantity("current_density", positive=True),
    "electrolyte_conductivity": Quantity("conductivity", positive=True),
    "note": Value(str, default=""),
})

SCHEMA = Section({
    "title": Value(str, default="Symmetric vs asymmetric Li cells"),
    "protocol": Section({
        "current_density": Quantity("current_density", default=5.0, positive=True),
        "capacity_per_half_cycle": _Pint("C/m**2", default=0.5 * _MAH_CM2),
        "voltage_limit": Quantity("voltage", default=5.0, positive=True),
        "duration": Quantity("time", default=300 * 3600.0, positive=True),
        "first_strip": Value(str, default="working", choices=("working", "counter")),
        "samples_per_half_cycle": Value(int, default=16),
    }),
    "cell": Section({
        "counter_thickness": Quantity("length", default=100e-6, positive=True),
        "working_thicknesses": ListOf(Quantity("length", positive=True), min_len=1,
                                      default=[100e-6, 50e-6, 20e-6]),
        "electrolyte_thickness": Quantity("length", default=1.2e-3, positive=True),
        "temperature": Quantity("temperature", default=298.15, positive=True),
        "transfer_coefficient": Value(float, default=0.5),
        "contact_thickness": Quantity("length", default=0.5e-6, positive=True),
        "constriction_length": Quantity("length", default=10e-6, positive=True),
    }),
    "conductivity_law": _LAW,
    "interphase_defaults": Section({
        "delta0": Quantity("length", default=20e-9, positive=True),
        "molar_volume": _Pint("m**3/mol", default=2.0e-5),
        "driving_voltage": Quantity("voltage", default=1.7, positive=True),
        "tunnel_current": Quantity("current_density", default=1e3, nonnegative=True),
        "tunnel_length": Quantity("length", default=2e-9, positive=True),
    }),
    "interphases": MapOf(_INTERPHASE, min_len=1),
})


def percolation_threshold(spec) -> float:
    """Metal volume fraction at percolation, from the graph study (not a literature value).

    Overlapping spheres (``aspect_ratio`` 1) or prolate spheroids in 3D; the critical
    density of each realisation is found exactly on the contact graph and extrapolated
    to the infinite system over ``lengths`` (see :func:`ntransport.percolation.
    estimate_threshold`).
    """
    from ..percolation import Sphere, Spheroid, estimate_threshold

    a = spec["aspect_ratio"]
    if not a >= 1.0:
        raise ConfigError(f"conductivity_law.aspect_ratio must be >= 1, got {a!r}.")
    shape = Sphere(1.0, dim=3) if a == 1.0 else Spheroid(1.0, a, dim=3)
    est = estimate_threshold(shape, spec["lengths"], spec["realisations"], rng=spec["seed"])
    log.info("percolation threshold of the interphase metal: V_p = %.4f +- %.4f "
             "(%d realisations per box, boxes %s radii)", est.fraction, est.fraction_se,
             est.n_realisations, list(spec["lengths"]))
    return float(est.fraction)


def sigma_e_law(spec) -> Callable[[float], float]:
    """``sigma_e(V_FM)`` [S/m] from a validated ``conductivity_law`` section.

    ``percolation``: :func:`~ntransport.physics.interphase.percolation_conductivity`
    (placeholder literature parameters); ``fem``: the FEM fit through
    :func:`ntransport.percolation.conductivity_law`; ``mixing``: eqn (1) of the paper.
    """
    kind = spec["type"]
    if kind == "study":
        v_p = percolation_threshold(spec)
        kw = {"sigma0": spec["sigma0"], "V_p": v_p, "n": spec["n"],
              "sigma_floor": spec["sigma_floor"]}
        return lambda V: percolation_conductivity(V, **kw)
    if kind == "percolation":
        kw = {k: spec[k] for k in ("sigma0", "V_p", "n", "sigma_floor")}
        return lambda V: percolation_conductivity(V, **kw)
    if kind == "fem":
        from ..percolation import PowerLawFit, conductivity_law

        fit = PowerLawFit(spec["sigma0"] * spec["metal_conductivity"], spec["V_p"], spec["n"])
        return lambda V: conductivity_law(V, fit=fit, sigma_insulator=spec["sigma_floor"])
    kw = {k: spec[k] for k in ("sigma_metal", "sigma_nonmetal")}
    return lambda V: mixing_rule_conductivity(V, **kw)


@dataclass(frozen=True)
class CellRun:
    """One cell of the study grid and its cycling result."""

    interphase: str
    working_thickness: float  # m
    cell: LiCell
    result: CyclingResult

    @property
    def label(self) -> str:
        c = self.cell
        return f"{c.counter.thickness * 1e6:.0f}|{c.working.thickness * 1e6:.0f} um"


def build_cells(data) -> list[tuple[str, LiCell]]:
    """(interphase name, cell) for every interphase x working thickness, row-major."""
    law, d, c = sigma_e_law(data["conductivity_law"]), data["interphase_defaults"], data["cell"]
    out = []
    for name, ip in data["interphases"].items():
        interphase = Interphase(name, ip["V_FM"], law, ip["sigma_ion"], i0=ip["i0"], **d)
        for h in c["working_thicknesses"]:
            out.append((name, LiCell(
                Electrode(h, "working"), Electrode(c["counter_thickness"], "counter"),
                interphase, c["electrolyte_thickness"], ip["electrolyte_conductivity"],
                temperature=c["temperature"], alpha=c["transfer_coefficient"],
                contact_thickness=c["contact_thickness"],
                constriction_length=c["constriction_length"])))
    return out


def _protocol(data, duration) -> Protocol:
    p = data["protocol"]
    th = p["capacity_per_half_cycle"] / p["current_density"]
    cycles = max(1, int(round((duration or p["duration"]) / (2 * th))))
    return Protocol(p["current_density"], p["capacity_per_half_cycle"], cycles,
                    voltage_limit=p["voltage_limit"], first_strip=p["first_strip"],
                    samples_per_half_cycle=p["samples_per_half_cycle"])


def run_study(data, *, duration: float | None = None, progress=None) -> list[CellRun]:
    """Run every cell of a validated ``li_inventory`` case; *duration* [s] overrides."""
    cells = build_cells(data)
    protocol = _protocol(data, duration)
    runs = []
    for k, (name, cell) in enumerate(cells):
        runs.append(CellRun(name, cell.working.thickness, cell, run_cycling(cell, protocol)))
        if progress is not None:
            progress(k + 1, len(cells), f"{name} {runs[-1].label}")
    return runs


def failure_rows(runs: list[CellRun]) -> list[dict]:
    """One dict per cell: interphase, V_FM, sigma_e, thickness, cycles/time to failure."""
    rows = []
    for r in runs:
        f, ip = r.result.failure, r.cell.interphase
        rows.append({
            "interphase": r.interphase, "V_FM": ip.V_FM,
            "sigma_e_S_per_m": ip.electronic_conductivity,
            "counter_um": round(r.cell.counter.thickness * 1e6, 6),
            "working_um": round(r.working_thickness * 1e6, 6),
            "failed": f is not None,
            "cycles_to_failure": r.result.cycles_completed if f else "",
            "cycles_completed": r.result.cycles_completed,
            "time_to_failure_h": f.time / 3600 if f else float("nan"),
            "reason": f"{f.reason} of {f.electrode}" if f else "none",
            "simulated_h": r.result.time[-1] / 3600,
            "li_lost_mAh_cm2": r.result.li_lost[-1] * F / _MAH_CM2,
            "max_conservation_error": float(r.result.conservation_error().max()),
        })
    return rows


def write_failure_csv(runs: list[CellRun], path) -> Path:
    """Write :func:`failure_rows` as CSV; return the path."""
    rows = failure_rows(runs)
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return p


def _grid(runs):
    names = list(dict.fromkeys(r.interphase for r in runs))
    cols = list(dict.fromkeys(r.working_thickness for r in runs))
    return names, cols, {(r.interphase, r.working_thickness): r for r in runs}


def plot_voltage_grid(runs: list[CellRun], path) -> Path:
    """Voltage vs time, one row per interphase, one column per cell (paper's Fig. 2b-m)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, cols, by = _grid(runs)
    t_end = max(r.result.time[-1] for r in runs) / 3600
    fig, axes = plt.subplots(len(names), len(cols), figsize=(4.2 * len(cols), 2.4 * len(names)),
                             squeeze=False, constrained_layout=True)
    letters = iter("bcdefghijklmnopqrstuvwxyz")
    for i, name in enumerate(names):
        for j, h in enumerate(cols):
            ax, r = axes[i, j], by.get((name, h))
            if r is None:
                ax.set_visible(False)
                continue
            res = r.result
            ax.plot(res.time / 3600, res.voltage, lw=0.5, color="C0" if j == 0 else "C3")
            ax.set_xlim(0, t_end)
            ip = r.cell.interphase
            ax.set_title(f"({next(letters)}) {name} (V_FM={ip.V_FM:g}), {r.label}", fontsize=9)
            f = res.failure
            msg = (f"{f.reason} at {f.time / 3600:.0f} h\n({res.cycles_completed} cycles)"
                   if f else f"no failure in {res.time[-1] / 3600:.0f} h")
            ax.text(0.98, 0.95, msg, transform=ax.transAxes, ha="right", va="top", fontsize=8,
                    bbox=dict(fc="white", ec="0.8", alpha=0.8))
            if i == len(names) - 1:
                ax.set_xlabel("time (h)")
            if j == 0:
                ax.set_ylabel("voltage (V)")
    fig.suptitle("Li symmetric (left) vs asymmetric cells, 0.5 mA/cm2, 0.5 mAh/cm2", fontsize=10)
    p = Path(path)
    fig.savefig(p, dpi=130)
    plt.close(fig)
    return p


def plot_inventory(runs: list[CellRun], path) -> Path:
    """Li left in working (solid) and counter (dashed) electrodes [mAh/cm2] vs time.

    Values at the end of every cycle (the sawtooth within a cycle is +-0.5 mAh/cm2) plus
    the final state.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, cols, by = _grid(runs)
    ncol = min(2, len(names))
    nrow = -(-len(names) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.0 * ncol, 3.0 * nrow), squeeze=False,
                             constrained_layout=True, sharey=True)
    k = F / _MAH_CM2
    for i, name in enumerate(names):
        ax = axes.flat[i]
        for j, h in enumerate(cols):
            r = by.get((name, h))
            if r is None:
                continue
            res = r.result
            idx = np.concatenate([[0], res.half_cycle_end[1::2], [len(res.time) - 1]])
            t = res.time[idx] / 3600
            ax.plot(t, res.li_working[idx] * k, color=f"C{j}", lw=1.2,
                    label=f"{r.label}: working")
            ax.plot(t, res.li_counter[idx] * k, color=f"C{j}", lw=1.0, ls="--",
                    label=f"{r.label}: counter")
            if res.failure:
                ax.plot(t[-1], res.li_working[-1] * k, "x", color=f"C{j}", ms=8)
        ax.set_title(f"{name} (V_FM={r.cell.interphase.V_FM:g})", fontsize=9)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("Li remaining (mAh/cm2)")
        ax.set_ylim(0, 1.08 * r.cell.counter.inventory * k)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7)
    fig.suptitle("Li inventory per electrode at the end of each cycle (x: depleted, voltage "
                 "limit reached; all 100 um electrodes overlap)", fontsize=9)
    p = Path(path)
    fig.savefig(p, dpi=130)
    plt.close(fig)
    return p


def _summary(runs):
    from ..io.tables import SummaryTable

    t = SummaryTable()
    for row in failure_rows(runs):
        case = f"{row['interphase']} {row['counter_um']:.0f}|{row['working_um']:.0f} um"
        t = t.add(case, "failed", float(row["failed"]), "1")
        t = t.add(case, "cycles_completed", row["cycles_completed"], "1")
        if row["failed"]:
            t = t.add(case, "time_to_failure", row["time_to_failure_h"], "h")
        t = t.add(case, "li_lost", row["li_lost_mAh_cm2"], "mAh/cm2")
    return t


def run(case, out_dir, *, progress=None):
    """Runner of the ``li_inventory`` kind: CSV + two PNGs in *out_dir*; a SummaryTable.

    With the environment variable ``CI`` set the duration is cut to 1/5 (>= 20 h).
    """
    data = case.data if hasattr(case, "data") else case
    duration = data["protocol"]["duration"]
    if os.environ.get("CI"):
        duration = max(duration / 5, 20 * 3600.0)
        log.info("CI is set: duration cut to %.0f h", duration / 3600)
    runs = run_study(data, duration=duration, progress=progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_failure_csv(runs, out / "li_inventory_failure.csv")
    plot_voltage_grid(runs, out / "li_inventory_voltage.png")
    plot_inventory(runs, out / "li_inventory_li_remaining.png")
    return _summary(runs)


def run_case_file(path, out_dir, *, progress=None):
    """Validate the YAML case *path* against :data:`SCHEMA` and :func:`run` it."""
    from ..config import load_yaml, validate

    raw = load_yaml(path)
    kind = raw.pop("study", "li_inventory")
    if kind != "li_inventory":
        raise ConfigError(f"study: expected 'li_inventory', got {kind!r}.")
    return run(validate(raw, SCHEMA), out_dir, progress=progress)


try:  # plug into `ntransport run` when the registry is present
    from .registry import register_study

    register_study("li_inventory", schema=SCHEMA,
                   doc="Li inventory: symmetric vs asymmetric Li cells with an MII")(run)
except ImportError:  # pragma: no cover - registry not available
    pass
