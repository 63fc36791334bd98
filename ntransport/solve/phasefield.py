r"""Time integration of the phase-field model: coupled Newton per step, adaptive steps.

:func:`simulate` is a generator yielding :class:`PhaseFieldState` after every accepted
backward-Euler step of the fully coupled :math:`(\xi, c, \phi)` system (monolithic
Newton with the exact Jacobian of :mod:`ntransport.physics.phasefield_forms`).

Step control: a step is rejected (and retried with half the step) when Newton does not
converge in `max_iter` iterations, when :math:`\xi` leaves :math:`[-0.05, 1.05]`, or when
:math:`\max|\Delta\xi|` exceeds twice `target_dxi`; after an accepted step
:math:`\Delta t \leftarrow \Delta t\,\min(2, \max(0.5, 0.9\,\text{target}/\max|\Delta\xi|))`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla
import skfem

from ..errors import ConfigError, ConvergenceError, MeshError, check_positive, suggest
from ..physics.phasefield_forms import (jacobian, lumped_masses, point_state, residual,
                                        source)
from ..physics.phasefield_mechanics import (Mechanics, elasticity_basis, overpotential_shift,
                                           solve_elasticity)
from ..physics.phasefield_params import ScaledParameters, interface_width

__all__ = ["PhaseFieldProblem", "PhaseFieldState", "simulate", "check_initial_field",
           "check_interface_resolution", "element_size"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class PhaseFieldProblem:
    """What to solve: mesh (scaled lengths), parameters and boundary conditions.

    Parameters
    ----------
    mesh : skfem.Mesh
        MeshLine1 or MeshTri1 in scaled length units with named ``mesh.boundaries``.
    params : ScaledParameters
    potential : mapping of boundary name to Dirichlet :math:`\\phi` [V].
    current : mapping of boundary name to inward current density (scaled units
        :math:`\\sigma_0\\cdot V/l_0`), a Neumann condition on :math:`\\phi`.
    concentration : mapping of boundary name to Dirichlet :math:`c/c_0`.
    skeleton : bool array (nelements,) or None
        Elements of an inert skeleton (PE filaments): no Li grows into them and
        :math:`D_l`, :math:`\\sigma_l` are multiplied there by `skeleton_factor`.
    skeleton_factor : float in (0, 1]
        1 leaves the skeleton transparent; 1e-4 makes it blocking.
    noise : float
        Amplitude :math:`A` of the Langevin term :math:`A\\zeta h'(\\xi)/\\sqrt{\\Delta t}`
        (nodal standard normal :math:`\\zeta`), 0 to switch off.
    seed : int
        Seed of the noise generator (reproducible runs).
    mechanics : Mechanics or None
        Mechano-electrochemical coupling (default off): before each step the plane-strain
        eigenstrain problem is solved for the current :math:`\\xi` and the overpotential
        in the reaction term is shifted by :math:`-\\Delta V\\sigma_h/nF`
        (:mod:`ntransport.physics.phasefield_mechanics`). Operator splitting: the stress
        is lagged by one step (first-order splitting error O(dt), of the same order as
        backward Euler), and its dependence on xi is left out of the Newton Jacobian.
    """

    mesh: skfem.Mesh
    params: ScaledParameters
    potential: Mapping[str, float] = field(default_factory=dict)
    current: Mapping[str, float] = field(default_factory=dict)
    concentration: Mapping[str, float] = field(default_factory=dict)
    skeleton: np.ndarray | None = None
    skeleton_factor: float = 1e-4
    noise: float = 0.0
    seed: int = 0
    mechanics: Mechanics | None = None

    def __post_init__(self):
        names = set(self.mesh.boundaries or {})
        for arg in ("potential", "current", "concentration"):
            for name in getattr(self, arg):
                if name not in names:
                    raise ConfigError(f"{arg}: boundary {name!r} not found in the mesh."
                                      f"{suggest(name, names)}")
        both = set(self.potential) & set(self.current)
        if both:
            raise ConfigError(f"boundary {sorted(both)} has both a potential and a current "
                              "condition; give one of them.")
        if self.skeleton is not None and np.shape(self.skeleton) != (self.mesh.nelements,):
            raise ConfigError(f"skeleton must be a bool array of shape "
                              f"({self.mesh.nelements},), got {np.shape(self.skeleton)}.")
        if not (0.0 < self.skeleton_factor <= 1.0):
            raise ConfigError(f"skeleton_factor must lie in (0, 1], got "
                              f"{self.skeleton_factor!r} (use 1e-4 for a blocking skeleton).")
        check_positive(self.noise, name="noise", allow_zero=True, exc=ConfigError)
        if self.mechanics is not None:
            if not isinstance(self.mechanics, Mechanics):
                raise ConfigError(f"mechanics must be a Mechanics(...) or None, got "
                                  f"{type(self.mechanics).__name__}.")
            if self.mesh.dim() != 2:
                raise ConfigError(f"mechanics needs a 2D mesh (plane strain), got a "
                                  f"{self.mesh.dim()}D mesh.")
            for name in self.mechanics.clamped:
                if name not in names:
                    raise ConfigError(f"mechanics.clamped: boundary {name!r} not found in "
                                      f"the mesh.{suggest(name, names)}")


@dataclass(frozen=True, eq=False)
class PhaseFieldState:
    """One accepted step: time, nodal fields, the step used and Newton iterations;
    `stress` the nodal hydrostatic stress [Pa] used in the step (None: mechanics off)."""

    t: float
    xi: np.ndarray
    c: np.ndarray
    phi: np.ndarray
    dt: float
    iterations: int
    stress: np.ndarray | None = None


def element_size(mesh) -> np.ndarray:
    """Longest edge of each element."""
    p = mesh.p[:, mesh.t]  # (dim, nverts, nel)
    nv = p.shape[1]
    h = np.zeros(mesh.nelements)
    for i in range(nv):
        for j in range(i + 1, nv):
            h = np.maximum(h, np.linalg.norm(p[:, i] - p[:, j], axis=0))
    return h


def check_initial_field(xi0, n: int) -> np.ndarray:
    """Return `xi0` as a float array of length `n`, or raise if outside [0, 1]."""
    xi0 = np.asarray(xi0, dtype=float)
    if xi0.shape != (n,):
        raise ValueError(f"xi0 must have one value per mesh node ({n},), got {xi0.shape}.")
    if not np.all(np.isfinite(xi0)):
        raise ValueError("xi0 contains NaN or inf values.")
    lo, hi = float(xi0.min()), float(xi0.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"xi0 must lie in [0, 1] (0 electrolyte, 1 Li metal), got values "
                         f"in [{lo:.6g}, {hi:.6g}]; clip it with np.clip(xi0, 0, 1).")
    return xi0


def check_interface_resolution(mesh, xi, params: ScaledParameters, *,
                               elements_across: int = 4) -> None:
    """Raise MeshError unless elements holding the interface are at most
    ``interface_width(params)/elements_across`` long (10--90 % tanh width)."""
    width = interface_width(params)
    h_req = width / elements_across
    xe = xi[mesh.t]
    at = (xe.max(axis=0) > 0.02) & (xe.min(axis=0) < 0.98)
    if not at.any():
        return
    h = element_size(mesh)[at].max()
    if h > h_req * (1 + 1e-9):
        raise MeshError(
            f"interface unresolved by the mesh: elements holding the interface are up to "
            f"h = {h:.4g} long, but the diffuse interface (10-90 % width "
            f"2 artanh(0.8) sqrt(2 kappa_min/W) = {width:.4g}) needs >= {elements_across} "
            f"elements across: refine there to element size <= {h_req:.4g} (scaled units).")


def _boundary_nodes(mesh, names) -> np.ndarray:
    facets = np.concatenate([np.asarray(mesh.boundaries[n]) for n in names]) \
        if names else np.zeros(0, dtype=int)
    return np.unique(mesh.facets[:, facets].ravel())


def _setup(problem: PhaseFieldProblem):
    mesh = problem.mesh
    elem = skfem.ElementLineP1() if mesh.dim() == 1 else skfem.ElementTriP1()
    basis = skfem.Basis(mesh, elem, intorder=3)
    nqp = basis.X.shape[-1]
    skel = np.zeros(mesh.nelements, bool) if problem.skeleton is None \
        else np.asarray(problem.skeleton, bool)
    mobility = np.repeat((~skel).astype(float)[:, None], nqp, axis=1)
    liquid = np.repeat(np.where(skel, problem.skeleton_factor, 1.0)[:, None], nqp, axis=1)
    n = basis.N
    neumann = np.zeros(n)
    for name, i_in in problem.current.items():
        fb = skfem.FacetBasis(mesh, elem, facets=mesh.boundaries[name])
        neumann += source.assemble(fb, a=float(i_in) * np.ones((fb.nelems, fb.X.shape[-1])))
    dir_c = {k: _boundary_nodes(mesh, [k]) for k in problem.concentration}
    dir_p = {k: _boundary_nodes(mesh, [k]) for k in problem.potential}
    fixed = np.concatenate([n + v for v in dir_c.values()] + [2 * n + v for v in dir_p.values()]
                           + [np.zeros(0, int)]).astype(int)
    lumped = lumped_masses(basis, mobility)
    return basis, mobility, liquid, lumped, neumann, dir_c, dir_p, np.unique(fixed)


def _newton(basis, U_old, U, dt, p, mob, liq, lumped, neumann, free, noise, *, tol,
            max_iter, eta_shift=None):
    """Return (U, iterations) or (None, iterations) if not converged."""
    n = basis.N
    for it in range(1, max_iter + 1):
        s = point_state(basis, U, U_old, dt, mob, liq, lumped)
        R = residual(basis, s, p, noise=noise, neumann=neumann, eta_shift=eta_shift)
        J = jacobian(basis, s, p, dt, noise=noise, eta_shift=eta_shift)
        try:
            du = np.zeros_like(U)
            du[free] = spla.spsolve(J[free][:, free].tocsc(), -R[free])
        except RuntimeError:  # singular factor
            return None, it
        if not np.all(np.isfinite(du)):
            return None, it
        step = max(np.abs(du[:2 * n]).max(), p.f * np.abs(du[2 * n:]).max())
        # damping: the Butler-Volmer term is exponential in phi; cap f|d phi| <= 2 and
        # |d xi| <= 0.5 per iteration (a full Newton step is taken close to the root)
        lam = min(1.0, 2.0 / max(p.f * np.abs(du[2 * n:]).max(), 1e-300),
                  0.5 / max(np.abs(du[:n]).max(), 1e-300))
        U = U + lam * du
        if lam == 1.0 and step < tol:
            return U, it
    return None, max_iter


def simulate(problem: PhaseFieldProblem, xi0, *, c0=1.0, phi0=None, t_end: float,
             dt: float, dt_min: float | None = None, dt_max: float | None = None,
             target_dxi: float = 0.1, tol: float = 1e-9, max_iter: int = 25,
             max_steps: int = 100_000, check_resolution: bool = True
             ) -> Iterator[PhaseFieldState]:
    """Integrate from t = 0 to `t_end`, yielding every accepted step.

    Parameters
    ----------
    problem : PhaseFieldProblem
    xi0 : array (nnodes,)
        Initial order parameter in [0, 1].
    c0, phi0 : float or array
        Initial Li+ concentration (over c0) and potential; Dirichlet values override.
    t_end, dt : float
        Final time and first step (scaled). `dt_min` (default dt*1e-6), `dt_max`
        (default t_end) bound the adaptive step.
    target_dxi : float
        Desired max nodal change of xi per step.
    tol : float
        Newton tolerance on max |d xi|, |d c| and f |d phi|.

    Raises
    ------
    ValueError
        `xi0` outside [0, 1].
    MeshError
        The interface is (or becomes) unresolved: fewer than 4 elements across.
    ConvergenceError
        A step fails at dt < dt_min.
    """
    p, mesh = problem.params, problem.mesh
    check_positive(t_end, name="t_end")
    check_positive(dt, name="dt")
    dt_min = dt * 1e-6 if dt_min is None else dt_min
    dt_max = t_end if dt_max is None else dt_max
    basis, mob, liq, lumped, neumann, dir_c, dir_p, fixed = _setup(problem)
    n = basis.N
    xi = check_initial_field(xi0, n)
    if check_resolution:
        check_interface_resolution(mesh, xi, p)
    c = np.broadcast_to(np.asarray(c0, float), (n,)).copy()
    phi = np.zeros(n) if phi0 is None else np.broadcast_to(np.asarray(phi0, float), (n,)).copy()
    for k, nodes in dir_c.items():
        c[nodes] = problem.concentration[k]
    for k, nodes in dir_p.items():
        phi[nodes] = problem.potential[k]
    free = np.setdiff1d(np.arange(3 * n), fixed)
    rng = np.random.default_rng(problem.seed)
    U = np.concatenate([xi, c, phi])
    t, step = 0.0, 0
    mech, stress, shift = problem.mechanics, None, None
    mech_basis = None if mech is None else elasticity_basis(mesh)  # once, not per step
    while t < t_end * (1 - 1e-12) and step < max_steps:
        if mech is not None and stress is None:  # staggered: stress of the current xi
            stress = solve_elasticity(mesh, U[:n], mech, xi_ref=xi, basis=mech_basis).stress
            shift = overpotential_shift(stress, mech)
        dt = min(dt, t_end - t)
        noise = None
        if problem.noise > 0:
            noise = problem.noise * rng.standard_normal(n) / np.sqrt(dt)
        Unew, its = _newton(basis, U, U.copy(), dt, p, mob, liq, lumped, neumann, free,
                            noise, tol=tol, max_iter=max_iter, eta_shift=shift)
        ok = Unew is not None
        if ok:
            xin = Unew[:n]
            dxi = np.abs(xin - U[:n]).max()
            ok = xin.min() > -0.05 and xin.max() < 1.05 and dxi <= 2 * target_dxi
        if not ok:
            if dt / 2 < dt_min:
                raise ConvergenceError(
                    f"phase-field step at t = {t:.6g} failed (Newton {its} iterations, tol "
                    f"{tol:g}) down to dt = {dt:.3g} < dt_min = {dt_min:.3g}; lower the "
                    f"applied driving force, refine the mesh or lower target_dxi.")
            dt /= 2
            log.debug("step rejected at t=%g, dt -> %g", t, dt)
            continue
        U, t, step = Unew, t + dt, step + 1
        if check_resolution:
            check_interface_resolution(mesh, U[:n], p)
        yield PhaseFieldState(t, U[:n].copy(), U[n:2 * n].copy(), U[2 * n:].copy(), dt, its,
                              stress)
        stress = None
        fac = min(2.0, max(0.5, 0.9 * target_dxi / max(dxi, 1e-300)))
        if its > 10:
            fac = min(fac, 0.7)
        dt = float(np.clip(dt * fac, dt_min, dt_max))
    if t < t_end * (1 - 1e-12):  # h-sec: a reached step cap raises, never ends silently
        from .stepping import StepLimitError

        raise StepLimitError(f"phase-field run reached max_steps = {max_steps} at t = {t:.6g} "
                             f"before t_end = {t_end:.6g} (scaled time); raise max_steps or "
                             "shorten the run.")
