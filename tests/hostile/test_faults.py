"""Faults: a kill during a checkpoint write, a failed rerun into an old output folder,
resuming with the wrong checkpoints, two runs on one output folder."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ntransport.errors import ConfigError, SecurityError
from ntransport.solve.checkpoint import CheckpointStore, load_checkpoint, save_checkpoint
from ntransport.solve.stepping import StepperState

from .conftest import base_case, set_path

ROOT = Path(__file__).resolve().parents[2]


def _state(step, n=1000):
    u = np.full(n, float(step))
    return StepperState(t=0.1 * step, u=u, dt=0.01, step=step, t_prev=0.1 * (step - 1),
                        u_prev=u - 1.0)


# ------------------------------------------------------------ checkpoint killed mid-write
_WRITER = r"""
import os, sys, time, signal
from pathlib import Path
import numpy as np
sys.path.insert(0, {root!r})
from ntransport.solve.checkpoint import save_checkpoint
from ntransport.solve.stepping import StepperState
path, stage, marker = Path({path!r}), {stage!r}, Path({marker!r})
def state(step, n):
    u = np.full(n, float(step))
    return StepperState(t=0.1 * step, u=u, dt=0.01, step=step, t_prev=0.1 * (step - 1),
                        u_prev=u - 1.0)
save_checkpoint(path, state(1, 1000), model="test")          # a complete checkpoint
def stall(*a, **k):
    marker.write_text(str(os.getpid()))
    time.sleep(60)                                           # killed here
if stage == "fsync":        # the new data is in the .tmp file, not yet durable
    os.fsync = stall
elif stage == "rename":     # the old checkpoint moved to .prev, the new not yet in place
    real = Path.replace
    def replace(self, target):
        out = real(self, target)
        if str(target).endswith(".prev.npz"):
            stall()
        return out
    Path.replace = replace
save_checkpoint(path, state(2, 2_000_000), model="test")    # 16 MB: killed mid-write
print("not killed")
"""


@pytest.mark.parametrize("stage", ["fsync", "rename"])
def test_kill_during_checkpoint_write_leaves_the_previous_one_usable(tmp_path, stage):
    path, marker = tmp_path / "ck.npz", tmp_path / "stalled"
    code = _WRITER.format(root=str(ROOT), path=str(path), stage=stage, marker=str(marker))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() - t0 < 25, "writer never reached the stall point"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # kill -9 in the middle of the write
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    st, extra = load_checkpoint(path, with_extra=True)
    assert st.step == 1 and st.u.size == 1000 and np.all(st.u == 1.0)  # the previous one
    assert st.t == pytest.approx(0.1) and extra["model"] == "test"
    # and the run can go on checkpointing over the debris
    save_checkpoint(path, _state(3), model="test")
    assert load_checkpoint(path).step == 3


def test_truncated_newest_checkpoint_falls_back_to_the_previous(tmp_path, caplog):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, _state(1))
    save_checkpoint(path, _state(2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])  # a disk that lost the tail
    assert load_checkpoint(path).step == 1
    assert "unreadable" in caplog.text


def test_no_usable_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "ck.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ConfigError, match=r"no usable checkpoint at .*ck\.npz: ck\.npz: "
                                          r"BadZipFile.*ck\.prev\.npz: missing"):
        load_checkpoint(path)


@pytest.mark.parametrize("key", ["../escape", "/abs", ".hidden", "a/b", "", "x" * 200])
def test_checkpoint_keys_cannot_leave_the_folder(tmp_path, key):
    store = CheckpointStore(tmp_path / "ck")
    with pytest.raises(SecurityError, match="checkpoint key .* cannot be used as a file name"):
        store.save(key, _state(1))
    assert not (tmp_path / "escape.npz").exists()


# ------------------------------------------------------------ failed rerun: no stale results
def test_failed_rerun_leaves_no_stale_results_and_logs_the_error(case_file, cli, tmp_path):
    out = tmp_path / "out"
    code, _, err = cli("run", case_file(base_case()), "--out", out, "-q")
    assert code == 0, err
    first = {p.name for p in out.iterdir()}
    assert {"summary.csv", "run.json", "run.log", "stack.vtu", "potential_profile.png"} <= first
    bad = set_path(base_case(), "cases.stack.geometry.path", "gone.msh")  # fails in the run
    code, _, err = cli("run", case_file(bad, "bad.yaml"), "--out", out, "-q")
    assert code == 2 and "mesh file" in err and "gone.msh" in err and "does not exist" in err
    left = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert left == {"run.log"}, left  # nothing that looks complete
    log = (out / "run.log").read_text()
    assert "run FAILED" in log and "gone.msh" in log and "no results were written" in log
    assert not (out / ".partial").exists()


@pytest.mark.parametrize("theirs", ["notes.txt", "summary.csv", "stack"])
def test_a_folder_holding_the_users_own_files_is_refused_untouched(case_file, cli, tmp_path,
                                                                   theirs):
    """A run replaces its results by name: into a folder with the user's own
    ``summary.csv``, or a folder ``stack/`` where the run's solution ``stack`` goes, it
    overwrote or deleted them (``shutil.rmtree`` at the commit). Such a folder is refused
    before anything is written there, dot-files aside (no artifact starts with a dot)."""
    out = tmp_path / "theirs"
    out.mkdir()
    (out / ".hidden").write_text("a dot-file: never an artifact's name")
    target = out / theirs
    if theirs == "stack":
        target.mkdir()
        (target / "data.txt").write_text("the user's own data")
    else:
        target.write_text("the user's own file")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    code, _, err = cli("run", case_file(base_case()), "--out", out, "-q")
    assert code == 2
    assert f"--out {str(out)!r} holds {theirs!r}, which no ntransport run wrote there" in err
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # not even a lock
    # the folder of an earlier run (its manifest) is not refused, nor is a failed run's log
    code, _, err = cli("run", case_file(base_case()), "--out", tmp_path / "ok", "-q")
    assert code == 0, err
    (tmp_path / "ok" / "run.log").write_text("a failed run's log")
    code, _, err = cli("run", case_file(base_case()), "--out", tmp_path / "ok", "-q")
    assert code == 0, err


def test_tampered_manifest_cannot_delete_outside_the_folder(case_file, cli, tmp_path):
    out = tmp_path / "out"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out.mkdir()
    (out / ".ntransport-manifest").write_text('["../victim.txt", "/etc/hostname", ".", ""]')
    code, _, err = cli("run", case_file(base_case()), "--out", out, "-q")
    assert code == 0, err
    assert victim.read_text() == "precious" and out.is_dir()


def test_resume_refuses_checkpoints_of_another_case(case_file, tmp_path):
    from ntransport.studies.registry import load_case, run_case

    out = tmp_path / "out"
    (out / ".checkpoints").mkdir(parents=True)
    (out / ".checkpoints" / "case.json").write_text(
        '{"study": "npp_zhang", "name": "other", "reduced": false, "resolved_SI": {}}')
    case = load_case(case_file(base_case()))
    with pytest.raises(ConfigError, match=r"--resume: the checkpoints in .* belong to another "
                                          r"run \(case 'other', study 'npp_zhang'\)"):
        run_case(case, out, progress=False, resume=True)
    assert not (out / "summary.csv").exists()


def test_resume_without_checkpoints_is_a_clear_error(case_file, cli, tmp_path):
    code, _, err = cli("run", case_file(base_case()), "--out", tmp_path / "o", "--resume")
    assert code == 2 and "--resume: no checkpoints in" in err


def test_two_runs_cannot_write_one_output_folder_at_once(case_file, tmp_path):
    from ntransport.io.artifacts import RunFolder

    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, %r)\n"
         "from ntransport.io.artifacts import RunFolder\n"
         "rf = RunFolder(%r).open(); print('locked', flush=True); time.sleep(60)"
         % (str(ROOT), str(out))], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=r"is in use by another ntransport run \(pid "
                                              rf"{holder.pid}\)"):
            RunFolder(out).open()
    finally:
        holder.kill()
        holder.wait()
    with RunFolder(out) as rf:  # the kernel released the lock with the dead process
        assert rf.partial.is_dir()


def test_gmsh_does_not_make_a_broken_pipe_kill_the_process():
    """gmsh.initialize() resets SIGPIPE; after a gmsh session a write to a closed pipe
    (a sweep's dead worker) must raise BrokenPipeError, not end Python with code 141."""
    code = ("import os, sys; sys.path.insert(0, %r)\n"
            "from ntransport.geometry.gmsh_io import gmsh_session\n"
            "with gmsh_session():\n    pass\n"
            "r, w = os.pipe(); os.close(r)\n"
            "try:\n    os.write(w, b'x')\nexcept BrokenPipeError:\n    print('raised')\n"
            % str(ROOT))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "raised", (r.returncode, r.stderr)
