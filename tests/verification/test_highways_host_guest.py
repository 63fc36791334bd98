"""Host-guest highways (Liu et al. 2025): composition, Hashin limit, drive independence,
calibration round trip.

The case file itself runs at reduced size in tests/examples/test_case_files.py.
"""
import math

import numpy as np
import pytest

from ntransport.errors import ConfigError, MaterialError
from ntransport.studies import host_guest_homogenisation as hg
from ntransport.studies.highways import coated_cell, current_statistics


def test_salt_inclusive_volume_fractions_match_hand_calculation():
    # SiO2 : PVDF-HFP : LiTFSI = 70 : 100 : 100 g with 2.20, 1.78, 1.33 g/cm3
    v = {"SiO2": 70 / 2.20, "PVH": 100 / 1.78, "LiTFSI": 100 / 1.33}
    assert hg.volume_fractions(hg.WEIGHTS["PVH-in-SiO2"])["SiO2"] == pytest.approx(
        v["SiO2"] / sum(v.values()), rel=1e-12)
    v2 = {"SiO2": 20 / 2.20, "PVH": 100 / 1.78, "LiTFSI": 100 / 1.33}
    assert hg.volume_fractions(hg.WEIGHTS["SiO2-in-PVH"])["SiO2"] == pytest.approx(
        v2["SiO2"] / sum(v2.values()), rel=1e-12)
    # without the salt the SiO2 fraction nearly doubles: 0.362 instead of 0.195
    no = hg.volume_fractions(hg.WEIGHTS["PVH-in-SiO2"], count_salt=False)["SiO2"]
    assert no == pytest.approx((70 / 2.2) / (70 / 2.2 + 100 / 1.78), rel=1e-12)
    # ... and cannot fit between touching spheres that leave ~0.43 of the volume
    assert not hg.host_state("x", no, 0.57).feasible
    assert hg.host_state("x", 0.195, 0.57).feasible
    with pytest.raises(ConfigError, match="no density for \\['Al2O3'\\]"):
        hg.volume_fractions({"Al2O3": 1.0, "PVH": 1.0})


def test_hashin_coated_sphere_dilute_3d_within_one_percent():
    """One coated sphere centred in a cube = the simple cubic array (mirror symmetry).

    Outer fraction 4/3 pi (0.24/1.2)^3 = 0.034: the array's Rayleigh correction to Maxwell
    Garnett is O(f^(10/3)) ~ 1e-5; the rest is P1 discretisation of the shell (mesh
    shell/2): 1 % tolerance. Highway shell (100x the matrix) and barrier shell."""
    for ss in (100.0, 0.02):
        r = coated_cell(1.2e-6, 0.2e-6, 0.04e-6, sigma_core=5.0, sigma_shell=ss,
                        sigma_matrix=1.0, dim=3, mesh_size=0.035e-6)
        assert r["sigma_eff"] == pytest.approx(r["hashin_mg"], rel=0.01), r
        assert abs(r["sigma_eff"] - 1.0) > 0.02  # the shell matters at this contrast


def test_interface_to_pvh_ratio_is_independent_of_the_drive():
    from ntransport.geometry.host_guest import section_composite, sphere_packing
    from ntransport.solve.conduction import solve_conduction

    slab = sphere_packing((6e-6, 6e-6, 5.8e-6), seed=3)
    dom = section_composite(slab, interphase_thickness=30e-9, mesh_size=0.5e-6)
    sig = {"PVH": 0.037, "SiO2 host": 0.1, "interphase": 5.0}
    r1 = current_statistics(solve_conduction(dom, sig, current=1.0 * 6e-6))
    r2 = current_statistics(solve_conduction(dom, sig, current=137.0 * 6e-6))
    assert r1["ratio"] == pytest.approx(r2["ratio"], rel=1e-9)
    assert r1["interphase"]["q"][50] * 137.0 == pytest.approx(r2["interphase"]["q"][50],
                                                              rel=1e-9)
    assert r1["ratio"] > 3  # the interphase is a highway


def test_voxel_calibration_round_trip_and_out_of_reach():
    """A response table inverted at its own data returns the interphase conductivity."""
    from ntransport.geometry.host_guest import sphere_packing

    parts = sphere_packing((6e-6,) * 3, seed=2)
    vox = hg.VoxelHostGuest(parts, 0.3e-6)
    host = hg.host_state("PVH-in-SiO2", 0.195, float(vox.fractions["PVH"]))
    resp = vox.response(host, 20e-9, [1.0, 10.0, 100.0, 1000.0])
    x_true = 37.0
    F = vox.solve(*vox.conductivities(host, 20e-9, 1.0, x_true)).sigma_eff
    # PCHIP in log-log over a decade per node: within 3 % of the FEM
    assert resp(x_true) == pytest.approx(F, rel=0.03)
    assert resp.inverse(float(resp(x_true))) == pytest.approx(x_true, rel=1e-6)
    with pytest.raises(MaterialError, match="out of reach"):
        resp.inverse(10 * resp.F[-1])


def test_ema_limits():
    assert hg.ema_2d(1.0, 7.0, 1.0) == pytest.approx(7.0)
    assert hg.ema_2d(0.0, 7.0, 1.0) == pytest.approx(1.0)
    # 2D EMA threshold 1/2 (insulating partner), 3D at 1/3
    assert hg.ema_2d(0.49, 1.0, 1e-12) < 1e-6 < hg.ema_2d(0.51, 1.0, 1e-12)
    assert hg.ema_3d(0.32, 1.0, 1e-12) < 1e-6 < hg.ema_3d(0.35, 1.0, 1e-12)
    assert math.isclose(hg.apparent_activation_energy([300.0, 350.0],
                                                      hg.arrhenius(1.0, 0.3, np.array(
                                                          [300.0, 350.0]))), 0.3)
