"""Collecting a phase-field run into a :class:`~ntransport.solution.Solution`, with
checkpoints: :func:`solve` (the model's ``run`` is a generator of states; this keeps
frames at stop times and growth stages, per-step histories, and saves / resumes through a
:class:`~ntransport.solve.checkpoint.CheckpointStore`)."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from ..errors import ConfigError
from .phasefield import PhaseFieldProblem, PhaseFieldState, _initial_vector, run
from .phasefield_system import (PhaseFieldSystem, deposit_area, interface_points,
                                tip_height)
from .stepping import StepperState

__all__ = ["solve", "HISTORY_KEYS"]

log = logging.getLogger(__name__)


HISTORY_KEYS = ("t [s]", "tip height [m]", "deposited area [m2]", "passed charge [C m-2]",
                "circuit charge [C m-2]", "Li balance error [1]", "c min [mol m-3]",
                "c max [mol m-3]", "dt [s]", "newton iterations [1]", "rejected steps [1]")


def _fields(state: PhaseFieldState) -> dict:
    out = {"xi [1]": state.xi, "c_Li+ [mol m-3]": state.c, "phi [V]": state.phi}
    if state.stress is not None:
        out["sigma_h [Pa]"] = state.stress
    return out


def _stress_ahead(state: PhaseFieldState, width: float) -> float:
    """Hydrostatic stress [Pa] one interface width ahead of the tip (electrolyte side)."""
    pts = interface_points(state.domain, state.xi)
    if state.stress is None or pts.shape[1] == 0:
        return 0.0
    k = int(np.argmax(pts[1]))
    target = pts[:, k] + np.array([0.0, width])
    p = state.domain.mesh.p
    j = int(np.argmin(np.hypot(p[0] - target[0], p[1] - target[1])))
    return float(state.stress[j])


class _Recorder:
    """Histories and frames of one run; what a checkpoint stores besides the state."""

    def __init__(self, problem, width_x, keys):
        sp = problem.scaled
        self.problem = problem
        self.keys = list(keys)
        self.h = {k: [] for k in self.keys}
        self.frames = []
        self.width_x = width_x
        self.cs = sp.cs_c0 * sp.c0  # metal site density [mol m-3]
        self.a0 = None
        self.q_circuit = 0.0

    def row(self, state: PhaseFieldState, *, first=False):
        from ..constants import F

        area = deposit_area(state.domain, state.xi)
        if self.a0 is None:
            self.a0 = area
        if not first:
            cur = state.boundary_current
            h = (state.stepper.t - state.stepper.t_prev) * state.time_unit
            self.q_circuit += sum(v for v in cur.values() if v > 0) * h / self.width_x
        bal = abs(state.li_rate - state.li_inflow) / max(abs(state.li_inflow),
                                                         abs(state.li_rate), 1e-300)
        vals = {"t [s]": state.t, "tip height [m]": tip_height(state.domain, state.xi),
                "deposited area [m2]": area - self.a0,
                "passed charge [C m-2]": F * self.cs * (area - self.a0) / self.width_x,
                "circuit charge [C m-2]": self.q_circuit,
                "Li balance error [1]": 0.0 if first else bal,
                "c min [mol m-3]": float(state.c.min()), "c max [mol m-3]": float(state.c.max()),
                "dt [s]": 0.0 if first else (state.stepper.t - (state.stepper.t_prev or 0.0))
                * state.time_unit,
                "newton iterations [1]": float(state.stepper.newton_iterations),
                "rejected steps [1]": float(state.stepper.rejected)}
        if "sigma_h ahead of tip [Pa]" in self.h:
            vals["sigma_h ahead of tip [Pa]"] = _stress_ahead(state, self.problem.interface_width)
        for k in self.keys:
            self.h[k].append(float(vals[k]))

    def arrays(self):
        return {k: np.asarray(v, float) for k, v in self.h.items()}


def solve(problem: PhaseFieldProblem, xi0, *, t_end: float, dt: float, snapshots: int = 20,
          stop_times=None, frame_heights=(), store=None, key: str = "phasefield",
          info: Mapping | None = None, **run_options):
    """Run :func:`run` and collect a :class:`~ntransport.solution.Solution`.

    Frames (``"xi [1]"``, ``"c_Li+ [mol m-3]"``, ``"phi [V]"`` and, with mechanics,
    ``"sigma_h [Pa]"``) at t = 0, at `snapshots` equally spaced times (or the given
    `stop_times` [s]), at the first step whose tip height passes each of
    `frame_heights` [m] (growth stages, whatever the speed) and at the end; histories per step (:data:`HISTORY_KEYS`, plus
    ``"sigma_h ahead of tip [Pa]"`` with mechanics): the tip height (top of the
    xi = 1/2 contour), the deposited area and the Faradaic charge per anode width,
    the charge through the potentiostatic boundaries, the Li balance (ions + metal
    against the boundary inflow: a conservation check), c range, step sizes.

    With ``store`` (a :class:`~ntransport.solve.checkpoint.CheckpointStore`) every step
    is checkpointed under *key* (frames under ``key-f<k>``); if the store resumes and
    holds *key*, the run continues from there and ends exactly as an uninterrupted one.
    """
    from ..solution import Frame, Solution

    times = (np.linspace(0.0, t_end, int(snapshots) + 1)[1:] if stop_times is None
             else np.asarray(stop_times, float))
    width_x = float(np.ptp(problem.domain.mesh.p[0]))
    keys = list(HISTORY_KEYS) + (["sigma_h ahead of tip [Pa]"] if problem.mechanics else [])
    rec = _Recorder(problem, width_x, keys)
    saved = store.load(key) if store is not None else None
    start, domain, done = None, None, False
    if saved is not None:
        st, extra = saved
        names = list(extra["history_names"])
        if names != keys:
            raise ConfigError(f"checkpoint {key!r} holds histories {names}, this run records "
                              f"{keys}: it belongs to another run; start without --resume.")
        for i, k in enumerate(keys):
            rec.h[k] = list(np.asarray(extra[f"h{i}"], float))
        rec.a0, rec.q_circuit = float(extra["a0"]), float(extra["q_circuit"])
        domain = _domain_of(problem, extra.get("band"))
        for j in range(int(extra["nframes"])):
            fs, fx = store.load(f"{key}-f{j}")
            rec.frames.append(_frame_from(problem, fs, fx))
        start, done = st, bool(extra.get("done", False)) or st.event is not None
        event = st.event
        log.info("%s: resumed at t = %.6g s (%d steps, %d frames)", key,
                 st.t * problem.scaled.time, len(rec.h["t [s]"]) - 1, len(rec.frames))

    def save(state, *, final=False):
        if store is None:
            return
        extra = {f"h{i}": np.asarray(rec.h[k], float) for i, k in enumerate(keys)}
        store.save(key, state.stepper, model="phasefield", history_names=keys,
                   a0=float(rec.a0), q_circuit=float(rec.q_circuit),
                   band=float(state.domain.info.get("band", -1.0)), nframes=len(rec.frames),
                   done=final, **extra)

    def add_frame(state):
        rec.frames.append(Frame(state.t, state.domain, _fields(state)))
        if store is not None:
            u = np.concatenate([state.stepper.u] + ([state.stress] if state.stress is not None
                                                   else []))
            store.save(f"{key}-f{len(rec.frames) - 1}", replace(state.stepper, u=u),
                       model="phasefield-frame",
                       band=float(state.domain.info.get("band", -1.0)),
                       stress=state.stress is not None)

    if start is None:  # t = 0: the first row and frame
        sys0 = PhaseFieldSystem(problem, problem.domain)
        u0 = _initial_vector(problem, sys0, xi0, run_options.get("c0"), run_options.get("phi0"))
        stress0 = (None if problem.mechanics is None else
                   np.full(sys0.n, -problem.mechanics.pressure))
        s0 = PhaseFieldState(StepperState(t=0.0, u=u0, dt=dt / problem.scaled.time),
                             problem.domain, problem.scaled.time, problem.scaled.c0, stress0)
        rec.row(s0, first=True)
        add_frame(s0)
        save(s0)
    if saved is None:
        event = None
    if not done:
        last = None
        t_tol = 1e-9 * t_end
        levels = np.sort(np.asarray(frame_heights, float))
        for state in run(problem, xi0, t_end=t_end, dt=dt, start=start, domain=domain,
                         stop_times=times, **run_options):
            last = state
            before = max(rec.h["tip height [m]"])
            rec.row(state)
            now = rec.h["tip height [m]"][-1]
            crossed = np.any((levels > before) & (levels <= now))
            if np.any(np.abs(times - state.t) <= t_tol) or state.event is not None \
                    or state.t >= t_end * (1 - 1e-12) or crossed:
                add_frame(state)
            save(state)
        if last is not None:
            event = last.event
            save(last, final=True)
    frames = sorted(rec.frames, key=lambda f: f.t)
    hist = rec.arrays()
    meta = {"model": "phasefield", "parameters": _param_record(problem),
            "steps": len(hist["t [s]"]) - 1, "event": event,
            "short_circuit": event is not None and "reached" in str(event), **(info or {})}
    return Solution(frames, histories=hist, model="phasefield", info=meta)


def _domain_of(problem, band):
    if problem.remesh is None or band is None or band < 0:
        return problem.domain
    return problem.remesh.build(band)


def _frame_from(problem, fs, fx):
    from ..solution import Frame

    dom = _domain_of(problem, fx.get("band"))
    n = dom.mesh.nvertices
    u = fs.u
    sp = problem.scaled
    fields = {"xi [1]": u[:n], "c_Li+ [mol m-3]": u[n:2 * n] * sp.c0, "phi [V]": u[2 * n:3 * n]}
    if fx.get("stress"):
        fields["sigma_h [Pa]"] = u[3 * n:]
    return Frame(fs.t * sp.time, dom, fields)


def _param_record(problem) -> dict:
    sp = problem.scaled
    return {k: getattr(sp, k) for k in ("L_sigma", "W", "L_eta", "kappa0", "D_e", "D_l",
                                         "sigma_e", "sigma_l", "f", "cs_c0", "gamma", "alpha",
                                         "delta", "omega", "theta0", "length", "time",
                                         "conductivity", "c0", "t_plus", "citation")}


#: the name ``ntransport.simulate_phasefield`` points at (kept for the curated API)
