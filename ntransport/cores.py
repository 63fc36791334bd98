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
from contextlib import nullcontext

__all__ = ["usable_cores", "spare_thread", "kernel_threads", "blas_threads", "one_blas_thread",
           "blas_thread_counts"]


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
    if not _main_thread_of_main_process():
        return 1
    return max(1, min(cores, limit))


def _main_thread_of_main_process() -> bool:
    """Where this package's kernels may use several threads (and set the BLAS's)."""
    return (threading.current_thread() is threading.main_thread()
            and multiprocessing.parent_process() is None)


def spare_thread() -> bool:
    """Whether this call may use a second thread for numpy work (:func:`kernel_threads`)."""
    return kernel_threads() > 1


def blas_threads(n: int, *, mkl: bool = True):
    """Limit the BLAS that numpy and scipy call (OpenBLAS; MKL where numpy uses it) to *n*
    threads: a context manager, or, called without ``with`` (a worker process's
    initializer), for the rest of the process. A null context without ``threadpoolctl``.
    ``mkl=False`` limits OpenBLAS only (numpy's and scipy's copies) and leaves MKL, and
    with it PARDISO, at its thread count: safe around PARDISO handles of any count.

    The limit is process-wide, so one thread sets it for work running side by side (a
    worker process for its life, :func:`ntransport.studies.concurrent.run_all` around its
    pool), never two threads at once: their restores would race. Why: OpenBLAS threads
    its dot products and axpys from ~10 k entries and its threads spin after each call;
    two sweep workers with two BLAS threads each on two cores ran the
    ``percolation_metal_interphase`` case in 18.5-23.0 s against 10.3-10.7 s with one
    (benchmarks/README.md, section 7). threadpoolctl counts the MKL of the PARDISO extra
    as a BLAS too, so inside the limit PARDISO also runs on *n* threads: set it only where
    no PARDISO handle made under another count is used inside (MKL may crash then,
    :func:`ntransport.solve.linear.mkl_threads`): a worker's start, before its solvers; a
    pool whose runs make their own; the AMG setup and CG, which call none."""
    ctl = _blas_controller()
    if ctl is None:  # threadpoolctl is a dependency (pyproject); without it only slower
        return nullcontext()
    which = {"user_api": "blas"} if mkl else {"internal_api": "openblas"}
    return ctl.select(**which).limit(limits=int(n))


def blas_thread_counts() -> dict[str, int]:
    """The threads each loaded BLAS may use now, by library (``{"openblas": 2, "mkl": 2}``;
    the larger count where numpy and scipy carry a copy each); empty without
    ``threadpoolctl``."""
    ctl = _blas_controller()
    out: dict[str, int] = {}
    for lib in ctl.select(user_api="blas").lib_controllers if ctl is not None else ():
        out[lib.internal_api] = max(out.get(lib.internal_api, 0), lib.num_threads)
    return out


def _blas_controller():
    """threadpoolctl's controller of the libraries loaded now (None without it), numpy's
    and scipy's BLAS loaded first: it sees only what is loaded when it is made (a spawned
    worker may not have imported them yet)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401

    return ThreadpoolController()


def one_blas_thread(*, mkl: bool = True):
    """:func:`blas_threads` (1, mkl=mkl) in the main thread of the main process, where
    this package's own kernels use the other cores (:func:`kernel_threads`: the AMG's
    row-block products); a null context elsewhere (runs side by side are limited once by
    their pool). For the AMG setup and CG: OpenBLAS threads woken by their vector BLAS
    calls spin beside the row blocks (benchmarks/README.md, section 7). With
    ``mkl=False`` around a whole study (:func:`ntransport.studies.registry.run_study`):
    numpy's large products outside the solvers (a P2 gradient map, a fit) wake OpenBLAS
    threads that spin beside everything after them, while PARDISO keeps its threads:
    ``llzto_pma_share`` took 14.4-15.3 s wall on 22.6-23.5 s of CPU, with OpenBLAS on one
    thread 14.1-14.4 s on 16.1-16.4 s, the same artifacts (benchmarks/README.md, section 7)."""
    return blas_threads(1, mkl=mkl) if _main_thread_of_main_process() else nullcontext()

