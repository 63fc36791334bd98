r"""Steady conduction on a voxel image: electrode-driven and periodic cell problems.

**Electrodes** (:func:`solve_voxels`): :math:`\phi = V` on the face ``x_axis = 0``,
:math:`\phi = 0` on the opposite face, reached from the first/last voxel layer through a
half cell (conductance :math:`2\sigma A/h`); the other faces are sealed (no flux) or
periodic. Only clusters touching both electrodes carry current and are solved; a phase
with no such cluster gives :math:`\sigma_\mathrm{eff} = 0` exactly (reported, not NaN).
:math:`\sigma_\mathrm{eff} = I L / (V A)`.

**Periodic cell** (:func:`solve_periodic`): :math:`\phi = \chi - \mathbf x\cdot e_k` with
:math:`\chi` periodic in every direction (unit mean field :math:`e_k`), one node per
connected cluster pinned; the mean current density
:math:`\langle j\rangle = V^{-1}\sum_{links} F\,\Delta x` gives column *k* of the full
(symmetric) conductivity tensor.

Linear algebra goes through :mod:`ntransport.solve.linear` (direct LU for small
systems, AMG-CG above ``DIRECT_LIMIT``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..solve.assembly import index_dtype
from ..solve.linear import make_solver
from .assembly import LinkGroup, phase_conductivities, sheet_electrode_links, voxel_links
from .voxel_image import AXES, ImageError, VoxelImage

__all__ = ["VoxelConduction", "solve_voxels", "solve_periodic", "check_axis"]

log = logging.getLogger(__name__)

SIDES = ("sealed", "periodic")


def check_axis(axis, dim: int) -> int:
    if isinstance(axis, str) and axis in AXES[:dim]:
        return AXES.index(axis)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) and 0 <= axis < dim:
        return int(axis)
    raise ImageError(f"axis must be one of {list(AXES[:dim])} or 0..{dim - 1} for a {dim}D "
                     f"image, got {axis!r}.")


@dataclass(frozen=True, eq=False)
class VoxelConduction:
    """One solved voxel conduction problem (electrodes on the faces normal to `axis`,
    or a periodic cell with mean field along `axis`).

    Attributes
    ----------
    image : VoxelImage
    axis : int
    boundary : "sealed", "periodic sides" or "periodic cell"
    sigma_phase : mapping phase -> conductivity used [S/m]
    potential : voxel potential [V] (electrodes: anode at ``voltage``; cell: the
        periodic part chi plus the mean-field ramp)
    current_density : (dim, *shape) voxel current density [A m-2]
    effective_conductivity : [S/m] along `axis` (cell: the diagonal entry)
    mean_current_density : (dim,) [A m-2] (cell problems: a column of the tensor)
    current_share : phase -> share of the volume-integrated axial current
    percolates : True if some cluster joins the two electrodes (cell: carries current)
    connected : (shape) bool, voxels of current-carrying clusters
    """

    image: VoxelImage
    axis: int
    boundary: str
    sigma_phase: MappingProxyType
    potential: np.ndarray
    current_density: np.ndarray
    effective_conductivity: float
    mean_current_density: np.ndarray
    current_share: MappingProxyType
    percolates: bool
    connected: np.ndarray
    voltage: float = 1.0
    info: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def total_current(self) -> float:
        """Current through the electrodes [A; A/m in 2D] (electrode problems)."""
        ext = self.image.extent
        return float(self.mean_current_density[self.axis] * np.prod(ext) / ext[self.axis])

    def to_solution(self, *, length_unit_note: str = ""):
        """A :class:`~ntransport.solution.Solution` on a voxel-conforming mesh (each voxel
        split into simplices; cell fields repeated per simplex), for VTU output."""
        from ..solution import Frame, Solution
        from .mesh import voxel_domain

        dom, cell_of = voxel_domain(self.image, return_voxel=True)
        j = self.current_density.reshape(self.image.dim, -1)[:, cell_of]
        sig = np.asarray([self.sigma_phase[p] for p in self.image.phases])[
            self.image.labels.ravel()[cell_of]]
        cell = {"phi [V]": self.potential.ravel()[cell_of], "j [A m-2]": j.T,
                "|j| [A m-2]": np.linalg.norm(j, axis=0), "sigma [S/m]": sig,
                "connected [1]": self.connected.ravel()[cell_of].astype(float)}
        scal = {"sigma_eff [S/m]": self.effective_conductivity,
                "current_share [1]": dict(self.current_share)}
        return Solution([Frame(0.0, dom, {}, cell)], scalars=scal, model="voxel conduction",
                        info={"axis": AXES[self.axis], "boundary": self.boundary,
                              **dict(self.info)})


# ----------------------------------------------------------------------------- helpers
def _laplacian(groups: list[LinkGroup], n: int, extra_diag=None) -> sp.csr_matrix:
    """Graph Laplacian of the links (n x n) plus an optional diagonal."""
    itype = index_dtype(n)
    ii = np.concatenate([g.i for g in groups]).astype(itype) if groups else np.zeros(0, itype)
    jj = np.concatenate([g.j for g in groups]).astype(itype) if groups else np.zeros(0, itype)
    gg = np.concatenate([g.g for g in groups]) if groups else np.zeros(0)
    diag = np.bincount(ii, weights=gg, minlength=n) + np.bincount(jj, weights=gg, minlength=n)
    if extra_diag is not None:
        diag = diag + extra_diag
    rows = np.concatenate([ii, jj, np.arange(n, dtype=itype)])
    cols = np.concatenate([jj, ii, np.arange(n, dtype=itype)])
    vals = np.concatenate([-gg, -gg, diag])
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    return A


def _restrict(groups, keep_index):
    """Links between kept nodes, renumbered by *keep_index* (-1 = dropped)."""
    out = []
    for g in groups:
        a, b = keep_index[g.i], keep_index[g.j]
        ok = (a >= 0) & (b >= 0)
        owners = tuple((o if np.ndim(o) == 0 else o[ok], w if np.ndim(w) == 0 else w[ok])
                       for o, w in g.owners)
        out.append(LinkGroup(a[ok], b[ok], g.g[ok], g.disp, owners, g.kind))
    return out


def _components(groups, n, conducting):
    A = _laplacian(groups, n)
    ncomp, comp = connected_components(A, directed=False)
    comp = np.where(conducting, comp, -1)
    return comp


def _shares(groups, flux, axis, names, total):
    """Phase -> share of sum(F dx_axis); *flux* per group."""
    acc = np.zeros(len(names))
    for g, F in zip(groups, flux):
        if g.disp[axis] == 0.0:
            continue
        fd = F * g.disp[axis]
        for owner, w in g.owners:
            if np.ndim(owner) == 0:
                acc[int(owner)] += float(np.sum(fd * w))
            else:
                acc += np.bincount(owner, weights=fd * w, minlength=len(names))
    if total == 0:
        return {n: 0.0 for n in names}
    return {n: float(a / total) for n, a in zip(names, acc)}


def _voxel_current(groups, flux, n, dim, vol, extra=()):
    """Voxel current density: each link's F dx split half to each end, over the voxel
    volume; *extra* = (node, F dx vector) pairs owned by one voxel (electrode links)."""
    j = np.zeros((dim, n))
    for g, F in zip(groups, flux):
        for a in range(dim):
            if g.disp[a] == 0.0:
                continue
            w = 0.5 * F * g.disp[a]
            j[a] += np.bincount(g.i, weights=w, minlength=n) + np.bincount(g.j, weights=w,
                                                                          minlength=n)
    for node, fdx in extra:
        for a in range(dim):
            if fdx[a] is not None:
                j[a] += np.bincount(node, weights=fdx[a], minlength=n)
    return j / vol


def _solve(A, b, solver, dim, what):
    s = make_solver(solver, n=A.shape[0], dim=max(dim, 2))
    log.info("%s: %d unknowns, solver %s", what, A.shape[0], type(s).__name__)
    return s.factor(A)(b), type(s).__name__


# ----------------------------------------------------------------------------- electrodes
def solve_voxels(image: VoxelImage, conductivity, *, axis=0, sides: str = "sealed",
                 voltage: float = 1.0, solver="auto") -> VoxelConduction:
    """Electrode-driven conduction along *axis* of *image* (see the module docstring).

    Parameters
    ----------
    image : VoxelImage
    conductivity : mapping phase -> S/m
        Every phase of ``image.all_phases`` (0 for insulators/pores).
    axis : int or "x"/"y"/"z"
    sides : {"sealed", "periodic"}
        The faces parallel to the axis: no flux, or linked to the opposite face.
    voltage : float
        Anode (``x_axis = 0``) minus cathode potential [V].
    solver : see :func:`ntransport.solve.linear.make_solver`

    Returns
    -------
    VoxelConduction
    """
    if not isinstance(image, VoxelImage):
        raise ImageError(f"image must be a VoxelImage (see read_image), got "
                         f"{type(image).__name__}.")
    ax = check_axis(axis, image.dim)
    if sides not in SIDES:
        raise ImageError(f"sides must be one of {SIDES}, got {sides!r}.")
    V = float(voltage)
    if not np.isfinite(V) or V == 0:
        raise ImageError(f"voltage must be finite and non-zero, got {voltage!r}.")
    sig = phase_conductivities(image, conductivity)
    names = image.all_phases
    shape, dim, h = image.shape, image.dim, image.voxel_size
    n = int(np.prod(shape))
    vol = float(np.prod(h))
    area = vol / h[ax]
    periodic = [b for b in range(dim) if b != ax] if sides == "periodic" else []
    groups = voxel_links(image, sig, periodic=periodic)
    s_vox = sig[image.labels].ravel()
    conducting = s_vox > 0
    idx = np.arange(n).reshape(shape)
    first = np.take(idx, 0, axis=ax).ravel()
    last = np.take(idx, -1, axis=ax).ravel()
    first, last = first[conducting[first]], last[conducting[last]]
    comp = _components(groups, n, conducting)
    both = np.intersect1d(comp[first], comp[last])
    both = both[both >= 0]
    active = np.isin(comp, both)
    phi = np.zeros(n)
    # clusters touching only the anode sit at its potential
    phi[np.isin(comp, np.setdiff1d(comp[first], both))] = 1.0
    Lx = float(image.extent[ax])
    Ayz = float(np.prod(image.extent)) / Lx
    info = {"unknowns": int(active.sum()), "sides": sides}
    if not both.size:
        log.info("voxel conduction along %s: no cluster joins the electrodes", AXES[ax])
        j = np.zeros((dim,) + shape)
        return VoxelConduction(image, ax, f"{sides} sides", MappingProxyType(dict(zip(names, sig))),
                               V * phi.reshape(shape), j, 0.0, np.zeros(dim),
                               MappingProxyType({p: 0.0 for p in names}), False,
                               active.reshape(shape), V, MappingProxyType(info))
    keep = np.full(n, -1, dtype=np.int64)
    keep[active] = np.arange(int(active.sum()))
    sub = _restrict(groups, keep)
    na = int(active.sum())
    labels = image.labels.ravel()
    ends = []
    sheets = sheet_electrode_links(image, sig, ax, periodic=periodic) if image.thin else \
        [(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))] * 2
    for nodes, (sn, sg, so) in ((first, sheets[0]), (last, sheets[1])):
        nodes = nodes[active[nodes]]
        ok = active[sn]
        node = np.concatenate([nodes, sn[ok]])
        ends.append((keep[node], np.concatenate([2.0 * s_vox[nodes] * area / h[ax], sg[ok]]),
                     np.concatenate([labels[nodes].astype(np.int64), so[ok]])))
    (ka, g_in, own_in), (kc, g_out, own_out) = ends
    d = np.bincount(ka, weights=g_in, minlength=na) + np.bincount(kc, weights=g_out,
                                                                   minlength=na)
    A = _laplacian(sub, na, extra_diag=d)
    b = np.bincount(ka, weights=g_in, minlength=na)
    u, sname = _solve(A, b, solver, dim, f"voxel conduction along {AXES[ax]}")
    phi[active] = u
    f_in = g_in * (1.0 - u[ka])
    f_out = g_out * u[kc]
    I_in, I_out = float(np.sum(f_in)), float(np.sum(f_out))
    info.update({"solver": sname, "current_balance": abs(I_in - I_out) / max(abs(I_in), 1e-300)})
    I = 0.5 * (I_in + I_out)
    flux = [g.g * (u[g.i] - u[g.j]) for g in sub]
    # electrode half links (length h/2), owned by the boundary voxel's phase or the sheet
    half = _unit(dim, ax, h[ax] / 2)
    e_in = LinkGroup(ka, ka, g_in, half, ((own_in, 1.0),), "anode")
    e_out = LinkGroup(kc, kc, g_out, half, ((own_out, 1.0),), "cathode")
    share = _shares(sub + [e_in, e_out], flux + [f_in, f_out], ax, names, I * Lx)
    extra = [(ka, [f_in * h[ax] / 2 if a == ax else None for a in range(dim)]),
             (kc, [f_out * h[ax] / 2 if a == ax else None for a in range(dim)])]
    jv = _voxel_current(sub, flux, na, dim, vol, extra)
    j = np.zeros((dim, n))
    j[:, active] = jv
    sigma_eff = I * Lx / Ayz
    jm = np.zeros(dim)
    jm[ax] = sigma_eff / Lx
    return VoxelConduction(image, ax, f"{sides} sides", MappingProxyType(dict(zip(names, sig))),
                           V * phi.reshape(shape), V * j.reshape((dim,) + shape), sigma_eff,
                           V * jm, MappingProxyType(share), True, active.reshape(shape), V,
                           MappingProxyType(info))


def _unit(dim, ax, length):
    d = np.zeros(dim)
    d[ax] = length
    return d


# ----------------------------------------------------------------------------- periodic
def solve_periodic(image: VoxelImage, conductivity, *, axis=0, solver="auto") -> VoxelConduction:
    """Periodic cell problem with unit mean field along *axis*; its
    ``mean_current_density`` is column *axis* of the conductivity tensor [S/m]."""
    ax = check_axis(axis, image.dim)
    sig = phase_conductivities(image, conductivity)
    names = image.all_phases
    shape, dim, h = image.shape, image.dim, image.voxel_size
    n = int(np.prod(shape))
    vol = float(np.prod(h))
    groups = voxel_links(image, sig, periodic=range(dim))
    s_vox = sig[image.labels].ravel()
    conducting = s_vox > 0
    comp = _components(groups, n, conducting)
    # pin the first node of every cluster (chi = 0 there): the Laplacian is singular
    active = conducting.copy()
    _, pin = np.unique(comp[conducting], return_index=True)
    pinned = np.flatnonzero(conducting)[pin]
    free = active.copy()
    free[pinned] = False
    keep = np.full(n, -1, dtype=np.int64)
    keep[active] = np.arange(int(active.sum()))
    sub = _restrict(groups, keep)
    na = int(active.sum())
    b = np.zeros(na)
    for g in sub:
        b += np.bincount(g.i, weights=-g.g * g.disp[ax], minlength=na)
        b += np.bincount(g.j, weights=g.g * g.disp[ax], minlength=na)
    A = _laplacian(sub, na)
    fidx = free[active]
    chi = np.zeros(na)
    info = {"unknowns": int(fidx.sum()), "clusters": int(pinned.size)}
    if fidx.any():
        Af = A[fidx][:, fidx]
        u, sname = _solve(Af, b[fidx], solver, dim, f"periodic cell, field along {AXES[ax]}")
        chi[fidx] = u
        info["solver"] = sname
    flux = [g.g * (chi[g.i] - chi[g.j] + g.disp[ax]) for g in sub]
    V = float(np.prod(image.extent))
    jm = np.array([sum(float(np.sum(F * g.disp[a])) for g, F in zip(sub, flux))
                   for a in range(dim)]) / V
    scale = float(np.max(sig)) if np.max(sig) > 0 else 1.0
    jm[np.abs(jm) < 1e-10 * scale] = 0.0  # non-wrapping clusters: round-off only
    percolates = jm[ax] > 0
    share = _shares(sub, flux, ax, names, jm[ax] * V) if percolates else \
        {p: 0.0 for p in names}
    jv = _voxel_current(sub, flux, na, dim, vol)
    j = np.zeros((dim, n))
    j[:, active] = jv
    phi = np.zeros(n)
    x = (np.indices(shape)[ax].ravel() + 0.5) * h[ax]
    phi[active] = chi - x[active]
    return VoxelConduction(image, ax, "periodic cell", MappingProxyType(dict(zip(names, sig))),
                           phi.reshape(shape), j.reshape((dim,) + shape), float(jm[ax]), jm,
                           MappingProxyType(share), bool(percolates),
                           active.reshape(shape), 1.0, MappingProxyType(info))
