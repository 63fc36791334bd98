"""Inverse problem: recover a known interphase conductivity from synthetic data.

Synthetic data: LLZTO-like particles (5.3 vol %, r = 1 um, 0.1 um shells) in a
16 r box, sigma_i = 50 sigma_polymer, FEM share and composite sigma. Inverting
the share on the same placements must return sigma_i within 5 % (the root is
bracketed to 1e-4 in log sigma_i, so the error is the FEM share noise only ->
~0.01 %); with sigma_composite given and a polymer guess off by 2x, both the
interphase and the polymer conductivity are recovered.
"""
import pytest

pytest.importorskip("ntransport.solve.conduction")
from ntransport.errors import ConfigError  # noqa: E402
from ntransport.studies.interfacial_share import (build, forward, infer_interphase,  # noqa: E402
                                                  weight_to_volume_fraction)

VF = weight_to_volume_fraction(0.2, rho_filler=5.4e3, rho_matrix=1.2e3)
SP, SL, TRUTH = 0.007, 0.0016, 0.35  # S/m: polymer, LLZTO, interphase (= 50 sigma_p)
GEOM = dict(volume_fraction=VF, radius=1e-6, box_radii=16)


def _data(seed):
    d = build(seed, shell_thickness=0.1e-6, **GEOM)
    return forward(d, TRUTH, sigma_matrix=SP, sigma_particle=SL)


def test_volume_fraction_of_20_wt_percent():
    assert VF == pytest.approx(0.0526, abs=1e-4)


def test_recovers_interphase_conductivity_within_5_percent():
    s_c, share = _data(0)
    inf = infer_interphase(share, sigma_polymer=SP, sigma_particle=SL,
                           thicknesses=[0.1e-6], seeds=[0], **GEOM)
    assert inf.sigma_interphase[0, 0] == pytest.approx(TRUTH, rel=0.05)
    assert inf.sigma_composite[0, 0] == pytest.approx(s_c, rel=0.01)


def test_recovers_polymer_and_interphase_from_composite_sigma():
    s_c, share = _data(1)
    inf = infer_interphase(share, sigma_polymer=2 * SP, sigma_particle=SL,
                           sigma_composite=s_c, thicknesses=[0.1e-6], seeds=[1], **GEOM)
    assert inf.sigma_interphase[0, 0] == pytest.approx(TRUTH, rel=0.05)
    assert inf.sigma_polymer[0, 0] == pytest.approx(SP, rel=0.05)
    assert list(inf.admissible(0.5 * SP, 1.5 * SP)) == [0.1e-6]


def test_share_out_of_reach():
    with pytest.raises(ConfigError, match="share=0.95 is outside what the interphase can carry"):
        infer_interphase(0.95, sigma_polymer=SP, sigma_particle=SL, thicknesses=[0.1e-6],
                         seeds=[0], **GEOM)
    with pytest.raises(ConfigError, match=r"share must lie in \(0, 1\), got 1.2"):
        infer_interphase(1.2, sigma_polymer=SP, sigma_particle=SL, thicknesses=[0.1e-6],
                         seeds=[0], **GEOM)
