r"""Nondimensionalisation of the Nernst--Planck--Poisson system (one explicit function).

Scales (SI in, dimensionless inside the solver):

.. math::

    \hat x = x/L,\quad \hat c = c/c_{ref},\quad \hat\phi = \phi/V_T,\ V_T = RT/F,\quad
    \hat t = t D_{ref}/L^2,\quad \hat D = D/D_{ref},\quad
    \hat N = N L/(D_{ref} c_{ref}),\quad \hat\lambda^2 = \varepsilon_0\varepsilon_r V_T/(F c_{ref} L^2)

With these the scaled Nernst--Planck and Poisson equations read
:math:`\partial_{\hat t}\hat c_k = \hat\nabla\cdot[\hat D_k(\hat\nabla\hat c_k + z_k\hat c_k\hat\nabla\hat\phi)]`
and :math:`-\hat\nabla\cdot(\hat\lambda^2\hat\nabla\hat\phi) = \sum_k z_k\hat c_k`, so every
unknown is O(1) and Newton's stopping test is taken on the scaled update.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import EPS0, F, R
from ..errors import check_positive

__all__ = ["Scaling", "debye_length"]


@dataclass(frozen=True)
class Scaling:
    """Reference scales. All attributes SI; methods convert SI <-> dimensionless."""

    length: float
    concentration: float
    diffusivity: float
    temperature: float = 298.15

    def __post_init__(self):
        check_positive(self.length, name="length scale L [m]")
        check_positive(self.concentration, name="reference concentration c_ref [mol m-3]")
        check_positive(self.diffusivity, name="reference diffusivity D_ref [m2 s-1]")
        check_positive(self.temperature, name="temperature T [K]")

    @property
    def thermal_voltage(self) -> float:
        """:math:`V_T = RT/F` [V]."""
        return R * self.temperature / F

    @property
    def time(self) -> float:
        """:math:`L^2/D_{ref}` [s]."""
        return self.length**2 / self.diffusivity

    @property
    def flux(self) -> float:
        """:math:`D_{ref} c_{ref}/L` [mol m-2 s-1]."""
        return self.diffusivity * self.concentration / self.length

    @property
    def current(self) -> float:
        """:math:`F D_{ref} c_{ref}/L` [A m-2]."""
        return F * self.flux

    def lambda2(self, eps_r) -> np.ndarray:
        r"""Scaled Poisson coefficient :math:`\hat\lambda^2 = \varepsilon_0\varepsilon_r V_T/(F c_{ref} L^2)`."""
        return EPS0 * np.asarray(eps_r, float) * self.thermal_voltage / (
            F * self.concentration * self.length**2)


def debye_length(eps_r: float, ionic_strength: float, T: float = 298.15) -> float:
    r"""Debye length :math:`\lambda_D = \sqrt{\varepsilon_0\varepsilon_r RT/(2F^2 I)}` [m].

    ``ionic_strength`` is :math:`I = \tfrac12\sum_k z_k^2 c_k` [mol m-3]; for a 1:1 salt of
    concentration c it equals c.
    """
    check_positive(eps_r, name="eps_r")
    check_positive(ionic_strength, name="ionic_strength")
    return float(np.sqrt(EPS0 * eps_r * R * T / (2 * F**2 * ionic_strength)))
