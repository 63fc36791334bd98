"""Case files of the percolation / highways / interfacial-share kinds validate and run."""
from pathlib import Path

import pytest
import yaml

from ntransport.errors import ConfigError
from ntransport.studies.registry import get_study, load_case

GEOM = Path(__file__).resolve().parents[2] / "geometries"
FILES = ["percolation_metal_interphase.yaml", "percolation_enveloped_metal.yaml",
         "llzto_pma_share.yaml", "highways_host_guest.yaml"]


@pytest.mark.parametrize("name", FILES)
def test_case_files_validate(name):
    case = load_case(GEOM / name)
    assert case.kind in {"percolation", "interfacial_share", "host_guest"}


def test_percolation_case_runs_reduced(tmp_path):
    data = yaml.safe_load((GEOM / "percolation_metal_interphase.yaml").read_text())
    data.update(dim=2, aspect_ratios=[1.0, 4.0], box_radii=[16.0], realisations=30)
    case = load_case(data)
    table = get_study("percolation").run(case, tmp_path)
    phi = {r.case: r.value for r in table.rows if r.quantity == "metal fraction at threshold"}
    # median over 30 realisations at L = 16 radii (16 long semi-axes for AR 4):
    # sd of the median ~0.02 in phi; elongated particles percolate much earlier
    assert phi["AR1_L16"] > phi["AR4_L64"] + 0.1, phi
    assert abs(phi["AR1_L16"] - 0.6763) < 0.05, phi


def test_unknown_key_rejected():
    data = yaml.safe_load((GEOM / "percolation_enveloped_metal.yaml").read_text())
    data["aspect_ratio"] = 2.0
    with pytest.raises(ConfigError, match="unknown key 'aspect_ratio'.*aspect_ratios"):
        load_case(data)
