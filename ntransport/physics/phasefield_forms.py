r"""Discrete terms of the phase-field model on P1 triangles: one physical term per function.

Unknowns per node, in the scaled units of
:class:`~ntransport.physics.phasefield_params.ScaledParameters`: the order parameter
:math:`\xi` (1 Li metal, 0 electrolyte), the salt concentration :math:`\tilde c = c/c_0`
(electroneutral binary salt: :math:`c_{Li^+} = c_{A^-} = c`) and the electrolyte
potential :math:`\phi` [V]; the metal is equipotential at :math:`\phi_m` (its
conductivity, 1e7 S/m, drops < 1 µV across a micrometre cell). Residuals, per node *i*
(lumped masses :math:`m_i`, P1 stiffness edge weights :math:`w^T_{ij}` of
:mod:`ntransport.physics.edges`, rates :math:`\dot\xi,\dot c` from the time integrator):

.. math::

    R_{\xi,i} &= m_i\big[\dot\xi_i + \mu_i\big(L_\sigma g'(\xi_i)
        + L_\eta h'(\xi_i)\,B(\phi_m - \phi_i - \Delta_i, c_i)\big)\big]
        + \sum_T \mu_T L_\sigma |T|\,\nabla\lambda_i\cdot\boldsymbol J(\nabla\xi_T)\\
    R_{c,i} &= m_i\dot c_i + \sum_j F^-_{ij}\\
    R_{\phi,i} &= \Gamma_c\sum_j (F^+_{ij} - F^-_{ij}) + \Gamma\,m_i\dot\xi_i - I_i

with :math:`F^\pm_{ij}` the edge-averaged (Scharfetter--Gummel) fluxes of Li+
(:math:`z=+1`) and of the anion (:math:`z=-1`) on the edge weights
:math:`W^\pm_{ij} = \sum_T D^\pm_T w^T_{ij}`, :math:`\Gamma_c = Fc_0l_0^2/(\sigma_0t_0)`,
:math:`\Gamma = \Gamma_c c_s/c_0`, :math:`I_i` an applied boundary current and
:math:`\Delta_i` a frozen overpotential shift (mechanics). Element coefficients use the
element mean :math:`\bar h_T` of :math:`h(\xi)` (7-point degree-5 rule, exact for the
quintic :math:`h` of a linear :math:`\xi`):
:math:`D^+_T = D_e\bar h_T + \ell_T D_l(1-\bar h_T)`,
:math:`D^-_T = D^+_T(1-t_+)/t_+`, :math:`\ell_T` the transport factor of a skeleton
element, :math:`\mu_T` its growth mobility (0 inside a blocking skeleton), :math:`\mu_i`
the lumped mean of :math:`\mu_T`.

Why an anion balance and a flux-based charge balance (the concentration fix): the
original model (Chen et al. 2015) transports Li+ alone, with migration
:math:`D f c\nabla\phi`, while its charge equation carries the current with a fixed
:math:`\sigma_l`. The two disagree wherever :math:`c\ne c_0`: the charge equation
delivers current that the Li+ flux does not carry, and nothing ties the Li+ inventory
to electroneutrality, so Li+ piles up where the field converges (ahead of the tips, up
to 9 c0 in the old runs) and is drained below zero where diffusion cannot follow the
sink (filament bases, -1.9 c0). Here the ionic current *is* :math:`F(N^+-N^-)` and the
salt obeys the anion balance (anions are neither produced nor consumed): the implied
Li+ balance :math:`m\dot c + \sum F^+ + (c_s/c_0)\,m\dot\xi = 0` then holds at every free
node, so Li (ions + metal) changes only by what crosses the boundaries. The edge-averaged
anion flux on the non-obtuse triangles of :mod:`ntransport.geometry.boxes` makes the anion
block an M-matrix: with lumped masses and backward Euler, :math:`c\ge 0` at every node
of the discrete solution (a discrete maximum principle), and as :math:`c\to 0` the local
conductivity :math:`\propto c` vanishes, which throttles the current (the limiting
current) instead of driving c negative. :math:`t_+ = 1` (an immobile anion) is the
electroneutral reading of a Li+-only model: then c stays exactly :math:`c_0`.

Every function returns the residual contribution and its derivatives as arrays in a
fixed layout, so a solver can assemble with a sparsity pattern computed once per mesh
(:class:`ntransport.solve.phasefield_system.PhaseFieldSystem`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .edges import edge_geometry
from .nernst_planck import sg_flux
from .phasefield import double_well, gradient_flux, interpolation, reaction

__all__ = ["P1Mesh", "p1_mesh", "element_mean_h", "allen_cahn_local", "gradient_energy",
           "edge_transport", "QUAD_BARY", "QUAD_W"]

# 7-point degree-5 rule on the triangle (Dunavant), barycentric points and weights
_A1, _B1, _A2, _B2 = 0.059715871789770, 0.470142064105115, 0.797426985353087, 0.101286507323456
QUAD_BARY = np.array([[1 / 3, 1 / 3, 1 / 3],
                      [_A1, _B1, _B1], [_B1, _A1, _B1], [_B1, _B1, _A1],
                      [_A2, _B2, _B2], [_B2, _A2, _B2], [_B2, _B2, _A2]])
QUAD_W = np.array([0.225] + [0.132394152788506] * 3 + [0.125939180544827] * 3)


@dataclass(frozen=True, eq=False)
class P1Mesh:
    """Scaled P1 triangle geometry: nodes ``p`` (2, n), triangles ``t`` (3, nel), hat
    gradients ``gx``, ``gy`` (3, nel) (x and y component for each local node), areas
    ``vol``, lumped masses ``lumped``, edges (2, ne), ``elem_edge``/``elem_weight``
    (3, nel) for the local edges (0,1), (0,2),
    (1,2) and their unit stiffness weights :math:`w^T` (all >= 0 on non-obtuse
    triangles: then the transport blocks are M-matrices); ``elem_out`` (3, nel) is
    :math:`w^T` signed +1 where the global edge runs from the local edge's first node to
    its second, -1 where it runs the other way (for the flux out of each local node)."""

    p: np.ndarray
    t: np.ndarray
    gx: np.ndarray
    gy: np.ndarray
    vol: np.ndarray
    lumped: np.ndarray
    edges: np.ndarray
    elem_edge: np.ndarray
    elem_weight: np.ndarray
    elem_out: np.ndarray

    @property
    def n(self) -> int:
        return self.p.shape[1]

    @property
    def nel(self) -> int:
        return self.t.shape[1]


LOCAL_EDGES = ((0, 1), (0, 2), (1, 2))  # the order of physics.edges.edge_geometry


def p1_mesh(p, t) -> P1Mesh:
    """Geometry of the triangles *t* (3, nel) on nodes *p* (2, n) (scaled coordinates)."""
    t = np.asarray(t)
    g = edge_geometry(np.asarray(p, float), t)
    first = t[[a for a, _ in LOCAL_EDGES]]  # (3, nel) first node of each local edge
    sign = np.where(g.edges[0][g.elem_edge] == first, 1.0, -1.0)
    gx, gy = (np.ascontiguousarray(g.grads[:, :, k].T) for k in (0, 1))
    return P1Mesh(np.asarray(p, float), t, gx, gy, g.volumes, g.lumped, g.edges,
                  g.elem_edge, g.elem_weight, g.elem_weight * sign)


def element_mean_h(m: P1Mesh, xi):
    r"""Element means :math:`\bar h_T` of :math:`h(\xi)` and :math:`\partial\bar h_T/
    \partial\xi_k` (3, nel) for the local nodes k."""
    xe = xi[m.t]  # (3, nel)
    xq = QUAD_BARY @ xe  # (7, nel)
    h, dh, _ = interpolation(xq)
    hbar = QUAD_W @ h
    dhbar = QUAD_BARY.T @ (dh * QUAD_W[:, None])
    return hbar, dhbar


def allen_cahn_local(xi, rate, phi, c, p, *, lumped, lumped_mobile, shift=None, noise=None):
    r"""Nodal part of :math:`R_\xi`: rate, double well, reaction (and noise).

    Returns ``(r, d_xi, d_c, d_phi)``: the residual and its diagonal derivatives
    (the rate's derivative is added by the caller, which knows the time step).
    """
    _, dg, d2g = double_well(xi, p.W)
    _, dh, d2h = interpolation(xi)
    eta = phi if shift is None else phi - shift
    B, dB_deta, dB_dc = reaction(eta, c, f=p.f, alpha=p.alpha)
    mm = lumped_mobile
    r = lumped * rate + mm * (p.L_sigma * dg + p.L_eta * dh * B)
    d_xi = mm * (p.L_sigma * d2g + p.L_eta * d2h * B)
    if noise is not None:
        r = r - lumped * noise * dh
        d_xi = d_xi - lumped * noise * d2h
    return r, d_xi, mm * p.L_eta * dh * dB_dc, mm * p.L_eta * dh * dB_deta


def gradient_energy(m: P1Mesh, xi, p, mobility):
    r"""Gradient-energy term :math:`\sum_T\mu_T L_\sigma|T|\nabla\lambda_i\cdot
    \boldsymbol J(\nabla\xi_T)` (anisotropic :math:`\boldsymbol J` of
    :func:`~ntransport.physics.phasefield.gradient_flux`; :math:`\nabla\xi` is constant
    on a P1 element, so the one-point evaluation is exact).

    Returns ``(r, K)`` with ``K`` (3, 3, nel): :math:`\partial r_i/\partial\xi_k` per
    element.
    """
    Gx, Gy = m.gx, m.gy  # (3, nel)
    xe = xi[m.t]  # (3, nel)
    gxi = np.stack([(Gx * xe).sum(axis=0), (Gy * xe).sum(axis=0)])  # (2, nel)
    J, dJ = gradient_flux(gxi, kappa0=p.kappa0, delta=p.delta, omega=p.omega,
                          theta0=p.theta0)
    a = mobility * p.L_sigma * m.vol
    re = Gx * (a * J[0]) + Gy * (a * J[1])  # (3, nel)
    r = np.bincount(m.t.ravel(), weights=re.ravel(), minlength=m.n)
    # K_ik = a sum_ab G_ia dJ_ab G_kb, the four (a, b) terms as broadcast products
    Ax = Gx * (a * dJ[0, 0]) + Gy * (a * dJ[0, 1])  # sum_b dJ_xb G_kb, (3, nel)
    Ay = Gx * (a * dJ[1, 0]) + Gy * (a * dJ[1, 1])
    K = Gx[:, None, :] * Ax[None, :, :] + Gy[:, None, :] * Ay[None, :, :]
    return r, K


def edge_transport(m: P1Mesh, D_T, z, c, psi):
    r"""Edge-averaged flux of one ion (charge *z*) and its derivatives.

    Parameters
    ----------
    D_T : (nel,) element diffusivity (scaled).
    psi : nodal :math:`f\phi` (potential in thermal voltages).

    Returns
    -------
    flux : (ne,) :math:`F_{ij}` from ``edges[0]`` to ``edges[1]``;
    d_ci, d_cj, d_psij : (ne,) its derivatives (:math:`\partial F/\partial\psi_i =
    -\partial F/\partial\psi_j`);
    d_D : (3, nel) derivative of the net flux out of each local node of an element
        (:math:`\sum_j F_{ij}` over the element's edges) with respect to its
        :math:`D_T`: :math:`\sum_e \pm w^T_e G_e`. Times :math:`\partial D_T/
        \partial\xi_k` it is the element's (3 x 3) block of the flux divergence's
        :math:`\xi`-derivative (one block per element instead of one per local edge
        and end).
    """
    W = np.bincount(m.elem_edge.ravel(), weights=(m.elem_weight * D_T[None, :]).ravel(),
                    minlength=m.edges.shape[1])
    i, j = m.edges
    G, dGi, dGj, dGpsij = sg_flux(1.0, z, c[i], c[j], psi[i], psi[j])  # unit-weight flux
    flux, dci, dcj, dpsij = W * G, W * dGi, W * dGj, W * dGpsij
    # dF_e/dD_T = w^T_e G_e, out of the edge's first local node, into its second
    g = G[m.elem_edge] * m.elem_out  # (3 local edges (0,1), (0,2), (1,2), nel)
    d_D = np.stack([g[0] + g[1], g[2] - g[0], -g[1] - g[2]])
    return flux, dci, dcj, dpsij, d_D
