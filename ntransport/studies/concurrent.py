"""A study's independent runs side by side, in threads or child processes.

A study with several runs that do not depend on each other (the dendrite case's four
runs and its transference sweep) hands them to :func:`run_all` as ``label -> job``;
each job is called as ``job(alive)`` and must call ``alive()`` now and then (every time
step), which raises :class:`Cancelled` once a sibling has failed or the user pressed
Ctrl-C -- so a failure costs at most one step of the other runs, never a hang.

Threads (the default): these runs spend their time in numpy, scipy's sparse kernels and
PARDISO, which release the GIL, and a thread shares the case, the checkpoint store, the
log file and the progress bars with the study and hands back its
:class:`~ntransport.solution.Solution` without pickling. Each worker's PARDISO runs on one
MKL thread (:func:`ntransport.solve.linear.mkl_threads`), so *n* runs keep *n* cores busy
instead of oversubscribing them; gmsh (remeshing) is serialised by
:func:`ntransport.geometry.gmsh_io.gmsh_session`. Measured (2 cores): two full-size PEO
phase-field runs 65.9 s one after the other, 42.4 s side by side.

Child processes (``processes=True``, :mod:`ntransport.studies.concurrent_processes`): for
runs whose Python-level work between short numpy calls holds the GIL long enough to make
two threads wait for each other (the phase-field runs: 18.4-20.1 s side by side in threads
against 16.3-19.6 s in processes, 16-17 s alone). Jobs and results must pickle; logs and
progress bars still arrive in this process. (The sweep, :mod:`ntransport.sweep`, is the
other process mechanism: it ships parameters out and JSON records back, for points that
are independent studies rather than runs of one.)

How many at once: ``workers`` if given, else the value set by :func:`limit_workers`
(the CLI's ``--workers``), else the cores this process may use, never more than the jobs.

Follow-ups (``then``): work that needs some of the runs but not all -- the dendrite
case's figures of its four runs, while the transference sweep's runs go on -- is an
:class:`After`: ``job(alive, inputs)`` with ``inputs`` the results of the runs it names,
started as soon as those are done, so it fills a worker the last runs leave idle instead
of waiting for the slowest run.

In which order: a study that can estimate its runs' costs passes them (``cost``) and the
runs start longest first (LPT scheduling: the last run to start is a short one, so the
workers finish close together; Graham's bound puts the wall time within 4/3 of the best
split). Measured on the dendrite case (2 workers, six runs of 4-22 s): the case's own
order left one worker idle for the last 13 s (section 7 of benchmarks/README.md).
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import numbers
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from ..errors import ConfigError

__all__ = ["run_all", "After", "Cancelled", "limit_workers", "default_workers",
           "check_workers"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_WORKERS: contextvars.ContextVar[int | None] = contextvars.ContextVar("workers", default=None)


class Cancelled(Exception):
    """Raised by ``alive()`` in the runs still going when a sibling run failed or the
    user interrupted."""


@dataclass(frozen=True)
class After:
    """A follow-up of :func:`run_all`: ``job(alive, inputs)``, ``inputs`` being
    ``label -> result`` of the runs named in *needs*; it starts as soon as those runs are
    done (behind the runs already waiting), while the others go on. For
    ``processes=True`` the job must pickle, and its inputs travel to its child."""

    needs: tuple[str, ...]
    job: Callable


@dataclass(frozen=True)
class _Fed:
    """A follow-up with its inputs bound: a plain ``job(alive)`` for the pools."""

    job: Callable
    inputs: Mapping

    def __call__(self, alive):
        return self.job(alive, dict(self.inputs))


#: the most workers per usable core :func:`check_workers` accepts
MAX_WORKERS_PER_CORE = 4


def check_workers(value, *, name: str = "workers") -> int | None:
    """*value* as a worker count (None stays None: one per core), or a ConfigError naming
    *name* (the argument's name in the caller: ``workers``, a sweep's ``n_workers``)."""
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value != int(value) or value < 1):
        raise ConfigError(f"{name} must be a positive integer (1 runs one at a time, None "
                          f"one per core), got {value!r}.")
    cores = default_workers()
    if value > MAX_WORKERS_PER_CORE * cores:  # 2e6 worker processes ran until killed
        raise ConfigError(f"{name} = {int(value)} is more than {MAX_WORKERS_PER_CORE}x the "
                          f"{cores} usable cores: extra processes only compete for the cores, "
                          f"each with its own memory. Give at most "
                          f"{MAX_WORKERS_PER_CORE * cores}, or None for one per core.")
    return int(value)


@contextlib.contextmanager
def limit_workers(workers: int | None):
    """Inside the block, :func:`run_all` runs at most *workers* runs at once (None: the
    default, one per core)."""
    token = _WORKERS.set(check_workers(workers))
    try:
        yield
    finally:
        _WORKERS.reset(token)


def default_workers() -> int:
    """The cores this process may run on (:func:`ntransport.cores.usable_cores`)."""
    from ..cores import usable_cores

    return usable_cores()


def _never_cancelled() -> None:
    return None


def _timed(label, job, alive):
    """``job(alive)``, its wall time in the log (which runs set a study's duration)."""
    t0 = time.perf_counter()
    out = job(alive)
    log.info("run %r finished in %.1f s", label, time.perf_counter() - t0)
    return out


def run_all(jobs: Mapping[str, Callable[[Callable[[], None]], T]], *,
            workers: int | None = None,
            cost: Mapping[str, float] | None = None,
            processes: bool = False,
            then: Mapping[str, After] | None = None) -> dict[str, T]:
    """Call ``job(alive)`` for every job; return ``label -> result`` in the jobs' order
    (then the follow-ups', in *then*'s order).

    *cost* (label -> estimated cost, any unit; optional): the jobs start in decreasing
    cost, ties and unlisted labels (cost 0) in the jobs' order.

    *then* (label -> :class:`After`; optional): follow-ups, each started as soon as the
    jobs it needs are done, on the same workers.

    *processes*: run the jobs in child processes instead of threads
    (:mod:`ntransport.studies.concurrent_processes`: no shared interpreter lock; jobs and
    results must pickle, logs and progress bars come back to this process). For runs
    whose Python-level work between numpy calls is a large share (the phase-field runs).
    Threads after all (and a log line saying why) when this program's main file has code
    at its top level that a spawned child would run again (a script without
    ``if __name__ == "__main__":``).

    With one worker (or one job) the jobs run here, one after the other (a follow-up right
    after the last job it needs). Otherwise they run in a pool of threads, each inside a
    copy of the caller's context and with single-threaded PARDISO; the first failure is
    re-raised here (its label added as a note) once the other runs have stopped at their
    next ``alive()``. Ctrl-C stops all.
    """
    from ..cores import blas_threads
    from ..solve.linear import mkl_threads

    then = _check_then(jobs, then)
    results_order = list(jobs) + list(then)
    jobs = _longest_first(dict(jobs), cost)
    n = check_workers(workers) or _WORKERS.get() or default_workers()
    n = min(n, len(jobs))
    if n <= 1:
        done, waiting = {}, dict(then)
        for label, job in jobs.items():
            done[label] = _timed(label, job, _never_cancelled)
            for k, after in list(waiting.items()):
                if all(need in done for need in after.needs):
                    del waiting[k]
                    done[k] = _timed(k, _fed(after, done), _never_cancelled)
        return {label: done[label] for label in results_order}

    if processes:
        from .concurrent_processes import run_in_processes, spawn_safe_main

        safe, why = spawn_safe_main()
        if safe:
            return run_in_processes(jobs, n, results_order, then)
        log.info("running the runs in threads, not processes: %s", why)

    stop = threading.Event()

    def alive():
        if stop.is_set():
            raise Cancelled("stopped: another run of this study failed or was interrupted")

    def call(label, job):
        with mkl_threads(1):
            try:
                return _timed(label, job, alive)
            except BaseException as exc:
                if not isinstance(exc, Cancelled):
                    stop.set()  # the siblings stop at their next step
                raise

    log.info("running %d runs, %d at a time (threads)", len(jobs), n)
    # BLAS on one thread while the runs share the cores (set once, here: the limit is
    # process-wide; cores.blas_threads)
    with blas_threads(1), ThreadPoolExecutor(max_workers=n,
                                             thread_name_prefix="ntransport-run") as ex:
        def submit(label, job):
            return ex.submit(contextvars.copy_context().run, call, label, job)

        futures = {label: submit(label, job) for label, job in jobs.items()}
        try:
            _drive(futures, then, submit)
        except BaseException:  # Ctrl-C while waiting
            stop.set()
            for f in futures.values():
                f.cancel()
            raise
        failed = _failures(futures)
        if failed:
            _stop_and_raise(stop, futures, failed)
    return {label: futures[label].result() for label in results_order}


def _check_then(jobs, then) -> dict:
    """*then* as a dict of :class:`After` whose needs are jobs, or a ConfigError."""
    then = dict(then or {})
    for label, after in then.items():
        if label in jobs:
            raise ConfigError(f"run_all: the follow-up {label!r} has the name of a job; give it "
                              "another name.")
        if not isinstance(after, After):
            raise ConfigError(f"run_all: then[{label!r}] must be an After(needs, job), got "
                              f"{type(after).__name__}.")
        unknown = sorted(set(after.needs) - set(jobs))
        if not after.needs or unknown:
            raise ConfigError(f"run_all: the follow-up {label!r} needs {list(after.needs)!r}: "
                              f"it must name one or more of the jobs {sorted(jobs)} "
                              f"(unknown: {unknown}).")
    return then


def _fed(after: After, results: Mapping, get=lambda r: r) -> _Fed:
    """*after*'s job bound to ``get(results[need])`` for each of its needs."""
    return _Fed(after.job, {need: get(results[need]) for need in after.needs})


def _ok(f) -> bool:
    return f.done() and not f.cancelled() and f.exception() is None


def _drive(futures: dict, then: Mapping[str, After], submit, *, poll: float | None = None,
          check: Callable[[], bool] | None = None) -> bool:
    """Wait until every future in *futures* (label -> future) is done or one has failed,
    submitting each follow-up of *then* (``submit(label, job)``, added to *futures*) as
    soon as the jobs it needs are done. With *check*: called every *poll* seconds; when it
    returns True the wait ends and so does this (True)."""
    waiting = dict(then)
    while True:
        if _failures(futures):  # no follow-up starts after a failure
            return False
        for label, after in list(waiting.items()):
            if all(_ok(futures[need]) for need in after.needs):
                del waiting[label]
                futures[label] = submit(label, _fed(after, futures, Future.result))
        pending = [f for f in futures.values() if not f.done()]
        if not pending:
            return False
        wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
        if check is not None and check():
            return True


def _failures(futures) -> list:
    """``(label, future)`` of the finished runs that failed (not those cancelled)."""
    return [(label, f) for label, f in futures.items()
            if f.done() and not f.cancelled() and f.exception() is not None
            and not isinstance(f.exception(), Cancelled)]


def _stop_and_raise(stop, futures, failed):
    """Stop the siblings at their next step, cancel what has not started, wait for the
    rest, and raise the first failure with its run's label as a note."""
    stop.set()
    for f in futures.values():
        f.cancel()
    wait([f for f in futures.values() if not f.cancelled()])
    label, f = failed[0]
    exc = f.exception()
    exc.add_note(f"(in the run {label!r} of this study)")
    raise exc


def _longest_first(jobs: dict, cost: Mapping[str, float] | None) -> dict:
    """*jobs* re-ordered by decreasing *cost* (a stable sort: ties keep their order)."""
    if not cost:
        return jobs
    unknown = sorted(set(cost) - set(jobs))
    if unknown:
        raise ConfigError(f"run_all: cost names runs that are not jobs: {unknown}; the jobs "
                          f"are {sorted(jobs)}.")
    bad = {k: v for k, v in cost.items()
           if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v)}
    if bad:
        raise ConfigError(f"run_all: cost must map run labels to finite numbers, got {bad}.")
    order = sorted(jobs, key=lambda label: -float(cost.get(label, 0.0)))
    return {label: jobs[label] for label in order}
