"""Run a study over a parameter grid / Monte Carlo ensemble, resumably, anywhere.

``sweep(study, grid, store=...)`` evaluates ``study(**point)`` at every point of
the Cartesian product of *grid* (times ``realisations`` seeds), on local
processes by default or on a ``dask.distributed`` cluster given its scheduler
address. Each finished point is written at once, atomically, as one JSON file
in ``store/points/``; a sweep that is interrupted (worker killed, machine
rebooted, Ctrl-C) and started again with the same arguments computes only the
points that have no file. A point whose study raises is recorded with its error
and traceback and the others go on. The assembled results are an
``xarray.Dataset`` (one dimension per grid parameter, plus ``realisation``),
also saved to ``store/results.nc`` (NetCDF4 via h5netcdf).

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
import tempfile
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # atomic on POSIX: a reader sees all or nothing


def _run_point(study, idx, params, path):
    """Worker side: evaluate one point, persist it (if the store is reachable).

    A point already saved (e.g. a task dask re-runs because the worker holding
    its result died) is returned from its file, not computed again.
    """
    try:
        saved = json.loads(Path(path).read_text())
        if saved["status"] == "ok":
            return saved
    except (OSError, ValueError, KeyError):
        pass
    try:
        res = study(**params)
        if not hasattr(res, "items"):
            raise TypeError(f"study must return a mapping name -> value, got "
                            f"{type(res).__name__}")
        record = {"status": "ok", "error": "",
                  "result": {str(k): _jsonable(np.asarray(v)) for k, v in res.items()}}
    except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
        record = {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(), "result": {}}
    record.update(index=list(idx), params={k: _jsonable(v) for k, v in params.items()})
    try:
        _atomic_write(Path(path), record)
    except OSError:  # worker without the client's filesystem: the client writes it
        pass
    return record


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
    from distributed import Client

    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ConfigError(
            f"scheduler must be an address such as 'tcp://host:8786', got {scheduler!r}.")
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
    (store / "points").mkdir(parents=True, exist_ok=True)
    mpath = store / "sweep.json"
    if mpath.exists():
        old = json.loads(mpath.read_text())
        if old != json.loads(json.dumps(meta)):
            raise ConfigError(
                f"store {str(store)!r} holds a different sweep ({old['study']} over "
                f"{old['grid']}); use a new store directory or delete it to restart.")
    else:
        _atomic_write(mpath, meta)
    return store


def sweep(study, grid=None, *, store, realisations=None, seed=0, scheduler=None,
          n_workers=None, retry_failed=False, progress=True, timeout=5.0):
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

    Returns
    -------
    xarray.Dataset
        One variable per study output (NaN where missing/failed; a ``/`` in a
        name becomes `` per `` as NetCDF4 requires), ``status``
        (``"ok"``/``"error"``) and ``error`` (message) per point.

    Raises
    ------
    ConnectionError
        The scheduler cannot be reached (raised before anything runs).
    RuntimeError
        A local worker process died; finished points are kept, run again to resume.
    """
    grid = dict(grid or {})
    _check_grid(grid, realisations)
    client = _connect(scheduler, timeout) if scheduler is not None else None
    try:
        store = _prepare_store(store, _metadata(study, grid, realisations, seed))
        points = _points(grid, realisations, seed)
        todo = [(i, p) for i, p in points if _needs_run(_path(store, i), retry_failed)]
        log.info("sweep: %d points, %d to run", len(points), len(todo))
        _execute(study, todo, store, client, n_workers, progress, len(points))
    finally:
        if client is not None:
            client.close()
    ds = load_points(store)
    _write_netcdf(ds, store / "results.nc")
    return ds


def _write_netcdf(ds, path):
    """NetCDF4 via h5netcdf (needs h5py); NetCDF3 via scipy if h5py is missing."""
    tmp = path.with_name(".tmp-" + path.name)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
    except ImportError as exc:
        log.warning("h5netcdf unavailable (%s); writing NetCDF3 with scipy", exc)
        ds.to_netcdf(tmp, engine="scipy")
    os.replace(tmp, path)


def _path(store, idx):
    return store / "points" / ("p" + "-".join(str(i) for i in idx) + ".json")


def _needs_run(path, retry_failed):
    if not path.exists():
        return True
    return retry_failed and json.loads(path.read_text())["status"] != "ok"


def _execute(study, todo, store, client, n_workers, progress, total):
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=total - len(todo), disable=not progress,
               desc="sweep", unit="pt")
    try:
        if client is not None:
            from distributed import as_completed

            futs = [client.submit(_run_point, study, i, p, str(_path(store, i)),
                                  pure=False) for i, p in todo]
            for fut in as_completed(futs, loop=client.loop):
                _receive(store, fut.result())
                bar.update()
            return
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        with ProcessPoolExecutor(max_workers=n_workers) as ex:
            futs = [ex.submit(_run_point, study, i, p, str(_path(store, i)))
                    for i, p in todo]
            try:
                for fut in as_completed(futs):
                    _receive(store, fut.result())
                    bar.update()
            except BrokenProcessPool as exc:
                done = sum(1 for i, _ in todo if _path(store, i).exists())
                raise RuntimeError(
                    f"a worker process died during the sweep ({exc}); {done} of "
                    f"{len(todo)} pending points were saved in {str(store)!r}. Run the "
                    "same sweep again to compute only the missing points.") from exc
    finally:
        bar.close()


def _receive(store, record):
    path = _path(store, tuple(record["index"]))
    if not path.exists():
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
        k = k.replace("/", " per ")  # HDF5/NetCDF4 forbids '/' in variable names
        extra = [f"{k}_dim_{j}" for j in range(arr.ndim - len(shape))]
        data[k] = (dims + extra, arr)
    return xr.Dataset(data, coords=coords, attrs={"study": meta["study"]})
