"""Material dataclass, Nernst-Einstein, Arrhenius, parameter-set library."""
import dataclasses
import math

import pytest

from ntransport import materials
from ntransport.constants import F, R
from ntransport.errors import MaterialError
from ntransport.materials import Material, Solid


def test_nernst_einstein_by_hand():
    # sigma = 0.036 S/m, t+ = 0.6, c = 1000 mol/m3, T = 298.15 K:
    # R T / F^2 = 8.314462618 * 298.15 / 96485.33212^2 = 2.66283e-7 m2 V / (C mol^-1 ... )
    # D_total = sigma R T / (F^2 c) = 0.036 * 2.66283e-7 / 1000 = 9.58620e-12 m2/s
    m = Material("X", 0.036, T_ref=298.15, transference=0.6, salt_concentration=1000.0)
    dp, dm = m.diffusivities()
    hand = 0.036 * 8.314462618 * 298.15 / (96485.33212**2 * 1000.0)
    assert hand == pytest.approx(9.5862e-12, rel=1e-4)
    assert dp == pytest.approx(0.6 * hand, rel=1e-14)
    assert dm == pytest.approx(0.4 * hand, rel=1e-14)
    # and the sum recovers the conductivity: sigma = F^2 c (D+ + D-) / (R T)
    assert F**2 * 1000.0 * (dp + dm) / (R * 298.15) == pytest.approx(0.036, rel=1e-14)


def test_arrhenius_ratio_and_prefactor():
    ea = materials.ev_to_j_per_mol(0.24)
    m = Material("X", "0.36 mS/cm", T_ref="25 degC", activation_energy="0.24 eV")
    assert m.activation_energy == pytest.approx(ea, rel=1e-12)
    T1, T2 = 298.15, 333.15
    expected = math.exp(-ea / R * (1 / T2 - 1 / T1))
    # hand value: Ea/R = 2785.09 K, 1/298.15 - 1/333.15 = 3.5236e-4 1/K -> exp(0.98136)
    assert expected == pytest.approx(2.6681, rel=1e-4)
    assert m.conductivity(T2) / m.conductivity(T1) == pytest.approx(expected, rel=1e-13)
    # sigma = A exp(-Ea/RT) gives the same numbers
    A = m.prefactor
    assert A * math.exp(-ea / (R * T2)) == pytest.approx(m.conductivity(T2), rel=1e-13)
    m2 = Material.from_prefactor("Y", A, "0.24 eV", T_ref=298.15)
    assert m2.conductivity() == pytest.approx(0.036, rel=1e-13)
    # diffusivities follow sigma(T) and T
    d1 = sum(m.diffusivities(T1))
    d2 = sum(m.diffusivities(T2))
    assert d2 / d1 == pytest.approx(expected * T2 / T1, rel=1e-13)


def test_unknown_activation_energy_refuses_other_temperatures():
    m = materials.get("LPC")
    assert m.conductivity(m.T_ref) == m.conductivity_ref
    with pytest.raises(MaterialError, match=r"LPC: activation energy unknown.*T = 333\.15 K"):
        m.conductivity(333.15)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"conductivity_ref": -1.0}, r"conductivity_ref must be > 0 S/m, got -1\.0"),
        ({"conductivity_ref": "0.36 mS"}, r"expected a conductivity like '0\.36 mS/cm'"),
        ({"transference": 1.0}, r"t\+ must lie strictly between 0 and 1, got 1\.0"),
        ({"transference": 0.0}, r"strictly between 0 and 1"),
        ({"salt_concentration": 0.0}, r"salt_concentration must be > 0 mol/m3"),
        ({"T_ref": -5.0}, r"T_ref must be > 0 K"),
        ({"activation_energy": -1.0}, r"activation_energy must be >= 0 J/mol"),
        ({"activation_energy": "330000 eV"},  # overflowed exp() in conductivity(T)
         r"activation_energy = 3\.3e\+05 eV \(3\.18e\+07 kJ/mol\) is above any ion "
         r"conductor's \(0\.1-1\.5 eV; at most 5 eV accepted\)"),
        ({"permittivity": 0.0}, r"permittivity must be > 0"),
    ],
)
def test_validation_errors(kw, match):
    base = dict(name="X", conductivity_ref=0.01)
    with pytest.raises(MaterialError, match=match):
        Material(**{**base, **kw})


def test_temperature_argument_validated():
    with pytest.raises(MaterialError, match=r"T must be > 0 K"):
        materials.get("PVH").conductivity(-10.0)


def test_frozen_and_with_returns_new_object():
    m = materials.get("PVH")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.transference = 0.5
    m2 = m.with_(transference=0.5)
    assert m2.transference == 0.5 and m.transference == pytest.approx(0.46 / 2.4)
    assert m2.with_(conductivity_ref="1 mS/cm").conductivity_ref == pytest.approx(0.1)
    with pytest.raises(MaterialError, match=r"field 'conductivty' not found.*'conductivity_ref'"):
        m.with_(conductivty=1.0)
    with pytest.raises(MaterialError, match="strictly between 0 and 1"):
        m.with_(transference=1.5)


def test_every_parameter_set_constructs_and_cites():
    names = materials.available()
    assert len(names) >= 16
    for name in names:
        m = materials.get(name)
        assert m.name == name
        assert len(m.citation) > 20, name
        if isinstance(m, Material):
            assert m.conductivity() > 0
            dp, dm = m.diffusivities()
            assert dp > 0 and dm > 0
    assert materials.get(names[0]) is not materials.get(names[0])  # fresh objects


@pytest.mark.parametrize(
    ("name", "mS_per_cm", "t_plus", "ea_ev", "T_c"),
    [
        ("LPC", 0.12, 0.42, None, 25.0),
        ("LPC@2%UCPBA", 0.36, 0.60, 0.24, 25.0),
        ("LPC@2%SCPBA", 0.029, 0.27, None, 25.0),
        ("PVH", 0.37, 0.46 / 2.4, 0.22, 25.0),
        ("SiO2-in-PVH", 0.59, 0.46 / 1.4, None, 25.0),
        ("PVH-in-SiO2", 1.32, 0.46, 0.17, 25.0),
        ("SiO2/PVH interface", 10.0, 0.46, 0.26, 30.0),
        ("PMA", 0.07, 0.435, 0.501, 20.0),
        ("LLZTO", 0.016, 0.520, 0.369, 20.0),
        ("LLZTO-PMA", 0.266, 0.621, 0.331, 20.0),
        ("PEO/LiTFSI", 0.1, 0.22, None, 60.0),
    ],
)
def test_paper_numbers(name, mS_per_cm, t_plus, ea_ev, T_c):
    m = materials.get(name)
    assert m.conductivity() == pytest.approx(mS_per_cm * 0.1, rel=1e-12)
    assert m.transference == pytest.approx(t_plus, rel=1e-12)
    assert m.T_ref == pytest.approx(273.15 + T_c, rel=1e-14)
    if ea_ev is None:
        assert m.activation_energy is None
    else:
        assert m.activation_energy == pytest.approx(ea_ev * 96485.332, rel=1e-6)
    assert materials.LLZTO_PMA_INTERFACIAL_SHARE == 0.1235


def test_pe_separator_is_bruggeman_of_peo_and_llzo_near_single_ion():
    peo = materials.get("PEO/LiTFSI")
    pe = materials.get("PE/PEO")
    assert pe.conductivity() == pytest.approx(peo.conductivity() * 0.4**1.5, rel=1e-14)
    assert materials.get("LLZO").transference == 0.99
    assert "single-ion" in materials.get("LLZO").note


def test_plm_stack_is_12_6_um():
    layers = materials.plm_stack()
    assert sum(t for _, t, _ in layers) == pytest.approx(12.6e-6, rel=1e-12)
    for _, _, mat in layers:
        assert isinstance(materials.get(mat), Material)
    assert materials.peo_stack()[0][1] == pytest.approx(12.6e-6)


def test_solids():
    li = materials.get("Li")
    assert isinstance(li, Solid)
    assert (li.molar_mass, li.density, li.youngs_modulus) == (6.941e-3, 534.0, 4.9e9)
    assert li.molar_volume == pytest.approx(1.29981e-5, rel=1e-5)
    assert materials.get("PEO (mechanical)").youngs_modulus == 12.6e6
    with pytest.raises(MaterialError, match="molar volume needs"):
        materials.get("PEO (mechanical)").molar_volume
    with pytest.raises(MaterialError, match="density must be > 0"):
        Solid("bad", density=-1.0)


def test_lookup_is_case_insensitive_and_suggests():
    assert materials.get("pvh-in-sio2").name == "PVH-in-SiO2"
    with pytest.raises(MaterialError, match=r"'pvh-in-sio' not found\. Did you mean 'PVH-in-SiO2'"):
        materials.get("pvh-in-sio")
    assert materials.get("PVH", transference=0.3).transference == 0.3


def test_register_rejects_duplicates():
    with pytest.raises(MaterialError, match="already registered"):
        materials.register("LPC")(lambda: None)
