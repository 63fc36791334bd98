"""`ntransport check/run` on the deposition_defect case (the study kind's CLI hook)."""
from pathlib import Path

import numpy as np
import pytest

from ntransport.cli import main
from ntransport.constants import F
from ntransport.errors import ConfigError
from ntransport.studies.deposition_case import _deposition_case
from ntransport.studies.registry import load_case

CASE = Path(__file__).resolve().parents[2] / "geometries" / "deposition_defect.yaml"
V_LI = 1.29981e-5  # molar volume of Li [m3 mol-1], as used by the deposition solver


def _short_case(tmp_path) -> Path:
    """The shipped case cut to 10 min and one electrolyte (its reduced block kept)."""
    text = CASE.read_text()
    text = (text.replace("duration: 2 h", "duration: 10 min")
                .replace("snapshots: [2 min, 40 min, 80 min, 2 h]", "snapshots: [10 min]")
                .replace("electrolytes: [LPC, LPC@2%UCPBA]", "electrolytes: [LPC@2%UCPBA]")
                .replace("  frames: 7", "  frames: 3\n  h_max: 0.6 um\n  h_anode: 0.15 um")
                .replace("  h_anode: 0.1 um\n", "").replace("  h_max: 0.5 um\n", ""))
    p = tmp_path / "short.yaml"
    p.write_text(text)
    return p


def test_check_accepts_the_shipped_case(capsys):
    assert main(["check", str(CASE)]) == 0
    assert "valid 'deposition_defect' case" in capsys.readouterr().out


def test_reduced_block_only_with_ci():
    case = load_case(CASE)
    full = _deposition_case(dict(case.data), reduced=False)
    red = _deposition_case(dict(case.data), reduced=True)
    assert full.h_anode == pytest.approx(0.05e-6) and red.h_anode == pytest.approx(0.1e-6)
    assert (full.frames, red.frames) == (25, 7)
    assert full.current_density == pytest.approx(3.0)  # 0.3 mA/cm2 in A/m2
    assert red.duration == full.duration == pytest.approx(7200.0)


def test_run_reduced_into_tmp_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CI", "1")
    out = tmp_path / "out"
    assert main(["run", str(_short_case(tmp_path)), "--out", str(out), "--quiet"]) == 0
    files = {p.name for p in out.iterdir()}
    assert {"summary.csv", "history_LPC-2-UCPBA.csv", "LPC-2-UCPBA_final.vtu",
            "run.log"} <= files
    import csv

    rows = list(csv.DictReader((out / "summary.csv").open()))
    val = {r["quantity"]: float(r["value"]) for r in rows}
    # Faraday: 0.3 mA/cm2 for 600 s plates i t V_Li / F of Li; the mean front advance
    # must match it to 0.1 % (the solver's Faraday correction keeps it to ~1e-6)
    faraday_um = 3.0 * 600.0 * V_LI / F * 1e6
    assert val["mean_advance_um"] == pytest.approx(faraday_um, rel=1e-3)
    assert val["volume_balance_rel_error"] < 1e-3
    # the defect tip draws more current than the flat surface
    assert val["tip_to_flat_current_ratio_end"] > 1.0
    hist = np.genfromtxt(out / "history_LPC-2-UCPBA.csv", delimiter=",", names=True)
    assert hist["t"][-1] == pytest.approx(600.0)


def test_unknown_key_and_unknown_material(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text().replace("defect_width:", "defect_widht:"))
    with pytest.raises(ConfigError, match="unknown key 'defect_widht'.*defect_width"):
        load_case(bad)
    bad.write_text(CASE.read_text().replace("  frames: 7", "  frame: 7"))
    with pytest.raises(ConfigError, match="reduced: unknown key 'frame'"):
        load_case(bad)
    bad.write_text(CASE.read_text().replace("[LPC, LPC@2%UCPBA]", "[LCP]"))
    case = load_case(bad)
    from ntransport.studies.deposition_case import run

    with pytest.raises(ConfigError, match="unknown material 'LCP'.*LPC"):
        run(case, tmp_path / "o")


def test_bad_unit_is_reported_by_check(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text().replace("temperature: 318 K", "temperature: 318 mA"))
    with pytest.raises(ConfigError, match="temperature"):
        load_case(bad)


def test_shipped_case_runs_with_ci(tmp_path, monkeypatch):
    """The shipped file end to end (reduced block, 2 h, both electrolytes, ~6 s): Faraday
    balance for both, and the paper's conclusion -- the defect grows less in
    LPC@2%UCPBA (higher σ and t+) than in LPC (measured 0.54 vs 0.63 µm from 0.5 µm)."""
    monkeypatch.setenv("CI", "1")
    out = tmp_path / "full"
    assert main(["run", str(CASE), "--out", str(out), "--quiet"]) == 0
    import csv

    val = {(r["case"], r["quantity"]): float(r["value"])
           for r in csv.DictReader((out / "summary.csv").open())}
    faraday_um = 3.0 * 7200.0 * V_LI / F * 1e6
    for name in ("LPC", "LPC@2%UCPBA"):
        assert val[(name, "mean_advance_um")] == pytest.approx(faraday_um, rel=1e-3)
    assert (val[("LPC@2%UCPBA", "defect_height_um_end")]
            < val[("LPC", "defect_height_um_end")])
