r"""Moving-interface Li deposition/stripping: ALE time stepping with automatic remeshing.

One step from :math:`t^n` (mesh :math:`x^n`, salt :math:`c^n`):

1. quasi-static charge balance with galvanostatic Butler--Volmer kinetics on
   :math:`x^n` (:func:`~.deposition_potential.solve_potential`);
2. the Li surface moves with :math:`v_n = -i_{BV} M/(F\rho)` (explicit Euler,
   first-order in :math:`\Delta t`; the swept area is made equal to
   :math:`\Delta t\int v_n ds` to round-off by a common normal shift,
   :func:`~.mesh_motion.faraday_displacement`, whose size is kept in
   :attr:`DepositionState.area_fix`); with ``follow_front=True`` the top
   boundary translates with the mean advance so the electrode--bulk distance stays
   `height` (a window that moves with the mean front); the interior follows by a
   stiffened Laplace solve (:func:`~.mesh_motion.harmonic_extension`);
3. the salt balance is advanced on :math:`x^{n+1}` in ALE form
   (:func:`~.deposition_salt.salt_step`);
4. if the minimum element quality drops below ``min_quality`` or an anode segment grows
   beyond ``max_stretch·h_anode``, the electrolyte is remeshed from the current anode
   polyline (nodes kept; long segments split at midpoints, so the deposit volume is
   unchanged) and the salt is transferred content-exactly
   (:func:`~.transfer.transfer_fields`). Every remesh is recorded in
   :attr:`DepositionState.remeshes`.

The time step is ``min(dt_max, cfl·h_anode/max|v_n|)``, cut to land on `t_end` and on
every current switch time.

Sign convention (as :mod:`ntransport.physics.kinetics`): anodic current > 0. Plating
at the electrode is a *negative* `current_density`.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ..constants import F
from ..errors import (ConfigError, ConvergenceError, GeometryError, MeshError, check_finite,
                      check_positive, check_transfer_coefficients)
from ..geometry.remesh import (anode_chain, coarsen_polyline, mesh_electrolyte_above_curve,
                               refine_polyline)
from ..physics.ale import LI_MOLAR_VOLUME
from ..physics.binary_electrolyte import BinaryElectrolyte
from ..physics.kinetics import butler_volmer
from .deposition_potential import solve_potential
from .deposition_salt import salt_step
from .mesh_motion import (anode_displacement, faraday_displacement, harmonic_extension,
                          triangle_areas, triangle_quality)
from .transfer import evaluate_p1, transfer_fields

__all__ = ["DepositionProblem", "MeshOptions", "RemeshEvent", "DepositionState",
           "RemeshError", "initial_state", "deposit", "remesh_state"]

log = logging.getLogger(__name__)


class RemeshError(MeshError):
    """A remesh failed; ``.state`` is the last good state (before the failed remesh)."""

    def __init__(self, message, state):
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class DepositionProblem:
    """Physics of the deposition cell (SI).

    Parameters
    ----------
    electrolyte : BinaryElectrolyte
    i0 : float
        Exchange current density [A/m²].
    current_density : float or callable t -> float
        Applied current per projected electrode area [A/m²], anodic > 0 (plating < 0).
    alpha_a, alpha_c : float
        Transfer coefficients.
    width, height : float
        Domain width and initial electrolyte thickness above y = 0 [m].
    follow_front : bool
        Move the top boundary with the mean front (keeps the bulk at distance `height`).
    li_thickness : float
        Li metal below y = 0 available for stripping [m].
    molar_volume : float
        M/ρ of the metal [m³/mol].
    """

    electrolyte: BinaryElectrolyte
    i0: float
    current_density: float | Callable
    width: float
    height: float
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    follow_front: bool = False
    li_thickness: float = 20e-6
    molar_volume: float = LI_MOLAR_VOLUME

    def __post_init__(self):
        for name in ("i0", "width", "height", "li_thickness", "molar_volume"):
            check_positive(getattr(self, name), name=name, exc=ConfigError)
        check_transfer_coefficients(self.alpha_a, self.alpha_c, name="DepositionProblem",
                                    exc=ConfigError)  # h-sec
        if not callable(self.current_density):
            check_finite(self.current_density, name="current_density", exc=ConfigError)

    def current(self, t):
        """Applied current density at time *t* [A/m²]."""
        cd = self.current_density
        return float(cd(t)) if callable(cd) else float(cd)

    @property
    def kinetics(self):
        return partial(butler_volmer, i0=self.i0, alpha_a=self.alpha_a,
                       alpha_c=self.alpha_c, T=self.electrolyte.T)


@dataclass(frozen=True)
class MeshOptions:
    """Mesh resolution, time-step control and remesh thresholds."""

    h_anode: float
    h_max: float
    min_quality: float = 0.35
    max_stretch: float = 1.8
    cfl: float = 0.3
    dt_max: float = 60.0


@dataclass(frozen=True)
class RemeshEvent:
    """One automatic remesh."""

    t: float
    step: int
    reason: str
    quality_before: float
    quality_after: float
    elements_before: int
    elements_after: int
    content_error: float  # relative salt content change (after the content fix)
    projection_error: float  # same, of the bare L2 projection


@dataclass(frozen=True)
class DepositionState:
    """Solution at one time. ``domain`` carries the current (moved) mesh."""

    t: float
    step: int
    domain: object
    chain: np.ndarray
    c: np.ndarray
    phi: np.ndarray
    phi_s: float
    i_anode: np.ndarray  # BV current at the anode nodes (lumped) [A/m²]
    y_top: float
    charge: float  # ∫ I dt per unit depth [C/m], anodic > 0
    area0: float  # electrolyte area at t = 0 (with y_top0) [m²]
    y_top0: float
    remeshes: tuple = field(default=())
    newton_iterations: int = 0
    area_fix: float = 0.0  # Σ|area added by the Faraday shift| [m²] (O(Δt²) per step)

    @property
    def anode(self):
        """Anode polyline (n, 2) [m], left to right."""
        return self.domain.mesh.p[:, self.chain].T

    @property
    def electrolyte_area(self):
        m = self.domain.mesh
        return float(np.abs(triangle_areas(m.p, m.t)).sum())

    @property
    def deposited_area(self):
        """Metal area gained since t = 0 per unit depth [m²] (negative when stripped)."""
        return self.area0 - self.electrolyte_area + (self.y_top - self.y_top0) * \
            float(np.ptp(self.domain.mesh.p[0]))

    @property
    def min_quality(self):
        m = self.domain.mesh
        return float(triangle_quality(m.p, m.t).min())


def _nodes(domain, name):
    return np.unique(domain.mesh.facets[:, domain.facets(name)])


def _moved(domain, p):
    return dataclasses.replace(domain, mesh=dataclasses.replace(domain.mesh, doflocs=p))


def initial_state(problem, curve, *, mesh):
    """Mesh the electrolyte above `curve` (n, 2) [m] and set c = c_ref, Φ = 0."""
    y_top = float(problem.height)
    domain = mesh_electrolyte_above_curve(curve, width=problem.width, y_top=y_top,
                                          h_anode=mesh.h_anode, h_max=mesh.h_max)
    nn = domain.mesh.p.shape[1]
    chain = anode_chain(domain)
    area = float(np.abs(triangle_areas(domain.mesh.p, domain.mesh.t)).sum())
    return DepositionState(0.0, 0, domain, chain, np.full(nn, problem.electrolyte.c_ref),
                           np.zeros(nn), 0.0, np.zeros(len(chain)), y_top, 0.0, area, y_top)


def remesh_state(state, *, mesh, reason="requested", mesher=mesh_electrolyte_above_curve):
    """A new state on a fresh mesh of the current boundary; salt transferred exactly."""
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
            "with a smaller time step or a finer h_anode.", state) from exc
    new = domain.mesh
    fields, reports = transfer_fields(old.p, old.t, new.p, new.t, {"c": state.c})
    q_new = triangle_quality(new.p, new.t).min()
    event = RemeshEvent(state.t, state.step, reason, state.min_quality, float(q_new),
                        old.t.shape[1], new.t.shape[1], reports[0].conservation_error,
                        reports[0].projection_error)
    log.info("remesh at t=%.4g s: %s (quality %.3f -> %.3f, %d -> %d elements)", state.t,
             reason, event.quality_before, event.quality_after, event.elements_before,
             event.elements_after)
    chain = anode_chain(domain)
    phi = evaluate_p1(old.p, old.t, state.phi, new.p)  # not conserved: a Newton guess
    i_an = np.interp(new.p[0, chain], old.p[0, state.chain], state.i_anode)
    return dataclasses.replace(state, domain=domain, chain=chain, c=fields["c"], phi=phi,
                               i_anode=i_an, remeshes=state.remeshes + (event,))


def _check_budget(problem, t_end, t0):
    """Reject a run that would strip more Li than there is (or plate through a fixed top)."""
    ts = np.linspace(t0, t_end, 201)
    cur = np.array([problem.current(t) for t in ts])
    q = np.concatenate([[0.0], np.cumsum(0.5 * (cur[1:] + cur[:-1]) * np.diff(ts))])
    thick = q * problem.molar_volume / F  # > 0: stripped thickness
    if thick.max() >= problem.li_thickness:
        raise ConfigError(
            f"current_density would strip {thick.max() * 1e6:.3g} µm of Li by t = "
            f"{ts[int(np.argmax(thick))]:.4g} s, more than li_thickness = "
            f"{problem.li_thickness * 1e6:.3g} µm: the electrode would be consumed. Lower the "
            "current or the time, or give a thicker li_thickness.")
    if not problem.follow_front and -thick.min() >= problem.height:
        raise ConfigError(
            f"current_density would plate {-thick.min() * 1e6:.3g} µm of Li, at least the "
            f"electrolyte height = {problem.height * 1e6:.3g} µm (short circuit). Lower the "
            "charge or use follow_front=True (top boundary moves with the mean front).")


def _needs_remesh(state, mesh):
    q = state.min_quality
    seg = np.linalg.norm(np.diff(state.anode, axis=0), axis=1).max()
    if q < mesh.min_quality:
        return f"min element quality {q:.3f} < {mesh.min_quality}"
    if seg > mesh.max_stretch * mesh.h_anode:
        return f"anode segment {seg:.3g} m > {mesh.max_stretch}·h_anode"
    short = np.linalg.norm(np.diff(state.anode, axis=0), axis=1).min()
    if short < mesh.h_anode / (2 * mesh.max_stretch):
        return f"anode segment {short:.3g} m < h_anode/{2 * mesh.max_stretch}"
    return None


def deposit(problem, state, *, t_end, mesh, mesher=mesh_electrolyte_above_curve):
    """Advance `state` to `t_end`; a generator yielding the state after every step.

    Raises
    ------
    ConfigError
        The charge would consume the Li electrode (or plate through a fixed top).
    GeometryError
        The deposit reached the top boundary or folded over.
    RemeshError
        A remesh failed; ``err.state`` is the last good state.
    """
    check_positive(t_end - state.t, name="t_end - state.t", exc=ConfigError)
    _check_budget(problem, t_end, state.t)
    el, W = problem.electrolyte, problem.width
    Vm = problem.molar_volume
    shrink = 1.0  # time-step reduction after an element inversion
    while state.t < t_end * (1 - 1e-12):
        dom = state.domain
        p = dom.mesh.p
        top = _nodes(dom, "top")
        I = problem.current(state.t) * W
        sol = solve_potential(dom.mesh, state.chain, top, state.c, electrolyte=el,
                              kinetics=problem.kinetics, current=I, phi0=state.phi,
                              phi_s0=state.phi_s)
        X = state.anode
        vel_loads = -sol.loads * Vm / F  # ∫ v_n φ_i ds
        w_nodes = anode_displacement(X, vel_loads, 1.0)  # velocity of the anode nodes
        vmax = float(np.abs(w_nodes).max())
        dt = min(mesh.dt_max, t_end - state.t)
        if vmax > 0:
            dt = min(dt, shrink * mesh.cfl * mesh.h_anode / vmax)
        disp_anode, fix = faraday_displacement(X, vel_loads, dt)
        dy_top = (-I * Vm / (F * W)) * dt if problem.follow_front else 0.0
        side = np.union1d(_nodes(dom, "left"), _nodes(dom, "right"))
        fixed_x = np.concatenate([state.chain, top, side])
        vals_x = np.concatenate([disp_anode[:, 0], np.zeros(top.size + side.size)])
        fixed_y = np.concatenate([state.chain, top])
        vals_y = np.concatenate([disp_anode[:, 1], np.full(top.size, dy_top)])
        # the corner nodes are on the anode and a wall: anode values win (listed first)
        fx, ix = np.unique(fixed_x, return_index=True)
        fy, iy = np.unique(fixed_y, return_index=True)
        u = harmonic_extension(p, dom.mesh.t, fixed_x=fx, values_x=vals_x[ix],
                               fixed_y=fy, values_y=vals_y[iy])
        p_new = p + u
        a_old, a_new = triangle_areas(p, dom.mesh.t), triangle_areas(p_new, dom.mesh.t)
        if np.any(a_old * a_new <= 0):  # gmsh/skfem orientation is mixed: compare signs
            if shrink < 0.1:
                raise GeometryError(
                    f"elements invert at t = {state.t:.5g} s even after remeshing and a "
                    f"{1 / shrink:.0f}x smaller time step; the deposit shape is too sharp "
                    "for h_anode. Use a finer h_anode.")
            state = remesh_state(state, mesh=mesh, reason="an element would invert",
                                 mesher=mesher)
            shrink *= 0.5
            continue
        shrink = min(1.0, 2 * shrink)
        new_dom = _moved(dom, p_new)
        X_new = p_new[:, state.chain].T
        y_top = state.y_top + dy_top
        if X_new[:, 1].max() >= y_top - 0.5 * mesh.h_anode:
            raise GeometryError(
                f"the deposit reached the top boundary at t = {state.t + dt:.5g} s (tip at "
                f"y = {X_new[:, 1].max() * 1e6:.4g} µm, top at {y_top * 1e6:.4g} µm): short "
                "circuit. Use a taller domain or a shorter time.")
        if -X_new[:, 1].min() >= problem.li_thickness:
            raise ConfigError(
                f"stripping consumed the Li electrode (li_thickness = "
                f"{problem.li_thickness * 1e6:.3g} µm) at t = {state.t + dt:.5g} s.")
        c_new = salt_step(new_dom.mesh, state.c, u / dt, sol.loads, state.chain, top,
                          electrolyte=el, dt=dt)
        if c_new.min() <= 0:
            raise ConvergenceError(
                f"the salt concentration became {c_new.min():.4g} mol/m3 <= 0 at t = "
                f"{state.t + dt:.5g} s near x = {new_dom.mesh.p[0, np.argmin(c_new)] * 1e6:.3g} "
                "µm: the local current exceeds what diffusion can supply at this resolution "
                "(a sharp dendrite tip, or D too small for this current). Use a finer h_anode "
                "or a smaller cfl; the last state yielded by deposit() is the last good one.")
        lumped = sol.loads / np.maximum(_lumped_length(X), 1e-300)
        state = dataclasses.replace(
            state, t=state.t + dt, step=state.step + 1, domain=new_dom, c=c_new,
            phi=sol.phi, phi_s=sol.phi_s, i_anode=lumped, y_top=y_top,
            charge=state.charge + I * dt, newton_iterations=sol.iterations,
            area_fix=state.area_fix + abs(fix))
        reason = _needs_remesh(state, mesh)
        if reason:
            state = remesh_state(state, mesh=mesh, reason=reason, mesher=mesher)
        yield state


def _lumped_length(X):
    L = np.linalg.norm(np.diff(X, axis=0), axis=1)
    out = np.zeros(len(X))
    out[:-1] += 0.5 * L
    out[1:] += 0.5 * L
    return out
