"""Every case file in geometries/ is *run* at reduced size and writes the full artifact set.

The artifact set (CONTRIBUTING.md): summary.csv with a unit on every row and finite values,
at least one PNG, a VTU or a PVD time series, run.json and run.log -- and nothing written
outside the output folder. Run through the same function as the CLI
(`ntransport.studies.registry.run_case`).
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from ntransport.studies.registry import load_case, run_case

ROOT = Path(__file__).resolve().parents[2]
#: every shipped case file, by name (a new case file must be added here: see the test below)
CASE_FILES = [
    "geometries/dendrite_skeleton.yaml",
    "geometries/deposition_defect.yaml",
    "geometries/highways_host_guest.yaml",
    "geometries/image_microstructure.yaml",
    "geometries/li_inventory.yaml",
    "geometries/llzto_pma_share.yaml",
    "geometries/npp_full_cell.yaml",
    "geometries/npp_peo_vs_peomof.yaml",
    "geometries/npp_peo_vs_plm.yaml",
    "geometries/particle_composite.yaml",
    "geometries/peo_vs_plm.yaml",
    "geometries/percolation_enveloped_metal.yaml",
    "geometries/percolation_metal_interphase.yaml",
]
CASES = [ROOT / f for f in CASE_FILES]


def test_every_shipped_case_file_is_listed():
    shipped = sorted(f"geometries/{p.name}" for p in (ROOT / "geometries").glob("*.yaml"))
    assert shipped == CASE_FILES


def _vtk_arrays_finite(path: Path) -> None:
    import pyvista as pv

    grid = pv.read(path)
    for name in grid.array_names:
        a = grid[name] if name in grid.point_data or name in grid.cell_data else None
        if a is not None and np.asarray(a).dtype.kind == "f":
            assert np.all(np.isfinite(a)), f"{path.name}: {name} has NaN/inf"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_file_runs_reduced_and_writes_the_artifact_set(path, tmp_path):
    out = tmp_path / "out"
    case = load_case(path, reduced=True)
    before = set(tmp_path.rglob("*"))
    run_case(case, out, progress=False)
    written = set(tmp_path.rglob("*")) - before
    assert all(out in p.parents or p == out for p in written), "wrote outside --out"
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "run.json", "run.log"} <= names
    with (out / "summary.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "empty summary"
    for r in rows:
        assert r["unit"], f"summary row without unit: {r}"
        assert math.isfinite(float(r["value"])), f"non-finite summary value: {r}"
    assert any(n.endswith(".png") for n in names), "no figure"
    vtk = [p for p in out.iterdir() if p.suffix in (".vtu", ".pvd")]
    assert vtk, "no VTU/PVD"
    for p in vtk:
        if p.suffix == ".vtu":
            _vtk_arrays_finite(p)
        else:
            steps = sorted((out / p.stem).glob("*.vtu"))
            assert steps, f"{p.name} has no step files"
            _vtk_arrays_finite(steps[-1])
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["status"] == "ok" and info["case"]["reduced"] is True
    for p in out.rglob("*.csv"):
        text = p.read_text(encoding="utf-8").lower()
        assert "nan" not in text.replace("nano", "") and "inf," not in text, f"{p.name}: NaN/inf"
