r"""Transport outputs from an :class:`~ntransport.solve.npp.NPPState` (pure functions, SI).

Element-wise (P0) fields from the nodal solution, each physical piece on its own (the flux
is built from named pieces, and every piece is an output):

* :math:`E = -\nabla\phi` [V m-1];
* :math:`N_k` [mol m-2 s-1], the scheme's own flux: the Scharfetter--Gummel edge fluxes
  :math:`F^T_{ij} = D_T w^T_{ij}[B(\delta)c_i - B(-\delta)c_j]` of each element turned into
  a vector, :math:`N_T = \frac{1}{|T|}\sum_{i<j} F^T_{ij}(x_j - x_i)` -- exact for linear c
  without field (it is :math:`-D\nabla c`), exact for 1D profiles on structured meshes, and
  zero in a Boltzmann (Donnan) equilibrium, where the pieces below are large and cancel;
* :math:`N_k^{diffusion} = -D_k\nabla c_k` and :math:`N_k^{migration} = N_k - N_k^{diffusion}`
  (the migration flux :math:`-D_k z_k c_k \tfrac{F}{RT}\nabla\phi` with the concentration
  weighted as the scheme weights it), so the pieces add up to :math:`N_k` exactly;
* :math:`i = F\sum_k z_k N_k` [A m-2];
* nodal space charge :math:`\rho = F\sum_k z_k c_k` [C m-3] (immobilised species included).

Keys: ``"c_Li+ [mol m-3]"``, ``"phi [V]"``, ``"N_Li+ diffusion [mol m-2 s-1]"``,
``"N_Li+ migration [mol m-2 s-1]"``, ``"N_Li+ [mol m-2 s-1]"``, ``"i [A m-2]"``,
``"E [V m-1]"``, ``"rho [C m-3]"``. Vectors are (nelements, dim).
"""
from __future__ import annotations

import numpy as np

from ..constants import F, R
from ..physics.edges import edge_geometry
from ..physics.nernst_planck import bernoulli, diffusion_flux

__all__ = ["transport_fields", "sg_element_flux", "line_profile", "point_fields", "cell_fields"]


def _grad(geom, u):
    return np.einsum("ekx,ke->ex", geom.grads, u[geom.t])


def sg_element_flux(geom, p, D_elem, z, c, phi_hat):
    r"""Element flux vectors (nel, dim) from the Scharfetter--Gummel edge fluxes:
    :math:`N_T = \frac{1}{|T|}\sum_{i<j} D_T w^T_{ij}[B(\delta)c_i - B(-\delta)c_j](x_j-x_i)`,
    :math:`\delta = z(\hat\phi_j-\hat\phi_i)` (SI coordinates *p*, ``phi_hat = F phi/RT``)."""
    from itertools import combinations

    t = geom.t
    dim = p.shape[0]
    out = np.zeros((t.shape[1], dim))
    for k, (a, b) in enumerate(combinations(range(t.shape[0]), 2)):
        i, j = t[a], t[b]
        d = z * (phi_hat[j] - phi_hat[i])
        flux = D_elem * geom.elem_weight[k] * (bernoulli(d) * c[i] - bernoulli(-d) * c[j])
        out += (flux / geom.volumes)[:, None] * (p[:, j] - p[:, i]).T
    return out


def transport_fields(problem, state, *, geom=None) -> dict:
    """Dictionary of named outputs with units in the keys (nodal and element arrays).

    ``geom`` (:func:`ntransport.physics.edges.edge_geometry` of the mesh, SI) may be passed
    to avoid rebuilding it for every state.
    """
    d = problem.domain
    geom = geom if geom is not None else edge_geometry(d.mesh.p, d.mesh.t)
    region = np.asarray(d.region)
    gphi = _grad(geom, state.potential)
    phi_hat = np.asarray(state.potential) * F / (R * problem.temperature)
    out = {"phi [V]": np.asarray(state.potential), "E [V m-1]": -gphi}
    rho = np.zeros_like(state.potential)
    i = np.zeros_like(gphi)
    for s in problem.species:
        c = state.concentrations[s.name]
        out[f"c_{s.name} [mol m-3]"] = c
        rho = rho + F * s.z * c
        if s.immobile:
            continue
        D = s.region_array("D", d.region_names)[region]
        nd = diffusion_flux(D, _grad(geom, c))
        n = sg_element_flux(geom, d.mesh.p, D, s.z, c, phi_hat)
        out[f"N_{s.name} diffusion [mol m-2 s-1]"] = nd
        out[f"N_{s.name} migration [mol m-2 s-1]"] = n - nd
        out[f"N_{s.name} [mol m-2 s-1]"] = n
        i = i + F * s.z * n
    out["i [A m-2]"] = i
    out["rho [C m-3]"] = rho
    return out


def point_fields(fields: dict, nnodes: int) -> dict:
    """The nodal entries of *fields*."""
    return {k: v for k, v in fields.items() if np.shape(v)[0] == nnodes and np.ndim(v) == 1}


def cell_fields(fields: dict, nnodes: int) -> dict:
    """The element entries of *fields*."""
    return {k: v for k, v in fields.items() if k not in point_fields(fields, nnodes)}


def line_profile(domain, nodal, start, end, n=200):
    """Values of a nodal P1 field along the segment start->end: ``(s [m], values)``
    with s the distance from `start` (:func:`ntransport.post.profiles.sample_line`)."""
    from .profiles import sample_line

    return sample_line(domain, nodal, start, end, n)
