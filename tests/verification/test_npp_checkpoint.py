"""kill -9 of an NPP case run from the CLI, resumed from the CLI: the final state equals an
uninterrupted run (to 1e-12; in practice bit for bit, since the checkpoint holds the BDF
history exactly as the solver holds it)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from ntransport.studies.registry import load_case, run_case

ROOT = Path(__file__).resolve().parents[2]

CASE = {
    "study": "npp_zhang",
    "name": "killme",
    "comparison": "peo_vs_peomof",
    "temperature": "60 degC",
    "concentrations": "salt",
    "width": "20 um",
    "electrolytes": {"PEO": [{"name": "PEO", "thickness": "20 um",
                              "material": "PEO/LiTFSI"}]},
    "readings": ["flux"],
    "flux_frames": [0.3, 0.6],
    "max_step": "6e-5 s",  # ~250 small steps: long enough to be killed mid-way
    "mesh": {"nx": 1, "elements_across": 12, "h0": "20 nm", "growth": 1.4},
}


def _cli(*args):
    code = "import sys; from ntransport.cli import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return [sys.executable, "-c", code, *args], env


def _last_step(out: Path, name: str):
    import pyvista as pv

    files = sorted((out / name).glob("*.vtu"))
    grid = pv.read(files[-1])
    return {k: np.asarray(grid.point_data[k]) for k in grid.point_data.keys()}


def test_kill_9_then_resume_from_the_cli_matches_an_uninterrupted_run(tmp_path):
    case_file = tmp_path / "killme.yaml"
    case_file.write_text(yaml.safe_dump(CASE))
    ref = tmp_path / "ref"
    run_case(load_case(case_file), ref, progress=False)

    out = tmp_path / "killed"
    cmd, env = _cli("run", str(case_file), "--out", str(out), "-q")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ckpt = out / ".checkpoints" / "flux_PEO.npz"
    deadline = time.time() + 120
    step = 0
    try:
        while time.time() < deadline and proc.poll() is None:
            if ckpt.exists():
                try:
                    with np.load(ckpt) as z:
                        step = int(z["step"])
                except (OSError, ValueError, KeyError, EOFError):
                    step = 0  # caught between the rename and the read
                if step >= 25:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "summary.csv").exists()  # nothing that looks complete
    assert ckpt.exists() or ckpt.with_name("flux_PEO.prev.npz").exists()

    cmd, env = _cli("run", str(case_file), "--out", str(out), "--resume", "-q")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resumed from the checkpoint" in (out / "run.log").read_text()

    a, b = _last_step(ref, "flux_PEO"), _last_step(out, "flux_PEO")
    assert set(a) == set(b)
    for k in a:
        scale = max(np.max(np.abs(a[k])), 1e-300)
        assert np.max(np.abs(a[k] - b[k])) <= 1e-12 * scale, k
    ha = np.genfromtxt(ref / "flux_PEO_history.csv", delimiter=",", skip_header=1)
    hb = np.genfromtxt(out / "flux_PEO_history.csv", delimiter=",", skip_header=1)
    assert ha.shape == hb.shape
    # columns: t, dt, Newton iterations, conservation error (round-off, ~1e-18), V_cell
    assert np.allclose(ha, hb, rtol=1e-12, atol=1e-15)
    from ntransport.io.tables import SummaryTable

    sa, sb = SummaryTable.from_csv(ref / "summary.csv"), SummaryTable.from_csv(out / "summary.csv")
    assert [(r.case, r.quantity, r.region, r.unit) for r in sa] == [
        (r.case, r.quantity, r.region, r.unit) for r in sb]
    for ra, rb in zip(sa, sb):  # round-off measures (uniformity, conservation) at 1e-16
        assert rb.value == pytest.approx(ra.value, rel=1e-9, abs=1e-14), ra.quantity


def test_resume_without_checkpoints_is_a_clear_error(tmp_path):
    case_file = tmp_path / "killme.yaml"
    case_file.write_text(yaml.safe_dump(CASE))
    cmd, env = _cli("run", str(case_file), "--out", str(tmp_path / "none"), "--resume", "-q")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--resume: no checkpoints" in done.stderr
