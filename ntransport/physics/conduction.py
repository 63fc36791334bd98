r"""Weak forms of steady ionic conduction, one physical term per function.

Ohmic conduction in the electrolyte, :math:`-\nabla\cdot(\sigma\nabla\phi) = 0`, with
an optional resistive interface :math:`\Gamma` across which the potential jumps and
the normal current is :math:`j\cdot n = G\,[\![\phi]\!]`, has the weak form

.. math::

    \int_\Omega \sigma\,\nabla\phi\cdot\nabla v\,dx
    + \int_\Gamma G\,[\![\phi]\!]\,[\![v]\!]\,ds = 0 .

Each term is available twice: as a scikit-fem form (any element, any quadrature;
the reference) and as a closed-form P1 local-matrix kernel, vectorised over elements,
that the fast assembly in :mod:`ntransport.solve.assembly` uses.
"""
from __future__ import annotations

import numpy as np
from skfem import BilinearForm
from skfem.helpers import dot, grad

__all__ = ["conduction", "conduction_p1", "interface_conductance_p1", "facet_mass_p1"]


@BilinearForm
def conduction(u, v, w):
    r"""Bulk Ohmic conduction :math:`\int \sigma \nabla u\cdot\nabla v\,dx`.

    The conductivity is passed as ``sigma`` (per element or per quadrature point),
    e.g. ``conduction.assemble(basis, sigma=basis.interpolate(s))``.
    """
    return w["sigma"] * dot(grad(u), grad(v))


def conduction_p1(grads: np.ndarray, vol: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    r"""P1 local stiffness :math:`K^e_{ij} = \sigma_e |T_e|\,\nabla\lambda_i\cdot\nabla\lambda_j`.

    Exact for an element-wise constant conductivity (the P1 gradients are constant).

    Parameters
    ----------
    grads : (nv, dim, nel)
        Hat-function gradients from :func:`ntransport.solve.assembly.p1_gradients`.
    vol : (nel,)
        Element measures.
    sigma : (nel,)
        Conductivity of each element [S/m].

    Returns
    -------
    (nv, nv, nel) local matrices.
    """
    return np.einsum("iae,jae->ije", grads, grads) * (sigma * vol)


def facet_mass_p1(dim: int) -> np.ndarray:
    r"""Reference P1 mass matrix of a facet divided by its measure.

    Segment (2D mesh): :math:`\tfrac16\begin{pmatrix}2&1\\1&2\end{pmatrix}`;
    triangle (3D mesh): :math:`\tfrac1{12}(1 + \delta_{ij})`.
    """
    k = dim
    return (np.ones((k, k)) + np.eye(k)) / (k * (k + 1))


def interface_conductance_p1(measure: np.ndarray, G: np.ndarray, dim: int) -> np.ndarray:
    r"""P1 local matrix of :math:`\int_\Gamma G\,[\![u]\!]\,[\![v]\!]\,ds` per facet.

    With the facet's nodes ordered ``[side a (k), side b (k)]`` and
    :math:`[\![u]\!] = u_a - u_b`, the local matrix is
    :math:`G|f|\begin{pmatrix}M&-M\\-M&M\end{pmatrix}` with :math:`M` from
    :func:`facet_mass_p1` (exact for piecewise-constant G).

    Parameters
    ----------
    measure : (nf,)
        Facet lengths (2D) or areas (3D).
    G : (nf,) or float
        Interface conductance per area [S/m^2].
    dim : int
        Mesh dimension.

    Returns
    -------
    (2k, 2k, nf) local matrices, k = dim nodes per facet.
    """
    M = facet_mass_p1(dim)
    block = np.block([[M, -M], [-M, M]])
    return block[:, :, None] * (np.broadcast_to(G, measure.shape) * measure)[None, None, :]
