"""How many cores this process may use, and whether a call may take a second thread.

One policy for the whole package: :func:`ntransport.studies.concurrent.default_workers`
(how many runs side by side) and the geometry's two-thread mesh topology
(:mod:`ntransport.geometry.domain`) both ask here.
"""
from __future__ import annotations

import multiprocessing
import os
import threading

__all__ = ["usable_cores", "spare_thread"]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def spare_thread() -> bool:
    """Whether this call may use a second thread for numpy work: two or more cores, the
    thread settings not limited to one (``OMP_NUM_THREADS``), and the main thread of the
    main process (runs side by side -- threads of ``run_all``, its child processes, a
    dask worker -- are one thread each already)."""
    cores = usable_cores()
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS") or cores)
    except ValueError:
        limit = cores
    return (min(cores, limit) > 1 and threading.current_thread() is threading.main_thread()
            and multiprocessing.parent_process() is None)
