r"""The one adaptive time-step controller: variable-step BDF1/BDF2 as a generator.

For :math:`M\dot u + G(u,t) = 0` the step :math:`t_n\to t_{n+1}=t_n+h_n` solves
:math:`M(a_0u_{n+1} + a_1u_n + a_2u_{n-1})/h_n + G(u_{n+1},t_{n+1}) = 0` with, for
:math:`\omega = h_n/h_{n-1}`,

* BDF1: :math:`a_0=1, a_1=-1, a_2=0`;
* BDF2: :math:`a_0=\frac{1+2\omega}{1+\omega}, a_1=-(1+\omega), a_2=\frac{\omega^2}{1+\omega}`.

Error estimate (adaptive mode): the difference between the corrector and the explicit
polynomial predictor through the previous points (linear for BDF1, quadratic for BDF2),
scaled by the ratio of error constants (1/2 for BDF1, 2/11 for BDF2 at equal steps), in
the weighted max-norm :math:`|e|/(atol + rtol|u|)` over the differential unknowns.
Steps with error > 1 are rejected; :math:`h \leftarrow h\min(2,\max(0.2, 0.9\,err^{-1/(p+1)}))`.
The first step is BDF1 at the user's ``dt``; BDF2 starts once two past values exist.
On a Newton failure the step is halved; below ``dt_min`` a :class:`ConvergenceError`
names the physical time, the last accepted time, the step sizes and Newton's record.

Every transient model of ntransport (NPP, the ALE deposition, the phase field) is
driven by :func:`bdf_steps`; the hooks cover what each needs:

* ``stop_times`` -- times the controller lands on exactly (snapshots, protocol changes);
* ``events`` -- callables ``state -> reason | None``; a reason ends the run after that
  step, and the last yielded state carries it in ``state.event``;
* ``after_step`` -- callable ``state -> state | None`` replacing an accepted state (a
  remesh that maps ``u`` to a new mesh and restarts BDF at first order);
* ``progress`` -- callable ``t -> None`` with the accepted physical time.

Checkpointing is the caller's: every yielded :class:`StepperState` is everything a
resumed run needs (:mod:`ntransport.solve.checkpoint`). A step cap that is reached
raises; it is never a silent end of the run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ConvergenceError, check_positive

__all__ = ["StepperState", "StepLimitError", "bdf_steps", "bdf_coefficients", "restarted"]

log = logging.getLogger(__name__)


class StepLimitError(ConvergenceError):
    """The run needs more steps than ``max_steps`` allows."""


@dataclass(frozen=True)
class StepperState:
    """Everything needed to continue a run identically (what a checkpoint stores)."""

    t: float
    u: np.ndarray
    dt: float  # next step size to try
    step: int = 0
    t_prev: float | None = None
    u_prev: np.ndarray | None = None
    t_prev2: float | None = None
    u_prev2: np.ndarray | None = None
    newton_iterations: int = 0
    error: float = 0.0
    rejected: int = 0
    event: str | None = None


def restarted(state: StepperState, u: np.ndarray | None = None) -> StepperState:
    """*state* with its history dropped (the next step is BDF1), optionally a new ``u``
    (e.g. mapped to a new mesh)."""
    return replace(state, u=state.u if u is None else u, t_prev=None, u_prev=None,
                   t_prev2=None, u_prev2=None)


def bdf_coefficients(order: int, h: float, h_prev: float | None):
    if order == 1 or h_prev is None:
        return 1.0, -1.0, 0.0
    w = h / h_prev
    return (1 + 2 * w) / (1 + w), -(1 + w), w * w / (1 + w)


def _extrapolate(ts, us, t):
    """Lagrange extrapolation through (ts, us) at t."""
    out = np.zeros_like(us[0])
    for i, (ti, ui) in enumerate(zip(ts, us)):
        li = 1.0
        for j, tj in enumerate(ts):
            if j != i:
                li *= (t - tj) / (ti - tj)
        out = out + li * ui
    return out


def _toward_stop(t, h, stops):
    """Shorten *h* so the step lands on the next stop time; when the stop is less than
    two steps away, split the remaining interval in two (no tiny sliver steps)."""
    for ts in stops:
        if ts <= t * (1 + 1e-14) + 1e-300:
            continue
        rem = ts - t
        if h >= rem * (1 - 1e-12):
            return rem
        if 2 * h > rem:
            return rem / 2
        break
    return h


def bdf_steps(step_solver, start: StepperState, t_end: float, *, order=2, adaptive=True,
              rtol=1e-3, atol=1e-6, dt_min=None, dt_max=None, weight_mask=None,
              max_steps=None, stop_times=(), events=(), after_step=None, progress=None,
              time_unit=1.0):
    """Yield accepted :class:`StepperState` s from ``start`` until ``t_end``.

    ``step_solver(u_guess, t_new, a0/h, hist) -> (u_new, newton_iterations)`` solves one
    implicit step where ``hist = (a1 u_n + a2 u_{n-1})/h`` (raises ConvergenceError).
    Times are in the caller's units; ``time_unit`` converts them to seconds for
    messages and the ``progress`` hook. Raises :class:`StepLimitError` if ``t_end``
    needs more than ``max_steps`` steps (default: the ``steps`` limit of
    :mod:`ntransport.geometry.guards`, 1e6, ``NTRANSPORT_MAX_STEPS``) -- for fixed steps
    before the first step, since the count is known.
    """
    check_positive(start.dt, name="dt (time step)", exc=ValueError)
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}.")
    if max_steps is None:
        from ..geometry.guards import limit

        max_steps = limit("steps")
    if not max_steps >= 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}.")
    max_steps = int(max_steps) if np.isfinite(max_steps) else 2**62
    span = t_end - start.t
    if not adaptive and span / start.dt > max_steps:  # h-sec: fixed steps, known count
        raise StepLimitError(
            f"time stepping from t = {start.t * time_unit:.6g} s to t_end = "
            f"{t_end * time_unit:.6g} s at a fixed dt = {start.dt * time_unit:.3g} s needs "
            f"{span / start.dt:.3g} steps, more than max_steps = {max_steps}. Use a larger "
            "dt, adaptive steps, or a shorter run; or raise max_steps (NTRANSPORT_MAX_STEPS).")
    dt_min = dt_min if dt_min is not None else max(span, start.dt) * 1e-12
    dt_max = dt_max if dt_max is not None else np.inf
    stops = sorted(float(x) for x in stop_times if start.t < x < t_end)
    s = start
    mask = slice(None) if weight_mask is None else weight_mask
    tu = float(time_unit)
    while s.t < t_end * (1 - 1e-14) - 1e-300:
        if s.step >= start.step + int(max_steps):
            raise StepLimitError(
                f"time stepping reached max_steps = {max_steps} at t = {s.t * tu:.6g} s before "
                f"t_end = {t_end * tu:.6g} s (last step {(s.t - (s.t_prev or 0.0)) * tu:.3g} s). "
                "Raise max_steps, shorten the run, or let the step size adapt.")
        h = _toward_stop(s.t, min(s.dt, dt_max, t_end - s.t), stops)
        rejected, tried, failed = 0, [], None
        while True:
            have2 = s.u_prev is not None
            use2 = order == 2 and have2
            hp = (s.t - s.t_prev) if have2 else None
            a0, a1, a2 = bdf_coefficients(2 if use2 else 1, h, hp)
            hist = (a1 * s.u + (a2 * s.u_prev if use2 else 0.0)) / h
            if have2:
                guess = _extrapolate([s.t_prev, s.t], [s.u_prev, s.u], s.t + h)
            else:
                guess = s.u
            tried.append(h)
            try:
                u_new, nit = step_solver(guess, s.t + h, a0 / h, hist)
                failed = None
            except ConvergenceError as exc:
                failed = exc
            if failed is None:
                err = 0.0
                if adaptive and have2:
                    if use2 and s.u_prev2 is not None:
                        pred = _extrapolate([s.t_prev2, s.t_prev, s.t],
                                            [s.u_prev2, s.u_prev, s.u], s.t + h)
                        c, p = 2.0 / 11.0, 2
                    else:
                        pred, c, p = guess, 0.5, 1
                    e = c * (u_new[mask] - pred[mask])
                    w = atol + rtol * np.abs(u_new[mask])
                    err = float(np.max(np.abs(e) / w)) if e.size else 0.0
                    fac = min(2.0, max(0.2, 0.9 * (max(err, 1e-10)) ** (-1.0 / (p + 1))))
                else:
                    fac = 1.5 if adaptive else 1.0
                if err <= 1.0:
                    break
                log.debug("reject t=%.4g h=%.3g err=%.3g", s.t, h, err)
                h *= fac
            else:
                h *= 0.5
            rejected += 1
            if h < dt_min:
                steps = ", ".join(f"{x * tu:.3g}" for x in tried[-6:])
                why = (f"Last Newton failure: {failed}" if failed is not None else
                       f"the local error estimate stayed above the tolerance (rtol={rtol:g}, "
                       f"atol={atol:g}).")
                raise ConvergenceError(
                    f"time stepping failed at t = {s.t * tu:.6g} s (the last accepted time; "
                    f"t_end = {t_end * tu:.6g} s): the step size fell to {h * tu:.3g} s "
                    f"(< dt_min = {dt_min * tu:.3g} s) after {rejected} rejections; steps tried "
                    f"[s]: {steps}. {why}") from failed
        dt_next = (min(h * fac, dt_max) if adaptive else s.dt)
        s = StepperState(t=s.t + h, u=u_new, dt=dt_next, step=s.step + 1, t_prev=s.t, u_prev=s.u,
                         t_prev2=s.t_prev, u_prev2=s.u_prev, newton_iterations=nit, error=err,
                         rejected=rejected)
        if after_step is not None:
            s = after_step(s) or s
        reason = None
        for ev in events:
            reason = ev(s)
            if reason:
                s = replace(s, event=str(reason))
                break
        if progress is not None:
            progress(s.t * tu)
        yield s
        if reason:
            log.info("run stopped at t = %.6g s: %s", s.t * tu, reason)
            return
