"""`ntransport check/run` for the phase-field skeleton study (reduced size under CI)."""
import csv

import pytest

from ntransport.cli import main
from ntransport.errors import ConfigError
from ntransport.studies import load_case

CASE = "geometries/dendrite_skeleton.yaml"


@pytest.fixture
def repo(monkeypatch):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    return root


def test_shipped_cases_validate(repo):
    for name in ("dendrite_skeleton", "dendrite_slow_skeleton"):
        case = load_case(repo / "geometries" / f"{name}.yaml")
        assert case.kind == "dendrites"


def test_unknown_key_is_rejected_with_a_suggestion():
    with pytest.raises(ConfigError, match="Did you mean 'seed_radius'"):
        load_case({"study": "dendrites", "seed_radus": 1.0})


def test_run_reduced_grows_a_dendrite_and_writes_outputs(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert main(["run", CASE, "--out", str(tmp_path), "-q"]) in (0, None)
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    length = {r["case"]: float(r["value"]) for r in rows if r["quantity"] == "final_length"}
    # the seed (1.2 um) on a 0.5 um foil grows to > 2 um in both cases of the reduced run
    assert set(length) == {"PEO", "PEO+PE"} and min(length.values()) > 2e-6
    for name in ("dendrite_maps.png", "dendrite_histories.png", "dendrites.gif", "PEO.pvd"):
        assert (tmp_path / name).stat().st_size > 0


def test_mechanics_on_records_a_stress_map_per_snapshot(repo, tmp_path):
    from dataclasses import replace

    from ntransport.physics.phasefield_mechanics import Mechanics
    from ntransport.post.phasefield_figures import plot_maps
    from ntransport.studies.dendrites import load_case as load_dendrites
    from ntransport.studies.dendrites import run_case

    case = replace(load_dendrites(repo / CASE).reduced(), t_end=0.004, mechanics=Mechanics())
    run = run_case(case, skeleton=False)
    assert len(run.stress) == len(run.snapshots) >= 2
    assert run.stress[0].shape == run.snapshots[0][1].shape
    assert abs(run.stress[-1]).max() > 1e5  # deposition strains the electrolyte (Pa)
    png = plot_maps([run], tmp_path / "maps.png")
    assert png.stat().st_size > 0
