"""Parameter sets and the one nondimensionalisation function of the phase-field model."""
import math

import pytest

from ntransport.constants import F, R
from ntransport.errors import MaterialError
from ntransport.physics.phasefield_params import (PEO_T_PLUS, TABLE_S1_PRINTED,
                                                  interface_energy, interface_length,
                                                  interface_width,
                                                  moose_normalised_parameters,
                                                  nondimensionalise, salt_conductivity,
                                                  table_s1_parameters, thin_interface,
                                                  zhang2024_table_s1)


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


@pytest.mark.parametrize("attr, symbol, printed", TABLE_S1_PRINTED,
                         ids=[row[1] for row in TABLE_S1_PRINTED])
def test_table_s1_printed_value_round_trips(attr, symbol, printed):
    """Every value printed in Table S1 (parsed with its unit by pint) is exactly the
    value of the parameter set, in SI."""
    from ntransport.units import ureg

    q = ureg().Quantity(printed)
    si = q.to_base_units().magnitude if not q.dimensionless else q.magnitude
    p = zhang2024_table_s1()
    assert getattr(p, attr) == pytest.approx(si, rel=1e-12)
    assert zhang2024_table_s1 is table_s1_parameters


def test_table_s1_implications_are_stated():
    """Interface length sqrt(2 kappa0/W) = 11.5 um (10-90 % width 25.4 um: wider than
    the 12.6 um cell), interfacial energy sqrt(2 kappa0 W)/6 = 0.72 J/m2, and the note
    says so."""
    p = zhang2024_table_s1()
    ell = math.sqrt(2 * p.kappa0 / p.W)
    assert ell == pytest.approx(11.547e-6, rel=1e-4)
    assert 2 * math.atanh(0.8) * ell > 12.6e-6
    assert interface_energy(p) == pytest.approx(0.7217, rel=1e-3)
    assert "11.5 um" in p.note and "25.4 um" in p.note and "0.722 J m-2" in p.note
    assert p.E_metal == 4.9e9 and p.E_electrolyte == 12.6e6 and p.beta == 0.5


def test_thin_interface_keeps_the_sharp_interface_physics():
    """Scaling to a 0.5 um interface keeps the interfacial energy, the curvature mobility
    L_sigma kappa0, the exchange-current factor L_eta ell, transport and temperature."""
    p = zhang2024_table_s1()
    q = thin_interface(p, interface_length=0.5e-6)
    ell_p, ell_q = (math.sqrt(2 * x.kappa0 / x.W) for x in (p, q))
    assert ell_q == pytest.approx(0.5e-6, rel=1e-12)
    assert interface_energy(q) == pytest.approx(interface_energy(p), rel=1e-12)
    assert q.L_sigma * q.kappa0 == pytest.approx(p.L_sigma * p.kappa0, rel=1e-12)
    assert q.L_eta * ell_q == pytest.approx(p.L_eta * ell_p, rel=1e-12)
    assert (q.D_l, q.D_e, q.sigma_e, q.T) == (p.D_l, p.D_e, p.sigma_e, p.T)
    assert "s = 23.09" in q.note


def test_binary_salt_conductivity():
    """F^2 D_l c0/(RT t+): the Li+-only Nernst-Einstein value over t+."""
    p = zhang2024_table_s1()
    assert salt_conductivity(p) == pytest.approx(p.sigma_l / 0.22, rel=1e-12)
    s = moose_normalised_parameters(t_plus=1.0)
    assert salt_conductivity(s) == pytest.approx(s.sigma_l, rel=3e-3)  # 1.19 is rounded
    with pytest.raises(MaterialError, match=r"t_plus .* must lie in \(0, 1\], got 0"):
        moose_normalised_parameters(t_plus=0.0)


def test_peo_transference_matches_the_materials_library():
    from ntransport.materials import get

    assert PEO_T_PLUS == get("PEO/LiTFSI").transference
