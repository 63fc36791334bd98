r"""One backward-Euler ALE step of the salt balance on the moved mesh.

.. math::

    \int \frac{c^{n+1} - c^n}{\Delta t} v - \int (w\cdot\nabla c^{n+1}) v
    + \int D\nabla c^{n+1}\cdot\nabla v
    = \int_{anode} \frac{(1-t_+)\, i_{BV}}{F} v\, ds,

on the mesh at :math:`t^{n+1}`, nodal :math:`c^n` carried with the nodes (ALE),
:math:`w = (x^{n+1}-x^n)/\Delta t` the P1 mesh velocity, :math:`c = c_{ref}` on ``"top"``
(bulk electrolyte), zero flux on the side walls (symmetry).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla
from skfem import Basis, ElementTriP1, asm

from ..constants import F
from ..physics.ale import mesh_convection
from ..physics.binary_electrolyte import mass, salt_diffusion

__all__ = ["salt_step"]


def salt_step(mesh, c_old, mesh_velocity, anode_loads, chain, top_nodes, *, electrolyte, dt):
    """Salt field at the new time level (mesh = new configuration).

    Parameters
    ----------
    anode_loads : (n,) array
        :math:`\\int i_{BV}\\phi_i ds` per anode chain node [A/m].
    mesh_velocity : (2, nnodes) array [m/s]
    """
    t_minus = 1.0 - electrolyte.transference
    if t_minus == 0.0:  # single-ion conductor: no salt gradients can form
        return np.full_like(c_old, electrolyte.c_ref)
    basis = Basis(mesh, ElementTriP1(), intorder=2)
    M = asm(mass, basis)
    K = asm(salt_diffusion, basis, D=electrolyte.diffusivity)
    wm = np.stack([np.asarray(basis.interpolate(mesh_velocity[0])),
                   np.asarray(basis.interpolate(mesh_velocity[1]))])
    C = asm(mesh_convection, basis, wm=wm)
    A = (M / dt - C + K).tocsr()
    b = M @ c_old / dt
    b[chain] += t_minus * np.asarray(anode_loads) / F
    nn = mesh.p.shape[1]
    free = np.setdiff1d(np.arange(nn), top_nodes)
    c = np.full(nn, electrolyte.c_ref)
    rhs = b[free] - A[free][:, top_nodes] @ c[top_nodes]
    c[free] = spla.spsolve(A[free][:, free].tocsc(), rhs)
    return c
