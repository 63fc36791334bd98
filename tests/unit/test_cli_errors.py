"""The CLI's error contract: exit code 2 for bad input, 1 for a failed run, 130 for an
interrupt; one line on stderr; ``--debug`` adds the traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ntransport.cli import exit_code, main
from ntransport.errors import (ConfigError, ConvergenceError, LimitError, MeshError,
                               ResultError, SecurityError)
from ntransport.studies import conduction_case

ROOT = Path(__file__).resolve().parents[2]


def _fake_stack(layers, *, width, depth=None, mesh_size=None):
    """A 2D layered stack without gmsh (signature of geometry.layered_stack)."""
    import numpy as np
    import skfem

    from ntransport.geometry import Domain

    total = sum(t for _, t in layers)
    m = skfem.MeshTri.init_tensor(np.linspace(0, width, 4), np.linspace(0, total, 4))
    bf = m.boundary_facets()
    fc = m.p[:, m.facets[:, bf]].mean(axis=1)
    facets = {"anode": m.facets[:, bf[fc[1] < 1e-9 * total]].T,
              "cathode": m.facets[:, bf[fc[1] > total * (1 - 1e-9)]].T}
    return Domain.from_arrays(m.p.T, m.t.T, {layers[0][0]: np.arange(m.nelements)}, facets)


@pytest.fixture
def case(tmp_path, monkeypatch):
    """A one-layer conduction case on a tiny fake mesh (no gmsh)."""
    monkeypatch.setattr(conduction_case, "_builder", lambda kind: _fake_stack)

    def write(**physics):
        data = {"study": "conduction", "physics": {"voltage": "10 mV", **physics},
                "outputs": {"figures": [], "vtu": False},
                "geometry": {"type": "layered_stack", "width": "4 um",
                             "layers": [{"name": "A", "thickness": "1 um"}]},
                "materials": {"A": {"conductivity": "1 mS/cm"}}}
        p = tmp_path / "case.yaml"
        p.write_text(yaml.safe_dump(data))
        return p

    return write


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.err.strip().splitlines()


def test_success_is_0(case, tmp_path, capsys):
    code, err = _run(capsys, "run", case(), "--out", tmp_path / "o", "-q")
    assert code == 0 and err == []


def test_unknown_key_is_2_and_one_line(case, tmp_path, capsys):
    code, err = _run(capsys, "run", case(voltag="1 V"), "--out", tmp_path / "o")
    assert code == 2 and len(err) == 1
    assert err[0] == ("ntransport: error: physics: unknown key 'voltag'. Did you mean "
                      "'voltage'?")


def test_missing_mesh_file_is_2(tmp_path, capsys):
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump({"physics": {"voltage": "1 V"},
                                 "geometry": {"type": "mesh_file", "path": "no.msh"},
                                 "materials": {"A": "LLZO"}}))
    code, err = _run(capsys, "run", p, "--out", tmp_path / "o")
    assert code == 2 and len(err) == 1
    assert "mesh file" in err[0] and "no.msh' does not exist" in err[0]
    assert "FileNotFoundError; rerun with --debug for the traceback" in err[0]


def test_out_that_is_a_file_is_2(case, tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("")
    code, err = _run(capsys, "run", case(), "--out", f)
    assert code == 2 and err == [f"ntransport: error: --out {str(f)!r} is a file, not a "
                                 "folder; give a folder path (it is created if missing)."]


def test_out_that_is_read_only_is_2(case, tmp_path, capsys):
    import os

    if os.geteuid() == 0:
        target = Path("/proc/ntransport-no/out")  # not creatable even by root
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        target = ro / "out"
    code, err = _run(capsys, "run", case(), "--out", target)
    assert code == 2 and len(err) == 1
    assert f"--out {str(target)!r} is not writable" in err[0]


def test_run_failure_is_1_and_logged(case, tmp_path, capsys, monkeypatch):
    def diverge(*a, **k):
        raise ConvergenceError("Newton did not converge in 25 iterations (tried ...)")

    monkeypatch.setattr(conduction_case, "_solver", lambda: diverge)
    out = tmp_path / "o"
    code, err = _run(capsys, "run", case(), "--out", out)
    assert code == 1 and err == ["ntransport: failed: Newton did not converge in 25 "
                                 "iterations (tried ...)"]
    assert "run FAILED" in (out / "run.log").read_text()


def test_unexpected_exception_is_1_with_a_debug_hint(case, tmp_path, capsys, monkeypatch):
    def bug(*a, **k):
        raise TypeError("unsupported operand\nsecond line")

    monkeypatch.setattr(conduction_case, "_solver", lambda: bug)
    code, err = _run(capsys, "run", case(), "--out", tmp_path / "o")
    assert code == 1 and err == ["ntransport: failed: unsupported operand second line "
                                 "(TypeError; rerun with --debug for the traceback)"]


def test_debug_prints_the_traceback(case, tmp_path, capsys, monkeypatch):
    code, err = _run(capsys, "--debug", "run", case(voltag="1 V"), "--out", tmp_path / "o")
    assert code == 2 and err[0].startswith("ntransport: error: physics: unknown key")
    assert err[1] == "Traceback (most recent call last):" and "ConfigError" in err[-1]
    code, err2 = _run(capsys, "run", case(voltag="1 V"), "--out", tmp_path / "o", "--debug")
    assert code == 2 and "Traceback (most recent call last):" in err2


def test_interrupt_is_130(case, tmp_path, capsys, monkeypatch):
    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(conduction_case, "_solver", lambda: interrupt)
    out = tmp_path / "o"
    code, err = _run(capsys, "run", case(), "--out", out)
    assert code == 130 and err == ["ntransport: interrupted"]
    assert not (out / "summary.csv").exists()


def test_out_of_memory_is_1_with_advice(case, tmp_path, capsys, monkeypatch):
    def oom(*a, **k):
        raise MemoryError

    monkeypatch.setattr(conduction_case, "_solver", lambda: oom)
    code, err = _run(capsys, "run", case(), "--out", tmp_path / "o")
    assert code == 1 and "out of memory; use a coarser mesh or a smaller problem" in err[0]


@pytest.mark.parametrize("exc, code", [
    (ConfigError("x"), 2), (MeshError("x"), 2), (SecurityError("x"), 2), (LimitError("x"), 2),
    (FileNotFoundError("x"), 2), (PermissionError("x"), 2), (KeyError("x"), 2),
    (ValueError("x"), 2), (ConvergenceError("x"), 1), (ResultError("x"), 1),
    (MemoryError(), 1), (TypeError("x"), 1), (RuntimeError("x"), 1), (OSError("disk"), 1),
    (KeyboardInterrupt(), 130),
])
def test_exit_code_classification(exc, code):
    assert exit_code(exc) == code


def test_installed_entry_point_exit_codes(tmp_path):
    """The real process: argparse errors and bad input are 2, one line on stderr."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: conduction\nphysics: {temprature: 60}\n")
    env = {"PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "ntransport.cli", "check", str(bad)],
                       capture_output=True, text=True, env={**__import__("os").environ, **env})
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "unknown key 'temprature'" in r.stderr
    r = subprocess.run([sys.executable, "-m", "ntransport.cli", "frobnicate"],
                       capture_output=True, text=True, env={**__import__("os").environ, **env})
    assert r.returncode == 2 and "invalid choice: 'frobnicate'" in r.stderr
