r"""Pointwise terms of the nonlinear phase-field model of Li electrodeposition.

Model (Chen et al., J. Power Sources 300 (2015) 376; Hong & Viswanathan, ACS Energy
Lett. 3 (2018) 1737), in scaled variables, :math:`\xi=1` Li metal, :math:`\xi=0`
electrolyte, :math:`c` Li+ concentration over :math:`c_0`, :math:`\phi` potential [V]:

.. math::

    \partial_t\xi &= -L_\sigma\left[g'(\xi) - \nabla\cdot\boldsymbol J(\nabla\xi)\right]
        - L_\eta h'(\xi)\left[e^{(1-\alpha)f\eta} - c\,e^{-\alpha f\eta}\right]\\
    \partial_t c &= \nabla\cdot\left[D(\xi)\left(\nabla c + f c\nabla\phi\right)\right]
        - \frac{c_s}{c_0}\partial_t\xi\\
    0 &= \nabla\cdot\left[\sigma(\xi)\nabla\phi\right] - \Gamma\,\partial_t\xi

with :math:`g = W\xi^2(1-\xi)^2`, :math:`h = \xi^3(6\xi^2-15\xi+10)`,
:math:`D = D_e h + D_l(1-h)`, :math:`\sigma = \sigma_e h + \sigma_l(1-h)` and the local
overpotential :math:`\eta=\phi` (the potential relative to the Li/Li+ reference at
:math:`c=c_0`, as in the cited models).

Anisotropic gradient energy :math:`\tfrac12\kappa(\theta)|\nabla\xi|^2` with
:math:`\kappa=\varepsilon^2`, :math:`\varepsilon=\sqrt{\kappa_0}[1+\delta\cos\omega(\theta-\theta_0)]`
and :math:`\theta=\operatorname{atan2}(\xi_y,\xi_x)`. Its variational derivative is
:math:`-\nabla\cdot\boldsymbol J` with

.. math::

    \boldsymbol J = \kappa\nabla\xi + \varepsilon\varepsilon'\,(-\xi_y,\ \xi_x),

i.e. :math:`-\nabla\cdot(\kappa\nabla\xi) + \partial_x(\varepsilon\varepsilon'\xi_y)
- \partial_y(\varepsilon\varepsilon'\xi_x)` (since :math:`\delta\theta =
(\xi_x\delta\xi_y-\xi_y\delta\xi_x)/|\nabla\xi|^2` and :math:`\tfrac12\kappa'=\varepsilon\varepsilon'`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["double_well", "interpolation", "reaction", "gradient_flux"]

_EXP_CAP = 300.0  # exponent clip: a wild Newton iterate must not overflow to inf


def double_well(xi, W):
    """Return ``(g, g', g'')`` of :math:`g = W\\xi^2(1-\\xi)^2`."""
    g = W * xi ** 2 * (1 - xi) ** 2
    dg = 2 * W * xi * (1 - xi) * (1 - 2 * xi)
    d2g = 2 * W * (1 - 6 * xi + 6 * xi ** 2)
    return g, dg, d2g


def interpolation(xi):
    """Return ``(h, h', h'')`` of :math:`h = \\xi^3(6\\xi^2-15\\xi+10)`."""
    x2 = xi * xi  # products, not powers: numpy's float power is ~10x a multiply
    h = x2 * xi * (6 * x2 - 15 * xi + 10)
    q = xi * (1 - xi)
    dh = 30 * q * q
    d2h = 60 * q * (1 - 2 * xi)
    return h, dh, d2h


def reaction(eta, c, *, f, alpha):
    r"""Butler--Volmer-type bracket :math:`B = e^{(1-\alpha)f\eta} - c\,e^{-\alpha f\eta}`.

    Returns ``(B, dB/deta, dB/dc)``. :math:`B=0` at :math:`\eta = \ln(c)/f`: the Nernst
    shift of the equilibrium potential with concentration.
    """
    ea = np.exp(np.clip((1 - alpha) * f * eta, -_EXP_CAP, _EXP_CAP))
    ec = np.exp(np.clip(-alpha * f * eta, -_EXP_CAP, _EXP_CAP))
    return ea - c * ec, f * ((1 - alpha) * ea + alpha * c * ec), -ec


def gradient_flux(grad, *, kappa0, delta=0.0, omega=4.0, theta0=0.0):
    r"""Gradient-energy flux :math:`\boldsymbol J(\nabla\xi)` and its Jacobian.

    Parameters
    ----------
    grad : ndarray, shape (dim, ...)
        :math:`\nabla\xi` at quadrature points.

    Returns
    -------
    J : ndarray, shape (dim, ...)
    dJ : ndarray, shape (dim, dim, ...)
        :math:`\partial J_i/\partial(\partial_j\xi)`, so the linearisation is
        :math:`\delta\boldsymbol J = \mathrm{dJ}\,\nabla\delta\xi`.

    Notes
    -----
    With :math:`A(\theta) = [[\kappa, -m], [m, \kappa]]`, :math:`m = \varepsilon\varepsilon'`,
    :math:`\boldsymbol J = A\nabla\xi` and :math:`\mathrm{dJ} = A + (A'\nabla\xi)\otimes
    \partial\theta/\partial\nabla\xi`, :math:`\partial\theta/\partial\nabla\xi =
    (-\xi_y, \xi_x)/|\nabla\xi|^2`, :math:`A' = [[2m, -m'], [m', 2m]]`,
    :math:`m' = \varepsilon'^2 + \varepsilon\varepsilon''`. The second term is bounded
    as :math:`\nabla\xi\to 0` and is dropped where :math:`|\nabla\xi|` vanishes.
    """
    grad = np.asarray(grad, dtype=float)
    dim = grad.shape[0]
    eye = np.eye(dim).reshape((dim, dim) + (1,) * (grad.ndim - 1))
    if dim == 1 or delta == 0.0:
        return kappa0 * grad, kappa0 * eye * np.ones_like(grad[0])
    gx, gy = grad
    theta = np.arctan2(gy, gx) - theta0
    s0 = np.sqrt(kappa0)
    eps = s0 * (1 + delta * np.cos(omega * theta))
    deps = -s0 * delta * omega * np.sin(omega * theta)
    d2eps = -s0 * delta * omega ** 2 * np.cos(omega * theta)
    kap, m = eps ** 2, eps * deps
    dm = deps ** 2 + eps * d2eps
    J = np.stack([kap * gx - m * gy, kap * gy + m * gx])
    g2 = gx ** 2 + gy ** 2
    ok = g2 > 1e-24
    inv = np.where(ok, 1.0 / np.where(ok, g2, 1.0), 0.0)
    dth = np.stack([-gy * inv, gx * inv])  # d theta / d grad
    Ap = np.stack([2 * m * gx - dm * gy, dm * gx + 2 * m * gy])  # A'(theta) grad
    dJ = np.empty((2, 2) + gx.shape)
    dJ[0, 0] = kap + Ap[0] * dth[0]
    dJ[0, 1] = -m + Ap[0] * dth[1]
    dJ[1, 0] = m + Ap[1] * dth[0]
    dJ[1, 1] = kap + Ap[1] * dth[1]
    return J, dJ
