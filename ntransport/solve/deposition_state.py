"""The state of a deposition run at one time, and how it is built from NPP unknowns."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .deposition_ale import anode_current
from .mesh_motion import triangle_areas, triangle_quality
from .npp import to_state
from .stepping import StepperState

__all__ = ["DepositionState", "make_state"]


@dataclass(frozen=True)
class DepositionState:
    """Solution at one time (SI). ``domain`` carries the current (moved) mesh.

    ``concentrations`` [mol m-3] and ``phi`` [V] are nodal; ``phi_s`` is the electrode
    potential against the bulk reference (``"top"``, φ = 0) [V]; ``i_anode`` the
    Butler--Volmer current at the anode chain nodes [A/m²] (anodic > 0); ``charge``
    :math:`\\int I\\,dt` per unit depth [C/m]; ``stepper`` the integrator state in the
    solver's scaled units (what a checkpoint stores); ``event`` the reason the run
    stopped early, if it did.
    """

    t: float
    step: int
    domain: object
    chain: np.ndarray
    concentrations: Mapping
    phi: np.ndarray
    phi_s: float
    i_anode: np.ndarray
    y_top: float
    charge: float
    area0: float
    y_top0: float
    remeshes: tuple = ()
    area_fix: float = 0.0
    newton_iterations: int = 0
    reacting: str = "Li+"
    event: str | None = None
    stepper: StepperState | None = field(default=None, repr=False, compare=False)
    system: object = field(default=None, repr=False, compare=False)

    @property
    def c(self) -> np.ndarray:
        """Concentration of the reacting species [mol m-3]."""
        return self.concentrations[self.reacting]

    @property
    def anode(self) -> np.ndarray:
        """Anode polyline (n, 2) [m], left to right."""
        return self.domain.mesh.p[:, self.chain].T

    @property
    def width(self) -> float:
        return float(np.ptp(self.domain.mesh.p[0]))

    @property
    def electrolyte_area(self) -> float:
        m = self.domain.mesh
        return float(np.abs(triangle_areas(m.p, m.t)).sum())

    @property
    def deposited_area(self) -> float:
        """Metal area gained since t = 0 per unit depth [m²] (negative when stripped)."""
        return self.area0 - self.electrolyte_area + (self.y_top - self.y_top0) * self.width

    @property
    def min_quality(self) -> float:
        m = self.domain.mesh
        return float(triangle_quality(m.p, m.t).min())

    @property
    def defect_height(self) -> float:
        """Tip height above the far-field surface (the mean of the two wall nodes) [m]."""
        y = self.anode[:, 1]
        return float(y.max() - 0.5 * (y[0] + y[-1]))

    @property
    def tip_to_flat(self) -> float:
        """|i| at the highest anode node over the mean |i| at the two wall nodes."""
        i = np.abs(self.i_anode)
        tip = i[int(np.argmax(self.anode[:, 1]))]
        return float(tip / max(0.5 * (i[0] + i[-1]), 1e-300))


def make_state(problem, system, stepper, *, domain, chain, t, **kw) -> DepositionState:
    """A :class:`DepositionState` from the scaled unknowns of *stepper* on *system*."""
    st = to_state(system, stepper.u, t)
    conc = MappingProxyType({k: np.asarray(v) for k, v in st.concentrations.items()})
    phi = np.asarray(st.potential)
    phi_s = float(st.electrode_potentials["anode"])
    i_an = anode_current(problem, conc, phi, phi_s, chain)
    return DepositionState(t=t, step=stepper.step, domain=domain, chain=chain,
                           concentrations=conc, phi=phi, phi_s=phi_s, i_anode=i_an,
                           reacting=problem.reacting, stepper=stepper, system=system,
                           newton_iterations=stepper.newton_iterations, **kw)
