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

__all__ = ["Species", "binary_salt", "split_anions", "nernst_einstein_diffusivities",
           "free_anion_fraction", "transference_split", "donnan_concentration"]


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


def free_anion_fraction(t_plus: float, t0: float) -> float:
    r"""Fraction :math:`1-\theta` of the anions left free to reach the transference number
    :math:`t_+` when the free anions keep their "normal" diffusivity.

    The normal anion diffusivity is the host's, :math:`D_- = D_+(1-t_0)/t_0` with
    :math:`t_0` the host's transference number (all anions free). Immobilising a
    fraction :math:`\theta` gives :math:`t_+ = D_+/(D_+ + (1-\theta)D_-)`, hence

    .. math:: 1-\theta = \frac{t_0\,(1-t_+)}{(1-t_0)\,t_+}.

    Examples
    --------
    >>> round(free_anion_fraction(0.35, 0.22), 4)
    0.5238
    """
    if not (0 < t0 < 1):
        raise MaterialError(f"host transference number t0 must lie in (0, 1), got {t0!r}.")
    if not (0 < t_plus <= 1):
        raise MaterialError(f"t_plus must lie in (0, 1], got {t_plus!r}.")
    if t_plus < t0 - 1e-12:
        raise MaterialError(
            f"t_plus = {t_plus:g} is below the host's free-ion value t0 = {t0:g}: immobilising "
            "anions can only raise t+. Give t_plus >= t0 or a smaller t0.")
    return min(1.0, t0 * (1 - t_plus) / ((1 - t0) * t_plus))


def transference_split(sigma: float, t_plus: float, c_li: float, *, t0: float,
                       T: float) -> tuple[float, float, float, float]:
    r"""``(D+, D-, c_free, c_fixed)`` of a layer with conductivity *sigma* [S/m], Li+
    transference number *t_plus* and Li+ concentration *c_li* [mol m-3] at *T* [K].

    Anions are split into free ones (normal diffusivity :math:`D_-=D_+(1-t_0)/t_0`) and
    immobilised ones (:math:`D=0`, a fixed charge), :func:`free_anion_fraction`;
    electroneutrality gives :math:`c_{free}+c_{fixed}=c_{Li}`. Nernst--Einstein on the
    mobile ions, :math:`\sigma = \frac{F^2}{RT}(D_+c_{Li} + D_-c_{free})`, with
    :math:`t_+ = D_+c_{Li}/(D_+c_{Li}+D_-c_{free})`, gives
    :math:`D_+ = t_+\sigma RT/(F^2c_{Li})`.
    """
    from .nernst_einstein import nernst_einstein_sum

    for v, name in ((sigma, "sigma [S/m]"), (c_li, "c_li [mol m-3]"), (T, "T [K]")):
        if not (np.isfinite(v) and v > 0):
            raise MaterialError(f"transference_split: {name} must be finite and > 0, got {v!r}.")
    free = free_anion_fraction(t_plus, t0)
    Dp = t_plus * nernst_einstein_sum(sigma, c_li, T)
    Dm = Dp * (1 - t0) / t0
    return Dp, Dm, free * c_li, (1 - free) * c_li


def donnan_concentration(t_plus: float, t0: float, c_salt: float) -> float:
    r"""Li+ concentration [mol m-3] of a layer in Donnan equilibrium with a reference
    host layer of salt concentration *c_salt* (where :math:`t_+ = t_0`, no fixed charge).

    In equilibrium :math:`c_{Li}c_{free}` is the same in every layer (both ions
    Boltzmann-distributed in one potential), so with :math:`c_{free} = (1-\theta)c_{Li}`
    (:func:`free_anion_fraction`): :math:`c_{Li} = c_{salt}/\sqrt{1-\theta}`.
    """
    return float(c_salt / np.sqrt(free_anion_fraction(t_plus, t0)))
