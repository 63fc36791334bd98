"""Unit strings -> SI floats (ntransport.units)."""
import pytest

from ntransport.constants import E_CHARGE, N_A
from ntransport.errors import ConfigError
from ntransport.units import KINDS, format_si, to_si


@pytest.mark.parametrize(
    ("text", "kind", "si"),
    [
        ("0.36 mS/cm", "conductivity", 0.036),          # 1 mS/cm = 0.1 S/m
        ("1e-2 S cm^-1", "conductivity", 1.0),
        ("12.6 um", "length", 12.6e-6),
        ("12.6 µm", "length", 12.6e-6),                 # micro sign
        ("12.6 μm", "length", 12.6e-6),                 # Greek mu
        ("60 degC", "temperature", 333.15),
        ("60 °C", "temperature", 333.15),
        ("300 K", "temperature", 300.0),
        ("0.3 mA/cm^2", "current_density", 3.0),        # 1 mA/cm2 = 10 A/m2
        ("2 h", "time", 7200.0),
        ("1 mol/L", "concentration", 1000.0),
        ("1 M", "concentration", 1000.0),
        ("10 mV", "voltage", 0.01),
        ("25 ohm*cm^2", "resistance_area", 25e-4),
        ("4.9 GPa", "pressure", 4.9e9),
        ("6.941 g/mol", "molar_mass", 6.941e-3),
        ("534 kg/m^3", "density", 534.0),
        ("23 kJ/mol", "molar_energy", 23e3),
    ],
)
def test_conversions_are_exact(text, kind, si):
    # pint multiplies by exact decimal factors: agreement to rounding error
    assert to_si(text, kind) == pytest.approx(si, rel=1e-12)


def test_electronvolt_per_particle_becomes_joule_per_mole():
    # E_molar = E * e * N_A: 0.24 eV -> 23.156 kJ/mol
    assert to_si("0.24 eV", "molar_energy") == pytest.approx(0.24 * E_CHARGE * N_A, rel=1e-12)
    assert to_si("0.24 eV", "molar_energy") == pytest.approx(23156.48, rel=1e-6)


def test_bare_numbers_are_si_and_dimensionless_accepts_plain_strings():
    assert to_si(12.6e-6, "length") == 12.6e-6
    assert to_si(3, "voltage") == 3.0
    assert to_si("0.3", "dimensionless") == 0.3


def test_wrong_dimension_names_key_value_and_example():
    with pytest.raises(ConfigError, match=r"PEO\.conductivity: expected a conductivity like "
                                          r"'0\.36 mS/cm', got '0\.36 mS'"):
        to_si("0.36 mS", "conductivity", name="PEO.conductivity")
    with pytest.raises(ConfigError, match=r"expected a length like '12\.6 um', got '5 s'"):
        to_si("5 s", "length")


@pytest.mark.parametrize("bad", ["abc", "", "um 12", True, None, [1], float("nan")])
def test_unparsable_values(bad):
    with pytest.raises(ConfigError, match="expected a length"):
        to_si(bad, "length", name="x")


def test_unknown_unit_and_unknown_kind():
    with pytest.raises(ConfigError, match=r"unknown unit 'furlongz'.*expected a length"):
        to_si("3 furlongz", "length")
    with pytest.raises(ValueError, match=r"unknown quantity kind 'lenght'.*'length'"):
        to_si("3 m", "lenght")
    with pytest.raises(ConfigError, match="expected a temperature"):
        to_si("300", "temperature")           # a unit string without unit is ambiguous


def test_format_si_and_every_kind_example_parses():
    assert format_si(0.036, "conductivity") == "0.036 S/m"
    for k in KINDS.values():
        to_si(k.example, k.name)             # each error-message example is valid input
