r"""The discrete phase-field equations on one mesh, and small field helpers.

:class:`PhaseFieldSystem` holds the scaled P1 geometry of a Domain, the boundary
conditions as node sets, the skeleton's mobility and transport factors and the sparsity
pattern of the Jacobian (computed once per mesh: every re-assembly is one
``np.bincount``); :meth:`PhaseFieldSystem.equations` returns the residual and the exact
Jacobian of :mod:`ntransport.physics.phasefield_forms` at an iterate. The helpers locate
the xi = 1/2 contour, measure the deposit and check that the mesh resolves the interface.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MeshError
from ..geometry.boxes import longest_edges
from ..geometry.domain import Domain
from ..geometry.mesh_checks import simplex_det
from ..physics.phasefield_forms import (allen_cahn_local, edge_transport, element_mean_h,
                                        gradient_energy, p1_mesh)
from .assembly import CSRPattern

if TYPE_CHECKING:  # the annotation only (phasefield imports this module)
    from .phasefield import PhaseFieldProblem

__all__ = ["PhaseFieldSystem", "check_initial_field", "check_interface_resolution",
           "interface_points", "tip_height", "deposit_area", "transfer_nodal"]


def check_initial_field(xi0, n: int) -> np.ndarray:
    """Return `xi0` as a float array of length `n`, or raise if outside [0, 1]."""
    xi0 = np.asarray(xi0, dtype=float)
    if xi0.shape != (n,):
        raise ValueError(f"xi0 must have one value per mesh node ({n},), got {xi0.shape}.")
    if not np.all(np.isfinite(xi0)):
        raise ValueError("xi0 contains NaN or inf values.")
    lo, hi = float(xi0.min()), float(xi0.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"xi0 must lie in [0, 1] (0 electrolyte, 1 Li metal), got values "
                         f"in [{lo:.6g}, {hi:.6g}]; clip it with np.clip(xi0, 0, 1).")
    return xi0


def check_interface_resolution(domain: Domain, xi, width: float, *,
                               elements_across: int = 4) -> None:
    """Raise MeshError unless elements holding the interface (0.02 < xi < 0.98 on the
    element) have longest edges <= ``width/elements_across`` [m]."""
    h_req = width / elements_across
    xe = np.asarray(xi)[domain.mesh.t]
    at = (xe.max(axis=0) > 0.02) & (xe.min(axis=0) < 0.98)
    if not at.any():
        return
    h = longest_edges(domain)[at].max()
    if h > h_req * (1 + 1e-9):
        raise MeshError(
            f"interface unresolved by the mesh: elements holding the interface are up to "
            f"h = {h * 1e6:.4g} um long, but the diffuse interface (10-90 % width "
            f"2 artanh(0.8) sqrt(2 kappa_min/W) = {width * 1e6:.4g} um) needs >= "
            f"{elements_across} elements across: refine there to element size <= "
            f"{h_req * 1e6:.4g} um.")


def interface_points(domain_or_mesh, xi, level: float = 0.5) -> np.ndarray:
    """(2, n) points where the P1 field crosses `level` on mesh edges (mesh units)."""
    mesh = getattr(domain_or_mesh, "mesh", domain_or_mesh)
    xi = np.asarray(xi)
    a, b = mesh.facets if mesh.dim() == 2 else mesh.edges
    fa, fb = xi[a] - level, xi[b] - level
    cut = fa * fb < 0
    s = fa[cut] / (fa[cut] - fb[cut])
    return mesh.p[:, a[cut]] + s * (mesh.p[:, b[cut]] - mesh.p[:, a[cut]])


def tip_height(domain, xi) -> float:
    """Highest y of the xi = 1/2 contour [m] (0 if there is none)."""
    pts = interface_points(domain, xi)
    return float(pts[1].max()) if pts.shape[1] else 0.0


def deposit_area(domain, xi) -> float:
    r""":math:`\int\xi\,dA` [m2 per m depth] (exact for P1)."""
    m = domain.mesh if hasattr(domain, "mesh") else domain
    det = simplex_det(m.p, m.t)
    return float(np.sum(0.5 * np.abs(det) * np.asarray(xi)[m.t].mean(axis=0)))


def _boundary_nodes(domain: Domain, name: str) -> np.ndarray:
    return np.unique(domain.mesh.facets[:, domain.facets(name)].ravel())


# ---------------------------------------------------------------- the discrete system
class PhaseFieldSystem:
    """The discrete equations of one problem on one domain (rebuilt on a remesh)."""

    def __init__(self, problem: PhaseFieldProblem, domain: Domain):
        sp = problem.scaled
        self.p, self.domain = sp, domain
        mesh = domain.mesh
        self.m = m = p1_mesh(mesh.p / sp.length, mesh.t)
        n, nel = m.n, m.nel
        self.n = n
        skel = np.zeros(nel, bool)
        for name in problem.skeleton:
            if name in domain.region_names:
                skel[domain.elements(name)] = True
        self.mobility = (~skel).astype(float)
        self.liquid = np.where(skel, problem.skeleton_factor, 1.0)
        self.lumped = m.lumped
        d1 = 3
        self.lumped_mobile = np.bincount(m.t.ravel(), weights=np.repeat(
            (m.vol * self.mobility / d1)[None, :], d1, 0).ravel(), minlength=n)
        self.ratio = (1.0 - sp.t_plus) / sp.t_plus  # D-/D+
        self.metal = float(problem.metal_potential)
        # boundary conditions
        self.neumann = np.zeros(n)
        for name, i_in in problem.current.items():
            f = mesh.facets[:, domain.facets(name)]
            L = np.linalg.norm(mesh.p[:, f[0]] - mesh.p[:, f[1]], axis=0) / sp.length
            val = float(i_in) * sp.length / sp.conductivity  # scaled current density [V]
            np.add.at(self.neumann, f[0], 0.5 * L * val)
            np.add.at(self.neumann, f[1], 0.5 * L * val)
        dofs, vals = [], []
        self.phi_nodes = {}
        for name, v in problem.concentration.items():
            nodes = _boundary_nodes(domain, name)
            dofs.append(n + nodes)
            vals.append(np.full(nodes.size, float(v) / sp.c0))
        for name, v in problem.potential.items():
            nodes = _boundary_nodes(domain, name)
            self.phi_nodes[name] = nodes
            dofs.append(2 * n + nodes)
            vals.append(np.full(nodes.size, float(v)))
        self.fixed = np.concatenate(dofs).astype(np.int64) if dofs else np.zeros(0, np.int64)
        self.fixed_values = np.concatenate(vals) if vals else np.zeros(0)
        self.c_fixed = np.concatenate([d - n for d in dofs[:len(problem.concentration)]]) \
            if problem.concentration else np.zeros(0, np.int64)
        self._pattern()

    # -------------------------------------------------------------- sparsity pattern
    def _pattern(self):
        """Sparsity pattern of the Jacobian over the solved unknowns, built once per mesh.

        Triplet groups, in the order :meth:`equations` fills them: the gradient-energy
        element blocks; nodal couplings; the edge fluxes in the rows of R_c (anion) and
        R_phi (charge) against the columns c_a, c_b, phi_a, phi_b; the xi-derivatives of
        the edge coefficients, one (3 x 3) block per element and row field. A single-ion
        conductor (t+ = 1) keeps c = c0 exactly (m dc/dt = 0), so c is not solved for and
        its rows and columns are left out. Dirichlet rows are set on the CSR values
        (positions found here): zeros, 1 on the diagonal.
        """
        m, n = self.m, self.n
        t, (ea, eb) = m.t, m.edges
        self.salt = self.ratio > 0.0
        X, C, P = 0, n, 2 * n
        active = np.ones(3 * n, bool)
        if not self.salt:
            active[C:C + n] = False
        self.active = np.nonzero(active)[0]
        red = np.full(3 * n, -1, np.int64)
        red[self.active] = np.arange(self.active.size)
        rows, cols = [], []

        def add(r, c):
            rows.append(red[np.asarray(r).ravel()])
            cols.append(red[np.asarray(c).ravel()])

        kr = np.repeat(t[:, None, :], 3, axis=1)  # (3 row nodes, 3 column nodes, nel)
        kc = np.repeat(t[None, :, :], 3, axis=0) + X
        add(kr + X, kc)
        node = np.arange(n)
        self._nodal = ((X, X), (X, C), (X, P), (C, C), (P, P), (P, X)) if self.salt \
            else ((X, X), (X, P), (P, P), (P, X))
        for r0, c0 in self._nodal:
            add(node + r0, node + c0)
        self._ecols = ((ea + C, eb + C, ea + P, eb + P) if self.salt else (ea + P, eb + P))
        self._erows = (C, P) if self.salt else (P,)
        for r0 in self._erows:
            for end in (ea, eb):
                for col in self._ecols:
                    add(end + r0, col)
        for r0 in self._erows:
            add(kr + r0, kc)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        na = self.active.size
        self.pattern = pat = CSRPattern(rows, cols, (na, na))
        # Dirichlet rows: the CSR positions of their entries and of their diagonals
        fixed = red[self.fixed[active[self.fixed]]]
        lo, hi = pat.indptr[fixed], pat.indptr[fixed + 1]
        span = hi - lo
        self._zero = (np.repeat(lo - np.cumsum(span) + span, span)
                      + np.arange(int(span.sum()))).astype(np.int64)
        on_diag = pat.indices[self._zero] == np.repeat(fixed, span)
        self._fixed_diag = self._zero[on_diag]

    # -------------------------------------------------------------- equations
    def equations(self, u, rate_xi, rate_c, d_rate, *, shift=None, noise=None, raw=False,
                  lazy=False):
        """Residual and Jacobian (CSR) over the solved unknowns at *u* (the full
        ``(xi, c, phi)`` vector); ``rate_*`` are the time derivatives the integrator
        gives (their derivative with respect to u is ``d_rate``). With ``raw=True`` the
        full residual is returned before the Dirichlet rows are replaced (what flows
        through the boundaries) and no Jacobian is built; with ``lazy=True`` the Jacobian
        comes as a callable that builds it on its first call (what
        :func:`ntransport.solve.newton.newton` accepts)."""
        p, m, n = self.p, self.m, self.n
        xi, c, phi = u[:n], u[n:2 * n], u[2 * n:]
        ea, eb = m.edges
        hbar, dhbar = element_mean_h(m, xi)
        Dp = p.D_e * hbar + p.D_l * self.liquid * (1 - hbar)
        dDp = (p.D_e - p.D_l * self.liquid)[None, :] * dhbar  # (3, nel)
        psi = p.f * phi
        gc = p.gamma_c
        Fp, dpi, dpj, dpp, qp = edge_transport(m, Dp, +1.0, c, psi)
        if self.salt:
            Fm, dmi, dmj, dmp, qm = edge_transport(m, self.ratio * Dp, -1.0, c, psi)
            Fq = gc * (Fp - Fm)  # ionic current on edges (scaled)
        else:
            Fm, Fq = 0.0, gc * Fp
        # overpotential eta = phi_metal - phi (- stress shift)
        r_x, dxx, dxc, dxp = allen_cahn_local(xi, rate_xi, self.metal - phi, c, p,
                                              lumped=self.lumped,
                                              lumped_mobile=self.lumped_mobile, shift=shift,
                                              noise=noise)
        r_g, K = gradient_energy(m, xi, p, self.mobility)
        r_x = r_x + r_g
        r_c = self.lumped * rate_c
        if self.salt:
            r_c = r_c + np.bincount(ea, Fm, n) - np.bincount(eb, Fm, n)
        r_p = (np.bincount(ea, Fq, n) - np.bincount(eb, Fq, n)
               + p.gamma * self.lumped * rate_xi - self.neumann)
        r = np.concatenate([r_x, r_c, r_p])
        if raw:
            return r
        r[self.fixed] = u[self.fixed] - self.fixed_values
        r = r[self.active]
        @functools.cache  # built once, on the first call
        def jacobian():
            f = p.f
            nodal = {(0, 0): dxx + self.lumped * d_rate, (0, 1): dxc, (0, 2): -dxp,
                     (1, 1): self.lumped * d_rate, (2, 2): np.zeros(n),
                     (2, 0): p.gamma * self.lumped * d_rate}
            vals = [K.ravel()] + [nodal[(r0 // n, c0 // n)] for r0, c0 in self._nodal]
            if self.salt:
                cblk = (dmi, dmj, -f * dmp, f * dmp)
                pblk = (gc * (dpi - dmi), gc * (dpj - dmj), gc * f * (dmp - dpp),
                        gc * f * (dpp - dmp))
                # xi-derivatives through D_T (the anion's D is ratio * D+)
                blocks, xder = (cblk, pblk), (self.ratio * qm, gc * (qp - self.ratio * qm))
            else:
                blocks, xder = ((-gc * f * dpp, gc * f * dpp),), (gc * qp,)
            for blk in blocks:
                vals.extend(blk)
                vals.extend(-v for v in blk)
            for q in xder:
                vals.append((q[:, None, :] * dDp[None, :, :]).ravel())
            A = self.pattern.assemble(np.concatenate(vals))
            A.data[self._zero] = 0.0
            A.data[self._fixed_diag] = 1.0
            return A
        # lazy: the Jacobian only when the caller asks for it (a line-search trial that
        # is rejected, a chord step and the converged iterate do not)
        return r, (jacobian if lazy else jacobian())

    def expand(self, ur, template):
        """Full unknown vector (xi, c, phi) from the solved ones (c from *template*)."""
        if ur.size == template.size:
            return ur
        u = template.copy()
        u[self.active] = ur
        return u

    # -------------------------------------------------------------- diagnostics
    def li_inventory(self, u) -> float:
        """Ions + metal [scaled: c0 l0^2]."""
        n = self.n
        return float(self.lumped @ (u[n:2 * n] + self.p.cs_c0 * u[:n]))


def transfer_nodal(old: Domain, new: Domain, u_old, nfields: int):
    """P1 interpolation of *nfields* stacked nodal fields from *old* to *new*."""
    from .transfer import evaluate_p1

    n_old, n_new = old.mesh.nvertices, new.mesh.nvertices
    out = np.empty(nfields * n_new)
    # nodes of the new mesh that are nodes of the old one keep their values exactly
    po, pn = old.mesh.p, new.mesh.p
    scale = max(float(np.ptp(po)), 1e-300)
    ko = np.round(po.T / scale, 10)
    kn = np.round(pn.T / scale, 10)
    index = {tuple(r): i for i, r in enumerate(ko)}
    same = np.array([index.get(tuple(r), -1) for r in kn])
    hit = same >= 0
    for k in range(nfields):
        vals = np.asarray(u_old[k * n_old:(k + 1) * n_old])
        f = np.empty(n_new)
        f[hit] = vals[same[hit]]
        if (~hit).any():
            f[~hit] = evaluate_p1(po, old.mesh.t, vals, pn[:, ~hit])
        out[k * n_new:(k + 1) * n_new] = f
    return out


