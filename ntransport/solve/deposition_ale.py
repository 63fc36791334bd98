r"""The moving mesh of a deposition run on the NPP core: geometry step, ALE system.

One explicit geometry step from :math:`t^n` to :math:`t^{n+1} = t^n + \Delta t`:

1. the anode nodes move along the normals of the curve through them
   (:func:`~ntransport.solve.mesh_motion.curve_displacement`) with the speeds
   :math:`v_i = -i_iM/(F\rho)` of the Butler--Volmer current of the accepted state at
   :math:`t^n`, plus one common normal shift that makes the swept area equal
   :math:`\Delta t\sum_i a_i v_i` (:math:`a_i` the half lengths of the segments at node
   *i*) to round-off: Faraday's law for the whole surface;
2. the top boundary translates with the mean advance when the front is followed;
3. the interior follows by the stiffened Laplace extension
   (:func:`~ntransport.solve.mesh_motion.harmonic_extension`); walls slide vertically.

The NPP system is then discretised on :math:`x^{n+1}` (same topology, so the sparsity
pattern and PARDISO's analysis are reused) with the lumped ALE term of the mesh velocity
:math:`w = (x^{n+1}-x^n)/\Delta t` (:func:`ntransport.physics.ale.mesh_velocity_terms`).
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..constants import F
from ..errors import ConvergenceError
from ..physics.ale import mesh_velocity_terms
from ..physics.edges import boundary_node_measure, edge_geometry
from ..physics.electrode import Flux
from .linear import DirectSolver
from .mesh_motion import curve_displacement, harmonic_extension, triangle_areas
from .newton import newton
from .npp_discretise import discretise
from .npp_system import identity_rows

__all__ = ["GeometryStep", "boundary_nodes", "moved_domain", "segment_halves",
           "ale_system", "anode_current", "geometry_step", "consistent_potential"]


def boundary_nodes(domain, name):
    """Sorted node indices of the named boundary."""
    return np.unique(domain.mesh.facets[:, domain.facets(name)])


def moved_domain(domain, p):
    """*domain* with its nodes at *p* (same elements, names and facet numbering)."""
    old = domain.mesh
    mesh = dataclasses.replace(old, doflocs=np.asarray(p, dtype=float))
    for cache in ("_facets", "_t2f", "_f2t", "_edges", "_t2e"):
        if hasattr(old, cache):
            object.__setattr__(mesh, cache, getattr(old, cache))
    return dataclasses.replace(domain, mesh=mesh)


def segment_halves(X):
    """Lumped length :math:`a_i` per chain node (half of each adjacent segment)."""
    L = np.linalg.norm(np.diff(X, axis=0), axis=1)
    out = np.zeros(len(X))
    out[:-1] += 0.5 * L
    out[1:] += 0.5 * L
    return out


def ale_system(npp_problem, scaling, *, mesh_velocity=None, like=None):
    """The NPP system of *npp_problem* on its (moved) domain with the ALE term of
    *mesh_velocity* (2, n) [m/s].

    *like*: a system of the same problem on the same topology (the previous step's). Its
    topology-only data (edges, reduction maps, Dirichlet maps, sparsity caches) are
    reused and only what depends on the node positions is recomputed
    (:func:`_moved_system`, checked against :func:`~ntransport.solve.npp.discretise`
    in the tests); without it the problem is discretised from scratch.
    """
    t_new = npp_problem.domain.mesh.t
    same = (like is not None and like.n == npp_problem.domain.mesh.p.shape[1]
            and like.problem.domain.mesh.t.shape == t_new.shape
            and np.array_equal(like.problem.domain.mesh.t, t_new))
    system = (_moved_system(like, npp_problem) if same and _movable(npp_problem)
              else discretise(npp_problem, scaling=scaling))
    if mesh_velocity is not None:
        w = np.asarray(mesh_velocity, dtype=float) * scaling.time / scaling.length
        g = system.geom
        system.ale = mesh_velocity_terms(g.t, g.grads, g.volumes, w)
    if same and (like.ale is None) == (system.ale is None):
        system._pattern = like._pattern
    return system


def _movable(problem):
    """Problems whose moved system :func:`_moved_system` rebuilds (no volume sources, no
    prescribed boundary fluxes: what the deposition model uses)."""
    return (not problem.sources and problem.charge_source is None
            and not any(isinstance(bc, Flux) for bc in problem.boundary_conditions))


def _moved_system(system, problem):
    """A copy of *system* for *problem* on the same elements at new node positions: the
    edge weights, lumped masses, fixed charge and electrode measures recomputed exactly
    as :func:`~ntransport.solve.npp.discretise` computes them."""
    sc = system.scaling
    d = problem.domain
    ps = d.mesh.p / sc.length
    geom = edge_geometry(ps, d.mesh.t)
    region = np.asarray(d.region)
    names = d.region_names
    new = copy.copy(system)
    new._pattern = None
    new.ale = None
    new.problem = problem
    new.geom, new.m = geom, geom.lumped
    # the barycentric dual that geom.lumped is made of (the ALE term is GCL-exact with it);
    # to_state lumps the immobile species with system.dual, which must be the new one
    new.dual = np.broadcast_to(geom.volumes / geom.t.shape[0], geom.t.shape).copy()
    new.dual_kind = "barycentric"
    new.W = [geom.edge_coefficient(s.region_array("D", names)[region] / sc.diffusivity)
             for s in problem.mobile]
    if system.Lam is not None:
        eps = problem.permittivity
        eps = np.array([float(eps[r]) for r in names]) if isinstance(eps, Mapping) else \
            np.full(len(names), float(eps))
        new.Lam = geom.edge_coefficient(sc.lambda2(eps)[region])
    qfix = np.zeros(system.n)
    for s in problem.immobile:
        qfix += s.z * geom.lumped_by_element(s.region_array("c0", names)[region]) / sc.concentration
    new.qfix, new.qfix_nodal = qfix, qfix / geom.lumped
    galv = problem.galvanostatic
    els = []
    for el in system.electrodes:
        f = d.mesh.facets[:, d.boundaries[el["bc"].boundary]]
        meas = boundary_node_measure(ps, f, system.n)[el["nodes"]]
        els.append(dict(el, measure=meas, area=meas.sum(),
                        target=galv.at if el["g"] is not None else None))
    new.electrodes = els
    return new


def anode_current(problem, conc, phi, phi_s, chain):
    """Butler--Volmer current density at the anode chain nodes [A/m²] (anodic > 0)."""
    c = conc[problem.reacting][chain]
    return np.asarray(problem.kinetics_at(phi_s - phi[chain], c / problem.c_ref).i)


@dataclass(frozen=True)
class GeometryStep:
    """A trial geometry step: new node positions, mesh velocity, bookkeeping."""

    dt: float
    p: np.ndarray
    velocity: np.ndarray  # (2, n) [m/s]
    y_top: float
    area_fix: float  # |area| added by the Faraday shift [m²]


def geometry_step(domain, chain, top, walls, speeds, dt, *, y_top, dy_top, solvers=None,
                  redistribute=0.0):
    """Move the mesh by one step of length *dt* [s] (module docstring).

    *speeds* are the normal speeds of the anode nodes [m/s] (growth > 0). Raises
    :class:`ConvergenceError` if an element would invert (the stepper then halves dt).
    """
    p = domain.mesh.p
    X = p[:, chain].T
    disp, fix = curve_displacement(X, speeds, dt, redistribute=redistribute)
    fixed_x = np.concatenate([chain, top, walls])
    vals_x = np.concatenate([disp[:, 0], np.zeros(top.size + walls.size)])
    fixed_y = np.concatenate([chain, top])
    vals_y = np.concatenate([disp[:, 1], np.full(top.size, dy_top)])
    # corner nodes are on the anode and a wall: the anode values win (listed first)
    fx, ix = np.unique(fixed_x, return_index=True)
    fy, iy = np.unique(fixed_y, return_index=True)
    u = harmonic_extension(p, domain.mesh.t, fixed_x=fx, values_x=vals_x[ix], fixed_y=fy,
                           values_y=vals_y[iy], solvers=solvers)
    p_new = p + u
    a_old, a_new = triangle_areas(p, domain.mesh.t), triangle_areas(p_new, domain.mesh.t)
    if np.any(a_old * a_new <= 0):  # orientations are mixed: compare signs
        raise ConvergenceError(f"a mesh element would invert in a geometry step of "
                               f"{dt:.3g} s (the deposit moves too far for the mesh).")
    return GeometryStep(dt, p_new, u / dt, y_top + dy_top, abs(fix))


def consistent_potential(system, u, t_si, *, solver=None, tol=1e-7, maxiter=40):
    """Solve the potential unknowns (and the galvanostatic electrode potential) of the
    quasi-static charge balance with every concentration held at its value in *u*:
    the state a moving-boundary step needs at t = 0 and after a remesh.

    The system is linear in φ up to the Butler--Volmer exponentials: one or two Newton
    iterations reach a round-off residual. *tol* acts on the scaled update (units of
    RT/F); 1e-7 V_T = 3e-9 V sits above the round-off noise that the condition number of
    this algebraic system (~(L/h)² and the global electrode unknown) puts on the update on
    fine meshes (measured 1e-9 with a residual of 1e-15)."""
    nc = system.M_unknown * system.n
    fixed = np.zeros(system.nu, bool)
    fixed[:nc] = True
    fixed_rows = np.nonzero(fixed)[0]
    zero = np.zeros(system.nu)
    u = np.asarray(u, dtype=float).copy()
    u[system.dir_idx] = system.dir_val

    def fun(v):
        R, J = system.residual_jacobian(v, t_si, 0.0, zero)
        R[fixed] = v[fixed] - u[fixed]
        return R, identity_rows(J, fixed_rows)

    res = newton(fun, u, tol=tol, maxiter=maxiter, solver=solver or DirectSolver())
    return res.u


def normal_speeds(problem, i_anode):
    """Normal speeds of the anode nodes :math:`v_i = -i_i M/(F\\rho)` [m/s] (growth > 0)."""
    return -np.asarray(i_anode) * problem.molar_volume / F
