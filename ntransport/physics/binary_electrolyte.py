r"""A binary (1:1) electrolyte treated as a whole: salt diffusion + charge conservation.

Model (Newman, *Electrochemical Systems*, 3rd ed., §11.8 / §12.4; the "tertiary current
distribution" of COMSOL with a constant-property binary electrolyte)
-----------------------------------------------------------------------------------
Cation and anion concentrations are equal (electroneutrality, :math:`c_+ = c_- = c`),
and each obeys Nernst--Planck, :math:`N_\pm = -D_\pm\nabla c \mp D_\pm c f\nabla\Phi`,
:math:`f = F/RT`. Eliminating :math:`\nabla\Phi` between the two gives

.. math::

    N_+ = -D\nabla c + \frac{t_+\, i}{F}, \qquad N_- = -D\nabla c - \frac{(1-t_+)\, i}{F},

    D = \frac{2 D_+ D_-}{D_+ + D_-}, \qquad t_+ = \frac{D_+}{D_+ + D_-},

    i = F(N_+ - N_-) = -\kappa\nabla\Phi + \kappa\,\frac{RT}{F}(1 - 2t_+)\nabla\ln c,
    \qquad \kappa = \frac{F^2 (D_+ + D_-) c}{RT}.

With :math:`\nabla\cdot i = 0` and constant :math:`t_+`, mass balance
:math:`\partial_t c = -\nabla\cdot N_+` reduces to :math:`\partial_t c = \nabla\cdot(D\nabla c)`
(the migration term is divergence-free). "The electrolyte as a whole" (Zhu et al., PNAS
2023, SI) means :math:`\kappa`, :math:`t_+` are the measured values and
:math:`D_\pm = t_\pm \kappa RT/(F^2 c)` (Nernst--Einstein); :math:`\kappa` is kept constant
(concentrated-solution form with unit thermodynamic factor), which is accurate while
:math:`|c - c_{ref}| \ll c_{ref}` (here a few per cent, see the study report).

Boundary conditions at a Li electrode with Butler--Volmer current :math:`i_{BV}`
(anodic > 0, Li+ into the electrolyte; :math:`n` the outward normal of the electrolyte):
:math:`i\cdot n = -i_{BV}` and the anion is blocked, :math:`N_-\cdot n = 0`, hence

.. math:: -D\nabla c\cdot n = \frac{(1-t_+)\, i\cdot n}{F} = -\frac{(1-t_+)\, i_{BV}}{F}.

:math:`\Phi` is the potential of a reference that sees the cation electrochemical
potential without the :math:`\ln c` term, which is why the concentration enters the BV
cathodic branch as :math:`c/c_{ref}` (:func:`ntransport.physics.kinetics.butler_volmer`).

Weak forms (one term each, scikit-fem; the Butler--Volmer boundary terms are integrated
on the anode polyline in :mod:`ntransport.solve.deposition_potential`)::

    conduction:           ∫ κ ∇Φ·∇v
    diffusion_potential:  ∫ κ (RT/F)(1-2t+) ∇ln c·∇v      (right-hand side)
    salt_diffusion:       ∫ D ∇c·∇v
"""
from __future__ import annotations

from dataclasses import dataclass

from skfem import BilinearForm, LinearForm
from skfem.helpers import dot, grad

from ..constants import F, R
from ..errors import MaterialError, check_positive, check_range
from .nernst_einstein import nernst_einstein_split, nernst_einstein_sum

__all__ = ["BinaryElectrolyte", "conduction", "salt_diffusion", "mass", "diffusion_potential"]


@dataclass(frozen=True)
class BinaryElectrolyte:
    """Constant-property binary electrolyte (SI).

    Parameters
    ----------
    conductivity : float
        Ionic conductivity κ [S/m].
    transference : float
        Li+ transference number t+ (0 < t+ <= 1; t+ = 1 is a single-ion conductor, no
        concentration gradients).
    diffusivity : float
        Salt (ambipolar) diffusivity D [m²/s].
    c_ref : float
        Bulk salt concentration [mol/m³].
    T : float
        Temperature [K].
    """

    conductivity: float
    transference: float
    diffusivity: float
    c_ref: float
    T: float

    def __post_init__(self):
        check_positive(self.conductivity, name="conductivity", exc=MaterialError)
        check_range(self.transference, (1e-6, 1.0), name="transference", exc=MaterialError)
        check_positive(self.diffusivity, name="diffusivity", exc=MaterialError)
        check_positive(self.c_ref, name="c_ref", exc=MaterialError)
        check_positive(self.T, name="T", exc=MaterialError)

    @classmethod
    def from_conductivity(cls, conductivity, transference, *, c_ref, T):
        r"""Nernst--Einstein split of κ: :math:`D_\pm = t_\pm κRT/(F^2c)`,
        :math:`D = 2D_+D_-/(D_++D_-) = 2t_+(1-t_+)κRT/(F^2 c)`.

        For t+ = 1 the salt diffusivity is undefined (no anion); the cation
        diffusivity :math:`κRT/(F^2c)` is used, which does not matter because the salt
        boundary flux :math:`(1-t_+) i/F` vanishes.
        """
        kappa = check_positive(conductivity, name="conductivity", exc=MaterialError)
        t = check_range(transference, (1e-6, 1.0), name="transference", exc=MaterialError)
        total = nernst_einstein_sum(
            kappa, check_positive(c_ref, name="c_ref", exc=MaterialError), T)
        D = 2 * t * (1 - t) * total if t < 1 else total
        return cls(kappa, t, D, float(c_ref), float(T))

    @classmethod
    def from_material(cls, material, *, T):
        """From an `ntransport.materials.Material` at temperature *T* [K]."""
        return cls.from_conductivity(material.conductivity(T), material.transference,
                                     c_ref=material.salt_concentration, T=T)

    @property
    def ion_diffusivities(self):
        """(D+, D-) [m²/s] by Nernst--Einstein from κ and t+."""
        return nernst_einstein_split(self.conductivity, self.transference, self.c_ref, self.T)

    @property
    def diffusion_potential_coefficient(self):
        """:math:`κ (RT/F)(1-2t_+)` [A/m]: the current per unit :math:`∇\\ln c`."""
        return self.conductivity * R * self.T / F * (1 - 2 * self.transference)


@BilinearForm
def conduction(u, v, w):
    """∫ κ ∇u·∇v (κ passed as ``kappa``)."""
    return w["kappa"] * dot(grad(u), grad(v))


@BilinearForm
def salt_diffusion(u, v, w):
    """∫ D ∇u·∇v (D passed as ``D``)."""
    return w["D"] * dot(grad(u), grad(v))


@BilinearForm
def mass(u, v, w):
    """∫ u v."""
    return u * v


@LinearForm
def diffusion_potential(v, w):
    """∫ k ∇ln c·∇v with k = κ(RT/F)(1-2t+) (``k``) and ``c`` the salt field."""
    return w["k"] * dot(grad(w["c"]), grad(v)) / w["c"]
