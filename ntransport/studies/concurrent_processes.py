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
  lines) and draws the bars (so they show in a notebook too);
* a child that dies (killed, out of memory) stops the study at once with a message saying
  so (the parent polls the children: CPython 3.11's pool can miss such a death for as long
  as a sibling runs).

A spawned child imports the program's main file again before it runs a job. From a
notebook, the ``ntransport`` command or a script whose top level only defines things (and
runs under ``if __name__ == "__main__":``) that is harmless; a script that calls a study
at its top level would call it again in every child, so such a program gets threads
instead (:func:`spawn_safe_main`, with a log line saying why).
"""
from __future__ import annotations

import ast
import logging
import logging.handlers
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler
from types import MappingProxyType

from . import progress as _progress

__all__ = ["run_in_processes", "spawn_safe_main"]

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
    """Initializer of a child: die with the parent, BLAS on one thread (the sweep's
    worker initializer), send logs and bars to *queue*."""
    from ..sweep import _worker_init

    global _STOP
    _worker_init(parent_pid)
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


def spawn_safe_main() -> tuple[bool, str]:
    """Whether child processes may be spawned from this program, and why not.

    A spawned child imports the program's main file again (as ``__mp_main__``) before it
    runs a job: code at a script's top level runs once more in every child -- a study
    called there would try to start children of its own and fail. Safe: no main file
    (a notebook, the interactive interpreter, ``python -c``), or a main file whose top
    level holds only imports, definitions, assignments, docstrings and the
    ``if __name__ == "__main__":`` block (the ntransport and pytest commands, a guarded
    script), where no assignment or decorator calls ntransport or the file's own
    functions (``out = run_study(...)`` would run the study again in every child;
    :func:`_calls_any`). Not safe: a main "file" that is none (``python - < script.py``
    names it ``'<stdin>'``; a child would try to run that path and die)."""
    import sys

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    path = getattr(spec, "origin", None) or getattr(main, "__file__", None)
    if not path:
        return True, ""
    if not os.path.isfile(path):  # `python - < script.py`: __file__ is '<stdin>', and a
        # spawned child that tries to run it again dies before it takes a job
        return False, (f"the main program {path!r} is not a file child processes could "
                       "import again (a script read from stdin?); run it as a file, under "
                       "`if __name__ == \"__main__\":`, to run the study's runs in processes")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return False, f"the main file {path!r} could not be read"
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
               ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Pass)
    reach = _names_that_reach_ntransport(tree)
    for node in tree.body:
        if isinstance(node, allowed) and not _calls_any(node, reach):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) \
                and "__main__" in ast.unparse(node.test):
            continue
        return False, (f"{path!r} runs code at its top level (line {node.lineno}) that child "
                       "processes would run again; put it under `if __name__ == "
                       "\"__main__\":` to run the study's runs in processes")
    return True, ""


def _names_that_reach_ntransport(tree) -> set[str]:
    """Top-level names of a main file through which a call could start a study:
    ntransport's own names (``from ntransport... import x``, ``import ntransport``) and
    the file's own functions and classes."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ntransport":
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names
                         if a.name.split(".")[0] == "ntransport")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _calls_any(node, names) -> bool:
    """Whether a top-level assignment calls one of *names* when it runs (``out =
    run_study(...)`` runs a study at import; ``HERE = Path(__file__).parent`` or
    ``log = logging.getLogger(...)`` do not reach ntransport). Definitions run nothing
    (their bodies, decorators aside, and lambdas are skipped)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return any(_calls_any(d, names) for d in node.decorator_list)
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, ast.Call):
            f = n.func
            while isinstance(f, (ast.Attribute, ast.Subscript, ast.Call)):
                f = f.func if isinstance(f, ast.Call) else f.value
            if isinstance(f, ast.Name) and f.id in names or not isinstance(
                    f, (ast.Name, ast.Constant)):  # [main][0](): could be anything
                return True
        todo.extend(ast.iter_child_nodes(n))
    return False


def _died(ex, procs) -> bool:
    """Whether a child process of *ex* has died. Why the poll (every 0.5 s, by
    :func:`~ntransport.studies.concurrent._drive`): CPython 3.11's pool wakes its manager
    thread *before* it spawns the process for a new job, so the manager can wait without
    that process's sentinel; a child that then dies goes unnoticed until another job's
    result arrives (measured: a dead child reported only when its 60 s sibling finished)."""
    procs.update(getattr(ex, "_processes", None) or {})
    return any(p.exitcode is not None for p in procs.values())


def run_in_processes(jobs, n, results_order, then=None):
    """Run *jobs* (label -> picklable ``job(alive)``, in start order) and the follow-ups
    *then* (label -> :class:`~ntransport.studies.concurrent.After`, each once the jobs it
    needs are done) on *n* child processes; return ``label -> result`` in
    *results_order*. The first failure is re-raised (its label as a note) once the other
    runs have stopped."""
    from .concurrent import _drive, _failures, _stop_and_raise

    then = dict(then or {})
    for label, job in {**jobs, **{k: a.job for k, a in then.items()}}.items():
        # before any process starts: a clear error, not a pool's
        try:
            ForkingPickler.dumps(job)
        except Exception as exc:
            from ..errors import ConfigError

            raise ConfigError(f"run_all(processes=True): the job of run {label!r} cannot be sent "
                              f"to a child process ({type(exc).__name__}: {exc}); make it a "
                              "module-level function or a picklable object (a dataclass of "
                              "plain data), or run the jobs in threads.") from exc
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
        def submit(label, job):
            return ex.submit(_child_run, label, job)

        futures = {label: submit(label, job) for label, job in jobs.items()}
        procs = dict(getattr(ex, "_processes", None) or {})
        dead = _drive(futures, then, submit, poll=0.5, check=lambda: _died(ex, procs))
        failed = _failures(futures)
        pool = [f.exception() for _, f in failed if isinstance(f.exception(), BrokenProcessPool)]
        if dead or pool:  # a child died: the pool is gone, its siblings with it (the poll
            # may see it before the pool does: then no future holds the pool's error yet)
            in_pool = [label for label, f in futures.items()
                       if not f.done() or (label, f) in failed]
            raise RuntimeError(
                f"a run's child process died (killed, out of memory, or a crash in a compiled "
                f"library) while the runs {in_pool} were in the pool (which of them cannot be "
                f"told); every run of this study was stopped. Runs that keep "
                f"checkpoints resume from their last step: `ntransport run <case> --out <same "
                f"folder> --resume`.") from (pool[0] if pool else None)
        if failed:
            _stop_and_raise(stop, futures, failed)
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

