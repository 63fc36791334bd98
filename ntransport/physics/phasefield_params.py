r"""Parameter sets of the nonlinear phase-field model of Li electrodeposition.

Two sets are provided, each a function citing its source:

* :func:`zhang2024_table_s1` -- the SI values of Zhang et al., Supporting Information,
  Table S1, exactly as printed (after Chen et al., J. Power Sources 300 (2015) 376);
  :data:`TABLE_S1_PRINTED` holds the printed strings. What they imply, from the
  printed numbers alone: an equilibrium interface length
  :math:`\ell=\sqrt{2\kappa_0/W}` = 11.5 µm (10--90 % width 25.4 µm, twice the 12.6 µm
  cell), an interfacial energy :math:`\gamma=\sqrt{2\kappa_0W}/6` = 0.72 J m-2 (close
  to Li's ~0.5 J m-2), an Allen--Cahn relaxation time :math:`1/(L_\sigma W)` = 1.07 s, a
  reaction time :math:`1/L_\eta` = 1 s and a diffusion time over the cell
  :math:`H^2/D_l` = 0.64 s. :func:`thin_interface` gives the closest faithful set that
  fits the cell (same sharp-interface physics, thinner interface).
* :func:`moose_normalised_parameters` -- the normalised set of the public MOOSE inputs
  of Hong & Viswanathan, ACS Energy Lett. 3 (2018) 1737.

Both sets describe the salt of the electrolyte by its Li+ diffusivity :math:`D_l`; the
model (:mod:`ntransport.physics.phasefield_forms`) transports it as an electroneutral
binary salt with the anion diffusivity :math:`D_l(1-t_+)/t_+` (``t_plus``; 0.22 for
PEO/LiTFSI, the ``"PEO/LiTFSI"`` set of :mod:`ntransport.materials`, Xue, He & Xie,
J. Mater. Chem. A 3 (2015) 19218), hence the salt conductivity
:math:`F^2D_lc_0/(RTt_+)` (:func:`salt_conductivity`).

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
    "zhang2024_table_s1",
    "table_s1_parameters",
    "TABLE_S1_PRINTED",
    "thin_interface",
    "moose_normalised_parameters",
    "nondimensionalise",
    "interface_length",
    "interface_width",
    "interface_energy",
    "salt_conductivity",
    "PEO_T_PLUS",
]

_ATANH_08 = math.atanh(0.8)
LI_MOLAR_DENSITY = 0.534e6 / 6.941  # Li metal site density c_s [mol m-3] (0.534 g cm-3)
#: Li+ transference number of PEO/LiTFSI (materials library "PEO/LiTFSI": Xue, He & Xie,
#: J. Mater. Chem. A 3 (2015) 19218); sets the anion diffusivity of the binary salt
PEO_T_PLUS = 0.22
ZHANG_TABLE_S1 = ("Zhang et al., 12.6 um-thick asymmetric composite electrolyte, Supporting "
                  "Information, Table S1 (model of Chen et al., J. Power Sources 300 (2015) 376)")

#: Table S1 as printed: (attribute, symbol, printed value with unit)
TABLE_S1_PRINTED = (
    ("L_sigma", "L_i", "2.5e-6 m^3 J^-1 s^-1"),
    ("W", "W", "3.75e5 J m^-3"),
    ("L_eta", "L_m", "1 s^-1"),
    ("kappa0", "kappa_0", "2.5e-5 J m^-1"),
    ("D_e", "D_e", "7.5e-13 m^2 s^-1"),
    ("D_l", "D_l", "2.5e-10 m^2 s^-1"),
    ("sigma_e", "sigma_e", "1e7 S m^-1"),
    ("alpha", "alpha", "0.5"),
    ("beta", "beta", "0.5"),
    ("E_metal", "E_m", "4.9 GPa"),
    ("E_electrolyte", "E_e", "12.6 MPa"),
    ("T", "T", "300 K"),
)


@dataclass(frozen=True)
class PhaseFieldParameters:
    """Dimensional (SI) parameters of the phase-field model.

    Attributes are in SI units: ``L_sigma`` [m3 J-1 s-1], ``W`` [J m-3],
    ``L_eta`` [s-1], ``kappa0`` [J m-1], ``D_e``, ``D_l`` [m2 s-1], ``sigma_e``,
    ``sigma_l`` [S m-1], ``c0``, ``c_s`` [mol m-3], ``T`` [K]; ``alpha`` transfer
    coefficient (``beta`` = 1 - alpha its symmetric partner), ``n`` electrons,
    ``delta``/``omega``/``theta0`` anisotropy strength, mode and orientation [rad];
    ``t_plus`` the Li+ transference number of the binary salt; ``E_metal``,
    ``E_electrolyte`` [Pa] Young's moduli (None: not given); ``citation`` says where the
    numbers come from, ``note`` what they imply and what was assumed.
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
    t_plus: float = PEO_T_PLUS
    E_metal: float | None = None
    E_electrolyte: float | None = None
    citation: str = ""
    note: str = ""

    @property
    def beta(self) -> float:
        """Symmetry factor of the anodic branch, 1 - alpha."""
        return 1.0 - self.alpha

    def with_(self, **changes) -> "PhaseFieldParameters":
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class ScaledParameters:
    r"""Dimensionless parameters the solver uses (potential kept in volts).

    ``f`` is :math:`nF/RT` [V-1], ``cs_c0`` is :math:`c_s/c_0`, ``gamma`` the Faradaic
    coupling :math:`\Gamma` [V] of :math:`\tilde\nabla\cdot(\tilde\sigma\tilde\nabla\phi)
    = \Gamma\,\partial_{\tilde t}\xi`. ``length``, ``time``, ``conductivity`` and
    ``c0`` are the SI scales used (1.0 when unknown). ``t_plus`` is the Li+
    transference number of the binary salt (anion diffusivity
    :math:`D_l(1-t_+)/t_+`).
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
    t_plus: float = PEO_T_PLUS
    citation: str = ""

    def __post_init__(self):
        for name in ("L_sigma", "W", "kappa0", "D_e", "D_l", "sigma_e", "sigma_l", "f",
                     "cs_c0", "length", "time", "conductivity", "c0"):
            check_positive(getattr(self, name), name=name, exc=MaterialError)
        for name in ("L_eta", "gamma"):
            check_positive(getattr(self, name), name=name, allow_zero=True, exc=MaterialError)
        check_range(self.alpha, (0.0, 1.0), name="alpha", exc=MaterialError)
        if not (0.0 < self.t_plus <= 1.0):
            raise MaterialError(f"t_plus (Li+ transference number) must lie in (0, 1], got "
                                f"{self.t_plus!r} (PEO/LiTFSI ~0.22; 1 = single-ion conductor).")
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

    @property
    def gamma_c(self) -> float:
        r""":math:`\Gamma_c = Fc_0l_0^2/(\sigma_0t_0) = \Gamma c_0/c_s` [V]: the factor of the
        scaled ionic fluxes in the charge balance."""
        return self.gamma / self.cs_c0


def zhang2024_table_s1(**overrides) -> PhaseFieldParameters:
    """SI parameters of Zhang et al., SI Table S1, exactly as printed.

    Printed (:data:`TABLE_S1_PRINTED`): interfacial mobility L_sigma = 2.5e-6 m3 J-1 s-1,
    barrier height W = 3.75e5 J m-3, reaction coefficient L_eta = 1 s-1, gradient energy
    coefficient kappa0 = 2.5e-5 J m-1, D_e = 7.5e-13 and D_l = 2.5e-10 m2 s-1,
    sigma_e = 1e7 S m-1, alpha = beta = 0.5, E_m = 4.9 GPa (Li), E_e = 12.6 MPa (PEO),
    T = 300 K.

    Not printed, stated here: c0 = 1000 mol m-3 (PEO/LiTFSI at EO:Li = 20, materials
    library), c_s = Li metal site density 7.69e4 mol m-3, t_plus = 0.22 (PEO/LiTFSI),
    sigma_l = F^2 D_l c0/RT = 0.93 S m-1 (the Li+-only Nernst--Einstein value; the
    binary-salt model uses F^2 D_l c0/(RT t+) = 4.2 S m-1), no anisotropy.

    What the printed numbers imply (in ``note``): interface length sqrt(2 kappa0/W) =
    11.5 um, 10--90 % width 25.4 um (wider than the 12.6 um cell: the set cannot be run
    as printed in that cell), interfacial energy sqrt(2 kappa0 W)/6 = 0.72 J m-2,
    Allen--Cahn time 1/(L_sigma W) = 1.07 s, reaction time 1/L_eta = 1 s.
    """
    T = overrides.get("T", 300.0)
    c0 = overrides.get("c0", 1000.0)
    D_l = overrides.get("D_l", 2.5e-10)
    base = dict(L_sigma=2.5e-6, W=3.75e5, L_eta=1.0, kappa0=2.5e-5, D_e=7.5e-13,
                D_l=D_l, sigma_e=1e7, sigma_l=F ** 2 * D_l * c0 / (R * T), c0=c0,
                c_s=LI_MOLAR_DENSITY, T=T, alpha=0.5, n=1, t_plus=PEO_T_PLUS,
                E_metal=4.9e9, E_electrolyte=12.6e6, citation=ZHANG_TABLE_S1)
    base.update(overrides)
    p = PhaseFieldParameters(**base)
    if "note" not in overrides:
        p = replace(p, note=_implications(p))
    return p


#: the name used before the set was tied to its source
table_s1_parameters = zhang2024_table_s1


def interface_energy(p: PhaseFieldParameters, /) -> float:
    r"""Interfacial energy :math:`\gamma = \int\kappa\xi'^2dn = \sqrt{2\kappa_0W}/6`
    [J m-2] of the equilibrium profile (isotropic part)."""
    return math.sqrt(2.0 * p.kappa0 * p.W) / 6.0


def _implications(p: PhaseFieldParameters) -> str:
    ell = math.sqrt(2 * p.kappa0 / p.W)
    return (f"implied: interface length sqrt(2 kappa0/W) = {ell * 1e6:.3g} um (10-90 % width "
            f"{2 * _ATANH_08 * ell * 1e6:.3g} um), interfacial energy sqrt(2 kappa0 W)/6 = "
            f"{interface_energy(p):.3g} J m-2, Allen-Cahn time 1/(L_sigma W) = "
            f"{1 / (p.L_sigma * p.W):.3g} s, reaction time 1/L_eta = {1 / p.L_eta:.3g} s, "
            f"diffusion time (12.6 um)^2/D_l = {(12.6e-6) ** 2 / p.D_l:.3g} s")


def thin_interface(p: PhaseFieldParameters, /, *, interface_length: float) -> PhaseFieldParameters:
    r"""The same sharp-interface physics with a thinner diffuse interface.

    With :math:`s = \ell/\ell_{target}` (:math:`\ell = \sqrt{2\kappa_0/W}`):
    :math:`\kappa_0\to\kappa_0/s`, :math:`W\to sW` (interfacial energy
    :math:`\propto\sqrt{\kappa_0W}` unchanged), :math:`L_\sigma\to sL_\sigma`
    (curvature-driven velocity :math:`L_\sigma\kappa_0\mathcal K` unchanged) and
    :math:`L_\eta\to sL_\eta` (the plating rate of a flat interface,
    :math:`L_\eta B\int h'(\xi)\,dn = 2.5\,\ell L_\eta B`, i.e. the exchange current,
    unchanged). Transport, conductivities and temperature are untouched. This is why it
    is the closest faithful run of a set whose interface is wider than the cell: every
    quantity of the sharp-interface limit keeps its printed value; only the width, a
    numerical device of the diffuse-interface method, changes.
    """
    ell = math.sqrt(2 * p.kappa0 / p.W)
    target = check_positive(interface_length, name="interface_length")
    s = ell / target
    q = replace(p, kappa0=p.kappa0 / s, W=p.W * s, L_sigma=p.L_sigma * s, L_eta=p.L_eta * s,
                citation=p.citation + f"; thin-interface scaling s = {s:.4g}")
    return replace(q, note=(p.note + "; " if p.note else "") +
                   f"thin-interface scaling by s = {s:.4g} to interface length "
                   f"{target * 1e6:.3g} um: kappa0/s, W s, L_sigma s, L_eta s keep the "
                   f"interfacial energy ({interface_energy(q):.3g} J m-2), the curvature "
                   "mobility L_sigma kappa0 and the exchange current L_eta ell of the "
                   "printed set")


def salt_conductivity(p, /) -> float:
    r"""Conductivity of the binary salt at :math:`c_0`, :math:`F^2D_lc_0/(RTt_+)` [S m-1]
    (SI set) or in units of its ``conductivity`` scale (scaled set)."""
    if isinstance(p, ScaledParameters):
        return p.gamma_c * p.f * p.D_l / p.t_plus
    return p.n ** 2 * F ** 2 * p.D_l * p.c0 / (R * p.T * p.t_plus)


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
    D_e/D_l = 3e-3 (Table S1 ratio), c_s/c0 = 76.9 (Li metal, c0 = 1 M), t_plus = 0.22
    (PEO/LiTFSI; the binary-salt conductivity is then sigma_l/t_plus = 5.4 S m-1, the set's
    sigma_l = 1.19 S m-1 being the Li+-only Nernst--Einstein value of its D_l).
    """
    l0, t0, s0 = 1e-6, 1.0, 1.0
    D_l = 317.9
    base = dict(L_sigma=6.25, W=2.4, L_eta=0.001, kappa0=0.3, D_e=3e-3 * D_l, D_l=D_l,
                sigma_e=1e6, sigma_l=1.19, f=38.69, cs_c0=LI_MOLAR_DENSITY / 1000.0,
                gamma=F * LI_MOLAR_DENSITY * l0 ** 2 / (s0 * t0), alpha=0.5,
                length=l0, time=t0, conductivity=s0, c0=1000.0, t_plus=PEO_T_PLUS,
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
        t_plus=p.t_plus, citation=p.citation)


def interface_length(p: ScaledParameters, /) -> float:
    r"""Length :math:`\ell=\sqrt{2\kappa_{min}/W}` of the equilibrium profile
    :math:`\xi = \tfrac12[1-\tanh(x/\ell)]` (solution of :math:`\kappa\xi''=g'(\xi)`,
    :math:`g = W\xi^2(1-\xi)^2`), with :math:`\kappa_{min}=\kappa_0(1-\delta)^2`."""
    kmin = p.kappa0 * (1.0 - abs(p.delta)) ** 2
    return math.sqrt(2.0 * kmin / p.W)


def interface_width(p: ScaledParameters, /) -> float:
    r"""10--90 % width :math:`\delta_{int} = 2\,\mathrm{artanh}(0.8)\,\ell \approx 2.197\,\ell`."""
    return 2.0 * _ATANH_08 * interface_length(p)
