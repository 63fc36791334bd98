r"""Transient Nernst--Planck--Poisson (or electroneutral) problems: set-up and time stepping.

>>> problem = NPPProblem(domain, species, bcs, electrostatics="electroneutral")  # doctest: +SKIP
>>> for state in run(problem, t_end=10.0, dt=1e-3):                             # doctest: +SKIP
...     print(state.t, state.current("anode"))

:func:`discretise` turns an immutable :class:`NPPProblem` into an
:class:`~ntransport.solve.npp_system.NPPSystem`; :func:`run` is a generator yielding
:class:`NPPState` after every accepted step (stop, probe, checkpoint or stream as you
like); nothing is written to disk.
"""
from __future__ import annotations

import logging
from types import MappingProxyType

import numpy as np

from ..errors import ConvergenceError, check_positive
from .linear import DirectSolver
from .newton import newton
from .npp_discretise import check_debye_resolution, discretise, initial_unknowns
from .npp_monitor import conservation_monitor
from .npp_problem import NPPProblem, NPPState
from .npp_system import NPPSystem
from .stepping import StepperState, bdf_steps

__all__ = ["NPPProblem", "NPPState", "discretise", "run", "to_state", "initial_unknowns",
           "check_debye_resolution", "conservation_monitor"]

log = logging.getLogger(__name__)


def to_state(system: NPPSystem, u, t, *, stepper=None, conservation=None) -> NPPState:
    """Convert a scaled unknown vector to an SI :class:`NPPState`."""
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
            conc[s.name] = system.geom.lumped_by_element(
                s.region_array("c0", names)[region]) / system.geom.lumped
    eps, cur = {}, {}
    for el in system.electrodes:
        phis = g[el["g"]] if el["g"] is not None else el["bc"].potential_at(t) / sc.thermal_voltage
        from ..physics.electrode import electrode_current
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
                    newton_iterations=st.newton_iterations if st else 0, stepper=st)


def run(problem_or_system, t_end, dt, *, order=2, adaptive=True, rtol=1e-3, atol=1e-6,
        dt_min=None, dt_max=None, newton_tol=1e-10, newton_maxiter=25, start=None,
        monitor=True, scaling=None):
    """Integrate from the initial state (or a :class:`StepperState` ``start``) to ``t_end``.

    Yields :class:`NPPState` after every accepted step (SI). ``dt`` [s] is the first step
    (and the fixed step when ``adaptive=False``); ``rtol``/``atol`` act on scaled
    concentrations. Raises :class:`ConvergenceError` with time, step and residual history.
    """
    check_positive(dt, name="dt (time step) [s]")
    check_positive(t_end, name="t_end [s]")
    system = problem_or_system if isinstance(problem_or_system, NPPSystem) else discretise(
        problem_or_system, scaling=scaling)
    sc = system.scaling
    solver = DirectSolver()
    positive = np.zeros(system.nu, bool)
    positive[:system.M_unknown * system.n] = True
    last = {}

    def step_solver(u_guess, t_new_hat, a0, hist):
        u_guess = u_guess.copy()
        u_guess[system.dir_idx] = system.dir_val
        t_si = t_new_hat * sc.time
        res = newton(lambda u: system.residual_jacobian(u, t_si, a0, hist), u_guess,
                     tol=newton_tol, maxiter=newton_maxiter, positive=positive, solver=solver)
        last.update(a0=a0, hist=hist)
        _check_depletion(system, res.u, t_si)
        return res.u, res.iterations

    if start is None:
        start = StepperState(t=0.0, u=initial_unknowns(system), dt=dt / sc.time)
    steps = bdf_steps(step_solver, start, t_end / sc.time, order=order, adaptive=adaptive,
                      rtol=rtol, atol=atol, weight_mask=system.diff_mask,
                      dt_min=None if dt_min is None else dt_min / sc.time,
                      dt_max=None if dt_max is None else dt_max / sc.time)
    u_last = start.u
    while True:
        try:
            s = next(steps)
        except StopIteration:
            return
        except ConvergenceError as exc:
            _explain_failure(system, u_last, exc)
            raise
        u_last = s.u
        cons = conservation_monitor(system, s.u, s.t * sc.time, last["a0"], last["hist"]) if monitor else {}
        yield to_state(system, s.u, s.t * sc.time, stepper=s,
                       conservation=cons)


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


def _explain_failure(system, u, exc):
    """Turn a failed galvanostatic run near depletion into the limiting-current message."""
    hit = _depleted(system, u, 0.05)
    if hit is None:
        return
    el, cmin = hit
    raise ConvergenceError(
        f"galvanostatic current exceeds what the cell can carry: "
        f"{system.mobile_names[el['k']]} at electrode {el['bc'].boundary!r} fell to "
        f"{cmin * system.scaling.concentration:.3g} mol m-3 (depletion: the current is above "
        f"the limiting current, Sand's time reached). Lower the current. Solver said: {exc}"
    ) from exc


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
        f"{el['bc'].boundary!r} at t = {t:.4g} s (Sand's time; above the limiting current). "
        "Lower the current or shorten the run.")
