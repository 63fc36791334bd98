"""Li deposition from a defect: LPC vs LPC@2%UCPBA (Zhu et al., PNAS 2023, SI FEM).

A thin facade: read the case file, build the electrolyte of each material "as a whole"
(measured σ and t+, D by Nernst--Einstein), run :func:`ntransport.solve.deposition.deposit`
for the given time, keep snapshots, animation frames and a per-step history.

>>> from ntransport.studies.deposition import load_case, run_study   # doctest: +SKIP
>>> case = load_case("geometries/deposition_defect.yaml", reduced=True)  # doctest: +SKIP
>>> runs = run_study(case)                                                # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..constants import F
from ..errors import ConfigError, check_times, suggest
from ..geometry.remesh import anode_profile
from ..physics.binary_electrolyte import BinaryElectrolyte
from ..solve.deposition import DepositionProblem, MeshOptions, deposit, initial_state

__all__ = ["DepositionCase", "DepositionRun", "load_case", "electrolyte_for", "run_case",
           "run_study"]

log = logging.getLogger(__name__)

_KEYS = {  # key -> unit kind (None: not a quantity)
    "width": "length", "height": "length", "defect_height": "length",
    "defect_width": "length", "defect_shape": None, "temperature": "temperature",
    "current_density": "current_density", "exchange_current_density": "current_density",
    "alpha_a": "dimensionless", "alpha_c": "dimensionless", "duration": "time",
    "electrolytes": None, "follow_front": None, "h_anode": "length", "h_max": "length",
    "snapshots": "time", "frames": None, "li_thickness": "length", "reduced": None,
    "citation": None, "notes": None, "study": None, "cfl": "dimensionless",
    "dt_max": "time", "electrolyte_overrides": None,
}


@dataclass(frozen=True)
class DepositionCase:
    """Everything a deposition study needs (SI). `current_density` > 0 means plating."""

    width: float
    height: float
    defect_height: float
    defect_width: float
    temperature: float
    current_density: float
    exchange_current_density: float
    duration: float
    electrolytes: tuple
    h_anode: float
    h_max: float
    snapshots: tuple
    defect_shape: str = "ellipse"
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    follow_front: bool = True
    frames: int = 25
    li_thickness: float = 20e-6
    cfl: float = 0.3
    dt_max: float = 120.0
    electrolyte_overrides: dict = field(default_factory=dict)


@dataclass
class DepositionRun:
    """Result of one electrolyte: snapshots (t -> state), frames, history, timing."""

    name: str
    electrolyte: BinaryElectrolyte
    snapshots: dict
    frames: list
    history: dict
    wall_time: float
    steps: int
    remeshes: tuple

    def summary(self) -> dict:
        h = self.history
        return {"electrolyte": self.name, "wall_time_s": round(self.wall_time, 2),
                "steps": self.steps, "remeshes": len(self.remeshes),
                "defect_height_um_start": float((h["y_max"][0] - h["y_flat"][0]) * 1e6),
                "defect_height_um_end": float((h["y_max"][-1] - h["y_flat"][-1]) * 1e6),
                "mean_advance_um": float(h["y_mean"][-1] * 1e6),
                "tip_to_flat_current_ratio_end": float(h["i_ratio"][-1]),
                "c_min_over_c_ref": float(h["c_min"].min() / self.electrolyte.c_ref),
                "volume_balance_rel_error": float(abs(h["vol_err"][-1])),
                "faraday_shift_rel": float(h["area_fix"][-1])}


def load_case(path, *, reduced=False) -> DepositionCase:
    """Read a YAML case file; ``reduced=True`` uses its ``reduced:`` overrides (CI)."""
    import yaml

    raw = yaml.safe_load(Path(path).read_text())
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, got {type(raw).__name__}.")
    for k in raw:
        if k not in _KEYS:
            raise ConfigError(f"{path}: unknown key {k!r}.{suggest(k, _KEYS)}")
    red = raw.pop("reduced", None) or {}
    for k in red:
        if k not in _KEYS:
            raise ConfigError(f"{path}: unknown key reduced.{k!r}.{suggest(k, _KEYS)}")
    if reduced:
        raw.update(red)
    from ..units import to_si

    vals = {}
    for k, v in raw.items():
        if k in ("citation", "notes", "study"):
            continue
        kind = _KEYS[k]
        if k == "snapshots":
            vals[k] = tuple(to_si(x, "time", name=f"snapshots[{i}]") for i, x in enumerate(v))
        elif k == "electrolytes":
            vals[k] = tuple(str(x) for x in v)
        elif kind is None:
            vals[k] = v
        else:
            vals[k] = to_si(v, kind, name=k)
    try:
        return DepositionCase(**vals)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def electrolyte_for(name, *, temperature, overrides=None) -> BinaryElectrolyte:
    """The electrolyte "as a whole": measured σ and t+ of material *name* (from
    :mod:`ntransport.materials`), D by Nernst--Einstein at *temperature*. The measured
    (room-temperature) σ is used, as in the paper's SI ("input from experimental
    measurements"); *overrides* may set ``conductivity``/``transference``/``c_ref``."""
    from .. import materials

    m = materials.get(name)
    args = {"conductivity": m.conductivity(), "transference": m.transference,
            "c_ref": m.salt_concentration}
    args.update(overrides or {})
    return BinaryElectrolyte.from_conductivity(args["conductivity"], args["transference"],
                                               c_ref=args["c_ref"], T=temperature)


def run_case(case: DepositionCase, name: str) -> DepositionRun:
    """Run one electrolyte of *case*; returns snapshots at ``case.snapshots``."""
    el = electrolyte_for(name, temperature=case.temperature,
                         overrides=case.electrolyte_overrides.get(name))
    check_times(case.snapshots, duration=case.duration, name="snapshots",  # h-sec: no
                exc=ConfigError)                                           # silent extension
    times = sorted(set(case.snapshots) | {case.duration})
    frame_times = list(np.linspace(0.0, case.duration, case.frames))
    prob = DepositionProblem(el, i0=case.exchange_current_density,
                             current_density=-case.current_density, width=case.width,
                             height=case.height, alpha_a=case.alpha_a, alpha_c=case.alpha_c,
                             follow_front=case.follow_front, li_thickness=case.li_thickness)
    mesh = MeshOptions(h_anode=case.h_anode, h_max=case.h_max, cfl=case.cfl,
                       dt_max=case.dt_max)
    curve = anode_profile(case.width, height=case.height, defect_height=case.defect_height,
                          defect_width=case.defect_width, spacing=case.h_anode,
                          shape=case.defect_shape)
    state = initial_state(prob, curve, mesh=mesh)
    hist = {k: [] for k in ("t", "y_max", "y_flat", "y_mean", "phi_s", "c_min", "i_ratio",
                            "vol_err", "area_fix", "dt")}
    snaps, frames = {}, []
    t_start = time.perf_counter()
    stops = sorted(set(times) | set(frame_times))
    for stop in stops:
        if stop > state.t:
            for state in deposit(prob, state, t_end=stop, mesh=mesh):
                _record(hist, state, prob, case)
        # Φ and the current consistent with this state's mesh and salt field
        solved = _with_fields(prob, state)
        if stop == 0.0:
            _record(hist, solved, prob, case)
        if any(np.isclose(stop, times)):
            snaps[float(stop)] = solved
        if any(np.isclose(stop, frame_times)):
            frames.append(solved)
    wall = time.perf_counter() - t_start
    out = {k: np.asarray(v) for k, v in hist.items()}
    log.info("%s: %d steps, %d remeshes, %.1f s", name, state.step, len(state.remeshes), wall)
    return DepositionRun(name, el, snaps, frames, out, wall, state.step, state.remeshes)


def _with_fields(prob, state):
    from ..solve.deposition import _lumped_length, _nodes
    from ..solve.deposition_potential import solve_potential

    dom = state.domain
    sol = solve_potential(dom.mesh, state.chain, _nodes(dom, "top"), state.c,
                          electrolyte=prob.electrolyte, kinetics=prob.kinetics,
                          current=prob.current(state.t) * prob.width, phi0=state.phi,
                          phi_s0=state.phi_s)
    return dataclasses.replace(state, phi=sol.phi, phi_s=sol.phi_s,
                               i_anode=sol.loads / _lumped_length(state.anode))


def _record(hist, state, prob, case):
    X = state.anode
    faraday = -state.charge * prob.molar_volume / F
    hist["t"].append(state.t)
    hist["y_max"].append(X[:, 1].max())
    hist["y_flat"].append(0.5 * (X[0, 1] + X[-1, 1]))  # far-field surface at the walls
    hist["y_mean"].append(state.deposited_area / case.width)
    hist["phi_s"].append(state.phi_s)
    hist["c_min"].append(state.c.min())
    i = np.abs(state.i_anode)
    hist["i_ratio"].append(i[np.argmax(X[:, 1])] / max(0.5 * (i[0] + i[-1]), 1e-300))
    hist["vol_err"].append((state.deposited_area - faraday) / faraday if faraday else 0.0)
    hist["area_fix"].append(state.area_fix / abs(faraday) if faraday else 0.0)
    hist["dt"].append(state.t - (hist["t"][-2] if len(hist["t"]) > 1 else 0.0))


def run_study(case: DepositionCase) -> dict:
    """Run every electrolyte of *case*; returns name -> DepositionRun."""
    return {name: run_case(case, name) for name in case.electrolytes}
