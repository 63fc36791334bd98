"""Sweeps: resumable after a killed worker, errors recorded, dask or local."""
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from ntransport.errors import ConfigError
from ntransport.sweep import sweep

MARKERS = "NTRANSPORT_TEST_MARKERS"


def study(a, b, seed=0):
    """Toy study: a value, a vector; raises at a = 3; leaves a completion marker."""
    if a == 3:
        raise ValueError(f"a={a} is not allowed")
    d = Path(os.environ[MARKERS])
    kill = d / "kill-once"
    if a == 2 and b == 1 and kill.exists():  # die mid-point, before completing
        kill.unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    # one marker per completed call; a second call for the same point adds another
    n = len(list(d.glob(f"done-{a}-{b}-{seed}-*")))
    (d / f"done-{a}-{b}-{seed}-{n}").touch()
    return {"y": a * 10.0 + b + seed / 100, "vec": np.array([a, b, 1.0])}


@pytest.fixture
def markers(tmp_path, monkeypatch):
    d = tmp_path / "markers"
    d.mkdir()
    monkeypatch.setenv(MARKERS, str(d))
    return d


def _counts(markers):
    counts = {}
    for f in markers.glob("done-*"):
        key = f.name.rsplit("-", 1)[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


GRID = {"a": [0, 1, 2, 3], "b": [0, 1, 2]}


def _check(ds, markers, realisations=None):
    assert ds["y"].sel(a=1, b=2).item() == pytest.approx(12.0)
    np.testing.assert_array_equal(ds["vec"].sel(a=2, b=1).values, [2, 1, 1])
    ok = ds["status"].values == "ok"
    assert ok.sum() == 9 and (ds["status"].sel(a=3).values == "error").all()
    assert "ValueError: a=3 is not allowed" in ds["error"].sel(a=3, b=0).item()
    assert np.isnan(ds["y"].sel(a=3)).all()
    counts = _counts(markers)
    assert len(counts) == 9 and set(counts.values()) == {1}, counts  # none twice


def test_local_sweep_killed_worker_then_resume(tmp_path, markers):
    (markers / "kill-once").touch()
    store = tmp_path / "store"
    # one worker: nothing else is in flight when it dies, so the count is exact
    with pytest.raises(RuntimeError, match="worker process died.*Run the same sweep again"):
        sweep(study, GRID, store=store, n_workers=1, progress=False)
    saved = len(list((store / "points").glob("p*.json")))
    assert saved == 7  # points (0,0) ... (2,0) finished before (2,1) killed its worker
    ds = sweep(study, GRID, store=store, n_workers=2, progress=False)
    _check(ds, markers)
    assert (store / "results.nc").exists()
    import xarray as xr
    with xr.open_dataset(store / "results.nc", engine="scipy") as back:  # NetCDF3
        np.testing.assert_allclose(back["y"].values, ds["y"].values)
    # a third run computes nothing
    sweep(study, GRID, store=store, n_workers=2, progress=False)
    assert set(_counts(markers).values()) == {1}


def test_dask_local_cluster_survives_killed_worker(tmp_path, markers):
    distributed = pytest.importorskip("distributed", reason="dask is the optional "
                                      "ntransport[cluster] extra")
    LocalCluster = distributed.LocalCluster

    (markers / "kill-once").touch()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        ds = sweep(study, GRID, store=tmp_path / "store",
                   scheduler=cluster.scheduler_address, progress=False)
    assert not (markers / "kill-once").exists()  # the worker really died
    _check(ds, markers)


def test_monte_carlo_realisations(tmp_path, markers):
    ds = sweep(study, {"a": [1], "b": [0]}, realisations=3, seed=5,
               store=tmp_path / "s", n_workers=1, progress=False)
    np.testing.assert_allclose(ds["y"].sel(a=1, b=0).values, [10.05, 10.06, 10.07])
    assert ds.sizes["realisation"] == 3


def test_unreachable_scheduler_fails_fast_and_starts_nothing(tmp_path):
    t = time.perf_counter()
    with pytest.raises(ConnectionError, match="tcp://127.0.0.1:9.*cannot be reached"):
        sweep(study, GRID, store=tmp_path / "s", scheduler="tcp://127.0.0.1:9",
              timeout=1.0, progress=False)
    assert time.perf_counter() - t < 15
    assert not (tmp_path / "s").exists()


def test_bad_scheduler_and_grid(tmp_path):
    with pytest.raises(ConfigError, match="scheduler must be an address"):
        sweep(study, GRID, store=tmp_path / "s", scheduler="localhost")
    with pytest.raises(ConfigError, match=r"grid\['a'\] must be a non-empty list"):
        sweep(study, {"a": []}, store=tmp_path / "s")
    with pytest.raises(ConfigError, match="realisations must be a positive integer"):
        sweep(study, GRID, store=tmp_path / "s", realisations=0)


def test_store_of_another_sweep_is_refused(tmp_path, markers):
    sweep(study, {"a": [0], "b": [0]}, store=tmp_path / "s", n_workers=1, progress=False)
    with pytest.raises(ConfigError, match="holds a different sweep"):
        sweep(study, {"a": [1], "b": [0]}, store=tmp_path / "s", progress=False)


# ------------------------------------------------------------------ hardening (issue 14)
def nan_study(a):
    """NaN at a = 1 (a silent failure), inf at a = 2, fine elsewhere."""
    return {"y": [1.0, float("nan"), float("inf"), 3.0][a], "v": np.array([a, 1.0])}


def test_nan_result_is_recorded_as_failure(tmp_path):
    ds = sweep(nan_study, {"a": [0, 1, 2, 3]}, store=tmp_path / "s", n_workers=1,
               progress=False)
    assert list(ds["status"].values) == ["ok", "error", "error", "ok"]
    assert "non-finite (NaN/inf) output(s) ['y']" in ds["error"].sel(a=1).item()
    assert np.isnan(ds["y"].sel(a=1)) and ds["y"].sel(a=3).item() == 3.0


def test_netcdf_needs_no_hdf5_and_dask_is_optional(tmp_path, monkeypatch):
    import sys

    import xarray as xr

    for mod in ("h5py", "h5netcdf", "distributed"):
        monkeypatch.setitem(sys.modules, mod, None)  # import raises ImportError
    ds = sweep(nan_study, {"a": [0, 3]}, store=tmp_path / "s", n_workers=1, progress=False)
    with xr.open_dataset(tmp_path / "s" / "results.nc", engine="scipy") as back:
        np.testing.assert_allclose(back["y"].values, ds["y"].values)
        assert list(back["status"].values) == ["ok", "ok"]
    with pytest.raises(ConfigError, match=r"needs dask\.distributed.*ntransport\[cluster\]"):
        sweep(nan_study, {"a": [0]}, store=tmp_path / "s2", scheduler="tcp://127.0.0.1:9",
              progress=False)


_RUNNER = """
import os, sys, time
sys.path.insert(0, {testdir!r})
from test_sweep import {study}
from ntransport.sweep import sweep
ds = sweep({study}, {grid!r}, store={store!r}, n_workers=2, progress=False)
print("OK", int((ds["status"].values == "ok").sum()))
"""


def slow_study(a, b):
    """0.3 s per point; one marker per call (a second call for a point adds another)."""
    d = Path(os.environ[MARKERS])
    n = len(list(d.glob(f"done-{a}-{b}-0-*")))
    (d / f"start-{os.getpid()}").touch()
    time.sleep(float(os.environ.get("NTRANSPORT_TEST_SLEEP", "0.3")))
    (d / f"done-{a}-{b}-0-{n}-{os.getpid()}").touch()
    return {"y": 10.0 * a + b}


def _spawn(tmp_path, markers, store, grid, study="slow_study", sleep="0.3"):
    import subprocess
    import sys

    code = _RUNNER.format(testdir=str(Path(__file__).parent), study=study, grid=grid,
                          store=str(store))
    env = {**os.environ, MARKERS: str(markers), "NTRANSPORT_TEST_SLEEP": sleep,
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]),
                                          os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_sweeps_on_one_store_compute_each_point_once(tmp_path, markers):
    store = tmp_path / "shared"
    grid = {"a": [0, 1, 2, 3], "b": [0, 1, 2]}
    procs = [_spawn(tmp_path, markers, store, grid) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert "OK 12" in out  # both see every point
    done = [f.name.rsplit("-", 2)[0] for f in markers.glob("done-*")]
    assert len(done) == 12 and len(set(done)) == 12, sorted(done)  # none twice
    assert not list((store / "points").glob(".tmp-*"))  # no temporary file left behind


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_killing_the_parent_leaves_no_orphaned_workers(tmp_path, markers):
    proc = _spawn(tmp_path, markers, tmp_path / "s", {"a": [0, 1, 2, 3], "b": [0]},
                  sleep="60")
    t0 = time.monotonic()
    while len(list(markers.glob("start-*"))) < 2:  # both workers busy on a point
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() - t0 < 60, "workers did not start"
        time.sleep(0.1)
    workers = [int(f.name.split("-")[1]) for f in markers.glob("start-*")]
    assert all(_alive(w) for w in workers)
    proc.kill()  # SIGKILL: no chance to clean up
    proc.wait(timeout=10)
    t1 = time.monotonic()
    while any(_alive(w) for w in workers) and time.monotonic() - t1 < 5:
        time.sleep(0.1)
    alive = [w for w in workers if _alive(w)]
    for w in alive:  # do not leave them behind even if the test fails
        os.kill(w, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their parent by 5 s"
    assert not list(markers.glob("done-*"))  # they died mid-point, nothing recorded


def test_pid_alive_probes_without_signalling():
    """The workers' watchdog probe: this process is alive, a reaped child is not (and on
    POSIX the probe is signal 0, which delivers nothing)."""
    import os
    import subprocess
    import sys

    from ntransport.sweep import _pid_alive

    assert _pid_alive(os.getpid())
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    assert not _pid_alive(p.pid)


def blas_study(a):
    """The most threads any BLAS of this worker may use."""
    from ntransport.cores import blas_thread_counts

    return {"blas": float(max(blas_thread_counts().values()))}


def test_local_workers_run_their_blas_on_one_thread(tmp_path):
    """Two workers with two BLAS threads each would spin on two cores (the percolation
    case 18-19 s against 10.5 s): the workers limit their BLAS to one thread."""
    from threadpoolctl import threadpool_limits

    from ntransport.cores import blas_thread_counts

    with threadpool_limits(2, user_api="blas"):  # what a worker would inherit without it
        # the precondition, asserted (OpenBLAS raises its count on request): without the
        # workers' own limit they would run two BLAS threads
        assert max(blas_thread_counts().values()) == 2
        ds = sweep(blas_study, {"a": [0, 1]}, store=tmp_path / "s", n_workers=2,
                   progress=False)
    assert (ds["status"].values == "ok").all()
    assert (ds["blas"].values == 1.0).all()
