r"""Transport outputs from an :class:`~ntransport.solve.npp.NPPState` (pure functions, SI).

Element-wise (P0) fields from the P1 nodal solution:

* :math:`E = -\nabla\phi` [V m-1];
* :math:`N_k^{diff} = -D_k\nabla c_k`, :math:`N_k^{mig} = -D_k z_k \bar c_k \tfrac{F}{RT}\nabla\phi`,
  :math:`N_k = N_k^{diff}+N_k^{mig}` [mol m-2 s-1] (:math:`\bar c` the element mean);
* :math:`i = F\sum_k z_k N_k` [A m-2];
* nodal space charge :math:`\rho = F\sum_k z_k c_k` [C m-3] (immobilised species included).
"""
from __future__ import annotations

import numpy as np

from ..constants import F
from ..physics.edges import edge_geometry
from ..physics.nernst_planck import diffusion_flux, migration_flux

__all__ = ["transport_fields", "line_profile"]


def _grad(geom, u):
    return np.einsum("ekx,ke->ex", geom.grads, u[geom.t])


def transport_fields(problem, state) -> dict:
    """Dictionary of named outputs with units in the keys (nodal and element arrays)."""
    d = problem.domain
    geom = edge_geometry(d.mesh.p, d.mesh.t)
    region = np.asarray(d.region)
    gphi = _grad(geom, state.potential)
    out = {"phi [V]": state.potential, "E [V m-1]": -gphi}
    rho = np.zeros_like(state.potential)
    i = np.zeros_like(gphi)
    for s in problem.species:
        c = state.concentrations[s.name]
        out[f"c_{s.name} [mol m-3]"] = c
        rho = rho + F * s.z * c
        if s.immobile:
            continue
        D = s.region_array("D", d.region_names)[region]
        cbar = c[geom.t].mean(axis=0)
        nd = diffusion_flux(D, _grad(geom, c))
        nm = migration_flux(D, s.z, cbar, gphi, problem.temperature)
        out[f"N_diff_{s.name} [mol m-2 s-1]"] = nd
        out[f"N_mig_{s.name} [mol m-2 s-1]"] = nm
        out[f"N_{s.name} [mol m-2 s-1]"] = nd + nm
        i = i + F * s.z * (nd + nm)
    out["i [A m-2]"] = i
    out["rho [C m-3]"] = rho
    return out


def line_profile(domain, nodal, start, end, n=200):
    """Values of a nodal P1 field along the segment start->end (linear interpolation).

    Returns (s [m], values) with s the distance from `start`.
    """
    import skfem

    start, end = np.asarray(start, float), np.asarray(end, float)
    s = np.linspace(0, 1, n)
    pts = start[:, None] + (end - start)[:, None] * s[None, :]
    # nudge inside the domain to avoid points exactly on the boundary
    c = domain.mesh.p.mean(axis=1, keepdims=True)
    pts = pts + 1e-9 * (c - pts)
    e = skfem.ElementTriP1() if domain.dim == 2 else skfem.ElementTetP1()
    basis = skfem.Basis(domain.mesh, e)
    probe = basis.probes(pts)
    return s * np.linalg.norm(end - start), probe @ nodal
