"""Electrolyte phases and solids with cited parameter sets.

A :class:`Material` is one ion-conducting phase: a conductivity with Arrhenius
temperature dependence,

.. math:: \\sigma(T) = \\sigma_{ref} \\exp\\left[-\\frac{E_a}{R}\\left(\\frac{1}{T}
          - \\frac{1}{T_{ref}}\\right)\\right] = A \\exp\\left(-\\frac{E_a}{RT}\\right),

a Li+ transference number t+, a salt concentration c and a relative permittivity.
For a 1:1 salt the Nernst–Einstein relation splits the conductivity into the two ionic
diffusivities,

.. math:: D_+ = \\frac{t_+ \\sigma R T}{F^2 c}, \\qquad
          D_- = \\frac{(1 - t_+) \\sigma R T}{F^2 c}.

Parameter sets are plain functions that cite their paper (PyBaMM style); values the
paper does not give are taken from other literature or assumed, and the `note` says
which. :func:`get` looks a set up by name with close-match suggestions;
:func:`available` lists them.

Examples
--------
>>> from ntransport import materials
>>> m = materials.get("LPC@2%UCPBA")
>>> round(m.conductivity() * 10, 3)          # S/m -> mS/cm
0.36
>>> m2 = m.with_(transference=0.5)          # a variant; m is unchanged
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..constants import F, N_A, R, T_ZERO_C
from ..errors import MaterialError, check_temperature, unknown_name
from ..physics.nernst_einstein import nernst_einstein_split

__all__ = [
    "Material",
    "Solid",
    "ev_to_j_per_mol",
    "get",
    "available",
    "register",
]

T25 = T_ZERO_C + 25.0
T20 = T_ZERO_C + 20.0
T30 = T_ZERO_C + 30.0
T60 = T_ZERO_C + 60.0
MS_PER_CM = 0.1  # 1 mS/cm = 0.1 S/m
NOMINAL_SALT = 1000.0  # mol/m3, used where a paper gives no salt concentration
EV_PER_MOLE = F  # J/mol in 1 eV per ion
EA_MAX = 5.0 * EV_PER_MOLE  # J/mol: ion conductors lie at 0.1-1.5 eV


def ev_to_j_per_mol(ea_ev: float) -> float:
    """Activation energy per particle [eV] -> per mole [J/mol] (E * e * N_A)."""
    return float(ea_ev) * 1.602176634e-19 * N_A


def _to_float(obj, field: str, kind: str):
    """Accept unit strings ("0.36 mS/cm") in constructors; convert once to SI."""
    v = getattr(obj, field)
    if isinstance(v, str):
        from ..units import to_si

        try:
            v = to_si(v, kind, name=f"{obj.name}.{field}")
        except ValueError as exc:
            raise MaterialError(str(exc)) from None
        object.__setattr__(obj, field, v)
    return v


@dataclass(frozen=True)
class Material:
    """An ion-conducting phase (electrolyte, filler, layer), SI units.

    Parameters
    ----------
    name : str
    conductivity_ref : float or str
        Ionic conductivity at `T_ref` [S/m] (unit strings such as "0.36 mS/cm" accepted).
    T_ref : float or str
        Temperature at which `conductivity_ref` was measured [K] ("25 degC" accepted).
    activation_energy : float, str or None
        Arrhenius activation energy [J/mol] ("0.24 eV" accepted). ``None`` when unknown:
        the conductivity is then only available at `T_ref`.
    transference : float
        Li+ transference number t+, 0 < t+ < 1.
    salt_concentration : float or str
        Salt (carrier) concentration [mol/m3].
    permittivity : float
        Relative permittivity.
    citation : str
        The paper the values come from.
    note : str
        Which values are not from that paper (literature or assumption) and caveats.
    """

    name: str
    conductivity_ref: float
    T_ref: float = T25
    activation_energy: float | None = None
    transference: float = 0.5
    salt_concentration: float = NOMINAL_SALT
    permittivity: float = 10.0
    citation: str = ""
    note: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise MaterialError(f"Material name must be a non-empty string, got {self.name!r}.")
        for field, kind in (
            ("conductivity_ref", "conductivity"),
            ("T_ref", "temperature"),
            ("activation_energy", "molar_energy"),
            ("salt_concentration", "concentration"),
        ):
            _to_float(self, field, kind)
        _positive(self, "conductivity_ref", "S/m", "e.g. 0.036 or '0.36 mS/cm'")
        _positive(self, "T_ref", "K", "e.g. 298.15 or '25 degC'")
        check_temperature(self.T_ref, name=f"{self.name}: T_ref", exc=MaterialError)  # h-sec
        _positive(self, "salt_concentration", "mol/m3", "e.g. 1000 or '1 mol/L'")
        _positive(self, "permittivity", "", "e.g. 5 for PEO")
        if self.activation_energy is not None:
            ea = self.activation_energy
            if not isinstance(ea, (int, float)) or not math.isfinite(ea) or ea < 0:
                raise MaterialError(
                    f"{self.name}: activation_energy must be >= 0 J/mol (or None if unknown), "
                    f"got {ea!r}. Give eV as a string, e.g. '0.24 eV'."
                )
            if ea > EA_MAX:  # exp(-Ea/RT) overflowed at 3.3e5 eV (a raw OverflowError)
                raise MaterialError(
                    f"{self.name}: activation_energy = {ea / EV_PER_MOLE:.3g} eV "
                    f"({ea / 1e3:.3g} kJ/mol) is above any ion conductor's (0.1-1.5 eV; at most "
                    f"{EA_MAX / EV_PER_MOLE:g} eV accepted). Check the unit: '0.33 eV' or "
                    "'32 kJ/mol'."
                )
        t = self.transference
        if not isinstance(t, (int, float)) or not (0.0 < t < 1.0):
            raise MaterialError(
                f"{self.name}: transference number t+ must lie strictly between 0 and 1, got "
                f"{t!r}. For a single-ion conductor use a value close to 1 (e.g. 0.99)."
            )

    # -------------------------------------------------------------- physics
    def conductivity(self, T: float | None = None) -> float:
        """Ionic conductivity at temperature *T* [K] (default `T_ref`) in S/m."""
        if T is None or T == self.T_ref:
            return float(self.conductivity_ref)
        T = _temperature(T)
        if self.activation_energy is None:
            raise MaterialError(
                f"{self.name}: activation energy unknown, so the conductivity is only known at "
                f"T_ref = {self.T_ref:.2f} K, but T = {T:.2f} K was asked. Give one, e.g. "
                f"materials.get({self.name!r}).with_(activation_energy='0.3 eV')."
            )
        return float(
            self.conductivity_ref
            * math.exp(-self.activation_energy / R * (1.0 / T - 1.0 / self.T_ref))
        )

    @property
    def prefactor(self) -> float:
        """Arrhenius prefactor A [S/m] in sigma = A exp(-Ea/RT)."""
        if self.activation_energy is None:
            raise MaterialError(f"{self.name}: activation energy unknown; no prefactor.")
        return float(self.conductivity_ref * math.exp(self.activation_energy / (R * self.T_ref)))

    def diffusivities(self, T: float | None = None) -> tuple[float, float]:
        """Nernst–Einstein (D+, D-) [m2/s] for a 1:1 salt at *T* [K] (default `T_ref`)."""
        T = self.T_ref if T is None else _temperature(T)
        return nernst_einstein_split(self.conductivity(T), self.transference,
                                     self.salt_concentration, T)

    def with_(self, **changes) -> "Material":
        """A copy with *changes* applied and validated (this material is unchanged)."""
        valid = {f.name for f in dataclasses.fields(self)}
        for k in changes:
            if k not in valid:
                raise unknown_name("Material field", k, valid, exc=MaterialError)
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_prefactor(cls, name: str, prefactor: float, activation_energy, *,
                       T_ref: float = T25, **kw) -> "Material":
        """Build from sigma = A exp(-Ea/RT): A [S/m], Ea [J/mol or "0.3 eV"]."""
        probe = cls(name, 1.0, T_ref=T_ref, activation_energy=activation_energy, **kw)
        s_ref = prefactor * math.exp(-probe.activation_energy / (R * probe.T_ref))
        return probe.with_(conductivity_ref=s_ref)


def _temperature(T) -> float:
    try:
        v = float(T)
    except (TypeError, ValueError):
        raise MaterialError(f"temperature T must be a number in kelvin, got {T!r}.") from None
    if not (math.isfinite(v) and v > 0):
        raise MaterialError(f"temperature T must be > 0 K, got {T!r} (kelvin, not degC).")
    return check_temperature(v, name="temperature T", exc=MaterialError)  # h-sec: < 200 K


def _positive(m, field, unit, hint):
    v = getattr(m, field)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        u = f" {unit}" if unit else ""
        raise MaterialError(f"{m.name}: {field} must be > 0{u}, got {v!r} ({hint}).")


@dataclass(frozen=True)
class Solid:
    """A solid used mechanically or as an electrode (Li metal, polymer skeleton).

    Parameters: `molar_mass` [kg/mol], `density` [kg/m3], `youngs_modulus` [Pa],
    `electronic_conductivity` [S/m] (None for insulators), `citation`, `note`.
    """

    name: str
    molar_mass: float | None = None
    density: float | None = None
    youngs_modulus: float | None = None
    electronic_conductivity: float | None = None
    citation: str = ""
    note: str = ""

    def __post_init__(self):
        for field, kind in (("molar_mass", "molar_mass"), ("density", "density"),
                            ("youngs_modulus", "pressure"),
                            ("electronic_conductivity", "conductivity")):
            v = _to_float(self, field, kind)
            if v is not None:
                _positive(self, field, "SI", "or None if unknown")

    @property
    def molar_volume(self) -> float:
        """M / rho [m3/mol] (Li: 1.30e-5), used to turn a Li flux into growth speed."""
        if self.molar_mass is None or self.density is None:
            raise MaterialError(f"{self.name}: molar volume needs molar_mass and density.")
        return self.molar_mass / self.density

    def with_(self, **changes) -> "Solid":
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------- registry
_REGISTRY: dict[str, Callable[[], Material | Solid]] = {}


def register(name: str):
    """Decorator adding a parameter-set function to the library under *name*."""

    def deco(fn):
        if name in _REGISTRY:
            raise MaterialError(f"parameter set {name!r} is already registered.")
        _REGISTRY[name] = fn
        return fn

    return deco


def _suggest_ci(name, valid) -> str:
    """Close matches, ignoring case ("pvh-in-sio" -> 'PVH-in-SiO2')."""
    import difflib

    lower = {v.lower(): v for v in valid}
    close = difflib.get_close_matches(str(name).lower(), list(lower), n=3, cutoff=0.5)
    if close:
        return " Did you mean " + " or ".join(repr(lower[c]) for c in close) + "?"
    return f" Available: {sorted(valid)}."


def available() -> list[str]:
    """Names of all parameter sets, in registration order."""
    return list(_REGISTRY)


def get(name: str, **overrides) -> Material | Solid:
    """The parameter set *name* (case-insensitive), with optional field *overrides*.

    Raises
    ------
    MaterialError
        Unknown name; the message lists the closest matches.
    """
    key = name
    if key not in _REGISTRY:
        lower = {k.lower(): k for k in _REGISTRY}
        key = lower.get(str(name).lower())
        if key is None:
            raise MaterialError(f"material {name!r} not found.{_suggest_ci(name, _REGISTRY)}")
    m = _REGISTRY[key]()
    return m.with_(**overrides) if overrides else m
