"""The percolation study's FEM grid is bounded in check (3e6 voxels per radius reached
numpy as 'broadcast dimensions too large' in every FEM point)."""
from pathlib import Path

import pytest
import yaml

from ntransport.errors import ConfigError
from ntransport.studies.registry import check_case, load_case

CASE = Path(__file__).resolve().parents[3] / "geometries" / "percolation_metal_interphase.yaml"


@pytest.mark.parametrize("fem, match", [
    ({"voxels_per_radius": 3_000_000},
     r"fem voxel grid \(box 8 x voxels_per_radius 3000000\): shape \(24000000, 24000000, "
     r"24000000\) = 1.38e\+22 voxels .* Use a smaller fem.box or fewer fem.voxels_per_radius"),
    ({"voxels_per_radius": 0}, r"fem.voxels_per_radius >= 1, got 8.0 and 0"),
    ({"box": -8.0}, r"fem.box must be > 0"),
    ({"workers": 2_000_000},  # started worker processes until the test's 180 s timer
     r"fem.workers = 2000000 is more than 4x the \d+ usable cores"),
    ({"workers": 0}, r"fem.workers: must be >= 1, got 0"),
])
def test_fem_grids_that_cannot_be_solved_are_refused_by_check(fem, match):
    data = yaml.safe_load(CASE.read_text())
    data["fem"].update(fem)
    with pytest.raises(ConfigError, match=match):
        check_case(load_case(data, name="perc"))


def test_an_enveloped_case_without_shells_runs_to_its_notes(tmp_path):
    """threshold.shell: 0 (plain overlapping particles) gives threshold rows without an
    estimator record; the headline note read one and the run failed with KeyError
    'estimate' after the sampling."""
    from ntransport.studies.registry import run_case

    path = CASE.parent / "percolation_enveloped_metal.yaml"
    data = yaml.safe_load(path.read_text())
    data["threshold"]["shell"] = 0.0
    result = run_case(load_case(data, name="perc", reduced=True), tmp_path / "out",
                      progress=False)
    assert any(n.startswith("Headline threshold of overlapping") for n in result.notes)
