r"""Weak forms of the phase-field model: residual and Jacobian blocks, one term each.

Coefficients are evaluated in numpy (``PointState``) and fed to a few generic P1 forms (``mass``, ``stiffness``, ``advection``, ``tensor``; linear
``source``/``flux``), so every physical term is a small function returning its
residual coefficient and its linearisation. Unknowns are ordered ``(xi, c, phi)``;
backward Euler in time with step ``dt``.

Residuals, for a test function :math:`v`:

.. math::

    R_\xi &= \int \Big[\tfrac{\xi-\xi^n}{\Delta t} + m L_\sigma g'(\xi)
             + m L_\eta h'(\xi) B(\phi, c) - A\zeta h'(\xi)\Big] v
             + m L_\sigma \boldsymbol J\cdot\nabla v\\
    R_c &= \int \Big[\tfrac{c-c^n}{\Delta t} + \tfrac{c_s}{c_0}\tfrac{\xi-\xi^n}{\Delta t}\Big] v
           + D(\xi)\,(\nabla c + f c\nabla\phi)\cdot\nabla v\\
    R_\phi &= \int \sigma(\xi)\nabla\phi\cdot\nabla v + \Gamma\tfrac{\xi-\xi^n}{\Delta t} v
              - \int_{\Gamma_N} i_{in} v

(the bracketed terms and the time derivatives by nodal quadrature), with
:math:`m = 0` inside a blocking skeleton (no Li growth into it) and :math:`D_l`,
:math:`\sigma_l` multiplied there by the skeleton factor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skfem
from skfem.helpers import dot

from .phasefield import double_well, gradient_flux, interpolation, reaction
from .phasefield_params import ScaledParameters

__all__ = ["PointState", "point_state", "lumped_masses", "residual", "jacobian"]


@skfem.BilinearForm
def mass(u, v, w):
    return w["a"] * u * v


@skfem.BilinearForm
def stiffness(u, v, w):
    return w["a"] * dot(u.grad, v.grad)


@skfem.BilinearForm
def advection(u, v, w):
    """:math:`\\int u\\, \\boldsymbol b\\cdot\\nabla v`."""
    return u * dot(w["b"], v.grad)


@skfem.BilinearForm
def tensor(u, v, w):
    """:math:`\\int (A\\nabla u)\\cdot\\nabla v`."""
    A = w["A"]
    d = u.grad.shape[0]
    return sum(A[i, j] * u.grad[j] * v.grad[i] for i in range(d) for j in range(d))


@skfem.LinearForm
def source(v, w):
    return w["a"] * v


@skfem.LinearForm
def flux(v, w):
    return dot(w["b"], v.grad)


@dataclass(frozen=True)
class PointState:
    """Nodal values (time derivative, double well, reaction: nodal quadrature) and
    quadrature-point values (gradient terms, transport) of the current iterate."""

    xi: np.ndarray  # nodal
    c: np.ndarray
    phi: np.ndarray
    xi_rate: np.ndarray  # nodal (xi - xi_n)/dt
    c_rate: np.ndarray
    lumped: np.ndarray  # row sums of the mass matrix
    lumped_mobile: np.ndarray  # row sums of the mobility-weighted mass matrix
    q_xi: np.ndarray  # quadrature-point values (nel, nqp)
    q_gxi: np.ndarray
    q_c: np.ndarray
    q_gc: np.ndarray
    q_gphi: np.ndarray
    mobility: np.ndarray  # m at quadrature points: 1 outside, 0 inside a blocking skeleton
    liquid: np.ndarray  # skeleton factor on D_l and sigma_l (1 outside)


def lumped_masses(basis, mobility):
    """Row sums of the mass matrix and of the mobility-weighted mass matrix."""
    one = np.ones((basis.nelems, basis.X.shape[-1]))
    return source.assemble(basis, a=one), source.assemble(basis, a=mobility)


def point_state(basis, U, U_old, dt, mobility, liquid, lumped) -> PointState:
    """Split ``U = [xi, c, phi]`` and interpolate it to quadrature points."""
    n = basis.N
    xi, c, phi = U[:n], U[n:2 * n], U[2 * n:]
    fx, fc, fp = (basis.interpolate(v) for v in (xi, c, phi))
    return PointState(
        xi=xi, c=c, phi=phi, xi_rate=(xi - U_old[:n]) / dt,
        c_rate=(c - U_old[n:2 * n]) / dt, lumped=lumped[0], lumped_mobile=lumped[1],
        q_xi=np.asarray(fx), q_gxi=fx.grad, q_c=np.asarray(fc), q_gc=fc.grad, q_gphi=fp.grad,
        mobility=mobility, liquid=liquid)


def _nodal(s: PointState, p: ScaledParameters, eta_shift=None):
    _, dg, d2g = double_well(s.xi, p.W)
    _, dh, d2h = interpolation(s.xi)
    eta = s.phi if eta_shift is None else s.phi - eta_shift
    B, dB_deta, dB_dc = reaction(eta, s.c, f=p.f, alpha=p.alpha)
    return dict(dg=dg, d2g=d2g, dh=dh, d2h=d2h, B=B, dB_deta=dB_deta, dB_dc=dB_dc)


def _quadrature(s: PointState, p: ScaledParameters):
    h, dh, _ = interpolation(s.q_xi)
    J, dJ = gradient_flux(s.q_gxi, kappa0=p.kappa0, delta=p.delta, omega=p.omega,
                          theta0=p.theta0)
    Dl, sl = p.D_l * s.liquid, p.sigma_l * s.liquid
    return dict(J=J, dJ=dJ, D=p.D_e * h + Dl * (1 - h), dD=(p.D_e - Dl) * dh,
                sigma=p.sigma_e * h + sl * (1 - h), dsigma=(p.sigma_e - sl) * dh)


def residual(basis, s: PointState, p: ScaledParameters, *, noise=None, neumann=None,
             eta_shift=None):
    """Residual vector ``[R_xi, R_c, R_phi]``.

    Time derivatives, the double well and the reaction use nodal quadrature (row-sum
    lumping: local, positivity-friendly, and the Li balance stays exact because lumped
    and consistent masses have equal row sums). `noise` is a nodal array added to the
    xi source times :math:`h'(\\xi)`; `neumann` the assembled
    :math:`\\int_{\\Gamma_N} i_{in} v`; `eta_shift` a nodal overpotential shift [V]
    (mechanics: :math:`\\eta\\to\\eta-\\Delta V\\sigma_h/nF`, frozen within the step).
    """
    k, q = _nodal(s, p, eta_shift), _quadrature(s, p)
    ml, mm = s.lumped, s.lumped_mobile
    r_xi = ml * s.xi_rate + mm * (p.L_sigma * k["dg"] + p.L_eta * k["dh"] * k["B"])
    if noise is not None:
        r_xi = r_xi - ml * noise * k["dh"]
    r_xi = r_xi + flux.assemble(basis, b=s.mobility * p.L_sigma * q["J"])
    r_c = ml * (s.c_rate + p.cs_c0 * s.xi_rate)
    r_c = r_c + flux.assemble(basis, b=q["D"] * (s.q_gc + p.f * s.q_c * s.q_gphi))
    r_phi = flux.assemble(basis, b=q["sigma"] * s.q_gphi) + ml * p.gamma * s.xi_rate
    if neumann is not None:
        r_phi = r_phi - neumann
    return np.concatenate([r_xi, r_c, r_phi])


def jacobian(basis, s: PointState, p: ScaledParameters, dt: float, *, noise=None,
             eta_shift=None):
    """Exact Jacobian of :func:`residual` as a 3x3 block sparse matrix (CSR); a given
    `eta_shift` is a frozen field (its dependence on xi is not linearised)."""
    import scipy.sparse as sp

    k, q = _nodal(s, p, eta_shift), _quadrature(s, p)
    ml, mm = s.lumped, s.lumped_mobile
    inv = 1.0 / dt
    d_xx = ml * inv + mm * (p.L_sigma * k["d2g"] + p.L_eta * k["d2h"] * k["B"])
    if noise is not None:
        d_xx = d_xx - ml * noise * k["d2h"]
    A_xx = sp.diags(d_xx) + tensor.assemble(basis, A=s.mobility * p.L_sigma * q["dJ"])
    A_xc = sp.diags(mm * p.L_eta * k["dh"] * k["dB_dc"])
    A_xp = sp.diags(mm * p.L_eta * k["dh"] * k["dB_deta"])
    A_cx = sp.diags(ml * p.cs_c0 * inv)
    A_cx = A_cx + advection.assemble(basis, b=q["dD"] * (s.q_gc + p.f * s.q_c * s.q_gphi))
    A_cc = sp.diags(ml * inv) + stiffness.assemble(basis, a=q["D"])
    A_cc = A_cc + advection.assemble(basis, b=q["D"] * p.f * s.q_gphi)
    A_cp = stiffness.assemble(basis, a=q["D"] * p.f * s.q_c)
    A_px = sp.diags(ml * p.gamma * inv) + advection.assemble(basis, b=q["dsigma"] * s.q_gphi)
    A_pp = stiffness.assemble(basis, a=q["sigma"])
    return sp.bmat([[A_xx, A_xc, A_xp], [A_cx, A_cc, A_cp], [A_px, None, A_pp]],
                   format="csr")
