r"""Quasi-static linear stability of a plating electrode (secondary current distribution).

Assumptions
-----------
* quasi-static charge balance :math:`\nabla^2\Phi = 0` in :math:`h(x,t) < y < h_0(t) + L`
  (the mean front :math:`h_0` and the bulk boundary :math:`\Phi = 0` move together, the
  ``follow_front`` window);
* uniform concentration: exact for a single-ion conductor (:math:`t_+ = 1`, the salt
  boundary flux :math:`(1-t_+)i/F` vanishes); for :math:`t_+ < 1` it neglects the
  concentration perturbation, which is small when :math:`\Delta c/c \ll 1`;
* galvanostatic, Butler--Volmer linearised about the base state,
  :math:`i_{BV} = -j + g\,\delta\eta`, :math:`g = \partial i_{BV}/\partial\eta` at the
  base overpotential (:math:`i_{BV}(\eta_0) = -j`, :math:`j > 0` plating);
* no surface energy; side walls are symmetry planes (cosine modes).

Derivation
----------
Base state: :math:`\Phi_0 = (j/\kappa)(y - L)` (current :math:`-j` toward the metal).
Perturb the surface, :math:`h = \varepsilon\cos kx`, and the potential by
:math:`\varepsilon A\sinh(k(L-y))\cos kx` (harmonic, zero at the bulk boundary). The
electrode potential is unchanged to first order (the cosine carries no net current).
At :math:`y = h`:

.. math::

    \delta\eta = -\left(\frac{j}{\kappa} + A\sinh kL\right), \qquad
    \delta i_y = \kappa A k\cosh kL = g\,\delta\eta

so :math:`A = -\dfrac{g j/\kappa}{\kappa k\cosh kL + g\sinh kL}` and the plating
current is :math:`j\left[1 + \dfrac{g k}{\kappa k + g\tanh kL}\,\varepsilon\cos kx\right]`.
With :math:`\partial_t h = (M/\rho F)\,(-i_{BV})`, the amplitude grows as
:math:`\varepsilon \propto e^{s t}` with

.. math:: s(k) = \frac{M j}{\rho F}\,\frac{g\,k}{\kappa k + g\tanh kL}.

Limits: fast kinetics (:math:`g\to\infty`) gives :math:`s = (Mj/\rho F)\,k\coth kL`
(Mullins--Sekerka-like, no capillary cut-off); slow kinetics
(:math:`\kappa k \gg g`) gives :math:`s \to (Mj/\rho F)\,g/\kappa`: the Wagner number
:math:`\kappa/(gL)` sets how uniform plating is. For stripping (:math:`j < 0`) the same
formula gives :math:`s < 0` (perturbations decay).
"""
from __future__ import annotations

import numpy as np

from ..constants import F
from ..physics.ale import LI_MOLAR_VOLUME

__all__ = ["linear_growth_rate", "base_overpotential", "mode_amplitude"]


def base_overpotential(kinetics, current_density, *, c_ratio=1.0, tol=1e-14):
    """η₀ with ``kinetics(η₀, c_ratio).i == current_density`` and g = di/dη there."""
    eta = 0.0
    for _ in range(200):
        k = kinetics(eta, c_ratio)
        step = (float(k.i) - current_density) / float(k.di_deta)
        eta -= float(np.clip(step, -0.05, 0.05))
        if abs(step) < tol:
            return eta, float(kinetics(eta, c_ratio).di_deta)
    raise RuntimeError("base_overpotential: Newton did not converge")


def linear_growth_rate(k, *, conductivity, g, height, current_density,
                       molar_volume=LI_MOLAR_VOLUME):
    """Growth rate s(k) [1/s] of a surface mode cos(kx) (formula in the module docstring).

    `current_density` is the applied current, anodic > 0, so plating (< 0) gives s > 0.
    """
    k = np.asarray(k, dtype=float)
    j = -float(current_density)
    return molar_volume * j / F * g * k / (conductivity * k + g * np.tanh(k * height))


def mode_amplitude(curve, wavenumber, width):
    """Amplitude (2/W)∫ y cos(kx) dx of the surface polyline (exact for a polyline)."""
    x, y = np.asarray(curve, dtype=float).T
    k = wavenumber
    # exact integral of the piecewise-linear y times cos(kx) on each segment
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    dx = x1 - x0
    ok = np.abs(dx) > 0
    s = np.zeros_like(x0)
    m = (y1[ok] - y0[ok]) / dx[ok]
    b = y0[ok] - m * x0[ok]
    def prim(xx, mm, bb):  # ∫ (m x + b) cos(kx) dx
        return (mm * xx + bb) * np.sin(k * xx) / k + mm * np.cos(k * xx) / k ** 2
    s[ok] = prim(x1[ok], m, b) - prim(x0[ok], m, b)
    return 2.0 / width * float(s.sum())
