r"""Mesh motion for a moving electrode: boundary displacement and harmonic extension.

Boundary
--------
The anode is an ordered polyline :math:`x_0 \dots x_n`. Given the consistent nodal loads
:math:`b_i = \int_{anode} v_n \phi_i\, ds` of the normal velocity, node *i* moves along
the length-weighted normal :math:`N_i \propto \sum_{s \ni i} L_s n_s` by
:math:`\Delta t\, w_i N_i` with

.. math:: w_i = \frac{b_i}{\sum_{s\ni i} \tfrac{L_s}{2}\, N_i\cdot n_s},

so the area swept in one step, :math:`\sum_s \int_s (u\cdot n_s)\, ds + O(\Delta t^2)`,
equals :math:`\Delta t\int v_n\, ds` exactly to first order (exactly for a flat
electrode). End nodes on the side walls move vertically (symmetry walls).
:func:`faraday_displacement` removes the remaining :math:`O(\Delta t^2\kappa)` area
error (κ the surface curvature) by one common shift along the node normals, so the
swept area equals :math:`\Delta t\int v_n ds` to round-off in every step (Faraday's law
holds exactly for the whole surface; the local distribution keeps its O(Δt) error).

Interior
--------
Each displacement component solves :math:`\nabla\cdot(k\nabla u) = 0` with
:math:`k = 1/|T|` per element (Jacobian stiffening: small elements near the electrode
move almost rigidly), Dirichlet data on the anode and the top, :math:`u_x = 0` and
natural (slip) conditions for :math:`u_y` on the side walls.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import MeshError
from ..geometry.mesh_checks import mean_ratio, simplex_det
from .linear import DirectSolver

__all__ = ["anode_normals", "anode_displacement", "faraday_displacement", "area_under",
           "chord_normals", "curve_displacement", "equalise_spacing", "harmonic_extension", "triangle_areas",
           "triangle_quality"]


def _segments(X):
    d = np.diff(X, axis=0)
    L = np.linalg.norm(d, axis=1)
    n = np.column_stack([-d[:, 1], d[:, 0]]) / L[:, None]  # left normal: into electrolyte
    return L, n


def anode_normals(X):
    """Unit node normals (length-weighted), pointing into the electrolyte; ends vertical."""
    L, n = _segments(np.asarray(X, dtype=float))
    N = np.zeros((len(X), 2))
    N[:-1] += L[:, None] * n
    N[1:] += L[:, None] * n
    with np.errstate(invalid="ignore", divide="ignore"):
        N /= np.linalg.norm(N, axis=1)[:, None]
    N[0] = N[-1] = (0.0, 1.0)
    return N


def anode_displacement(X, loads, dt):
    """Displacement (n, 2) of the anode nodes for the normal-velocity loads `loads`.

    Parameters
    ----------
    X : (n, 2) array
        Anode nodes from the left wall to the right wall [m].
    loads : (n,) array
        :math:`b_i = \\int v_n \\phi_i ds` [m²/s] (positive = growth).
    dt : float
        Time step [s].
    """
    X = np.asarray(X, dtype=float)
    L, n = _segments(X)
    N = anode_normals(X)
    denom = np.zeros(len(X))
    denom[:-1] += 0.5 * L * np.einsum("ij,ij->i", N[:-1], n)
    denom[1:] += 0.5 * L * np.einsum("ij,ij->i", N[1:], n)
    bad = ~np.isfinite(denom) | (denom <= 0)
    if np.any(bad):
        k = int(np.nonzero(bad)[0][0])
        raise MeshError(f"anode node {k} at {X[k]} has a normal opposite to its segments "
                        "(a cusp); the deposit folded over. Use a smaller time step.")
    return (dt * np.asarray(loads) / denom)[:, None] * N


def area_under(X):
    """Signed area between the open chain X (n, 2) and the x-axis (trapezoid sums)."""
    X = np.asarray(X, dtype=float)
    return float(np.sum(0.5 * (X[1:, 0] - X[:-1, 0]) * (X[1:, 1] + X[:-1, 1])))


def faraday_displacement(X, loads, dt):
    """:func:`anode_displacement` plus a common normal shift δ making the swept area
    exactly ``dt * sum(loads)`` (= Δt ∫ v_n ds). Returns (displacement, fix) with `fix`
    the area the shift added [m²] (O(Δt²), reported by the solver)."""
    X = np.asarray(X, dtype=float)
    d = anode_displacement(X, loads, dt)
    N = anode_normals(X)
    target = area_under(X) + dt * float(np.sum(loads))
    return _match_area(X, d, N, target)


def chord_normals(X):
    """Unit node normals from the central chords :math:`x_{i+1} - x_{i-1}` (the tangent
    of the Catmull--Rom curve through the nodes), pointing into the electrolyte; end
    nodes vertical (symmetry walls). On a circle sampled uniformly they are the exact
    radial normals."""
    X = np.asarray(X, dtype=float)
    d = np.empty_like(X)
    d[1:-1] = X[2:] - X[:-2]
    d[0], d[-1] = X[1] - X[0], X[-1] - X[-2]
    N = np.column_stack([-d[:, 1], d[:, 0]])
    with np.errstate(invalid="ignore", divide="ignore"):
        N /= np.linalg.norm(N, axis=1)[:, None]
    N[0] = N[-1] = (0.0, 1.0)
    if not np.all(np.isfinite(N)):
        raise MeshError("the anode polyline has coincident nodes; no normal can be formed.")
    return N


def equalise_spacing(Y, fraction):
    """Slide the interior nodes of the polyline *Y* along the Catmull--Rom curve through
    them, a *fraction* of the way towards equal arc-length spacing (ends fixed). The
    curve is kept to the spline's accuracy; the nodes stay in order."""
    Y = np.asarray(Y, dtype=float)
    n = len(Y)
    if n < 4 or fraction <= 0:
        return Y.copy()
    L = np.linalg.norm(np.diff(Y, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(L)])
    target = s + fraction * (np.linspace(0.0, s[-1], n) - s)
    target[0], target[-1] = 0.0, s[-1]
    j = np.clip(np.searchsorted(s, target, side="right") - 1, 0, n - 2)
    tau = (target - s[j]) / np.maximum(L[j], 1e-300)
    tang = np.empty_like(Y)
    tang[1:-1] = 0.5 * (Y[2:] - Y[:-2])
    tang[0], tang[-1] = Y[1] - Y[0], Y[-1] - Y[-2]
    t = tau[:, None]
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    out = h00 * Y[j] + h10 * tang[j] + h01 * Y[j + 1] + h11 * tang[j + 1]
    out[0], out[-1] = Y[0], Y[-1]
    return out


def curve_displacement(X, speeds, dt, *, redistribute=0.0):
    r"""Displacement (n, 2) of the anode nodes moving the *curve through them* with the
    nodal normal speeds *speeds* [m/s] (growth > 0): :math:`\Delta t\,v_i N_i` with
    :func:`chord_normals`, plus one common normal shift δ (returned as `fix`, the area
    it added [m²]) making the swept area exactly :math:`\Delta t\sum_i a_i v_i`
    (:math:`a_i` the half lengths of the segments at node *i*: the lumped
    :math:`\Delta t\int v_n ds`).

    ``redistribute`` > 0 also slides the nodes along the moved curve towards equal
    spacing (:func:`equalise_spacing`): the tangential part of a node's motion is free in
    ALE (the fields follow through the mesh-velocity term), and it keeps the nodes of a
    concave region from converging (fewer remeshes).

    Unlike :func:`anode_displacement` (the offset of the polygon, exact for its area to
    first order but advancing a vertex of turning angle θ by :math:`v/\cos(θ/2)`, which
    sharpens an under-resolved tip by :math:`θ^2/8` of its advance per step), this keeps
    nodes on the offset of the smooth curve; the polygon's area discrepancy,
    :math:`O(h^2\kappa)` per step, is what the common shift removes.
    """
    X = np.asarray(X, dtype=float)
    N = chord_normals(X)
    L = np.linalg.norm(np.diff(X, axis=0), axis=1)
    a = np.zeros(len(X))
    a[:-1] += 0.5 * L
    a[1:] += 0.5 * L
    d = (dt * np.asarray(speeds, dtype=float))[:, None] * N
    if redistribute:
        d = equalise_spacing(X + d, redistribute) - X
    target = area_under(X) + dt * float(np.sum(a * speeds))
    return _match_area(X, d, N, target)


def _match_area(X, d, N, target):
    """Add a uniform normal offset δN to the displacement *d* of the curve *X* so that the
    area under the moved curve is *target* (Newton on the quadratic area(δ)); returns the
    corrected displacement and the area change the correction made."""
    a_first = area_under(X + d)
    delta = 0.0
    scale = max(float(np.abs(d).max()), 1e-300)
    for _ in range(4):  # area is quadratic in δ: Newton converges in 2-3 steps
        a0 = area_under(X + d + delta * N)
        slope = (area_under(X + d + (delta + 1e-3 * scale) * N) - a0) / (1e-3 * scale)
        if slope == 0.0:
            break
        delta += (target - a0) / slope
    return d + delta * N, area_under(X + d + delta * N) - a_first


def triangle_areas(p, t):
    """Signed areas of triangles (positive for counter-clockwise vertex order; meshes
    may mix orientations, so compare signs between configurations, not with zero)."""
    return 0.5 * simplex_det(p, t)


def triangle_quality(p, t):
    """Shape quality 4√3 |A| / Σ l² in [0, 1] (1 = equilateral, 0 degenerate)."""
    return mean_ratio(p, t)


def _stiffness_coo(p, t, k):
    """COO triplets of the P1 stiffness ∫ k ∇u·∇v with elementwise k (vectorised)."""
    A = triangle_areas(p, t)
    x, y = p[0, t], p[1, t]
    b = np.stack([y[1] - y[2], y[2] - y[0], y[0] - y[1]])
    c = np.stack([x[2] - x[1], x[0] - x[2], x[1] - x[0]])
    coef = k / (4 * np.abs(A))
    vals = coef[None, None, :] * (b[:, None, :] * b[None, :, :] + c[:, None, :] * c[None, :, :])
    rows = np.broadcast_to(t[:, None, :], vals.shape)
    cols = np.broadcast_to(t[None, :, :], vals.shape)
    return rows.ravel(), cols.ravel(), vals.ravel()


def harmonic_extension(p, t, *, fixed_x, values_x, fixed_y, values_y, solvers=None):
    """Displacement field (2, npoints) from Dirichlet data by a stiffened Laplace solve.

    Parameters
    ----------
    p, t : arrays
        Mesh nodes (2, n) and triangles (3, ne) of the current configuration.
    fixed_x, values_x, fixed_y, values_y
        Node indices with prescribed x / y displacement and the values.
    solvers : pair of :class:`~ntransport.solve.linear.DirectSolver`, optional
        One per component, kept by the caller across steps on one mesh topology so the
        symbolic analysis is reused (:mod:`ntransport.solve.linear`).
    """
    n = p.shape[1]
    A = triangle_areas(p, t)
    rows, cols, vals = _stiffness_coo(p, t, 1.0 / np.abs(A))
    out = np.zeros_like(p)
    solvers = solvers or (DirectSolver(), DirectSolver())
    for comp, (fixed, fvals) in enumerate(((fixed_x, values_x), (fixed_y, values_y))):
        fixed = np.asarray(fixed, dtype=np.int64)
        u = np.zeros(n)
        u[fixed] = fvals
        is_free = np.ones(n, bool)
        is_free[fixed] = False
        free = np.nonzero(is_free)[0]
        if free.size:
            idx = np.full(n, -1, dtype=np.int64)
            idx[free] = np.arange(free.size)
            ri, ci = idx[rows], idx[cols]
            ff = (ri >= 0) & (ci >= 0)
            K = sp.csr_matrix((vals[ff], (ri[ff], ci[ff])), shape=(free.size, free.size))
            fx = (ri >= 0) & (ci < 0)
            rhs = -np.bincount(ri[fx], weights=vals[fx] * u[cols[fx]], minlength=free.size)
            u[free] = solvers[comp].factor(K)(rhs)
        out[comp] = u
    return out
