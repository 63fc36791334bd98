r"""Galvanostatic plating/stripping of Li | SE | Li cells with a per-electrode Li inventory.

Two Li electrodes, *working* (W, the thin one in an asymmetric cell) and *counter*
(C, the thick Li source), each covered by the same growing interphase
(:mod:`ntransport.physics.interphase`). A constant current density :math:`I` is switched
every half-cycle :math:`t_h = Q_h / I`; in half-cycle *k* the stripping electrode is W
for even *k* when ``first_strip="working"``.

State and inventory (per unit area)
-----------------------------------
The ODE state is the pair of interphase thicknesses :math:`(\delta_W, \delta_C)`,
:math:`\dot\delta = \Omega\,i_{red}(\delta)/F`, integrated by the one adaptive BDF
controller (:func:`ntransport.solve.stepping.bdf_steps`, BDF2, tight tolerances, landing
exactly on every half-cycle switch and sample time; each implicit step is one
:func:`ntransport.solve.newton.newton` solve with the analytic diagonal Jacobian). The
growth does not depend on the current direction, so one integration covers the whole
protocol. The Li inventories are *algebraic*:

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
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..constants import F, R
from ..errors import ConfigError, ConvergenceError, check_positive, unknown_name
from ..physics.interphase import (Interphase, growth_rate, growth_rate_derivative,
                                  interphase_resistance, li_consumed)
from ..physics.kinetics import butler_volmer

__all__ = [
    "LI_DENSITY", "LI_MOLAR_MASS", "Electrode", "LiCell", "Protocol", "Failure",
    "CyclingResult", "CyclingState", "overpotential", "growth_steps", "cycle_states",
    "run_cycling", "run_cycling_cells",
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
    rtol: float = 1e-8

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
        # the recorded samples, bounded before any is stored (500 A/m2 at the default
        # capacity meant 3e7 half-cycles and ran out of memory)
        from ..errors import LimitError
        from ..geometry.guards import how_to_raise, limit

        n = 2.0 * self.max_cycles * int(self.samples_per_half_cycle)
        if not n <= limit("steps"):
            raise LimitError(
                f"cycling protocol: {self.max_cycles:.3g} cycles of 2 half-cycles of "
                f"{self.half_cycle_time:.3g} s, {int(self.samples_per_half_cycle)} samples each, "
                f"are {n:.3g} recorded samples, above the limit of {limit('steps'):.3g}. Use "
                "fewer samples per half-cycle, a shorter duration, or a smaller current / "
                f"larger capacity per half-cycle; to run it anyway, {how_to_raise('steps')}.")

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
        self.th = protocol.half_cycle_time
        self.w_first = protocol.first_strip == "working"

    def half_cycle(self, t, t_ref=None):
        """Index of the half-cycle containing the interval ending at *t* (``t_ref``: a
        time inside it, e.g. the step midpoint)."""
        return int(np.floor((t if t_ref is None else t_ref) / self.th))

    def current(self, k):
        """Current density leaving W in half-cycle *k* (> 0 while W strips)."""
        I = self.p.current_density
        return I if (k % 2 == 0) == self.w_first else -I

    def charge(self, t, k):
        """Net charge moved out of W at time *t* inside half-cycle *k* [C/m2]."""
        I, tau = self.p.current_density, t - k * self.th
        s = 1.0 if self.w_first else -1.0
        return s * I * (tau if k % 2 == 0 else self.th - tau)

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
        return float(eta + iW * res)

    def state_at(self, t, y, k):
        """(voltage, n_W, n_C) at time *t* in half-cycle *k* for thicknesses *y*."""
        q = self.charge(t, k)
        nW, nC = self.inventory(q, y)
        return self.voltage(self.current(k), q, y), float(nW), float(nC)


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


class _NoFactor:
    """Placeholder solver: Newton gets an explicit diagonal ``linear_solve``."""

    def factor(self, A):  # pragma: no cover - never called
        raise RuntimeError("the cell-cycling Jacobian is diagonal; no factorisation.")


class _Diagonal:
    """A diagonal Jacobian (the two thicknesses grow independently): what Newton needs
    (``diagonal()``) without building a sparse matrix at every iteration."""

    __slots__ = ("d",)

    def __init__(self, d):
        self.d = d

    def diagonal(self):
        return self.d


def _step_solver(ip: Interphase, scale: float):
    """Implicit BDF step for u = delta / scale: ``c u + hist - f(u) = 0`` by Newton."""
    from .newton import newton

    solver = _NoFactor()  # the diagonal solve is passed to Newton below

    def solve(u_guess, t_new, c, hist):
        def fun(u):
            d = np.maximum(u, 1e-12) * scale
            r = c * u + hist - growth_rate(d, ip) / scale
            return r, _Diagonal(c - growth_rate_derivative(d, ip))

        res = newton(fun, u_guess, tol=1e-13, maxiter=30, solver=solver,
                     linear_solve=lambda J, b: b / J.d)
        return res.u, res.iterations

    return solve


@dataclass(frozen=True)
class CyclingState:
    """One accepted time step: time [s], thicknesses [m], voltage [V], inventories
    [mol/m2], half-cycle index and, on the last state of a failed run, the failure."""

    t: float
    delta: np.ndarray
    voltage: float
    li_working: float
    li_counter: float
    half_cycle: int
    stepper: object
    failure: Failure | None = None


def growth_steps(interphase: Interphase, protocol: Protocol, *, events=(), progress=None):
    """Accepted BDF states of the interphase growth (u = delta / delta0, both electrodes).

    The growth does not depend on the current, so one integration serves every cell
    made with this interphase; *events* (``state -> reason | None``) stop it early.
    The controller lands on every half-cycle switch and sample time.
    """
    from .stepping import StepperState, bdf_steps

    p = protocol
    th = p.half_cycle_time
    scale = interphase.delta0
    t_end = 2 * int(p.max_cycles) * th
    ns = int(p.samples_per_half_cycle)
    stops = np.concatenate([k * th + np.linspace(0.0, th, ns)[1:] for k in range(
        2 * int(p.max_cycles))])
    y0 = np.array([scale, scale])
    # first step (BDF1, no error estimate yet): a small fraction of the initial growth
    # time scale delta0 / (d delta/dt)(0), which can be far below a second
    rate0 = float(np.max(growth_rate(y0, interphase)))
    tau0 = scale / rate0 if rate0 > 0 else th
    start = StepperState(t=0.0, u=y0 / scale, dt=min(th / (ns - 1) / 50, 1e-6 * tau0))
    yield start
    yield from bdf_steps(_step_solver(interphase, scale), start, t_end, order=2, rtol=p.rtol,
                         atol=1e-6 * p.rtol, stop_times=stops, events=events,
                         dt_min=1e-4 * start.dt,
                         dt_max=th / (ns - 1), max_steps=200 * len(stops) + 1000,
                         progress=progress)


class _Tracker:
    """Inventory, voltage and failure of one cell along a shared growth integration."""

    def __init__(self, cell: LiCell, protocol: Protocol):
        _check_first_half_cycle(cell, protocol)
        self.m, self.p = _Model(cell, protocol), protocol
        self.scale = cell.interphase.delta0
        self.states: list[CyclingState] = []
        self.failure: Failure | None = None

    def g(self, t, s, k):
        """|V| - limit at time t inside step s (thicknesses linear in t within it)."""
        w = (t - s.t_prev) / (s.t - s.t_prev)
        y = ((1 - w) * s.u_prev + w * s.u) * self.scale
        V, nW, nC = self.m.state_at(t, y, k)
        if min(nW, nC) <= 0:
            return 1.0
        return abs(V) - self.p.voltage_limit

    def add(self, s) -> bool:
        """Record accepted state *s*; True once the cell has failed."""
        m = self.m
        if s.t_prev is None:  # the initial state
            y = s.u * self.scale
            V, nW, nC = m.state_at(0.0, y, 0)
            f = None
            if abs(V) >= self.p.voltage_limit:
                f = Failure(0.0, 0, _reason(m, m.current(0), nW, nC), _strip(m.current(0)), V)
            self.states.append(CyclingState(0.0, y, V, nW, nC, 0, s, f))
            self.failure = f
            return f is not None
        k = m.half_cycle(s.t, 0.5 * (s.t + s.t_prev))
        if self.g(s.t, s, k) < 0:
            V, nW, nC = m.state_at(s.t, s.u * self.scale, k)
            self.states.append(CyclingState(s.t, s.u * self.scale, V, nW, nC, k, s))
            return False
        a = max(s.t_prev, k * m.th)
        tf = a if self.g(a, s, k) >= 0 else brentq(lambda t: self.g(t, s, k), a, s.t,
                                                   xtol=1e-9, rtol=1e-14)
        w = (tf - s.t_prev) / (s.t - s.t_prev)
        y = ((1 - w) * s.u_prev + w * s.u) * self.scale
        V, nW, nC = m.state_at(tf, y, k)
        f = Failure(tf, k, _reason(m, m.current(k), nW, nC), _strip(m.current(k)), V)
        log.info("cell failed at %.4g h (%s of %s electrode)", tf / 3600, f.reason, f.electrode)
        self.states.append(CyclingState(tf, y, V, nW, nC, k, s, f))
        self.failure = f
        return True


def cycle_states(cell: LiCell, protocol: Protocol, *, progress=None):
    """Yield a :class:`CyclingState` per accepted BDF step until failure or the end.

    The first state is t = 0. A failure (|V| reaching the limit, or an electrode
    empty) is located inside the step where it occurs by a bracketed root of the
    voltage along the step (thicknesses linear in time within the step) and ends the
    run with that state.

    Raises
    ------
    ConfigError
        The first half-cycle alone would exhaust the stripping electrode.
    ConvergenceError
        The time integration failed.
    """
    tr = _Tracker(cell, protocol)
    for s in growth_steps(cell.interphase, protocol, progress=progress,
                          events=(lambda s: "failed" if tr.failure else None,)):
        done = tr.add(s)
        yield tr.states[-1]
        if done:
            return


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

    def polarisation(self, cycles=(0, None)) -> float:
        """Largest |V| [V] over the half-cycles ``cycles[0]*2 .. cycles[1]*2`` (the paper's
        'polarisation' of a Li|Li cell)."""
        hc = np.floor(np.maximum(self.time - 1e-9, 0) / self.half_cycle_time)
        lo, hi = cycles
        sel = hc >= 2 * lo
        if hi is not None:
            sel &= hc < 2 * hi
        if self.failure is not None:
            sel &= np.arange(self.time.size) < self.time.size - 1
        return float(np.max(np.abs(self.voltage[sel]))) if sel.any() else float("nan")


def _result(cell: LiCell, protocol: Protocol, st) -> CyclingResult:
    t = np.array([x.t for x in st])
    d = np.array([x.delta for x in st])
    ip = cell.interphase
    lost = li_consumed(d[:, 0], ip) + li_consumed(d[:, 1], ip)
    th = protocol.half_cycle_time
    k_end = np.round(t / th)
    ends = np.flatnonzero((np.abs(t - k_end * th) < 1e-9 * th) & (k_end >= 1))
    fail = st[-1].failure
    if fail is not None and (ends.size == 0 or ends[-1] != t.size - 1):
        ends = np.append(ends, t.size - 1)
    return CyclingResult(t, np.array([x.voltage for x in st]),
                         np.array([x.li_working for x in st]),
                         np.array([x.li_counter for x in st]), lost, d[:, 0], d[:, 1], ends,
                         cell.working.inventory + cell.counter.inventory, th, fail)


def run_cycling(cell: LiCell, protocol: Protocol, *, progress=None) -> CyclingResult:
    """Run :func:`cycle_states` to the end and collect a :class:`CyclingResult`."""
    return _result(cell, protocol, list(cycle_states(cell, protocol, progress=progress)))


def run_cycling_cells(cells, protocol: Protocol, *, progress=None) -> list[CyclingResult]:
    """Several cells that share one interphase, from one growth integration.

    Equivalent to ``[run_cycling(c, protocol) for c in cells]`` (the growth law does not
    depend on the current or the electrode thicknesses); the integration stops when
    every cell has failed or the protocol ends.
    """
    cells = list(cells)
    if not cells:
        return []
    ip = cells[0].interphase
    if any(c.interphase is not ip for c in cells):
        raise ConfigError("run_cycling_cells: the cells must share one Interphase object; "
                          "use run_cycling for cells with different interphases.")
    trackers = [_Tracker(c, protocol) for c in cells]
    for s in growth_steps(ip, protocol, progress=progress,
                          events=(lambda s: "all failed" if all(t.failure for t in trackers)
                                  else None,)):
        for tr in trackers:
            if tr.failure is None:
                tr.add(s)
    return [_result(c, protocol, tr.states) for c, tr in zip(cells, trackers)]
