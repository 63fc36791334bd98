"""Run a study over a parameter grid / Monte Carlo ensemble, resumably, anywhere.

``sweep(study, grid, store=...)`` evaluates ``study(**point)`` at every point of
the Cartesian product of *grid* (times ``realisations`` seeds), on local
processes by default or on a ``dask.distributed`` cluster given its scheduler
address (``pip install 'ntransport[cluster]'``). Each finished point is written at
once, atomically, as one JSON file in ``store/points/``; a sweep that is interrupted
(worker killed, machine rebooted, Ctrl-C) and started again with the same arguments
computes only the points that have no file. A point whose study raises -- or returns
NaN/inf -- is recorded as failed with its error and the others go on. The assembled
results are an ``xarray.Dataset`` (one dimension per grid parameter, plus
``realisation``), also saved to ``store/results.nc`` (NetCDF3 via scipy; no HDF5
needed).

Robustness:

* **Concurrent sweeps on one store cooperate**: a worker claims a point with an
  exclusive lock on ``points/p<idx>.claim`` (``fcntl.flock``, released by the kernel if
  the process dies) for as long as it computes it; another sweep skips a claimed
  point and waits for its file. No point is computed twice, and no temporary file is
  shared (every write goes to its own ``mkstemp`` file, then ``os.replace``).
* **Workers die with the parent**: local worker processes exit within a second when
  the sweep's process dies (Linux ``PR_SET_PDEATHSIG`` plus a parent watchdog), and
  Ctrl-C cancels the pending points instead of waiting for them.

A study is a plain, picklable (module-level) function returning a mapping of
output name to a number or a 1-D array of fixed length, e.g.::

    def study(volume_fraction, seed):
        return {"sigma_eff [S m-1]": ..., "spans": 1.0}
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import tempfile
import threading
import time
import traceback
from pathlib import Path

import numpy as np

from .errors import ConfigError

__all__ = ["sweep", "load_points"]

log = logging.getLogger(__name__)


def _points(grid, realisations, seed):
    """List of (index tuple, params dict) over the grid (and seeds)."""
    names = list(grid)
    axes = [list(grid[n]) for n in names]
    shape = [len(a) for a in axes]
    if realisations is not None:
        shape.append(realisations)
    out = []
    for idx in itertools.product(*[range(s) for s in shape]):
        params = {n: axes[k][idx[k]] for k, n in enumerate(names)}
        if realisations is not None:
            params["seed"] = int(seed + idx[-1])
        out.append((idx, params))
    return out


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def _atomic_write(path: Path, record: dict) -> None:
    """Write JSON through a private temporary file (never shared between processes)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX: a reader sees all or nothing
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _nonfinite(res) -> list[str]:
    """Names of outputs holding NaN/inf (a failed computation, not a result)."""
    bad = []
    for k, v in res.items():
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"output {k!r} must be a number or an array of numbers, got "
                            f"{type(v).__name__} {v!r}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            bad.append(k)
    return bad


def _compute(study, params):
    """The record of one evaluation (never raises)."""
    try:
        res = study(**params)
        if not hasattr(res, "items"):
            raise TypeError(f"study must return a mapping name -> value, got "
                            f"{type(res).__name__}")
        bad = _nonfinite(res)
        result = {str(k): _jsonable(np.asarray(v)) for k, v in res.items()}
        if bad:
            return {"status": "error", "traceback": "", "result": {},
                    "error": f"ResultError: non-finite (NaN/inf) output(s) {bad}; the study "
                             "failed silently at this point"}
        return {"status": "ok", "error": "", "result": result}
    except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "result": {}}


def _claim(path: Path):
    """Open and exclusively lock ``<point>.claim``; None if another process holds it.
    Returns the open file (closing it releases the claim); ``False`` if claims are not
    possible here (no shared file system, no fcntl)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fh = open(path.with_suffix(".claim"), "a+")
    except OSError:
        return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


def _read_point(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _run_point(study, idx, params, path, retry_failed=False):
    """Worker side: claim, evaluate and persist one point.

    A point already saved (by another sweep on the same store, or a task dask re-runs
    because the worker holding its result died) is returned from its file, not
    computed again; a point another process is computing right now is returned as
    ``{"status": "busy"}`` and the caller waits for it.
    """
    path = Path(path)
    claim = _claim(path)
    if claim is None:
        return {"status": "busy", "index": list(idx), "params": {}}
    try:
        saved = _read_point(path)
        if saved is not None and (saved.get("status") == "ok" or
                                  (saved.get("status") == "error" and not retry_failed)):
            return saved
        record = _compute(study, params)
        record.update(index=list(idx), params={k: _jsonable(v) for k, v in params.items()},
                      pid=os.getpid())
        try:
            _atomic_write(path, record)
        except OSError:  # worker without the client's filesystem: the client writes it
            pass
        return record
    finally:
        if claim:
            claim.close()


def _pid_alive(pid: int) -> bool:
    """Whether process *pid* exists. POSIX: signal 0 probes without signalling. Windows has
    no such probe -- ``os.kill(pid, 0)`` there *terminates* the process -- so it asks for
    a handle and whether waiting on it would block (not run on this project's CI)."""
    if os.name == "nt":  # pragma: no cover - Windows only
        import ctypes

        k32 = ctypes.windll.kernel32
        handle = k32.OpenProcess(0x00100000, False, int(pid))  # SYNCHRONIZE
        if not handle:
            return False
        try:
            return k32.WaitForSingleObject(handle, 0) == 0x00000102  # WAIT_TIMEOUT: running
        finally:
            k32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, not ours
        return True
    return True


def _worker_init(parent_pid: int) -> None:
    """Worker initializer: exit when the sweep's process dies (:func:`_die_with_parent`);
    BLAS on one thread for the worker's life (:func:`ntransport.cores.blas_threads`: the
    workers already keep the cores busy, one each)."""
    from .cores import blas_threads

    _die_with_parent(parent_pid)
    blas_threads(1)


def _die_with_parent(parent_pid: int) -> None:
    """Exit when the sweep's process dies.

    Linux: the kernel sends SIGKILL on the parent's death (``PR_SET_PDEATHSIG``);
    everywhere: a daemon thread checks every 0.2 s that the parent is still ours."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    ppid = os.getppid()  # our parent: the sweep, or a forkserver that dies with it

    def watch():
        while True:
            if os.getppid() != ppid or not _pid_alive(parent_pid):
                os._exit(1)
            time.sleep(0.2)

    threading.Thread(target=watch, name="ntransport-parent-watchdog", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _check_grid(grid, realisations):
    if not isinstance(grid, dict) or not grid and realisations is None:
        raise ConfigError(
            f"grid must be a non-empty dict name -> list of values (or give "
            f"realisations=), got {grid!r}.")
    for k, v in grid.items():
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) == 0:
            raise ConfigError(
                f"grid[{k!r}] must be a non-empty list of values, got {v!r}.")
        if k == "seed" and realisations is not None:
            raise ConfigError("grid may not contain 'seed' when realisations= is set.")
    if realisations is not None and (int(realisations) != realisations or realisations < 1):
        raise ConfigError(f"realisations must be a positive integer, got {realisations!r}.")


def _connect(scheduler, timeout):
    """Client for *scheduler* or a clear ConnectionError before anything starts."""
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ConfigError(
            f"scheduler must be an address such as 'tcp://host:8786', got {scheduler!r}.")
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(
            f"scheduler={scheduler!r} needs dask.distributed, which is not installed: "
            "pip install 'ntransport[cluster]' (or omit scheduler= to run on local "
            "processes).") from None
    try:
        return Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(
            f"dask scheduler {scheduler!r} cannot be reached within {timeout} s "
            f"({type(exc).__name__}); nothing was started. Check the address and that "
            "`dask scheduler` is running there, or omit scheduler= to run on local "
            "processes.") from exc


def _study_name(study):
    """Stable name of *study* (a ``functools.partial`` shows its keywords)."""
    import functools

    if isinstance(study, functools.partial):
        kw = ", ".join(f"{k}={v!r}" for k, v in sorted(study.keywords.items()))
        return f"{_study_name(study.func)}({kw})"
    return f"{getattr(study, '__module__', '?')}.{getattr(study, '__qualname__', '?')}"


def _metadata(study, grid, realisations, seed):
    return {"study": _study_name(study),
            "grid": {k: [_jsonable(x) for x in v] for k, v in grid.items()},
            "realisations": realisations, "seed": seed}


def _prepare_store(store, meta):
    store = Path(store)
    if store.exists() and not store.is_dir():
        raise ConfigError(f"store {str(store)!r} is a file; give a folder for the sweep's "
                          "results.")
    try:
        (store / "points").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"store {str(store)!r} cannot be created ({exc.strerror or exc}); "
                          "choose a writable folder.") from None
    mpath = store / "sweep.json"
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text())
        except ValueError:
            raise ConfigError(f"store {str(store)!r} has an unreadable sweep.json; use a new "
                              "store folder.") from None
        if old != json.loads(json.dumps(meta)):
            raise ConfigError(
                f"store {str(store)!r} holds a different sweep ({old['study']} over "
                f"{old['grid']}); use a new store directory or delete it to restart.")
    else:
        _atomic_write(mpath, meta)
    return store


def sweep(study, grid=None, *, store, realisations=None, seed=0, scheduler=None,
          n_workers=None, retry_failed=False, progress=True, timeout=5.0,
          wait_timeout=None):
    """Evaluate *study* over a grid / ensemble, resumably; return an xarray Dataset.

    Parameters
    ----------
    study : callable
        ``study(**params) -> {name: number or 1-D array}``; module-level so it pickles.
    grid : dict of str to sequence, optional
        Parameter values; the sweep covers their Cartesian product.
    store : path
        Directory holding ``sweep.json``, ``points/*.json`` and ``results.nc``.
        Re-running with the same store resumes: only points without a file run.
    realisations : int, optional
        Monte Carlo ensemble size; realisation ``r`` is called with
        ``seed=seed + r`` (common random numbers across the grid).
    scheduler : str, optional
        ``dask.distributed`` scheduler address (``"tcp://host:8786"``, or
        ``LocalCluster().scheduler_address``). Default: local processes
        (``concurrent.futures.ProcessPoolExecutor`` with *n_workers*).
    retry_failed : bool
        Re-run points recorded as failed.
    progress : bool
        Show a tqdm progress bar.
    timeout : float
        Seconds to wait for the scheduler before raising ``ConnectionError``.
    wait_timeout : float, optional
        Seconds to wait for points another sweep on the same store is computing
        (default: as long as that sweep is alive).

    Returns
    -------
    xarray.Dataset
        One variable per study output (NaN where missing/failed; a ``/`` in a
        name becomes `` per `` as NetCDF requires), ``status``
        (``"ok"``/``"error"``/``"missing"``) and ``error`` (message) per point. A point
        whose outputs hold NaN/inf is an ``"error"``.

    Raises
    ------
    ConnectionError
        The scheduler cannot be reached (raised before anything runs).
    RuntimeError
        A local worker process died; finished points are kept, run again to resume.
    ConfigError
        Bad grid/options, a store holding another sweep, or ``scheduler=`` without
        dask installed (``pip install 'ntransport[cluster]'``).
    """
    grid = dict(grid or {})
    _check_grid(grid, realisations)
    from .studies.concurrent import check_workers

    check_workers(n_workers, name="n_workers")
    client = _connect(scheduler, timeout) if scheduler is not None else None
    try:
        store = _prepare_store(store, _metadata(study, grid, realisations, seed))
        points = _points(grid, realisations, seed)
        todo = [(i, p) for i, p in points if _needs_run(_path(store, i), retry_failed)]
        log.info("sweep: %d points, %d to run", len(points), len(todo))
        _execute(study, todo, store, client, n_workers, progress, len(points), retry_failed,
                 timeout=wait_timeout)
    finally:
        if client is not None:
            client.close()
    ds = load_points(store)
    _write_netcdf(ds, store / "results.nc")
    return ds


def _write_netcdf(ds, path):
    """NetCDF3 via scipy (no HDF5 dependency), through a private temporary file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".nc")
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="scipy")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _path(store, idx):
    return store / "points" / ("p" + "-".join(str(i) for i in idx) + ".json")


def _needs_run(path, retry_failed):
    rec = _read_point(path)
    if rec is None:
        return True
    return retry_failed and rec.get("status") != "ok"


def _execute(study, todo, store, client, n_workers, progress, total, retry_failed,
             *, timeout=None):
    """Evaluate *todo*; points another sweep is computing are waited for (and taken
    over if that sweep dies)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=total - len(todo), disable=not progress,
               desc="sweep", unit="pt")
    try:
        while todo:
            busy = _run_batch(study, todo, store, client, n_workers, bar, retry_failed)
            todo = _wait_for_others(busy, store, timeout) if busy else []
    finally:
        bar.close()


def _run_batch(study, todo, store, client, n_workers, bar, retry_failed):
    """One pass over *todo*; returns the points that were busy elsewhere."""
    busy = []

    def receive(rec, item):
        if rec.get("status") == "busy":
            busy.append(item)
            return
        _receive(store, rec)
        bar.update()

    if client is not None:
        from distributed import as_completed

        futs = {client.submit(_run_point, study, i, p, str(_path(store, i)), retry_failed,
                              pure=False): (i, p) for i, p in todo}
        for fut in as_completed(list(futs), loop=client.loop):
            receive(fut.result(), futs[fut])
        return busy
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ex = ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_init,
                             initargs=(os.getpid(),))
    clean, procs = False, {}
    try:
        futs = {ex.submit(_run_point, study, i, p, str(_path(store, i)), retry_failed):
                (i, p) for i, p in todo}
        procs = dict(getattr(ex, "_processes", None) or {})
        try:
            for fut in as_completed(futs):
                receive(fut.result(), futs[fut])
        except BrokenProcessPool as exc:
            done = sum(1 for i, _ in todo if _path(store, i).exists())
            raise RuntimeError(
                f"a worker process died during the sweep ({exc}); {done} of "
                f"{len(todo)} pending points were saved in {str(store)!r}. Run the "
                "same sweep again to compute only the missing points.") from exc
        clean = True
    finally:
        if clean:
            ex.shutdown(wait=True)
        else:  # Ctrl-C or an error: do not wait for the pending points
            procs.update(getattr(ex, "_processes", None) or {})
            ex.shutdown(wait=False, cancel_futures=True)
            for proc in procs.values():
                if proc.is_alive():
                    proc.kill()
    return busy


def _wait_for_others(busy, store, timeout):
    """Wait until the points other sweeps are computing have files; return the ones
    whose claim was released without a file (that sweep died) to compute here."""
    t0, pending, orphaned = time.monotonic(), list(busy), []
    log.info("sweep: %d point(s) are being computed by another sweep on %s; waiting",
             len(pending), store)
    while pending:
        still = []
        for i, p in pending:
            path = _path(store, i)
            if _read_point(path) is not None:
                continue
            claim = _claim(path)
            if claim:  # nobody holds it any more and there is no file: ours to do
                claim.close()
                orphaned.append((i, p))
            else:
                still.append((i, p))
        pending = still
        if pending:
            if timeout is not None and time.monotonic() - t0 > timeout:
                raise TimeoutError(
                    f"{len(pending)} point(s) of {str(store)!r} were still being computed by "
                    f"another sweep after {timeout:g} s; run the sweep again later to "
                    "collect them.")
            time.sleep(0.2)
    return orphaned


def _receive(store, record):
    path = _path(store, tuple(record["index"]))
    saved = _read_point(path)
    if saved is None or (saved.get("status") != "ok" and record["status"] == "ok"):
        _atomic_write(path, record)
    if record["status"] != "ok":
        log.warning("sweep point %s failed: %s", record["params"], record["error"])


def load_points(store):
    """Assemble the point files of *store* into an ``xarray.Dataset``."""
    import xarray as xr

    store = Path(store)
    meta = json.loads((store / "sweep.json").read_text())
    names = list(meta["grid"])
    coords = {k: np.asarray(v) for k, v in meta["grid"].items()}
    shape = [len(v) for v in meta["grid"].values()]
    dims = list(names)
    if meta["realisations"] is not None:
        dims.append("realisation")
        shape.append(meta["realisations"])
        coords["realisation"] = np.arange(meta["realisations"])
    status = np.full(shape, "missing", dtype=object)
    error = np.full(shape, "", dtype=object)
    values: dict[str, np.ndarray] = {}
    for f in (store / "points").glob("p*.json"):
        rec = json.loads(f.read_text())
        idx = tuple(rec["index"])
        status[idx], error[idx] = rec["status"], rec["error"]
        for k, v in rec["result"].items():
            v = np.asarray(v, dtype=float)
            if k not in values:
                values[k] = np.full(tuple(shape) + v.shape, np.nan)
            values[k][idx] = v
    data = {"status": (dims, status.astype(str)), "error": (dims, error.astype(str))}
    for k, arr in values.items():
        k = k.replace("/", " per ")  # NetCDF forbids '/' in variable names
        extra = [f"{k}_dim_{j}" for j in range(arr.ndim - len(shape))]
        data[k] = (dims + extra, arr)
    return xr.Dataset(data, coords=coords, attrs={"study": meta["study"]})
