r"""Quasi-static charge balance with a galvanostatic Butler--Volmer electrode (Newton).

Unknowns: the electrolyte potential :math:`\Phi` (P1, :math:`\Phi = 0` on ``"top"``, the
reference) and the electrode potential :math:`\phi_s` (one global number). Residuals

.. math::

    R_\Phi(v) = \int \kappa\nabla\Phi\cdot\nabla v
              - \int \kappa\tfrac{RT}{F}(1-2t_+)\nabla\ln c\cdot\nabla v
              - \int_{anode} i_{BV}(\phi_s - \Phi, c/c_{ref})\, v\, ds,

    R_s = \int_{anode} i_{BV}\, ds - I,

:math:`I` the applied current per unit depth [A/m] (anodic > 0). The Jacobian is the
symmetric bordered matrix
:math:`\begin{pmatrix} K_\kappa + G & -g\\ -g^T & \int g\end{pmatrix}` with
:math:`g = \partial i_{BV}/\partial\eta`, :math:`G_{jk} = \int g\phi_j\phi_k`. Newton is
damped to |ΔΦ|, |Δφ_s| <= 0.1 V per iteration (the exponentials) and raises
:class:`~ntransport.errors.ConvergenceError` with its history if it fails.
"""
from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from skfem import Basis, ElementTriP1, asm

from ..errors import ConvergenceError
from ..physics.binary_electrolyte import conduction, diffusion_potential

__all__ = ["PotentialSolution", "solve_potential", "anode_quadrature"]

log = logging.getLogger(__name__)

_GX, _GW = np.polynomial.legendre.leggauss(3)
_GX, _GW = 0.5 * (_GX + 1.0), 0.5 * _GW


class PotentialSolution(NamedTuple):
    phi: np.ndarray  # electrolyte potential at the nodes [V]
    phi_s: float  # electrode potential [V]
    i_qp: np.ndarray  # BV current at the anode quadrature points (nseg, nq) [A/m2]
    loads: np.ndarray  # ∫ i_BV φ_i ds per anode chain node [A/m]
    iterations: int


def anode_quadrature(X):
    """Segment lengths (nseg,), hat values (2, nq) and weights (nq,) on the anode chain."""
    L = np.linalg.norm(np.diff(X, axis=0), axis=1)
    hat = np.stack([1.0 - _GX, _GX])
    return L, hat, _GW


def _chain_values(u, chain, hat):
    return u[chain[:-1], None] * hat[0] + u[chain[1:], None] * hat[1]  # (nseg, nq)


def _chain_load(q, L, hat, w, n):
    out = np.zeros(n + 1)
    lw = L[:, None] * w[None, :] * q
    out[:-1] += (lw * hat[0]).sum(axis=1)
    out[1:] += (lw * hat[1]).sum(axis=1)
    return out


def solve_potential(mesh, chain, top_nodes, c, *, electrolyte, kinetics, current,
                    phi0=None, phi_s0=0.0, tol=1e-10, maxiter=40):
    """Solve the galvanostatic charge balance on `mesh` for the salt field `c`.

    Parameters
    ----------
    mesh : skfem.MeshTri1
    chain : (n,) int
        Anode nodes ordered left to right.
    top_nodes : int array
        Nodes with the reference potential Φ = 0.
    c : (nnodes,) array
        Salt concentration [mol/m³].
    electrolyte : BinaryElectrolyte
    kinetics : callable
        ``kinetics(eta, c_ratio) -> Kinetics`` (parameters bound, e.g. a partial of
        :func:`~ntransport.physics.kinetics.butler_volmer`).
    current : float
        Total current per unit depth [A/m], anodic > 0.
    """
    nn = mesh.p.shape[1]
    basis = Basis(mesh, ElementTriP1(), intorder=2)
    K = asm(conduction, basis, kappa=electrolyte.conductivity).tocsr()
    k_dp = electrolyte.diffusion_potential_coefficient
    rhs = asm(diffusion_potential, basis, k=k_dp, c=basis.interpolate(c)) if k_dp else np.zeros(nn)
    X = mesh.p[:, chain].T
    L, hat, w = anode_quadrature(X)
    c_ratio = _chain_values(c, chain, hat) / electrolyte.c_ref
    free = np.setdiff1d(np.arange(nn), top_nodes)
    phi = np.zeros(nn) if phi0 is None else np.array(phi0, dtype=float)
    phi[top_nodes] = 0.0
    phi_s = float(phi_s0)
    nseg = len(L)
    # anode node -> position among free unknowns
    pos = np.full(nn, -1, dtype=np.int64)
    pos[free] = np.arange(free.size)
    history = []
    for it in range(1, maxiter + 1):
        eta = phi_s - _chain_values(phi, chain, hat)
        kin = kinetics(eta, c_ratio)
        loads = _chain_load(kin.i, L, hat, w, nseg)
        R = K @ phi - rhs
        R[chain] -= loads
        Rs = float(np.sum(L[:, None] * w * kin.i)) - current
        g = kin.di_deta
        gv = _chain_load(g, L, hat, w, nseg)
        # boundary mass ∫ g φ_j φ_k on each segment
        lw = L[:, None] * w * g
        m00 = (lw * hat[0] * hat[0]).sum(1)
        m01 = (lw * hat[0] * hat[1]).sum(1)
        m11 = (lw * hat[1] * hat[1]).sum(1)
        a, b = chain[:-1], chain[1:]
        G = sp.csr_matrix((np.concatenate([m00, m01, m01, m11]),
                           (np.concatenate([a, a, b, b]), np.concatenate([a, b, a, b]))),
                          shape=(nn, nn))
        J = (K + G)[free][:, free]
        col = np.zeros(free.size)
        keep = pos[chain] >= 0
        col[pos[chain][keep]] = -gv[keep]
        A = sp.bmat([[J, sp.csr_matrix(col[:, None])],
                     [sp.csr_matrix(col[None, :]), sp.csr_matrix([[gv.sum()]])]], format="csc")
        delta = spla.spsolve(A, -np.concatenate([R[free], [Rs]]))
        if not np.all(np.isfinite(delta)):
            raise ConvergenceError(f"potential solve: non-finite Newton update at iteration {it}.")
        step = np.max(np.abs(delta))
        scale = min(1.0, 0.1 / step) if step > 0 else 1.0
        phi[free] += scale * delta[:-1]
        phi_s += scale * delta[-1]
        history.append(step)
        if step < tol and scale == 1.0:
            eta = phi_s - _chain_values(phi, chain, hat)
            kin = kinetics(eta, c_ratio)
            return PotentialSolution(phi, phi_s, kin.i, _chain_load(kin.i, L, hat, w, nseg), it)
    raise ConvergenceError(
        f"potential solve did not converge in {maxiter} damped Newton iterations (max update "
        f"per iteration [V]: {', '.join(f'{h:.2e}' for h in history[-6:])}). Tried a "
        "0.1 V damping limit; check the exchange current density and the applied current "
        "(beyond the limiting current the surface concentration goes to zero).")
