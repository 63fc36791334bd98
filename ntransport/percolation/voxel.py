"""Effective conductivity of a particle configuration on a voxel grid (fast route).

The sample ``[0, L]^dim`` is cut into ``N^dim`` cubic voxels of edge
``h = L / N``; a voxel is metal (``sigma_M``) when its centre lies inside any
particle (exact inside tests for spheres, spheroids and rods), otherwise
insulator (``sigma_NM``). The steady conduction problem
:math:`\\nabla\\cdot(\\sigma\\nabla\\phi) = 0`, :math:`\\phi = 1` at ``x = 0``,
:math:`\\phi = 0` at ``x = L``, insulating transverse faces (periodic if the
cell is), is discretised by the two-point finite-volume scheme: the conductance
between neighbouring voxels is the harmonic mean of their conductivities (series
half-cells), a boundary voxel couples to its electrode through a half cell.
Then ``sigma_eff = I L / A`` for unit voltage.

On a Cartesian grid this scheme *is* the lowest-order Raviart-Thomas mixed finite
element method (RT0-P0) with the flux mass matrix integrated by the trapezoidal rule
(Russell & Wheeler 1983; Arbogast, Wheeler & Yotov 1997): current crosses shared
faces only, so voxels touching at an edge or a corner do not conduct -- unlike nodal
P1 elements on the same voxels, which connect through shared nodes and lower the
apparent threshold. It has no mesher cost, so ensembles large enough for the
conductivity exponent are affordable; `ntransport.percolation.fem` writes its
solutions on a voxel mesh for ParaView.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ConvergenceError, GeometryError, check_positive
from .sampling import Particles
from .shapes import Sphere, Spheroid

__all__ = ["voxelize", "voxel_conductivity", "conductivity_of_grid", "grid_solution",
           "grid_system", "GridSolution", "backbone_mask"]


def voxelize(particles: Particles, n: int, *, owners: bool = False) -> np.ndarray:
    """Boolean metal mask, shape ``(n,) * dim``, axis 0 = electrode axis x.

    With ``owners=True`` an int array instead: the index of a particle containing the
    voxel centre, -1 for the insulator (used to keep the exact contact topology, see
    :func:`grid_solution`).
    """
    if int(n) != n or n < 2:
        raise GeometryError(f"n must be an integer >= 2 voxels per edge, got {n!r}.")
    cell, s, dim = particles.cell, particles.shape, particles.shape.dim
    if cell.transverse != cell.length:
        raise GeometryError(f"voxelize needs a cubic cell, got length {cell.length!r} and "
                            f"width {cell.transverse!r}.")
    h = cell.length / n
    g = (np.arange(n) + 0.5) * h
    pts = np.stack(np.meshgrid(*([g] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    inside = np.full(len(pts), -1, dtype=np.int64)
    if len(particles) == 0:
        return inside.reshape((n,) * dim) if owners else (inside >= 0).reshape((n,) * dim)
    tree = cell.tree(particles.centres, s.bounding_radius)
    q = pts.copy()
    if cell.periodic:
        q[:, 0] += cell.margin
    lists = tree.query_ball_point(q, s.bounding_radius)
    lens = np.fromiter((len(x) for x in lists), int, len(lists))
    pi = np.repeat(np.arange(len(pts)), lens)
    pj = np.fromiter((j for x in lists for j in x), int, lens.sum())
    d = cell.displacement(particles.centres[pj], pts[pi])
    if isinstance(s, Sphere):
        hit = np.einsum("pd,pd->p", d, d) <= s.radius ** 2
    elif isinstance(s, Spheroid):
        Minv = np.linalg.inv(s.shape_matrices(particles.axes))
        hit = np.einsum("pd,pde,pe->p", d, Minv[pj], d) <= 1.0
    else:
        u = particles.axes[pj]
        t = np.clip(np.einsum("pd,pd->p", d, u), -s.half_length, s.half_length)
        r = d - t[:, None] * u
        hit = np.einsum("pd,pd->p", r, r) <= s.radius ** 2
    inside[pi[hit]] = pj[hit]
    inside = inside.reshape((n,) * dim)
    return inside if owners else inside >= 0


def voxel_conductivity(particles: Particles, n: int, *, sigma_metal=1.0,
                       sigma_insulator=1e-6, rtol=1e-9) -> float:
    """Effective conductivity along x [S/m] by two-point finite volumes."""
    check_positive(sigma_metal, name="sigma_metal", exc=GeometryError)
    check_positive(sigma_insulator, name="sigma_insulator", allow_zero=True,
                   exc=GeometryError)
    mask = voxelize(particles, n)
    sig = np.where(mask, float(sigma_metal), float(sigma_insulator))
    return conductivity_of_grid(sig, periodic=particles.cell.periodic, rtol=rtol)


def backbone_mask(metal: np.ndarray) -> np.ndarray:
    """Metal voxels in face-connected clusters touching both x = 0 and x = L faces."""
    from scipy import ndimage

    lab, _ = ndimage.label(metal)
    both = np.intersect1d(np.unique(lab[0]), np.unique(lab[-1]))
    both = both[both > 0]
    return np.isin(lab, both)


def conductivity_of_grid(sig: np.ndarray, *, periodic=False, rtol=1e-9) -> float:
    """``sigma_eff`` along axis 0 of a voxel conductivity array (unit voxels scale out).

    Zero entries are perfect insulators: only the clusters joining both
    electrodes are solved (0 is returned if there is none).
    """
    return grid_solution(sig, periodic=periodic, rtol=rtol).sigma_eff


@dataclass(frozen=True)
class GridSolution:
    """Cell-centred potential and face currents of a voxel conduction problem.

    ``phi`` (shape of the grid; 0 in perfectly insulating cells cut off from the
    electrodes) at unit voltage (anode phi = 1 at x = 0, cathode 0 at x = L), ``current``
    the total current per unit voxel edge, ``sigma_eff`` = I L / (V A) in the units of
    ``sig``, ``flux`` the cell-averaged current density vector (grid shape + (dim,)),
    ``j`` along each axis averaged from the two faces of each cell.
    """

    phi: np.ndarray
    flux: np.ndarray
    current: float
    sigma_eff: float


def grid_solution(sig: np.ndarray, *, periodic=False, rtol=1e-9, solver=None,
                  owners: np.ndarray | None = None, clusters: np.ndarray | None = None,
                  barrier=None, electrode_contact=None) -> GridSolution:
    r"""Solve :math:`\nabla\cdot(\sigma\nabla\phi)=0` on a voxel conductivity array.

    Two-point fluxes between face neighbours (harmonic-mean conductance), half cells
    to the electrodes at x = 0 (phi = 1) and x = L (phi = 0), insulating (or periodic)
    transverse faces. This is the lowest-order Raviart-Thomas mixed finite element
    method with trapezoidal quadrature of the flux mass matrix, which reduces exactly
    to this cell-centred scheme on Cartesian grids (Russell & Wheeler 1983; Arbogast,
    Wheeler & Yotov, SIAM J. Numer. Anal. 34, 828, 1997): current crosses shared faces
    only, so two metal voxels touching at an edge or a corner are *not* connected.

    Exact contact topology (optional): a voxel grid joins particles whose surfaces are
    closer than about one voxel, which lowers the apparent threshold by O(h/r). Given
    ``owners`` (particle index per voxel, -1 = insulator, from ``voxelize(...,
    owners=True)``) and ``clusters`` (cluster label of each particle from the exact
    contact graph), a face between metal voxels of *different* clusters gets the
    conductance ``barrier`` instead: a number (default: the smallest entry of *sig*,
    i.e. an insulating gap) or a callable ``barrier(owner_a, owner_b) -> conductance``
    (e.g. electron tunnelling across the gap between the two particles). Likewise
    ``electrode_contact = (at_anode, at_cathode)``, booleans per particle: a metal voxel
    of the first (last) layer couples to its electrode with the metal's half-cell only
    if its particle reaches the electrode plane, the barrier otherwise.
    """
    sig, keep, cut = _prepare(sig, periodic, owners, clusters, barrier, electrode_contact)
    if not keep.any():
        z = np.zeros(sig.shape)
        return GridSolution(z, np.zeros(sig.shape + (sig.ndim,)), 0.0, 0.0)
    return _solve_grid(sig, keep, periodic, rtol, solver, cut)


def grid_system(sig: np.ndarray, *, periodic=False):
    """The linear system ``(A, b)`` that :func:`grid_solution` hands its solver for the
    conductivity array *sig* (no contact topology): the two-point-flux matrix of the
    conducting voxels (those cut off from the electrodes dropped) in CSR, and the anode's
    half-cell currents at unit voltage. For solver studies and benchmarks."""
    sig, keep, _ = _prepare(sig, periodic, None, None, None, None)
    A, b = _assemble_grid(sig, periodic, None)[:2]
    live = np.flatnonzero(keep.ravel())
    return A[live][:, live].tocsr(), b[live]


def _prepare(sig, periodic, owners, clusters, barrier, electrode_contact):
    """Checked conductivities (zero outside the conducting backbone), the mask of the
    voxels solved for, and the contact-topology tuple of :func:`_face_cut` (or None)."""
    sig = np.asarray(sig, dtype=float)
    bad = ~np.isfinite(sig) | (sig < 0)
    if bad.any():
        raise GeometryError(f"sig must hold finite conductivities >= 0, got {int(bad.sum())} "
                            f"entries that are not (e.g. {sig[bad][0]!r}); a conductivity "
                            "array has one value >= 0 per voxel (0 for an insulator).")
    cut = None
    if owners is not None:
        owners = np.asarray(owners)
        if owners.shape != sig.shape or clusters is None:
            raise GeometryError("owners must have the grid's shape and come with clusters "
                                f"(got owners {owners.shape}, grid {sig.shape}).")
        cl = np.asarray(clusters)
        lab = np.where(owners >= 0, cl[np.maximum(owners, 0)], -1)
        cut = (owners, lab, float(np.min(sig)) if barrier is None else barrier,
               electrode_contact)
    if not np.any(sig == 0):
        return sig, np.ones(sig.shape, bool), cut
    if cut is not None:
        raise GeometryError("owners/clusters need sig > 0 everywhere (a finite insulator).")
    keep = backbone_mask(sig > 0) if not periodic else sig > 0
    return np.where(keep, sig, 0.0), keep, None


def _face_cut(g, i, i2, cut):
    """Faces between metal voxels of different clusters get the barrier conductance."""
    owners, lab, barrier, _ = cut
    o, la = owners.ravel(), lab.ravel()
    diff = (la[i] >= 0) & (la[i2] >= 0) & (la[i] != la[i2])
    if diff.any():
        g = g.copy()
        g[diff] = barrier(o[i[diff]], o[i2[diff]]) if callable(barrier) else barrier
    return g


def _assemble_grid(sig, periodic, cut):
    """``(A, b, faces, g_in, g_out)`` of the grid: the matrix over every voxel, the
    right-hand side, each axis's face pairs with their conductances, and the half-cell
    conductances to the anode and the cathode."""
    dim = sig.ndim
    idx = np.arange(sig.size).reshape(sig.shape)
    rows, cols, vals = [], [], []
    diag = np.zeros(sig.size)
    faces = []
    for ax in range(dim):
        a = np.moveaxis(sig, ax, 0)
        i = np.moveaxis(idx, ax, 0)
        if ax > 0 and periodic:
            a2, i2 = np.roll(a, -1, axis=0), np.roll(i, -1, axis=0)
        else:
            a, i, a2, i2 = a[:-1], i[:-1], a[1:], i[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.nan_to_num(2.0 * a * a2 / (a + a2)).ravel()
        i, i2 = i.ravel(), i2.ravel()
        if cut is not None:
            g = _face_cut(g, i, i2, cut)
        faces.append((i, i2, g))
        rows += [i, i2]
        cols += [i2, i]
        vals += [-g, -g]
        diag += np.bincount(i, g, sig.size) + np.bincount(i2, g, sig.size)
    g_in = 2.0 * sig[0].ravel()   # half cell to the anode (phi = 1)
    g_out = 2.0 * sig[-1].ravel()  # half cell to the cathode (phi = 0)
    if cut is not None and cut[3] is not None:  # particles that miss the electrode plane
        owners, floor = cut[0], float(np.min(sig))
        for gg, layer, ok in ((g_in, owners[0].ravel(), cut[3][0]),
                              (g_out, owners[-1].ravel(), cut[3][1])):
            miss = (layer >= 0) & ~np.asarray(ok)[np.maximum(layer, 0)]
            gg[miss] = 2.0 * floor
    diag[idx[0].ravel()] += g_in
    diag[idx[-1].ravel()] += g_out
    b = np.zeros(sig.size)
    b[idx[0].ravel()] = g_in
    A = sp.csr_matrix((np.concatenate(vals + [diag]),
                       (np.concatenate(rows + [np.arange(sig.size)]),
                        np.concatenate(cols + [np.arange(sig.size)]))),
                      shape=(sig.size, sig.size))
    return A, b, faces, g_in, g_out


def _solve_grid(sig, keep, periodic, rtol, solver, cut=None):
    dim, n = sig.ndim, sig.shape[0]
    idx = np.arange(sig.size).reshape(sig.shape)
    A, b, faces, g_in, g_out = _assemble_grid(sig, periodic, cut)
    live = np.flatnonzero(keep.ravel())  # drop insulating (zero) voxels
    phi = np.zeros(sig.size)
    phi[live] = _solve(A[live][:, live], b[live], rtol, solver, sig.ndim)
    current = float(np.sum(g_in * (1.0 - phi[idx[0].ravel()])))
    # cell-averaged current density: mean of the two face fluxes along each axis
    flux = np.zeros((sig.size, dim))
    for ax, (i, i2, g) in enumerate(faces):
        q = 0.5 * g * (phi[i] - phi[i2])
        flux[:, ax] += np.bincount(i, q, sig.size) + np.bincount(i2, q, sig.size)
    flux[idx[0].ravel(), 0] += 0.5 * g_in * (1.0 - phi[idx[0].ravel()])
    flux[idx[-1].ravel(), 0] += 0.5 * g_out * phi[idx[-1].ravel()]
    area = np.prod(sig.shape[1:])
    return GridSolution(phi.reshape(sig.shape), flux.reshape(sig.shape + (dim,)), current,
                        float(current * n / area))  # I L / (V A) with V = 1, voxel edge 1


#: drop tolerance of the AMG's prolongators for 3D voxel systems (`_solve`)
VOXEL_TRUNCATE = 0.3


def _solve(A, b, rtol, solver, dim=3):
    """Through the one linear-solver layer: SuperLU for small systems (measured as fast as
    AMG up to ~6e3 unknowns, and it spares a process the ~3 s MKL discovery of the first
    PARDISO use), AMG-CG with a tight tolerance above (contrasts up to ~1e8).

    On 3D grids the AMG truncates its prolongators at 0.3 (`VOXEL_TRUNCATE`), not at the
    library's 0.1. On the fifteen grids of benchmarks/amg/truncation_voxels.json (2D and 3D,
    contrasts 1-1e8, near and far from percolation) a solve takes 0.41-0.74 of the time it
    took with whole prolongators (0.51-1.01 at 0.1); on five other grids (the voxel cases of
    truncation.json, chosen before) 0.46-0.92 of the time at 0.1. With whole prolongators
    aggregation filled in on 3D grids with a contrast and the ``"auto"`` coarsening turned
    classical there (benchmarks/amg/voxel_coarsening.json); truncated, it stays sparse and
    converges in 21-26 iterations where classical took 42-61. The effective conductivities
    agree to 3e-8 or better, except at contrast 1e8 near the threshold, where any two of
    these solvers (classical against aggregation too) differ by up to 2e-5 at rtol 1e-10.
    2D grids keep the library's 0.1: 0.3 bought nothing there (512^2: 0.54-0.65 against
    0.60-0.63 of the time) and moved phi by up to 1.6e-7 from the direct solve at rtol
    1e-10 (120^2, contrast 1e6)."""
    from ..solve.linear import AMGSolver, DirectSolver, make_solver

    if solver is None:
        solver = (DirectSolver("superlu") if A.shape[0] <= 8000 else
                  AMGSolver(rtol=min(rtol, 1e-10), maxiter=3000,
                            truncate=VOXEL_TRUNCATE if dim == 3 else None))
    try:
        return make_solver(solver, n=A.shape[0], dim=3).factor(A)(b)
    except ConvergenceError as exc:
        raise ConvergenceError(
            f"voxel conduction: {exc} The conductivity contrast may be too high; raise "
            "sigma_insulator or pass solver='direct'.") from exc
