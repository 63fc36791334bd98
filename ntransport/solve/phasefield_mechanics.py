r"""Plane-strain eigenstrain elasticity of a phase field, solved on a Domain.

The constitutive law, the interpolation of the moduli across the diffuse interface and
the element terms are in :mod:`ntransport.physics.phasefield_mechanics`; this module
assembles (constant-strain P1 triangles, vector dofs interleaved ``(u_x, u_y)`` per
node, a sparsity pattern computed once per mesh) and solves through the linear-solver
layer with one :class:`~ntransport.solve.linear.DirectSolver` per mesh, so a time loop
pays only the numeric factorisation at every step.

Displacement constraints: ``clamped`` boundaries (both components), ``rollers`` (the
normal component of an axis-aligned boundary), every node of ``fixed_regions``. With
none of them the rigid-body modes (two translations, one rotation) are removed by
Lagrange multipliers; the eigenstrain load is self-equilibrated, so they vanish.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, suggest
from ..physics.phasefield import interpolation
from ..physics.phasefield_forms import QUAD_BARY, QUAD_W
from ..physics.phasefield_mechanics import (Mechanics, eigenstrain_load, element_stiffness,
                                            hydrostatic_stress, moduli)
from .assembly import CSRPattern, p1_gradients
from .linear import DirectSolver

__all__ = ["ElasticState", "ElasticitySolver", "solve_elasticity"]


@dataclass(frozen=True, eq=False)
class ElasticState:
    """Displacement [m] (2, N), hydrostatic stress [Pa] at the 7 quadrature points of
    every element ``(nel, 7)`` and projected to the nodes ``(N,)`` (lumped L2)."""

    displacement: np.ndarray
    stress_q: np.ndarray
    stress: np.ndarray


def _constrained_dofs(domain, mech: Mechanics) -> np.ndarray:
    mesh = domain.mesh
    dofs = []
    names = set(domain.boundaries)
    for name in mech.clamped:
        if name not in names:
            raise ConfigError(f"Mechanics.clamped: boundary {name!r} not found in the domain."
                              f"{suggest(name, names)}")
        nodes = np.unique(mesh.facets[:, domain.facets(name)].ravel())
        dofs += [2 * nodes, 2 * nodes + 1]
    for name in mech.rollers:
        if name not in names:
            raise ConfigError(f"Mechanics.rollers: boundary {name!r} not found in the domain."
                              f"{suggest(name, names)}")
        f = mesh.facets[:, domain.facets(name)]
        d = np.abs(mesh.p[:, f[1]] - mesh.p[:, f[0]])
        size = max(float(np.ptp(mesh.p)), 1e-300)
        nodes = np.unique(f.ravel())
        if np.all(d[0] < 1e-9 * size):  # vertical boundary: normal x
            dofs.append(2 * nodes)
        elif np.all(d[1] < 1e-9 * size):  # horizontal boundary: normal y
            dofs.append(2 * nodes + 1)
        else:
            raise ConfigError(f"Mechanics.rollers: boundary {name!r} is not a straight "
                              "axis-aligned line; rollers need x = const or y = const.")
    for name in mech.fixed_regions:
        if name not in domain.region_names:
            raise ConfigError(f"Mechanics.fixed_regions: subdomain {name!r} not found."
                              f"{suggest(name, domain.region_names)}")
        nodes = np.unique(mesh.t[:, domain.elements(name)].ravel())
        dofs += [2 * nodes, 2 * nodes + 1]
    return np.unique(np.concatenate(dofs)).astype(np.int64) if dofs else np.zeros(0, np.int64)


class ElasticitySolver:
    """The elasticity problem of one mesh: pattern, constraints and factorisation reused.

    Parameters
    ----------
    domain : Domain (2D, metres)
    mech : Mechanics
    length : float
        Length unit used for the arithmetic (strains are dimensionless; 1e-6 keeps the
        numbers of a micrometre cell O(1)).
    solver : linear solver, optional (default a new DirectSolver).
    """

    def __init__(self, domain, mech: Mechanics, *, length: float = 1.0, solver=None):
        if domain.dim != 2:
            raise ConfigError(f"mechanics needs a 2D domain (plane strain), got {domain.dim}D.")
        if not isinstance(mech, Mechanics):
            raise ConfigError(f"mech must be a Mechanics(...), got {type(mech).__name__}.")
        self.domain, self.mech, self.length = domain, mech, float(length)
        mesh = domain.mesh
        g, vol = p1_gradients(mesh.p / self.length, mesh.t)  # (3, 2, nel)
        self.grads = np.transpose(g, (2, 0, 1))  # (nel, 3, 2)
        self.vol = vol
        n = mesh.nvertices
        self.N = 2 * n
        t = mesh.t
        edofs = np.empty((mesh.nelements, 6), np.int64)
        edofs[:, 0::2] = 2 * t.T
        edofs[:, 1::2] = 2 * t.T + 1
        self.edofs = edofs
        rows = np.repeat(edofs[:, :, None], 6, axis=2).ravel()
        cols = np.repeat(edofs[:, None, :], 6, axis=1).ravel()
        self.fixed = _constrained_dofs(domain, mech)
        diag = np.arange(self.N)
        self.pattern = CSRPattern(np.concatenate([rows, diag]), np.concatenate([cols, diag]),
                                  (self.N, self.N))
        mask = np.zeros(self.N, bool)
        mask[self.fixed] = True
        self._mask = mask
        self._zero = mask[rows] | mask[cols]
        self._free_body = self.fixed.size == 0
        self.solver = solver if solver is not None else DirectSolver()
        lumped = np.zeros(n)
        np.add.at(lumped, t.ravel(), np.repeat(vol[None, :] / 3.0, 3, 0).ravel())
        self.lumped = lumped

    def _rigid_modes(self):
        x, y = self.domain.mesh.p / self.length
        Z = np.zeros((self.N, 3))
        Z[0::2, 0], Z[1::2, 1] = 1.0, 1.0
        Z[0::2, 2], Z[1::2, 2] = -(y - y.mean()), x - x.mean()
        return Z

    def solve(self, xi, *, xi_ref=None) -> ElasticState:
        """Displacement and hydrostatic stress for the phase field *xi* (nodal); the
        eigenstrain is ``expansion * (h(xi) - h(xi_ref))`` (xi_ref default 0)."""
        mech, mesh = self.mech, self.domain.mesh
        xi = np.asarray(xi, float)
        if xi.shape != (mesh.nvertices,):
            raise ConfigError(f"xi must have one value per node ({mesh.nvertices},), got "
                              f"{xi.shape}.")
        t = mesh.t
        xq = QUAD_BARY @ xi[t]  # (7, nel)
        h = interpolation(xq)[0]
        h_ref = 0.0 if xi_ref is None else interpolation(QUAD_BARY @ np.asarray(xi_ref, float)[t])[0]
        lam, mu = moduli(h, mech)
        eig = mech.expansion * (h - h_ref)
        lam_m, mu_m = QUAD_W @ lam, QUAD_W @ mu
        Ke = element_stiffness(self.grads, self.vol, lam_m, mu_m)
        fe = eigenstrain_load(self.grads, self.vol, QUAD_W @ (2 * (lam + mu) * eig))
        b = np.bincount(self.edofs.ravel(), weights=fe.ravel(), minlength=self.N)
        vals = np.concatenate([Ke.ravel(), np.zeros(self.N)])
        if self._free_body:
            A = self.pattern.assemble(vals)
            Z = self._rigid_modes()
            K = sp.bmat([[A, sp.csr_matrix(Z)], [sp.csr_matrix(Z.T), None]], format="csr")
            u = self.solver.factor(K)(np.concatenate([b, np.zeros(3)]))[:self.N]
        else:
            nK = Ke.size
            vals[:nK][self._zero] = 0.0
            vals[nK:][self._mask] = 1.0
            b[self._mask] = 0.0
            u = self.solver.factor(self.pattern.assemble(vals))(b)
        ue = u[self.edofs]  # (nel, 6)
        div = np.einsum("ek,ek->e", self.grads[:, :, 0], ue[:, 0::2]) + \
            np.einsum("ek,ek->e", self.grads[:, :, 1], ue[:, 1::2])
        s_q = hydrostatic_stress(div[None, :], lam, mu, eig, mech.pressure)  # (7, nel)
        load = (self.vol[None, :, None] * QUAD_W[:, None, None] * s_q[:, :, None]
                * QUAD_BARY[:, None, :]).sum(axis=0)  # (nel, 3)
        s_n = np.bincount(t.T.ravel(), weights=load.ravel(), minlength=mesh.nvertices) / self.lumped
        disp = np.vstack([u[0::2], u[1::2]]) * self.length
        return ElasticState(disp, s_q.T.copy(), s_n)


def solve_elasticity(domain, xi, mech: Mechanics, /, *, xi_ref=None, length: float = 1.0,
                     solver=None) -> ElasticState:
    """One-shot :class:`ElasticitySolver` (build it once to solve at every time step)."""
    return ElasticitySolver(domain, mech, length=length, solver=solver).solve(xi, xi_ref=xi_ref)
