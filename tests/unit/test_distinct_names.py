"""Names from a case file that become file names (run labels, electrolyte, interphase and
scenario names) must not name the same files: two runs would overwrite each other's
checkpoints and outputs (two dendrite runs 'a/b' and 'a-b' ended in a FileNotFoundError
from the checkpoint store, half-way through the study)."""
from pathlib import Path

import pytest
import yaml

from ntransport.cli import main
from ntransport.errors import ConfigError
from ntransport.io.artifacts import distinct_slugs

ROOT = Path(__file__).resolve().parents[2]


def test_distinct_slugs_maps_names_to_file_names():
    assert distinct_slugs(["PEO/MOF", "LPC@2%UCPBA", "PEO+PE"], "runs") == {
        "PEO/MOF": "PEO-MOF", "LPC@2%UCPBA": "LPC@2pcUCPBA", "PEO+PE": "PEO+PE"}


@pytest.mark.parametrize("names, match", [
    (["a/b", "a-b"], r"runs: 'a/b' and 'a-b' would both write files named 'a-b'"),
    (["PEO", "peo"], r"'PEO' and 'peo' would write files named 'PEO' and 'peo', the same "
                     r"files on a case-insensitive file system"),
    (["x", "y", "x"], r"runs: 'x' is given 2 times in \['x', 'y', 'x'\]; rename one of them"),
])
def test_names_that_would_share_files_are_refused(names, match):
    with pytest.raises(ConfigError, match=match):
        distinct_slugs(names, "runs")


def _check(tmp_path, capsys, name, edit):
    data = yaml.safe_load((ROOT / "geometries" / f"{name}.yaml").read_text())
    edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code = main(["check", str(path)])
    return code, capsys.readouterr().err


def test_dendrite_runs_and_sweep_runs_that_share_files_are_refused_by_check(tmp_path, capsys):
    def runs(data):
        data["runs"] = {"a/b": {}, "a-b": {"skeleton": True}}
        data.pop("sweep")

    code, err = _check(tmp_path, capsys, "dendrite_skeleton", runs)
    assert code not in (0, None)
    assert "runs (with the sweep's runs): 'a/b' and 'a-b' would both write files" in err

    def sweep(data):  # a run named like the sweep's run at t+ = 0.5
        data["runs"]["PEO t+=0.5"] = {}

    code, err = _check(tmp_path, capsys, "dendrite_skeleton", sweep)
    assert code not in (0, None) and "'PEO t+=0.5' is given 2 times" in err


def test_npp_electrolytes_and_li_inventory_names_that_share_files_are_refused(tmp_path, capsys):
    def electrolytes(data):
        data["electrolytes"]["peo"] = data["electrolytes"]["PEO"]

    code, err = _check(tmp_path, capsys, "npp_peo_vs_plm", electrolytes)
    assert code not in (0, None)
    assert "electrolytes: 'PEO' and 'peo' would write files named" in err

    def interphases(data):
        data["interphases"]["MII/1"] = data["interphases"]["MII-1"]

    code, err = _check(tmp_path, capsys, "li_inventory", interphases)
    assert code not in (0, None)
    assert "interphases: 'MII-1' and 'MII/1' would both write files named 'MII-1'" in err


def test_conduction_cases_that_share_files_on_a_case_insensitive_system_are_refused(
        tmp_path, capsys):
    def cases(data):
        data["cases"]["peo"] = data["cases"]["PEO"]

    code, err = _check(tmp_path, capsys, "peo_vs_plm", cases)
    assert code not in (0, None)
    assert "cases: 'PEO' and 'peo' would write files named 'PEO' and 'peo'" in err


def test_shipped_case_files_pass_the_check():
    for name in ("dendrite_skeleton", "npp_peo_vs_plm", "li_inventory", "deposition_defect",
                 "peo_vs_plm"):
        assert main(["check", str(ROOT / "geometries" / f"{name}.yaml")]) in (0, None)


def test_a_case_without_runs_gets_the_default_runs_filled_in():
    """The default of a MapOf of sections passes through the section like given values:
    a dendrite case without `runs` failed `ntransport check` with KeyError 'parameters'."""
    from ntransport.studies import load_case

    runs = load_case({"study": "dendrites", "cell": {"width": "12.6 um"}}).data["runs"]
    assert set(runs) == {"PEO", "PEO+PE"}
    assert runs["PEO"]["skeleton"] is False and runs["PEO+PE"]["skeleton"] is True
    assert runs["PEO"]["parameters"] is None and runs["PEO"]["transference"] is None
