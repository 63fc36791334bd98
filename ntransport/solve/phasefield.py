r"""The phase-field model of Li electrodeposition on a Domain in metres.

:class:`PhaseFieldProblem` holds what to solve: a :class:`~ntransport.geometry.Domain`
(SI lengths, named regions such as ``"PEO"`` and ``"PE"``), a parameter set (SI
:class:`~ntransport.physics.phasefield_params.PhaseFieldParameters` or a normalised
:class:`~ntransport.physics.phasefield_params.ScaledParameters` carrying its own SI
scales), boundary conditions in SI (potential [V], inward current density [A m-2],
salt concentration [mol m-3]) and options (skeleton regions, mechanics, noise, band
remeshing). Scaling happens inside: lengths by ``params.length``, times by
``params.time``, concentrations by ``c0``; the potential stays in volts.

:func:`run` is a generator of :class:`PhaseFieldState` driven by the one time-step
controller (:func:`ntransport.solve.stepping.bdf_steps`, backward Euler: the order
that keeps the discrete maximum principle of the salt, hence c >= 0), each step solved
by the one Newton (:func:`ntransport.solve.newton.newton`) on the exact Jacobian of
:mod:`ntransport.physics.phasefield_forms`, assembled on a sparsity pattern computed
once per mesh, with one :class:`~ntransport.solve.linear.DirectSolver` per run
(PARDISO keeps its symbolic analysis while the mesh holds). :func:`solve` collects a
:class:`~ntransport.solution.Solution` (frames at stop times, per-step histories) and
saves/resumes checkpoints through a :class:`~ntransport.solve.checkpoint.CheckpointStore`.

**Refined band that follows the interface.** With ``remesh=BoxSpec(...)`` the mesh is
fine only below a band top; after every accepted step, if the deposit (nodes with
:math:`\xi > 0.02`) comes within ``remesh_margin`` of the band top, the box is rebuilt
with the band raised by ``remesh_step`` and the fields are P1-interpolated onto it (the
band's rows are re-spaced to fit the new band, so its nodes move by up to half a row;
nodes the two meshes share keep their values). Measured on the full-size PEO run of
``dendrite_skeleton.yaml``: the deposit (:math:`\int\xi\,dA`) changes by <= 3e-4
relative and its tip by <= 2 nm per remesh. The state before it is mapped the same way,
so the time integrator goes on with its predictor and error estimate on the new mesh. A
run so reaches the far side of the cell.

**Mechanics** (optional, :class:`~ntransport.physics.phasefield_mechanics.Mechanics`):
after every accepted step the plane-strain eigenstrain problem is solved for the new
:math:`\xi` (:mod:`ntransport.solve.phasefield_mechanics`); the next step uses the
hydrostatic stress through the overpotential shift :math:`\Delta V\sigma_h/F` (operator
splitting, lagged one step; its dependence on :math:`\xi` is not in the Jacobian).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ConfigError, ConvergenceError, check_positive, suggest
from ..geometry.boxes import BoxSpec
from ..geometry.domain import Domain
from ..physics.phasefield_mechanics import Mechanics, overpotential_shift
from ..physics.phasefield_params import (PhaseFieldParameters, ScaledParameters,
                                         interface_width, nondimensionalise)
from .linear import DirectSolver
from .newton import jacobian_matrix, newton
from .phasefield_system import (PhaseFieldSystem, check_initial_field,
                                check_interface_resolution, deposit_area, interface_points,
                                tip_height, transfer_nodal)
from .stepping import StepperState, bdf_steps, restarted

__all__ = ["PhaseFieldProblem", "PhaseFieldState", "run", "solve", "scaled_parameters",
           "check_initial_field", "check_interface_resolution", "interface_points",
           "tip_height", "deposit_area", "HISTORY_KEYS", "PhaseFieldSystem", "default_solver",
           "potential_guess"]

log = logging.getLogger(__name__)

XI_TAIL = 0.02  # the interface (the part that must be resolved) starts here
PHI_CAP = 8.0  # largest f max|d phi| of a Newton step (after the per-node damping)
PHI_DAMPING = 4.0  # kappa of log_damped_potential; None: Newton's own potential update
#: chord steps: once a Newton update is below this (max-norm, scaled unknowns and volts),
#: the next iterations reuse its LU factors instead of factorising the new Jacobian (the
#: quadratic end-game costs a solve, not a factorisation); None: a new LU every iteration.
#: Full-size PEO run of dendrite_skeleton.yaml: 1086 -> 822 factorisations, the same number
#: of Newton iterations (benchmarks/phasefield/RESULTS.md).
CHORD_BELOW = 1e-2
#: potential guess along the moving front (:func:`potential_guess`): nodes whose xi
#: changed by more than this in the last accepted step carry that step's d phi / d xi
#: into the guess, the change clipped to PHI_GUESS_CAP thermal voltages; None: the
#: potential of the last state everywhere. Full-size runs of dendrite_skeleton.yaml,
#: 1 thread, LU factorisations without -> with: PEO 1042 -> 616, PEO+PE 1038 -> 660
#: (benchmarks/phasefield/RESULTS.md; thresholds 1e-3 / 1e-2 gave 718 / 702 on PEO).
XI_SECANT = 3e-3
#: the clip, in thermal voltages: the threshold of the per-node damping (a guess moves
#: the potential no further than an undamped Newton update); 8 (= PHI_CAP): PEO 651
PHI_GUESS_CAP = 4.0
#: a remesh maps the state before it too, so the controller keeps its predictor and
#: error estimate (False: the run restarts from the mapped state alone; measured in
#: benchmarks/phasefield/front_guess.py --remesh, 2-4 failed attempts per remesh)
REMESH_KEEPS_HISTORY = True
#: PARDISO ordering of the Newton Jacobians (2D, three fields, 10-15 k unknowns): minimum
#: degree factorises them ~25 % faster than nested dissection (11 k: 15.0 -> 11.1 ms);
#: full-size PEO run of dendrite_skeleton.yaml, 1 thread, interleaved 3 x 2: 54.6 / 55.6 /
#: 58.2 s against 58.3 / 68.2 / 68.3 s (benchmarks/README.md, section 8).
LU_ORDERING = "minimum-degree"


def default_solver() -> DirectSolver:
    """The linear solver a phase-field run uses unless it is given one."""
    return DirectSolver(ordering=LU_ORDERING)


def scaled_parameters(params) -> ScaledParameters:
    """The scaled set the model works with: a ScaledParameters as it is; an SI set
    scaled by l0 = 1 um, t0 = 1 s, sigma0 = 1 S/m and E0 = W (the units of the MOOSE
    set, so both sets give numbers of the same size)."""
    if isinstance(params, ScaledParameters):
        return params
    if isinstance(params, PhaseFieldParameters):
        return nondimensionalise(params, length=1e-6, time=1.0, conductivity=1.0)
    raise ConfigError(f"params must be a PhaseFieldParameters (SI) or ScaledParameters, got "
                      f"{type(params).__name__}.")


@dataclass(frozen=True, eq=False)
class PhaseFieldProblem:
    """What to solve (SI inputs; see the module docstring).

    Parameters
    ----------
    domain : Domain
        2D triangles in metres with named boundaries (e.g. from
        :func:`ntransport.geometry.boxes.box`: ``anode``, ``cathode``, ``sides``).
    params : PhaseFieldParameters or ScaledParameters
    metal_potential : float
        Potential of the Li metal [V] (equipotential: sigma_e = 1e7 S/m drops < 1 uV
        across a micrometre cell), against the electrolyte reference of `potential`;
        0 for a galvanostatic run (then the electrolyte potential is measured against
        the metal).
    potential : mapping boundary -> electrolyte potential [V] (Dirichlet), e.g. 0 at
        the far side of the cell (a Li reference in the bulk).
    current : mapping boundary -> inward ionic current density [A m-2] (Neumann).
    concentration : mapping boundary -> salt concentration [mol m-3] (Dirichlet).
    skeleton : tuple of subdomain names
        Inert skeleton (PE filaments): no Li grows into it and the electrolyte
        transport there is multiplied by `skeleton_factor`.
    skeleton_factor : float in (0, 1]
        1 leaves the skeleton transparent; 1e-4 makes it blocking.
    noise : float
        Amplitude of the Langevin term :math:`A\\zeta h'(\\xi)/\\sqrt{\\Delta t}` (scaled
        time), 0 to switch off; ``seed`` makes it reproducible (also after a resume).
    mechanics : Mechanics or None
    remesh : BoxSpec or None
        Rebuild the box with a taller fine band as the deposit grows (the domain must
        be ``remesh.build(band)`` for some band).
    remesh_margin, remesh_step : float
        Distance [m] of the deposit from the band top that triggers a remesh, and the
        band increment [m] (defaults: 2 and 8 interface widths).
    """

    domain: Domain
    params: PhaseFieldParameters | ScaledParameters
    metal_potential: float = 0.0
    potential: Mapping[str, float] = field(default_factory=dict)
    current: Mapping[str, float] = field(default_factory=dict)
    concentration: Mapping[str, float] = field(default_factory=dict)
    skeleton: tuple = ()
    skeleton_factor: float = 1e-4
    noise: float = 0.0
    seed: int = 0
    mechanics: Mechanics | None = None
    remesh: BoxSpec | None = None
    remesh_margin: float | None = None
    remesh_step: float | None = None

    def __post_init__(self):
        if not isinstance(self.domain, Domain):
            raise ConfigError(f"domain must be an ntransport Domain holding a 2D mesh in metres, "
                              f"got {type(self.domain).__name__}; build one with "
                              "ntransport.geometry.boxes.box(...) (or boxes.column for 1D).")
        if self.domain.dim != 2:
            raise ConfigError(f"the phase-field model needs a 2D mesh, got a {self.domain.dim}D "
                              "domain.")
        object.__setattr__(self, "scaled", scaled_parameters(self.params))
        names = set(self.domain.boundaries)
        for arg in ("potential", "current", "concentration"):
            for name, v in getattr(self, arg).items():
                if name not in names:
                    raise ConfigError(f"{arg}: boundary {name!r} not found in the domain."
                                      f"{suggest(name, names)}")
                if not math.isfinite(float(v)):
                    raise ConfigError(f"{arg}[{name!r}] must be finite, got {v!r}.")
        if not math.isfinite(float(self.metal_potential)):
            raise ConfigError(f"metal_potential must be finite, got {self.metal_potential!r}.")
        both = set(self.potential) & set(self.current)
        if both:
            raise ConfigError(f"boundary {sorted(both)} has both a potential and a current "
                              "condition; give one of them.")
        for name, v in self.concentration.items():
            if float(v) < 0:
                raise ConfigError(f"concentration[{name!r}] must be >= 0 mol m-3, got {v!r}.")
        if isinstance(self.skeleton, str):
            raise ConfigError(f"skeleton must be a tuple of subdomain names, got the string "
                              f"{self.skeleton!r}; write ({self.skeleton!r},).")
        object.__setattr__(self, "skeleton", tuple(self.skeleton))
        for name in self.skeleton:
            if name not in self.domain.region_names:
                raise ConfigError(f"skeleton: subdomain {name!r} not found in the domain."
                                  f"{suggest(name, self.domain.region_names)}")
        if not (0.0 < self.skeleton_factor <= 1.0):
            raise ConfigError(f"skeleton_factor must lie in (0, 1], got "
                              f"{self.skeleton_factor!r} (use 1e-4 for a blocking skeleton).")
        check_positive(self.noise, name="noise", allow_zero=True, exc=ConfigError)
        if self.mechanics is not None:
            if not isinstance(self.mechanics, Mechanics):
                raise ConfigError(f"mechanics must be a Mechanics(...) or None, got "
                                  f"{type(self.mechanics).__name__}.")
            for arg in ("clamped", "rollers"):
                for name in getattr(self.mechanics, arg):
                    if name not in names:
                        raise ConfigError(f"mechanics.{arg}: boundary {name!r} not found in "
                                          f"the domain.{suggest(name, names)}")
            for name in self.mechanics.fixed_regions:
                if name not in self.domain.region_names:
                    raise ConfigError(f"mechanics.fixed_regions: subdomain {name!r} not found."
                                      f"{suggest(name, self.domain.region_names)}")
        if self.remesh is not None and not isinstance(self.remesh, BoxSpec):
            raise ConfigError(f"remesh must be a geometry.boxes.BoxSpec or None, got "
                              f"{type(self.remesh).__name__}.")
        w = interface_width(self.scaled) * self.scaled.length
        if self.remesh_margin is None:
            object.__setattr__(self, "remesh_margin", 2.0 * w)
        if self.remesh_step is None:
            object.__setattr__(self, "remesh_step", 8.0 * w)

    @property
    def interface_width(self) -> float:
        """10--90 % width of the diffuse interface [m]."""
        return interface_width(self.scaled) * self.scaled.length


@dataclass(frozen=True, eq=False)
class PhaseFieldState:
    """One accepted step: the stepper state (scaled time and unknowns), the domain it
    lives on, SI fields and what happened at the boundaries during the step.

    ``boundary_current`` maps each Dirichlet-potential boundary to the current that
    entered the domain through it [A per m depth]; ``li_inflow`` is the Li entering
    through the boundaries [mol m-1 s-1] and ``li_rate`` the rate of change of the Li
    inventory (ions + metal) [mol m-1 s-1] -- equal to round-off (a conservative scheme).
    """

    stepper: StepperState
    domain: Domain
    time_unit: float
    c0: float
    stress: np.ndarray | None = None
    boundary_current: Mapping = field(default_factory=dict)
    li_inflow: float = 0.0
    li_rate: float = 0.0

    @property
    def t(self) -> float:
        return self.stepper.t * self.time_unit

    @property
    def n(self) -> int:
        return self.domain.mesh.nvertices

    @property
    def xi(self) -> np.ndarray:
        return self.stepper.u[:self.n]

    @property
    def c(self) -> np.ndarray:
        """Salt (= Li+) concentration [mol m-3]."""
        return self.stepper.u[self.n:2 * self.n] * self.c0

    @property
    def phi(self) -> np.ndarray:
        return self.stepper.u[2 * self.n:]

    @property
    def event(self):
        return self.stepper.event


# ---------------------------------------------------------------- the run
def _initial_vector(problem, system, xi0, c0, phi0):
    n = system.n
    sp = problem.scaled
    xi = check_initial_field(xi0(system.domain) if callable(xi0) else xi0, n)
    c = np.broadcast_to(np.asarray(sp.c0 if c0 is None else c0, float) / sp.c0, (n,)).copy()
    phi = np.zeros(n) if phi0 is None else np.broadcast_to(np.asarray(phi0, float), (n,)).copy()
    if np.any(c < 0):
        raise ValueError("c0 must be >= 0 mol m-3 everywhere.")
    u = np.concatenate([xi, c, phi])
    u[system.fixed] = system.fixed_values
    return u


def run(problem: PhaseFieldProblem, xi0, *, t_end: float, dt: float, c0=None, phi0=None,
        start: StepperState | None = None, domain: Domain | None = None,
        stop_times=(), stop_height: float | None = None, rtol: float = 0.0,
        atol: float = 0.05, max_dxi: float = 0.5, dt_max: float | None = None,
        dt_min: float | None = None, tol: float = 1e-7, maxiter: int = 25,
        max_steps: int = 100_000, check_resolution: bool = True, progress=None,
        solver=None, elastic_solver=None) -> Iterator[PhaseFieldState]:
    """Integrate from t = 0 (or from `start`) to `t_end` [s], yielding every accepted step.

    Parameters
    ----------
    problem : PhaseFieldProblem
    xi0 : array (nnodes,) or callable ``domain -> array``
        Initial order parameter in [0, 1] (a callable is also the stress-free reference
        of the mechanics on every remeshed box).
    t_end, dt : float
        Final time and first step [s].
    c0, phi0 : float or array
        Initial salt concentration [mol m-3] (default the set's c0) and potential [V];
        Dirichlet values override.
    start, domain : StepperState, Domain
        Resume from a saved state (scaled units, as checkpointed) on its domain.
    stop_times : sequence of float
        Times [s] the integrator lands on exactly (snapshots).
    stop_height : float, optional
        End the run (event) once the xi = 1/2 contour reaches this height [m].
    rtol, atol : float
        Local error tolerance on xi (weighted max-norm of the BDF1 estimate).
    max_dxi : float
        A step changing xi by more than this at any node is rejected and halved.
    tol, maxiter : Newton tolerance (max-norm of the update) and iteration limit.
    solver, elastic_solver : DirectSolver, optional
        Linear solvers of the Newton iteration and of the elasticity; pass the same
        ones to several runs to keep one PARDISO handle each (default: new ones).

    Raises
    ------
    ValueError : `xi0` outside [0, 1] or of the wrong size.
    MeshError : the interface is (or becomes) unresolved.
    ConvergenceError : a step fails below the minimum step size.
    StepLimitError : more than `max_steps` steps.
    """
    sp = problem.scaled
    t0 = sp.time
    check_positive(t_end, name="t_end")
    check_positive(dt, name="dt")
    width = problem.interface_width
    dom = domain if domain is not None else problem.domain
    ctx = _RunContext(problem, dom, xi0, solver, elastic_solver)
    if start is None:
        u0 = _initial_vector(problem, ctx.system, xi0, c0, phi0)
        start = StepperState(t=0.0, u=u0, dt=dt / t0)
    elif start.u.size != 3 * dom.mesh.nvertices:
        raise ConfigError(f"start state has {start.u.size} unknowns but the domain "
                          f"{3 * dom.mesh.nvertices}; pass the domain it was saved on.")
    if check_resolution:
        check_interface_resolution(dom, start.u[:dom.mesh.nvertices], width)
    rng_seed = int(problem.seed)
    ctx.update_stress(start.u)
    ctx.remember_step(start)

    def step_solver(guess, t_new, a0h, hist):
        s = ctx.system
        n = s.n
        u_n = -hist / a0h  # backward Euler: hist = -u_n/h
        shift = None if ctx.stress is None else overpotential_shift(ctx.stress, problem.mechanics)
        noise = None
        if problem.noise > 0:  # keyed by the time: the same numbers after a resume
            key = int(np.float64(t_new).view(np.int64)) & 0x7FFFFFFFFFFFFFFF
            noise = problem.noise * math.sqrt(a0h) * \
                np.random.default_rng([rng_seed, key]).standard_normal(n)

        # the guess: xi and c extrapolated by the controller (differential unknowns), the
        # salt geometrically where it falls (stays > 0); the potential, an algebraic
        # unknown that goes like ln c where the salt is depleted, from the last state
        # (extrapolated linearly in time it overshoots there into the exponential branch
        # of the reaction: measured 5x more Newton iterations on the reduced t+ = 0.22
        # run), moved along the front by the last step's d phi / d xi (potential_guess)
        guess = guess.copy()
        if XI_SECANT is not None and ctx.secant is not None:
            guess[2 * n:] = potential_guess(u_n[2 * n:], u_n[:n], guess[:n], *ctx.secant,
                                            threshold=XI_SECANT, cap=PHI_GUESS_CAP / sp.f)
        else:
            guess[2 * n:] = u_n[2 * n:]
        if s.salt:
            cn = u_n[n:2 * n]
            guess[n:2 * n] = cn + positive_salt_update(cn, guess[n:2 * n] - cn)
        # the damped potential update is not always a descent direction of the line
        # search's merit function: after two failed attempts in a row (the step halved
        # twice) the next attempts use Newton's own direction until a step succeeds
        last = {"damp": PHI_DAMPING is not None and ctx.newton_failures < 2}

        def fun(ur):
            u = s.expand(ur, guess)
            r, J = s.equations(u, a0h * u[:n] + hist[:n], a0h * u[n:2 * n] + hist[n:2 * n],
                               a0h, shift=shift, noise=noise, lazy=True)
            last["J"], last["u"] = J, ur
            return r, J

        def direction(J, b):
            if not last.get("chord"):  # else: the factors of an earlier Jacobian of this step
                last["solve"] = ctx.solver.factor(jacobian_matrix(J))
            du = last["solve"](b)
            last["chord"] = CHORD_BELOW is not None and float(np.abs(du).max()) < CHORD_BELOW
            if s.salt and last.get("J") is J:
                positive_salt_update(last["u"][n:2 * n], du[n:2 * n])
                if last["damp"]:
                    log_damped_potential(du[2 * n:], sp.f, kappa=PHI_DAMPING)
            return du

        def limit(u, du):  # Butler-Volmer is exponential in phi: cap f|d phi| and |d xi|
            mx = np.abs(du[:n]).max()
            mp = sp.f * np.abs(du[-n:]).max()
            return min(1.0, 0.5 / max(mx, 1e-300), PHI_CAP / max(mp, 1e-300))

        try:
            res = newton(fun, guess[s.active], tol=tol, maxiter=maxiter, solver=ctx.solver,
                         step_limit=limit, linear_solve=direction)
        except ConvergenceError:
            ctx.newton_failures += 1
            raise
        ctx.newton_failures = 0
        u = s.expand(res.u, guess)
        xi = u[:n]
        if xi.min() < -0.05 or xi.max() > 1.05:
            raise ConvergenceError(f"xi left [-0.05, 1.05] ([{xi.min():.3g}, {xi.max():.3g}])")
        dxi = float(np.abs(xi - u_n[:n]).max())
        if dxi > max_dxi:
            raise ConvergenceError(f"xi changed by {dxi:.3g} > max_dxi = {max_dxi:g} in one step")
        return u, res.iterations

    def after_step(state):
        ctx.record_boundaries(state)
        ctx.remember_step(state)
        if check_resolution:
            check_interface_resolution(ctx.system.domain, state.u[:ctx.system.n], width)
        ctx.update_stress(state.u)
        return state

    def remesh_due(state):
        return _REMESH if ctx.remesh_band(state.u) is not None else None

    def reached(state):
        s = ctx.system
        y = tip_height(s.domain, state.u[:s.n])
        return (f"the deposit reached y = {y * 1e6:.4g} um >= {stop_height * 1e6:.4g} um"
                if y >= stop_height else None)

    events = [remesh_due] + ([reached] if stop_height is not None else [])
    state, taken = start, 0
    while True:
        new_band = ctx.remesh_band(state.u)
        if new_band is not None:
            state = ctx.remesh(state, new_band)
        n = ctx.system.n
        mask = np.zeros(3 * n, bool)
        mask[:n] = True  # local error of xi only (c and phi follow it)
        steps = bdf_steps(step_solver, state, t_end / t0, order=1, adaptive=True, rtol=rtol,
                          atol=atol, dt_min=None if dt_min is None else dt_min / t0,
                          dt_max=None if dt_max is None else dt_max / t0, weight_mask=mask,
                          max_steps=max_steps - taken,
                          stop_times=[x / t0 for x in stop_times], events=events,
                          after_step=after_step, progress=progress, time_unit=t0)
        state = None
        for state in steps:
            taken += 1
            remesh_next = state.event == _REMESH
            if remesh_next:
                state = replace(state, event=None)
            yield ctx.state(state)
            if state.event is not None:
                return
            if remesh_next:
                break
        else:
            return


_REMESH = "__remesh__"


def potential_guess(phi_n, xi_n, xi_guess, dxi_last, dphi_last, *, threshold: float,
                    cap: float):
    r"""Guess of the potential for the next step: the last potential moved along the front.

    The deposit front carries its profile with it: where it passes a node, that node's
    xi rises towards 1 and its potential swings from the electrolyte's value towards the
    metal's (0.5-0.8 V in one step at xi ~ 0.9 on the full-size t+ = 0.22 run), while
    the old potential is the guess; Newton then walks there in steps capped at
    ``PHI_CAP`` (~40 % of the run's iterations). Read locally as :math:`\phi = P(\xi)`,
    the last accepted step gives the slope :math:`\Delta\phi/\Delta\xi` at each node:

    .. math:: \phi_{guess} = \phi_n + \frac{\Delta\phi_{last}}{\Delta\xi_{last}}
              (\xi_{guess} - \xi_n)

    at nodes where :math:`|\Delta\xi_{last}| >` *threshold* (elsewhere the slope is
    noise over a small denominator, and the potential stays :math:`\phi_n`), the change
    clipped to :math:`\pm` *cap* [V]. Exact for a profile :math:`\phi = a + b\xi`. With
    the controller's guess of xi (linear in time) this is the potential's linear
    extrapolation in time at the front nodes only, bounded: unbounded and everywhere
    it overshoots into the exponential branch of the reaction where the salt is
    depleted (see :func:`run`). A guess only: Newton converges to the same step, but
    fewer failed attempts let the controller take longer steps, so a run's trajectory
    moves within its time-step tolerance.
    """
    out = np.array(phi_n, dtype=float)
    move = np.abs(dxi_last) > threshold
    if move.any():
        slope = dphi_last[move] / dxi_last[move]
        out[move] += np.clip(slope * (xi_guess[move] - xi_n[move]), -cap, cap)
    return out


def positive_salt_update(c, dc):
    r"""Make the Newton update *dc* of the salt concentration keep every iterate positive
    (in place).

    The discrete solution has :math:`c\ge 0` (the anion block is an M-matrix), but the
    linearisation does not know it: where the salt is nearly depleted (:math:`c\sim
    10^{-3}c_0` at the limiting current) a full Newton step overshoots to :math:`c<0`,
    the Scharfetter--Gummel fluxes of a negative concentration drive the next iterate
    further away and the line search fails. At nodes where the step would remove more
    than half of the salt (:math:`\delta c < -c/2`) it is replaced by

    .. math:: \delta c \leftarrow c\,(e^{\delta c/c} - 1),

    the step Newton would take in :math:`\ln c` (same first-order change, same
    solution), which keeps :math:`c > 0`. Measured on the reduced PEO run at t+ = 0.22
    over 0.5 s (applied to the guess and to every update): 61 -> 31 steps, 47 -> 18
    rejected, 485 -> 326 Newton iterations.
    """
    fast = dc < -0.5 * c
    if fast.any():
        cc = np.maximum(c[fast], 1e-300)
        dc[fast] = cc * np.expm1(np.clip(dc[fast] / cc, -700.0, 0.0))
    return dc


def log_damped_potential(dphi, f, *, kappa: float = 4.0):
    r"""Damp the Newton update of the potential node by node (in place): where
    :math:`f|\delta\phi| > \kappa`,

    .. math:: \delta\phi \leftarrow \mathrm{sign}(\delta\phi)\,\frac{\kappa}{f}
              \Big(1 + \ln\frac{f|\delta\phi|}{\kappa}\Big),

    continuous with slope 1 at the threshold; smaller updates are untouched, so the
    quadratic convergence near the solution is kept. This is the potential-update
    limiting of semiconductor device simulation (logarithmic damping of large potential
    updates, in its per-node form). Where the salt is depleted (:math:`c\sim10^{-8}c_0`
    inside the interface at t+ = 0.22) the potential is weakly determined and Newton
    proposes tens of volts at a few nodes; the step limit alone (a cap on
    :math:`f\max|\delta\phi|`) then cut every other unknown's step to ~1e-3 of Newton's
    for ten and more iterations a step. Measured on the full-size PEO run of
    ``dendrite_skeleton.yaml`` (t+ = 0.22): see ``benchmarks/phasefield/``.
    """
    big = np.abs(dphi) * f > kappa
    if big.any():
        x = dphi[big]
        dphi[big] = np.sign(x) * (kappa / f) * (1.0 + np.log(np.abs(x) * f / kappa))
    return dphi


class _RunContext:
    """Mutable state of one run: the current system (rebuilt on a remesh), the linear
    solver, the mechanics and the boundary bookkeeping of the last step."""

    def __init__(self, problem, domain, xi0, solver, elastic_solver=None):
        self.problem = problem
        self.system = PhaseFieldSystem(problem, domain)
        self.solver = solver if solver is not None else default_solver()
        self.elastic_solver = elastic_solver
        self.xi0 = xi0
        self.stress = None
        self.newton_failures = 0  # consecutive failed Newton attempts (see step_solver)
        self.secant = None  # (d xi, d phi) of the last accepted step (potential_guess)
        self.diag = ({}, 0.0, 0.0)
        self.elastic = None
        self._ref = None
        if problem.mechanics is not None:
            self._new_elastic(domain)
            if not callable(xi0):
                self._ref = check_initial_field(xi0, domain.mesh.nvertices)

    def _new_elastic(self, domain):
        from .phasefield_mechanics import ElasticitySolver

        if self.elastic_solver is None:
            self.elastic_solver = DirectSolver()
        self.elastic = ElasticitySolver(domain, self.problem.mechanics,
                                        length=self.problem.scaled.length,
                                        solver=self.elastic_solver)

    def remember_step(self, state):
        """Keep the last accepted step's changes of xi and phi for the next guess (none
        without a previous state on this mesh: the first step, or a remesh that does not
        map it)."""
        n = self.system.n
        if state.u_prev is None or state.u_prev.size != state.u.size or state.u.size != 3 * n:
            self.secant = None
            return
        d = state.u - state.u_prev
        self.secant = (d[:n], d[2 * n:])

    def xi_ref(self, domain):
        return self.xi0(domain) if callable(self.xi0) else self._ref

    def update_stress(self, u):
        if self.elastic is None:
            return
        s = self.system
        self.stress = self.elastic.solve(u[:s.n], xi_ref=self.xi_ref(s.domain)).stress

    def record_boundaries(self, state):
        """Boundary currents and the Li balance of the step just taken (BE rates)."""
        s, sp = self.system, self.problem.scaled
        n = s.n
        h = state.t - state.t_prev
        rate = (state.u - state.u_prev) / h
        r = s.equations(state.u, rate[:n], rate[n:2 * n], 1.0 / h, raw=True)
        cur = {name: float(r[2 * n + nodes].sum()) * sp.conductivity
               for name, nodes in s.phi_nodes.items()}
        inflow = (float(r[2 * n:].sum()) + float(s.neumann.sum())) / sp.gamma_c
        if s.c_fixed.size:
            inflow += float(r[n + s.c_fixed].sum())
        li_rate = float(s.lumped @ (rate[n:2 * n] + sp.cs_c0 * rate[:n]))
        scale = sp.c0 * sp.length ** 2 / sp.time  # scaled Li rate -> mol m-1 s-1
        self.diag = (cur, inflow * scale, li_rate * scale)

    def remesh_band(self, u):
        """The new band top [m] if the deposit comes within the margin of the band top."""
        pr = self.problem
        if pr.remesh is None:
            return None
        s = self.system
        band = float(s.domain.info.get("band", pr.remesh.height))
        if band >= pr.remesh.height * (1 - 1e-12):
            return None
        top = s.domain.mesh.p[1, u[:s.n] > XI_TAIL]
        reach = float(top.max()) if top.size else 0.0
        if reach <= band - pr.remesh_margin:
            return None
        return min(pr.remesh.height, reach + pr.remesh_margin + pr.remesh_step)

    def remesh(self, state, band):
        pr, s = self.problem, self.system
        new_dom = pr.remesh.build(band)
        new_sys = PhaseFieldSystem(pr, new_dom)

        def mapped(u):
            out = transfer_nodal(s.domain, new_dom, u, 3)
            out[new_sys.fixed] = new_sys.fixed_values
            return out

        u_new = mapped(state.u)
        log.info("t = %.4g s: the deposit nears the band top; band %.3g -> %.3g um (%d nodes)",
                 state.t * pr.scaled.time, s.domain.info.get("band", 0.0) * 1e6, band * 1e6,
                 new_dom.mesh.nvertices)
        if self.elastic is not None:
            if self._ref is not None:
                self._ref = transfer_nodal(s.domain, new_dom, self._ref, 1)
            self._new_elastic(new_dom)
        self.system = new_sys
        # the last state is mapped too: the controller keeps its predictor (the guess of
        # xi, c and, through the secant, phi) and its error estimate across the remesh
        # (backward Euler itself needs only u); without it the first step on the new mesh
        # started from the unextrapolated state at the grown step size and failed 2-4
        # times (step / 4-16, then regrown)
        if (REMESH_KEEPS_HISTORY and state.u_prev is not None
                and state.u_prev.size == state.u.size):
            new_state = replace(state, u=u_new, u_prev=mapped(state.u_prev), t_prev2=None,
                                u_prev2=None)
        else:
            new_state = restarted(state, u_new)
        self.remember_step(new_state)
        self.update_stress(new_state.u)
        return new_state

    def state(self, stepper):
        cur, inflow, rate = self.diag
        sp = self.problem.scaled
        return PhaseFieldState(stepper, self.system.domain, sp.time, sp.c0, self.stress, cur,
                               inflow, rate)


simulate = run


from .phasefield_solution import HISTORY_KEYS, solve  # noqa: E402  (uses the names above)
