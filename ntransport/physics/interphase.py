r"""Li | inorganic-electrolyte interphase with electronic leakage (metal-incorporated).

A metal-incorporated interphase (MII) of thickness :math:`\delta` between Li metal and
an inorganic solid electrolyte (Su et al., EES Batteries 2025, 1, 242) conducts Li+
(:math:`\sigma_i`) and, through its metal volume fraction :math:`V_{FM}`, electrons
(:math:`\sigma_e`).

Electronic conductivity
-----------------------
Percolation law (the paper's eqn (2)) above the threshold :math:`V_p`, an optional
tunnelling floor below it:

.. math::

    \sigma_e(V_{FM}) = \begin{cases} \sigma_0 (V_{FM}-V_p)^n & V_{FM} > V_p \\
                       \sigma_{floor} & V_{FM} \le V_p \end{cases}

The mixing rule (eqn (1)), :math:`V\sigma_M + (1-V)\sigma_{NM}`, is available for
comparison. The study may pass any callable ``sigma_e(V_FM)`` (e.g. the FEM fit).

Growth law (Wagner-type, electron-limited when :math:`\sigma_e \ll \sigma_i`)
-----------------------------------------------------------------------------
Electrolyte reduction at the interphase | electrolyte front needs electrons *and* Li+
from the Li metal, both through the interphase, driven by the electrolyte's reduction
potential vs Li, :math:`\Delta V_e`. The two carriers are in series (ambipolar), so the
reduction current density is

.. math::

    i_{red}(\delta) = \frac{\sigma_{amb}\,\Delta V_e}{\delta}
                    + i_{t0}\, e^{-\delta/\lambda}, \qquad
    \sigma_{amb} = \frac{\sigma_e \sigma_i}{\sigma_e + \sigma_i}

(the second term is electron tunnelling through a thin, insulating layer: it makes even
a metal-free SEI grow logarithmically and self-limit). Each mole of electrons consumes
one mole of Li metal and forms :math:`\Omega` m3 of interphase, hence

.. math::

    \frac{d\delta}{dt} = \frac{\Omega\, i_{red}(\delta)}{F}, \qquad
    \text{Li lost per area} = \frac{\delta-\delta_0}{\Omega}.

With :math:`i_{t0}=0`: :math:`\delta^2 = \delta_0^2 + 2\Omega\sigma_{amb}\Delta V_e t/F`
(parabolic). With :math:`\sigma_e=0`: :math:`\delta = \lambda\ln(e^{\delta_0/\lambda}
+ \Omega i_{t0} t/(F\lambda))` (logarithmic, self-limiting); with both zero it stops.

Resistance to the cycling current
---------------------------------
The galvanostatic current may cross the layer as Li+ or, where the metal percolates, as
electrons (Li+ is then reduced at the interphase | electrolyte boundary: "Li deposition
within the MII"), so the two paths are in parallel:
:math:`R_{int} = \delta / (\sigma_i + \sigma_e)` [ohm m2].
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..constants import F
from ..errors import MaterialError, check_positive, check_range
from ..percolation.fit import check_fractions, linear_mixing, power_law

__all__ = [
    "V_P_OVERLAPPING_SPHERES",
    "N_CONDUCTIVITY_3D",
    "percolation_conductivity",
    "mixing_rule_conductivity",
    "Interphase",
    "reduction_current",
    "growth_rate",
    "growth_rate_derivative",
    "li_consumed",
    "interphase_resistance",
    "REACTIONS",
    "PRODUCTS",
    "MIIComposition",
    "mii_composition",
]

#: Continuum percolation threshold of overlapping spheres in 3D (volume fraction),
#: phi_c = 0.2895 (Lorenz & Ziff, J. Chem. Phys. 114, 3659, 2001); the percolation study
#: reproduces it within its error bar (finite-size extrapolation of exact first-spanning
#: densities). The li_inventory study measures V_p at run time instead of using this.
V_P_OVERLAPPING_SPHERES = 0.2895
#: Universal 3D conductivity exponent t ~ 2.0 (Stauffer & Aharony, 1994; Clerc et al.,
#: Adv. Phys. 39, 191, 1990); the voxel lattice limit of ntransport.percolation gives
#: 1.9 [1.75, 2.12] (tests/verification/test_percolation_exponent.py).
N_CONDUCTIVITY_3D = 2.0


def percolation_conductivity(V_FM, *, sigma0, V_p=V_P_OVERLAPPING_SPHERES,
                             n=N_CONDUCTIVITY_3D, sigma_floor=0.0):
    r"""Electronic conductivity from the percolation law :math:`\sigma_0 (V-V_p)^n`.

    Parameters
    ----------
    V_FM : float or array_like
        Metal volume fraction in [0, 1].
    sigma0 : float
        Prefactor [S/m] (the paper's "bulk conductivity of the conducting agent";
        for a nanoscale metal network an effective, fitted value).
    V_p, n : float
        Threshold and exponent (defaults: overlapping spheres, 3D; placeholders).
    sigma_floor : float
        Conductivity below the threshold [S/m] (tunnelling floor; 0 by default).

    Examples
    --------
    >>> percolation_conductivity(0.5, sigma0=1.0, V_p=0.3, n=2.0)
    0.04000000000000001
    >>> float(percolation_conductivity(0.1, sigma0=1.0))
    0.0
    """
    V = check_fractions(V_FM, name="V_FM", exc=MaterialError)
    check_positive(sigma0, name="sigma0", exc=MaterialError)
    check_range(V_p, (0.0, 1.0), name="V_p", exc=MaterialError)
    check_positive(n, name="n", exc=MaterialError)
    check_positive(sigma_floor, name="sigma_floor", allow_zero=True, exc=MaterialError)
    # the floor replaces the law only below the threshold (conductivity_law floors both)
    out = np.where(V > V_p, power_law(V, sigma0=sigma0, v_p=V_p, n=n), sigma_floor)
    return float(out) if out.ndim == 0 else out


def mixing_rule_conductivity(V_FM, *, sigma_metal, sigma_nonmetal):
    r"""The paper's eqn (1): :math:`V\sigma_M + (1-V)\sigma_{NM}` (upper Wiener bound)."""
    V = check_fractions(V_FM, name="V_FM", exc=MaterialError)
    check_positive(sigma_metal, name="sigma_metal", exc=MaterialError)
    check_positive(sigma_nonmetal, name="sigma_nonmetal", allow_zero=True, exc=MaterialError)
    out = linear_mixing(V, sigma_metal=sigma_metal, sigma_insulator=sigma_nonmetal)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Interphase:
    """Parameters of one interphase (same on both electrodes of a cell).

    Parameters
    ----------
    name : str
        Label ("MII-1", "SEI").
    V_FM : float
        Metal volume fraction in [0, 1].
    sigma_e : float or callable
        Electronic conductivity [S/m], or ``sigma_e(V_FM) -> S/m``.
    sigma_ion : float
        Li+ conductivity of the interphase [S/m].
    delta0 : float
        Initial thickness (formed on contact) [m].
    molar_volume : float
        Interphase volume formed per mole of Li consumed, Omega [m3/mol].
    driving_voltage : float
        Electrolyte reduction potential vs Li/Li+, Delta V_e [V].
    tunnel_current : float
        Tunnelling reduction current at zero thickness, i_t0 [A/m2] (0: none).
    tunnel_length : float
        Tunnelling decay length, lambda [m].
    i0 : float
        Exchange current density of Li plating/stripping at this interface [A/m2].
    """

    name: str
    V_FM: float
    sigma_e: float | Callable[[float], float]
    sigma_ion: float
    delta0: float = 20e-9
    molar_volume: float = 2.0e-5
    driving_voltage: float = 1.7
    tunnel_current: float = 0.0
    tunnel_length: float = 1e-9
    i0: float = 10.0
    electronic_conductivity: float = field(init=False, repr=False)

    def __post_init__(self):
        check_range(self.V_FM, (0.0, 1.0), name="V_FM", exc=MaterialError)
        sig = self.sigma_e(self.V_FM) if callable(self.sigma_e) else self.sigma_e
        sig = check_positive(sig, name=f"sigma_e (interphase {self.name!r})",
                             allow_zero=True, exc=MaterialError)
        object.__setattr__(self, "electronic_conductivity", sig)
        for key in ("sigma_ion", "delta0", "molar_volume", "driving_voltage",
                    "tunnel_length", "i0"):
            check_positive(getattr(self, key), name=key, exc=MaterialError)
        check_positive(self.tunnel_current, name="tunnel_current", allow_zero=True,
                       exc=MaterialError)

    @property
    def ambipolar_conductivity(self) -> float:
        r""":math:`\sigma_e\sigma_i/(\sigma_e+\sigma_i)` [S/m]; 0 when :math:`\sigma_e=0`."""
        se, si = self.electronic_conductivity, self.sigma_ion
        return 0.0 if se == 0.0 else se * si / (se + si)


def reduction_current(delta, interphase: Interphase):
    r"""Electrolyte-reduction current density :math:`i_{red}(\delta)` [A/m2] (see module)."""
    d = np.asarray(delta, dtype=float)
    ip = interphase
    i = ip.ambipolar_conductivity * ip.driving_voltage / d
    if ip.tunnel_current > 0.0:
        i = i + ip.tunnel_current * np.exp(-d / ip.tunnel_length)
    return i


def growth_rate(delta, interphase: Interphase):
    r""":math:`d\delta/dt = \Omega\, i_{red}(\delta)/F` [m/s]."""
    return interphase.molar_volume * reduction_current(delta, interphase) / F


def growth_rate_derivative(delta, interphase: Interphase):
    r""":math:`\partial\dot\delta/\partial\delta = -\frac{\Omega}{F}\left(
    \frac{\sigma_{amb}\Delta V_e}{\delta^2} + \frac{i_{t0}}{\lambda}e^{-\delta/\lambda}\right)`
    [1/s] (the Jacobian of the implicit time steps)."""
    d = np.asarray(delta, dtype=float)
    ip = interphase
    di = -ip.ambipolar_conductivity * ip.driving_voltage / d ** 2
    if ip.tunnel_current > 0.0:
        di = di - ip.tunnel_current / ip.tunnel_length * np.exp(-d / ip.tunnel_length)
    return ip.molar_volume * di / F


def li_consumed(delta, interphase: Interphase):
    r"""Li metal consumed per area to grow from :math:`\delta_0` to :math:`\delta` [mol/m2]."""
    return (np.asarray(delta, dtype=float) - interphase.delta0) / interphase.molar_volume


def interphase_resistance(delta, interphase: Interphase):
    r"""Area-specific resistance to the cycling current, :math:`\delta/(\sigma_i+\sigma_e)`."""
    return np.asarray(delta, dtype=float) / (interphase.sigma_ion
                                             + interphase.electronic_conductivity)


# --------------------------------------------------------------------------------------
# Metal volume fraction and molar volume of an MII from reaction stoichiometry
# --------------------------------------------------------------------------------------
#: Reduction of each electrolyte by Li metal: Li consumed and products per formula unit.
REACTIONS = {
    "LGPS": {"electrolyte": "Li10GeP2S12", "li": 23.75,
             "products": {"Li2S": 12.0, "Li3P": 2.0, "Li15Ge4": 0.25},
             "source": "Zhu, He & Mo, ACS Appl. Mater. Interfaces 7, 23685 (2015) (Su et al. "
                       "ref. 11): Li10GeP2S12 + 23.75 Li -> 12 Li2S + 2 Li3P + 1/4 Li15Ge4 at "
                       "0 V vs Li; Li2S, Li3P and Li-Ge alloy seen by XPS in Wenzel et al., "
                       "Solid State Ionics 286, 24 (2016) (ref. 15)"},
    "LPSC": {"electrolyte": "Li6PS5Cl", "li": 8.0,
             "products": {"Li2S": 5.0, "Li3P": 1.0, "LiCl": 1.0},
             "source": "Wenzel et al., Solid State Ionics 318, 102 (2018): Li6PS5Cl + 8 Li -> "
                       "5 Li2S + Li3P + LiCl"},
}

#: Product phases: molar mass [g/mol], density [g/cm3] with a relative 1-sigma spread,
#: and whether the phase is an electronic conductor (metal).
PRODUCTS = {
    "Li2S": {"M": 45.95, "rho": 1.66, "rel_sd": 0.02, "metal": False,
             "source": "CRC Handbook of Chemistry and Physics (1.66 g/cm3)"},
    "Li3P": {"M": 51.80, "rho": 1.43, "rel_sd": 0.03, "metal": False,
             "source": "hexagonal Li3P, a = 4.27 A, c = 7.59 A, Z = 2 (Dong et al. 1979) "
                       "-> 1.43 g/cm3"},
    "LiCl": {"M": 42.39, "rho": 2.07, "rel_sd": 0.02, "metal": False,
             "source": "CRC Handbook of Chemistry and Physics (2.07 g/cm3)"},
    "Li15Ge4": {"M": 394.6, "rho": 2.09, "rel_sd": 0.03, "metal": True,
                "source": "cubic Li15Ge4, I-43d, a = 10.78 A, Z = 4 (Johnson et al., Acta "
                          "Cryst. 18, 1100 (1965)) -> 2.09 g/cm3"},
}


@dataclass(frozen=True)
class MIIComposition:
    """Metal fraction and molar volume of the interphase formed from an electrolyte mix.

    Attributes
    ----------
    V_FM, V_FM_sd : metal volume fraction and its standard deviation (densities varied
        within their spreads, 4000 Monte Carlo draws).
    molar_volume : interphase volume formed per mole of Li consumed, Omega [m3/mol].
    phases : product phase -> volume fraction.
    """

    V_FM: float
    V_FM_sd: float
    molar_volume: float
    phases: dict


def mii_composition(moles: dict, *, rng=0, draws: int = 4000) -> MIIComposition:
    """Products of the full reduction of an electrolyte mix by Li (`REACTIONS`).

    Parameters
    ----------
    moles : mapping electrolyte -> molar amount, e.g. ``{"LPSC": 4, "LGPS": 1}``
        (Su et al.'s "LPSC:LGPS = 4:1" molar ratio).

    Examples
    --------
    >>> round(mii_composition({"LGPS": 1}).V_FM, 3)
    0.104
    """
    if not moles or any(not isinstance(v, (int, float)) or v < 0 for v in moles.values()):
        raise MaterialError(f"moles must map electrolytes to amounts >= 0, got {moles!r}.")
    for k in moles:
        if k not in REACTIONS:
            from ..errors import unknown_name
            raise unknown_name("electrolyte", k, REACTIONS, exc=MaterialError)
    n_prod, li = {}, 0.0
    for k, x in moles.items():
        li += x * REACTIONS[k]["li"]
        for ph, nu in REACTIONS[k]["products"].items():
            n_prod[ph] = n_prod.get(ph, 0.0) + x * nu
    if li <= 0:
        raise MaterialError(f"moles {moles!r} contain no electrolyte.")
    names = list(n_prod)
    vm = np.array([PRODUCTS[p]["M"] / PRODUCTS[p]["rho"] for p in names])  # cm3/mol
    n = np.array([n_prod[p] for p in names])
    metal = np.array([PRODUCTS[p]["metal"] for p in names])
    vol = n * vm
    gen = np.random.default_rng(rng)
    sd = np.array([PRODUCTS[p]["rel_sd"] for p in names])
    vol_mc = vol * (1.0 + sd * gen.standard_normal((int(draws), len(names))))
    fm = vol_mc[:, metal].sum(axis=1) / vol_mc.sum(axis=1)
    return MIIComposition(float(vol[metal].sum() / vol.sum()), float(fm.std(ddof=1)),
                          float(vol.sum() / li * 1e-6),
                          {p: float(v / vol.sum()) for p, v in zip(names, vol)})
