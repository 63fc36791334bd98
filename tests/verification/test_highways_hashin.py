"""Coated particles in a periodic cell vs the Hashin equivalent particle (dilute limit, 2D).

One coated disk centred in a square cell with insulating sides = the periodic
square array (mirror symmetry). At outer fraction f ~ 0.08 the Rayleigh correction to
Maxwell Garnett is O(f^4) ~ 5e-5, so the remaining difference is FEM discretisation
(P1, mesh t/3 on a 0.3 um shell): 0.5 % tolerance. The 3D case is in
test_highways_host_guest.py.
"""

import pytest

pytest.importorskip("ntransport.solve.conduction")
from ntransport.errors import GeometryError  # noqa: E402
from ntransport.post.effective import coated_sphere_split  # noqa: E402
from ntransport.studies.highways import (coated_cell, coated_sphere_conductivity,  # noqa: E402
                                         maxwell_garnett)


@pytest.mark.parametrize("sc,ss", [(10.0, 100.0), (10.0, 0.05)])  # highway / barrier shell
def test_coated_cell_matches_hashin_maxwell_garnett(sc, ss):
    r = coated_cell(8e-6, 1e-6, 0.3e-6, sigma_core=sc, sigma_shell=ss, sigma_matrix=1.0)
    assert r["sigma_eff"] == pytest.approx(r["hashin_mg"], rel=5e-3), r


def test_hashin_limits():
    # no shell contrast -> the core alone; thin shell -> core; c -> 0 -> shell
    assert coated_sphere_conductivity(5.0, 5.0, 1.0, 2.0) == pytest.approx(5.0)
    assert coated_sphere_conductivity(5.0, 1.0, 1.0, 1.0) == pytest.approx(5.0)
    assert coated_sphere_conductivity(5.0, 2.0, 1e-4, 1.0, dim=2) == pytest.approx(2.0, rel=1e-6)
    assert maxwell_garnett(1.0, 1.0, 0.3, dim=3) == pytest.approx(1.0)
    # thin conducting skin on an insulating core: sigma_eq -> 2 t sigma_s / a (3D)
    assert coated_sphere_conductivity(1e-12, 1e3, 1.0, 1.001) == pytest.approx(2.0, rel=2e-3)


def test_shell_share_of_a_coated_sphere():
    # uniform material: the field is uniform, the shell carries its volume share
    share, ec = coated_sphere_split(3.0, 3.0, 1.0, 1.2)
    assert ec == pytest.approx(1.0, rel=1e-12)
    assert share == pytest.approx(1 - 1 / 1.2 ** 3, rel=1e-12)
    # insulating core: everything through the shell
    assert coated_sphere_split(1e-15, 1.0, 1.0, 1.1)[0] == pytest.approx(1.0, rel=1e-9)


def test_bad_shells():
    with pytest.raises(GeometryError, match="shell is thicker than the particle spacing"):
        coated_cell(2e-6, 0.8e-6, 0.3e-6, sigma_core=1, sigma_shell=1, sigma_matrix=1)
    with pytest.raises(GeometryError, match="outer_radius=0.5 must be >= core_radius=1.0"):
        coated_sphere_conductivity(1.0, 1.0, 1.0, 0.5)
