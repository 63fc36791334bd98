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
    with xr.open_dataset(store / "results.nc", engine="h5netcdf") as back:
        np.testing.assert_allclose(back["y"].values, ds["y"].values)
    # a third run computes nothing
    sweep(study, GRID, store=store, n_workers=2, progress=False)
    assert set(_counts(markers).values()) == {1}


def test_dask_local_cluster_survives_killed_worker(tmp_path, markers):
    from distributed import LocalCluster

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
