r"""Species: charge, diffusivity per subdomain, initial concentration per subdomain.

Mobility follows the Einstein relation :math:`u_k = D_k/(RT)` so the Nernst--Planck flux
is :math:`N_k = -D_k(\nabla c_k + z_k c_k \tfrac{F}{RT}\nabla\phi)`. A species with
:math:`D_k = 0` in every subdomain is *immobilised*: it never moves and enters only
the charge density (the anchored-anion model of Lewis-acid fillers).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..constants import R
from ..errors import ConfigError, MaterialError, unknown_name
from .nernst_einstein import nernst_einstein_split

__all__ = ["Species", "binary_salt", "split_anions", "nernst_einstein_diffusivities"]


def _per_region(value, what: str, species: str, allow_zero: bool) -> object:
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            out[str(k)] = _check(v, what, species, allow_zero)
        return MappingProxyType(out)
    return _check(value, what, species, allow_zero)


def _check(v, what, species, allow_zero):
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise MaterialError(f"species {species!r}: {what} must be a number, got {v!r}.") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise MaterialError(
            f"species {species!r}: {what} must be finite and >= 0, got {v!r}. "
            "Diffusivities are in m2 s-1 and concentrations in mol m-3; use D=0 for an "
            "immobilised species.")
    return v


@dataclass(frozen=True)
class Species:
    """One ionic species.

    Parameters
    ----------
    name : str
        E.g. ``"Li+"``.
    z : int
        Charge number (required, nonzero for the ions this solver transports; 0 allowed
        for a neutral tracer).
    D : float or mapping region -> float
        Diffusivity [m2 s-1]; a mapping gives one value per subdomain (missing subdomains
        raise at problem set-up). ``0`` = immobilised.
    c0 : float or mapping region -> float
        Initial concentration [mol m-3].
    """

    name: str
    z: int
    D: object
    c0: object = 0.0
    meta: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.z is None:
            raise MaterialError(
                f"species {self.name!r} has no charge: give z (e.g. z=+1 for Li+, z=-1 for TFSI-).")
        try:
            zi = int(self.z)
        except (TypeError, ValueError):
            raise MaterialError(f"species {self.name!r}: z must be an integer, got {self.z!r}.") from None
        if zi != self.z:
            raise MaterialError(f"species {self.name!r}: z must be an integer, got {self.z!r}.")
        object.__setattr__(self, "z", zi)
        object.__setattr__(self, "D", _per_region(self.D, "diffusivity D", self.name, True))
        object.__setattr__(self, "c0", _per_region(self.c0, "initial concentration c0", self.name, True))

    def value_in(self, attr: str, region: str, regions) -> float:
        v = getattr(self, attr)
        if isinstance(v, Mapping):
            if region not in v:
                raise ConfigError(
                    f"species {self.name!r}: {attr} has no value for subdomain {region!r}; "
                    f"given for {sorted(v)}, the mesh has {sorted(regions)}.")
            return float(v[region])
        return float(v)

    def region_array(self, attr: str, region_names) -> np.ndarray:
        """Values of `attr` ("D" or "c0") for each subdomain, in `region_names` order."""
        if isinstance(getattr(self, attr), Mapping):
            extra = set(getattr(self, attr)) - set(region_names)
            if extra:
                name = sorted(extra)[0]
                raise unknown_name(f"species {self.name!r}: {attr} given for subdomain", name,
                                   region_names, exc=ConfigError)
        return np.array([self.value_in(attr, r, region_names) for r in region_names])

    @property
    def immobile(self) -> bool:
        v = self.D
        return all(x == 0 for x in v.values()) if isinstance(v, Mapping) else v == 0

    def mobility(self, region: str, regions, T: float) -> float:
        """Einstein mobility :math:`u = D/(RT)` [mol s kg-1]."""
        return self.value_in("D", region, regions) / (R * T)


def nernst_einstein_diffusivities(sigma: float, t_plus: float, c: float, T: float = 298.15):
    r"""Split a measured conductivity into (D+, D-) for a 1:1 salt by Nernst--Einstein.

    :math:`\sigma = F^2 c (D_+ + D_-)/(RT)`, :math:`t_+ = D_+/(D_+ + D_-)`.
    """
    if not 0 < t_plus < 1:
        raise MaterialError(f"t_plus must lie in (0, 1), got {t_plus!r}.")
    return nernst_einstein_split(sigma, t_plus, c, T)


def binary_salt(c0, D_plus, D_minus, *, names=("Li+", "A-")) -> tuple[Species, Species]:
    """A 1:1 salt: cation and anion with the same initial concentration."""
    return (Species(names[0], +1, D_plus, c0), Species(names[1], -1, D_minus, c0))


def split_anions(c0, D_plus, D_anion, t_plus_free, t_plus_measured, *,
                 names=("Li+", "A-", "A-(immobilised)")):
    r"""Source-study model: anions split into free (D) and immobilised (D = 0) fractions.

    With all anions free the transference number is :math:`t_0 = D_+/(D_+ + D_-)`. If a
    fraction :math:`\theta` of the anions is immobilised, the salt conductivity of the
    mobile ions gives :math:`t_+ = D_+/(D_+ + (1-\theta) D_-)`, hence
    :math:`\theta = 1 - D_+(1-t_+)/(t_+ D_-)`. This is the choice made to turn the
    measured :math:`t_+` into the two anion populations (the paper says "according to the
    Li+ transference number" without the formula). ``t_plus_free`` is unused except as a
    consistency check that :math:`t_+ \ge t_0`.
    """
    theta = 1 - D_plus * (1 - t_plus_measured) / (t_plus_measured * D_anion)
    if theta < -1e-12 or theta > 1:
        raise MaterialError(
            f"t_plus_measured={t_plus_measured} is below the free-ion value "
            f"{t_plus_free:.3g}; immobilised fraction would be {theta:.3g} (must be in [0, 1]).")
    theta = min(max(theta, 0.0), 1.0)
    return (Species(names[0], +1, D_plus, c0),
            Species(names[1], -1, D_anion, (1 - theta) * c0),
            Species(names[2], -1, 0.0, theta * c0))
