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

with :math:`E(\xi) = E_{Li} h(\xi) + E_{el}(1-h(\xi))` (``mixing="voigt"``, default) or
:math:`1/E = h/E_{Li} + (1-h)/E_{el}` (``mixing="reuss"``), one Poisson ratio :math:`\nu`,
:math:`\lambda=E\nu/((1+\nu)(1-2\nu))`, :math:`\mu=E/(2(1+\nu))`. The eigenstrain is
isotropic in the plane (:math:`\varepsilon^*_{zz}=0`, consistent with plane strain): a
Li deposit that would be stress-free when expanded by the linear strain
:math:`\lambda_V` relative to the electrolyte it replaces. Only Li deposited after the
reference state :math:`\xi_{ref}` (the initial field: electrode and seed are stress-free)
is strained. A homogeneous free body is therefore exactly stress-free.

Diffuse-interface caveat (measured in the tests): with Voigt mixing and the 390:1
contrast, the partly transformed layer is already stiff but only partly expanded, and
constrains the deposit: the stress inside a Li inclusion is overestimated by a factor
that scales with :math:`(E_{Li}/E_{el})\,w/R` (interface width :math:`w`, radius
:math:`R`); 3.6x for :math:`w/R = 0.02`. Reuss mixing keeps the layer compliant and is
accurate on modest meshes; Voigt converges only as :math:`w/R\to 0`. Then

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

Not included (stated): the elastic energy's own driving force on :math:`\xi` in the
Allen--Cahn equation, and any plasticity/creep of Li (a linear-elastic 4.9 GPa Li
overestimates stresses above its ~1 MPa yield strength).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla
import skfem
from skfem.helpers import ddot, sym_grad, trace

from ..constants import F
from ..errors import ConfigError, MaterialError, check_positive, suggest
from .phasefield import interpolation

__all__ = ["Mechanics", "ElasticState", "elasticity_basis", "solve_elasticity", "overpotential_shift",
           "LI_MOLAR_VOLUME"]

LI_MOLAR_VOLUME = 6.941e-3 / 534.0  # M/rho of Li metal [m3 mol-1] = 1.30e-5


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
        default 0.05 is a stated choice (volumetric ~15 %).
    molar_volume : float
        :math:`\\Delta V` [m3 mol-1] in the overpotential shift (Li: 1.30e-5).
    pressure : float
        Uniform confining pressure [Pa] added as :math:`-p` to :math:`\\sigma_h`.
    clamped : tuple of boundary names
        Boundaries with zero displacement (default the Li electrode). With none, the
        rigid-body modes are removed by constraining the mean translation and rotation
        (Lagrange multipliers; no reaction stresses).
    mixing : {"voigt", "reuss"}
        Interpolation of Young's modulus across the diffuse interface (see the module
        notes: "reuss" is accurate for high contrast on modest meshes).
    """

    E_metal: float = 4.9e9
    E_electrolyte: float = 12.6e6
    nu: float = 0.33
    expansion: float = 0.05
    molar_volume: float = LI_MOLAR_VOLUME
    pressure: float = 0.0
    clamped: tuple[str, ...] = ("electrode",)
    mixing: str = "voigt"

    def __post_init__(self):
        for name in ("E_metal", "E_electrolyte", "nu", "expansion", "molar_volume",
                     "pressure"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)):
                raise MaterialError(f"{name} must be a number, got {v!r}.")
        if self.mixing not in ("voigt", "reuss"):
            raise ConfigError(f"mixing must be 'voigt' (E = E_Li h + E_el (1-h)) or 'reuss' "
                              f"(1/E = h/E_Li + (1-h)/E_el), got {self.mixing!r}."
                              f"{suggest(str(self.mixing), ('voigt', 'reuss'))}")
        check_positive(self.E_metal, name="E_metal", exc=MaterialError)
        check_positive(self.E_electrolyte, name="E_electrolyte", exc=MaterialError)
        check_positive(self.molar_volume, name="molar_volume", exc=MaterialError)
        if not (-1.0 < self.nu < 0.5):
            raise MaterialError(f"nu (Poisson ratio) must lie in (-1, 0.5) for a stable "
                                f"isotropic solid, got {self.nu!r} (Li ~0.42, PEO ~0.33).")
        if not math.isfinite(self.expansion) or not math.isfinite(self.pressure):
            raise MaterialError(f"expansion and pressure must be finite, got "
                                f"{self.expansion!r}, {self.pressure!r}.")
        if isinstance(self.clamped, str):
            raise ConfigError(f"clamped must be a tuple of boundary names, got the string "
                              f"{self.clamped!r}; write ({self.clamped!r},).")


@dataclass(frozen=True, eq=False)
class ElasticState:
    """Displacement (nodal, (2, N), scaled length units), hydrostatic stress [Pa] at
    quadrature points ``(nel, nqp)`` and projected to nodes ``(N,)``."""

    displacement: np.ndarray
    stress_q: np.ndarray
    stress: np.ndarray


def _lame(E, nu):
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


@skfem.BilinearForm
def _elastic(u, v, w):
    eu, ev = sym_grad(u), sym_grad(v)
    return w["lam"] * trace(eu) * trace(ev) + 2 * w["mu"] * ddot(eu, ev)


@skfem.LinearForm
def _eigenstress(v, w):
    """:math:`\\int 2(\\lambda+\\mu)\\varepsilon^*\\,\\nabla\\cdot v` (load of the eigenstrain)."""
    return w["s"] * trace(sym_grad(v))


@skfem.LinearForm
def _scalar(v, w):
    return w["a"] * v


def _rigid_modes(mesh, basis):
    """(ndofs, 3) translations x, y and the infinitesimal rotation (-y, x)."""
    nd = basis.nodal_dofs
    Z = np.zeros((basis.N, 3))
    x, y = mesh.p
    Z[nd[0], 0], Z[nd[1], 1] = 1.0, 1.0
    Z[nd[0], 2], Z[nd[1], 2] = -(y - y.mean()), x - x.mean()
    return Z


def _solve_free(A, b, Z):
    """Solve A u = b with u orthogonal to the rigid modes Z (Lagrange multipliers):
    the eigenstrain load is self-equilibrated, so the multipliers vanish."""
    import scipy.sparse as sp

    K = sp.bmat([[A, sp.csr_matrix(Z)], [sp.csr_matrix(Z.T), None]], format="csc")
    return spla.spsolve(K, np.concatenate([b, np.zeros(Z.shape[1])]))[:A.shape[0]]


def elasticity_basis(mesh) -> skfem.Basis:
    """The P1 vector basis :func:`solve_elasticity` uses; build it once per mesh and pass
    it as ``basis=`` when solving at every time step."""
    if mesh.dim() != 2:
        raise ConfigError(f"mechanics needs a 2D triangular mesh (plane strain), got a "
                          f"{mesh.dim()}D mesh.")
    return skfem.Basis(mesh, skfem.ElementVector(skfem.ElementTriP1()), intorder=2)


def solve_elasticity(mesh, xi, mech: Mechanics, /, *, xi_ref=None,
                     basis: skfem.Basis | None = None) -> ElasticState:
    """Solve the plane-strain eigenstrain problem for the phase field `xi` (nodal).

    `mesh` is a MeshTri1 (any length unit: strain is dimensionless); stresses are in Pa.
    `xi_ref` (nodal, default 0) is the stress-free reference: the eigenstrain is
    :math:`\\lambda_V[h(\\xi)-h(\\xi_{ref})]`. `basis` (from :func:`elasticity_basis`)
    avoids rebuilding the quadrature data in a time loop.
    """
    if basis is None:
        basis = elasticity_basis(mesh)
    xi = np.asarray(xi, float)
    sbasis = basis.with_element(skfem.ElementTriP1())
    h, _, _ = interpolation(np.asarray(sbasis.interpolate(xi)))
    h_ref = 0.0 if xi_ref is None else \
        interpolation(np.asarray(sbasis.interpolate(np.asarray(xi_ref, float))))[0]
    if mech.mixing == "voigt":
        E = mech.E_metal * h + mech.E_electrolyte * (1 - h)
    else:
        E = 1.0 / (h / mech.E_metal + (1 - h) / mech.E_electrolyte)
    lam, mu = _lame(E, mech.nu)
    eig = mech.expansion * (h - h_ref)  # in-plane isotropic eigenstrain
    A = _elastic.assemble(basis, lam=lam, mu=mu)
    b = _eigenstress.assemble(basis, s=2 * (lam + mu) * eig)
    names = set(mesh.boundaries or {})
    for name in mech.clamped:
        if name not in names:
            raise ConfigError(f"Mechanics.clamped: boundary {name!r} not found in the "
                              f"mesh.{suggest(name, names)}")
    if mech.clamped:
        D = basis.get_dofs(list(mech.clamped)).all()
        u = skfem.solve(*skfem.condense(A, b, D=D), solver=spla.spsolve)
    else:
        u = _solve_free(A, b, _rigid_modes(mesh, basis))
    gu = basis.interpolate(u).grad  # (2, 2, nel, nqp)
    s_q = (lam + 2 * mu / 3) * (gu[0, 0] + gu[1, 1] - 2 * eig) - mech.pressure
    m = _scalar.assemble(sbasis, a=np.ones_like(s_q))
    s_n = _scalar.assemble(sbasis, a=s_q) / m
    return ElasticState(displacement=u[basis.nodal_dofs], stress_q=s_q, stress=s_n)


def overpotential_shift(stress, mech: Mechanics, /, *, n: int = 1) -> np.ndarray:
    """Shift :math:`\\Delta V\\sigma_h/(nF)` [V] subtracted from the overpotential."""
    return mech.molar_volume * np.asarray(stress, float) / (n * F)
