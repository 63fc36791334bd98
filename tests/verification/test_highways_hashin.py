"""Coated particles in a periodic cell vs the Hashin equivalent particle (dilute limit).

One coated disk centred in a square cell with insulating sides = the periodic
square array (mirror symmetry). At outer fraction f ~ 0.08 the Rayleigh
correction to Maxwell Garnett is O(f^4) ~ 5e-5, so the remaining difference is
FEM discretisation (P1, mesh t/3 on a 0.3 um shell): 0.5 % tolerance.
"""

import pytest

pytest.importorskip("ntransport.solve.conduction")
from ntransport.errors import GeometryError  # noqa: E402
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
    assert maxwell_garnett(1.0, 1.0, 0.3) == pytest.approx(1.0)


def test_bad_shells():
    with pytest.raises(GeometryError, match="shell is thicker than the particle spacing"):
        coated_cell(2e-6, 0.8e-6, 0.3e-6, sigma_core=1, sigma_shell=1, sigma_matrix=1)
    with pytest.raises(GeometryError, match="outer_radius=0.5 must be >= core_radius=1.0"):
        coated_sphere_conductivity(1.0, 1.0, 1.0, 0.5)
