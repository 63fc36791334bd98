"""Discretisation of an :class:`NPPProblem`: edge weights, masses, boundary data, maps.

Also the Debye-length resolution check of the Poisson model and the initial unknowns.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from ..constants import F
from ..errors import ConfigError, check_positive, unknown_name
from ..physics.edges import boundary_node_measure, edge_geometry
from ..physics.electrode import Electrode, FixedConcentration, FixedPotential, Flux
from ..physics.electroneutral import reduction_maps
from ..physics.scaling import Scaling, debye_length
from .npp_problem import NPPProblem
from .npp_system import NPPSystem

__all__ = ["discretise", "initial_unknowns", "check_debye_resolution"]


def _region_values(value, names, what):
    if isinstance(value, Mapping):
        missing = [r for r in names if r not in value]
        if missing:
            raise ConfigError(f"{what} has no value for subdomain(s) {missing}.")
        return np.array([float(value[r]) for r in names])
    return np.full(len(names), float(value))


def check_debye_resolution(problem, p_si, geom_si, scaling, boundary_nodes):
    r"""Raise if the Debye length is not resolved next to charged boundaries (Poisson).

    :math:`\lambda_D=\sqrt{\varepsilon_0\varepsilon_r RT/(2F^2 I)}` with the largest initial
    ionic strength I; every mesh edge leaving a Dirichlet/electrode boundary must be shorter
    than :math:`\lambda_D/r` (r = ``debye_resolution``).
    """
    d = problem.domain
    names = d.region_names
    eps = _region_values(problem.permittivity, names, "permittivity")
    I = np.zeros(len(names))
    for s in problem.species:
        I += 0.5 * s.z**2 * s.region_array("c0", names)
    lam = min(debye_length(e, i, problem.temperature) for e, i in zip(eps, I) if i > 0)
    ei, ej = geom_si.edges
    touch = np.isin(ei, boundary_nodes) ^ np.isin(ej, boundary_nodes)  # edges leaving the boundary
    if not np.any(touch):
        return lam
    h = np.linalg.norm(p_si[:, ei[touch]] - p_si[:, ej[touch]], axis=0).max()
    if h > lam / problem.debye_resolution:
        raise ConfigError(
            f"Poisson model: the Debye length {lam:.3g} m is not resolved by the mesh (edges "
            f"up to {h:.3g} m at charged boundaries; need <= {lam / problem.debye_resolution:.3g} m, "
            f"i.e. {h * problem.debye_resolution / lam:.0f}x finer). Use electrostatics="
            "'electroneutral' (valid when the Debye length << the cell), or grade the mesh "
            "towards the electrodes: build the domain with boundary_layer=ntransport.physics."
            "debye.debye_boundary_layer(species, permittivity) in layered_stack or "
            "particle_composite, or ntransport.studies.npp_mesh.strip(..., h0=debye_length/4).")
    return lam


def discretise(problem: NPPProblem, *, scaling: Scaling | None = None) -> NPPSystem:
    """Precompute edge weights, masses, boundary data; return the residual/Jacobian system."""
    d = problem.domain
    names = d.region_names
    mesh = d.mesh
    mobile, immobile = problem.mobile, problem.immobile
    if not mobile:
        raise ConfigError("no mobile species: at least one species needs D > 0 somewhere.")
    L = float(np.max(np.ptp(mesh.p, axis=1)))
    cref = max(max(s.region_array("c0", names).max() for s in problem.species), 1e-300)
    Dref = max(s.region_array("D", names).max() for s in mobile)
    scaling = scaling or Scaling(L, cref if cref > 0 else 1.0, Dref, problem.temperature)
    ps = mesh.p / scaling.length
    geom = edge_geometry(ps, mesh.t)
    n = ps.shape[1]
    region = np.asarray(d.region)
    W = [geom.edge_coefficient(s.region_array("D", names)[region] / scaling.diffusivity)
         for s in mobile]
    z = [s.z for s in mobile]
    qfix = np.zeros(n)
    for s in immobile:
        qfix += s.z * geom.lumped_by_element(s.region_array("c0", names)[region]) / scaling.concentration
    electroneutral = problem.electrostatics == "electroneutral"
    Lam = None
    if not electroneutral:
        eps = _region_values(problem.permittivity, names, "permittivity")
        for r, e in zip(names, eps):
            check_positive(e, name=f"permittivity[{r!r}]", exc=ConfigError)
        Lam = geom.edge_coefficient(scaling.lambda2(eps)[region])
    M = len(mobile)
    mob_names = [s.name for s in mobile]
    # boundaries
    def bnodes(name):
        f = mesh.facets[:, d.boundaries[name]]
        return f, np.unique(f)

    flux_in = [np.zeros(n) for _ in range(M)]
    dirichlet = {}  # block -> (nodes, values scaled)
    charged_nodes = []
    electrodes = []
    galv = problem.galvanostatic
    ng = 0
    for bc in problem.boundary_conditions:
        f, nodes = bnodes(bc.boundary)
        if isinstance(bc, Flux):
            if bc.species not in mob_names:
                raise ConfigError(f"Flux on immobilised species {bc.species!r} is not allowed.")
            k = mob_names.index(bc.species)
            flux_in[k] += boundary_node_measure(ps, f, n) * bc.value / scaling.flux
        elif isinstance(bc, FixedConcentration):
            if bc.species not in mob_names:
                raise ConfigError(f"FixedConcentration on immobilised species {bc.species!r}.")
            dirichlet.setdefault(mob_names.index(bc.species), []).append(
                (nodes, bc.value / scaling.concentration))
        elif isinstance(bc, FixedPotential):
            dirichlet.setdefault("phi", []).append((nodes, bc.value / scaling.thermal_voltage))
            charged_nodes.append(nodes)
        elif isinstance(bc, Electrode):
            if bc.species not in mob_names:
                raise unknown_name("Electrode: reacting species", bc.species, mob_names, exc=ConfigError)
            k = mob_names.index(bc.species)
            meas = boundary_node_measure(ps, f, n)[nodes]
            cr = bc.c_ref if bc.c_ref is not None else mobile[k].region_array("c0", names).max()
            check_positive(cr, name=f"Electrode({bc.boundary!r}).c_ref", exc=ConfigError)
            is_g = galv is not None and galv.electrode == bc.boundary
            electrodes.append(dict(bc=bc, nodes=nodes, measure=meas, k=k, area=meas.sum(),
                                   c_ratio_scale=cr / scaling.concentration,
                                   g=(ng if is_g else None),
                                   target=(galv.at if is_g else None)))
            ng += int(is_g)
            charged_nodes.append(nodes)
    has_phi_ref = "phi" in dirichlet or any(el["g"] is None for el in electrodes)
    if not has_phi_ref or (not electroneutral and "phi" not in dirichlet):
        raise ConfigError(
            "the potential has no reference: add a FixedPotential boundary"
            + ("" if not electroneutral else " or a potentiostatic Electrode") +
            (" (the Poisson model needs a FixedPotential boundary)" if not electroneutral else "")
            + ".")
    if not electroneutral and charged_nodes:
        check_debye_resolution(problem, mesh.p, edge_geometry(mesh.p, mesh.t), scaling,
                               np.unique(np.concatenate(charged_nodes)))
    # elimination
    e = None
    Pr = Pc = None
    M_unknown = M
    if electroneutral:
        if problem.eliminate is not None:
            if problem.eliminate not in mob_names:
                raise unknown_name("eliminate: species", problem.eliminate, mob_names, exc=ConfigError)
            e = mob_names.index(problem.eliminate)
        else:
            e = M - 1
        if z[e] == 0:
            raise ConfigError(f"cannot eliminate neutral species {mob_names[e]!r}.")
        if e in dirichlet:
            raise ConfigError(f"FixedConcentration on the eliminated species {mob_names[e]!r}: "
                              "choose another species with eliminate=.")
        Pr, Pc = reduction_maps(z, e, n, ng)
        M_unknown = M - 1
    # Dirichlet in reduced numbering
    def red_block(k):
        if k == "phi":
            return M_unknown
        return k if (e is None or k < e) else k - 1
    nu = (M_unknown + 1) * n + ng
    idx, val = [], []
    for k, lst in dirichlet.items():
        b = red_block(k)
        for nodes, v in lst:
            idx.append(b * n + nodes)
            val.append(np.full(nodes.size, v))
    dir_idx = np.concatenate(idx) if idx else np.zeros(0, int)
    dir_val = np.concatenate(val) if val else np.zeros(0)
    dir_idx, first = np.unique(dir_idx, return_index=True)
    dir_val = dir_val[first]
    keep = np.ones(nu)
    keep[dir_idx] = 0.0
    eye = np.zeros(nu)
    eye[dir_idx] = 1.0
    x_si = mesh.p
    sources = []
    for s in mobile:
        fn = problem.sources.get(s.name)
        sources.append(None if fn is None else
                       (lambda t, fn=fn: np.asarray(fn(x_si, t), float) * scaling.time / scaling.concentration))
    charge_source = None
    if problem.charge_source is not None:
        cs = problem.charge_source
        charge_source = lambda t: np.asarray(cs(x_si, t), float) / (F * scaling.concentration)
    diff_mask = np.zeros(nu, bool)
    diff_mask[:M_unknown * n] = True
    return NPPSystem(problem=problem, scaling=scaling, geom=geom, n=n, M=M, M_unknown=M_unknown,
                     z=z, W=W, Lam=Lam, m=geom.lumped, edges=geom.edges, qfix=qfix,
                     qfix_nodal=qfix / geom.lumped, electroneutral=electroneutral, e=e, Pr=Pr,
                     Pc=Pc, ng=ng, flux_in=flux_in, electrodes=electrodes, dir_idx=dir_idx,
                     dir_val=dir_val, dir_keep=sp.diags(keep), dir_eye=sp.diags(eye),
                     sources=sources, charge_source=charge_source, VT=scaling.thermal_voltage,
                     I_scale=scaling.current, T=problem.temperature, nu=nu, diff_mask=diff_mask,
                     mobile_names=mob_names)


def initial_unknowns(system: NPPSystem) -> np.ndarray:
    """Initial vector: c0 per subdomain (lumped nodal averages), phi = Dirichlet values or 0."""
    prob, sc, g = system.problem, system.scaling, system.geom
    names = prob.domain.region_names
    region = np.asarray(prob.domain.region)
    cs = [g.lumped_by_element(s.region_array("c0", names)[region]) / g.lumped / sc.concentration
          for s in prob.mobile]
    if system.electroneutral:
        charge = sum(zk * ck for zk, ck in zip(system.z, cs)) + system.qfix_nodal
        if np.max(np.abs(charge)) > 1e-9 * max(1.0, max(np.max(np.abs(c)) for c in cs)):
            raise ConfigError(
                "electroneutral model: the initial concentrations are not electroneutral "
                f"(max |sum z c| = {np.max(np.abs(charge)) * sc.concentration:.3g} mol m-3); "
                "make sum_k z_k c0_k = 0 in every subdomain (immobilised species included).")
        cs = [c for k, c in enumerate(cs) if k != system.e]
    u = np.concatenate(cs + [np.zeros(system.n), np.zeros(system.ng)])
    u[system.dir_idx] = system.dir_val
    for el in system.electrodes:
        if el["g"] is not None:
            u[(system.M_unknown + 1) * system.n + el["g"]] = _invert_kinetics(system, el, u)
    return u


def _invert_kinetics(system, el, u):
    """Initial guess of a galvanostatic electrode potential (scaled): bisection of the mean
    kinetic current for the target current at the initial concentrations."""
    from ..physics.electrode import electrode_current
    c, phi, _ = system.split(u)
    target = el["target"](0.0) or el["target"](1e300)
    lo, hi = -60.0, 60.0  # in V_T
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        kin = electrode_current(el["bc"], mid * system.VT, phi[el["nodes"]] * system.VT,
                                c[el["k"]][el["nodes"]], el["c_ratio_scale"], system.T)
        if np.sum(el["measure"] * kin.i) / el["area"] > target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


