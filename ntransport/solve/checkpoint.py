"""Checkpoints of transient runs: one format for every model, written atomically.

A checkpoint is one ``.npz`` file holding the :class:`StepperState` (the current and two
previous solution vectors with their times and the next step size -- everything the
BDF integrator needs to continue exactly as if it had not stopped) plus any model
*extra* arrays (a remeshed run's mesh, a deposition's anode curve, the run's recorded
histories). Times and vectors are stored as the solver holds them, so a resumed run
repeats the uninterrupted one bit for bit.

Writes are atomic: the new file is written to ``<name>.tmp``, flushed and fsynced, the
previous checkpoint is kept as ``<name>.prev.npz``, and only then the new one is renamed
into place. A kill at any moment leaves at least one complete checkpoint;
:func:`load_checkpoint` falls back to the previous one if the newest is unreadable.
"""
from __future__ import annotations

import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .stepping import StepperState

__all__ = ["save_checkpoint", "load_checkpoint", "checkpointed", "CheckpointStore"]

log = logging.getLogger(__name__)

_FIELDS = ("t", "dt", "step", "t_prev", "t_prev2", "newton_iterations", "error", "rejected")
FORMAT_VERSION = 2


def _prev(path: Path) -> Path:
    return path.with_name(path.stem + ".prev.npz")


def save_checkpoint(path, state, *, model: str = "", extra: dict | None = None) -> Path:
    """Write a :class:`StepperState` (or a state carrying one in ``.stepper``) and the
    model's *extra* arrays/JSON-able values to *path* atomically; returns the path."""
    s = getattr(state, "stepper", state)
    if not isinstance(s, StepperState):
        raise ConfigError(f"save_checkpoint needs a StepperState (or a model state holding one "
                          f"in .stepper), got {type(state).__name__}.")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {"u": s.u}
    for name in ("u_prev", "u_prev2"):
        if getattr(s, name) is not None:
            arrays[name] = getattr(s, name)
    scalars = {f: np.nan if getattr(s, f) is None else float(getattr(s, f)) for f in _FIELDS}
    meta, extra_arrays = {}, {}
    for k, v in (extra or {}).items():
        if isinstance(v, np.ndarray):
            extra_arrays["x_" + k] = v
        else:
            meta[k] = v
    header = json.dumps({"model": model, "meta": meta, "event": s.event})
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays, **scalars, **extra_arrays, format_version=FORMAT_VERSION,
                 header=np.array(header))
        fh.flush()
        os.fsync(fh.fileno())
    if path.exists():
        path.replace(_prev(path))
    tmp.replace(path)
    try:  # make the renames durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - platforms without directory fsync
        pass
    return path


def _read(path: Path):
    with np.load(path, allow_pickle=False) as z:
        get = lambda f: None if np.isnan(z[f]) else float(z[f])
        head = json.loads(str(z["header"])) if "header" in z else {"model": "", "meta": {}}
        st = StepperState(t=float(z["t"]), u=z["u"].copy(), dt=float(z["dt"]), step=int(z["step"]),
                          t_prev=get("t_prev"),
                          u_prev=z["u_prev"].copy() if "u_prev" in z else None,
                          t_prev2=get("t_prev2"),
                          u_prev2=z["u_prev2"].copy() if "u_prev2" in z else None,
                          newton_iterations=int(z["newton_iterations"]), error=float(z["error"]),
                          rejected=int(z["rejected"]), event=head.get("event"))
        extra = dict(head.get("meta", {}))
        extra.update({k[2:]: z[k].copy() for k in z.files if k.startswith("x_")})
        extra["model"] = head.get("model", "")
    return st, extra


def load_checkpoint(path, *, with_extra: bool = False):
    """Read a checkpoint (falling back to the previous one if the newest is unreadable).

    Returns the :class:`StepperState` -- pass it to a model's ``run(..., start=...)`` --
    or ``(state, extra)`` with ``with_extra=True``.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    errors = []
    for p in (path, _prev(path)):
        if not p.exists():
            errors.append(f"{p.name}: missing")
            continue
        try:
            st, extra = _read(p)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            errors.append(f"{p.name}: {type(exc).__name__}: {exc}")
            log.warning("checkpoint %s unreadable (%s); trying the previous one", p, exc)
            continue
        return (st, extra) if with_extra else st
    raise ConfigError(f"no usable checkpoint at {path}: " + "; ".join(errors))


class CheckpointStore:
    """Named checkpoints of one run in one folder (``<folder>/<key>.npz``).

    ``resume=False`` starts fresh (``load`` returns None); ``resume=True`` makes
    ``load(key)`` return the saved ``(state, extra)`` of *key* if there is one.
    """

    def __init__(self, folder, *, resume: bool = False, every: int = 1):
        self.folder = Path(folder)
        self.resume = bool(resume)
        if int(every) < 1:
            raise ConfigError(f"checkpoint every must be an integer >= 1, got {every!r}.")
        self.every = int(every)

    def path(self, key: str) -> Path:
        """``<folder>/<key>.npz``; *key* must be a safe file name (no separators, no ``..``)."""
        from ..errors import check_safe_name

        return self.folder / f"{check_safe_name(key, what='checkpoint key')}.npz"

    def save(self, key: str, state, *, model: str = "", **extra) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return save_checkpoint(self.path(key), state, model=model, extra=extra)

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def load(self, key: str):
        if not self.resume:
            return None
        p = self.path(key)
        if not p.exists() and not _prev(p).exists():
            return None
        return load_checkpoint(p, with_extra=True)


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
