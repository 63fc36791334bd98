r"""Poisson's equation for the electric potential, on P1 edges with lumped charge.

.. math::

    -\nabla\cdot(\varepsilon_0\varepsilon_r\nabla\phi) = \rho = F\sum_k z_k c_k + \rho_{fixed}

Scaled (see :mod:`scaling`): :math:`-\nabla\cdot(\hat\lambda^2\nabla\hat\phi)=\sum_k z_k\hat c_k`.
Weak form with lumped charge: :math:`R_i = \sum_j \Lambda_{ij}(\hat\phi_i-\hat\phi_j) - m_i
\sum_k z_k \hat c_{k,i} - q_i` with :math:`\Lambda_{ij} = \sum_T\hat\lambda^2_T w^T_{ij}`. Lumping
the charge keeps the discrete Boltzmann/Gouy--Chapman balance node-local, consistent with
the Scharfetter--Gummel transport (and is O(h^2) accurate).
"""
from __future__ import annotations

import numpy as np

__all__ = ["poisson_edges", "space_charge"]


def poisson_edges(Lam, phii, phij):
    """Edge term of the Poisson residual: value Lam*(phi_i-phi_j), d/dphi_i = Lam."""
    return Lam * (phii - phij), Lam


def space_charge(z_list, c_list, fixed=0.0):
    r"""Scaled charge density :math:`\sum_k z_k\hat c_k + \hat\rho_{fixed}` at nodes."""
    out = np.zeros_like(np.asarray(c_list[0], float)) + fixed
    for z, c in zip(z_list, c_list):
        out = out + z * c
    return out
