r"""Symmetric vs asymmetric Li cells with a metal-incorporated interphase (Su et al. 2025).

Protocol of Su et al., EES Batteries 2025, 1, 242 (Fig. 2): Li|SE|Li cells with a
100 um counter electrode and a 100 / 50 / 20 um working electrode, cycled at
0.5 mA cm-2 and 0.5 mAh cm-2 per half-cycle between +-5 V, for the interphases formed
from LGPS (MII-1), LPSC:LGPS = 4:1 (MII-2), 16:1 (MII-3) and LPSC (metal-free SEI).

Nothing is placed by hand around a threshold: each interphase's metal volume fraction
:math:`V_{FM}` and molar volume come from the reduction stoichiometry of its electrolyte
mix (:func:`ntransport.physics.interphase.mii_composition`, each reaction cited, with an
uncertainty from the product densities and from the molar-vs-weight reading of the
mixing ratio); the electronic conductivity follows the paper's eqn (2),
:math:`\sigma_e = \sigma_0 (V_{FM}-V_p)^n` with :math:`\sigma_0` the *bulk* metal
conductivity (no fitted scale) and :math:`V_p, n` from the percolation study (one
scenario per ``conductivity_laws`` entry: bulk spheres, a thin film, ...); the growth law
and the cell model are :mod:`ntransport.physics.interphase` and
:mod:`ntransport.solve.cell_cycling`. The 12 cells are then *predicted* -- time to the
+-5 V limit and polarisation -- and tabulated beside what the paper reports for Fig. 2.

Outputs: voltage grid and Li inventory figures per scenario (io.style), the
prediction-vs-paper table, a summary row per cell, and per cell of the first scenario a
PVD time series of the cell stack (Li | MII | SE | MII | Li, drawn to scale except the
interphases) with the interphase thickness, remaining Li and the potential across the
stack over time.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..config import ListOf, MapOf, Quantity, Section, Tagged, Value
from ..constants import F
from ..errors import ConfigError, MaterialError
from ..physics.interphase import (
    N_CONDUCTIVITY_3D,
    V_P_OVERLAPPING_SPHERES,
    Interphase,
    mii_composition,
    mixing_rule_conductivity,
    percolation_conductivity,
)
from ..solve.cell_cycling import (CyclingResult, Electrode, LiCell, Protocol,
                                  run_cycling_cells)
from .registry import register_study

__all__ = ["SCHEMA", "CellRun", "sigma_e_law", "percolation_threshold", "interphase_fractions",
           "build_cells", "run_study", "failure_rows", "PAPER_FIG2", "run"]

log = logging.getLogger(__name__)

_MAH_CM2 = 36000.0  # C/m2 per mAh/cm2
SIGMA_LI = 1.08e7   # S/m, Li metal at 20 degC (CRC Handbook: 9.28e-8 ohm m)


@dataclass(frozen=True)
class _Pint:
    """Schema spec for quantities without a :data:`ntransport.units.KINDS` entry."""

    unit: str
    default: object
    doc: str = ""

    def check(self, data, path):
        from ..units import ureg

        if isinstance(data, (int, float)) and not isinstance(data, bool):
            value = float(data)
        else:
            try:
                value = float(ureg().Quantity(str(data)).to(self.unit).magnitude)
            except Exception:  # pint raises several unrelated types
                raise ConfigError(f"{path}: expected a quantity convertible to {self.unit!r} "
                                  f"(e.g. '0.5 mA*h/cm^2'), got {data!r}.") from None
        if not (math.isfinite(value) and value > 0):  # 0 divided by zero in the protocol
            raise ConfigError(f"{path}: must be > 0, got {data!r}.")
        return value


_LAW = Tagged({
    "percolation": Section({
        "sigma0": Quantity("conductivity", default=SIGMA_LI, positive=True,
                           doc="bulk metal conductivity (eqn 2's sigma_0)"),
        "V_p": Value(float, default=V_P_OVERLAPPING_SPHERES),
        "n": Value(float, default=N_CONDUCTIVITY_3D),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
        "label": Value(str, default=""),
    }),
    # V_p measured here and now by the graph percolation study (bulk, extrapolated)
    "study": Section({
        "sigma0": Quantity("conductivity", default=SIGMA_LI, positive=True),
        "n": Value(float, default=N_CONDUCTIVITY_3D),
        "aspect_ratio": Value(float, default=1.0),
        "lengths": ListOf(Value(float), min_len=2, default=[12.0, 20.0, 28.0]),
        "realisations": Value(int, default=60),
        "seed": Value(int, default=0, minimum=0),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
        "label": Value(str, default=""),
    }),
    # V_p = first through-thickness spanning fraction of a film (thickness H, width W,
    # in particle radii), measured by the percolation study at run time
    "film": Section({
        "sigma0": Quantity("conductivity", default=SIGMA_LI, positive=True),
        "n": Value(float, default=N_CONDUCTIVITY_3D),
        "thickness_radii": Value(float, default=4.0),
        "width_radii": Value(float, default=64.0),
        "realisations": Value(int, default=30),
        "seed": Value(int, default=0, minimum=0),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
        "label": Value(str, default=""),
    }),
    "mixing": Section({
        "sigma_metal": Quantity("conductivity", positive=True),
        "sigma_nonmetal": Quantity("conductivity", default=0.0, nonnegative=True),
        "label": Value(str, default=""),
    }),
    # the FEM percolation fit (ntransport.percolation.fit_power_law), made in units of
    # the metal-phase conductivity, scaled by metal_conductivity
    "fem": Section({
        "sigma0": Value(float, doc="fitted prefactor, units of the metal conductivity"),
        "V_p": Value(float),
        "n": Value(float),
        "metal_conductivity": Quantity("conductivity", positive=True),
        "sigma_floor": Quantity("conductivity", default=0.0, nonnegative=True),
        "label": Value(str, default=""),
    }),
})

_INTERPHASE = Section({
    "composition": MapOf(Value(float), default=None,
                         doc="electrolyte -> moles, e.g. {LPSC: 4, LGPS: 1}"),
    "ratio_basis": Value(str, default="molar", choices=("molar", "weight")),
    "V_FM": Value(float, default=None, doc="override of the stoichiometric fraction"),
    "sigma_ion": Quantity("conductivity", positive=True),
    "i0": Quantity("current_density", positive=True),
    "electrolyte_conductivity": Quantity("conductivity", positive=True),
    "note": Value(str, default=""),
}, exclusive=(("composition", "V_FM"),))

SCHEMA = Section({
    "title": Value(str, default="Symmetric vs asymmetric Li cells"),
    "protocol": Section({
        "current_density": Quantity("current_density", default=5.0, positive=True),
        "capacity_per_half_cycle": _Pint("C/m**2", default=0.5 * _MAH_CM2),
        "voltage_limit": Quantity("voltage", default=5.0, positive=True),
        "duration": Quantity("time", default=300 * 3600.0, positive=True),
        "first_strip": Value(str, default="working", choices=("working", "counter")),
        "samples_per_half_cycle": Value(int, default=8, minimum=2),
        "rtol": Value(float, default=1e-7, positive=True,
                      doc="local tolerance of the BDF2 integration"),
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
    "conductivity_laws": MapOf(_LAW, min_len=1),
    "interphase_defaults": Section({
        "delta0": Quantity("length", default=20e-9, positive=True),
        "driving_voltage": Quantity("voltage", default=1.7, positive=True),
        "tunnel_current": Quantity("current_density", default=1e3, nonnegative=True),
        "tunnel_length": Quantity("length", default=2e-9, positive=True),
    }),
    "interphases": MapOf(_INTERPHASE, min_len=1),
})

#: What Su et al. report for each cell of Fig. 2 (text of the paper; the figure's data
#: are not in the text). ``fails``: the working electrode is depleted (voltage jump to
#: the +-5 V limit) within the test; ``polarisation_mV``: quoted amplitude.
PAPER_FIG2 = {
    ("MII-1", 100): (False, None, "Fig. 2b: only a continuous increase in polarisation"),
    ("MII-1", 50): (True, None, "Fig. 2c: voltage exceeds +-5 V rapidly (Li depletion)"),
    ("MII-1", 20): (True, None, "Fig. 2d: voltage exceeds +-5 V rapidly (Li depletion)"),
    ("MII-2", 100): (False, 26.0, "Fig. 2e: max polarisation 26 mV, 2x the SEI's; life 3x "
                                  "the SEI's; polarisation falls after 60 h"),
    ("MII-2", 50): (True, None, "Fig. 2f: violent Li consumption (voltage jump)"),
    ("MII-2", 20): (True, None, "Fig. 2g: violent Li consumption, earlier than 50 um"),
    ("MII-3", 100): (False, None, "Fig. 2h: lower polarisation, longer life than the SEI"),
    ("MII-3", 50): (False, None, "Fig. 2i: no Li depletion"),
    ("MII-3", 20): (False, None, "Fig. 2j: no Li depletion"),
    ("SEI", 100): (False, 13.0, "Fig. 2k: polarisation ~13 mV (half of MII-2's 26 mV); life "
                                "1/3 of MII-2's symmetric cell (failure not by depletion)"),
    ("SEI", 50): (False, None, "Fig. 2l: shorter life than MII-3 (no depletion reported)"),
    ("SEI", 20): (False, None, "Fig. 2m: shorter life than MII-3 (no depletion reported)"),
}

#: molar masses of the electrolytes [g/mol] (for a weight-ratio reading of "4:1")
_M_ELECTROLYTE = {"LGPS": 588.7, "LPSC": 268.4}


def percolation_threshold(spec) -> float:
    """Bulk metal volume fraction at percolation from the graph study (extrapolated)."""
    from ..percolation import Sphere, Spheroid, estimate_threshold

    a = spec["aspect_ratio"]
    if not a >= 1.0:
        raise ConfigError(f"conductivity_law.aspect_ratio must be >= 1, got {a!r}.")
    shape = Sphere(1.0, dim=3) if a == 1.0 else Spheroid(1.0, a, dim=3)
    est = estimate_threshold(shape, [L * a for L in spec["lengths"]], spec["realisations"],
                             rng=spec["seed"])
    log.info("percolation threshold of the interphase metal: V_p = %.4f +- %.4f",
             est.fraction, est.fraction_se)
    return float(est.fraction)


def film_threshold_of(spec) -> float:
    """First through-thickness spanning fraction of a film (percolation study)."""
    from ..percolation.scans import film_threshold

    ft = film_threshold(spec["thickness_radii"], spec["width_radii"], spec["realisations"],
                        rng=spec["seed"])
    log.info("film (H = %g r, W = %g r) first-spanning fraction %.4f +- %.4f",
             ft.thickness, ft.width, ft.fraction, ft.se)
    return ft.fraction


def threshold_of(spec) -> float | None:
    """V_p of a law spec (None for the mixing rule)."""
    kind = spec["type"]
    if kind == "study":
        return percolation_threshold(spec)
    if kind == "film":
        return film_threshold_of(spec)
    if kind in ("percolation", "fem"):
        return spec["V_p"]
    return None


def sigma_e_law(spec, *, v_p: float | None = None) -> Callable[[float], float]:
    """``sigma_e(V_FM)`` [S/m] from a validated ``conductivity_laws`` entry."""
    kind = spec["type"]
    if kind in ("study", "film", "percolation"):
        vp = v_p if v_p is not None else threshold_of(spec)
        kw = {"sigma0": spec["sigma0"], "V_p": vp, "n": spec["n"],
              "sigma_floor": spec["sigma_floor"]}
        return lambda V: percolation_conductivity(V, **kw)
    if kind == "fem":
        from ..percolation import PowerLawFit, conductivity_law

        fit = PowerLawFit(spec["sigma0"] * spec["metal_conductivity"], spec["V_p"], spec["n"])
        return lambda V: conductivity_law(V, fit=fit, sigma_insulator=spec["sigma_floor"])
    kw = {k: spec[k] for k in ("sigma_metal", "sigma_nonmetal")}
    return lambda V: mixing_rule_conductivity(V, **kw)


def interphase_fractions(ip) -> dict:
    """V_FM (stoichiometric or given), its uncertainty and the molar volume Omega."""
    if ip["V_FM"] is not None:
        return {"V_FM": ip["V_FM"], "V_FM_sd": 0.0, "V_FM_alt": ip["V_FM"],
                "molar_volume": 2.0e-5, "source": "given"}
    comp = ip["composition"]
    if comp is None:
        raise ConfigError("interphases: give 'composition' (e.g. {LPSC: 4, LGPS: 1}) or V_FM.")
    moles = dict(comp)
    if ip["ratio_basis"] == "weight":
        moles = {k: v / _M_ELECTROLYTE[k] for k, v in comp.items() if k in _M_ELECTROLYTE}
    try:
        c = mii_composition(moles)
        # the other reading of the ratio (molar <-> weight): a second uncertainty
        alt = ({k: v / _M_ELECTROLYTE[k] for k, v in comp.items()}
               if ip["ratio_basis"] == "molar" else dict(comp))
        c_alt = mii_composition(alt)
    except (MaterialError, KeyError) as exc:
        raise ConfigError(f"interphases.composition {comp!r}: {exc}") from exc
    return {"V_FM": c.V_FM, "V_FM_sd": c.V_FM_sd, "V_FM_alt": c_alt.V_FM,
            "molar_volume": c.molar_volume, "phases": c.phases, "source": "stoichiometry"}


@dataclass(frozen=True)
class CellRun:
    """One cell of the study grid and its cycling result."""

    interphase: str
    working_thickness: float  # m
    cell: LiCell
    result: CyclingResult
    scenario: str = ""

    @property
    def label(self) -> str:
        c = self.cell
        return f"{c.counter.thickness * 1e6:.0f}|{c.working.thickness * 1e6:.0f} µm"


def build_cells(data, *, law=None, v_p=None) -> list[tuple[str, LiCell]]:
    """(interphase name, cell) for every interphase x working thickness, row-major.

    *law*: a ``conductivity_laws`` entry (default: the first)."""
    law = law or next(iter(data["conductivity_laws"].values()))
    sig = sigma_e_law(law, v_p=v_p)
    d, c = data["interphase_defaults"], data["cell"]
    out = []
    for name, ip in data["interphases"].items():
        fr = interphase_fractions(ip)
        interphase = Interphase(name, fr["V_FM"], sig, ip["sigma_ion"], i0=ip["i0"],
                                molar_volume=fr["molar_volume"], **d)
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
                    samples_per_half_cycle=p["samples_per_half_cycle"], rtol=p["rtol"])


def run_study(data, *, duration: float | None = None, progress=None, law=None, v_p=None,
              scenario="", done=None) -> list[CellRun]:
    """Run every cell of a validated ``li_inventory`` case; *duration* [s] overrides.

    *done*: optional mapping (interphase, working thickness) -> CyclingResult of cells
    already run (resume); *progress*: ``progress(k, n, label)`` after each cell."""
    cells = build_cells(data, law=law, v_p=v_p)
    protocol = _protocol(data, duration)
    runs, done = [], done or {}
    for name in dict.fromkeys(n for n, _ in cells):  # one growth integration per interphase
        group = [c for n, c in cells if n == name]
        todo = [c for c in group if (name, c.working.thickness) not in done]
        new = dict(zip([c.working.thickness for c in todo], run_cycling_cells(todo, protocol)))
        for c in group:
            res = done.get((name, c.working.thickness)) or new[c.working.thickness]
            runs.append(CellRun(name, c.working.thickness, c, res, scenario))
            if progress is not None:
                progress(len(runs), len(cells), f"{name} {runs[-1].label}")
    return runs


def failure_rows(runs: list[CellRun]) -> list[dict]:
    """One dict per cell: interphase, V_FM, sigma_e, thickness, failure, polarisation."""
    rows = []
    for r in runs:
        f, ip, res = r.result.failure, r.cell.interphase, r.result
        rows.append({
            "scenario": r.scenario, "interphase": r.interphase, "V_FM": ip.V_FM,
            "sigma_e_S_per_m": ip.electronic_conductivity,
            "counter_um": round(r.cell.counter.thickness * 1e6, 6),
            "working_um": round(r.working_thickness * 1e6, 6),
            "failed": f is not None,
            "cycles_completed": res.cycles_completed,
            "time_to_failure_h": f.time / 3600 if f else float("nan"),
            "reason": f"{f.reason} of {f.electrode}" if f else "none",
            "simulated_h": res.time[-1] / 3600,
            "polarisation_first_cycle_mV": 1e3 * res.polarisation((0, 1)),
            "polarisation_max_mV": 1e3 * res.polarisation(),
            "li_lost_mAh_cm2": res.li_lost[-1] * F / _MAH_CM2,
            "max_conservation_error": float(res.conservation_error().max()),
        })
    return rows


# ------------------------------------------------------------------ outputs
def _summary(rows, fractions, laws, v_ps):
    from ..io.tables import SummaryTable

    t = SummaryTable()
    for name, fr in fractions.items():
        t = (t.add(name, "metal volume fraction V_FM (stoichiometric)", fr["V_FM"], "1")
              .add(name, "V_FM standard deviation (product densities)", fr["V_FM_sd"], "1")
              .add(name, "V_FM with the other reading of the mixing ratio", fr["V_FM_alt"], "1")
              .add(name, "interphase molar volume Omega", fr["molar_volume"] * 1e6,
                   "cm3/mol"))
    for sc, vp in v_ps.items():
        if vp is not None:
            t = t.add(sc, "percolation threshold V_p used", vp, "1")
    for row in rows:
        case = f"{row['scenario']} {row['interphase']} {row['counter_um']:.0f}|{row['working_um']:.0f} µm"
        t = (t.add(case, "electronic conductivity sigma_e", row["sigma_e_S_per_m"] * 10.0, "mS/cm")
              .add(case, "failed (voltage limit reached)", float(row["failed"]), "1")
              .add(case, "cycles completed", row["cycles_completed"], "1")
              .add(case, "simulated time", row["simulated_h"], "h"))
        # a cell at the voltage limit from its first step has no polarisation (a note says so)
        for q, k in (("polarisation, first cycle", "polarisation_first_cycle_mV"),
                     ("polarisation, maximum before failure", "polarisation_max_mV")):
            if math.isfinite(row[k]):
                t = t.add(case, q, row[k], "mV")
        t = (t.add(case, "Li lost to the interphases", row["li_lost_mAh_cm2"], "mAh/cm2")
              .add(case, "Li bookkeeping error (max, relative)", row["max_conservation_error"],
                   "1"))
        if row["failed"]:
            t = t.add(case, "time to the voltage limit", row["time_to_failure_h"], "h")
    return t


def _comparison(rows):
    """Prediction beside the paper's Fig. 2, one row per scenario x cell."""
    from ..io.tables import DataTable

    cols = {"scenario": [], "interphase": [], "cell": [], "paper: depleted [1]": [],
            "predicted: depleted [1]": [], "predicted time to +-5 V [h]": [],
            "paper polarisation [mV]": [], "predicted polarisation, first cycle [mV]": [],
            "agreement": [], "paper observation": []}
    for r in rows:
        key = (r["interphase"], int(round(r["working_um"])))
        fails, pol, text = PAPER_FIG2.get(key, (None, None, "not in the paper"))
        pred = bool(r["failed"]) and r["reason"].startswith("depletion")
        cols["scenario"].append(r["scenario"])
        cols["interphase"].append(r["interphase"])
        cols["cell"].append(f"{r['counter_um']:.0f}|{r['working_um']:.0f}")
        cols["paper: depleted [1]"].append(-1.0 if fails is None else float(fails))
        cols["predicted: depleted [1]"].append(float(pred))
        cols["predicted time to +-5 V [h]"].append(r["time_to_failure_h"] if r["failed"]
                                                  else -1.0)
        cols["paper polarisation [mV]"].append(-1.0 if pol is None else pol)
        cols["predicted polarisation, first cycle [mV]"].append(  # -1: none (as the paper's)
            r["polarisation_first_cycle_mV"] if math.isfinite(r["polarisation_first_cycle_mV"])
            else -1.0)
        cols["agreement"].append("n/a" if fails is None else ("yes" if pred == fails else "NO"))
        cols["paper observation"].append(text)
    return DataTable(cols)


def _voltage_grid(runs, title):
    from ..io import style

    names = list(dict.fromkeys(r.interphase for r in runs))
    hs = list(dict.fromkeys(r.working_thickness for r in runs))
    by = {(r.interphase, r.working_thickness): r for r in runs}
    fig, axes = style.new_figure(len(names) * len(hs), ncols=len(hs), panel=(3.6, 2.2))
    t_end = max(r.result.time[-1] for r in runs) / 3600
    letters = iter("bcdefghijklmnopqrstuvwxyz")
    for i, name in enumerate(names):
        for j, h in enumerate(hs):
            ax, r = axes[i * len(hs) + j], by[(name, h)]
            res = r.result
            style.line_plot(ax, {r.label: (res.time / 3600, res.voltage)}, xlabel="time [h]",
                            ylabel="voltage [V]",
                            title=f"({next(letters)}) {name} (V_FM {r.cell.interphase.V_FM:.3f}), "
                                  f"{r.label}")
            f = res.failure
            right = 1.05 * f.time / 3600 if f and f.time > 0 else t_end
            if right > 0:  # every cell at the limit from its first step (t = 0): matplotlib's
                ax.set_xlim(0, right)
            msg = (f"{f.reason}: {abs(f.voltage):.3g} V at {f.time / 3600:.3g} h" if f else
                   f"no failure in {res.time[-1] / 3600:.0f} h; "
                   f"max |V| {1e3 * res.polarisation():.0f} mV")
            ax.text(0.98, 0.94, msg, transform=ax.transAxes, ha="right", va="top", fontsize=7,
                    bbox=dict(fc="white", ec="0.8", alpha=0.85))
    fig.suptitle(title)
    return fig


def _inventory_figure(runs, title):
    from ..io import style

    names = list(dict.fromkeys(r.interphase for r in runs))
    fig, axes = style.new_figure(len(names), ncols=min(2, len(names)), panel=(4.6, 3.0))
    k = F / _MAH_CM2
    for ax, name in zip(axes, names):
        curves, styles = {}, {}
        for j, r in enumerate(x for x in runs if x.interphase == name):
            res = r.result
            idx = np.concatenate([[0], res.half_cycle_end[1::2], [len(res.time) - 1]])
            curves[f"{r.label}: working"] = (res.time[idx] / 3600, res.li_working[idx] * k)
            curves[f"{r.label}: counter"] = (res.time[idx] / 3600, res.li_counter[idx] * k)
            styles[f"{r.label}: working"] = {"color": f"C{j}"}
            styles[f"{r.label}: counter"] = {"color": f"C{j}", "ls": "--"}
        style.line_plot(ax, curves, xlabel="time [h]", ylabel="Li left [mAh/cm²]",
                        title=f"{name}", styles=styles)
        ax.legend(frameon=False, fontsize=6)
    fig.suptitle(title)
    return fig


def _stack_solution(run_, protocol, *, frames=12):
    """Transient Solution on a 2D strip of the cell stack (Li | MII | SE | MII | Li).

    Lengths to scale except the interphases (drawn 20 um thick; their real thickness is
    the field ``delta [m]``). Cell data per frame: ``delta [m]`` (interphases),
    ``Li left [m]`` (electrodes: metal thickness equivalent of the inventory),
    ``phi [V]`` (layer-mid potential: the electrode overpotentials split equally between
    the two Li|MII faces, ohmic drops across each layer; the working collector is at the
    cell voltage, the counter at 0), ``sigma_e [S/m]``."""
    from ..geometry.domain import Domain
    from ..solution import Frame, Solution
    from ..solve.cell_cycling import LI_DENSITY, LI_MOLAR_MASS, _Model

    c, res = run_.cell, run_.result
    ip = c.interphase
    draw_ip = 20e-6
    layers = [("Li working", c.working.thickness), ("MII working", draw_ip),
              ("electrolyte", c.electrolyte_thickness), ("MII counter", draw_ip),
              ("Li counter", c.counter.thickness)]
    ny = [4, 2, 12, 2, 4]
    ys = [0.0]
    for (_, h), n in zip(layers, ny):
        ys += list(ys[-1] + h * np.arange(1, n + 1) / n)
    xs = np.array([0.0, 50e-6, 100e-6])
    X, Y = np.meshgrid(xs, np.array(ys), indexing="ij")
    pts = np.column_stack([X.ravel(), Y.ravel()])
    idx = np.arange(pts.shape[0]).reshape(X.shape)
    row_layer = np.repeat(np.arange(len(layers)), ny)
    tris, layer_of = [], []
    for i in range(xs.size - 1):
        for j in range(len(ys) - 1):
            a, b, cc, d = idx[i, j], idx[i + 1, j], idx[i + 1, j + 1], idx[i, j + 1]
            tris += [[a, b, cc], [a, cc, d]]
            layer_of += [row_layer[j]] * 2
    tris, layer_of = np.array(tris), np.array(layer_of)
    groups = {name: np.flatnonzero(layer_of == k) for k, (name, _) in enumerate(layers)}
    facets = {"working collector": np.column_stack([idx[:-1, 0], idx[1:, 0]]),
              "counter collector": np.column_stack([idx[:-1, -1], idx[1:, -1]])}
    dom = Domain.from_arrays(pts, tris, groups, facets).with_info(
        builder="li_inventory stack", interphase_drawn_thickness=draw_ip)
    m = _Model(c, protocol)
    pick = np.unique(np.linspace(0, res.time.size - 1, min(frames, res.time.size)).astype(int))
    per_mol = LI_MOLAR_MASS / LI_DENSITY  # m3 of Li metal per mol
    s_int = ip.sigma_ion + ip.electronic_conductivity
    is_ip = np.isin(layer_of, [1, 3])
    out = []
    for n in pick:
        t, V = res.time[n], res.voltage[n]
        dW, dC = res.delta_working[n], res.delta_counter[n]
        I = m.current(m.half_cycle(t, max(t - 1e-9, 0.0)))
        ohm = [I * dW / s_int, I * c.electrolyte_resistance, I * dC / s_int]
        eta = V - sum(ohm)  # both overpotentials and constriction terms
        level, mids = V - 0.5 * eta, [V]
        for dv in ohm:
            mids.append(level - 0.5 * dv)
            level -= dv
        mids.append(0.0)
        cell = {"delta [m]": np.where(layer_of == 1, dW, np.where(layer_of == 3, dC, 0.0)),
                "Li left [m]": np.where(layer_of == 0, max(res.li_working[n], 0.0) * per_mol,
                                        np.where(layer_of == 4,
                                                 max(res.li_counter[n], 0.0) * per_mol, 0.0)),
                "phi [V]": np.array(mids)[layer_of],
                "sigma_e [S/m]": np.where(is_ip, ip.electronic_conductivity, 0.0)}
        out.append(Frame(t, dom, {}, cell))
    hist = {"t [s]": res.time, "V_cell [V]": res.voltage,
            "Li working [mol m-2]": res.li_working, "Li counter [mol m-2]": res.li_counter,
            "Li lost [mol m-2]": res.li_lost, "delta working [m]": res.delta_working}
    return Solution(out, histories=hist, model="li_inventory",
                    info={"interphase": run_.interphase, "cell": run_.label})


def check(case) -> None:
    """Resolve compositions and laws (without the percolation sampling)."""
    from ..io.artifacts import distinct_slugs

    distinct_slugs(case.data["interphases"], "interphases")  # they name the cells' files
    distinct_slugs(case.data["conductivity_laws"], "conductivity_laws")  # and the figures
    _protocol(case.data, None)  # its bounds (the recorded samples) before a cell runs
    for name, ip in case.data["interphases"].items():
        try:
            interphase_fractions(ip)
        except ConfigError as exc:
            raise ConfigError(f"interphases.{name}: {exc}") from exc


@register_study("li_inventory", schema=SCHEMA, check=check,
                doc="Li inventory: symmetric vs asymmetric Li cells with an MII (Su et al.)")
def run(case, *, progress=True, checkpoints=None):
    """Predict the paper's 12 cells for every conductivity-law scenario."""
    from ..io.artifacts import slug
    from .progress import bar
    from .result import StudyResult

    check(case)
    d = case.data
    duration = d["protocol"]["duration"]
    fractions = {n: interphase_fractions(ip) for n, ip in d["interphases"].items()}
    laws = d["conductivity_laws"]
    ncell = len(d["interphases"]) * len(d["cell"]["working_thicknesses"])
    result = StudyResult(case.name, _summary([], {}, {}, {}))
    rows, v_ps, all_runs = [], {}, {}
    with bar(ncell * len(laws), desc=f"{case.name}: cells", unit="cell",
             enabled=progress) as pb:
        for sc, law in laws.items():
            v_ps[sc] = threshold_of(law)
            done = _load_done(checkpoints, sc, d)
            runs = run_study(d, duration=duration, law=law, v_p=v_ps[sc], scenario=sc,
                             done=done, progress=lambda k, n, lab: pb.update(1))
            _save_done(checkpoints, sc, runs)
            all_runs[sc] = runs
            rows += failure_rows(runs)
    result.summary = _summary(rows, fractions, laws, v_ps)
    result.tables["fig2_comparison"] = _comparison(rows)
    for sc, runs in all_runs.items():
        lab = laws[sc]["label"] or sc
        result.figures[f"voltage_{slug(sc)}"] = _voltage_grid(
            runs, f"Scenario '{lab}' (V_p = {v_ps[sc]:.3f}): Li|SE|Li cells at 0.5 mA/cm², "
                  "0.5 mAh/cm² per half-cycle" if v_ps[sc] is not None else lab)
        result.figures[f"li_inventory_{slug(sc)}"] = _inventory_figure(
            runs, f"Li left per electrode at the end of each cycle, scenario '{lab}'")
    first = next(iter(all_runs))
    for r in all_runs[first]:
        key = slug(f"stack_{r.interphase}_{r.working_thickness * 1e6:.0f}um")
        result.solutions[key] = _stack_solution(r, _protocol(d, duration))
    result.parameters.update({
        "compositions": {n: {k: v for k, v in fr.items()} for n, fr in fractions.items()},
        "reactions": {k: v["source"] for k, v in __import__(
            "ntransport.physics.interphase", fromlist=["REACTIONS"]).REACTIONS.items()},
        "conductivity_laws": {sc: {**law, "V_p used": v_ps[sc]} for sc, law in laws.items()},
        "sigma0 source": "bulk Li metal 1.08e7 S/m (CRC Handbook) as the metal's bulk "
                         "conductivity, eqn (2) of Su et al.; not fitted",
        "protocol": dict(d["protocol"]), "cell": dict(d["cell"]),
        "interphase_defaults": dict(d["interphase_defaults"]),
    })
    result.notes += _notes(rows, fractions, v_ps)
    return result


def _notes(rows, fractions, v_ps):
    out = []
    fm = ", ".join(f"{n} {fr['V_FM']:.3f} +- {fr['V_FM_sd']:.3f} (other ratio reading "
                   f"{fr['V_FM_alt']:.3f})" for n, fr in fractions.items())
    out.append(f"Stoichiometric metal fractions (Li15Ge4 from LGPS): {fm}.")
    for sc, vp in v_ps.items():
        rs = [r for r in rows if r["scenario"] == sc]
        agree = sum(1 for r in rs if (r["interphase"], int(round(r["working_um"]))) in PAPER_FIG2
                    and PAPER_FIG2[(r["interphase"], int(round(r["working_um"])))][0]
                    == (r["failed"] and r["reason"].startswith("depletion")))
        out.append(f"Scenario {sc} (V_p = {vp if vp is None else round(vp, 4)}): depletion "
                   f"verdict agrees with the paper for {agree} of {len(rs)} cells.")
    at_once = [f"{r['scenario']} {r['interphase']} {r['working_um']:.0f} um" for r in rows
               if not math.isfinite(r["polarisation_first_cycle_mV"])]
    if at_once:
        out.append(f"No polarisation for {', '.join(at_once)}: the cell was at the voltage "
                   "limit from its first step (no row in summary.csv; -1 in fig2_comparison).")
    return out


_RESULT_ARRAYS = ("time", "voltage", "li_working", "li_counter", "li_lost", "delta_working",
                  "delta_counter", "half_cycle_end")


def _key(sc, name, h):
    from ..io.artifacts import slug

    return slug(f"cell_{sc}_{name}_{h * 1e6:.0f}um")


def _load_done(checkpoints, sc, data):
    """Results of cells finished before an interruption (``ntransport run --resume``)."""
    from ..solve.cell_cycling import Failure

    if checkpoints is None:
        return None
    out = {}
    for name in data["interphases"]:
        for h in data["cell"]["working_thicknesses"]:
            got = checkpoints.load(_key(sc, name, h))
            if not got:
                continue
            _, x = got
            f = None
            if x.get("failure") is not None:
                f = Failure(**x["failure"])
            out[(name, h)] = CyclingResult(
                *[np.asarray(x[k]) for k in _RESULT_ARRAYS[:7]],
                np.asarray(x["half_cycle_end"]).astype(int), float(x["initial_inventory"]),
                float(x["half_cycle_time"]), f)
    return out


def _save_done(checkpoints, sc, runs):
    """Checkpoint every finished cell (atomic, one file per cell)."""
    from dataclasses import asdict

    from ..solve.stepping import StepperState

    if checkpoints is None:
        return
    for r in runs:
        res = r.result
        st = StepperState(t=float(res.time[-1]), u=np.array([res.delta_working[-1],
                                                             res.delta_counter[-1]]), dt=1.0)
        extra = {k: np.asarray(getattr(res, k)) for k in _RESULT_ARRAYS}
        checkpoints.save(_key(sc, r.interphase, r.working_thickness), st, model="li_inventory",
                         failure=None if res.failure is None else asdict(res.failure),
                         initial_inventory=res.initial_inventory,
                         half_cycle_time=res.half_cycle_time, **extra)
