"""Deposition study facade: case file parsing and a short run."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ntransport.constants import F
from ntransport.errors import ConfigError
from ntransport.studies.deposition import electrolyte_for, load_case, run_case

CASE = Path(__file__).resolve().parents[2] / "geometries" / "deposition_defect.yaml"


def test_case_file_matches_paper():
    case = load_case(CASE)
    assert (case.width, case.height) == pytest.approx((5e-6, 3e-6))
    assert case.temperature == pytest.approx(318.0)
    assert case.current_density == pytest.approx(3.0)  # 0.3 mA/cm2 in A/m2
    assert case.duration == pytest.approx(7200.0)
    assert (case.alpha_a, case.alpha_c) == (0.5, 0.5)
    assert case.electrolytes == ("LPC", "LPC@2%UCPBA")
    assert load_case(CASE, reduced=True).h_anode > case.h_anode


def test_electrolytes_as_a_whole():
    lpc = electrolyte_for("LPC", temperature=318.0)
    ucp = electrolyte_for("LPC@2%UCPBA", temperature=318.0)
    assert lpc.conductivity == pytest.approx(0.012) and lpc.transference == 0.42
    assert ucp.conductivity == pytest.approx(0.036) and ucp.transference == 0.60
    assert ucp.diffusivity > lpc.diffusivity


def test_unknown_key_and_bad_unit(tmp_path):
    text = CASE.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("defect_height:", "defect_hieght:"))
    with pytest.raises(ConfigError, match="unknown key 'defect_hieght'. Did you mean 'defect_height'"):
        load_case(bad)
    bad.write_text(text.replace("temperature: 318 K", "temperature: 318 mA"))
    with pytest.raises(ConfigError, match="temperature"):
        load_case(bad)


def test_short_run_records_history_and_balance():
    case = dataclasses.replace(load_case(CASE, reduced=True), duration=600.0,
                               snapshots=(0.0, 600.0), frames=3, h_anode=0.15e-6,
                               h_max=0.6e-6)
    run = run_case(case, "LPC@2%UCPBA")
    assert sorted(run.snapshots) == [0.0, 600.0]
    assert len(run.frames) == 3
    h = run.history
    assert h["t"][-1] == pytest.approx(600.0)
    assert np.all(np.diff(h["t"]) > 0)
    # mean advance equals Faraday's law (0.3 mA/cm2 for 600 s) to 0.1 %
    assert h["y_mean"][-1] == pytest.approx(3.0 * 600.0 * 1.29981e-5 / F, rel=1e-3)
    s = run.summary()
    assert s["steps"] == run.steps > 0 and s["volume_balance_rel_error"] < 1e-3
