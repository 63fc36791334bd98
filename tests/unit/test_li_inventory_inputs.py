"""li_inventory case files: inputs that once crashed or exhausted memory (found by
perturbing the shipped case's numbers, tests/hostile/test_case_file_fuzz.py, and by
running the perturbed cases)."""
from pathlib import Path

import pytest
import yaml

from ntransport.cli import main
from ntransport.errors import ConfigError
from ntransport.studies.registry import check_case, load_case

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "geometries" / "li_inventory.yaml").read_text())


def _small(**protocol):
    d = {k: v for k, v in BASE.items() if k != "reduced"}
    d["protocol"] = {**d["protocol"], "duration": "2 h", **protocol}
    d["conductivity_laws"] = {"fixed": {"type": "percolation"}}
    d["interphases"] = {"MII-1": BASE["interphases"]["MII-1"]}
    d["cell"] = {**d.get("cell", {}), "working_thicknesses": ["100 um"]}
    return d


@pytest.mark.parametrize("protocol, match", [
    ({"capacity_per_half_cycle": "0 mA*h/cm^2"},  # divided by zero
     r"protocol.capacity_per_half_cycle: must be > 0, got '0 mA\*h/cm\^2'"),
    ({"rtol": 0.0}, r"protocol.rtol: must be > 0, got 0.0"),
    ({"samples_per_half_cycle": 1}, r"protocol.samples_per_half_cycle: must be >= 2, got 1"),
    ({"samples_per_half_cycle": 6_000_000},  # ran out of memory
     r"cycling protocol: 1 cycles of 2 half-cycles of 3.6e\+03 s, 6000000 samples each, are "
     r"1.2e\+07 recorded samples, above the limit of 1e\+06. Use fewer samples per "
     r"half-cycle, a shorter duration, or a smaller current / larger capacity per half-cycle; "
     r"to run it anyway, set NTRANSPORT_MAX_STEPS"),
    ({"current_density": "500000 mA/cm^2", "duration": "300 h"},  # ran out of memory
     r"cycling protocol: 1.5e\+08 cycles .* above the limit"),
])
def test_protocols_that_crashed_or_ran_out_of_memory_are_refused_by_check(protocol, match):
    with pytest.raises(ConfigError, match=match):
        check_case(load_case(_small(**protocol), name="li"))


def test_a_cell_at_the_voltage_limit_from_its_first_step_reports_no_polarisation(tmp_path,
                                                                                 capsys):
    """A 5 uV limit: every cell fails at once and has no polarisation. The summary row was
    NaN, which the result layer refuses ('a study must report a quantity it cannot compute
    as a note'): the run failed. Now the row is left out and a note names the cells."""
    import csv
    import json

    path = tmp_path / "li.yaml"
    path.write_text(yaml.safe_dump(_small(voltage_limit="5e-6 V"), sort_keys=False))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) in (0, None)
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open(encoding="utf-8")))
    assert not [r for r in rows if r["quantity"].startswith("polarisation")]
    failed = [r for r in rows if r["quantity"] == "failed (voltage limit reached)"]
    assert failed and all(float(r["value"]) == 1.0 for r in failed)
    notes = json.loads((tmp_path / "out" / "run.json").read_text())["notes"]
    assert any(n.startswith("No polarisation for fixed MII-1 100 um: the cell was at the "
                            "voltage limit from its first step") for n in notes)
