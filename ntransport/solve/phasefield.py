r"""The phase-field model of Li electrodeposition on a Domain in metres.

:class:`PhaseFieldProblem` holds what to solve: a :class:`~ntransport.geometry.Domain`
(SI lengths, named regions such as ``"PEO"`` and ``"PE"``), a parameter set (SI
:class:`~ntransport.physics.phasefield_params.PhaseFieldParameters` or a normalised
:class:`~ntransport.physics.phasefield_params.ScaledParameters` carrying its own SI
scales), boundary conditions in SI (potential [V], inward current density [A m-2],
salt concentration [mol m-3]) and options (skeleton regions, mechanics, noise, band
remeshing). Scaling happens inside: lengths by ``params.length``, times by
``params.time``, concentrations by ``c0``; the potential stays in volts.

:func:`run` is a generator of :class:`PhaseFieldState` driven by the one time-step
controller (:func:`ntransport.solve.stepping.bdf_steps`, backward Euler: the order
that keeps the discrete maximum principle of the salt, hence c >= 0), each step solved
by the one Newton (:func:`ntransport.solve.newton.newton`) on the exact Jacobian of
:mod:`ntransport.physics.phasefield_forms`, assembled on a sparsity pattern computed
once per mesh, with one :class:`~ntransport.solve.linear.DirectSolver` per run
(PARDISO keeps its symbolic analysis while the mesh holds). :func:`solve` collects a
:class:`~ntransport.solution.Solution` (frames at stop times, per-step histories) and
saves/resumes checkpoints through a :class:`~ntransport.solve.checkpoint.CheckpointStore`.

**Refined band that follows the interface.** With ``remesh=BoxSpec(...)`` the mesh is
fine only below a band top; after every accepted step, if the deposit (nodes with
:math:`\xi > 0.02`) comes within ``remesh_margin`` of the band top, the box is rebuilt
with the band raised by ``remesh_step`` and the fields are interpolated onto it (the
fine nodes of the old band are nodes of the new mesh, so the deposit is carried
exactly; only the smooth electrolyte fields of the coarse part are interpolated). The
time integrator restarts at that state. A run so reaches the far side of the cell.

**Mechanics** (optional, :class:`~ntransport.physics.phasefield_mechanics.Mechanics`):
after every accepted step the plane-strain eigenstrain problem is solved for the new
:math:`\xi` (:mod:`ntransport.solve.phasefield_mechanics`); the next step uses the
hydrostatic stress through the overpotential shift :math:`\Delta V\sigma_h/F` (operator
splitting, lagged one step; its dependence on :math:`\xi` is not in the Jacobian).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ConfigError, ConvergenceError, MeshError, check_positive, suggest
from ..geometry.boxes import BoxSpec, longest_edges
from ..geometry.domain import Domain
from ..physics.phasefield_forms import (allen_cahn_local, edge_transport, element_mean_h,
                                        gradient_energy, p1_mesh)
from ..physics.phasefield_mechanics import Mechanics, overpotential_shift
from ..physics.phasefield_params import (PhaseFieldParameters, ScaledParameters,
                                         interface_width, nondimensionalise)
from .assembly import CSRPattern
from .linear import DirectSolver
from .newton import newton
from .stepping import StepperState, bdf_steps, restarted

__all__ = ["PhaseFieldProblem", "PhaseFieldState", "run", "solve", "scaled_parameters",
           "check_initial_field", "check_interface_resolution", "interface_points",
           "tip_height", "deposit_area"]

log = logging.getLogger(__name__)

XI_TAIL = 0.02  # the interface (the part that must be resolved) starts here


def scaled_parameters(params) -> ScaledParameters:
    """The scaled set the model works with: a ScaledParameters as it is; an SI set
    scaled by l0 = 1 um, t0 = 1 s, sigma0 = 1 S/m and E0 = W (the units of the MOOSE
    set, so both sets give numbers of the same size)."""
    if isinstance(params, ScaledParameters):
        return params
    if isinstance(params, PhaseFieldParameters):
        return nondimensionalise(params, length=1e-6, time=1.0, conductivity=1.0)
    raise ConfigError(f"params must be a PhaseFieldParameters (SI) or ScaledParameters, got "
                      f"{type(params).__name__}.")


@dataclass(frozen=True, eq=False)
class PhaseFieldProblem:
    """What to solve (SI inputs; see the module docstring).

    Parameters
    ----------
    domain : Domain
        2D triangles in metres with named boundaries (e.g. from
        :func:`ntransport.geometry.boxes.box`: ``anode``, ``cathode``, ``sides``).
    params : PhaseFieldParameters or ScaledParameters
    metal_potential : float
        Potential of the Li metal [V] (equipotential: sigma_e = 1e7 S/m drops < 1 uV
        across a micrometre cell), against the electrolyte reference of `potential`;
        0 for a galvanostatic run (then the electrolyte potential is measured against
        the metal).
    potential : mapping boundary -> electrolyte potential [V] (Dirichlet), e.g. 0 at
        the far side of the cell (a Li reference in the bulk).
    current : mapping boundary -> inward ionic current density [A m-2] (Neumann).
    concentration : mapping boundary -> salt concentration [mol m-3] (Dirichlet).
    skeleton : tuple of subdomain names
        Inert skeleton (PE filaments): no Li grows into it and the electrolyte
        transport there is multiplied by `skeleton_factor`.
    skeleton_factor : float in (0, 1]
        1 leaves the skeleton transparent; 1e-4 makes it blocking.
    noise : float
        Amplitude of the Langevin term :math:`A\\zeta h'(\\xi)/\\sqrt{\\Delta t}` (scaled
        time), 0 to switch off; ``seed`` makes it reproducible (also after a resume).
    mechanics : Mechanics or None
    remesh : BoxSpec or None
        Rebuild the box with a taller fine band as the deposit grows (the domain must
        be ``remesh.build(band)`` for some band).
    remesh_margin, remesh_step : float
        Distance [m] of the deposit from the band top that triggers a remesh, and the
        band increment [m] (defaults: 2 and 8 interface widths).
    """

    domain: Domain
    params: PhaseFieldParameters | ScaledParameters
    metal_potential: float = 0.0
    potential: Mapping[str, float] = field(default_factory=dict)
    current: Mapping[str, float] = field(default_factory=dict)
    concentration: Mapping[str, float] = field(default_factory=dict)
    skeleton: tuple = ()
    skeleton_factor: float = 1e-4
    noise: float = 0.0
    seed: int = 0
    mechanics: Mechanics | None = None
    remesh: BoxSpec | None = None
    remesh_margin: float | None = None
    remesh_step: float | None = None

    def __post_init__(self):
        if not isinstance(self.domain, Domain):
            raise ConfigError(f"domain must be an ntransport Domain holding a 2D mesh in metres, "
                              f"got {type(self.domain).__name__}; build one with "
                              "ntransport.geometry.boxes.box(...) (or boxes.column for 1D).")
        if self.domain.dim != 2:
            raise ConfigError(f"the phase-field model needs a 2D mesh, got a {self.domain.dim}D "
                              "domain.")
        object.__setattr__(self, "scaled", scaled_parameters(self.params))
        names = set(self.domain.boundaries)
        for arg in ("potential", "current", "concentration"):
            for name, v in getattr(self, arg).items():
                if name not in names:
                    raise ConfigError(f"{arg}: boundary {name!r} not found in the domain."
                                      f"{suggest(name, names)}")
                if not math.isfinite(float(v)):
                    raise ConfigError(f"{arg}[{name!r}] must be finite, got {v!r}.")
        if not math.isfinite(float(self.metal_potential)):
            raise ConfigError(f"metal_potential must be finite, got {self.metal_potential!r}.")
        both = set(self.potential) & set(self.current)
        if both:
            raise ConfigError(f"boundary {sorted(both)} has both a potential and a current "
                              "condition; give one of them.")
        for name, v in self.concentration.items():
            if float(v) < 0:
                raise ConfigError(f"concentration[{name!r}] must be >= 0 mol m-3, got {v!r}.")
        if isinstance(self.skeleton, str):
            raise ConfigError(f"skeleton must be a tuple of subdomain names, got the string "
                              f"{self.skeleton!r}; write ({self.skeleton!r},).")
        object.__setattr__(self, "skeleton", tuple(self.skeleton))
        for name in self.skeleton:
            if name not in self.domain.region_names:
                raise ConfigError(f"skeleton: subdomain {name!r} not found in the domain."
                                  f"{suggest(name, self.domain.region_names)}")
        if not (0.0 < self.skeleton_factor <= 1.0):
            raise ConfigError(f"skeleton_factor must lie in (0, 1], got "
                              f"{self.skeleton_factor!r} (use 1e-4 for a blocking skeleton).")
        check_positive(self.noise, name="noise", allow_zero=True, exc=ConfigError)
        if self.mechanics is not None:
            if not isinstance(self.mechanics, Mechanics):
                raise ConfigError(f"mechanics must be a Mechanics(...) or None, got "
                                  f"{type(self.mechanics).__name__}.")
            for arg in ("clamped", "rollers"):
                for name in getattr(self.mechanics, arg):
                    if name not in names:
                        raise ConfigError(f"mechanics.{arg}: boundary {name!r} not found in "
                                          f"the domain.{suggest(name, names)}")
            for name in self.mechanics.fixed_regions:
                if name not in self.domain.region_names:
                    raise ConfigError(f"mechanics.fixed_regions: subdomain {name!r} not found."
                                      f"{suggest(name, self.domain.region_names)}")
        if self.remesh is not None and not isinstance(self.remesh, BoxSpec):
            raise ConfigError(f"remesh must be a geometry.boxes.BoxSpec or None, got "
                              f"{type(self.remesh).__name__}.")
        w = interface_width(self.scaled) * self.scaled.length
        if self.remesh_margin is None:
            object.__setattr__(self, "remesh_margin", 2.0 * w)
        if self.remesh_step is None:
            object.__setattr__(self, "remesh_step", 8.0 * w)

    @property
    def interface_width(self) -> float:
        """10--90 % width of the diffuse interface [m]."""
        return interface_width(self.scaled) * self.scaled.length


@dataclass(frozen=True, eq=False)
class PhaseFieldState:
    """One accepted step: the stepper state (scaled time and unknowns), the domain it
    lives on, SI fields and what happened at the boundaries during the step.

    ``boundary_current`` maps each Dirichlet-potential boundary to the current that
    entered the domain through it [A per m depth]; ``li_inflow`` is the Li entering
    through the boundaries [mol m-1 s-1] and ``li_rate`` the rate of change of the Li
    inventory (ions + metal) [mol m-1 s-1] -- equal to round-off (a conservative scheme).
    """

    stepper: StepperState
    domain: Domain
    time_unit: float
    c0: float
    stress: np.ndarray | None = None
    boundary_current: Mapping = field(default_factory=dict)
    li_inflow: float = 0.0
    li_rate: float = 0.0

    @property
    def t(self) -> float:
        return self.stepper.t * self.time_unit

    @property
    def n(self) -> int:
        return self.domain.mesh.nvertices

    @property
    def xi(self) -> np.ndarray:
        return self.stepper.u[:self.n]

    @property
    def c(self) -> np.ndarray:
        """Salt (= Li+) concentration [mol m-3]."""
        return self.stepper.u[self.n:2 * self.n] * self.c0

    @property
    def phi(self) -> np.ndarray:
        return self.stepper.u[2 * self.n:]

    @property
    def event(self):
        return self.stepper.event


# ---------------------------------------------------------------- small geometry helpers
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
    p, t = m.p, m.t
    det = ((p[0, t[1]] - p[0, t[0]]) * (p[1, t[2]] - p[1, t[0]])
           - (p[0, t[2]] - p[0, t[0]]) * (p[1, t[1]] - p[1, t[0]]))
    return float(np.sum(0.5 * np.abs(det) * np.asarray(xi)[t].mean(axis=0)))


def _boundary_nodes(domain: Domain, name: str) -> np.ndarray:
    return np.unique(domain.mesh.facets[:, domain.facets(name)].ravel())


# ---------------------------------------------------------------- the discrete system
class _System:
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
        the edge coefficients. A single-ion conductor (t+ = 1) keeps c = c0 exactly
        (m dc/dt = 0), so c is not solved for and its rows and columns are left out.
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

        add(np.repeat(t.T[:, :, None], 3, axis=2) + X, np.repeat(t.T[:, None, :], 3, axis=1) + X)
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
        ge = m.elem_edge.T  # (nel, 3) global edge of each local edge
        kc = np.repeat(t.T[:, None, :], 3, axis=1) + X  # (nel, 3 edges, 3 nodes)
        for r0 in self._erows:
            for end in (ea[ge], eb[ge]):
                add(np.repeat(end[:, :, None], 3, axis=2) + r0, kc)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        na = self.active.size
        self.pattern = CSRPattern(rows, cols, (na, na))
        # Dirichlet rows: zero the row, 1 on the diagonal (nodal diagonal triplets)
        fixed_row = np.zeros(na, bool)
        fixed = self.fixed[active[self.fixed]]
        fixed_row[red[fixed]] = True
        self._zero = fixed_row[rows]
        start = 9 * m.nel
        pos = {}
        for k, (r0, c0) in enumerate(self._nodal):
            if r0 == c0:
                pos[r0] = start + k * n
        self._fixed_diag = np.array([pos[(d // n) * n] + d % n for d in fixed], np.int64)

    # -------------------------------------------------------------- equations
    def equations(self, u, rate_xi, rate_c, d_rate, *, shift=None, noise=None, raw=False):
        """Residual and Jacobian (CSR) over the solved unknowns at *u* (the full
        ``(xi, c, phi)`` vector); ``rate_*`` are the time derivatives the integrator
        gives (their derivative with respect to u is ``d_rate``). With ``raw=True`` the
        full residual is returned before the Dirichlet rows are replaced (what flows
        through the boundaries) and no Jacobian is built."""
        p, m, n = self.p, self.m, self.n
        xi, c, phi = u[:n], u[n:2 * n], u[2 * n:]
        ea, eb = m.edges
        hbar, dhbar = element_mean_h(m, xi)
        Dp = p.D_e * hbar + p.D_l * self.liquid * (1 - hbar)
        dDp = (p.D_e - p.D_l * self.liquid)[:, None] * dhbar
        psi = p.f * phi
        gc = p.gamma_c
        Fp, dpi, dpj, dpp, dpx = edge_transport(m, Dp, dDp, +1.0, c, psi)
        if self.salt:
            Fm, dmi, dmj, dmp, dmx = edge_transport(m, self.ratio * Dp, self.ratio * dDp, -1.0,
                                                    c, psi)
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
        f = p.f
        nodal = {(0, 0): dxx + self.lumped * d_rate, (0, 1): dxc, (0, 2): -dxp,
                 (1, 1): self.lumped * d_rate, (2, 2): np.zeros(n),
                 (2, 0): p.gamma * self.lumped * d_rate}
        vals = [K.ravel()] + [nodal[(r0 // n, c0 // n)] for r0, c0 in self._nodal]
        if self.salt:
            cblk = (dmi, dmj, -f * dmp, f * dmp)
            pblk = (gc * (dpi - dmi), gc * (dpj - dmj), gc * f * (dmp - dpp),
                    gc * f * (dpp - dmp))
            blocks, xder = (cblk, pblk), (dmx, gc * (dpx - dmx))
        else:
            blocks, xder = ((-gc * f * dpp, gc * f * dpp),), (gc * dpx,)
        for blk in blocks:
            vals.extend(blk)
            vals.extend(-v for v in blk)
        for d in xder:
            vals.extend((d.ravel(), -d.ravel()))
        v = np.concatenate(vals)
        v[self._zero] = 0.0
        v[self._fixed_diag] = 1.0
        return r, self.pattern.assemble(v)

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


def _locate_values(old: Domain, new: Domain, u_old, nfields: int):
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


# ---------------------------------------------------------------- the run
def _initial_vector(problem, system, xi0, c0, phi0):
    n = system.n
    sp = problem.scaled
    xi = check_initial_field(xi0(system.domain) if callable(xi0) else xi0, n)
    c = np.broadcast_to(np.asarray(sp.c0 if c0 is None else c0, float) / sp.c0, (n,)).copy()
    phi = np.zeros(n) if phi0 is None else np.broadcast_to(np.asarray(phi0, float), (n,)).copy()
    if np.any(c < 0):
        raise ValueError("c0 must be >= 0 mol m-3 everywhere.")
    u = np.concatenate([xi, c, phi])
    u[system.fixed] = system.fixed_values
    return u


def run(problem: PhaseFieldProblem, xi0, *, t_end: float, dt: float, c0=None, phi0=None,
        start: StepperState | None = None, domain: Domain | None = None,
        stop_times=(), stop_height: float | None = None, rtol: float = 0.0,
        atol: float = 0.05, max_dxi: float = 0.5, dt_max: float | None = None,
        dt_min: float | None = None, tol: float = 1e-7, maxiter: int = 25,
        max_steps: int = 100_000, check_resolution: bool = True, progress=None,
        solver=None, elastic_solver=None) -> Iterator[PhaseFieldState]:
    """Integrate from t = 0 (or from `start`) to `t_end` [s], yielding every accepted step.

    Parameters
    ----------
    problem : PhaseFieldProblem
    xi0 : array (nnodes,) or callable ``domain -> array``
        Initial order parameter in [0, 1] (a callable is also the stress-free reference
        of the mechanics on every remeshed box).
    t_end, dt : float
        Final time and first step [s].
    c0, phi0 : float or array
        Initial salt concentration [mol m-3] (default the set's c0) and potential [V];
        Dirichlet values override.
    start, domain : StepperState, Domain
        Resume from a saved state (scaled units, as checkpointed) on its domain.
    stop_times : sequence of float
        Times [s] the integrator lands on exactly (snapshots).
    stop_height : float, optional
        End the run (event) once the xi = 1/2 contour reaches this height [m].
    rtol, atol : float
        Local error tolerance on xi (weighted max-norm of the BDF1 estimate).
    max_dxi : float
        A step changing xi by more than this at any node is rejected and halved.
    tol, maxiter : Newton tolerance (max-norm of the update) and iteration limit.
    solver, elastic_solver : DirectSolver, optional
        Linear solvers of the Newton iteration and of the elasticity; pass the same
        ones to several runs to keep one PARDISO handle each (default: new ones).

    Raises
    ------
    ValueError : `xi0` outside [0, 1] or of the wrong size.
    MeshError : the interface is (or becomes) unresolved.
    ConvergenceError : a step fails below the minimum step size.
    StepLimitError : more than `max_steps` steps.
    """
    sp = problem.scaled
    t0 = sp.time
    check_positive(t_end, name="t_end")
    check_positive(dt, name="dt")
    width = problem.interface_width
    dom = domain if domain is not None else problem.domain
    ctx = _RunContext(problem, dom, xi0, solver, elastic_solver)
    if start is None:
        u0 = _initial_vector(problem, ctx.system, xi0, c0, phi0)
        start = StepperState(t=0.0, u=u0, dt=dt / t0)
    elif start.u.size != 3 * dom.mesh.nvertices:
        raise ConfigError(f"start state has {start.u.size} unknowns but the domain "
                          f"{3 * dom.mesh.nvertices}; pass the domain it was saved on.")
    if check_resolution:
        check_interface_resolution(dom, start.u[:dom.mesh.nvertices], width)
    rng_seed = int(problem.seed)
    ctx.update_stress(start.u)

    def step_solver(guess, t_new, a0h, hist):
        s = ctx.system
        n = s.n
        u_n = -hist / a0h  # backward Euler: hist = -u_n/h
        shift = None if ctx.stress is None else overpotential_shift(ctx.stress, problem.mechanics)
        noise = None
        if problem.noise > 0:  # keyed by the time: the same numbers after a resume
            key = int(np.float64(t_new).view(np.int64)) & 0x7FFFFFFFFFFFFFFF
            noise = problem.noise * math.sqrt(a0h) * \
                np.random.default_rng([rng_seed, key]).standard_normal(n)

        def fun(ur):
            u = s.expand(ur, guess)
            return s.equations(u, a0h * u[:n] + hist[:n], a0h * u[n:2 * n] + hist[n:2 * n],
                               a0h, shift=shift, noise=noise)

        def limit(u, du):  # Butler-Volmer is exponential in phi: cap f|d phi| and |d xi|
            mx = np.abs(du[:n]).max()
            mp = sp.f * np.abs(du[-n:]).max()
            return min(1.0, 0.5 / max(mx, 1e-300), 8.0 / max(mp, 1e-300))

        res = newton(fun, guess[s.active], tol=tol, maxiter=maxiter, solver=ctx.solver,
                     step_limit=limit)
        u = s.expand(res.u, guess)
        xi = u[:n]
        if xi.min() < -0.05 or xi.max() > 1.05:
            raise ConvergenceError(f"xi left [-0.05, 1.05] ([{xi.min():.3g}, {xi.max():.3g}])")
        dxi = float(np.abs(xi - u_n[:n]).max())
        if dxi > max_dxi:
            raise ConvergenceError(f"xi changed by {dxi:.3g} > max_dxi = {max_dxi:g} in one step")
        return u, res.iterations

    def after_step(state):
        ctx.record_boundaries(state)
        if check_resolution:
            check_interface_resolution(ctx.system.domain, state.u[:ctx.system.n], width)
        ctx.update_stress(state.u)
        return state

    def remesh_due(state):
        return _REMESH if ctx.remesh_band(state.u) is not None else None

    def reached(state):
        s = ctx.system
        y = tip_height(s.domain, state.u[:s.n])
        return (f"the deposit reached y = {y * 1e6:.4g} um >= {stop_height * 1e6:.4g} um"
                if y >= stop_height else None)

    events = [remesh_due] + ([reached] if stop_height is not None else [])
    state, taken = start, 0
    while True:
        new_band = ctx.remesh_band(state.u)
        if new_band is not None:
            state = ctx.remesh(state, new_band)
        n = ctx.system.n
        mask = np.zeros(3 * n, bool)
        mask[:n] = True  # local error of xi only (c and phi follow it)
        steps = bdf_steps(step_solver, state, t_end / t0, order=1, adaptive=True, rtol=rtol,
                          atol=atol, dt_min=None if dt_min is None else dt_min / t0,
                          dt_max=None if dt_max is None else dt_max / t0, weight_mask=mask,
                          max_steps=max_steps - taken,
                          stop_times=[x / t0 for x in stop_times], events=events,
                          after_step=after_step, progress=progress, time_unit=t0)
        state = None
        for state in steps:
            taken += 1
            remesh_next = state.event == _REMESH
            if remesh_next:
                state = replace(state, event=None)
            yield ctx.state(state)
            if state.event is not None:
                return
            if remesh_next:
                break
        else:
            return


_REMESH = "__remesh__"


class _RunContext:
    """Mutable state of one run: the current system (rebuilt on a remesh), the linear
    solver, the mechanics and the boundary bookkeeping of the last step."""

    def __init__(self, problem, domain, xi0, solver, elastic_solver=None):
        self.problem = problem
        self.system = _System(problem, domain)
        self.solver = solver if solver is not None else DirectSolver()
        self.elastic_solver = elastic_solver
        self.xi0 = xi0
        self.stress = None
        self.diag = ({}, 0.0, 0.0)
        self.elastic = None
        self._ref = None
        if problem.mechanics is not None:
            self._new_elastic(domain)
            if not callable(xi0):
                self._ref = check_initial_field(xi0, domain.mesh.nvertices)

    def _new_elastic(self, domain):
        from .phasefield_mechanics import ElasticitySolver

        if self.elastic_solver is None:
            self.elastic_solver = DirectSolver()
        self.elastic = ElasticitySolver(domain, self.problem.mechanics,
                                        length=self.problem.scaled.length,
                                        solver=self.elastic_solver)

    def xi_ref(self, domain):
        return self.xi0(domain) if callable(self.xi0) else self._ref

    def update_stress(self, u):
        if self.elastic is None:
            return
        s = self.system
        self.stress = self.elastic.solve(u[:s.n], xi_ref=self.xi_ref(s.domain)).stress

    def record_boundaries(self, state):
        """Boundary currents and the Li balance of the step just taken (BE rates)."""
        s, sp = self.system, self.problem.scaled
        n = s.n
        h = state.t - state.t_prev
        rate = (state.u - state.u_prev) / h
        r = s.equations(state.u, rate[:n], rate[n:2 * n], 1.0 / h, raw=True)
        cur = {name: float(r[2 * n + nodes].sum()) * sp.conductivity
               for name, nodes in s.phi_nodes.items()}
        inflow = (float(r[2 * n:].sum()) + float(s.neumann.sum())) / sp.gamma_c
        if s.c_fixed.size:
            inflow += float(r[n + s.c_fixed].sum())
        li_rate = float(s.lumped @ (rate[n:2 * n] + sp.cs_c0 * rate[:n]))
        scale = sp.c0 * sp.length ** 2 / sp.time  # scaled Li rate -> mol m-1 s-1
        self.diag = (cur, inflow * scale, li_rate * scale)

    def remesh_band(self, u):
        """The new band top [m] if the deposit comes within the margin of the band top."""
        pr = self.problem
        if pr.remesh is None:
            return None
        s = self.system
        band = float(s.domain.info.get("band", pr.remesh.height))
        if band >= pr.remesh.height * (1 - 1e-12):
            return None
        top = s.domain.mesh.p[1, u[:s.n] > XI_TAIL]
        reach = float(top.max()) if top.size else 0.0
        if reach <= band - pr.remesh_margin:
            return None
        return min(pr.remesh.height, reach + pr.remesh_margin + pr.remesh_step)

    def remesh(self, state, band):
        pr, s = self.problem, self.system
        new_dom = pr.remesh.build(band)
        u_new = _locate_values(s.domain, new_dom, state.u, 3)
        new_sys = _System(pr, new_dom)
        u_new[new_sys.fixed] = new_sys.fixed_values
        log.info("t = %.4g s: the deposit nears the band top; band %.3g -> %.3g um (%d nodes)",
                 state.t * pr.scaled.time, s.domain.info.get("band", 0.0) * 1e6, band * 1e6,
                 new_dom.mesh.nvertices)
        if self.elastic is not None:
            if self._ref is not None:
                self._ref = _locate_values(s.domain, new_dom, self._ref, 1)
            self._new_elastic(new_dom)
        self.system = new_sys
        new_state = restarted(state, u_new)
        self.update_stress(new_state.u)
        return new_state

    def state(self, stepper):
        cur, inflow, rate = self.diag
        sp = self.problem.scaled
        return PhaseFieldState(stepper, self.system.domain, sp.time, sp.c0, self.stress, cur,
                               inflow, rate)


# ---------------------------------------------------------------- collecting a Solution
HISTORY_KEYS = ("t [s]", "tip height [m]", "deposited area [m2]", "passed charge [C m-2]",
                "circuit charge [C m-2]", "Li balance error [1]", "c min [mol m-3]",
                "c max [mol m-3]", "dt [s]", "newton iterations [1]")


def _fields(state: PhaseFieldState) -> dict:
    out = {"xi [1]": state.xi, "c_Li+ [mol m-3]": state.c, "phi [V]": state.phi}
    if state.stress is not None:
        out["sigma_h [Pa]"] = state.stress
    return out


def _stress_ahead(state: PhaseFieldState, width: float) -> float:
    """Hydrostatic stress [Pa] one interface width ahead of the tip (electrolyte side)."""
    pts = interface_points(state.domain, state.xi)
    if state.stress is None or pts.shape[1] == 0:
        return 0.0
    k = int(np.argmax(pts[1]))
    target = pts[:, k] + np.array([0.0, width])
    p = state.domain.mesh.p
    j = int(np.argmin(np.hypot(p[0] - target[0], p[1] - target[1])))
    return float(state.stress[j])


class _Recorder:
    """Histories and frames of one run; what a checkpoint stores besides the state."""

    def __init__(self, problem, width_x, keys):
        sp = problem.scaled
        self.problem = problem
        self.keys = list(keys)
        self.h = {k: [] for k in self.keys}
        self.frames = []
        self.width_x = width_x
        self.cs = sp.cs_c0 * sp.c0  # metal site density [mol m-3]
        self.a0 = None
        self.q_circuit = 0.0

    def row(self, state: PhaseFieldState, *, first=False):
        from ..constants import F

        area = deposit_area(state.domain, state.xi)
        if self.a0 is None:
            self.a0 = area
        if not first:
            cur = state.boundary_current
            h = (state.stepper.t - state.stepper.t_prev) * state.time_unit
            self.q_circuit += sum(v for v in cur.values() if v > 0) * h / self.width_x
        bal = abs(state.li_rate - state.li_inflow) / max(abs(state.li_inflow),
                                                         abs(state.li_rate), 1e-300)
        vals = {"t [s]": state.t, "tip height [m]": tip_height(state.domain, state.xi),
                "deposited area [m2]": area - self.a0,
                "passed charge [C m-2]": F * self.cs * (area - self.a0) / self.width_x,
                "circuit charge [C m-2]": self.q_circuit,
                "Li balance error [1]": 0.0 if first else bal,
                "c min [mol m-3]": float(state.c.min()), "c max [mol m-3]": float(state.c.max()),
                "dt [s]": 0.0 if first else (state.stepper.t - (state.stepper.t_prev or 0.0))
                * state.time_unit,
                "newton iterations [1]": float(state.stepper.newton_iterations)}
        if "sigma_h ahead of tip [Pa]" in self.h:
            vals["sigma_h ahead of tip [Pa]"] = _stress_ahead(state, self.problem.interface_width)
        for k in self.keys:
            self.h[k].append(float(vals[k]))

    def arrays(self):
        return {k: np.asarray(v, float) for k, v in self.h.items()}


def solve(problem: PhaseFieldProblem, xi0, *, t_end: float, dt: float, snapshots: int = 20,
          stop_times=None, frame_heights=(), store=None, key: str = "phasefield",
          info: Mapping | None = None, **run_options):
    """Run :func:`run` and collect a :class:`~ntransport.solution.Solution`.

    Frames (``"xi [1]"``, ``"c_Li+ [mol m-3]"``, ``"phi [V]"`` and, with mechanics,
    ``"sigma_h [Pa]"``) at t = 0, at `snapshots` equally spaced times (or the given
    `stop_times` [s]), at the first step whose tip height passes each of
    `frame_heights` [m] (growth stages, whatever the speed) and at the end; histories per step (:data:`HISTORY_KEYS`, plus
    ``"sigma_h ahead of tip [Pa]"`` with mechanics): the tip height (top of the
    xi = 1/2 contour), the deposited area and the Faradaic charge per anode width,
    the charge through the potentiostatic boundaries, the Li balance (ions + metal
    against the boundary inflow: a conservation check), c range, step sizes.

    With ``store`` (a :class:`~ntransport.solve.checkpoint.CheckpointStore`) every step
    is checkpointed under *key* (frames under ``key-f<k>``); if the store resumes and
    holds *key*, the run continues from there and ends exactly as an uninterrupted one.
    """
    from ..solution import Frame, Solution

    times = (np.linspace(0.0, t_end, int(snapshots) + 1)[1:] if stop_times is None
             else np.asarray(stop_times, float))
    width_x = float(np.ptp(problem.domain.mesh.p[0]))
    keys = list(HISTORY_KEYS) + (["sigma_h ahead of tip [Pa]"] if problem.mechanics else [])
    rec = _Recorder(problem, width_x, keys)
    saved = store.load(key) if store is not None else None
    start, domain, done = None, None, False
    if saved is not None:
        st, extra = saved
        names = list(extra["history_names"])
        if names != keys:
            raise ConfigError(f"checkpoint {key!r} holds histories {names}, this run records "
                              f"{keys}: it belongs to another run; start without --resume.")
        for i, k in enumerate(keys):
            rec.h[k] = list(np.asarray(extra[f"h{i}"], float))
        rec.a0, rec.q_circuit = float(extra["a0"]), float(extra["q_circuit"])
        domain = _domain_of(problem, extra.get("band"))
        for j in range(int(extra["nframes"])):
            fs, fx = store.load(f"{key}-f{j}")
            rec.frames.append(_frame_from(problem, fs, fx))
        start, done = st, bool(extra.get("done", False)) or st.event is not None
        event = st.event
        log.info("%s: resumed at t = %.6g s (%d steps, %d frames)", key,
                 st.t * problem.scaled.time, len(rec.h["t [s]"]) - 1, len(rec.frames))

    def save(state, *, final=False):
        if store is None:
            return
        extra = {f"h{i}": np.asarray(rec.h[k], float) for i, k in enumerate(keys)}
        store.save(key, state.stepper, model="phasefield", history_names=keys,
                   a0=float(rec.a0), q_circuit=float(rec.q_circuit),
                   band=float(state.domain.info.get("band", -1.0)), nframes=len(rec.frames),
                   done=final, **extra)

    def add_frame(state):
        rec.frames.append(Frame(state.t, state.domain, _fields(state)))
        if store is not None:
            u = np.concatenate([state.stepper.u] + ([state.stress] if state.stress is not None
                                                   else []))
            store.save(f"{key}-f{len(rec.frames) - 1}", replace(state.stepper, u=u),
                       model="phasefield-frame",
                       band=float(state.domain.info.get("band", -1.0)),
                       stress=state.stress is not None)

    if start is None:  # t = 0: the first row and frame
        sys0 = _System(problem, problem.domain)
        u0 = _initial_vector(problem, sys0, xi0, run_options.get("c0"), run_options.get("phi0"))
        stress0 = (None if problem.mechanics is None else
                   np.full(sys0.n, -problem.mechanics.pressure))
        s0 = PhaseFieldState(StepperState(t=0.0, u=u0, dt=dt / problem.scaled.time),
                             problem.domain, problem.scaled.time, problem.scaled.c0, stress0)
        rec.row(s0, first=True)
        add_frame(s0)
        save(s0)
    if saved is None:
        event = None
    if not done:
        last = None
        t_tol = 1e-9 * t_end
        levels = np.sort(np.asarray(frame_heights, float))
        for state in run(problem, xi0, t_end=t_end, dt=dt, start=start, domain=domain,
                         stop_times=times, **run_options):
            last = state
            before = max(rec.h["tip height [m]"])
            rec.row(state)
            now = rec.h["tip height [m]"][-1]
            crossed = np.any((levels > before) & (levels <= now))
            if np.any(np.abs(times - state.t) <= t_tol) or state.event is not None \
                    or state.t >= t_end * (1 - 1e-12) or crossed:
                add_frame(state)
            save(state)
        if last is not None:
            event = last.event
            save(last, final=True)
    frames = sorted(rec.frames, key=lambda f: f.t)
    hist = rec.arrays()
    meta = {"model": "phasefield", "parameters": _param_record(problem),
            "steps": len(hist["t [s]"]) - 1, "event": event,
            "short_circuit": event is not None and "reached" in str(event), **(info or {})}
    return Solution(frames, histories=hist, model="phasefield", info=meta)


def _domain_of(problem, band):
    if problem.remesh is None or band is None or band < 0:
        return problem.domain
    return problem.remesh.build(band)


def _frame_from(problem, fs, fx):
    from ..solution import Frame

    dom = _domain_of(problem, fx.get("band"))
    n = dom.mesh.nvertices
    u = fs.u
    sp = problem.scaled
    fields = {"xi [1]": u[:n], "c_Li+ [mol m-3]": u[n:2 * n] * sp.c0, "phi [V]": u[2 * n:3 * n]}
    if fx.get("stress"):
        fields["sigma_h [Pa]"] = u[3 * n:]
    return Frame(fs.t * sp.time, dom, fields)


def _param_record(problem) -> dict:
    sp = problem.scaled
    return {k: getattr(sp, k) for k in ("L_sigma", "W", "L_eta", "kappa0", "D_e", "D_l",
                                         "sigma_e", "sigma_l", "f", "cs_c0", "gamma", "alpha",
                                         "delta", "omega", "theta0", "length", "time",
                                         "conductivity", "c0", "t_plus", "citation")}


#: the name ``ntransport.simulate_phasefield`` points at (kept for the curated API)
simulate = run
