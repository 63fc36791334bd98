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

This is the structured-grid counterpart of the FEM route (`solve_conduction`
on a `particle_composite` mesh): it has no mesher cost, so ensembles large
enough for the conductivity exponent are affordable. Tests compare both on the
same configuration.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ConvergenceError, GeometryError, check_positive
from .sampling import Particles
from .shapes import Sphere, Spheroid

__all__ = ["voxelize", "voxel_conductivity", "conductivity_of_grid", "backbone_mask"]


def voxelize(particles: Particles, n: int) -> np.ndarray:
    """Boolean metal mask, shape ``(n,) * dim``, axis 0 = electrode axis x."""
    if int(n) != n or n < 2:
        raise GeometryError(f"n must be an integer >= 2 voxels per edge, got {n!r}.")
    cell, s, dim = particles.cell, particles.shape, particles.shape.dim
    h = cell.length / n
    g = (np.arange(n) + 0.5) * h
    pts = np.stack(np.meshgrid(*([g] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    inside = np.zeros(len(pts), bool)
    if len(particles) == 0:
        return inside.reshape((n,) * dim)
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
    inside[pi[hit]] = True
    return inside.reshape((n,) * dim)


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
    if np.any(sig == 0):
        keep = backbone_mask(sig > 0) if not periodic else sig > 0
        if not keep.any():
            return 0.0
        return _solve_grid(np.where(keep, sig, 0.0), keep, periodic, rtol)
    return _solve_grid(sig, np.ones(sig.shape, bool), periodic, rtol)


def _solve_grid(sig, keep, periodic, rtol):
    dim, n = sig.ndim, sig.shape[0]
    idx = np.arange(sig.size).reshape(sig.shape)
    rows, cols, vals = [], [], []
    diag = np.zeros(sig.size)
    for ax in range(dim):
        a = np.moveaxis(sig, ax, 0)
        i = np.moveaxis(idx, ax, 0)
        if ax > 0 and periodic:
            a2, i2 = np.roll(a, -1, axis=0), np.roll(i, -1, axis=0)
        else:
            a, i, a2, i2 = a[:-1], i[:-1], a[1:], i[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.nan_to_num(2.0 * a * a2 / (a + a2))
        rows += [i.ravel(), i2.ravel()]
        cols += [i2.ravel(), i.ravel()]
        vals += [-g.ravel(), -g.ravel()]
        np.add.at(diag, i.ravel(), g.ravel())
        np.add.at(diag, i2.ravel(), g.ravel())
    g_in = 2.0 * sig[0].ravel()   # half cell to the anode (phi = 1)
    g_out = 2.0 * sig[-1].ravel()  # half cell to the cathode (phi = 0)
    diag[idx[0].ravel()] += g_in
    diag[idx[-1].ravel()] += g_out
    b = np.zeros(sig.size)
    b[idx[0].ravel()] = g_in
    A = sp.csr_matrix((np.concatenate(vals + [diag]),
                       (np.concatenate(rows + [np.arange(sig.size)]),
                        np.concatenate(cols + [np.arange(sig.size)]))),
                      shape=(sig.size, sig.size))
    live = np.flatnonzero(keep.ravel())  # drop insulating (zero) voxels
    phi = np.zeros(sig.size)
    phi[live] = _solve(A[live][:, live], b[live], rtol)
    current = np.sum(g_in * (1.0 - phi[idx[0].ravel()]))
    area = np.prod(sig.shape[1:])
    return float(current * n / area)  # I L / (V A) with V = 1, voxel edge 1


def _solve(A, b, rtol):
    if A.shape[0] <= 40000:
        from scipy.sparse.linalg import spsolve
        return spsolve(A.tocsc(), b)
    import pyamg
    ml = pyamg.smoothed_aggregation_solver(A, symmetry="symmetric")
    res = []
    x = ml.solve(b, tol=rtol, accel="cg", maxiter=500, residuals=res)
    if res[-1] > rtol * res[0] * 10:
        raise ConvergenceError(
            f"voxel conduction: AMG-CG reached relative residual {res[-1] / res[0]:.2e} "
            f"after {len(res)} iterations (asked {rtol:g}); the conductivity contrast "
            "may be too high, raise sigma_insulator.")
    return x
