"""Host-guest case file (Liu et al. 2025) runs the two-scale model end to end.

The physics checks (Hashin limit, homogenisation consistency, calibration, ranking,
activation energy) are in test_host_guest_two_scale.py; here the ``host_guest`` study
of geometries/highways_host_guest.yaml runs at reduced size (one micro seed).
"""
from pathlib import Path

import pytest
import yaml

pytest.importorskip("ntransport.solve.conduction")
from ntransport.errors import ConfigError  # noqa: E402
from ntransport.studies.highways import LIU_2025  # noqa: E402
from ntransport.studies.registry import get_study, load_case  # noqa: E402

CASE = Path(__file__).resolve().parents[2] / "geometries" / "highways_host_guest.yaml"


def test_host_guest_case_calibrates_and_ranks(tmp_path):
    data = yaml.safe_load(CASE.read_text())
    data.update(seeds=[0], temperatures=["25 degC", "80 degC"])
    table = get_study("host_guest").run(load_case(data), tmp_path)
    v = {(r.case, r.quantity): r.value for r in table.rows}
    inv = v[("PVH-in-SiO2", "effective conductivity at 298.15 K")]
    conv = v[("SiO2-in-PVH", "effective conductivity at 298.15 K")]
    # calibrated to the measured 1.32 mS/cm (Brent tolerance 1e-3 on log sigma_i)
    assert inv == pytest.approx(LIU_2025["sigma_PVH-in-SiO2"], rel=2e-3)
    assert inv > 1.5 * conv > 1.5 * LIU_2025["sigma_pvh"]
    # one seed: the calibrated interface is within ~3 % of the 3-seed 1.95 S/m
    assert 1.7 < v[("interface", "sigma_interface at 25 degC")] < 2.2
    assert v[("PVH-in-SiO2", "effective conductivity at 353.15 K")] > 2 * inv
    assert v[("PVH-in-SiO2", "median |j| in interfaces")] > 3 * v[("PVH-in-SiO2",
                                                                  "median |j| in PVH")]


def test_unknown_architecture_in_case():
    data = yaml.safe_load(CASE.read_text())
    data["architectures"] = ["PVH-in-SIO2"]
    with pytest.raises(ConfigError, match="invalid value 'PVH-in-SIO2'.*PVH-in-SiO2"):
        load_case(data)
