r"""Current density, current shares and boundary currents: pure functions.

Conventions: the current density is :math:`j = -\sigma\nabla\phi` [A m-2]; positive
current flows from the anode to the cathode through the electrolyte. In 2D every
current is per metre of depth (A/m).
"""
from __future__ import annotations

import numpy as np

from ..solve.assembly import p1_gradients

__all__ = ["current_density", "current_share", "boundary_current"]


def current_density(p: np.ndarray, t: np.ndarray, potential: np.ndarray,
                    sigma: np.ndarray) -> np.ndarray:
    r"""Element-wise current density :math:`j_e = -\sigma_e \sum_i \phi_i\nabla\lambda_i`.

    Parameters
    ----------
    p : (dim, nnodes)
        Node coordinates [m].
    t : (dim + 1, nel)
        Connectivity (may be a split numbering, see
        :func:`ntransport.solve.assembly.split_interface_nodes`).
    potential : (nnodes,)
        Nodal potential [V] in the numbering of *t*.
    sigma : (nel,)
        Element conductivity [S/m].

    Returns
    -------
    (dim, nel) current density [A m-2].
    """
    g, _ = p1_gradients(p, t)
    gradphi = np.einsum("iae,ie->ae", g, potential[t])
    return -sigma * gradphi


def current_share(domain, current_density: np.ndarray, axis: np.ndarray, *,
                  volumes: np.ndarray | None = None) -> dict[str, float]:
    r"""Fraction of the through-current carried by each subdomain.

    .. math::

        s_i = \frac{\int_{\Omega_i} j\cdot\hat n\,dV}{\int_\Omega j\cdot\hat n\,dV}

    with :math:`\hat n` the unit vector from anode to cathode. For a discrete P1
    solution the denominator equals :math:`I\,L` exactly (total current times
    electrode separation), so the shares of layers in series are :math:`t_i/L` and
    of layers side by side :math:`f_i\sigma_i/\sum f\sigma`. The shares sum to 1.

    Parameters
    ----------
    domain : Domain
    current_density : (dim, nel)
    axis : (dim,)
        Unit vector from anode to cathode.
    volumes : (nel,), optional
        Element measures, if already known (``domain.element_volumes()``).
    """
    axis = np.asarray(axis, dtype=float)
    vol = domain.element_volumes() if volumes is None else volumes
    w = (axis @ current_density) * vol
    total = w.sum()
    if total == 0.0:
        raise ValueError("current_share: the axial current is zero, shares are undefined.")
    return {n: float(w[domain.region == k].sum() / total) for k, n in enumerate(domain.region_names)}


def boundary_current(domain, current_density: np.ndarray, boundary: str) -> float:
    r"""Current leaving the domain through boundary *boundary*, :math:`\int j\cdot n\,ds`.

    Uses the current density of the element next to each facet (first-order
    accurate for P1; the solver's `total_current` uses the exact discrete flux).
    In 2D the result is per metre of depth [A/m], in 3D [A].
    """
    mesh = domain.mesh
    facets = domain.facets(boundary)
    elems = mesh.f2t[0, facets]
    x = mesh.p[:, mesh.facets[:, facets]]  # (dim, k, nf)
    if domain.dim == 2:
        tang = x[:, 1] - x[:, 0]
        normal = np.stack([tang[1], -tang[0]])  # |normal| = facet length
    else:
        normal = 0.5 * np.cross((x[:, 1] - x[:, 0]).T, (x[:, 2] - x[:, 0]).T).T
    # orient outward: away from the element centroid
    centroid = mesh.p[:, mesh.t[:, elems]].mean(axis=1)
    outward = np.sign(np.einsum("af,af->f", normal, x.mean(axis=1) - centroid))
    return float(np.einsum("af,af->f", current_density[:, elems], normal * outward).sum())
