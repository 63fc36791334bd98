r"""Transient runs of the study: one NPP problem to a stop event, checkpointed and resumable.

Two stop events (``events=`` of :func:`ntransport.solve.npp.run`):

* steady state: :math:`\max|\partial c/\partial t|\, t_{cell}/c_{ref} <` ``tol`` with
  :math:`t_{cell} = H^2/D_{min}` (:func:`steady_options` sets up a run with it);
* depletion: a mobile species falls below ``fraction`` of its initial local value; the
  crossing time is interpolated linearly in the last step and parsed back by
  :func:`depletion_time`.

Every run saves to the study's :class:`~ntransport.solve.checkpoint.CheckpointStore` under
its *key* and resumes from it.
"""
from __future__ import annotations

import logging

import numpy as np

__all__ = ["run_transient", "steady_event", "steady_options", "depletion_event",
           "depletion_time"]

log = logging.getLogger(__name__)


def steady_event(system, tol, t_cell):
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


def steady_options(layers, species, data) -> dict:
    """Keyword arguments of :func:`run_transient` for a run to steady state: up to five
    cell diffusion times :math:`H^2/D_{min}`, first step 1e-6 of it."""
    from .electrolytes import mobile_D, thickness

    t_cell = thickness(layers)**2 / mobile_D(species)[0]
    tol = data["steady_tolerance"]
    return dict(t_end=5 * t_cell, dt=1e-6 * t_cell, times=(),
                events=[lambda sy: steady_event(sy, tol, t_cell)])


def depletion_event(system, fraction):
    """Stop when a mobile species falls below *fraction* of its initial local value."""
    from ...solve.npp import initial_unknowns

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


def depletion_time(reason):
    """The depletion time [s] in the stop *reason* of :func:`depletion_event`, else None."""
    if not reason or not reason.startswith("depletion"):
        return None
    return float(reason.rsplit("t = ", 1)[1].split(" s")[0])


def run_transient(problem, *, key, t_end, dt, times, events, voltage, checkpoints, progress,
                  desc, dt_max=None, rtol=1e-3):
    """Run one problem to ``t_end`` (or an event) with checkpoints under *key*; returns
    ``(Solution, stop reason or None)``. *events*: callables ``system -> event``."""
    from ...solve.npp import discretise, run
    from ...solve.npp_solution import NPPRecorder
    from ..progress import TimeBar

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
