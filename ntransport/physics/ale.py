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
The mesh moves with velocity :math:`w` (the boundary with the electrode, the interior by
a smoothing solve). Nodal values follow the mesh, so the time derivative the
discretisation sees is the one along mesh trajectories,
:math:`\partial_t c|_X = \partial_t c|_x + w\cdot\nabla c`. The Eulerian equation
:math:`\partial_t c|_x = \nabla\cdot(D\nabla c)` becomes (non-conservative ALE form)

.. math:: \int \partial_t c|_X\, v - \int (w\cdot\nabla c)\, v + \int D\nabla c\cdot\nabla v
          = \oint D\,\partial_n c\, v,

which keeps a uniform field exactly uniform on any mesh motion (no geometric
conservation error). This module holds the one extra term, :func:`mesh_convection`.
"""
from __future__ import annotations

import numpy as np
from skfem import BilinearForm
from skfem.helpers import dot, grad

from ..constants import F

__all__ = ["LI_MOLAR_MASS", "LI_DENSITY", "LI_MOLAR_VOLUME", "deposition_velocity",
           "mesh_convection"]

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


@BilinearForm
def mesh_convection(u, v, w):
    """∫ (w_mesh·∇u) v, the mesh-velocity term of the ALE time derivative (``wm``)."""
    return dot(w["wm"], grad(u)) * v
