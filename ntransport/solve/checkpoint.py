"""Checkpoint/resume of a transient run: the :class:`StepperState` in one ``.npz`` file.

A checkpoint holds the current and the two previous solution vectors with their times
and the next step size, i.e. everything the BDF2 integrator needs to continue exactly as
if it had not stopped. Times and vectors are the solver's scaled values (stored as is, so
a resumed run repeats the uninterrupted one bit for bit up to the linear solver).
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .timestep import StepperState

__all__ = ["save_checkpoint", "load_checkpoint", "checkpointed"]

_FIELDS = ("t", "dt", "step", "t_prev", "t_prev2", "newton_iterations", "error", "rejected")


def save_checkpoint(path, state) -> None:
    """Write ``state.stepper`` (an :class:`NPPState`) or a :class:`StepperState` to ``path``."""
    s = getattr(state, "stepper", state)
    if not isinstance(s, StepperState):
        raise ConfigError(f"save_checkpoint needs an NPPState from run() or a StepperState, "
                          f"got {type(state).__name__}.")
    arrays = {"u": s.u}
    for name in ("u_prev", "u_prev2"):
        if getattr(s, name) is not None:
            arrays[name] = getattr(s, name)
    scalars = {f: np.nan if getattr(s, f) is None else float(getattr(s, f)) for f in _FIELDS}
    np.savez(path, **arrays, **scalars, format_version=1)


def load_checkpoint(path) -> StepperState:
    """Read a checkpoint; pass it to ``run(..., start=...)`` to resume."""
    with np.load(path) as z:
        get = lambda f: None if np.isnan(z[f]) else float(z[f])
        return StepperState(t=float(z["t"]), u=z["u"].copy(), dt=float(z["dt"]), step=int(z["step"]),
                            t_prev=get("t_prev"), u_prev=z["u_prev"].copy() if "u_prev" in z else None,
                            t_prev2=get("t_prev2"), u_prev2=z["u_prev2"].copy() if "u_prev2" in z else None,
                            newton_iterations=int(z["newton_iterations"]), error=float(z["error"]),
                            rejected=int(z["rejected"]))


def checkpointed(states, path, *, every=1):
    """Pass a run's states through, saving a checkpoint every ``every`` steps.

    >>> for state in checkpointed(run(problem, t_end=..., dt=...), "run.npz"):  # doctest: +SKIP
    ...     ...
    >>> run(problem, t_end=..., dt=..., start=load_checkpoint("run.npz"))       # doctest: +SKIP

    If the run raises (e.g. ConvergenceError) the file holds the last saved step, from
    which ``run(..., start=load_checkpoint(path))`` resumes (possibly with other options).
    """
    if int(every) < 1:
        raise ConfigError(f"every must be an integer >= 1, got {every!r}.")
    for k, state in enumerate(states, start=1):
        if k % int(every) == 0:
            save_checkpoint(path, state)
        yield state
