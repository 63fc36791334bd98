"""Shared helpers for the benchmark drivers: environment record, timing, memory floor.

Benchmarks are run on a shared machine: every driver interleaves the codes it compares
(A B A B ...) and reports the minimum and the median of the repeats; `environment()`
records the thread settings and the load average so a reader can judge the noise.
"""
from __future__ import annotations

import functools
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def set_threads(n: int) -> None:
    """Pin BLAS/OpenMP/MKL thread pools to *n* (call before importing numpy users)."""
    for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[v] = str(n)


def environment(**extra) -> dict:
    """Versions, thread variables, load average and commit, for the JSON results."""
    import importlib.metadata as md

    versions = {}
    for pkg in ("numpy", "scipy", "scikit-fem", "pyamg", "pypardiso", "gmsh", "ngsolve", "dask"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    return dict(
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        python=sys.version.split()[0], machine=platform.machine(), cpus=os.cpu_count(),
        commit=commit, versions=versions,
        threads={v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                  "OPENBLAS_NUM_THREADS")},
        loadavg_start=list(os.getloadavg()), **extra,
    )


def stats(times) -> dict:
    """min / median / all of a list of seconds."""
    return dict(min=min(times), median=statistics.median(times), times=list(times))


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far [GB]."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def current_rss_gb() -> float:
    """Current resident memory of this process [GB] (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def memory_bandwidth(n_bytes: int = 400_000_000, repeats: int = 5, threads: int = 1) -> dict:
    """Memory bandwidth [GB/s] on *threads* threads (max over repeats, arrays >> cache;
    with several threads each streams its own contiguous part, started together).

    * ``read``: ``np.add.reduce`` of a float64 array (bytes read);
    * ``copy``: ``b[:] = a`` counting read + write (STREAM convention, no write-allocate).
    The **floor** used for SpMV/CG is the larger of the two: the fastest these cores can
    stream data, so a ratio against it is an upper bound on the slowdown.
    """
    from concurrent.futures import ThreadPoolExecutor

    n = n_bytes // 8
    a = np.random.default_rng(0).random(n)
    b = np.empty_like(a)
    cuts = np.linspace(0, n, threads + 1).astype(int)
    parts = list(zip(cuts[:-1], cuts[1:]))
    pool = ThreadPoolExecutor(max(1, threads - 1))

    def together(fn):
        futures = [pool.submit(fn, lo, hi) for lo, hi in parts[1:]]
        fn(*parts[0])
        for f in futures:
            f.result()

    read, copy = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        together(lambda lo, hi: np.add.reduce(a[lo:hi]))
        read.append(a.nbytes / (time.perf_counter() - t0) / 1e9)
        t0 = time.perf_counter()
        together(lambda lo, hi: np.copyto(b[lo:hi], a[lo:hi]))
        copy.append(2 * a.nbytes / (time.perf_counter() - t0) / 1e9)
    pool.shutdown()
    return dict(read_GBps=max(read), copy_GBps=max(copy), floor_GBps=max(max(read), max(copy)),
                threads=threads)


@functools.cache
def _probe_matrix():
    """The fixed matrix of :func:`speed_probe` (built once per process)."""
    import scipy.sparse as sp
    import skfem
    from skfem.models.poisson import laplace

    g = np.linspace(0.0, 1.0, 105)
    A = laplace.assemble(skfem.Basis(skfem.MeshTri.init_tensor(g, g), skfem.ElementTriP1()))
    A = (A + sp.identity(A.shape[0]) * 1e-3).tocsr()
    A.data *= 1.0 + 0.3 * np.random.default_rng(0).standard_normal(A.data.size)
    return A


def speed_probe(repeats: int = 15) -> dict:
    """A snapshot of this host's speed on one thread: the minimum and the median [ms] of
    *repeats* PARDISO refactorisations (minimum-degree ordering, as the phase-field runs
    use) of one fixed nonsymmetric 2D P1 matrix of 11 025 unknowns (a 104 x 104 square
    grid, values perturbed by 30 % with a fixed seed), and the single-thread copy bandwidth
    (:func:`memory_bandwidth`, 200 MB). Recorded beside a timing for the reader; it is a
    snapshot of a few hundred milliseconds, and on 2026-12-03 it did not predict the case
    run that followed it (``casefiles/results_rerun9*.json``, benchmarks/README.md section
    7). Returns ``{}`` where PARDISO is not installed."""
    from ntransport.solve.linear import DirectSolver, mkl_threads, pardiso_available

    if not pardiso_available():
        return {}
    A = _probe_matrix()
    times = []
    with mkl_threads(1):
        solver = DirectSolver(precision="double", ordering="minimum-degree")
        solver.factor(A)  # analysis
        for _ in range(repeats):
            t0 = time.perf_counter()
            solver.factor(A)
            times.append(1e3 * (time.perf_counter() - t0))
    bw = memory_bandwidth(200_000_000, repeats=3)
    return dict(lu_11k_min_ms=round(min(times), 2),
                lu_11k_median_ms=round(statistics.median(times), 2),
                copy_GBps=round(bw["copy_GBps"], 1))


def cpu_ticks() -> dict:
    """This host's cumulative CPU time by state [s] from ``/proc/stat`` (Linux; ``{}``
    elsewhere): the difference over a run gives its *steal* time, the time the hypervisor
    gave the virtual CPUs to other guests while they had work."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return {}
    hz = os.sysconf("SC_CLK_TCK")
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return {k: int(v) / hz for k, v in zip(names, fields)}


def best_of(f, reps: int) -> float:
    """The shortest of *reps* calls of ``f()`` [s] (a kernel's time without the host's
    interruptions)."""
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def spmv_bytes(A) -> int:
    """Minimum bytes one CSR SpMV y = A x must move: values + column indices + row
    pointers + x read once + y written once."""
    return (A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
            + A.shape[1] * A.data.itemsize + A.shape[0] * A.data.itemsize)
