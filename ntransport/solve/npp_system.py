r"""Discrete Nernst--Planck--Poisson / electroneutral system: residual and consistent Jacobian.

Unknowns (scaled, :mod:`ntransport.physics.scaling`): nodal concentrations of the mobile
species, nodal potential, and one global unknown per galvanostatic electrode (its solid
potential). Residual of species k at node i (lumped mass :math:`m_i`)

.. math::

    m_i(a_0 c_{k,i} + h_{k,i}) + \sum_j F^{SG}_{k,ij} - m_i s_{k,i} - \sum_{\Gamma}a_i\,j_{k,i} = 0

(:mod:`ntransport.physics.nernst_planck` for :math:`F^{SG}`; :math:`j` the boundary influx of
flux/electrode conditions), with the potential row either Poisson
(:mod:`ntransport.physics.poisson`) or charge conservation
(:mod:`ntransport.physics.electroneutral`). Dirichlet rows are replaced by
:math:`u-u_D`. The sparse pattern is computed once; re-assembly scatters values through a
cached COO->CSR map (PERFORMANCE-FACTS: half of naive assembly is that conversion).
"""
from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from ..physics.nernst_planck import sg_flux
from ..physics.electrode import electrode_current
from ..physics.electroneutral import eliminated_concentration

__all__ = ["CachedPattern", "NPPSystem", "NODE_ORDER_MIN"]

#: unknowns from which NPP Jacobians are factorised node by node (NPPSystem.linear_solver)
NODE_ORDER_MIN = 20_000


class CachedPattern:
    """COO triplets with fixed (rows, cols) -> CSR via a precomputed scatter map."""

    def __init__(self, rows, cols, shape):
        rows = np.asarray(rows, np.int64)
        cols = np.asarray(cols, np.int64)
        key = rows * shape[1] + cols
        uniq, self.map = np.unique(key, return_inverse=True)
        self.indices = (uniq % shape[1]).astype(np.int32)
        r = (uniq // shape[1])
        self.indptr = np.searchsorted(r, np.arange(shape[0] + 1)).astype(np.int32)
        self.shape = shape
        self.nnz = uniq.size
        self.ncoo = rows.size

    def matrix(self, vals):
        data = np.bincount(self.map, weights=vals, minlength=self.nnz)
        return sp.csr_matrix((data, self.indices.copy(), self.indptr.copy()), shape=self.shape)


class NPPSystem:
    """Residual/Jacobian of a discretised problem. Built by :func:`ntransport.solve.npp.discretise`.

    Holds only precomputed, read-only arrays; calling it never changes it except for the
    lazily built sparsity caches.

    ``ale``: optional COO triplets of the lumped mesh-velocity matrix C (scaled) of a
    moving mesh, :func:`ntransport.physics.ale.mesh_velocity_terms`; every species row
    then gets the ALE term :math:`-Cc_k` (set by :mod:`ntransport.solve.deposition_ale`).
    """

    ale = None

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self._pattern = None

    # ---------------------------------------------------------------- unknowns
    def split(self, u):
        n, M = self.n, self.M
        c = [u[k * n:(k + 1) * n] for k in range(self.M_unknown)]
        phi = u[self.M_unknown * n:(self.M_unknown + 1) * n]
        g = u[(self.M_unknown + 1) * n:]
        if self.electroneutral:
            kept_z = [self.z[k] for k in range(M) if k != self.e]
            ce = eliminated_concentration(self.z[self.e], c, kept_z, self.qfix_nodal)
            c = c[:self.e] + [ce] + c[self.e:]
        return c, phi, g

    def node_order(self) -> np.ndarray:
        """The unknowns numbered node by node (node 0's species and potential, then node
        1's, ...; the electrodes' global unknowns last), as an index array into this
        system's field-by-field numbering: the order in which it is factorised
        (:class:`ntransport.solve.linear.Reordered`)."""
        k = self.M_unknown + 1
        nodal = np.arange(k * self.n).reshape(k, self.n).T.ravel()
        return np.concatenate([nodal, np.arange(k * self.n, self.nu)])

    def linear_solver(self, solver):
        """*solver* as this system's Newton iterations should use it: on the Jacobian
        numbered node by node (:meth:`node_order`) from ``NODE_ORDER_MIN`` unknowns up,
        as given below (measured, benchmarks/README.md section 1: PARDISO 4-27 % faster
        on 44-480 k unknowns, depending on the host's state; no gain at 11 k and below,
        where the renumbering's own 0.3 ms per call is ~10 % of a 2 k-unknown
        factorisation)."""
        from .linear import Reordered

        return Reordered(solver, self.node_order()) if self.nu >= NODE_ORDER_MIN else solver

    # ---------------------------------------------------------------- assembly
    def full_terms(self, u, t, a0, hist, *, indices=True):
        """Unreduced residual blocks and Jacobian COO triplets (full indexing).

        ``indices=False``: the triplets' row and column arrays are not built (returned as
        None): a system's sparsity pattern is fixed, and building them took ~25 of the
        ~42 ms of a 150 k-unknown residual + Jacobian (benchmarks/README.md section 1)."""
        n, M, ng = self.n, self.M, self.ng
        c, phi, g = self.split(u)
        if self.electroneutral:
            # history of the eliminated species from the same closure
            hk = [hist[k * n:(k + 1) * n] for k in range(M - 1)]
            kept_z = [self.z[k] for k in range(M) if k != self.e]
            he = eliminated_concentration(self.z[self.e], hk, kept_z, -a0 * self.qfix_nodal)
            hist_c = hk[:self.e] + [he] + hk[self.e:]
        else:
            hist_c = [hist[k * n:(k + 1) * n] for k in range(M)]
        ei, ej = self.edges
        PH = M * n
        R = np.zeros((M + 1) * n + ng)
        rows, cols, vals = [], [], []

        def add(ro, ri, co, ci, v):
            """Values *v* at rows ``ro + ri`` and columns ``co + ci`` (offset, index array)."""
            vals.append(v)
            if indices:
                rows.append(ro + ri); cols.append(co + ci)

        ar = np.arange(n)
        for k in range(M):
            off = k * n
            fl, dci, dcj, dphij = sg_flux(self.W[k], self.z[k], c[k][ei], c[k][ej], phi[ei], phi[ej])
            Rk = self.m * (a0 * c[k] + hist_c[k])
            Rk += np.bincount(ei, fl, n) - np.bincount(ej, fl, n)
            if self.sources[k] is not None:
                Rk -= self.m * self.sources[k](t)
            Rk -= self.flux_in[k]
            if self.ale is not None:  # moving mesh: -∫(w·∇c_k)φ_i (physics/ale.py)
                a_r, a_c, a_v = self.ale
                Rk -= np.bincount(a_r, a_v * c[k][a_c], n)
                add(off, a_r, off, a_c, -a_v)
            R[off:off + n] = Rk
            add(off, ar, off, ar, self.m * a0)
            add(off, ei, off, ei, dci); add(off, ei, off, ej, dcj)
            add(off, ei, PH, ej, dphij); add(off, ei, PH, ei, -dphij)
            add(off, ej, off, ei, -dci); add(off, ej, off, ej, -dcj)
            add(off, ej, PH, ej, -dphij); add(off, ej, PH, ei, dphij)
        if not self.electroneutral:
            Rp = np.bincount(ei, self.Lam * (phi[ei] - phi[ej]), n) - np.bincount(
                ej, self.Lam * (phi[ei] - phi[ej]), n)
            Rp -= self.qfix
            for k in range(M):
                Rp -= self.m * self.z[k] * c[k]
                add(PH, ar, k * n, ar, -self.m * self.z[k])
            if self.charge_source is not None:
                Rp -= self.m * self.charge_source(t)
            R[PH:PH + n] = Rp
            add(PH, ei, PH, ei, self.Lam); add(PH, ei, PH, ej, -self.Lam)
            add(PH, ej, PH, ej, self.Lam); add(PH, ej, PH, ei, -self.Lam)
        # electrodes
        GO = (M + 1) * n
        for el in self.electrodes:
            nodes, a, k = el["nodes"], el["measure"], el["k"]
            phis = g[el["g"]] if el["g"] is not None else el["bc"].potential_at(t) / self.VT
            kin = electrode_current(el["bc"], phis * self.VT, phi[nodes] * self.VT,
                                    c[k][nodes], el["c_ratio_scale"], self.T)
            ih = kin.i / self.I_scale
            di_dc = kin.di_dc / el["c_ratio_scale"] / self.I_scale  # per scaled c
            di_dphil = -kin.di_deta * self.VT / self.I_scale
            zk = self.z[k]
            R[k * n + nodes] -= a * ih / zk
            add(k * n, nodes, k * n, nodes, -a * di_dc / zk)
            add(k * n, nodes, PH, nodes, -a * di_dphil / zk)
            if el["g"] is not None:
                gi = GO + el["g"]
                at_g = np.zeros(nodes.size, dtype=nodes.dtype)  # gi + 0: the global unknown
                add(k * n, nodes, gi, at_g, a * di_dphil / zk)
                A = el["area"]
                R[gi] = np.sum(a * ih) / A - el["target"](t) / self.I_scale
                add(gi, at_g, k * n, nodes, a * di_dc / A)
                add(gi, at_g, PH, nodes, a * di_dphil / A)
                add(gi, at_g, gi, at_g, -a * di_dphil / A)
        if not indices:
            return R, None, None, np.concatenate(vals)
        return R, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)

    def residual_jacobian(self, u, t, a0, hist, *, lazy=False):
        """Residual and Jacobian (CSR) at *u*; ``lazy=True``: the Jacobian as a callable
        that builds it on its first call (what :func:`ntransport.solve.newton.newton`
        accepts: a rejected line-search trial or the converged iterate builds none)."""
        # the triplets' indices only for a system's first pattern (it is fixed after)
        fresh = self._pattern is None
        R, rows, cols, vals = self.full_terms(u, t, a0, hist, indices=fresh)
        if not fresh and vals.size != self._pattern.ncoo:  # a new structure: never silently
            fresh = True                                    # reuse a pattern of another
            R, rows, cols, vals = self.full_terms(u, t, a0, hist)
        nfull = R.size
        if self.electroneutral:
            R = self.Pr @ R
        if self.dir_idx.size:  # Dirichlet rows: u - u_D
            R[self.dir_idx] = u[self.dir_idx] - self.dir_val
        @functools.cache  # built once, on the first call
        def jacobian():
            if fresh:
                self._pattern = CachedPattern(rows, cols, (nfull, nfull))
            J = self._pattern.matrix(vals)
            if self.electroneutral:
                J = self.Pr @ J @ self.Pc
            J = J.tocsr()
            if self.dir_idx.size:
                J = identity_rows(J, self.dir_idx)
            return J
        return R, (jacobian if lazy else jacobian())


def identity_rows(J, rows):
    """*J* (CSR) with the given rows replaced by rows of the identity, in place where the
    diagonal of every such row is in the pattern (zeros are stored: the pattern, hence
    PARDISO's analysis, stays the same from one Newton iteration to the next); otherwise
    by ``keep J + eye``. In place: 0.9 ms at 150 k unknowns against 19.6 ms for the two
    sparse products."""
    rows = np.asarray(rows, np.intp)
    start, stop = J.indptr[rows], J.indptr[rows + 1]
    lens = stop - start
    pos = np.repeat(start - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + \
        np.arange(int(lens.sum()))
    diag = pos[J.indices[pos] == np.repeat(rows, lens)]
    if diag.size != rows.size or np.unique(rows).size != rows.size:
        keep = np.ones(J.shape[0])
        keep[rows] = 0.0
        return (sp.diags(keep) @ J + sp.diags(1.0 - keep)).tocsr()
    J.data[pos] = 0.0
    J.data[diag] = 1.0
    return J
