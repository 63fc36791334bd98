r"""Structured triangulations of (layered) rectangles, graded towards the electrodes.

Used to run 1D verification problems on thin 2D strips with the same solver, and for the
source-study rectangles (which need no gmsh). Grading: geometric growth from each
electrode with first cell ``h0`` (e.g. a fraction of the Debye length) and ratio
``growth`` until the uniform size is reached.
"""
from __future__ import annotations

import numpy as np

from ..errors import GeometryError, check_positive
from ..geometry import Domain

__all__ = ["graded_points", "layered_rectangle", "strip"]


def graded_points(x0, x1, h, *, h0=None, growth=1.2, ends=(True, True)):
    """1D nodes on [x0, x1] with spacing ~h, graded to h0 at the chosen ends."""
    check_positive(x1 - x0, name="interval length")
    check_positive(h, name="h")
    if h0 is None or h0 >= h:
        n = max(1, int(np.ceil((x1 - x0) / h)))
        return np.linspace(x0, x1, n + 1)
    check_positive(growth - 1, name="growth - 1")
    steps, s = [], h0
    while s < h:
        steps.append(s)
        s *= growth
    L = x1 - x0
    nends = sum(ends)
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


def layered_rectangle(width, layers, *, nx=4, h=None, h0=None, growth=1.2, y_nodes=None,
                      grade_interfaces=False):
    """Rectangle [0, width] x [0, sum(thickness)], layers stacked along y.

    Parameters
    ----------
    width : float [m]
    layers : sequence of (name, thickness [m])
        Bottom (y = 0, boundary "bottom") to top (boundary "top"); sides "left"/"right".
        Layers with the same name form one subdomain.
    h : float, optional
        Target element size along y (default thickness/50 per layer).
    h0 : float, optional
        First-cell size at the bottom and top boundaries (grading).
    grade_interfaces : bool
        Also grade to ``h0`` on both sides of every layer interface (concentration
        polarisation layers where the transference number jumps).
    """
    ys = [0.0]
    ys_nodes = []
    y = 0.0
    for k, (name, th) in enumerate(layers):
        check_positive(th, name=f"thickness of layer {name!r}")
        hh = h or th / 50
        pts = graded_points(y, y + th, hh, h0=h0, growth=growth,
                            ends=(h0 is not None and (k == 0 or grade_interfaces),
                                  h0 is not None and (k == len(layers) - 1 or grade_interfaces)))
        ys_nodes.append(pts if k == 0 else pts[1:])
        y += th
        ys.append(y)
    yn = np.concatenate(ys_nodes) if y_nodes is None else np.asarray(y_nodes)
    xn = np.linspace(0, width, nx + 1)
    X, Y = np.meshgrid(xn, yn, indexing="ij")
    p = np.column_stack([X.ravel(), Y.ravel()])
    ny = yn.size
    idx = lambda i, j: i * ny + j
    I, Jj = np.meshgrid(np.arange(nx), np.arange(ny - 1), indexing="ij")
    I, Jj = I.ravel(), Jj.ravel()
    a, b, c, d = idx(I, Jj), idx(I + 1, Jj), idx(I + 1, Jj + 1), idx(I, Jj + 1)
    # alternate diagonals (criss-cross free, no preferred direction bias on average)
    flip = (I + Jj) % 2 == 1
    t1 = np.where(flip[:, None], np.column_stack([a, b, d]), np.column_stack([a, b, c]))
    t2 = np.where(flip[:, None], np.column_stack([b, c, d]), np.column_stack([a, c, d]))
    cells = np.vstack([t1, t2])
    ymid = np.concatenate([(yn[Jj] + yn[Jj + 1]) / 2] * 2)
    groups = {}
    for k, (name, th) in enumerate(layers):
        sel = np.nonzero((ymid > ys[k]) & (ymid < ys[k + 1]))[0]
        groups.setdefault(name, []).append(sel)
    groups = {k: np.concatenate(v) for k, v in groups.items()}
    jj = np.arange(ny - 1)
    ii = np.arange(nx)
    fg = {"bottom": np.column_stack([idx(ii, 0), idx(ii + 1, 0)]),
          "top": np.column_stack([idx(ii, ny - 1), idx(ii + 1, ny - 1)]),
          "left": np.column_stack([idx(0, jj), idx(0, jj + 1)]),
          "right": np.column_stack([idx(nx, jj), idx(nx, jj + 1)])}
    return Domain.from_arrays(p, cells, groups, fg)


def strip(length, *, n=100, width=None, h0=None, growth=1.15, name="electrolyte",
          electrodes=("anode", "cathode"), debye_length=None, per_debye=4):
    """A thin 2D strip standing for a 1D cell: x in [0, length] with boundaries
    ``electrodes[0]`` at x = 0 and ``electrodes[1]`` at x = length, one element across.
    ``h0`` grades the mesh towards both ends; ``debye_length`` sets it automatically to
    ``debye_length / per_debye`` (the Poisson model's double layers)."""
    if debye_length is not None:
        check_positive(debye_length, name="debye_length [m]")
        h0 = debye_length / per_debye
    width = width or (min(h0, length / n) if h0 else length / n)
    xn = graded_points(0.0, length, length / n, h0=h0, growth=growth)
    d = layered_rectangle(width, [(name, length)], nx=1, y_nodes=xn)
    # rotate: y -> x so that the strip runs along x
    p = d.mesh.p[::-1].copy()
    cells = d.mesh.t.T
    f = d.mesh.facets
    groups = {name: np.arange(cells.shape[0])}
    fg = {electrodes[0]: f[:, d.boundaries["bottom"]].T, electrodes[1]: f[:, d.boundaries["top"]].T,
          "sides": np.vstack([f[:, d.boundaries["left"]].T, f[:, d.boundaries["right"]].T])}
    return Domain.from_arrays(p.T, cells, groups, fg)
