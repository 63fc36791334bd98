"""The immutable definition of a Nernst--Planck--Poisson problem and its SI solution state."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..errors import (ConfigError, check_distinct, check_positive, check_temperature,
                      unknown_name)
from ..physics.electrode import (Blocking, Electrode, FixedConcentration, FixedPotential, Flux,
                                 Galvanostatic)
from ..physics.species import Species
from .stepping import StepperState

__all__ = ["NPPProblem", "NPPState"]

_BC_TYPES = (FixedPotential, FixedConcentration, Flux, Blocking, Electrode)


@dataclass(frozen=True)
class NPPProblem:
    r"""Everything that defines a transport problem (immutable).

    Parameters
    ----------
    domain : ntransport.geometry.Domain
    species : sequence of Species
        Any number; species with D = 0 everywhere are immobilised (fixed charge).
    boundary_conditions : sequence of FixedPotential, FixedConcentration, Flux, Blocking,
        Electrode
    electrostatics : {"poisson", "electroneutral"}
    permittivity : float or mapping region -> float
        Relative permittivity (Poisson only).
    temperature : float [K]
    galvanostatic : Galvanostatic, optional
        Makes the named electrode's potential a global unknown fixed by its total current.
    sources : mapping species -> callable(x, t) -> [mol m-3 s-1], optional
        Volumetric sources (x: (dim, n) node coordinates in m) -- manufactured solutions.
    charge_source : callable(x, t) -> [C m-3], optional
        Extra charge density in Poisson (manufactured solutions).
    eliminate : str, optional
        Electroneutral: the mobile species eliminated by the constraint (default: the last
        mobile species).
    debye_resolution : float
        Poisson: edges leaving Dirichlet/electrode boundaries must be no longer than
        ``debye_length / debye_resolution`` (default 1: at least one element per Debye
        length; see :func:`check_debye_resolution`). Unresolved meshes raise ConfigError.
    initial : {"subdomain", "equilibrium"}
        Initial state. ``"subdomain"``: every species at its ``c0`` of each subdomain
        (lumped nodal averages where subdomains meet), potential 0. ``"equilibrium"``
        (electroneutral model): the zero-current (Donnan) equilibrium of the cell, each
        mobile species Boltzmann-distributed, :math:`c_k = A_k e^{-z_k F\phi/RT}`, with
        :math:`A_k` the ``c0`` of subdomain ``initial_reference`` (default: the first) and
        the potential at every node fixed by electroneutrality with the local fixed
        charge (Donnan potentials at layer interfaces); nothing moves at zero current.
    initial_reference : str, optional
        Subdomain whose ``c0`` defines the equilibrium (``initial="equilibrium"``).
    """

    domain: object
    species: tuple
    boundary_conditions: tuple
    electrostatics: str = "electroneutral"
    permittivity: object = 1.0
    temperature: float = 298.15
    galvanostatic: Galvanostatic | None = None
    sources: Mapping = field(default_factory=dict)
    charge_source: Callable | None = None
    eliminate: str | None = None
    debye_resolution: float = 1.0
    initial: str = "subdomain"
    initial_reference: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "species", tuple(self.species))
        object.__setattr__(self, "boundary_conditions", tuple(self.boundary_conditions))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        if self.electrostatics not in ("poisson", "electroneutral"):
            raise unknown_name("electrostatics", str(self.electrostatics),
                               ["poisson", "electroneutral"], exc=ConfigError)
        check_temperature(self.temperature, name="temperature [K]", exc=ConfigError)
        if self.initial not in ("subdomain", "equilibrium"):
            raise unknown_name("initial", str(self.initial), ["subdomain", "equilibrium"],
                               exc=ConfigError)
        if self.initial == "equilibrium" and self.electrostatics != "electroneutral":
            raise ConfigError("initial='equilibrium' (Donnan start) is implemented for "
                              "electrostatics='electroneutral'; with 'poisson' start from "
                              "initial='subdomain' and let the double layers relax.")
        if (self.initial_reference is not None
                and self.initial_reference not in self.domain.region_names):
            raise unknown_name("initial_reference", str(self.initial_reference),
                               list(self.domain.region_names), exc=ConfigError)
        names = [s.name for s in self.species]
        if not self.species:
            raise ConfigError("species is empty: give at least one Species(name, z, D, c0).")
        if len(set(names)) != len(names):
            raise ConfigError(f"species names must be unique, got {names}.")
        for s in self.species:
            if not isinstance(s, Species):
                raise ConfigError(f"species entries must be Species, got {type(s).__name__}.")
        bnames = list(self.domain.boundaries)
        for bc in self.boundary_conditions:
            if not isinstance(bc, _BC_TYPES):
                raise ConfigError(f"unknown boundary condition {bc!r}; use one of "
                                  f"{[t.__name__ for t in _BC_TYPES]}.")
            if bc.boundary not in bnames:
                raise unknown_name(f"{type(bc).__name__}: boundary", bc.boundary, bnames,
                                   exc=ConfigError)
            sp_name = getattr(bc, "species", None)
            if sp_name is not None and sp_name not in names:
                raise unknown_name(f"{type(bc).__name__}: species", sp_name, names, exc=ConfigError)
            if isinstance(bc, Electrode):
                check_positive(bc.i0, name=f"Electrode({bc.boundary!r}).i0", exc=ConfigError)
        # (h-sec) two electrodes / an electrode and a fixed potential on one boundary would
        # both set phi there: the run would pass zero current without an error
        check_distinct([bc.boundary for bc in self.boundary_conditions
                        if isinstance(bc, (Electrode, FixedPotential))],
                       what="boundary_conditions: Electrode/FixedPotential boundaries",
                       hint="two electrodes (or an electrode and a fixed potential) cannot "
                            "share one boundary; give each its own named boundary",
                       exc=ConfigError)
        for k in self.sources:
            if k not in names:
                raise unknown_name("sources: species", k, names, exc=ConfigError)
        if self.galvanostatic is not None:
            els = [bc.boundary for bc in self.boundary_conditions if isinstance(bc, Electrode)]
            if self.galvanostatic.electrode not in els:
                raise unknown_name("galvanostatic: electrode", self.galvanostatic.electrode, els,
                                   exc=ConfigError)

    @property
    def mobile(self) -> tuple:
        return tuple(s for s in self.species if not s.immobile)

    @property
    def immobile(self) -> tuple:
        return tuple(s for s in self.species if s.immobile)


@dataclass(frozen=True)
class NPPState:
    """Solution at one time (SI). ``concentrations[name]`` nodal [mol m-3], ``potential``
    nodal [V], ``electrode_potentials[name]`` [V], ``electrode_currents[name]`` mean
    current density [A m-2] (anodic > 0), ``conservation[name]`` the step's relative
    species imbalance. ``stepper`` is the integrator state in the solver's scaled units
    (what :func:`ntransport.solve.checkpoint.save_checkpoint` stores). ``event`` is the
    reason the run stopped after this state (an ``events=`` condition), else None."""

    t: float
    concentrations: Mapping
    potential: np.ndarray
    electrode_potentials: Mapping
    electrode_currents: Mapping
    conservation: Mapping
    step: int = 0
    dt: float = 0.0
    newton_iterations: int = 0
    stepper: StepperState | None = field(default=None, repr=False, compare=False)
    event: str | None = None

    def current(self, electrode: str) -> float:
        return float(self.electrode_currents[electrode])


