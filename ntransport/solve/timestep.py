r"""Variable-step BDF1/BDF2 time integration as a generator yielding accepted steps.

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
On a Newton failure the step is halved; below ``dt_min`` a ConvergenceError names the
time, step size and residual history.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..errors import ConvergenceError, check_positive

__all__ = ["StepperState", "bdf_steps", "bdf_coefficients"]

log = logging.getLogger(__name__)


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


def bdf_steps(step_solver, start: StepperState, t_end: float, *, order=2, adaptive=True,
              rtol=1e-3, atol=1e-6, dt_min=None, dt_max=None, weight_mask=None,
              max_steps=100000):
    """Yield accepted :class:`StepperState` s from ``start`` until ``t_end``.

    ``step_solver(u_guess, t_new, a0/h, hist) -> (u_new, newton_iterations)`` solves one
    implicit step where ``hist = (a1 u_n + a2 u_{n-1})/h`` (raises ConvergenceError).
    """
    check_positive(start.dt, name="dt (time step)", exc=ValueError)
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}.")
    span = t_end - start.t
    dt_min = dt_min if dt_min is not None else max(span, start.dt) * 1e-12
    dt_max = dt_max if dt_max is not None else np.inf
    s = start
    mask = slice(None) if weight_mask is None else weight_mask
    while s.t < t_end * (1 - 1e-14) - 1e-300 and s.step < max_steps:
        h = min(s.dt, dt_max, t_end - s.t)
        rejected = 0
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
                raise ConvergenceError(
                    f"time stepping failed at t = {s.t:.6g} s: step size fell to {h:.3g} s "
                    f"(< dt_min = {dt_min:.3g} s) after {rejected} rejections. Last Newton "
                    f"failure: {failed}") from failed
        dt_next = (min(h * fac, dt_max) if adaptive else s.dt)
        s = StepperState(t=s.t + h, u=u_new, dt=dt_next, step=s.step + 1, t_prev=s.t, u_prev=s.u,
                         t_prev2=s.t_prev, u_prev2=s.u_prev, newton_iterations=nit, error=err,
                         rejected=rejected)
        yield s
