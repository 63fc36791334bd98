r"""Post-processing of phase-field fields on a Domain (SI): pure functions.

* :func:`total_lithium` -- :math:`\int (c + c_s\xi)\,dA` [mol per m depth] with lumped
  (nodal) quadrature, the quadrature the model conserves exactly.
* :func:`deposit_area` -- :math:`\int \xi\, dA` [m2 per m depth].
* :func:`interface_points` -- points of the :math:`\xi = 1/2` contour (P1 edges).
* :func:`front_position` -- y where :math:`\xi = 1/2` along a column (1D runs).
* :func:`radius_harmonics` -- Fourier amplitudes of :math:`r(\theta)` of a closed
  contour around a centre (four-fold symmetry metric).
* :func:`dendrite_metrics` -- tip height, its x position and the deposited area.
"""
from __future__ import annotations

import numpy as np

from ..solve.phasefield import deposit_area, interface_points, tip_height

__all__ = ["total_lithium", "deposit_area", "interface_points", "front_position",
           "radius_harmonics", "dendrite_metrics", "tip_height"]


def _lumped(domain):
    t = domain.mesh.t
    return np.bincount(t.ravel(), np.tile(domain.element_volumes() / 3.0, 3),
                       domain.mesh.nvertices)


def total_lithium(domain, xi, c, c_s: float) -> float:
    r""":math:`\sum_i m_i(c_i + c_s\xi_i)` [mol per m depth]: Li in ions plus Li in the
    metal (`c` [mol m-3], `c_s` the metal's Li site density [mol m-3])."""
    return float(_lumped(domain) @ (np.asarray(c, float) + c_s * np.asarray(xi, float)))


def front_position(y, xi, level: float = 0.5) -> float:
    """First y (sorted ascending) where `xi` drops below `level` (Li below)."""
    order = np.argsort(y)
    y, xi = np.asarray(y)[order], np.asarray(xi)[order]
    k = int(np.argmax(xi < level))
    if k == 0:
        raise ValueError(f"xi never crosses {level} from above; no front to locate.")
    return float(y[k - 1] + (level - xi[k - 1]) / (xi[k] - xi[k - 1]) * (y[k] - y[k - 1]))


def radius_harmonics(points, centre, *, kmax: int = 8, nbins: int = 72) -> np.ndarray:
    r"""One-sided complex Fourier coefficients :math:`\hat r_k`, k = 0..kmax, of the
    contour radius :math:`r(\theta) = \sum_k \mathrm{Re}[\hat r_k e^{ik\theta}]`,
    binned in `nbins` angular bins (bin means, then a DFT).

    :math:`\hat r_0` is the mean radius; a four-fold shape has
    :math:`|\hat r_4| \gg |\hat r_k|`, k in {1,2,3,5,...}; :math:`\mathrm{Re}\,\hat r_4 > 0`
    when the arms point along the axes (theta = 0, 90, ... degrees).
    """
    d = np.asarray(points) - np.asarray(centre, float)[:, None]
    th = np.arctan2(d[1], d[0])
    r = np.hypot(d[0], d[1])
    idx = np.floor((th + np.pi) / (2 * np.pi) * nbins).astype(int) % nbins
    cnt = np.bincount(idx, minlength=nbins)
    if np.any(cnt == 0):
        raise ValueError(f"contour too coarse: {np.sum(cnt == 0)} of {nbins} angular bins "
                         "are empty; use fewer bins or a finer mesh.")
    rb = np.bincount(idx, weights=r, minlength=nbins) / cnt
    thb = -np.pi + (np.arange(nbins) + 0.5) * 2 * np.pi / nbins
    k = np.arange(kmax + 1)
    coef = (rb[None, :] * np.exp(-1j * k[:, None] * thb[None, :])).mean(axis=1)
    coef[1:] *= 2.0  # one-sided: cos/sin pairs
    return coef


def dendrite_metrics(domain, xi) -> dict:
    """Tip height (highest point of the xi = 1/2 contour) [m], its x [m], and the
    deposited area [m2]."""
    pts = interface_points(domain, xi)
    if pts.shape[1] == 0:
        return {"tip_height": 0.0, "tip_x": float("nan"), "area": deposit_area(domain, xi)}
    k = int(np.argmax(pts[1]))
    return {"tip_height": float(pts[1, k]), "tip_x": float(pts[0, k]),
            "area": deposit_area(domain, xi)}
