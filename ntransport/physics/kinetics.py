r"""Electrode kinetics: interchangeable plain functions with one signature.

Each returns a :class:`Kinetics` triple ``(i, di_deta, di_dc)`` so a Newton solver can
build a consistent Jacobian. Sign convention: ``i > 0`` is anodic (Li -> Li+ + e-,
stripping; Li+ enters the electrolyte), ``i < 0`` cathodic (plating).

.. math::

    \eta = \phi_s - \phi_l - U, \qquad f = F / (R T)

    i_{BV} = i_0 \left[ e^{\alpha_a f \eta} - \frac{c}{c_{ref}} e^{-\alpha_c f \eta} \right]

A boundary condition takes one of these functions; it never branches on a string.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..constants import F, R

__all__ = ["Kinetics", "butler_volmer", "tafel", "linear", "exchange_current_from_overpotential",
           "symmetric_cell_exchange_current"]


class Kinetics(NamedTuple):
    i: np.ndarray  # current density [A m-2], anodic positive
    di_deta: np.ndarray  # [A m-2 V-1]
    di_dc: np.ndarray  # derivative w.r.t. the concentration ratio c/c_ref [A m-2]


def butler_volmer(eta, c_ratio=1.0, *, i0, alpha_a=0.5, alpha_c=0.5, T=298.15) -> Kinetics:
    r"""Concentration-dependent Butler--Volmer kinetics.

    :math:`i = i_0[\exp(\alpha_a f\eta) - (c/c_{ref})\exp(-\alpha_c f\eta)]`.

    Parameters
    ----------
    eta : array_like
        Overpotential [V].
    c_ratio : array_like
        Li+ concentration at the surface over its reference value (dimensionless).
    i0 : float
        Exchange current density [A m-2].
    alpha_a, alpha_c : float
        Anodic and cathodic transfer coefficients.
    T : float
        Temperature [K].

    Examples
    --------
    >>> k = butler_volmer(0.0, 1.0, i0=1.0)
    >>> float(k.i)
    0.0
    """
    f = F / (R * T)
    eta = np.asarray(eta, dtype=float)
    c_ratio = np.asarray(c_ratio, dtype=float)
    ea = np.exp(alpha_a * f * eta)
    ec = np.exp(-alpha_c * f * eta)
    i = i0 * (ea - c_ratio * ec)
    di_deta = i0 * f * (alpha_a * ea + alpha_c * c_ratio * ec)
    di_dc = -i0 * ec * np.ones_like(c_ratio)
    return Kinetics(i, di_deta, di_dc)


def tafel(eta, c_ratio=1.0, *, i0, alpha_a=0.5, alpha_c=0.5, T=298.15) -> Kinetics:
    r"""High-overpotential (Tafel) limit of Butler--Volmer: only the dominant branch.

    :math:`i = i_0 e^{\alpha_a f\eta}` for :math:`\eta \ge 0`,
    :math:`i = -i_0 (c/c_{ref}) e^{-\alpha_c f\eta}` for :math:`\eta < 0`.
    Valid for :math:`|\eta| \gg RT/F`; discontinuous at :math:`\eta = 0`.
    """
    f = F / (R * T)
    eta = np.asarray(eta, dtype=float)
    c_ratio = np.broadcast_to(np.asarray(c_ratio, dtype=float), eta.shape)
    ea = np.exp(alpha_a * f * np.maximum(eta, 0.0))
    ec = np.exp(-alpha_c * f * np.minimum(eta, 0.0))
    anodic = eta >= 0
    i = np.where(anodic, i0 * ea, -i0 * c_ratio * ec)
    di_deta = np.where(anodic, i0 * alpha_a * f * ea, i0 * alpha_c * f * c_ratio * ec)
    di_dc = np.where(anodic, 0.0, -i0 * ec)
    return Kinetics(i, di_deta, di_dc)


def linear(eta, c_ratio=1.0, *, i0, alpha_a=0.5, alpha_c=0.5, T=298.15) -> Kinetics:
    r"""Small-overpotential (linearised) kinetics: :math:`i = i_0 (\alpha_a+\alpha_c) f \eta`.

    The charge-transfer resistance is :math:`R_{ct} = RT / ((\alpha_a+\alpha_c) F i_0)`;
    concentration dependence is ignored.
    """
    f = F / (R * T)
    eta = np.asarray(eta, dtype=float)
    g = i0 * (alpha_a + alpha_c) * f
    shape = np.broadcast(eta, np.asarray(c_ratio)).shape
    return Kinetics(g * eta * np.ones(shape), g * np.ones(shape), np.zeros(shape))


def exchange_current_from_overpotential(eta, current_density, *, alpha_a=0.5, alpha_c=0.5,
                                        T=298.15):
    r"""The exchange current density [A m-2] at which Butler--Volmer kinetics (no
    concentration change) carry *current_density* [A m-2] at the charge-transfer
    overpotential *eta* [V]: :math:`i_0 = i/(e^{\alpha_a f\eta} - e^{-\alpha_c f\eta})`.

    For :math:`\alpha_a = \alpha_c = 1/2` this is :math:`i/(2\sinh(f\eta/2))`; for small
    :math:`\eta` the linear law :math:`i_0 = RT\,i/((\alpha_a+\alpha_c)F\eta)`.

    Examples
    --------
    >>> i0 = exchange_current_from_overpotential(0.02, 1.0, T=298.15)
    >>> round(float(butler_volmer(0.02, i0=i0, T=298.15).i), 12)
    1.0
    """
    f = F / (R * T)
    eta, i = float(eta), float(current_density)
    if not (eta > 0 and i > 0):
        raise ValueError(f"exchange_current_from_overpotential needs eta > 0 V and "
                         f"current_density > 0 A/m2 (magnitudes), got eta = {eta!r}, "
                         f"current_density = {i!r}.")
    with np.errstate(over="ignore"):
        i0 = i / (np.exp(alpha_a * f * eta) - np.exp(-alpha_c * f * eta))
    if not i0 > 0:  # exp overflowed: eta of ~20 V and more (an i0 of 0 failed later, unnamed)
        raise ValueError(f"a charge-transfer overpotential of {eta:.3g} V at {i:.3g} A/m2 "
                         f"implies an exchange current density of {i0:.3g} A/m2, below what "
                         "floating point holds; an electrode's overpotential is well below 1 V "
                         "(check the unit: '60 mV').")
    return i0


def symmetric_cell_exchange_current(overpotential, current_density, *, conductivity,
                                    transference, thickness, T, alpha_a=0.5, alpha_c=0.5):
    r"""Lower bound of the exchange current density [A m-2] from the steady polarisation
    of a Li | electrolyte | Li symmetric cell.

    The measured overpotential :math:`\eta_{cell}` at current density :math:`i` is the sum
    of the bulk steady-state polarisation of a binary electrolyte of thickness :math:`L`
    (ohmic drop plus concentration polarisation, :math:`iL/(\sigma t_+)`; Bruce--Vincent,
    dilute solution) and the two interfaces, each with a charge-transfer overpotential
    :math:`\eta_{ct}` and any interphase (SEI) resistance :math:`\eta_{SEI}\ge 0`:

    .. math:: \eta_{cell} = \frac{iL}{\sigma t_+} + 2(\eta_{ct} + \eta_{SEI})
              \;\Rightarrow\; \eta_{ct} \le \frac12\left(\eta_{cell} - \frac{iL}{\sigma t_+}\right),

    and the Butler--Volmer :math:`i_0` (:func:`exchange_current_from_overpotential`) at
    that bound is the smallest exchange current the measurement allows (it is the value
    if the interphases add no resistance).

    Returns
    -------
    (i0, eta_ct, eta_bulk) : floats [A m-2], [V], [V]
    """
    bulk = current_density * thickness / (conductivity * transference)
    eta_ct = 0.5 * (overpotential - bulk)
    if not eta_ct > 0:
        raise ValueError(
            f"the bulk polarisation i L/(σ t+) = {bulk * 1e3:.3g} mV already exceeds the "
            f"measured symmetric-cell overpotential {overpotential * 1e3:.3g} mV: no "
            "charge-transfer part is left to bound i0. Check the thickness, conductivity "
            "and temperature of the cell measurement.")
    return (exchange_current_from_overpotential(eta_ct, current_density, alpha_a=alpha_a,
                                                alpha_c=alpha_c, T=T), eta_ct, bulk)
