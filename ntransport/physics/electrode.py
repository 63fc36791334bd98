r"""Boundary conditions of the Nernst--Planck--Poisson problem (plain frozen dataclasses).

Sign convention: a flux or current is positive when it enters the electrolyte.

* :class:`FixedPotential` -- :math:`\phi = \phi_D` (Dirichlet).
* :class:`FixedConcentration` -- :math:`c_k = c_D` (Dirichlet).
* :class:`Flux` -- :math:`-N_k\cdot n = j` [mol m-2 s-1] into the domain (the source study's
  reaction flux of 0.01 mol m-2 s-1).
* :class:`Blocking` -- :math:`N_k\cdot n = 0` for every species (the natural condition;
  listed to make intent explicit and to check the boundary name).
* :class:`Electrode` -- a reacting electrode with interchangeable kinetics
  (:func:`ntransport.physics.kinetics.butler_volmer`, ``tafel``, ``linear``):
  :math:`\eta=\phi_s-\phi_l-U`, :math:`i = k(\eta, c/c_{ref})`, the reacting species enters
  with :math:`-N\cdot n = i/(z F)`; all other species are blocked.
  ``potential`` is :math:`\phi_s` (potentiostatic) unless the electrode is named in
  :class:`Galvanostatic`, in which case :math:`\phi_s` is a global unknown fixed by
  :math:`\int_\Gamma i\,dA = \bar i\,|\Gamma|`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import (ConfigError, check_finite, check_nonnegative, check_positive,
                      check_transfer_coefficients)
from .kinetics import butler_volmer

__all__ = ["FixedPotential", "FixedConcentration", "Flux", "Blocking", "Electrode",
           "Galvanostatic", "electrode_current"]


# ---- input checks (h-sec): NaN/inf, negative alpha, bad names raise at construction
def _check_boundary(bc) -> None:
    if not isinstance(bc.boundary, str) or not bc.boundary:
        raise ConfigError(f"{type(bc).__name__}: boundary must be a boundary name (a "
                          f"non-empty string), got {bc.boundary!r}.")


def _check_value(bc, field: str, *, nonnegative: bool = False) -> None:
    where = f"{type(bc).__name__}({bc.boundary!r}).{field}"
    v = (check_nonnegative if nonnegative else check_finite)(getattr(bc, field), name=where,
                                                             exc=ConfigError)
    object.__setattr__(bc, field, v)


@dataclass(frozen=True)
class FixedPotential:
    boundary: str
    value: float  # [V]

    def __post_init__(self):
        _check_boundary(self)
        _check_value(self, "value")


@dataclass(frozen=True)
class FixedConcentration:
    boundary: str
    species: str
    value: float  # [mol m-3]

    def __post_init__(self):
        _check_boundary(self)
        _check_value(self, "value", nonnegative=True)


@dataclass(frozen=True)
class Flux:
    boundary: str
    species: str
    value: float  # [mol m-2 s-1], positive into the electrolyte

    def __post_init__(self):
        _check_boundary(self)
        _check_value(self, "value")


@dataclass(frozen=True)
class Blocking:
    boundary: str

    def __post_init__(self):
        _check_boundary(self)


@dataclass(frozen=True)
class Electrode:
    boundary: str
    i0: float  # exchange current density [A m-2]
    kinetics: Callable = butler_volmer
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    U: float = 0.0  # equilibrium potential [V]
    species: str = "Li+"
    c_ref: float | None = None  # reference concentration of the BV c-ratio; default: initial c
    potential: float = 0.0  # phi_s [V] when potentiostatic
    ramp_time: float = 0.0  # [s] ramp phi_s linearly from 0 (hard starts)

    def __post_init__(self):
        _check_boundary(self)
        where = f"Electrode({self.boundary!r})"
        object.__setattr__(self, "i0", check_positive(self.i0, name=f"{where}.i0",
                                                      exc=ConfigError))
        a, c = check_transfer_coefficients(self.alpha_a, self.alpha_c, name=where,
                                           exc=ConfigError)
        object.__setattr__(self, "alpha_a", a)
        object.__setattr__(self, "alpha_c", c)
        for f in ("U", "potential"):
            _check_value(self, f)
        _check_value(self, "ramp_time", nonnegative=True)
        if self.c_ref is not None:
            object.__setattr__(self, "c_ref", check_positive(self.c_ref, name=f"{where}.c_ref",
                                                             exc=ConfigError))
        if not callable(self.kinetics):
            raise ConfigError(f"{where}.kinetics must be a kinetics function (e.g. "
                              f"ntransport.physics.kinetics.butler_volmer), got "
                              f"{self.kinetics!r}.")

    def potential_at(self, t: float) -> float:
        """Potentiostatic solid potential at time t [V] (ramped if ``ramp_time`` > 0)."""
        if self.ramp_time > 0:
            return self.potential * min(1.0, t / self.ramp_time)
        return self.potential


@dataclass(frozen=True)
class Galvanostatic:
    """Total current through `electrode` fixed: mean current density [A m-2] (anodic > 0).

    ``ramp_time`` [s] ramps the current linearly from 0 (for hard starts).
    """

    electrode: str
    current_density: float
    ramp_time: float = 0.0

    def __post_init__(self):
        where = f"Galvanostatic({self.electrode!r})"
        object.__setattr__(self, "current_density", check_finite(
            self.current_density, name=f"{where}.current_density", exc=ConfigError))
        object.__setattr__(self, "ramp_time", check_nonnegative(
            self.ramp_time, name=f"{where}.ramp_time", exc=ConfigError))

    def at(self, t: float) -> float:
        if self.ramp_time > 0:
            return self.current_density * min(1.0, t / self.ramp_time)
        return self.current_density


def electrode_current(el: Electrode, phi_s, phi_l, c, c_ref, T):
    """Kinetics at an electrode: returns :class:`Kinetics` (i, di/deta, di/dc_ratio)."""
    eta = np.asarray(phi_s) - np.asarray(phi_l) - el.U
    return el.kinetics(eta, np.asarray(c) / c_ref, i0=el.i0, alpha_a=el.alpha_a,
                       alpha_c=el.alpha_c, T=T)
