r"""Transient Nernst--Planck--Poisson (or electroneutral) problems: set-up and time stepping.

>>> problem = NPPProblem(domain, species, bcs, electrostatics="electroneutral")  # doctest: +SKIP
>>> for state in run(problem, t_end=10.0, dt=1e-3):                             # doctest: +SKIP
...     print(state.t, state.current("anode"))
>>> sol = solve(problem, t_end=10.0, dt=1e-3, times=[1.0, 5.0])                # doctest: +SKIP
>>> sol["N_Li+ migration [mol m-2 s-1]"], sol.history("V_cell [V]")            # doctest: +SKIP

:func:`discretise` turns an immutable :class:`NPPProblem` into an
:class:`~ntransport.solve.npp_system.NPPSystem`; :func:`run` is a generator yielding
:class:`NPPState` after every accepted step (stop, probe, checkpoint or stream as you
like); :func:`solve` collects a :class:`~ntransport.solution.Solution`
(:mod:`ntransport.solve.npp_solution`); nothing is written to disk.

Failures raise :class:`~ntransport.errors.ConvergenceError` with physical times (the last
accepted time, the steps tried) and, when it can be told, the likely cause: a current
above the limiting current (with its binary-electrolyte estimate
:math:`i_{lim}=2FDc/((1-t_+)L)`), a depleted electrode (Sand's time), or a potential or
current switched on as a step at t = 0 (``Electrode.ramp_time`` /
``Galvanostatic.ramp_time``).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from types import MappingProxyType

import numpy as np

from ..constants import F
from ..errors import ConvergenceError, check_positive
from .linear import DirectSolver
from .newton import newton
from .npp_discretise import (check_debye_resolution, discretise, equilibrium_state,
                             initial_unknowns, lump)
from .npp_monitor import conservation_monitor
from .npp_problem import NPPProblem, NPPState
from .npp_system import NPPSystem
from .stepping import StepperState, bdf_steps

__all__ = ["NPPProblem", "NPPState", "discretise", "run", "solve", "to_state",
           "initial_unknowns", "equilibrium_state", "check_debye_resolution",
           "conservation_monitor", "limiting_current"]

log = logging.getLogger(__name__)


def to_state(system: NPPSystem, u, t, *, stepper=None, conservation=None, event=None) -> NPPState:
    """Convert a scaled unknown vector to an SI :class:`NPPState`."""
    from ..physics.electrode import electrode_current

    sc = system.scaling
    c, phi, g = system.split(u)
    prob = system.problem
    names = prob.domain.region_names
    region = np.asarray(prob.domain.region)
    conc = {}
    mob = {s.name: ck * sc.concentration for s, ck in zip(prob.mobile, c)}
    for s in prob.species:
        if s.name in mob:
            conc[s.name] = mob[s.name]
        else:
            conc[s.name] = lump(system.geom.t, system.dual, s.region_array("c0", names)[region],
                                system.n) / system.m
    eps, cur = {}, {}
    for el in system.electrodes:
        phis = g[el["g"]] if el["g"] is not None else el["bc"].potential_at(t) / sc.thermal_voltage
        kin = electrode_current(el["bc"], phis * sc.thermal_voltage,
                                phi[el["nodes"]] * sc.thermal_voltage,
                                c[el["k"]][el["nodes"]], el["c_ratio_scale"], system.T)
        eps[el["bc"].boundary] = float(phis * sc.thermal_voltage)
        cur[el["bc"].boundary] = float(np.sum(el["measure"] * kin.i) / el["area"])
    st = stepper
    return NPPState(t=t, concentrations=MappingProxyType(conc), potential=phi * sc.thermal_voltage,
                    electrode_potentials=MappingProxyType(eps),
                    electrode_currents=MappingProxyType(cur),
                    conservation=MappingProxyType(conservation or {}),
                    step=st.step if st else 0,
                    dt=(st.t - st.t_prev) * system.scaling.time if st and st.t_prev is not None else 0.0,
                    newton_iterations=st.newton_iterations if st else 0, stepper=st, event=event)


def run(problem_or_system, t_end, dt, *, order=2, adaptive=True, rtol=1e-3, atol=1e-6,
        dt_min=None, dt_max=None, newton_tol=1e-10, newton_maxiter=25, start=None,
        monitor=True, scaling=None, stop_times=(), events=(), progress=None,
        max_steps=1_000_000, solver=None):
    """Integrate from the initial state (or a :class:`StepperState` ``start``) to ``t_end``.

    Yields :class:`NPPState` after every accepted step (SI). ``dt`` [s] is the first step
    (and the fixed step when ``adaptive=False``); ``rtol``/``atol`` act on scaled
    concentrations. ``stop_times`` [s] are landed on exactly (snapshots); ``events`` are
    callables ``NPPState -> reason | None``: a reason ends the run after that state, which
    carries it in ``.event``; ``progress(t)`` is called with every accepted time [s];
    more than ``max_steps`` steps raise :class:`~ntransport.solve.stepping.StepLimitError`.
    ``solver``: the :class:`~ntransport.solve.linear.DirectSolver` to use (default: a new
    one; pass one to share it between runs -- its symbolic analysis is redone only when the
    sparsity pattern changes).
    Raises :class:`ConvergenceError` with physical times, the steps tried, Newton's
    record and the likely cause (see the module docstring).
    """
    check_positive(dt, name="dt (time step) [s]")
    check_positive(t_end, name="t_end [s]")
    system = problem_or_system if isinstance(problem_or_system, NPPSystem) else discretise(
        problem_or_system, scaling=scaling)
    sc = system.scaling
    solver = DirectSolver() if solver is None else solver
    linear = system.linear_solver(solver)  # node by node on large systems: faster LU
    positive = np.zeros(system.nu, bool)
    positive[:system.M_unknown * system.n] = True
    last = {}

    def step_solver(u_guess, t_new_hat, a0, hist):
        u_guess = u_guess.copy()
        u_guess[system.dir_idx] = system.dir_val
        t_si = t_new_hat * sc.time
        res = newton(lambda u: system.residual_jacobian(u, t_si, a0, hist, lazy=True), u_guess,
                     tol=newton_tol, maxiter=newton_maxiter, positive=positive, solver=linear)
        last.update(a0=a0, hist=hist)
        _check_depletion(system, res.u, t_si)
        return res.u, res.iterations

    if start is None:
        start = StepperState(t=0.0, u=initial_unknowns(system), dt=dt / sc.time)
        _warn_above_limit(system)
    if start.event:
        return
    steps = bdf_steps(step_solver, start, t_end / sc.time, order=order, adaptive=adaptive,
                      rtol=rtol, atol=atol, weight_mask=system.diff_mask,
                      dt_min=None if dt_min is None else dt_min / sc.time,
                      dt_max=None if dt_max is None else dt_max / sc.time,
                      stop_times=[float(x) / sc.time for x in stop_times],
                      progress=progress, time_unit=sc.time, max_steps=max_steps)
    u_last, t_last = start.u, start.t * sc.time
    while True:
        try:
            s = next(steps)
        except StopIteration:
            return
        except ConvergenceError as exc:
            _explain_failure(system, u_last, t_last, start.t * sc.time, exc)
            raise
        u_last, t_last = s.u, s.t * sc.time
        cons = conservation_monitor(system, s.u, s.t * sc.time, last["a0"], last["hist"]) if monitor else {}
        state = to_state(system, s.u, s.t * sc.time, stepper=s, conservation=cons)
        for ev in events:
            reason = ev(state)
            if reason:
                stepper = replace(s, event=str(reason))
                state = replace(state, event=str(reason), stepper=stepper)
                log.info("run stopped at t = %.6g s: %s", state.t, reason)
                yield state
                return
        yield state


def solve(problem, t_end, dt, *, times=(), voltage=None, **run_options):
    """Run to ``t_end`` and collect a :class:`~ntransport.solution.Solution`: frames at
    ``times`` [s] and at the end, every step in the histories (see
    :class:`~ntransport.solve.npp_solution.NPPRecorder`). ``run_options`` go to :func:`run`.
    """
    from .npp_solution import NPPRecorder

    rec = NPPRecorder(problem, times=times, voltage=voltage)
    for state in run(problem, t_end, dt, stop_times=times, **run_options):
        rec.add(state)
    return rec.solution()


# ---------------------------------------------------------------- failure diagnosis
def _electrode_separation(system, el) -> float:
    """Distance from electrode *el* to the farthest other charged boundary (or the domain
    extent along the electrode normal) [m]."""
    p = system.problem.domain.mesh.p
    here = p[:, el["nodes"]].mean(axis=1)
    others = [o for o in system.electrodes if o is not el]
    if others:
        return float(max(np.linalg.norm(p[:, o["nodes"]].mean(axis=1) - here) for o in others))
    return float(np.max(np.linalg.norm(p - here[:, None], axis=0)))


def limiting_current(system, el=None):
    r"""Binary-electrolyte estimate of the limiting current at electrode *el* [A m-2].

    :math:`i_{lim} = z F D c/((1-t_+) L)\cdot 2` with the ambipolar
    :math:`D = 2D_+D_-/(D_++D_-)`, :math:`t_+ = D_+c_+/(D_+c_++D_-c_-)`, the volume-mean
    concentrations and diffusivities of the reacting ion and its mobile counter-ion, and
    :math:`L` the electrode separation. ``None`` without a mobile counter-ion (a
    single-ion conductor has no limiting current). An estimate for messages, exact for a
    uniform binary salt.
    """
    prob = system.problem
    el = el or next((e for e in system.electrodes if e["g"] is not None),
                    system.electrodes[0] if system.electrodes else None)
    if el is None:
        return None
    names = prob.domain.region_names
    vol = np.array([prob.domain.volume(r) for r in names])
    w = vol / vol.sum()
    k = el["k"]
    react = prob.mobile[k]
    counter = [s for s in prob.mobile if s.z * react.z < 0]
    if not counter:
        return None
    mean = lambda s, a: float(np.sum(w * s.region_array(a, names)))
    Dp, cp = mean(react, "D"), mean(react, "c0")
    Dm = sum(mean(s, "D") * mean(s, "c0") for s in counter) / max(
        sum(mean(s, "c0") for s in counter), 1e-300)
    cm = sum(mean(s, "c0") for s in counter)
    if Dm <= 0 or cm <= 0:
        return None
    tp = Dp * cp / (Dp * cp + Dm * cm)
    D = 2 * Dp * Dm / (Dp + Dm)
    return float(2 * abs(react.z) * F * D * cm / ((1 - tp) * _electrode_separation(system, el)))


def _warn_above_limit(system):
    for el in system.electrodes:
        if el["g"] is None:
            continue
        ilim = limiting_current(system, el)
        target = abs(el["target"](1e300))
        if ilim is not None and target > ilim:
            log.warning("galvanostatic current %.4g A m-2 at %r is %.3gx the limiting current "
                        "(binary estimate %.4g A m-2): the electrolyte will deplete (Sand's "
                        "time) and the run will stop there.", target, el["bc"].boundary,
                        target / ilim, ilim)


def _limit_note(system, el) -> str:
    ilim = limiting_current(system, el)
    if ilim is None:
        return ""
    galv = [e for e in system.electrodes if e["g"] is not None]
    target = abs(galv[0]["target"](1e300)) if galv else None
    ratio = f" ({target / ilim:.3g}x of it)" if target else ""
    return (f" The limiting current is about {ilim:.4g} A m-2 (binary-electrolyte estimate "
            f"2FDc/((1-t+)L)){ratio}.")


def _depleted(system, u, fraction):
    """``(electrode, c_min)`` of the first galvanostatic electrode whose reacting species
    fell below *fraction* of its reference scale (scaled units), else None."""
    if system.ng == 0:
        return None
    c = system.split(u)[0]
    for el in system.electrodes:
        cmin = float(np.min(c[el["k"]][el["nodes"]]))
        if cmin < fraction * el["c_ratio_scale"]:
            return el, cmin
    return None


def _hard_start(system, t_last, t_start) -> str:
    """The ``ramp_time`` hint when the run failed before its first step with a potential or
    current switched on as a step."""
    if t_last > t_start:
        return ""
    VT = system.scaling.thermal_voltage
    hints = []
    for el in system.electrodes:
        bc = el["bc"]
        if el["g"] is None and bc.ramp_time == 0 and abs(bc.potential - bc.U) > 4 * VT:
            hints.append(f"Electrode({bc.boundary!r}) applies {bc.potential - bc.U:.3g} V "
                         f"({abs(bc.potential - bc.U) / VT:.0f} RT/F) as a step at t = 0: a hard "
                         f"potentiostatic start; ramp it with Electrode(..., ramp_time=...) (e.g. "
                         "a few diffusion times of the double layer or the first steps)")
        if el["g"] is not None and system.problem.galvanostatic.ramp_time == 0:
            hints.append(f"the galvanostatic current {el['target'](1e300):.4g} A m-2 is switched "
                         "on as a step at t = 0; ramp it with Galvanostatic(..., ramp_time=...)")
    if not hints:
        return ""
    return " The run failed before its first accepted step: " + "; ".join(hints) + "."


def _explain_failure(system, u, t_last, t_start, exc):
    """Re-raise a failure with its likely cause: depletion (limiting current) or hard start."""
    hit = _depleted(system, u, 0.05)
    if hit is not None:
        el, cmin = hit
        raise ConvergenceError(
            f"galvanostatic current exceeds what the cell can carry: "
            f"{system.mobile_names[el['k']]} at electrode {el['bc'].boundary!r} fell to "
            f"{cmin * system.scaling.concentration:.3g} mol m-3 at t = {t_last:.6g} s (the last "
            f"accepted time; depletion: the current is above the limiting current, Sand's time "
            f"reached).{_limit_note(system, el)} Lower the current or shorten the run. Solver "
            f"said: {exc}") from exc
    extra = _hard_start(system, t_last, t_start)
    for el in system.electrodes:
        if el["g"] is not None:
            ilim = limiting_current(system, el)
            if ilim is not None and abs(el["target"](1e300)) > ilim:
                extra += (f" The requested current {el['target'](1e300):.4g} A m-2 is above the "
                          f"limiting current{_limit_note(system, el)}")
    if extra:
        raise ConvergenceError(f"{exc}{extra}") from exc


def _target(system, t):
    return next(el["target"](t) for el in system.electrodes if el["g"] is not None)


def _check_depletion(system, u, t):
    """A reacting species depleted at a galvanostatic electrode: the current exceeds the limit."""
    hit = _depleted(system, u, 1e-6)
    if hit is None:
        return
    el, _ = hit
    raise ConvergenceError(
        f"galvanostatic current {_target(system, t):.4g} A m-2 exceeds what the cell can "
        f"carry: {system.mobile_names[el['k']]} is depleted at electrode "
        f"{el['bc'].boundary!r} at t = {t:.4g} s (Sand's time; above the limiting current)."
        f"{_limit_note(system, el)} Lower the current or shorten the run.")
