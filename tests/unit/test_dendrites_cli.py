"""`ntransport check/run` for the phase-field dendrite study: case files, the artifact set,
and a run killed with SIGKILL and resumed from the CLI ends where an uninterrupted run
ends (to 1e-12)."""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ntransport.cli import main
from ntransport.errors import ConfigError
from ntransport.studies import load_case

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "geometries").glob("dendrite_*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shipped_cases_validate_and_check(path):
    case = load_case(path)
    assert case.kind == "dendrites"
    assert case.data["cell"]["height"] == pytest.approx(12.6e-6)
    assert main(["check", str(path)]) in (0, None)


def test_unknown_key_is_rejected_with_a_suggestion():
    with pytest.raises(ConfigError, match="Did you mean 'seed_radius'"):
        load_case({"study": "dendrites", "cell": {"seed_radus": "1 um"}})
    with pytest.raises(ConfigError, match="runs.PEO: unknown key 'skeletn'.*'skeleton'"):
        load_case({"study": "dendrites", "runs": {"PEO": {"skeletn": True}}})
    with pytest.raises(ConfigError, match="parameters.set: invalid value 'mose'.*'moose'"):
        load_case({"study": "dendrites", "parameters": {"set": "mose"}})


@pytest.mark.parametrize("cell, match", [
    ({"width": "1e-30 um"}, r"cell: the seed \(radius 1.2 um, centre at x = 5e-31 um\) must "
                            r"have its centre inside the cell's width \(1e-30 um\)"),
    ({"width": "6 um", "seed_x": "7 um"}, r"centre at x = 7 um\) must have its centre inside"),
    ({"width": "2 um", "seed_radius": "0.5 um"},
     r"skeleton: 3 filaments of 0.8 um across the 2 um cell would touch \(spacing 0.667 um\)"),
])
def test_a_cell_too_narrow_for_its_seed_or_filaments_is_named_in_case_terms(cell, match):
    """Before: the geometry layer's 'h_fine = 1.86e-07 m is larger than the box (1e-36 x
    ...); choose h_fine <= 1e-36 m' (a key the case file does not have) and a filament
    message in metres."""
    from ntransport.studies.dendrites import check

    with pytest.raises(ConfigError, match=match):
        check(load_case({"study": "dendrites", "cell": cell}))


@pytest.mark.parametrize("case, match", [
    ({"drive": {"anode_potential": "0 V"}}, r"drive.anode_potential must be < 0 V .* got 0 V"),
    ({"runs": {"PEO": {"anode_potential": "0.1 V"}}},
     r"runs.PEO.anode_potential must be < 0 V .* got 0.1 V"),
])
def test_a_drive_that_plates_nothing_is_refused(case, match):
    """At 0 V nothing plates and every 'at the common charge' number was NaN: the run
    failed in the result layer after solving."""
    from ntransport.studies.dendrites import check

    with pytest.raises(ConfigError, match=match):
        check(load_case({"study": "dendrites", **case}))


def test_a_run_without_net_plating_is_reported_without_nan(tmp_path):
    """A drive of -0.45 uV loses to the seed's curvature (the passed charge ends below 0):
    the run completes, with no '..._at_common_charge' rows and a note saying why."""
    import json

    case = tmp_path / "tiny.yaml"
    case.write_text(SMALL.replace("drive: {duration: 2 s}",
                                  "drive: {duration: 0.1 s, anode_potential: -4.5e-7 V}"))
    out = tmp_path / "out"
    assert main(["run", str(case), "--out", str(out), "-q"]) in (0, None)
    text = (out / "summary.csv").read_text(encoding="utf-8")
    assert "passed_charge_final" in text and "at_common_charge" not in text
    assert "nan" not in text.lower()
    notes = json.loads((out / "run.json").read_text())["notes"]
    assert any("no net plating" in n for n in notes)


def test_a_seed_centred_on_a_side_is_half_a_seed_and_allowed():
    from ntransport.studies.dendrites import check

    check(load_case({"study": "dendrites", "cell": {"width": "6 um", "seed_x": "0 um"},
                     "runs": {"PEO": {}}}))


SMALL = """\
study: dendrites
name: small
cell: {width: 4 um, height: 4.5 um, li_layer: 0.5 um, seed_radius: 0.8 um}
drive: {duration: 2 s}
numerics: {snapshots: 3}
runs:
  PEO: {}
"""


def _last_vtu(out: Path, key: str):
    import pyvista as pv

    files = sorted((out / key).glob("*.vtu"))
    g = pv.read(files[-1])
    return len(files), {k: np.asarray(g[k]) for k in ("xi [1]", "phi [V]", "c_Li+ [mol m-3]")}


def _cli(args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "ntransport.cli", *args], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def _wait(p, timeout):
    """``(exit code, stderr text)`` of a _cli process (read while waiting, so a full pipe
    cannot block it), its pipe closed."""
    with p:
        _, err = p.communicate(timeout=timeout)
        return p.returncode, err.decode()


def test_kill_9_then_resume_ends_at_the_uninterrupted_state(tmp_path):
    """A CLI run killed with SIGKILL after a few checkpointed steps and resumed with
    --resume writes the same final fields as a run that was never interrupted (1e-12;
    the resumed run repeats the same floating-point operations from the saved state)."""
    case = tmp_path / "small.yaml"
    case.write_text(SMALL)
    full = tmp_path / "full"
    p = _cli(["run", str(case), "--out", str(full), "-q"])
    rc, err = _wait(p, 600)
    assert rc == 0, err
    killed = tmp_path / "killed"
    p = _cli(["run", str(case), "--out", str(killed), "-q"])
    ck = killed / ".checkpoints" / "PEO.npz"
    t0 = time.time()
    while time.time() - t0 < 300:  # wait for a few steps to be checkpointed
        if ck.exists() and (killed / ".checkpoints" / "PEO-f1.npz").exists():
            break
        if p.poll() is not None:
            pytest.fail("the run finished before it could be killed; make it longer")
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    _wait(p, 60)
    assert not (killed / "summary.csv").exists()  # nothing that looks complete
    p = _cli(["run", str(case), "--out", str(killed), "--resume", "-q"])
    rc, err = _wait(p, 600)
    assert rc == 0, err
    na, a = _last_vtu(full, "PEO")
    nb, b = _last_vtu(killed, "PEO")
    assert na == nb
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-12 * max(1.0, np.abs(a[k]).max()))
    rows_a = list(csv.DictReader((full / "summary.csv").read_text(encoding="utf-8").splitlines()))
    rows_b = list(csv.DictReader((killed / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r["case"], r["quantity"]) for r in rows_a] == \
        [(r["case"], r["quantity"]) for r in rows_b]
    for ra, rb in zip(rows_a, rows_b):  # round-off-level rows (Li balance) within 1e-12
        assert float(rb["value"]) == pytest.approx(float(ra["value"]), rel=1e-9, abs=1e-12)


def test_run_reduced_writes_the_artifact_set(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(ROOT / "geometries" / "dendrite_skeleton.yaml"), "--reduced",
                 "--out", str(out), "-q"]) in (0, None)
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    tip = {r["case"]: float(r["value"]) for r in rows if r["quantity"] == "tip_height_over_cell"}
    # the reduced runs stop at 0.3 s (t+ = 0.22 is ~15 Newton iterations a step); reaching
    # the far side is tested in test_phasefield_study.py
    assert set(tip) >= {"PEO", "PEO+PE", "PEO+PE+mechanics", "PEO+PE_TableS1"}
    sweep = {r["case"] for r in rows if r["case"].startswith("sweep t+=")}
    assert sweep == {"sweep t+=1", "sweep t+=0.5", "sweep t+=0.22"}
    cmin = [float(r["value"]) for r in rows if r["quantity"] == "c_min"]
    assert cmin and min(cmin) >= -1e-12
    for name in ("dendrite_maps.png", "tip_vs_charge.png", "transference_sweep.png",
                 "dendrites.gif", "PEO.pvd", "tip_vs_charge.csv", "run.json"):
        assert (out / name).stat().st_size > 0


def test_runs_side_by_side_give_the_one_after_the_other_answer(tmp_path):
    """The reduced case with its six runs one after the other (--workers 1) and two at a
    time: the same rows; the values agree to 2e-3 relative (PARDISO on 1 vs 2 threads
    sums in another order, and the adaptive steps carry that round-off: measured worst
    7e-4, a tip velocity) or to 1e-9 absolute for round-off quantities (c_min, Li balance)."""
    outs = {}
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert main(["run", str(ROOT / "geometries" / "dendrite_skeleton.yaml"), "--reduced",
                     "--out", str(out), "-q", "--workers", str(w)]) in (0, None)
        text = (out / "summary.csv").read_text(encoding="utf-8")
        outs[w] = list(csv.DictReader(text.splitlines()))
    assert "2 at a time" in (tmp_path / "w2" / "run.log").read_text(encoding="utf-8")
    assert "at a time" not in (tmp_path / "w1" / "run.log").read_text(encoding="utf-8")
    a, b = outs[1], outs[2]
    assert [(r["case"], r["quantity"]) for r in a] == [(r["case"], r["quantity"]) for r in b]
    for ra, rb in zip(a, b):
        assert float(rb["value"]) == pytest.approx(float(ra["value"]), rel=2e-3, abs=1e-9), \
            (ra["case"], ra["quantity"])
