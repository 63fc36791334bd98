r"""Post-processing of phase-field fields: pure functions of mesh and nodal values.

* :func:`total_lithium` -- :math:`\int (c + \tfrac{c_s}{c_0}\xi)\,dV` (ions + deposit,
  in units of :math:`c_0 l_0^d`).
* :func:`deposit_area` -- :math:`\int \xi\, dV`.
* :func:`front_position_1d` -- x where :math:`\xi = 1/2` (linear interpolation).
* :func:`interface_points` -- points of the :math:`\xi = 1/2` contour (P1 edges).
* :func:`radius_harmonics` -- Fourier amplitudes of :math:`r(\theta)` of a closed
  contour around a centre (four-fold symmetry metric).
* :func:`dendrite_metrics` -- length (max height of the contour above the electrode),
  deposited area.
"""
from __future__ import annotations

import numpy as np
import skfem

__all__ = ["total_lithium", "deposit_area", "front_position_1d", "interface_points",
           "radius_harmonics", "dendrite_metrics"]


def _basis(mesh):
    e = skfem.ElementLineP1() if mesh.dim() == 1 else skfem.ElementTriP1()
    return skfem.Basis(mesh, e, intorder=2)


@skfem.Functional
def _integral(w):
    return w["u"]


def deposit_area(mesh, xi) -> float:
    r""":math:`\int \xi\,dV` (deposit volume, or area in 2D)."""
    b = _basis(mesh)
    return float(_integral.assemble(b, u=b.interpolate(xi)))


def total_lithium(mesh, xi, c, cs_c0: float) -> float:
    r""":math:`\int (c + (c_s/c_0)\,\xi)\,dV`: Li in ions plus Li in the metal."""
    b = _basis(mesh)
    return float(_integral.assemble(b, u=b.interpolate(np.asarray(c) + cs_c0 * np.asarray(xi))))


def front_position_1d(x, xi, level: float = 0.5) -> float:
    """First x (sorted ascending) where `xi` drops below `level` (Li on the left)."""
    order = np.argsort(x)
    x, xi = np.asarray(x)[order], np.asarray(xi)[order]
    k = int(np.argmax(xi < level))
    if k == 0:
        raise ValueError(f"xi never crosses {level} from above; no front to locate.")
    return float(x[k - 1] + (level - xi[k - 1]) / (xi[k] - xi[k - 1]) * (x[k] - x[k - 1]))


def interface_points(mesh, xi, level: float = 0.5) -> np.ndarray:
    """(2, n) points where the P1 field crosses `level` on mesh edges."""
    xi = np.asarray(xi)
    a, b = mesh.facets if mesh.dim() == 2 else mesh.edges
    fa, fb = xi[a] - level, xi[b] - level
    cut = fa * fb < 0
    s = fa[cut] / (fa[cut] - fb[cut])
    return mesh.p[:, a[cut]] + s * (mesh.p[:, b[cut]] - mesh.p[:, a[cut]])


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


def dendrite_metrics(mesh, xi, *, electrode_y: float = 0.0) -> dict:
    """Dendrite length (highest point of the xi = 1/2 contour above `electrode_y`),
    its x position, and the deposited area :math:`\\int\\xi`."""
    pts = interface_points(mesh, xi)
    if pts.shape[1] == 0:
        return {"length": 0.0, "tip_x": float("nan"), "area": deposit_area(mesh, xi)}
    k = int(np.argmax(pts[1]))
    return {"length": float(pts[1, k] - electrode_y), "tip_x": float(pts[0, k]),
            "area": deposit_area(mesh, xi)}
