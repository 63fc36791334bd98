"""Unit strings -> SI floats, converted once at the edge (case files, parameter sets).

Everything inside ntransport is SI: metres, seconds, kelvin, mol/m3, S/m, A/m2, V,
J/mol. Case files and parameter sets may write ``"0.36 mS/cm"``, ``"12.6 um"``,
``"60 degC"``, ``"0.3 mA/cm^2"``, ``"0.24 eV"`` or ``"2 h"``; :func:`to_si` turns such a
string into the SI float for the expected *kind* of quantity and raises a
:class:`~ntransport.errors.ConfigError` naming the key, the value and an example of
what was expected.

A bare number (``12.6e-6``) is taken as already in SI units -- except where a bare
number is ambiguous and almost surely meant in another unit (:data:`BARE_PLAUSIBLE`):
a bare temperature below 200 K (``temperature: 60`` is 60 degC, not 60 K) and a bare
length of 1 m or more (``width: 20`` is 20 um, not 20 m) are refused with the unit to
write. Temperatures below absolute zero are refused whatever the unit.

Activation energies may be given per particle (``"0.24 eV"``) or per mole
(``"23 kJ/mol"``); both become J/mol, E_molar = E_particle * N_A.

Examples
--------
>>> to_si("0.36 mS/cm", "conductivity")
0.036
>>> round(to_si("60 degC", "temperature"), 2)
333.15
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from .constants import N_A
from .errors import ConfigError, suggest

__all__ = ["Kind", "KINDS", "BARE_PLAUSIBLE", "to_si", "format_si", "ureg"]


@dataclass(frozen=True)
class Kind:
    """A kind of physical quantity: its SI unit and an example for error messages."""

    name: str
    si_unit: str  # pint-parsable SI unit
    example: str
    label: str  # unit as shown in outputs ("S/m")


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("length", "m", "12.6 um", "m"),
        Kind("area", "m**2", "1 cm^2", "m2"),
        Kind("conductivity", "S/m", "0.36 mS/cm", "S/m"),
        Kind("conductance_area", "S/m**2", "1e4 S/cm^2", "S/m2"),
        Kind("resistance_area", "ohm*m**2", "25 ohm*cm^2", "ohm m2"),
        Kind("temperature", "K", "60 degC", "K"),
        Kind("voltage", "V", "10 mV", "V"),
        Kind("current_density", "A/m**2", "0.3 mA/cm^2", "A/m2"),
        Kind("current", "A", "1 mA", "A"),
        Kind("concentration", "mol/m**3", "1 mol/L", "mol/m3"),
        Kind("molar_energy", "J/mol", "0.24 eV", "J/mol"),
        Kind("time", "s", "2 h", "s"),
        Kind("diffusivity", "m**2/s", "1e-11 m^2/s", "m2/s"),
        Kind("pressure", "Pa", "4.9 GPa", "Pa"),
        Kind("density", "kg/m**3", "534 kg/m^3", "kg/m3"),
        Kind("molar_mass", "kg/mol", "6.941 g/mol", "kg/mol"),
        Kind("dimensionless", "", "0.3", "1"),
    )
}

#: kind -> (lowest, highest plausible bare SI number, the unit the user almost surely meant)
BARE_PLAUSIBLE: dict[str, tuple[float | None, float | None, str]] = {
    "temperature": (200.0, None, "degC"),
    "length": (None, 1.0, "um"),
}

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_ALIASES = {"°C": "degC", "℃": "degC", "°F": "degF", "Ω": "ohm", "µ": "u", "μ": "u"}


@functools.lru_cache(maxsize=1)
def ureg():
    """The shared pint registry (created lazily: pint is only needed at the edge)."""
    import pint

    return pint.UnitRegistry()


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ValueError(f"unknown quantity kind {kind!r}.{suggest(kind, KINDS)}")
    return KINDS[kind]


def _expected(k: Kind, name: str | None, value) -> ConfigError:
    where = f"{name}: " if name else ""
    article = "an" if k.name[0] in "aeiou" else "a"
    return ConfigError(
        f"{where}expected {article} {k.name.replace('_', ' ')} like {k.example!r}, got {value!r}."
    )


def to_si(value, kind: str, *, name: str | None = None) -> float:
    """Convert *value* (number or unit string) to a float in the SI unit of *kind*.

    Parameters
    ----------
    value : float, int or str
        ``12.6e-6`` (taken as SI) or ``"12.6 um"``.
    kind : str
        One of :data:`KINDS` (``"length"``, ``"conductivity"``, ``"temperature"``...).
    name : str, optional
        Key path used in error messages (``"materials.PEO.conductivity"``).

    Raises
    ------
    ConfigError
        Unparsable string, unknown unit, or a unit of the wrong dimension.
    """
    k = _kind(kind)
    if isinstance(value, bool):
        raise _expected(k, name, value)
    if isinstance(value, (int, float)):
        v = float(value)
        if not math.isfinite(v):
            raise _expected(k, name, value)
        _check_bare(k, v, name)
        return _check_absolute(k, v, name, value)
    if not isinstance(value, str):
        raise _expected(k, name, value)
    m = _NUMBER.match(value)
    if m is None:
        raise _expected(k, name, value)
    magnitude, unit = float(m.group(1)), m.group(2)
    for a, b in _ALIASES.items():
        unit = unit.replace(a, b)
    if unit == "":
        if k.name == "dimensionless":
            return magnitude
        raise _expected(k, name, value)
    import pint

    u = ureg()
    try:
        q = u.Quantity(magnitude, unit)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError,
            TypeError, ValueError, AssertionError, SyntaxError) as exc:
        raise ConfigError(
            f"{(name + ': ') if name else ''}unknown unit {unit!r} in {value!r} ({exc}); "
            f"expected a {k.name.replace('_', ' ')} like {k.example!r}."
        ) from None
    if k.name == "molar_energy" and q.check("[energy]"):
        q = q * u.Quantity(N_A, "1/mol")
    try:
        v = float(q.to(k.si_unit).magnitude)
    except pint.errors.DimensionalityError:
        raise _expected(k, name, value) from None
    if not math.isfinite(v):
        raise _expected(k, name, value)
    return _check_absolute(k, v, name, value)


def _check_bare(k: Kind, v: float, name: str | None) -> None:
    """Refuse a bare number that is almost surely meant in another unit."""
    if k.name not in BARE_PLAUSIBLE:
        return
    lo, hi, meant = BARE_PLAUSIBLE[k.name]
    where = f"{name}: " if name else ""
    if (lo is not None and v < lo) or (hi is not None and abs(v) >= hi):
        si = k.si_unit.replace("**", "^")
        raise ConfigError(
            f"{where}the bare number {v:g} would be {v:g} {si} (bare numbers are SI), which is "
            f"almost surely meant as '{v:g} {meant}'. Write the unit: e.g. '{v:g} {meant}' "
            f"or, if you really mean it, '{v:g} {si}'.")


def _check_absolute(k: Kind, v: float, name: str | None, value) -> float:
    if k.name == "temperature" and v <= 0:
        where = f"{name}: " if name else ""
        raise ConfigError(f"{where}{value!r} is at or below absolute zero ({v:g} K); give a "
                          "temperature such as '25 degC' or '298.15 K'.")
    return v


def format_si(value: float, kind: str) -> str:
    """``"0.036 S/m"``: a float in SI with the output label of *kind*."""
    return f"{value:.6g} {_kind(kind).label}"
