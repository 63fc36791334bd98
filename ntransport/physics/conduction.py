r"""Weak forms of steady ionic conduction, one physical term per function.

Ohmic conduction in the electrolyte, :math:`-\nabla\cdot(\sigma\nabla\phi) = 0`, with
an optional resistive interface :math:`\Gamma` across which the potential jumps and
the normal current is :math:`j\cdot n = G\,[\![\phi]\!]`, has the weak form

.. math::

    \int_\Omega \sigma\,\nabla\phi\cdot\nabla v\,dx
    + \int_\Gamma G\,[\![\phi]\!]\,[\![v]\!]\,ds = 0 .

Each term is available twice: as a scikit-fem form (any element, any quadrature;
the reference) and as closed-form local-matrix kernels, vectorised over elements:
P1 for the fast assembly in :mod:`ntransport.solve.assembly`, and the bulk term in P2
on straight-sided (affine) elements for :mod:`ntransport.solve.conduction_p2`.
"""
from __future__ import annotations

import numpy as np
from skfem import BilinearForm
from skfem.helpers import dot, grad

__all__ = ["conduction", "conduction_p1", "conduction_p2", "p2_gradient_tensors",
           "conduction_quadrature",
           "interface_conductance_p1", "facet_mass_p1"]


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


def p2_gradient_tensors(dim: int, edges) -> tuple[np.ndarray, np.ndarray]:
    r"""Reference tensors of the P2 gradients on an affine simplex.

    With barycentric coordinates :math:`\lambda_a` and their (constant) gradients
    :math:`g_a`, the P2 basis is :math:`\lambda_i(2\lambda_i - 1)` at vertex *i* and
    :math:`4\lambda_i\lambda_j` on edge *(i, j)*, so every basis gradient is
    :math:`\nabla\varphi_A = \sum_a c_{Aa}(\lambda)\,g_a` with affine coefficients
    (:math:`(4\lambda_i - 1)` on :math:`g_i`; :math:`4\lambda_j` on :math:`g_i` and
    :math:`4\lambda_i` on :math:`g_j`). The element averages of their products follow
    exactly from :math:`\langle\lambda_a\rangle = 1/(d+1)` and
    :math:`\langle\lambda_a\lambda_b\rangle = (1+\delta_{ab})/((d+1)(d+2))`.

    Parameters
    ----------
    dim : 2 or 3
    edges : sequence of (i, j)
        Local vertex pair of each edge basis function, in the element's dof order.

    Returns
    -------
    C : (nl, nl, dim + 1, dim + 1)
        :math:`\langle c_{Aa} c_{Bb}\rangle`, so that
        :math:`\int_T \nabla\varphi_A\cdot\nabla\varphi_B = |T|\sum_{ab} C_{ABab}\,g_a\cdot g_b`.
    D : (nl, dim + 1)
        :math:`\langle c_{Aa}\rangle`, so that the element mean of
        :math:`\nabla\varphi_A` is :math:`\sum_a D_{Aa} g_a`.
    """
    nv = dim + 1
    nl = nv + len(edges)
    # affine functions as coefficients on (1, lambda_0, ..., lambda_d)
    c = np.zeros((nl, nv, nv + 1))
    for i in range(nv):
        c[i, i, 1 + i], c[i, i, 0] = 4.0, -1.0
    for k, (i, j) in enumerate(edges):
        c[nv + k, i, 1 + j] = 4.0
        c[nv + k, j, 1 + i] = 4.0
    Q = np.empty((nv + 1, nv + 1))  # element averages of products of (1, lambda_a)
    Q[0, 0] = 1.0
    Q[0, 1:] = Q[1:, 0] = 1.0 / nv
    Q[1:, 1:] = (np.ones((nv, nv)) + np.eye(nv)) / (nv * (nv + 1))
    C = np.einsum("Aam,mn,Bbn->ABab", c, Q, c)
    D = c @ Q[0]
    return C, D


def conduction_p2(grads: np.ndarray, vol: np.ndarray, sigma: np.ndarray, C: np.ndarray
                  ) -> np.ndarray:
    r"""P2 local stiffness on affine elements,
    :math:`K^e_{AB} = \sigma_e |T_e| \sum_{ab} C_{ABab}\,\nabla\lambda_a\cdot\nabla\lambda_b`.

    Exact for an element-wise constant conductivity (the integrand is a quadratic
    polynomial integrated in closed form); the same matrix a degree >= 2 quadrature gives.

    Parameters
    ----------
    grads : (nv, dim, nel)
        Barycentric gradients from :func:`ntransport.solve.assembly.p1_gradients`.
    vol : (nel,)
    sigma : (nel,)
    C : (nl, nl, nv, nv)
        From :func:`p2_gradient_tensors`; or any selection of its (A, B) pairs, e.g.
        ``C[iu, ju]`` (npairs, nv, nv) for the upper triangles only.

    Returns
    -------
    (nl, nl, nel) local matrices (``C.shape[:-2] + (nel,)``).
    """
    nv, nel = grads.shape[0], grads.shape[2]
    G = np.einsum("ade,bde->abe", grads, grads).reshape(nv * nv, nel)
    G *= sigma * vol
    return (C.reshape(-1, nv * nv) @ G).reshape(C.shape[:-2] + (nel,))


def conduction_quadrature(grads: np.ndarray, wdx: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    r"""Local stiffness by quadrature,
    :math:`K^e_{AB} = \sigma_e\sum_q w_q|J_{eq}|\,\nabla\varphi_A\cdot\nabla\varphi_B`.

    The kernel of the scikit-fem form :func:`conduction` on given basis gradients (e.g.
    of curved isoparametric elements, :func:`ntransport.solve.assembly.isoparametric_gradients`).

    Parameters
    ----------
    grads : (nl, dim, nel, nq)
    wdx : (nel, nq)
        Quadrature weights times the Jacobian determinant's modulus.
    sigma : (nel,)

    Returns
    -------
    (nl, nl, nel) local matrices.
    """
    nl, dim, nel, nq = grads.shape
    g = np.ascontiguousarray(grads.transpose(2, 0, 1, 3)).reshape(nel, nl, dim * nq)
    gw = g * np.tile(wdx * sigma[:, None], (1, dim))[:, None, :]
    return np.matmul(gw, g.transpose(0, 2, 1)).transpose(1, 2, 0)


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
