r"""Li deposition/stripping: the NPP core on a moving mesh, with automatic remeshing.

Deposition is Nernst--Planck--Poisson (any species set, Poisson or electroneutral;
:mod:`ntransport.solve.deposition_problem`) on an electrolyte whose lower boundary is the
Li surface. One step :math:`t^n \to t^{n+1}` of the one time loop
(:func:`ntransport.solve.stepping.bdf_steps`, BDF1):

1. **geometry** (explicit, :mod:`ntransport.solve.deposition_ale`): the anode moves with
   :math:`v_n = -i_{BV}M/(F\rho)` of the accepted state at :math:`t^n` -- the swept
   area equals :math:`\Delta t\int v_n ds` to round-off (Faraday shift, its size kept in
   :attr:`DepositionState.area_fix`) --; with ``follow_front`` the top translates with the
   mean advance (a window moving with the mean front); the interior follows by a
   stiffened Laplace solve;
2. **transport and charge** (implicit, the NPP core, :func:`ntransport.solve.newton.newton`):
   the coupled NPP system on :math:`x^{n+1}` with the ALE mesh-velocity term
   :math:`-\int(w\cdot\nabla c_k)\phi_i` (:mod:`ntransport.physics.ale`), the
   galvanostatic Butler--Volmer anode (its potential a global unknown) at
   :math:`I(t^{n+1})`;
3. **remesh** (``after_step``): when the minimum element quality drops below
   ``min_quality`` or an anode segment leaves its length band, the electrolyte is
   remeshed from the current anode polyline (nodes kept, long segments split on a
   spline with the area restored, short ones merged area-exactly), the concentrations
   are transferred content-exactly (:func:`~ntransport.solve.transfer.transfer_fields`),
   the potential is re-solved, and BDF restarts (:func:`~ntransport.solve.stepping.restarted`).

The step is :math:`\min(dt_{max}, \mathrm{cfl}\,h_{anode}/\max|v|)`, landing exactly on
``stop_times``. The run stops with a message in ``state.event`` (not an exception) when
the deposit is about to short the cell or the anode about to fold onto itself.

Sign convention (as :mod:`ntransport.physics.kinetics`): anodic current > 0. Plating is a
*negative* current density.

>>> prob = DepositionProblem(electrolyte_species(0.012, 0.42, c_ref=1000.0, T=318.0),
...                          i0=10.0, current_density=-3.0, width=5e-6, height=3e-6,
...                          temperature=318.0, follow_front=True)      # doctest: +SKIP
>>> curve = anode_profile(5e-6, height=3e-6, defect_height=0.5e-6, defect_width=0.5e-6,
...                       spacing=0.1e-6)                                # doctest: +SKIP
>>> sol = solve(prob, curve, t_end=3600.0, mesh=MeshOptions(0.1e-6, 0.5e-6),
...             times=[0.0, 1800.0, 3600.0])                             # doctest: +SKIP
>>> sol.history("defect height [m]")[-1]                                 # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..constants import F
from ..errors import ConfigError, ConvergenceError, check_positive
from ..geometry.remesh import (anode_chain, coarsen_polyline, mesh_electrolyte_above_curve,
                               refine_polyline)
from ..physics.scaling import Scaling
from .deposition_ale import (ale_system, boundary_nodes, consistent_potential,
                             geometry_step, moved_domain, normal_speeds)
from .deposition_checks import anode_gap, check_budget, needs_remesh
from .deposition_problem import (DepositionProblem, MeshOptions, RemeshError, RemeshEvent,
                                 electrolyte_species)
from .deposition_state import DepositionState, make_state
from .linear import DirectSolver
from .mesh_motion import triangle_areas, triangle_quality
from .newton import newton
from .npp_discretise import discretise, initial_unknowns
from .stepping import StepperState, bdf_steps, restarted
from .transfer import evaluate_p1, transfer_fields

__all__ = ["DepositionProblem", "MeshOptions", "RemeshEvent", "RemeshError", "DepositionState",
           "electrolyte_species", "scaling_for", "initial_state", "remesh_state", "run",
           "solve"]

log = logging.getLogger(__name__)


def scaling_for(problem: DepositionProblem) -> Scaling:
    """The NPP scales of a deposition run: length = height, c = largest initial
    concentration, D = largest diffusivity (fixed for the run, so unknowns stay
    comparable across remeshes and a resumed run is identical)."""
    c = max(float(np.max(s.region_array("c0", ("electrolyte",)))) for s in problem.species)
    D = max(float(np.max(s.region_array("D", ("electrolyte",)))) for s in problem.species)
    return Scaling(problem.height, c, D, problem.temperature)


def _positive_mask(system):
    mask = np.zeros(system.nu, bool)
    mask[:system.M_unknown * system.n] = True
    return mask


def _state_from(problem, domain, u, *, t, step=0, solver=None, **kw):
    """Discretise on *domain*, solve the potential for the concentrations in *u*."""
    sc = scaling_for(problem)
    system = discretise(problem.npp_problem(domain, t=t), scaling=sc)
    u = consistent_potential(system, u if u is not None else initial_unknowns(system), t,
                             solver=solver)
    stepper = StepperState(t=t / sc.time, u=u, dt=1.0, step=step)
    return make_state(problem, system, stepper, domain=domain, chain=anode_chain(domain), t=t,
                      **kw)


def initial_state(problem, curve, *, mesh, mesher=mesh_electrolyte_above_curve):
    """Mesh the electrolyte above *curve* (n, 2) [m]: uniform initial concentrations, the
    quasi-static potential and electrode potential at t = 0 for ``problem.current(0)``."""
    y_top = float(problem.height)
    domain = mesher(curve, width=problem.width, y_top=y_top, h_anode=mesh.h_anode,
                    h_max=mesh.h_max)
    m = domain.mesh
    area = float(np.abs(triangle_areas(m.p, m.t)).sum())
    return _state_from(problem, domain, None, t=0.0, y_top=y_top, charge=0.0, area0=area,
                       y_top0=y_top)


def remesh_state(problem, state, *, mesh, reason="requested",
                 mesher=mesh_electrolyte_above_curve):
    """A new state on a fresh mesh of the current boundary: concentrations transferred
    content-exactly, the potential re-solved. Raises :class:`RemeshError` (carrying the
    last good state) if meshing fails."""
    old = state.domain.mesh
    coarse = coarsen_polyline(state.anode, min_length=mesh.h_anode / mesh.max_stretch)
    curve = refine_polyline(coarse, max_length=mesh.h_anode, smooth=True)
    try:
        domain = mesher(curve, width=float(np.ptp(old.p[0])), y_top=state.y_top,
                        h_anode=mesh.h_anode, h_max=mesh.h_max)
    except Exception as exc:
        raise RemeshError(
            f"remesh at t = {state.t:.6g} s (step {state.step}, reason: {reason}) failed: "
            f"{exc}. The last good state is kept in this error's .state; restart from it "
            "with a smaller cfl or a finer h_anode.", state) from exc
    sys_old = state.system
    n_old = sys_old.n
    u = state.stepper.u
    blocks = {f"u{k}": u[k * n_old:(k + 1) * n_old] for k in range(sys_old.M_unknown)}
    fields, reports = transfer_fields(old.p, old.t, domain.mesh.p, domain.mesh.t, blocks)
    phi = evaluate_p1(old.p, old.t, u[sys_old.M_unknown * n_old:(sys_old.M_unknown + 1) * n_old],
                      domain.mesh.p)  # a Newton guess, re-solved below
    u_new = np.concatenate([fields[f"u{k}"] for k in range(sys_old.M_unknown)]
                           + [phi, u[(sys_old.M_unknown + 1) * n_old:]])
    q_new = float(triangle_quality(domain.mesh.p, domain.mesh.t).min())
    event = RemeshEvent(state.t, state.step, reason, state.min_quality, q_new,
                        old.t.shape[1], domain.mesh.t.shape[1],
                        max((r.conservation_error for r in reports), default=0.0),
                        max((r.projection_error for r in reports), default=0.0))
    log.info("remesh at t=%.4g s: %s (quality %.3f -> %.3f, %d -> %d elements)", state.t,
             reason, event.quality_before, q_new, event.elements_before, event.elements_after)
    new = _state_from(problem, domain, u_new, t=state.t, step=state.step, y_top=state.y_top,
                      charge=state.charge, area0=state.area0, y_top0=state.y_top0,
                      remeshes=state.remeshes + (event,), area_fix=state.area_fix)
    stepper = restarted(dataclasses.replace(state.stepper, u=new.stepper.u))
    return dataclasses.replace(new, stepper=stepper)


def _consistent_with(problem, state):
    """*state* re-solved for ``problem.current(state.t)`` if it was solved for another
    current (a run continuing with a new protocol); unchanged otherwise."""
    a = state.anode
    from .deposition_ale import segment_halves

    mean = float(np.sum(segment_halves(a) * state.i_anode) / np.ptp(a[:, 0]))
    target = problem.current(state.t)
    if abs(mean - target) <= 1e-8 * max(abs(target), 1e-3):
        return state
    new = _state_from(problem, state.domain, state.stepper.u, t=state.t, step=state.step,
                      y_top=state.y_top, charge=state.charge, area0=state.area0,
                      y_top0=state.y_top0, remeshes=state.remeshes, area_fix=state.area_fix)
    return dataclasses.replace(new, stepper=dataclasses.replace(
        restarted(state.stepper), u=new.stepper.u))


class _Moving:
    """The per-run context of :func:`run`: the current mesh, system and anode velocity
    (geometry explicit in time), the trial of the step being solved, stop reasons."""

    def __init__(self, problem, state, mesh, mesher, newton_tol, newton_maxiter):
        self.problem, self.mesh, self.mesher = problem, mesh, mesher
        self.sc = scaling_for(problem)
        self.solver = DirectSolver()
        self._lin = (None, None)  # (numbering key, the solver linear_solver gave)
        self.newton = dict(tol=newton_tol, maxiter=newton_maxiter)
        self.stop_reason = None
        self._set(state)

    # ------------------------------------------------------------------ helpers
    def _set(self, state):
        self.state = state
        d = state.domain
        self.top = boundary_nodes(d, "top")
        self.walls = np.union1d(boundary_nodes(d, "left"), boundary_nodes(d, "right"))
        self.speeds = normal_speeds(self.problem, state.i_anode)
        if not hasattr(self, "_topology") or self._topology is not d.mesh.t:
            self.mm_solvers = (DirectSolver(), DirectSolver())
            self._topology = d.mesh.t
        self.trial = None

    def _linear(self, system):
        """The run's DirectSolver as `system` uses it (NPPSystem.linear_solver: node by
        node on large systems), one per numbering, so a renumbering's data map is built
        once, not every step."""
        key = (system.n, system.M_unknown, system.nu)
        if self._lin[0] != key:
            self._lin = (key, system.linear_solver(self.solver))
        return self._lin[1]

    def dt_cap(self, state) -> float:
        """Largest step [s]: dt_max, and cfl·h_anode over the fastest anode node."""
        v = float(np.abs(self.speeds).max())
        dt = self.mesh.dt_max
        if v > 0:
            dt = min(dt, self.mesh.cfl * self.mesh.h_anode / v)
        return dt

    # ------------------------------------------------------------------ stepper hooks
    def step_solver(self, u_guess, t_new_hat, a0, hist):
        s, p = self.state, self.problem
        t_new = t_new_hat * self.sc.time
        dt = t_new - s.t
        dy_top = (-p.current(s.t) * p.molar_volume / F) * dt if p.follow_front else 0.0
        geo = geometry_step(s.domain, s.chain, self.top, self.walls, self.speeds, dt,
                            y_top=s.y_top, dy_top=dy_top, solvers=self.mm_solvers,
                            redistribute=self.mesh.redistribute)
        dom = moved_domain(s.domain, geo.p)
        system = ale_system(p.npp_problem(dom, t=t_new), self.sc, mesh_velocity=geo.velocity,
                            like=s.system)
        u = np.array(u_guess, dtype=float)
        u[system.dir_idx] = system.dir_val
        res = newton(lambda v: system.residual_jacobian(v, t_new, a0, hist, lazy=True), u,
                     positive=_positive_mask(system), solver=self._linear(system), **self.newton)
        _check_depletion(p, system, res.u, t_new)
        self.trial = (geo, dom, system)
        return res.u, res.iterations

    def after_step(self, st):
        geo, dom, system = self.trial
        old, p = self.state, self.problem
        state = make_state(
            p, system, st, domain=dom, chain=old.chain, t=st.t * self.sc.time,
            y_top=geo.y_top, charge=old.charge + p.current(old.t) * p.width * geo.dt,
            area0=old.area0, y_top0=old.y_top0, remeshes=old.remeshes,
            area_fix=old.area_fix + geo.area_fix)
        _explain_failure(p, state, None, fraction=1e-3)  # about to deplete: say so now
        self.stop_reason = _stop_reason(p, state, self.mesh)
        if self.stop_reason is None:
            reason = needs_remesh(state, self.mesh)
            if reason:
                state = remesh_state(p, state, mesh=self.mesh, reason=reason, mesher=self.mesher)
        self._set(state)
        # the geometric cap; after a rejected (halved) step grow back by at most 2x
        h_last = st.t - st.t_prev if st.t_prev is not None else np.inf
        st = dataclasses.replace(state.stepper, dt=min(self.dt_cap(state) / self.sc.time,
                                                      2.0 * h_last if st.rejected else np.inf))
        self.state = dataclasses.replace(state, stepper=st)
        return st

    def event(self, st):
        return self.stop_reason


def _stop_reason(problem, state, mesh):
    """Why the run must stop after *state* (short circuit, a folding anode, the Li
    consumed), or None."""
    X = state.anode
    if X[:, 1].max() >= state.y_top - 2 * mesh.h_anode:
        return (f"short circuit: the deposit tip reached y = {X[:, 1].max() * 1e6:.4g} µm, "
                f"within 2 h_anode of the bulk boundary at {state.y_top * 1e6:.4g} µm, at "
                f"t = {state.t:.5g} s. Use a taller domain or a shorter run.")
    gap = anode_gap(X, exclude=3 * mesh.min_gap * mesh.h_anode)
    if gap < mesh.min_gap * mesh.h_anode:
        return (f"the anode is about to fold onto itself at t = {state.t:.5g} s: two "
                f"non-adjacent parts are {gap * 1e6:.3g} µm apart (< min_gap·h_anode = "
                f"{mesh.min_gap * mesh.h_anode * 1e6:.3g} µm) -- a deposit overhanging its own "
                "foot, or a branch closing on itself; a sharp-interface model cannot follow "
                "the topology change.")
    if -X[:, 1].min() >= problem.li_thickness:
        return (f"stripping consumed the Li electrode (li_thickness = "
                f"{problem.li_thickness * 1e6:.3g} µm) at t = {state.t:.5g} s.")
    return None


def _check_depletion(problem, system, u, t):
    c = system.split(u)[0]
    k = system.mobile_names.index(problem.reacting) if problem.reacting in system.mobile_names \
        else None
    if k is None:
        return
    el = system.electrodes[0]
    cmin = float(np.min(c[k][el["nodes"]])) * system.scaling.concentration
    if cmin < 1e-6 * problem.c_ref:
        raise ConvergenceError(
            f"{problem.reacting} is depleted at the anode at t = {t:.5g} s (c = {cmin:.3g} "
            f"mol/m3): the local current exceeds what diffusion can supply (a sharp dendrite "
            "tip, or a current above the limiting current).")  # the stepper halves dt


def run(problem, state, *, t_end, mesh, stop_times=(), events=(), progress=None,
        mesher=mesh_electrolyte_above_curve, newton_tol=1e-7, newton_maxiter=25,
        max_steps=1_000_000):
    """Advance *state* to *t_end* [s]; a generator yielding a :class:`DepositionState`
    after every accepted step (checkpoint it, probe it, stop when you like).

    ``stop_times`` [s] are landed on exactly; ``events`` are callables
    ``DepositionState -> reason | None`` that end the run (the last state carries the
    reason in ``.event``); the model's own stop conditions (short circuit, a folding
    anode, the electrode consumed) end it the same way. ``progress`` is called with the
    simulated time [s]. ``newton_tol`` acts on the scaled Newton update (c/c_ref, φ/(RT/F)):
    Newton converges quadratically, so an accepted update of 1e-7 leaves an error ~1e-14;
    a tighter value can sit below the round-off noise of the update on fine meshes
    (measured 1e-8 at h_anode = 50 nm with a 1e-14 residual), where Newton, which tests
    only the update, would not stop.

    Raises
    ------
    ConfigError
        The charge would consume the Li electrode (or plate through a fixed top).
    ConvergenceError
        Newton/time stepping failed (the message names the time and what was tried).
    RemeshError
        A remesh failed; ``err.state`` is the last good state.
    """
    check_positive(t_end - state.t, name="t_end - state.t [s]", exc=ConfigError)
    check_budget(problem, t_end, state.t)
    state = _consistent_with(problem, state)
    model = _Moving(problem, state, mesh, mesher, newton_tol, newton_maxiter)
    sc = model.sc
    # the state's own stepper (a checkpointed run continues exactly), within the step cap
    cap = model.dt_cap(state) / sc.time
    dt = min(state.stepper.dt, cap) if state.stepper.step > 0 else cap
    start = dataclasses.replace(state.stepper, dt=dt, event=None)
    user = [lambda st, ev=ev: ev(model.state) for ev in events]
    steps = bdf_steps(model.step_solver, start, t_end / sc.time, order=1, adaptive=False,
                      stop_times=[x / sc.time for x in stop_times], events=[model.event, *user],
                      after_step=model.after_step, progress=progress, time_unit=sc.time,
                      max_steps=max_steps)
    while True:
        try:
            st = next(steps)
        except StopIteration:
            return
        except ConvergenceError as exc:
            _explain_failure(problem, model.state, exc)
            raise
        yield dataclasses.replace(model.state, stepper=st, event=st.event)


#: the name this generator had before deposition ran on the NPP core
deposit = run


def _explain_failure(problem, state, exc, *, fraction=0.05):
    """A (failed step next to a) depleted anode: say it is the limiting current."""
    c = state.concentrations[problem.reacting][state.chain]
    if c.min() < fraction * problem.c_ref:
        raise ConvergenceError(
            f"{problem.reacting} is depleted at the anode (c = {c.min():.3g} mol/m3 at "
            f"x = {state.anode[int(np.argmin(c)), 0] * 1e6:.3g} µm, t = {state.t:.5g} s, the "
            f"last accepted state): the local current exceeds what diffusion can supply -- "
            f"above the limiting current, or a sharp dendrite tip. Lower the current or the "
            f"exchange current density, or use a finer h_anode / smaller cfl."
            + (f" Solver said: {exc}" if exc is not None else "")) from exc


def solve(problem, start, *, t_end, mesh, times=(), events=(), progress=None,
          mesher=mesh_electrolyte_above_curve, recorder=None, on_step=None, **options):
    """Run the deposition model and collect a :class:`~ntransport.solution.Solution`.

    The stable entry point for running the ALE model on a given anode curve.

    Parameters
    ----------
    problem : DepositionProblem
    start : (n, 2) array or DepositionState
        The initial anode polyline [m] from x = 0 to x = width (meshed with *mesh*), or a
        state to continue from.
    t_end : float
        End time [s].
    mesh : MeshOptions
    times : sequence of float
        Frame times [s] (landed on exactly); the last state is always a frame.
    events, progress, mesher, **options
        As in :func:`run`.
    recorder : DepositionRecorder, optional
        Continue recording into it (a resumed run); default a new one.
    on_step : callable ``(state, recorder) -> None``, optional
        Called after every recorded step (checkpoints).

    Returns
    -------
    Solution
        Frames on the successive meshes (``c_<species> [mol m-3]``, ``phi [V]``; flux
        pieces ``N_<species> diffusion/migration [mol m-2 s-1]``, ``i [A m-2]``),
        histories (:data:`~ntransport.solve.deposition_fields.HISTORY_KEYS`) and
        ``info`` with the remeshes and the stop reason (``"event"``).
    """
    from .deposition_fields import DepositionRecorder

    times = [float(x) for x in times]
    for k, x in enumerate(times):
        if not (0.0 <= x <= t_end * (1 + 1e-12)):
            raise ConfigError(f"times[{k}] = {x!r} s lies outside [0, t_end = {t_end:g} s]; "
                              "give frame times within the run.")
    state = start if isinstance(start, DepositionState) else initial_state(
        problem, start, mesh=mesh, mesher=mesher)
    rec = recorder or DepositionRecorder(problem, times)
    if not rec.rows["t [s]"]:
        rec.add(state)
    if state.t < t_end * (1 - 1e-12):
        for state in run(problem, state, t_end=t_end, mesh=mesh, stop_times=times,
                         events=events, progress=progress, mesher=mesher, **options):
            rec.add(state, last=state.t >= t_end * (1 - 1e-12))
            if on_step is not None:
                on_step(state, rec)
    info = {"event": state.event, "steps": state.step,
            "remeshes": [dataclasses.asdict(e) for e in state.remeshes],
            "faraday_shift_total_m2": state.area_fix}
    return rec.solution(info=info)
