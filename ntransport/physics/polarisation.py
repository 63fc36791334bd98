r"""Analytic references for a 1D cell between two Li electrodes (electroneutral).

**Steady state at a cell voltage** (:func:`steady_polarisation`). Li+ (concentration
:math:`c = a + X`) against free anions :math:`a` blocked at both electrodes and a uniform
immobilised anion charge :math:`X`. With :math:`\hat\phi = F\phi/RT` and y from the
cathode (0) to the anode (L):

* blocked anions are Boltzmann-distributed, :math:`\hat\phi = \ln a + C`;
* the Li+ flux :math:`N = -D_+(c' + c\hat\phi') = -D_+\,\tfrac{d}{dy}(2a + X\ln a)` is
  uniform, so :math:`g(a) = 2a + X\ln a` is linear in y and the current density is
  :math:`i = F D_+\,[g(a_a) - g(a_c)]/L`;
* the anions are conserved: :math:`\bar a = \frac{1}{L}\int a\,dy =
  \frac{(a_a-a_c)(a_a+a_c+X)}{g(a_a)-g(a_c)}`;
* the cell voltage is the electrolyte's diffusion + ohmic drop plus the two
  overpotentials, :math:`V = \tfrac{RT}{F}\ln(a_a/a_c) + \eta_a(i, c_a) - \eta_c(-i, c_c)`,
  each :math:`\eta` from the electrode kinetics with its surface concentration
  (Butler--Volmer with :math:`c/c_{ref}`: Nernstian when :math:`i_0\to\infty`).

For :math:`X = 0` and reversible electrodes this is the binary-electrolyte result
:math:`\Delta c = 2c_0\tanh(FV/4RT)`. Two equations for :math:`a_a, a_c`, solved by
nested bisection (brentq) to round-off.

**Sand's time** of a binary salt under a constant Li+ flux (:func:`sand_time`).
"""
from __future__ import annotations

import math

import numpy as np

from ..constants import F, R
from ..errors import ConfigError
from .kinetics import butler_volmer

__all__ = ["steady_polarisation", "sand_time"]


def _eta(kinetics, i, c_ratio, i0, alpha_a, alpha_c, T):
    """Overpotential giving current density *i* at surface concentration ratio *c_ratio*."""
    from scipy.optimize import brentq

    f = lambda e: float(kinetics(e, c_ratio, i0=i0, alpha_a=alpha_a, alpha_c=alpha_c, T=T).i) - i
    return brentq(f, -5.0, 5.0, xtol=1e-15, rtol=1e-14, maxiter=500)


def steady_polarisation(voltage, *, c_free, c_fixed=0.0, D_plus, length, T, i0=math.inf,
                        alpha_a=0.5, alpha_c=0.5, c_ref=None, kinetics=butler_volmer) -> dict:
    r"""Steady 1D state at cell voltage *voltage* [V] (see the module docstring).

    Parameters
    ----------
    c_free : float
        Mean concentration of free (mobile, blocked) anions [mol m-3].
    c_fixed : float
        Immobilised anion concentration (uniform) [mol m-3].
    D_plus : float
        Li+ diffusivity [m2 s-1].
    length : float
        Electrode separation [m].
    T : float [K]
    i0, alpha_a, alpha_c, c_ref, kinetics
        Electrode kinetics of both electrodes (``i0=inf``: Nernstian electrodes);
        ``c_ref`` defaults to the mean Li+ concentration.

    Returns
    -------
    dict
        ``c_anode``, ``c_cathode`` (Li+ at the electrodes), ``delta_c`` (their
        difference), ``current`` [A m-2], ``eta_anode``, ``eta_cathode``,
        ``delta_phi`` (electrolyte potential anode minus cathode) [V].
    """
    from scipy.optimize import brentq

    X, abar = float(c_fixed), float(c_free)
    if not (abar > 0 and X >= 0 and D_plus > 0 and length > 0 and T > 0):
        raise ConfigError("steady_polarisation: c_free, D_plus, length, T must be > 0 and "
                          f"c_fixed >= 0; got c_free={c_free!r}, c_fixed={c_fixed!r}, "
                          f"D_plus={D_plus!r}, length={length!r}, T={T!r}.")
    VT = R * T / F
    cref = (abar + X) if c_ref is None else float(c_ref)

    def g(a):
        return 2 * a + (X * np.log(a) if X > 0 else 0.0)

    def a_cathode(s):
        # mean of a(y) for a given jump s = a_a - a_c, as a function of a_c (increasing)
        def mean_gap(ac):
            aa = ac + s
            dg = g(aa) - g(ac)
            m = (s * (aa + ac + X) / dg) if s > 0 else ac
            return m - abar
        return brentq(mean_gap, 1e-300, abar, xtol=1e-14 * abar, rtol=1e-15, maxiter=500)

    def state(s):
        ac = a_cathode(s)
        aa = ac + s
        i = F * D_plus * (g(aa) - g(ac)) / length
        if math.isinf(i0):
            ea = VT * math.log((aa + X) / cref)
            ec = VT * math.log((ac + X) / cref)
        else:
            ea = _eta(kinetics, i, (aa + X) / cref, i0, alpha_a, alpha_c, T)
            ec = _eta(kinetics, -i, (ac + X) / cref, i0, alpha_a, alpha_c, T)
        dphi = VT * math.log(aa / ac)
        return dict(c_anode=aa + X, c_cathode=ac + X, delta_c=s, current=i, eta_anode=ea,
                    eta_cathode=ec, delta_phi=dphi, voltage=dphi + ea - ec)

    if voltage == 0:
        return state(0.0)
    sign = 1.0 if voltage > 0 else -1.0
    if sign < 0:
        raise ConfigError("steady_polarisation: give voltage > 0 (anode above cathode).")
    f = lambda s: state(s)["voltage"] - voltage
    # X = 0: a_c = abar - s/2 > 0 bounds the jump by 2 abar; with fixed charge a_c -> 0
    # only logarithmically, so the bracket is widened until it holds the root
    hi, lo = 2 * abar * (1 - 1e-12), 0.0
    while f(hi) < 0:
        if X == 0 or hi > 1e6 * (abar + X):
            raise ConfigError(f"steady_polarisation: voltage {voltage} V exceeds the limiting "
                              "polarisation of this cell (the anions would be fully depleted).")
        lo, hi = hi, 2 * hi
    s = brentq(f, lo, hi, xtol=1e-13 * abar, rtol=1e-15, maxiter=500)
    return state(s)


def sand_time(flux, *, c0, D_plus, D_minus) -> float:
    r"""Sand's time [s] of a 1:1 salt *c0* [mol m-3] under a constant Li+ flux *flux*
    [mol m-2 s-1] at a blocking-for-anions electrode:
    :math:`t_s = \pi D c_0^2/(4[N(1-t_+)]^2)`, :math:`D = 2D_+D_-/(D_++D_-)`,
    :math:`t_+ = D_+/(D_++D_-)` (semi-infinite electrolyte)."""
    D = 2 * D_plus * D_minus / (D_plus + D_minus)
    tp = D_plus / (D_plus + D_minus)
    return float(np.pi * D * c0**2 / (4 * (flux * (1 - tp)) ** 2))
