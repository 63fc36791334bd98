"""`ntransport check/run` on the deposition_defect case; kill -9 and --resume."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ntransport.cli import main
from ntransport.studies.registry import load_case, run_case

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "geometries" / "deposition_defect.yaml"


def test_check_accepts_the_shipped_case(capsys):
    assert main(["check", str(CASE)]) == 0
    assert "valid 'deposition_defect' case" in capsys.readouterr().out
    assert main(["check", str(CASE), "--reduced"]) == 0


@pytest.mark.parametrize(("old", "new", "match"), [
    ("temperature: 318 K", "temperature: 318 mA", "temperature"),
    ("snapshots: [2 min, 40 min, 80 min, 2 h]", "snapshots: [2 min, 3 h]",
     r"snapshots\[1\]: 10800 s lies outside \[0, duration = 7200 s\]"),
    ("electrolytes: [LPC, LPC@2%UCPBA]", "electrolytes: [LCP]", "unknown material 'LCP'"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, old, new, match):
    import re

    bad = tmp_path / "bad.yaml"
    text = CASE.read_text()
    assert old in text
    bad.write_text(text.replace(old, new))
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ntransport: error:") and re.search(match, err), err


def _last_frame(out: Path, stem: str):
    import pyvista as pv

    steps = sorted((out / stem).glob("*.vtu"))
    return pv.read(steps[-1])


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path):
    """The reduced case run by the CLI in a subprocess is killed (SIGKILL) once the
    first two runs of the study (side by side, in child processes) both have a
    checkpoint; `ntransport run --resume` continues them; every final field and history
    matches an uninterrupted run to 1e-12."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "ntransport.cli", "run", str(CASE), "--reduced", "--quiet",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ck = out / ".checkpoints"
    deadline = time.time() + 600
    try:
        cited = ("LPC@2pcUCPBA", "LPC")
        while time.time() < deadline:  # until runs 1 and 2 (the cited ones) have started
            have = [k for k in cited if (ck / f"{k}.npz").exists()]
            if len(have) == 2:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            pytest.fail("no checkpoint of the second run appeared")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "summary.csv").exists()  # nothing that looks complete
    import json

    from ntransport.solve.checkpoint import load_checkpoint

    # at least one of the two was killed mid-run (the other may have finished already on
    # a loaded machine: both runs take a few seconds; which one cannot be told from the
    # order the checkpoints were seen in when both appeared between two polls)
    reached = {}
    for k in cited:
        _, extra = load_checkpoint(ck / f"{k}.npz", with_extra=True)
        reached[k] = json.loads(extra["run_state"])["t"]
        assert 0 < reached[k] <= 1200.0
    assert min(reached.values()) < 1200.0, reached  # the resume has work to do
    res = subprocess.run(cmd + ["--resume"], env=_env(), capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, res.stderr
    ref = tmp_path / "ref"
    run_case(load_case(CASE, reduced=True), ref, progress=False)
    for stem in ("LPC", "LPC@2pcUCPBA", "LPC_i0_30mAcm2", "LPC@2pcUCPBA_i0_30mAcm2"):
        a, b = _last_frame(out, stem), _last_frame(ref, stem)
        np.testing.assert_allclose(a.points, b.points, rtol=1e-12, atol=1e-18)
        for name in ("c_Li+ [mol m-3]", "phi [V]"):
            np.testing.assert_allclose(a.point_data[name], b.point_data[name], rtol=1e-12,
                                       atol=1e-12 * np.abs(b.point_data[name]).max())
        ha = np.genfromtxt(out / f"{stem}_history.csv", delimiter=",", names=True)
        hb = np.genfromtxt(ref / f"{stem}_history.csv", delimiter=",", names=True)
        assert ha.shape == hb.shape
        for col in ("t_s", "defect_height_m", "cell_voltage_V"):
            np.testing.assert_allclose(ha[col], hb[col], rtol=1e-9)  # CSV: 10 digits
