"""The process pool behind ``run_all(..., processes=True)``.

Why processes for some studies: runs side by side in *threads* share one interpreter
lock, and a phase-field run spends ~40 % of its time in numpy calls on arrays of 10-15 k
entries, short enough that the lock is held between them. Measured on the full-size
dendrite case (two runs of 16-17 s alone, one MKL thread each, 2 cores, 4 interleaved
rounds): 18.4-20.1 s side by side in threads, 16.3-19.6 s (mostly 16.3-17.5 s) in two
processes.

What the children get and give back:

* each child is a fresh interpreter (``spawn``: no copy of the parent's MKL, OpenMP or
  gmsh state) that exits when the parent dies (the sweep's initializer) and ignores
  Ctrl-C (the parent stops everything);
* a job is pickled to it, runs with one MKL thread and is pickled back with its result
  or its exception (so jobs must be module-level callables or picklable objects);
* ``alive()`` in a child reads an event the parent sets when a sibling failed or the
  user pressed Ctrl-C;
* log records and progress bars travel over one queue to the parent, whose listener
  thread hands the records to the parent's loggers (the run log gets every child's
  lines) and draws the bars (so they show in a notebook too).
"""
from __future__ import annotations

import logging
import logging.handlers
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler
from types import MappingProxyType

from . import progress as _progress

__all__ = ["run_in_processes"]

log = logging.getLogger(__name__)


def _read_only(d):
    return MappingProxyType(d)


def _mappingproxy(m):
    return _read_only, (dict(m),)


# read-only mappings (Domain.boundaries, Solution.histories, a case's data...) travel to
# and from the children as read-only mappings; registered with multiprocessing's pickler
# only, so plain pickle.dumps keeps refusing them
ForkingPickler.register(MappingProxyType, _mappingproxy)

_STOP = None  # the parent's stop event, in a child


def _child_init(parent_pid, queue, stop, levels):
    """Initializer of a child: die with the parent, send logs and bars to *queue*."""
    from ..sweep import _die_with_parent

    global _STOP
    _die_with_parent(parent_pid)
    _STOP = stop
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(logging.handlers.QueueHandler(queue))
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    _progress.send_bars_to(queue)


def _child_alive():
    from .concurrent import Cancelled

    if _STOP is not None and _STOP.is_set():
        raise Cancelled("stopped: another run of this study failed or was interrupted")


def _child_run(label, job):
    from ..solve.linear import mkl_threads
    from .concurrent import _timed

    with mkl_threads(1):
        return _timed(label, job, _child_alive)


def _listen(queue, bars):
    """Parent side: log records to the loggers, bar events to tqdm, until None."""
    while True:
        item = queue.get()
        if item is None:
            return
        if isinstance(item, logging.LogRecord):
            logger = logging.getLogger(item.name)
            if logger.isEnabledFor(item.levelno):
                logger.handle(item)
        else:
            bars.event(item)


def run_in_processes(jobs, n, results_order, *, timed_note):
    """Run *jobs* (label -> picklable ``job(alive)``, in start order) on *n* child
    processes; return ``label -> result`` in *results_order*. The first failure is
    re-raised (its label noted by *timed_note*) once the other runs have stopped."""
    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    levels = {name: logging.getLogger(name or None).getEffectiveLevel()
              for name in ("", "ntransport")}
    bars = _progress.BarMirror()
    listener = threading.Thread(target=_listen, args=(queue, bars), daemon=True,
                                name="ntransport-run-listener")
    listener.start()
    ex = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_child_init,
                             initargs=(os.getpid(), queue, stop, levels))
    clean, procs = False, {}
    log.info("running %d runs, %d at a time (processes)", len(jobs), n)
    try:
        futures = {label: ex.submit(_child_run, label, job) for label, job in jobs.items()}
        procs = dict(getattr(ex, "_processes", None) or {})
        wait(list(futures.values()), return_when=FIRST_EXCEPTION)
        from .concurrent import Cancelled

        failed = [(label, f) for label, f in futures.items()
                  if f.done() and not f.cancelled() and f.exception() is not None
                  and not isinstance(f.exception(), Cancelled)]
        broken = [label for label, f in failed if isinstance(f.exception(), BrokenProcessPool)]
        if broken:  # a child died: the pool is gone, its siblings with it
            raise RuntimeError(
                f"a run's child process died (killed, out of memory, or a crash in a compiled "
                f"library) while the runs {broken} were in the pool (which of them cannot be "
                f"told); every run of this study was stopped. Runs that keep "
                f"checkpoints resume from their last step: `ntransport run <case> --out <same "
                f"folder> --resume`.") from failed[0][1].exception()
        if failed:
            stop.set()  # the running siblings stop at their next step
            for f in futures.values():
                f.cancel()
            wait([f for f in futures.values() if not f.cancelled()])
            label, f = failed[0]
            raise timed_note(f.exception(), label)
        out = {label: futures[label].result() for label in results_order}
        clean = True
        return out
    finally:
        stop.set()
        procs.update(getattr(ex, "_processes", None) or {})
        if clean:
            ex.shutdown(wait=True)
        else:  # Ctrl-C or a failure: do not wait for what has not started
            ex.shutdown(wait=False, cancel_futures=True)
            deadline = time.monotonic() + 5.0
            for proc in procs.values():
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
        queue.put(None)
        listener.join(timeout=5.0)
        bars.close_all()

