r"""Nodal P1 fields sampled along lines (pure functions): the one line sampler.

:func:`sample_line` evaluates a P1 field at equally spaced points of a segment;
:func:`centre_line_profile` samples the centre line between the electrodes.

The line runs through the centre of the domain's bounding box, parallel to the
coordinate axis closest to the anode-to-cathode direction
(:func:`ntransport.post.effective.electrode_axis`), from the anode side to the
cathode side; the field is interpolated with the P1 basis
(:func:`sample_line`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["sample_line", "centre_line_profile"]


def sample_line(domain, nodal_values, start, end, n: int = 200):
    r"""Values of a P1 nodal field at *n* equally spaced points from *start* to *end*.

    :math:`u(x_k) = \sum_i u_i \lambda_i(x_k)` with the barycentric coordinates of the
    element containing :math:`x_k` (skfem probes).

    Parameters
    ----------
    domain : Domain
    nodal_values : (nvertices,) array
    start, end : (dim,) points in metres, inside the mesh or on its boundary.
    n : int, number of samples (>= 2).

    Returns
    -------
    s : (n,) distance from *start* [m]
    values : (n,) field values
    """
    import skfem

    mesh = domain.mesh
    u = np.asarray(nodal_values, dtype=float)
    if u.shape != (mesh.nvertices,):
        raise ValueError(
            f"sample_line: nodal_values must have one value per mesh node ({mesh.nvertices}), "
            f"got shape {u.shape}."
        )
    if int(n) < 2:
        raise ValueError(f"sample_line: n must be >= 2, got {n!r}.")
    a, b = np.asarray(start, float), np.asarray(end, float)
    if a.shape != (domain.dim,) or b.shape != (domain.dim,):
        raise ValueError(f"sample_line: start and end must be {domain.dim}-vectors in metres.")
    t = np.linspace(0.0, 1.0, int(n))
    # end points on the boundary may sit a rounding error outside the mesh: pull the
    # end samples in by 1e-12 of the line length (far below any element size)
    tt = np.clip(t, 1e-12, 1.0 - 1e-12)
    pts = a[:, None] + (b - a)[:, None] * tt[None, :]
    elem = skfem.ElementTriP1() if domain.dim == 2 else skfem.ElementTetP1()
    try:
        P = skfem.CellBasis(mesh, elem).probes(pts)
    except ValueError:
        raise ValueError(
            f"sample_line: the line from {a.tolist()} to {b.tolist()} m leaves the mesh "
            f"(bounds {domain.bounds.tolist()} m)."
        ) from None
    return t * float(np.linalg.norm(b - a)), P @ u


def centre_line_profile(domain, nodal_values, *, electrodes=("anode", "cathode"), n=200):
    """``(s, u)``: distance from the anode side [m] and the field at *n* points.

    Examples
    --------
    >>> s, phi = centre_line_profile(domain, result.potential,
    ...                              electrodes=result.electrodes)  # doctest: +SKIP
    """
    from .effective import electrode_axis

    axis, _, _ = electrode_axis(domain, electrodes)
    lo, hi = domain.bounds[:, 0], domain.bounds[:, 1]
    centre = 0.5 * (lo + hi)
    k = int(np.argmax(np.abs(axis)))
    start, end = centre.copy(), centre.copy()
    start[k], end[k] = (lo[k], hi[k]) if axis[k] > 0 else (hi[k], lo[k])
    return sample_line(domain, nodal_values, start, end, n)
