"""FEM conductivity per realisation agrees with graph connectivity (Su et al. setting).

Overlapping disks (12 radii box) meshed by `particle_composite(overlap=True)`,
sigma_M = 1, sigma_NM = 1e-6 S/m, solved by `solve_conduction`. A realisation
whose particle graph joins anode and cathode carries sigma_eff >= 1e-2 sigma_M
(a metal path of at least a neck's width), one that does not stays below
1e3 sigma_NM (insulator plus the particles' shortcut of the insulating path).
"""
import pytest

pytest.importorskip("ntransport.solve.conduction")
from ntransport.studies.percolation_gmsh import realisation  # noqa: E402


@pytest.mark.parametrize("vf,seed", [(0.55, 0), (0.65, 0), (0.65, 1), (0.8, 1)])
def test_fem_conducts_iff_graph_spans(vf, seed):
    r = realisation(vf, seed=seed, dim=2, box_radii=12.0)
    s = r["sigma_rel"]
    if r["spans"]:
        assert s > 1e-2, r
    else:
        assert s < 1e-3, r
    assert 0.4 < r["volume_fraction"] < 0.95
