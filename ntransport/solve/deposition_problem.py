r"""The definition of a Li deposition problem: an NPP problem on a moving electrolyte.

The electrolyte is any set of :class:`~ntransport.physics.species.Species` solved by the
Nernst--Planck--Poisson core (:mod:`ntransport.solve.npp`), with Poisson or
electroneutral electrostatics. The domain is the electrolyte above the Li surface
(``"anode"``, a polyline from the left wall to the right wall) below the bulk boundary
``"top"``; ``"left"``/``"right"`` are symmetry walls. Boundary conditions:

* ``"anode"``: galvanostatic :class:`~ntransport.physics.electrode.Electrode` for the
  reacting species (Butler--Volmer, concentration dependent, by default), all other
  species blocked; the applied current per projected electrode area is
  :attr:`DepositionProblem.current_density` (anodic > 0, plating < 0);
* ``"top"`` (bulk electrolyte): :math:`\phi = 0` (the reference) and the initial
  concentration of every mobile species the closure does not eliminate;
* walls: no flux (natural condition).

The metal surface moves with :math:`v_n = -i M/(F\rho)` (:mod:`ntransport.physics.ale`);
:mod:`ntransport.solve.deposition` drives it.

>>> species = electrolyte_species(0.012, 0.42, c_ref=1000.0, T=318.0)   # σ [S/m], t+
>>> [s.name for s in species]
['Li+', 'TFSI-']
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..errors import (ConfigError, MaterialError, MeshError, check_finite, check_positive,
                      check_transfer_coefficients, unknown_name)
from ..physics.ale import LI_MOLAR_VOLUME
from ..physics.electrode import Electrode, FixedConcentration, FixedPotential, Galvanostatic
from ..physics.kinetics import butler_volmer
from ..physics.nernst_einstein import nernst_einstein_split, nernst_einstein_sum
from ..physics.species import Species, binary_salt
from .npp_problem import NPPProblem

__all__ = ["DepositionProblem", "MeshOptions", "RemeshEvent", "RemeshError",
           "electrolyte_species"]


def electrolyte_species(conductivity, transference, *, c_ref, T, names=("Li+", "TFSI-")):
    r"""A 1:1 salt "as a whole": measured conductivity κ and Li⁺ transference number t₊
    split into ion diffusivities by Nernst--Einstein,
    :math:`D_\pm = t_\pm\,\kappa RT/(F^2 c)`.

    ``transference = 1`` is a single-ion conductor: the anion is immobilised (D = 0, a
    fixed background charge) and :math:`D_+ = \kappa RT/(F^2c)`.
    """
    k = check_positive(conductivity, name="conductivity [S/m]", exc=MaterialError)
    c = check_positive(c_ref, name="c_ref [mol/m3]", exc=MaterialError)
    check_positive(T, name="temperature T [K]", exc=MaterialError)
    t = float(transference)
    if not (0.0 < t <= 1.0):
        raise MaterialError(f"transference must lie in (0, 1] (1 = single-ion conductor), "
                            f"got {transference!r}.")
    if t == 1.0:
        return (Species(names[0], +1, nernst_einstein_sum(k, c, T), c),
                Species(names[1], -1, 0.0, c))
    d_plus, d_minus = nernst_einstein_split(k, t, c, T)
    return binary_salt(c, d_plus, d_minus, names=names)


@dataclass(frozen=True)
class DepositionProblem:
    """Physics of the deposition cell (SI).

    Parameters
    ----------
    species : sequence of Species
        The electrolyte (e.g. :func:`electrolyte_species`); concentrations uniform.
    i0 : float
        Exchange current density [A/m²].
    current_density : float or callable t -> float
        Applied current per projected electrode area [A/m²], anodic > 0 (plating < 0).
    width, height : float
        Domain width and initial electrolyte thickness above y = 0 [m].
    temperature : float
        [K].
    electrostatics : {"electroneutral", "poisson"}
    permittivity : float
        Relative permittivity (Poisson only).
    reacting : str
        The species plated at the anode (default ``"Li+"``).
    kinetics : callable
        ``kinetics(eta, c_ratio, *, i0, alpha_a, alpha_c, T)`` (default Butler--Volmer).
    alpha_a, alpha_c : float
        Transfer coefficients.
    follow_front : bool
        Move the top boundary with the mean front (keeps the bulk at distance `height`).
    li_thickness : float
        Li metal below y = 0 available for stripping [m].
    molar_volume : float
        M/ρ of the metal [m³/mol].
    """

    species: tuple
    i0: float
    current_density: float | Callable
    width: float
    height: float
    temperature: float = 298.15
    electrostatics: str = "electroneutral"
    permittivity: float = 10.0
    reacting: str = "Li+"
    kinetics: Callable = butler_volmer
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    follow_front: bool = False
    li_thickness: float = 20e-6
    molar_volume: float = LI_MOLAR_VOLUME
    eliminate: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "species", tuple(self.species))
        for name in ("i0", "width", "height", "li_thickness", "molar_volume", "temperature"):
            check_positive(getattr(self, name), name=name, exc=ConfigError)
        check_transfer_coefficients(self.alpha_a, self.alpha_c, name="DepositionProblem",
                                    exc=ConfigError)
        if not callable(self.current_density):
            check_finite(self.current_density, name="DepositionProblem.current_density [A/m2]",
                         exc=ConfigError)
        names = [s.name for s in self.species]
        if self.reacting not in names:
            raise unknown_name("reacting species", self.reacting, names, exc=ConfigError)
        if self.electrostatics not in ("electroneutral", "poisson"):
            raise unknown_name("electrostatics", str(self.electrostatics),
                               ["electroneutral", "poisson"], exc=ConfigError)

    def current(self, t):
        """Applied current density at time *t* [A/m²] (anodic > 0)."""
        cd = self.current_density
        return float(cd(t)) if callable(cd) else float(cd)

    @property
    def c_ref(self) -> float:
        """Reference concentration of the reacting species (its initial value) [mol/m³]."""
        s = next(s for s in self.species if s.name == self.reacting)
        return float(np.max(s.region_array("c0", ("electrolyte",))))

    @property
    def kinetics_at(self):
        """``kinetics(eta, c_ratio)`` with i0, α and T bound."""
        return partial(self.kinetics, i0=self.i0, alpha_a=self.alpha_a, alpha_c=self.alpha_c,
                       T=self.temperature)

    def npp_problem(self, domain, *, t=0.0) -> NPPProblem:
        """The NPP problem on *domain* (boundaries ``anode``, ``top``, walls) with the
        galvanostatic current at time *t*."""
        for b in ("anode", "top"):
            if b not in domain.boundaries:
                raise MeshError(f"the deposition domain needs a boundary named {b!r}; it has "
                                f"{sorted(domain.boundaries)}.")
        mobile = [s for s in self.species if not s.immobile]
        eliminated = None
        if self.electrostatics == "electroneutral":
            eliminated = self.eliminate or mobile[-1].name
            if eliminated == self.reacting and len(mobile) > 1:
                eliminated = next(s.name for s in mobile if s.name != self.reacting)
        bcs = [FixedPotential("top", 0.0),
               Electrode("anode", i0=self.i0, kinetics=self.kinetics, alpha_a=self.alpha_a,
                         alpha_c=self.alpha_c, species=self.reacting, c_ref=self.c_ref)]
        for s in mobile:
            if s.name != eliminated:
                bcs.append(FixedConcentration("top", s.name,
                                              float(np.max(s.region_array("c0", ("electrolyte",))))))
        # the applied current is per projected area (width); the NPP electrode constraint
        # is a mean over the electrode's own length (longer than the width on a rough Li)
        m = domain.mesh
        f = m.facets[:, domain.facets("anode")]
        length = float(np.linalg.norm(m.p[:, f[1]] - m.p[:, f[0]], axis=0).sum())
        return NPPProblem(domain, self.species, bcs, electrostatics=self.electrostatics,
                          permittivity=self.permittivity, temperature=self.temperature,
                          galvanostatic=Galvanostatic("anode",
                                                      self.current(t) * self.width / length),
                          eliminate=eliminated)


@dataclass(frozen=True)
class MeshOptions:
    """Mesh resolution, time-step control and remesh thresholds.

    ``h_anode``/``h_max``: element size on the anode / far from it [m]; ``cfl``: largest
    anode displacement per step in units of ``h_anode``; ``dt_max`` [s]; a remesh when the
    minimum element quality falls below ``min_quality`` or an anode segment leaves
    ``[h_anode/(2 max_stretch), max_stretch h_anode]``; the run stops (an event, not an
    error) when two non-adjacent parts of the anode come closer than ``min_gap·h_anode``.
    ``redistribute`` (0..1): how far the anode nodes slide along the moving curve towards
    equal spacing in each step (:func:`~ntransport.solve.mesh_motion.equalise_spacing`).
    """

    h_anode: float
    h_max: float
    min_quality: float = 0.35
    max_stretch: float = 1.8
    cfl: float = 0.3
    dt_max: float = 60.0
    min_gap: float = 1.0
    redistribute: float = 0.5

    def __post_init__(self):
        for name in ("h_anode", "h_max", "min_quality", "max_stretch", "cfl", "dt_max",
                     "min_gap"):
            check_positive(getattr(self, name), name=f"MeshOptions.{name}", exc=ConfigError)
        if self.h_max < self.h_anode:
            raise ConfigError(f"MeshOptions.h_max = {self.h_max:.3g} m must be >= h_anode = "
                              f"{self.h_anode:.3g} m.")
        if not 0.0 <= self.redistribute <= 1.0:
            raise ConfigError(f"MeshOptions.redistribute must lie in [0, 1], got "
                              f"{self.redistribute!r}.")
        if self.max_stretch <= 1.0:
            raise ConfigError(f"MeshOptions.max_stretch must be > 1, got {self.max_stretch!r}.")


@dataclass(frozen=True)
class RemeshEvent:
    """One automatic remesh."""

    t: float
    step: int
    reason: str
    quality_before: float
    quality_after: float
    elements_before: int
    elements_after: int
    content_error: float  # max relative content change of a transferred field (after the fix)
    projection_error: float  # same, of the bare L2 projection


class RemeshError(MeshError):
    """A remesh failed; ``.state`` is the last good state (before the failed remesh)."""

    def __init__(self, message, state=None):
        super().__init__(message)
        self.state = state

