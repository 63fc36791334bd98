r"""Arbitrary Lagrangian--Eulerian (ALE) terms and the Li deposition velocity.

Moving electrode
----------------
Faraday's law moves the Li surface along its normal :math:`n_{Li}` (pointing from the
metal into the electrolyte) with

.. math:: v_n = -\frac{i_{BV}\, M}{z F \rho},

:math:`i_{BV}` the local Butler--Volmer current (anodic > 0): plating (:math:`i_{BV} < 0`)
makes the metal grow into the electrolyte, stripping makes it recede. For Li,
:math:`M/\rho = 6.941\times10^{-3}/534 = 1.300\times10^{-5}` m³/mol.

ALE transport
-------------
The mesh moves with velocity :math:`w` (the electrode boundary with the metal, the
interior by a smoothing solve). Nodal values follow the mesh, so the time derivative a
time stepper forms from nodal histories is the one along mesh trajectories,
:math:`\partial_t c|_X = \partial_t c|_x + w\cdot\nabla c`. The Eulerian balance
:math:`\partial_t c|_x + \nabla\cdot N = 0` becomes (non-conservative ALE form)

.. math:: \int \partial_t c|_X\, v \;-\; \int (w\cdot\nabla c)\, v
          \;-\; \int N\cdot\nabla v = -\oint N\cdot n\, v ,

i.e. the Nernst--Planck rows of every species get one extra term, the *mesh-velocity
term* :math:`-\int (w\cdot\nabla c_k)\,\phi_i`, and nothing else changes (the Poisson or
electroneutrality row has no time derivative).

Discretisation with lumped masses (:func:`mesh_velocity_terms`)
---------------------------------------------------------------
The NPP core lumps its mass matrix, :math:`m_i = \sum_{T\ni i}|T|/(d+1)`. The
mesh-velocity term is lumped the same way (nodal quadrature),

.. math:: C_{ij} = \sum_{T\ni i}\frac{|T|}{d+1}\, w_i\cdot\nabla\lambda^T_j ,

so that :math:`m_i^{-1}(Cc)_i = w_i\cdot\overline{\nabla c}_i`, with
:math:`\overline{\nabla c}_i` the volume-weighted mean gradient around node *i*. Two
properties follow exactly (tests: ``tests/unit/test_ale.py``):

* **geometric conservation law**: :math:`\sum_j C_{ij} = 0` (the :math:`\nabla\lambda_j`
  of an element sum to zero), so a uniform field stays uniform to round-off under any
  mesh motion -- with lumped masses the GCL needs no extra geometric source term,
  because the non-conservative form never differentiates the (moving) masses;
* **linear fields are advected exactly**: for :math:`c = a + G\cdot x` a BDF1 step with
  no transport changes node *i* by :math:`\Delta t\,w_i\cdot G`, the value the fixed
  spatial field takes at the moved node.

The salt content is conserved to :math:`O(\Delta t^2)` per step (the non-conservative
form trades exact content for the exact GCL; the deposition model records the Faraday
balance of the metal, which is geometric and exact, separately).
"""
from __future__ import annotations

import numpy as np

from ..constants import F

__all__ = ["LI_MOLAR_MASS", "LI_DENSITY", "LI_MOLAR_VOLUME", "deposition_velocity",
           "mesh_velocity_terms"]

LI_MOLAR_MASS = 6.941e-3  # kg/mol
LI_DENSITY = 534.0  # kg/m3
LI_MOLAR_VOLUME = LI_MOLAR_MASS / LI_DENSITY  # m3/mol


def deposition_velocity(i_bv, *, molar_volume=LI_MOLAR_VOLUME, z=1):
    """Normal velocity of the metal surface [m/s], positive = growth into the electrolyte.

    Examples
    --------
    >>> round(float(deposition_velocity(-3.0)) * 1e10, 4)   # 0.3 mA/cm2 plating
    4.0415
    """
    return -np.asarray(i_bv, dtype=float) * molar_volume / (z * F)


def mesh_velocity_terms(t, grads, volumes, w):
    r"""COO triplets ``(rows, cols, values)`` of the lumped mesh-velocity matrix
    :math:`C_{ij} = \sum_{T\ni i}\tfrac{|T|}{d+1}\, w_i\cdot\nabla\lambda^T_j`.

    The ALE residual of a species is :math:`-Cc` (module docstring). Coordinates,
    volumes, gradients and *w* in any consistent units (the NPP core passes scaled ones).

    Parameters
    ----------
    t : (d+1, nel) int
        Simplices.
    grads : (nel, d+1, d) array
        Barycentric gradients :math:`\nabla\lambda_j` per element.
    volumes : (nel,) array
        Element volumes :math:`|T|`.
    w : (d, nnodes) array
        Nodal mesh velocity.

    Returns
    -------
    rows, cols, values : 1D arrays of length ``(d+1)**2 * nel``
    """
    t = np.asarray(t)
    d1 = t.shape[0]
    w = np.asarray(w, dtype=float)
    # wi·grad_j for every local pair (i, j): (nel, d+1, d+1)
    wi = np.transpose(w[:, t], (2, 1, 0))  # (nel, d+1 (i), d)
    local = np.einsum("eid,ejd->eij", wi, grads) * (np.asarray(volumes) / d1)[:, None, None]
    rows = np.broadcast_to(t.T[:, :, None], local.shape)
    cols = np.broadcast_to(t.T[:, None, :], local.shape)
    return rows.ravel(), cols.ravel(), local.ravel()
