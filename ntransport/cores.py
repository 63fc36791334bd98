"""How many cores this process may use, and whether a call may take a second thread.

One policy for the whole package: :func:`ntransport.studies.concurrent.default_workers`
(how many runs side by side), the geometry's two-thread mesh topology
(:mod:`ntransport.geometry.domain`) and the row-split sparse products of the AMG-CG
(:mod:`ntransport.solve.rowblocks`) all ask here.
"""
from __future__ import annotations

import multiprocessing
import os
import threading

__all__ = ["usable_cores", "spare_thread", "kernel_threads"]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def kernel_threads() -> int:
    """How many threads this call may use for numpy/scipy work that releases the
    interpreter lock: the usable cores, limited by ``OMP_NUM_THREADS`` when it is set, in
    the main thread of the main process; 1 anywhere else (runs side by side -- threads of
    ``run_all``, its child processes, a dask worker -- are one thread each already)."""
    cores = usable_cores()
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS") or cores)
    except ValueError:
        limit = cores
    if threading.current_thread() is not threading.main_thread() or \
            multiprocessing.parent_process() is not None:
        return 1
    return max(1, min(cores, limit))


def spare_thread() -> bool:
    """Whether this call may use a second thread for numpy work (:func:`kernel_threads`)."""
    return kernel_threads() > 1
