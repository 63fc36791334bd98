"""Parameter sets and the one nondimensionalisation function of the phase-field model."""
import math

import pytest

from ntransport.constants import F, R
from ntransport.errors import MaterialError
from ntransport.physics.phasefield_params import (interface_length, interface_width,
                                                  moose_normalised_parameters,
                                                  nondimensionalise, table_s1_parameters)


def test_table_s1_values_and_citation():
    p = table_s1_parameters()
    assert (p.L_sigma, p.W, p.L_eta, p.kappa0) == (2.5e-6, 3.75e5, 1.0, 2.5e-5)
    assert (p.D_e, p.D_l, p.sigma_e, p.alpha, p.T) == (7.5e-13, 2.5e-10, 1e7, 0.5, 300.0)
    assert "Table S1" in p.citation
    # sigma_l from Nernst-Einstein for D_l, c0
    assert p.sigma_l == pytest.approx(F ** 2 * p.D_l * p.c0 / (R * p.T), rel=1e-12)


def test_moose_set_values():
    s = moose_normalised_parameters()
    assert (s.kappa0, s.L_sigma, s.L_eta, s.W, s.f) == (0.3, 6.25, 0.001, 2.4, 38.69)
    assert (s.sigma_e, s.sigma_l) == (1e6, 1.19)
    assert "Hong" in s.citation
    # nF/RT at 300 K is what the normalised set quotes (4 significant digits)
    assert s.f == pytest.approx(F / (R * 300.0), rel=1e-3)


def test_nondimensionalise_preserves_physical_groups():
    p = table_s1_parameters(delta=0.02)
    l0, t0 = 2e-6, 1e-3
    s = nondimensionalise(p, length=l0, time=t0, energy=1e5, conductivity=0.5)
    # interface length sqrt(2 kappa/W) scales with l0
    assert interface_length(s) * l0 == pytest.approx(
        math.sqrt(2 * p.kappa0 * (1 - 0.02) ** 2 / p.W), rel=1e-12)
    # Allen-Cahn relaxation rate L_sigma W and reaction rate L_eta scale with t0
    assert s.L_sigma * s.W / t0 == pytest.approx(p.L_sigma * p.W, rel=1e-12)
    assert s.L_eta / t0 == pytest.approx(p.L_eta, rel=1e-12)
    assert s.D_l * l0 ** 2 / t0 == pytest.approx(p.D_l, rel=1e-12)
    # Faraday velocity v = i/(nFc_s): scaled i = i_SI l0/(sigma0 * 1 V), v_scaled = i/Gamma
    i_si = 10.0  # A m-2
    v_scaled = (i_si * l0 / 0.5) / s.gamma
    assert v_scaled * l0 / t0 == pytest.approx(i_si / (F * p.c_s), rel=1e-12)
    assert s.cs_c0 == pytest.approx(p.c_s / p.c0)


def test_nondimensionalise_defaults():
    p = table_s1_parameters()
    s = nondimensionalise(p, length=1e-6)
    assert s.W == pytest.approx(1.0) and s.D_l == pytest.approx(1.0)
    assert s.sigma_l == pytest.approx(1.0) and s.time == pytest.approx(1e-12 / p.D_l)


def test_interface_width_is_10_90_width_of_tanh():
    s = moose_normalised_parameters()
    ell = interface_length(s)
    assert ell == pytest.approx(0.5)
    xi = lambda x: 0.5 * (1 - math.tanh(x / ell))  # noqa: E731
    w = interface_width(s)
    assert xi(-w / 2) == pytest.approx(0.9) and xi(w / 2) == pytest.approx(0.1)


def test_bad_parameters():
    with pytest.raises(MaterialError, match=r"delta must lie in .*= \[0, 0.06667\) for omega=4.0"):
        moose_normalised_parameters(delta=0.1)
    with pytest.raises(MaterialError, match="kappa0 must be finite and > 0, got -1"):
        moose_normalised_parameters(kappa0=-1)
    with pytest.raises(MaterialError, match=r"alpha must lie in \[0.0, 1.0\]"):
        moose_normalised_parameters(alpha=1.5)
    with pytest.raises(ValueError, match="length must be finite and > 0, got 0"):
        nondimensionalise(table_s1_parameters(), length=0)
