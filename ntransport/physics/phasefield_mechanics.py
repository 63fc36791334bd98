r"""Mechanics coupling of the phase-field model: plane-strain elasticity with a
deposition eigenstrain, and the hydrostatic stress that retards plating.

Zhang et al. (SI, "Simulation of Li dendrite evolution") describe the coupling only in
words: "the volume change of Li dendrites compresses the electrolyte and the opposite
stress retard[s] the electrochemical reaction rate", with E_Li = 4.9 GPa and
E_PEO = 12.6 MPa (Table S1). The model implemented here:

**Elasticity** (small strain, plane strain :math:`\varepsilon_{zz}=0`, quasi-static):

.. math::

    \nabla\cdot\boldsymbol\sigma = 0,\qquad
    \boldsymbol\sigma = \lambda\,\mathrm{tr}(\boldsymbol\varepsilon-\boldsymbol\varepsilon^*)
    \mathbf I + 2\mu(\boldsymbol\varepsilon-\boldsymbol\varepsilon^*),\qquad
    \boldsymbol\varepsilon^* = \lambda_V\,[h(\xi)-h(\xi_{ref})]\,\mathbf I_2,

with the moduli interpolated across the diffuse interface by the metal fraction
:math:`h(\xi)` (``mixing``):

* ``"voigt"``: :math:`E = E_{Li}h + E_{el}(1-h)` (parallel, upper bound);
* ``"reuss"``: :math:`1/E = h/E_{Li} + (1-h)/E_{el}` (series, lower bound);
* ``"hashin-shtrikman"`` (default): the 2D Hashin--Shtrikman lower bound with the
  electrolyte as matrix, for the plane-strain bulk modulus :math:`k=\lambda+\mu` and the
  shear modulus :math:`\mu` separately,
  :math:`k = k_e + h/[1/(k_m-k_e) + (1-h)/(k_e+\mu_e)]`,
  :math:`\mu = \mu_e + h/[1/(\mu_m-\mu_e) + (1-h)(k_e+2\mu_e)/(2\mu_e(k_e+\mu_e))]`:
  the stiffness of partly grown metal embedded in the soft electrolyte, which is what
  the diffuse layer is;

one Poisson ratio :math:`\nu`, :math:`\lambda=E\nu/((1+\nu)(1-2\nu))`,
:math:`\mu=E/(2(1+\nu))` per phase. The eigenstrain is
isotropic in the plane (:math:`\varepsilon^*_{zz}=0`, consistent with plane strain): a
Li deposit that would be stress-free when expanded by the linear strain
:math:`\lambda_V` relative to the electrolyte it replaces. Only Li deposited after the
reference state :math:`\xi_{ref}` (the initial field: electrode and seed are stress-free)
is strained. A homogeneous free body is therefore exactly stress-free.

Why the mixing matters, and why not Voigt (measured in the tests against the
sharp-interface plane-strain inclusion): with Voigt and the 390:1 contrast, the partly
transformed layer is already stiff but only partly expanded, so it constrains the
deposit and carries stresses of its own; the stress inside a Li inclusion is
overestimated by a factor that scales with :math:`(E_{Li}/E_{el})\,w/R` (interface
width :math:`w`, radius :math:`R`): 1.65x for :math:`w/R = 0.01`, and the sign of the
stress in the layer at a dendrite tip comes from that artefact (+10 MPa tensile in the
old runs). Reuss and the Hashin--Shtrikman lower bound keep the layer compliant and
match the sharp solution within 2 %; the stress at the tip then has the sign of the
sharp-interface problem whichever of the two is used. Then

.. math::

    \sigma_{zz} = \lambda\,\mathrm{tr}(\boldsymbol\varepsilon-\boldsymbol\varepsilon^*),\quad
    \sigma_h = \tfrac13(\sigma_{xx}+\sigma_{yy}+\sigma_{zz})
             = K\,\mathrm{tr}(\boldsymbol\varepsilon-\boldsymbol\varepsilon^*) - p,
    \qquad K = \lambda + \tfrac23\mu,

tensile positive; `pressure` :math:`p` is an optional uniform confining (hydrostatic)
pressure added on top. P1 vector elements (scikit-fem ``ElementVector(ElementTriP1)``);
:math:`\sigma_h` is projected to nodes by a lumped L2 projection.

**Coupling** (Monroe & Newman, J. Electrochem. Soc. 152 (2005) A396; the form used by
Yurkiv et al., Electrochim. Acta 265 (2018) 609 in phase-field dendrite models): a
stress changes the electrochemical potential of Li metal by :math:`-\Delta V\sigma_h`
(pressure :math:`p_h=-\sigma_h` raises it by :math:`\Delta V p_h`), i.e. the overpotential
in the Butler--Volmer bracket is shifted,

.. math::

    \eta \rightarrow \eta - \frac{\Delta V\,\sigma_h}{nF}
    \iff B = e^{(1-\alpha)f\eta}e^{-(1-\alpha)\Delta V\sigma_h/RT}
           - c\,e^{-\alpha f\eta}e^{\alpha\Delta V\sigma_h/RT},

:math:`\Delta V = M_{Li}/\rho_{Li} = 1.30\times10^{-5}` m3/mol, :math:`n = 1`. Compressive
stress (:math:`\sigma_h<0`) makes the plating (cathodic) term smaller by
:math:`e^{-\alpha\Delta V|\sigma_h|/RT}` and helps stripping: it retards plating, as the
source states. Papers writing :math:`e^{(1-\alpha)\Delta V\sigma_h/RT}` use
:math:`\sigma_h` pressure-positive; the physics is the same. The shift is in volts, so
nothing depends on the energy scale :math:`E_0` of
:func:`~ntransport.physics.phasefield_params.nondimensionalise`: strains are
dimensionless, stresses are computed in Pa from the SI moduli on the scaled mesh.

Boundary conditions (:class:`Mechanics`): ``clamped`` boundaries (u = 0), ``rollers``
(zero normal displacement on axis-aligned boundaries: the side walls of a periodic
cell), ``fixed_regions`` (every node of those subdomains held: the PE filaments, "stiff
and fixed" as Zhang et al. assume, since E_PE >> E_PEO). A Li deposit that expands in a
cell clamped at both electrodes compresses the electrolyte, the mechanism of the source.

This module holds the constitutive law and the element terms only; the elasticity
problem is solved by :mod:`ntransport.solve.phasefield_mechanics`.

Not included (stated): the elastic energy's own driving force on :math:`\xi` in the
Allen--Cahn equation, and any plasticity/creep of Li (a linear-elastic 4.9 GPa Li
overestimates stresses above its ~1 MPa yield strength).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import F
from ..errors import ConfigError, MaterialError, check_positive, suggest

__all__ = ["Mechanics", "MIXINGS", "moduli", "element_stiffness", "eigenstrain_load",
           "hydrostatic_stress", "overpotential_shift", "LI_MOLAR_VOLUME"]

LI_MOLAR_VOLUME = 6.941e-3 / 534.0  # M/rho of Li metal [m3 mol-1] = 1.30e-5
MIXINGS = ("hashin-shtrikman", "reuss", "voigt")


@dataclass(frozen=True)
class Mechanics:
    """Mechanics switch of :class:`~ntransport.solve.phasefield.PhaseFieldProblem`.

    Parameters
    ----------
    E_metal, E_electrolyte : float
        Young's moduli [Pa] of Li metal and the electrolyte (Table S1: 4.9 GPa,
        12.6 MPa for PEO).
    nu : float in (-1, 0.5)
        Poisson ratio, one value for both phases (0.33, a polymer value; Monroe & Newman
        2005 use 0.33 for the polymer and 0.42 for Li).
    expansion : float
        Linear eigenstrain :math:`\\lambda_V` of the deposit. Not in the source; the
        default 0.05 is a stated choice (volumetric ~10 % in plane).
    molar_volume : float
        :math:`\\Delta V` [m3 mol-1] in the overpotential shift (Li: 1.30e-5).
    pressure : float
        Uniform confining pressure [Pa] added as :math:`-p` to :math:`\\sigma_h`.
    clamped : tuple of boundary names
        Boundaries with zero displacement (default the Li electrode).
    rollers : tuple of boundary names
        Axis-aligned boundaries with zero normal displacement (side walls).
    fixed_regions : tuple of subdomain names
        Subdomains whose nodes do not move (rigid inclusions, e.g. ``("PE",)``).
        With no clamp, roller or fixed region, the rigid-body modes are removed by
        constraining the mean translation and rotation (no reaction stresses).
    mixing : {"hashin-shtrikman", "reuss", "voigt"}
        Interpolation of the moduli across the diffuse interface (module notes).
    """

    E_metal: float = 4.9e9
    E_electrolyte: float = 12.6e6
    nu: float = 0.33
    expansion: float = 0.05
    molar_volume: float = LI_MOLAR_VOLUME
    pressure: float = 0.0
    clamped: tuple[str, ...] = ("anode",)
    rollers: tuple[str, ...] = ()
    fixed_regions: tuple[str, ...] = ()
    mixing: str = "hashin-shtrikman"

    def __post_init__(self):
        for name in ("E_metal", "E_electrolyte", "nu", "expansion", "molar_volume",
                     "pressure"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)):
                raise MaterialError(f"{name} must be a number, got {v!r}.")
        if self.mixing not in MIXINGS:
            raise ConfigError(f"mixing must be one of {list(MIXINGS)} (see "
                              f"ntransport.physics.phasefield_mechanics), got {self.mixing!r}."
                              f"{suggest(str(self.mixing), MIXINGS)}")
        check_positive(self.E_metal, name="E_metal", exc=MaterialError)
        check_positive(self.E_electrolyte, name="E_electrolyte", exc=MaterialError)
        check_positive(self.molar_volume, name="molar_volume", exc=MaterialError)
        if not (-1.0 < self.nu < 0.5):
            raise MaterialError(f"nu (Poisson ratio) must lie in (-1, 0.5) for a stable "
                                f"isotropic solid, got {self.nu!r} (Li ~0.42, PEO ~0.33).")
        if not math.isfinite(self.expansion) or not math.isfinite(self.pressure):
            raise MaterialError(f"expansion and pressure must be finite, got "
                                f"{self.expansion!r}, {self.pressure!r}.")
        for name in ("clamped", "rollers", "fixed_regions"):
            v = getattr(self, name)
            if isinstance(v, str):
                raise ConfigError(f"{name} must be a tuple of names, got the string {v!r}; "
                                  f"write ({v!r},).")
            object.__setattr__(self, name, tuple(v))


def _lame(E, nu):
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def moduli(h, mech: Mechanics):
    """Lame moduli ``(lam, mu)`` [Pa] at metal fraction *h* (array) by ``mech.mixing``."""
    h = np.asarray(h, float)
    if mech.mixing == "voigt":
        return _lame(mech.E_metal * h + mech.E_electrolyte * (1 - h), mech.nu)
    if mech.mixing == "reuss":
        return _lame(1.0 / (h / mech.E_metal + (1 - h) / mech.E_electrolyte), mech.nu)
    lm, mm = _lame(mech.E_metal, mech.nu)
    le, me = _lame(mech.E_electrolyte, mech.nu)
    km, ke = lm + mm, le + me  # plane-strain (2D) bulk moduli
    # h / (1/(km-ke) + (1-h)/(ke+me)), written without dividing by km - ke
    k = ke + h * (km - ke) * (ke + me) / ((ke + me) + (1 - h) * (km - ke))
    beta = (ke + 2 * me) / (2 * me * (ke + me))
    mu = me + h * (mm - me) / (1.0 + (1 - h) * beta * (mm - me))
    return k - mu, mu


def _bmat(grads):
    """Strain-displacement matrices (nel, 3, 6) of P1 triangles, dofs (u0x, u0y, u1x, ...),
    strains (exx, eyy, 2exy)."""
    nel = grads.shape[0]
    B = np.zeros((nel, 3, 6))
    B[:, 0, 0::2] = grads[:, :, 0]
    B[:, 1, 1::2] = grads[:, :, 1]
    B[:, 2, 0::2] = grads[:, :, 1]
    B[:, 2, 1::2] = grads[:, :, 0]
    return B


def _cmat(lam, mu):
    """Plane-strain stiffness (nel, 3, 3) in (exx, eyy, 2exy) Voigt notation."""
    C = np.zeros(lam.shape + (3, 3))
    C[..., 0, 0] = C[..., 1, 1] = lam + 2 * mu
    C[..., 0, 1] = C[..., 1, 0] = lam
    C[..., 2, 2] = mu
    return C


def element_stiffness(grads, vol, lam, mu):
    r"""Element matrices :math:`|T|B^T\bar C B` (nel, 6, 6); *lam*, *mu* are the element
    means (strain is constant on a P1 triangle, so this is exact for the quadrature of
    the moduli)."""
    B = _bmat(grads)
    return vol[:, None, None] * np.einsum("eai,eab,ebj->eij", B, _cmat(lam, mu), B)


def eigenstrain_load(grads, vol, s_mean):
    r"""Element loads :math:`|T|B^T\,\overline{2(\lambda+\mu)\varepsilon^*}(1,1,0)` (nel, 6)
    of the in-plane isotropic eigenstrain; *s_mean* the element mean of
    :math:`2(\lambda+\mu)\varepsilon^*`."""
    B = _bmat(grads)
    return (vol * s_mean)[:, None] * (B[:, 0, :] + B[:, 1, :])


def hydrostatic_stress(div_u, lam, mu, eig, pressure=0.0):
    r""":math:`\sigma_h = (\lambda + 2\mu/3)(\nabla\cdot u - 2\varepsilon^*) - p` [Pa] (plane
    strain, in-plane isotropic eigenstrain; tensile positive)."""
    return (lam + 2 * mu / 3) * (div_u - 2 * eig) - pressure


def overpotential_shift(stress, mech: Mechanics, /, *, n: int = 1) -> np.ndarray:
    """Shift :math:`\\Delta V\\sigma_h/(nF)` [V] subtracted from the overpotential."""
    return mech.molar_volume * np.asarray(stress, float) / (n * F)
