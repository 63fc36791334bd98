"""Host-guest highways (Liu et al. 2025): interfaces carry the current.

SiO2-in-PVH, 18 x 18 um, 0.1 um interfaces at 1 S/m (= 1e-2 S/cm, the paper's
upper value), 0.1 V applied: the median current density in the interfaces is
10^2-10^3 mA/cm2 and > 3x that in PVH (paper: 10^2-10^3 vs < 10^2 mA/cm2), the
interfaces (~4 % of the area) carry > 15 % of the current, and the apparent
activation energy lies between the interface's 0.17 eV and PVH's 0.22 eV.
"""
import pytest

pytest.importorskip("ntransport.solve.conduction")
from ntransport.errors import GeometryError  # noqa: E402
from ntransport.studies.highways import apparent_activation_energy, host_guest  # noqa: E402


def test_sio2_in_pvh_interface_highways():
    r = host_guest("SiO2-in-PVH", temperatures=(298.15, 333.15))
    assert 100 < r["j_interface [mA cm-2]"] < 1000, r
    assert r["j_interface [mA cm-2]"] > 3 * r["j_pvh [mA cm-2]"], r
    assert r["share"] > 0.15, r
    ea = apparent_activation_energy(r["temperature [K]"], r["sigma_eff [S m-1]"])
    assert 0.17 < ea < 0.22, ea


def test_unknown_architecture():
    with pytest.raises(GeometryError, match="architecture 'PVH-in-SIO2' not found.*PVH-in-SiO2"):
        host_guest("PVH-in-SIO2")
