r"""Structured triangulations of (layered) rectangles and thin strips, graded towards walls.

No gmsh: the nodes are tensor products of 1D node sets, so 1D problems (layers in
series, a cell between two flat electrodes) can be solved on 2D domains with the same
solver and checked against 1D analytic solutions.

Every rectangle is cut into two right triangles along the **same** diagonal (never
alternating: alternating diagonals give neighbouring nodes different lumped masses, a
checkerboard in any transient). The diagonals carry zero cotangent weight, so the edge
stencil is the 5-point finite-volume one, an M-matrix for Scharfetter--Gummel fluxes, and
the triangles are non-obtuse, so :func:`ntransport.solve.npp_discretise.dual_volumes`
lumps masses on the Voronoi dual cells -- the rectangles around the nodes. Together: a
problem whose data do not depend on x is solved uniform along x to round-off.

Grading: geometric growth from a wall with first cell ``h0`` and ratio ``growth``
until the uniform size ``h`` is reached (:func:`graded_points`).

>>> d = layered_rectangle(100e-6, [("PEO", 20e-6)], nx=10, h=0.5e-6, h0=1e-8)  # doctest: +SKIP
>>> cell = strip(100e-6, n=60)                                              # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from ..errors import GeometryError, check_positive
from . import guards
from .domain import Domain

__all__ = ["graded_points", "layered_rectangle", "strip"]


def graded_points(x0, x1, h, *, h0=None, growth=1.2, ends=(True, True)):
    r"""1D nodes on ``[x0, x1]`` with spacing about ``h``, graded to ``h0`` at the chosen ends.

    Spacings grow geometrically, :math:`h_0, h_0 g, h_0 g^2, \dots` until they reach
    ``h``; the core is uniform. The whole set is rescaled to fit the interval exactly.
    """
    check_positive(x1 - x0, name="interval length")
    check_positive(h, name="h")
    guards.check_elements((x1 - x0) / h, dim=1, what=f"graded_points (h = {h:.3g} m over "
                          f"{x1 - x0:.3g} m)")  # size guard (h-sec)
    if h0 is None or h0 >= h:
        n = max(1, int(np.ceil((x1 - x0) / h)))
        return np.linspace(x0, x1, n + 1)
    check_positive(h0, name="h0 (first cell size)")
    check_positive(growth - 1, name="growth - 1")
    steps, s = [], h0
    while s < h:
        steps.append(s)
        s *= growth
    L = x1 - x0
    nends = sum(bool(e) for e in ends)
    while steps and nends * sum(steps) > 0.5 * L:  # thin interval: grade only as far as fits
        steps.pop()
    if not steps and nends and h0 < L:
        raise GeometryError(f"first cell h0={h0:.3g} with growth {growth} does not fit twice in "
                            f"length {L:.3g}; lower h0.")
    layer = sum(steps)
    core = L - nends * layer
    n = max(1, int(np.ceil(core / h)))
    mid = np.full(n, core / n)
    seq = (steps if ends[0] else []) + list(mid) + (steps[::-1] if ends[1] else [])
    return x0 + np.concatenate([[0.0], np.cumsum(seq)]) * (L / np.sum(seq))


def _y_nodes(layers, h, h0, growth, grade_interfaces):
    ys, nodes, y = [0.0], [], 0.0
    for k, (name, th) in enumerate(layers):
        check_positive(th, name=f"thickness of layer {name!r}")
        hh = h or th / 50
        first, last = k == 0, k == len(layers) - 1
        pts = graded_points(y, y + th, hh, h0=h0, growth=growth,
                            ends=(h0 is not None and (first or grade_interfaces),
                                  h0 is not None and (last or grade_interfaces)))
        nodes.append(pts if k == 0 else pts[1:])
        y += th
        ys.append(y)
    return np.concatenate(nodes), ys


def layered_rectangle(width, layers, *, nx=4, h=None, h0=None, growth=1.2, y_nodes=None,
                      grade_interfaces=False):
    """Rectangle ``[0, width] x [0, sum(thickness)]`` with layers stacked along y.

    Parameters
    ----------
    width : float [m]
    layers : sequence of (name, thickness [m])
        Bottom (y = 0, boundary ``"bottom"``) to top (boundary ``"top"``); sides
        ``"left"``/``"right"``. Layers with the same name form one subdomain;
        interfaces are named ``"a|b"`` automatically.
    nx : int
        Columns of cells along x.
    h : float, optional
        Target element size along y (default thickness/50 per layer).
    h0 : float, optional
        First-cell size at the bottom and top boundaries (grading).
    growth : float
        Ratio of neighbouring cell sizes in the graded zones.
    y_nodes : array, optional
        Explicit node ordinates (overrides h, h0).
    grade_interfaces : bool
        Also grade to ``h0`` on both sides of every layer interface.

    Returns
    -------
    Domain
        With ``info["layers"]`` = [(name, y_bottom, y_top), ...] [m].
    """
    if int(nx) < 1:
        raise GeometryError(f"nx (columns of cells) must be >= 1, got {nx!r}.")
    check_positive(width, name="width [m]")
    if not layers:
        raise GeometryError("layers is empty: give at least one (name, thickness [m]).")
    yn, ys = _y_nodes(layers, h, h0, growth, grade_interfaces)
    if y_nodes is not None:
        yn = np.asarray(y_nodes, float)
        if yn.ndim != 1 or yn.size < 2 or np.any(np.diff(yn) <= 0):
            raise GeometryError("y_nodes must be an increasing 1D array of at least 2 values.")
    nx = int(nx)
    guards.check_elements(2 * nx * (yn.size - 1), dim=2, what=f"layered_rectangle ({nx} x "
                          f"{yn.size - 1} cells)", hint="Use a larger h or a smaller nx.")
    xn = np.linspace(0.0, width, nx + 1)
    ny = yn.size
    X, Y = np.meshgrid(xn, yn, indexing="ij")
    corners = np.column_stack([X.ravel(), Y.ravel()])
    idx = lambda i, j: i * ny + j
    I, J = np.meshgrid(np.arange(nx), np.arange(ny - 1), indexing="ij")
    I, J = I.ravel(), J.ravel()
    a, b, c, d = idx(I, J), idx(I + 1, J), idx(I + 1, J + 1), idx(I, J + 1)
    ymid_cell = (yn[J] + yn[J + 1]) / 2
    p = corners
    tri = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    ymid = np.tile(ymid_cell, 2)
    groups = {}
    for k, (name, _) in enumerate(layers):
        sel = np.nonzero((ymid > ys[k]) & (ymid < ys[k + 1]))[0]
        groups.setdefault(name, []).append(sel)
    groups = {k: np.concatenate(v) for k, v in groups.items()}
    jj, ii = np.arange(ny - 1), np.arange(nx)
    fg = {"bottom": np.column_stack([idx(ii, 0), idx(ii + 1, 0)]),
          "top": np.column_stack([idx(ii, ny - 1), idx(ii + 1, ny - 1)]),
          "left": np.column_stack([idx(0, jj), idx(0, jj + 1)]),
          "right": np.column_stack([idx(nx, jj), idx(nx, jj + 1)])}
    dom = Domain.from_arrays(p, tri, groups, fg)
    return dom.with_info(layers=[(str(n), float(ys[k]), float(ys[k + 1]))
                                 for k, (n, _) in enumerate(layers)])


def strip(length, *, n=100, width=None, h0=None, growth=1.15, name="electrolyte",
          electrodes=("anode", "cathode"), debye_length=None, per_debye=4):
    """A thin 2D strip standing for a 1D cell: x in ``[0, length]`` with boundaries
    ``electrodes[0]`` at x = 0 and ``electrodes[1]`` at x = length (and ``"sides"``), one
    element across (cut along one diagonal, see the module docstring).

    ``h0`` grades the mesh towards both ends; ``debye_length`` sets it to
    ``debye_length / per_debye`` (the Poisson model's double layers).

    >>> cell = strip(100e-6, n=60)        # doctest: +SKIP
    """
    if debye_length is not None:
        check_positive(debye_length, name="debye_length [m]")
        h0 = debye_length / per_debye
    if int(n) < 1:
        raise GeometryError(f"n (elements along the strip) must be >= 1, got {n!r}.")
    width = width or (min(h0, length / n) if h0 else length / n)
    xn = graded_points(0.0, length, length / n, h0=h0, growth=growth)
    d = layered_rectangle(width, [(name, length)], nx=1, y_nodes=xn)
    # rotate: y -> x so that the strip runs along x
    p = d.mesh.p[::-1].copy()
    tri = d.mesh.t.T
    f = d.mesh.facets
    groups = {name: np.arange(tri.shape[0])}
    fg = {electrodes[0]: f[:, d.boundaries["bottom"]].T, electrodes[1]: f[:, d.boundaries["top"]].T,
          "sides": np.vstack([f[:, d.boundaries["left"]].T, f[:, d.boundaries["right"]].T])}
    return Domain.from_arrays(p.T, tri, groups, fg)
