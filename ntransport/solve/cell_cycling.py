r"""Galvanostatic plating/stripping of Li | SE | Li cells with a per-electrode Li inventory.

Two Li electrodes, *working* (W, the thin one in an asymmetric cell) and *counter*
(C, the thick Li source), each covered by the same growing interphase
(:mod:`ntransport.physics.interphase`). A constant current density :math:`I` is switched
every half-cycle :math:`t_h = Q_h / I`; in half-cycle *k* the stripping electrode is W
for even *k* when ``first_strip="working"``.

State and inventory (per unit area)
-----------------------------------
The ODE state is the pair of interphase thicknesses :math:`(\delta_W, \delta_C)`,
:math:`\dot\delta = \Omega\,i_{red}(\delta)/F`, integrated with ``solve_ivp`` one
half-cycle at a time. The Li inventories are *algebraic*:

.. math::

    n_W = n_W^0 - q(t)/F - (\delta_W-\delta_0)/\Omega, \qquad
    n_C = n_C^0 + q(t)/F - (\delta_C-\delta_0)/\Omega,

with :math:`q(t)` the net charge moved from W to C (piecewise linear, exact). Hence
Li in W + Li in C + Li lost to both interphases = :math:`n_W^0 + n_C^0` identically
(to rounding), every cycle, by construction.

Cell voltage (W minus C)
------------------------
.. math::

    V = \eta_W(i_W) - \eta_C(-i_W) + i_W\,(R_{SE} + R_{int,W} + R_{int,C}
        + R_{con,W} + R_{con,C}),

:math:`i_W = \pm I` (+ while W strips), :math:`R_{SE} = L/\kappa`, :math:`R_{int} =
\delta/(\sigma_i+\sigma_e)`, :math:`\eta` the inverse of Butler--Volmer
(:func:`ntransport.physics.kinetics.butler_volmer`) at the local current density
:math:`i/\theta`.

Exhaustion (physical voltage jump)
----------------------------------
A stripping electrode keeps contact with the electrolyte over an area fraction
:math:`\theta = \min(1, n/n_c)` once less than a critical Li thickness :math:`h_c`
(:math:`n_c = h_c\rho/M`) is left (the foil breaks up into islands). The current then
crowds into the remaining contacts: local kinetics see :math:`i/\theta` and a
constriction resistance :math:`R_{con} = (\ell_c/\kappa)(1/\theta - 1)` appears. As
:math:`n\to 0`, :math:`V\to\infty`, so the required current cannot be sustained and the
voltage reaches the instrument limit (an event) essentially when the Li is gone.
A plating electrode always has full contact (:math:`\theta=1`).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from ..constants import F, R
from ..errors import ConfigError, ConvergenceError, check_positive, unknown_name
from ..physics.interphase import Interphase, growth_rate, interphase_resistance, li_consumed
from ..physics.kinetics import butler_volmer

__all__ = [
    "LI_DENSITY", "LI_MOLAR_MASS", "Electrode", "LiCell", "Protocol", "Failure",
    "HalfCycle", "CyclingResult", "overpotential", "cycle_cell", "run_cycling",
]

log = logging.getLogger(__name__)

LI_DENSITY = 534.0  # kg m-3 (Li metal, 20 degC)
LI_MOLAR_MASS = 6.941e-3  # kg mol-1
_MAH_CM2 = 3.6 / 1e-4  # 1 mAh/cm2 in C/m2


def li_areal_moles(thickness: float) -> float:
    r"""Li per area in a foil of *thickness* [mol/m2]: :math:`h\rho/M`."""
    return thickness * LI_DENSITY / LI_MOLAR_MASS


@dataclass(frozen=True)
class Electrode:
    """A Li foil electrode. ``thickness`` [m] > 0."""

    thickness: float
    name: str = "Li"

    def __post_init__(self):
        check_positive(self.thickness, name=f"thickness of electrode {self.name!r}",
                       exc=ConfigError)

    @property
    def inventory(self) -> float:
        """Li per area [mol/m2]."""
        return li_areal_moles(self.thickness)

    @property
    def areal_capacity(self) -> float:
        """Areal capacity [mAh/cm2] (100 um -> 20.6)."""
        return self.inventory * F / _MAH_CM2


@dataclass(frozen=True)
class LiCell:
    """Li | SE | Li cell; ``working`` is the thin electrode of an asymmetric cell."""

    working: Electrode
    counter: Electrode
    interphase: Interphase
    electrolyte_thickness: float
    electrolyte_conductivity: float
    temperature: float = 298.15
    alpha: float = 0.5
    contact_thickness: float = 0.5e-6
    constriction_length: float = 10e-6

    def __post_init__(self):
        for key in ("electrolyte_thickness", "electrolyte_conductivity", "temperature",
                    "contact_thickness", "constriction_length"):
            check_positive(getattr(self, key), name=key, exc=ConfigError)
        if not 0.0 < self.alpha < 1.0:
            raise ConfigError(f"alpha must lie in (0, 1), got {self.alpha!r}.")

    @property
    def electrolyte_resistance(self) -> float:
        """:math:`L/\\kappa` [ohm m2]."""
        return self.electrolyte_thickness / self.electrolyte_conductivity

    @property
    def symmetric(self) -> bool:
        return self.working.thickness == self.counter.thickness


@dataclass(frozen=True)
class Protocol:
    """Galvanostatic protocol: ``current_density`` [A/m2], ``half_cycle_capacity`` [C/m2]."""

    current_density: float
    half_cycle_capacity: float
    max_cycles: int
    voltage_limit: float = 5.0
    first_strip: str = "working"
    samples_per_half_cycle: int = 16
    rtol: float = 1e-10

    def __post_init__(self):
        check_positive(self.current_density, name="current_density", exc=ConfigError)
        check_positive(self.half_cycle_capacity, name="half_cycle_capacity", exc=ConfigError)
        check_positive(self.voltage_limit, name="voltage_limit", exc=ConfigError)
        if int(self.max_cycles) != self.max_cycles or self.max_cycles < 1:
            raise ConfigError(f"max_cycles must be an integer >= 1, got {self.max_cycles!r}.")
        if self.first_strip not in ("working", "counter"):
            raise unknown_name("first_strip", self.first_strip, ("working", "counter"),
                               exc=ConfigError)
        if int(self.samples_per_half_cycle) < 2:
            raise ConfigError("samples_per_half_cycle must be >= 2, got "
                              f"{self.samples_per_half_cycle!r}.")

    @property
    def half_cycle_time(self) -> float:
        return self.half_cycle_capacity / self.current_density


@dataclass(frozen=True)
class Failure:
    """Why and when cycling stopped."""

    time: float  # s
    half_cycle: int  # 0-based index of the failing half-cycle
    reason: str  # "depletion" | "polarisation"
    electrode: str  # "working" | "counter" (the stripping one)
    voltage: float


@dataclass(frozen=True)
class HalfCycle:
    """One half-cycle: samples and its end state (time [s], inventories [mol/m2])."""

    index: int
    time: np.ndarray
    voltage: np.ndarray
    li_working: np.ndarray
    li_counter: np.ndarray
    delta_working: np.ndarray
    delta_counter: np.ndarray
    failure: Failure | None


def overpotential(i, *, i0, alpha_a=0.5, alpha_c=0.5, T=298.15):
    r"""Invert :func:`butler_volmer` (c_ratio = 1) for :math:`\eta` at current density *i*.

    Closed form for :math:`\alpha_a=\alpha_c=\alpha`:
    :math:`\eta = \operatorname{asinh}(i/2i_0)/(\alpha f)`; otherwise a bracketed
    Brent solve per value.
    """
    i = np.asarray(i, dtype=float)
    f = F / (R * T)
    if alpha_a == alpha_c:
        return np.arcsinh(i / (2.0 * i0)) / (alpha_a * f)

    def one(x):
        g = lambda eta: float(butler_volmer(eta, 1.0, i0=i0, alpha_a=alpha_a,
                                            alpha_c=alpha_c, T=T).i) - x
        a = np.arcsinh(x / (2 * i0)) / (min(alpha_a, alpha_c) * f)
        lo, hi = sorted((0.0, 2.0 * a if a != 0 else 1e-12))
        if g(lo) * g(hi) > 0:
            raise ConvergenceError(f"Butler-Volmer inversion: no bracket for i={x!r} "
                                   f"(tried eta in [{lo}, {hi}]).")
        return brentq(g, lo, hi, xtol=1e-15, rtol=1e-13)

    return np.vectorize(one, otypes=[float])(i)


class _Model:
    """Closed-over parameters of one cell + protocol (private, no state)."""

    def __init__(self, cell: LiCell, protocol: Protocol):
        self.cell, self.p = cell, protocol
        self.nW0, self.nC0 = cell.working.inventory, cell.counter.inventory
        self.n_c = li_areal_moles(cell.contact_thickness)
        self.r_con = cell.constriction_length / cell.electrolyte_conductivity

    def rhs(self, t, y):
        return growth_rate(y, self.cell.interphase)

    def inventory(self, q, y):
        ip = self.cell.interphase
        return (self.nW0 - q / F - li_consumed(y[0], ip),
                self.nC0 + q / F - li_consumed(y[1], ip))

    def voltage(self, iW, q, y):
        """Cell voltage; *iW* > 0 while W strips."""
        c, ip = self.cell, self.cell.interphase
        nW, nC = self.inventory(q, y)
        thW = np.clip(nW / self.n_c, 1e-300, 1.0) if iW > 0 else 1.0
        thC = np.clip(nC / self.n_c, 1e-300, 1.0) if iW < 0 else 1.0
        kw = dict(i0=ip.i0, alpha_a=c.alpha, alpha_c=c.alpha, T=c.temperature)
        eta = overpotential(iW / thW, **kw) - overpotential(-iW / thC, **kw)
        res = (c.electrolyte_resistance + interphase_resistance(y[0], ip)
               + interphase_resistance(y[1], ip) + self.r_con * (1 / thW - 1 + 1 / thC - 1))
        return eta + iW * res


def _check_first_half_cycle(cell: LiCell, protocol: Protocol):
    name = protocol.first_strip
    el = cell.working if name == "working" else cell.counter
    need = protocol.half_cycle_capacity / F
    if need >= el.inventory:
        raise ConfigError(
            f"current_density x half-cycle time = {protocol.half_cycle_capacity / _MAH_CM2:.4g}"
            f" mAh/cm2 would exhaust the {name} electrode ({el.thickness * 1e6:.4g} um = "
            f"{el.areal_capacity:.4g} mAh/cm2) in the first half-cycle; use a thicker "
            "electrode or a smaller capacity per half-cycle.")


def _strip(iW) -> str:
    return "working" if iW > 0 else "counter"


def _reason(m: _Model, iW, nW, nC) -> str:
    """'depletion' if the stripping electrode has lost contact (n < n_c), else polarisation."""
    n_strip = nW if iW > 0 else nC
    return "depletion" if n_strip < m.n_c else "polarisation"


def cycle_cell(cell: LiCell, protocol: Protocol) -> Iterator[HalfCycle]:
    """Yield one :class:`HalfCycle` after another until failure or ``max_cycles``.

    Raises
    ------
    ConfigError
        The first half-cycle alone would exhaust the stripping electrode.
    ConvergenceError
        The ODE integration failed.
    """
    _check_first_half_cycle(cell, protocol)
    m, p = _Model(cell, protocol), protocol
    I, th = p.current_density, p.half_cycle_time
    y = np.array([cell.interphase.delta0, cell.interphase.delta0])
    q0, t0 = 0.0, 0.0
    w_first = p.first_strip == "working"
    for k in range(2 * int(p.max_cycles)):
        iW = I if (k % 2 == 0) == w_first else -I
        qf = lambda t, q0=q0, t0=t0, iW=iW: q0 + iW * (t - t0)

        def v_event(t, yy, qf=qf, iW=iW):
            return abs(m.voltage(iW, qf(t), yy)) - p.voltage_limit

        def n_event(t, yy, qf=qf):
            return min(m.inventory(qf(t), yy))

        v_event.terminal = n_event.terminal = True
        v_event.direction, n_event.direction = 1, -1
        if v_event(t0, y) >= 0:  # already beyond the limit when the current switches
            V0 = float(m.voltage(iW, q0, y))
            nW, nC = m.inventory(q0, y)
            failure = Failure(t0, k, _reason(m, iW, nW, nC), _strip(iW), V0)
            yield HalfCycle(k, np.array([t0]), np.array([V0]), np.array([nW]),
                            np.array([nC]), y[:1].copy(), y[1:].copy(), failure)
            return
        sol = solve_ivp(m.rhs, (t0, t0 + th), y, method="DOP853", rtol=p.rtol,
                        atol=1e-18, dense_output=True, events=(v_event, n_event))
        if sol.status == -1:
            raise ConvergenceError(f"solve_ivp failed in half-cycle {k}: {sol.message}")
        failure = None
        t_end = sol.t[-1]
        if sol.status == 1:
            t_end = min(e[0] for e in sol.t_events if len(e))
            yy = sol.sol(t_end)
            nW, nC = m.inventory(qf(t_end), yy)
            failure = Failure(t_end, k, _reason(m, iW, nW, nC), _strip(iW),
                              float(m.voltage(iW, qf(t_end), yy)))
            log.info("cell failed at %.4g h (%s of %s electrode)", t_end / 3600,
                     failure.reason, failure.electrode)
        ts = np.linspace(t0, t0 + th, int(p.samples_per_half_cycle))
        ts = np.append(ts[ts < t_end], t_end)
        ys = sol.sol(ts)
        ys[:, 0] = y  # exact start state
        V = np.array([m.voltage(iW, qf(t), ys[:, j]) for j, t in enumerate(ts)])
        nW, nC = m.inventory(qf(ts), ys)
        yield HalfCycle(k, ts, V, nW, nC, ys[0], ys[1], failure)
        if failure is not None:
            return
        y, q0, t0 = ys[:, -1], qf(t_end), t_end


@dataclass(frozen=True)
class CyclingResult:
    """Concatenated cycling history; SI units (s, V, mol/m2, m)."""

    time: np.ndarray
    voltage: np.ndarray
    li_working: np.ndarray
    li_counter: np.ndarray
    li_lost: np.ndarray
    delta_working: np.ndarray
    delta_counter: np.ndarray
    half_cycle_end: np.ndarray  # index into the arrays of each half-cycle's last sample
    initial_inventory: float
    half_cycle_time: float
    failure: Failure | None

    @property
    def cycles_completed(self) -> int:
        """Full cycles (strip + plate of each electrode) completed before failure."""
        n_half = len(self.half_cycle_end)
        return (self.failure.half_cycle if self.failure else n_half) // 2

    def conservation_error(self) -> np.ndarray:
        """|n_W + n_C + lost - n_0| / n_0 at the end of every half-cycle."""
        j = self.half_cycle_end
        tot = self.li_working[j] + self.li_counter[j] + self.li_lost[j]
        return np.abs(tot - self.initial_inventory) / self.initial_inventory


def run_cycling(cell: LiCell, protocol: Protocol) -> CyclingResult:
    """Run :func:`cycle_cell` to the end and collect a :class:`CyclingResult`."""
    parts = list(cycle_cell(cell, protocol))
    cat = lambda a: np.concatenate([getattr(h, a) for h in parts])
    ends = np.cumsum([len(h.time) for h in parts]) - 1
    ip = cell.interphase
    dW, dC = cat("delta_working"), cat("delta_counter")
    lost = li_consumed(dW, ip) + li_consumed(dC, ip)
    return CyclingResult(cat("time"), cat("voltage"), cat("li_working"), cat("li_counter"),
                         lost, dW, dC, ends, cell.working.inventory + cell.counter.inventory,
                         protocol.half_cycle_time, parts[-1].failure)
