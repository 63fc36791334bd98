r"""Parameter sets of the nonlinear phase-field model of Li electrodeposition.

Two sets are provided, each a function citing its source:

* :func:`table_s1_parameters` -- SI values of Zhang et al., Supporting Information,
  Table S1 (after Chen et al., J. Power Sources 300 (2015) 376).
* :func:`moose_normalised_parameters` -- the normalised set of the public MOOSE inputs
  of Hong & Viswanathan, ACS Energy Lett. 3 (2018) 1737.

The solver works in scaled variables only (:class:`ScaledParameters`); the single
conversion is :func:`nondimensionalise`, with

.. math::

    \tilde x = x/l_0,\quad \tilde t = t/t_0,\quad \tilde W = W/E_0,\quad
    \tilde\kappa = \kappa/(E_0 l_0^2),\quad \tilde L_\sigma = L_\sigma E_0 t_0,\quad
    \tilde L_\eta = L_\eta t_0,\quad \tilde D = D t_0/l_0^2,\quad
    \tilde\sigma = \sigma/\sigma_0,\quad
    \Gamma = n F c_s l_0^2/(\sigma_0 t_0)\ [\mathrm{V}],

the potential staying in volts and the Li+ concentration scaled by :math:`c_0`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..constants import F, R
from ..errors import MaterialError, check_positive, check_range

__all__ = [
    "PhaseFieldParameters",
    "ScaledParameters",
    "table_s1_parameters",
    "moose_normalised_parameters",
    "nondimensionalise",
    "interface_length",
    "interface_width",
]

_ATANH_08 = math.atanh(0.8)
LI_MOLAR_DENSITY = 0.534e6 / 6.941  # Li metal site density c_s [mol m-3] (0.534 g cm-3)


@dataclass(frozen=True)
class PhaseFieldParameters:
    """Dimensional (SI) parameters of the phase-field model.

    Attributes are in SI units: ``L_sigma`` [m3 J-1 s-1], ``W`` [J m-3],
    ``L_eta`` [s-1], ``kappa0`` [J m-1], ``D_e``, ``D_l`` [m2 s-1], ``sigma_e``,
    ``sigma_l`` [S m-1], ``c0``, ``c_s`` [mol m-3], ``T`` [K]; ``alpha`` transfer
    coefficient, ``n`` electrons, ``delta``/``omega``/``theta0`` anisotropy strength,
    mode and orientation [rad]; ``citation`` says where the numbers come from.
    """

    L_sigma: float
    W: float
    L_eta: float
    kappa0: float
    D_e: float
    D_l: float
    sigma_e: float
    sigma_l: float
    c0: float
    c_s: float
    T: float = 300.0
    alpha: float = 0.5
    n: int = 1
    delta: float = 0.0
    omega: float = 4.0
    theta0: float = 0.0
    citation: str = ""


@dataclass(frozen=True)
class ScaledParameters:
    r"""Dimensionless parameters the solver uses (potential kept in volts).

    ``f`` is :math:`nF/RT` [V-1], ``cs_c0`` is :math:`c_s/c_0`, ``gamma`` the Faradaic
    coupling :math:`\Gamma` [V] of :math:`\tilde\nabla\cdot(\tilde\sigma\tilde\nabla\phi)
    = \Gamma\,\partial_{\tilde t}\xi`. ``length``, ``time``, ``conductivity`` and
    ``c0`` are the SI scales used (1.0 when unknown).
    """

    L_sigma: float
    W: float
    L_eta: float
    kappa0: float
    D_e: float
    D_l: float
    sigma_e: float
    sigma_l: float
    f: float
    cs_c0: float
    gamma: float
    alpha: float = 0.5
    delta: float = 0.0
    omega: float = 4.0
    theta0: float = 0.0
    length: float = 1.0
    time: float = 1.0
    conductivity: float = 1.0
    c0: float = 1.0
    citation: str = ""

    def __post_init__(self):
        for name in ("L_sigma", "W", "kappa0", "D_e", "D_l", "sigma_e", "sigma_l", "f",
                     "cs_c0", "length", "time", "conductivity", "c0"):
            check_positive(getattr(self, name), name=name, exc=MaterialError)
        for name in ("L_eta", "gamma"):
            check_positive(getattr(self, name), name=name, allow_zero=True, exc=MaterialError)
        check_range(self.alpha, (0.0, 1.0), name="alpha", exc=MaterialError)
        # kappa + kappa'' < 0 (negative interface stiffness) for delta > 1/(omega^2 - 1)
        if self.delta != 0.0:
            lim = 1.0 / (self.omega ** 2 - 1.0)
            if not (0.0 <= self.delta < lim):
                raise MaterialError(
                    f"delta must lie in [0, 1/(omega^2-1)) = [0, {lim:.4g}) for omega="
                    f"{self.omega} (above it the interface stiffness is negative and the "
                    f"problem ill-posed), got {self.delta!r}.")

    def with_(self, **changes) -> "ScaledParameters":
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)


def table_s1_parameters(**overrides) -> PhaseFieldParameters:
    """SI parameters of Zhang et al., SI Table S1 (model of Chen et al. 2015).

    Table S1 gives L_sigma = 2.5e-6 m3 J-1 s-1, W = 3.75e5 J m-3, L_eta = 1 s-1,
    kappa0 = 2.5e-5 J m-1, D_e = 7.5e-13, D_l = 2.5e-10 m2 s-1, sigma_e = 1e7 S m-1,
    alpha = 0.5, T = 300 K. Not in the table and chosen here: c0 = 1000 mol m-3
    (1 M), c_s = Li metal site density 7.69e4 mol m-3, sigma_l from Nernst--Einstein
    for D_l and c0 (F^2 D_l c0 / RT = 0.93 S m-1).
    """
    T = overrides.get("T", 300.0)
    c0 = overrides.get("c0", 1000.0)
    D_l = overrides.get("D_l", 2.5e-10)
    base = dict(L_sigma=2.5e-6, W=3.75e5, L_eta=1.0, kappa0=2.5e-5, D_e=7.5e-13,
                D_l=D_l, sigma_e=1e7, sigma_l=F ** 2 * D_l * c0 / (R * T), c0=c0,
                c_s=LI_MOLAR_DENSITY, T=T, alpha=0.5, n=1,
                citation="Zhang et al., SI Table S1; Chen et al., J. Power Sources 300 "
                         "(2015) 376")
    base.update(overrides)
    return PhaseFieldParameters(**base)


def moose_normalised_parameters(**overrides) -> ScaledParameters:
    """Normalised set of the public MOOSE inputs of Hong & Viswanathan (2018).

    kappa = 0.3, L_sigma = 6.25, L_eta = 0.001, barrier W = 2.4, nF/RT = 38.69 V-1,
    sigma_e = 1e6, sigma_l = 1.19 (applied -0.45 V at the electrode is a boundary
    condition of the study, not a parameter), D_l = 317.9 (their ``M0``).

    Units of that set: l0 = 1 um, t0 = 1 s, sigma0 = 1 S m-1. They follow from its
    own numbers: the charge-source factor ``ft2`` = 0.0074 equals
    Gamma = nFc_s l0^2/(sigma0 t0) = 7.42e-3 only for l0 = 1 um, t0 = 1 s, and
    D_l = 317.9 um2 s-1 = 3.18e-10 m2 s-1 is a liquid-electrolyte diffusivity.
    L_sigma, L_eta and D_l must be used in the same time unit: the ratio of the
    interface kinetics to Li+ transport sets whether a seed grows before a low-xi
    precursor ahead of it becomes unstable. Not in that list and chosen here:
    D_e/D_l = 3e-3 (Table S1 ratio), c_s/c0 = 76.9 (Li metal, c0 = 1 M).
    """
    l0, t0, s0 = 1e-6, 1.0, 1.0
    D_l = 317.9
    base = dict(L_sigma=6.25, W=2.4, L_eta=0.001, kappa0=0.3, D_e=3e-3 * D_l, D_l=D_l,
                sigma_e=1e6, sigma_l=1.19, f=38.69, cs_c0=LI_MOLAR_DENSITY / 1000.0,
                gamma=F * LI_MOLAR_DENSITY * l0 ** 2 / (s0 * t0), alpha=0.5,
                length=l0, time=t0, conductivity=s0, c0=1000.0,
                citation="Hong & Viswanathan, ACS Energy Lett. 3 (2018) 1737, MOOSE inputs")
    base.update(overrides)
    return ScaledParameters(**base)


def nondimensionalise(p: PhaseFieldParameters, /, *, length: float, time: float | None = None,
                      energy: float | None = None,
                      conductivity: float | None = None) -> ScaledParameters:
    """Scale SI parameters by l0 = `length` [m], t0 = `time` [s] (default l0^2/D_l),
    E0 = `energy` [J m-3] (default W) and sigma0 = `conductivity` (default sigma_l).

    Examples
    --------
    >>> s = nondimensionalise(table_s1_parameters(), length=1e-6)
    >>> round(s.W, 12), round(s.D_l, 12)
    (1.0, 1.0)
    """
    l0 = check_positive(length, name="length")
    t0 = check_positive(time if time is not None else l0 ** 2 / p.D_l, name="time")
    E0 = check_positive(energy if energy is not None else p.W, name="energy")
    s0 = check_positive(conductivity if conductivity is not None else p.sigma_l,
                        name="conductivity")
    return ScaledParameters(
        L_sigma=p.L_sigma * E0 * t0, W=p.W / E0, L_eta=p.L_eta * t0,
        kappa0=p.kappa0 / (E0 * l0 ** 2), D_e=p.D_e * t0 / l0 ** 2,
        D_l=p.D_l * t0 / l0 ** 2, sigma_e=p.sigma_e / s0, sigma_l=p.sigma_l / s0,
        f=p.n * F / (R * p.T), cs_c0=p.c_s / p.c0,
        gamma=p.n * F * p.c_s * l0 ** 2 / (s0 * t0), alpha=p.alpha, delta=p.delta,
        omega=p.omega, theta0=p.theta0, length=l0, time=t0, conductivity=s0, c0=p.c0,
        citation=p.citation)


def interface_length(p: ScaledParameters, /) -> float:
    r"""Length :math:`\ell=\sqrt{2\kappa_{min}/W}` of the equilibrium profile
    :math:`\xi = \tfrac12[1-\tanh(x/\ell)]` (solution of :math:`\kappa\xi''=g'(\xi)`,
    :math:`g = W\xi^2(1-\xi)^2`), with :math:`\kappa_{min}=\kappa_0(1-\delta)^2`."""
    kmin = p.kappa0 * (1.0 - abs(p.delta)) ** 2
    return math.sqrt(2.0 * kmin / p.W)


def interface_width(p: ScaledParameters, /) -> float:
    r"""10--90 % width :math:`\delta_{int} = 2\,\mathrm{artanh}(0.8)\,\ell \approx 2.197\,\ell`."""
    return 2.0 * _ATANH_08 * interface_length(p)
