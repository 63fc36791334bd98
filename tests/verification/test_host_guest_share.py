"""LLZTO-PMA (Li et al. 2026): the 3D joint fit recovers a known interphase from synthetic
data made by the same forward model; infeasible targets are reported, never NaN."""
import math

import pytest

from ntransport.studies.interfacial_share import (LI_2026, build, forward, joint_fit,
                                                  weight_to_volume_fraction)

VF = weight_to_volume_fraction(0.2, rho_filler=5.45, rho_matrix=1.2)
POLY, LLZ = (0.02, 0.45), (0.0016, 0.369)  # (S/m at 20 degC, eV)
T1, T2 = LI_2026["T_range"]
K = 8.617333262e-5


@pytest.fixture(scope="module")
def comp():
    return build(volume_fraction=VF, radius=("lognormal", 0.5e-6, 0.15e-6), thickness=50e-9,
                 n_particles=50, seed=4, mesh_size=0.45e-6)


def _arr(s, ea, T):
    return s * math.exp(-ea / K * (1 / T - 1 / T1))


def test_volume_fraction_of_20_wt_percent():
    assert VF == pytest.approx((0.2 / 5.45) / (0.2 / 5.45 + 0.8 / 1.2), rel=1e-12)


def test_joint_fit_recovers_synthetic_interphase_within_one_percent(comp):
    assert comp.n >= 50
    s_true, ea_true = 0.5, 0.20  # S/m, eV
    s1 = forward(comp, sigma_polymer=POLY[0], sigma_llzto=LLZ[0], sigma_interphase=s_true)[0]
    s2 = forward(comp, sigma_polymer=_arr(*POLY, T2), sigma_llzto=_arr(*LLZ, T2),
                 sigma_interphase=_arr(s_true, ea_true, T2))[0]
    ea_app = -K * math.log(s2 / s1) / (1 / T2 - 1 / T1)
    # brackets of 3 decades and 1e-4 on log sigma / Ea: Brent converges well inside 1 %
    fit = joint_fit(comp, sigma_target=s1, ea_target=ea_app, polymer=POLY, llzto=LLZ,
                    bracket=(1.0, 1e3), ea_bracket=(0.0, 0.6), xtol=1e-4)
    assert fit.feasible
    assert fit.sigma_i == pytest.approx(s_true, rel=0.01)
    assert fit.ea_i == pytest.approx(ea_true, rel=0.01)
    shares = fit.shares
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    assert 0 < shares["interphase"] < 1


def test_unreachable_targets_are_reported_not_nan(comp):
    fit = joint_fit(comp, sigma_target=10 * POLY[0], ea_target=0.3, polymer=POLY, llzto=LLZ)
    assert not fit.feasible and "out of reach" in fit.reason
    assert fit.sigma_range[1] < 10 * POLY[0] and math.isfinite(fit.sigma_eff)
