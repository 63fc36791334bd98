"""Small structured meshes for phase-field runs (scaled length units).

* :func:`interval` -- 1D line, boundaries ``"electrode"`` (x = 0) and
  ``"electrolyte"`` (x = L).
* :func:`graded_rectangle` -- 2D rectangle, electrode at y = 0 (``"electrode"``),
  ``"electrolyte"`` at y = H, ``"sides"``; uniform fine band of element size `h_fine`
  for y < `band` and a geometrically coarsened mesh above it.
* :func:`filament_indicator` -- elements inside aligned filaments perpendicular to the
  electrode (the PE skeleton), when no ``aligned_filaments`` Domain is used.
"""
from __future__ import annotations

import numpy as np
import skfem

from ..errors import GeometryError, check_positive

__all__ = ["interval", "graded_rectangle", "filament_indicator"]


def interval(length: float, n: int) -> skfem.MeshLine1:
    """Uniform 1D mesh of `n` elements on [0, length]."""
    check_positive(length, name="length", exc=GeometryError)
    if int(n) < 2:
        raise GeometryError(f"n must be an integer >= 2, got {n!r}.")
    m = skfem.MeshLine(np.linspace(0.0, length, int(n) + 1))
    tol = 1e-9 * length
    return m.with_boundaries({"electrode": lambda x: x[0] < tol,
                              "electrolyte": lambda x: x[0] > length - tol})


def graded_rectangle(width: float, height: float, *, h_fine: float, band: float,
                     growth: float = 1.3) -> skfem.MeshTri1:
    """Rectangle [0, width] x [0, height] fine (h_fine) for y < band, graded above.

    Elements above the band grow in y by the factor `growth` per row (x spacing stays
    h_fine so the mesh remains conforming without hanging nodes).
    """
    for name, v in (("width", width), ("height", height), ("h_fine", h_fine),
                    ("band", band)):
        check_positive(v, name=name, exc=GeometryError)
    if band > height:
        raise GeometryError(f"band ({band}) must not exceed height ({height}).")
    nx = max(1, int(np.ceil(width / h_fine)))
    ny = max(1, int(np.ceil(band / h_fine)))
    y = list(np.linspace(0.0, band, ny + 1))
    dy = band / ny
    while y[-1] < height - 1e-12:
        dy *= growth
        y.append(min(height, y[-1] + dy))
    if len(y) > 2 and (y[-1] - y[-2]) < 0.3 * (y[-2] - y[-3]):
        y.pop(-2)
    m = skfem.MeshTri.init_tensor(np.linspace(0.0, width, nx + 1), np.array(y))
    tol = 1e-9 * max(width, height)
    return m.with_boundaries({
        "electrode": lambda x: x[1] < tol,
        "electrolyte": lambda x: x[1] > height - tol,
        "sides": lambda x: (x[0] < tol) | (x[0] > width - tol)})


def filament_indicator(mesh, *, pitch: float, thickness: float, offset: float = 0.0,
                       y_start: float = 0.0) -> np.ndarray:
    """Bool per element: centroid inside a vertical filament.

    Filaments of width `thickness` are centred at x = offset + k*pitch and run from
    y = y_start to the top (perpendicular to the electrode at y = 0).
    """
    check_positive(pitch, name="pitch", exc=GeometryError)
    check_positive(thickness, name="thickness", exc=GeometryError)
    if thickness >= pitch:
        raise GeometryError(f"thickness ({thickness}) must be < pitch ({pitch}).")
    xc = mesh.p[:, mesh.t].mean(axis=1)
    d = np.abs(((xc[0] - offset) + 0.5 * pitch) % pitch - 0.5 * pitch)
    return (d < 0.5 * thickness) & (xc[1] > y_start)
