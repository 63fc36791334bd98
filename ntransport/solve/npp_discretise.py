"""Discretisation of an :class:`NPPProblem`: edge weights, masses, boundary data, maps.

Also the Debye-length resolution check of the Poisson model and the initial unknowns.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..constants import F
from ..errors import ConfigError, check_positive, unknown_name
from ..physics.edges import boundary_node_measure, edge_geometry
from ..physics.electrode import Electrode, FixedConcentration, FixedPotential, Flux
from ..physics.electroneutral import reduction_maps
from ..physics.scaling import Scaling, debye_length
from .npp_problem import NPPProblem
from .npp_system import NPPSystem

__all__ = ["discretise", "initial_unknowns", "equilibrium_state", "check_debye_resolution",
           "dual_volumes", "lump"]


def _region_values(value, names, what):
    if isinstance(value, Mapping):
        missing = [r for r in names if r not in value]
        if missing:
            raise ConfigError(f"{what} has no value for subdomain(s) {missing}.")
        return np.array([float(value[r]) for r in names])
    return np.full(len(names), float(value))


def dual_volumes(p, geom):
    r"""``(weights, kind)``: each element's volume split among its vertices, (d+1, nel).

    The lumped mass of node i is :math:`m_i = \sum_T w^T_i`. On 2D meshes without obtuse
    angles the split is the Voronoi (circumcentric) one,
    :math:`w^T_i = (|x_i-x_j|^2\cot\theta_k + |x_i-x_k|^2\cot\theta_j)/8` -- the box method
    that pairs with Scharfetter--Gummel edge fluxes on cotangent weights. On a structured
    rectangle mesh cut by diagonals its dual cells are exactly the rectangles around the
    nodes, so side nodes get half the interior mass and a problem uniform along x is solved
    uniform along x, to round-off (with the barycentric split :math:`|T|/3` they do not:
    the side columns get :math:`(A_{j-1}/2 + A_j)/3` instead of :math:`(A_{j-1}+A_j)/4` on
    graded meshes). Elsewhere (obtuse angles, 3D) the barycentric split :math:`|T|/(d+1)`.
    Both are exact for constants and O(h^2) consistent.
    """
    t, vol = geom.t, geom.volumes
    d1 = t.shape[0]
    bary = np.broadcast_to(vol / d1, t.shape).copy()
    if d1 != 3:
        return bary, "barycentric"
    g = geom.grads  # (nel, 3, 2)
    cot = np.empty((3, vol.size))  # cot of the angle at vertex k
    for k, (i, j) in enumerate(((1, 2), (2, 0), (0, 1))):
        cot[k] = -2.0 * vol * np.einsum("ex,ex->e", g[:, i], g[:, j])
    if np.any(cot < -1e-9):
        return bary, "barycentric"
    X = p[:, t]  # (dim, 3, nel)
    w = np.empty_like(bary)
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        lij = np.sum((X[:, i] - X[:, j]) ** 2, axis=0)
        lik = np.sum((X[:, i] - X[:, k]) ** 2, axis=0)
        w[i] = (lij * cot[k] + lik * cot[j]) / 8.0
    return w, "voronoi"


def lump(t, weights, values_per_element, n):
    r""":math:`\sum_T w^T_i a_T` at each node (a P0 field lumped with the dual volumes)."""
    a = weights * np.asarray(values_per_element)[None, :]
    return np.bincount(t.ravel(), weights=a.ravel(), minlength=n)


def _normal_distances(p, edges_leaving, boundary_nodes, facets):
    """|(p_j - p_i) . n_i| for edges (i on the boundary, j not): the edge length normal to
    the boundary (n_i: mean unit normal of the boundary facets at node i)."""
    i, j = edges_leaving
    dim = p.shape[0]
    X = p[:, facets]  # (dim, k, nf)
    if dim == 2:
        t = X[:, 1] - X[:, 0]
        nrm = np.stack([t[1], -t[0]])
    else:
        nrm = np.cross((X[:, 1] - X[:, 0]).T, (X[:, 2] - X[:, 0]).T).T
    nrm = nrm / np.maximum(np.linalg.norm(nrm, axis=0), 1e-300)
    # orientation is irrelevant for |.|; align facet normals before averaging
    ref = nrm[:, :1]
    nrm = nrm * np.where(np.sum(nrm * ref, axis=0) < 0, -1.0, 1.0)
    nn = np.zeros((dim, p.shape[1]))
    for k in range(facets.shape[0]):
        for a in range(dim):
            np.add.at(nn[a], facets[k], nrm[a])
    norm = np.linalg.norm(nn, axis=0)
    vec = p[:, j] - p[:, i]
    length = np.linalg.norm(vec, axis=0)
    ok = norm[i] > 1e-12
    out = length.copy()
    out[ok] = np.abs(np.sum(vec[:, ok] * nn[:, i[ok]] / norm[i[ok]], axis=0))
    return out


def check_debye_resolution(problem, p_si, geom_si, scaling, boundary_nodes, boundary_facets=None):
    r"""Raise if the Debye length is not resolved next to charged boundaries (Poisson).

    :math:`\lambda_D=\sqrt{\varepsilon_0\varepsilon_r RT/(2F^2 I)}` with the largest initial
    ionic strength I; every mesh edge leaving a Dirichlet/electrode boundary must reach no
    farther from it than :math:`\lambda_D/r` (r = ``debye_resolution``), measured normal to
    the boundary when its facets are given (an edge of a wide cell running to the cell's
    centre node resolves the layer by its normal extent, not by its length). Edges with
    zero stiffness weight (the diagonals of right-angled cells) do not couple the nodes
    and are not counted.
    """
    d = problem.domain
    names = d.region_names
    eps = _region_values(problem.permittivity, names, "permittivity")
    I = np.zeros(len(names))
    for s in problem.species:
        I += 0.5 * s.z**2 * s.region_array("c0", names)
    lam = min(debye_length(e, i, problem.temperature) for e, i in zip(eps, I) if i > 0)
    ei, ej = geom_si.edges
    w = np.abs(geom_si.edge_coefficient(np.ones(geom_si.volumes.size)))
    on = np.zeros(p_si.shape[1], bool)
    on[boundary_nodes] = True
    coupled = w > 1e-9 * w.max()
    touch = (on[ei] ^ on[ej]) & coupled  # edges leaving the boundary
    if not np.any(touch):
        return lam
    a = np.where(on[ei[touch]], ei[touch], ej[touch])
    b = np.where(on[ei[touch]], ej[touch], ei[touch])
    if boundary_facets is not None and np.size(boundary_facets):
        h = _normal_distances(p_si, (a, b), boundary_nodes, boundary_facets).max()
    else:
        h = np.linalg.norm(p_si[:, a] - p_si[:, b], axis=0).max()
    if h > lam / problem.debye_resolution:
        raise ConfigError(
            f"Poisson model: the Debye length {lam:.3g} m is not resolved by the mesh (edges "
            f"up to {h:.3g} m at charged boundaries; need <= {lam / problem.debye_resolution:.3g} m, "
            f"i.e. {h * problem.debye_resolution / lam:.0f}x finer). Use electrostatics="
            "'electroneutral' (valid when the Debye length << the cell), or grade the mesh "
            "towards the electrodes: build the domain with boundary_layer=ntransport.physics."
            "debye.debye_boundary_layer(species, permittivity) in layered_stack or "
            "particle_composite, or ntransport.geometry.structured.strip(..., "
            "debye_length=...) / layered_rectangle(..., h0=debye_length/4).")
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
    dual, dual_kind = dual_volumes(ps, geom)
    mass = lump(geom.t, dual, np.ones(geom.volumes.size), n)
    region = np.asarray(d.region)
    W = [geom.edge_coefficient(s.region_array("D", names)[region] / scaling.diffusivity)
         for s in mobile]
    z = [s.z for s in mobile]
    qfix = np.zeros(n)
    for s in immobile:
        qfix += s.z * lump(geom.t, dual, s.region_array("c0", names)[region], n) / scaling.concentration
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
    charged_nodes, charged_facets = [], []
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
            charged_facets.append(f)
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
            charged_facets.append(f)
    has_phi_ref = "phi" in dirichlet or any(el["g"] is None for el in electrodes)
    if not has_phi_ref or (not electroneutral and "phi" not in dirichlet):
        raise ConfigError(
            "the potential has no reference: add a FixedPotential boundary"
            + ("" if not electroneutral else " or a potentiostatic Electrode") +
            (" (the Poisson model needs a FixedPotential boundary)" if not electroneutral else "")
            + ".")
    if not electroneutral and charged_nodes:
        check_debye_resolution(problem, mesh.p, edge_geometry(mesh.p, mesh.t), scaling,
                               np.unique(np.concatenate(charged_nodes)),
                               np.concatenate(charged_facets, axis=1))
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
                     z=z, W=W, Lam=Lam, m=mass, dual=dual, dual_kind=dual_kind,
                     edges=geom.edges, qfix=qfix, qfix_nodal=qfix / mass, electroneutral=electroneutral, e=e, Pr=Pr,
                     Pc=Pc, ng=ng, flux_in=flux_in, electrodes=electrodes, dir_idx=dir_idx,
                     dir_val=dir_val,
                     sources=sources, charge_source=charge_source, VT=scaling.thermal_voltage,
                     I_scale=scaling.current, T=problem.temperature, nu=nu, diff_mask=diff_mask,
                     mobile_names=mob_names)


def initial_unknowns(system: NPPSystem) -> np.ndarray:
    """Initial vector (scaled): ``problem.initial == "subdomain"``: c0 per subdomain (lumped
    nodal averages), phi = Dirichlet values or 0; ``"equilibrium"``: the Donnan equilibrium
    (:func:`equilibrium_state`)."""
    prob, sc, g = system.problem, system.scaling, system.geom
    names = prob.domain.region_names
    region = np.asarray(prob.domain.region)
    if prob.initial == "equilibrium":
        cs, phi = equilibrium_state(system)
    else:
        cs = [lump(g.t, system.dual, s.region_array("c0", names)[region], system.n) / system.m
              / sc.concentration for s in prob.mobile]
        phi = np.zeros(system.n)
    if system.electroneutral:
        charge = sum(zk * ck for zk, ck in zip(system.z, cs)) + system.qfix_nodal
        if np.max(np.abs(charge)) > 1e-9 * max(1.0, max(np.max(np.abs(c)) for c in cs)):
            raise ConfigError(
                "electroneutral model: the initial concentrations are not electroneutral "
                f"(max |sum z c| = {np.max(np.abs(charge)) * sc.concentration:.3g} mol m-3); "
                "make sum_k z_k c0_k = 0 in every subdomain (immobilised species included).")
        cs = [c for k, c in enumerate(cs) if k != system.e]
    u = np.concatenate(cs + [phi, np.zeros(system.ng)])
    u[system.dir_idx] = system.dir_val
    for el in system.electrodes:
        if el["g"] is not None:
            u[(system.M_unknown + 1) * system.n + el["g"]] = _invert_kinetics(system, el, u)
    return u


def equilibrium_state(system: NPPSystem):
    r"""Zero-current equilibrium of an electroneutral cell (scaled): ``(c_list, phi)``.

    Every mobile species is Boltzmann-distributed, :math:`\hat c_k = A_k e^{-z_k\hat\psi}`,
    with :math:`A_k` its ``c0`` in the reference subdomain (``problem.initial_reference``,
    default the first); at every node :math:`\hat\psi` solves the electroneutrality
    condition with the local (lumped) fixed charge,
    :math:`\sum_k z_k A_k e^{-z_k\hat\psi} + \hat q_i = 0` (monotone in
    :math:`\hat\psi`: bisection to round-off). These are the Donnan potentials of the
    layers. The Scharfetter--Gummel edge flux vanishes exactly for Boltzmann pairs, so the
    discrete state is stationary at zero current. The potential is shifted so that a
    FixedPotential boundary holds its value, else so that the first potentiostatic
    electrode is at equilibrium (:math:`\phi_s-\phi_l-U = V_T\ln(c/c_{ref})`, zero
    Butler--Volmer current).
    """
    prob, sc = system.problem, system.scaling
    names = list(prob.domain.region_names)
    ref = names.index(prob.initial_reference) if prob.initial_reference is not None else 0
    A = np.array([s.region_array("c0", names)[ref] / sc.concentration for s in prob.mobile])
    z = np.array(system.z, float)
    q = system.qfix_nodal
    charged = (z != 0) & (A > 0)
    if not np.any(charged):
        raise ConfigError("initial='equilibrium': no charged mobile species has c0 > 0 in the "
                          f"reference subdomain {names[ref]!r}; choose another "
                          "initial_reference.")

    def g(psi):
        return (z[charged, None] * A[charged, None]
                * np.exp(-z[charged, None] * psi[None, :])).sum(axis=0) + q

    lo, hi = np.full(system.n, -150.0), np.full(system.n, 150.0)
    if np.any(g(lo) < 0) or np.any(g(hi) > 0):
        raise ConfigError("initial='equilibrium': the fixed charge cannot be neutralised by the "
                          "mobile ions of the reference subdomain (no counter-ion of that sign); "
                          "give the counter-ion a c0 > 0 there or use initial='subdomain'.")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        pos = g(mid) > 0  # g decreases with psi
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
        if np.all(hi - lo < 1e-15 * np.maximum(1.0, np.abs(mid))):
            break
    psi = 0.5 * (lo + hi)
    cs = [A[k] * np.exp(-z[k] * psi) for k in range(len(A))]
    offset = 0.0
    phi_idx = system.dir_idx[(system.dir_idx >= system.M_unknown * system.n)
                             & (system.dir_idx < (system.M_unknown + 1) * system.n)]
    if phi_idx.size:
        node = phi_idx[0] - system.M_unknown * system.n
        offset = system.dir_val[np.searchsorted(system.dir_idx, phi_idx[0])] - psi[node]
    else:
        for el in system.electrodes:
            if el["g"] is None:
                node = el["nodes"][0]
                phis = el["bc"].potential_at(0.0) / sc.thermal_voltage
                eta = _zero_current_overpotential(el, cs[el["k"]][node], system.T)
                offset = phis - (el["bc"].U + eta) / sc.thermal_voltage - psi[node]
                break
    return cs, psi + offset


def _zero_current_overpotential(el, c, T):
    """Overpotential [V] at which the electrode's kinetics give zero current at the scaled
    concentration *c* (bisection; V_T ln(c/c_ref) for symmetric Butler--Volmer)."""
    bc = el["bc"]
    lo, hi = -2.0, 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        i = float(bc.kinetics(mid, c / el["c_ratio_scale"], i0=bc.i0, alpha_a=bc.alpha_a,
                              alpha_c=bc.alpha_c, T=T).i)
        lo, hi = (lo, mid) if i > 0 else (mid, hi)
    return 0.5 * (lo + hi)


def _invert_kinetics(system, el, u):
    """Initial guess of a galvanostatic electrode potential (scaled): bisection of the mean
    kinetic current for the target current at the initial concentrations, within 60 RT/F of
    the electrode's equilibrium potential."""
    from ..physics.electrode import electrode_current
    c, phi, _ = system.split(u)
    target = el["target"](0.0) or el["target"](1e300)
    # bracket the solid potential around the equilibrium one: U + mean electrolyte potential
    centre = el["bc"].U / system.VT + float(np.mean(phi[el["nodes"]]))
    lo, hi = centre - 60.0, centre + 60.0  # in V_T
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        kin = electrode_current(el["bc"], mid * system.VT, phi[el["nodes"]] * system.VT,
                                c[el["k"]][el["nodes"]], el["c_ratio_scale"], system.T)
        if np.sum(el["measure"] * kin.i) / el["area"] > target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


