"""`aligned_filaments`: separator fibres (e.g. a PE skeleton) perpendicular to the anode.

Zhang et al. (12.6 µm asymmetric composite electrolyte, SI, "Simulation of Li dendrite
evolution") model the PE skeleton as "uniformly aligned filaments perpendicular to the
anode surface" inside PEO; this builder makes that domain.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from ..errors import GeometryError
from . import _occ
from .domain import Domain
from .gmsh_io import from_gmsh
from .layers import _positive
from .placement import _check_box

__all__ = ["aligned_filaments"]

log = logging.getLogger(__name__)


def aligned_filaments(
    box,
    *,
    diameter: float,
    n_filaments: int | None = None,
    spacing: float | None = None,
    gap_anode: float = 0.0,
    gap_cathode: float = 0.0,
    mesh_size: float | None = None,
    electrolyte: str = "electrolyte",
    filaments: str = "filaments",
    algorithm: int | None = None,
) -> Domain:
    """Filaments along the electrode axis (y in 2D, z in 3D), evenly spaced.

    2D: ``n`` strips of width `diameter` centred at ``x_i = (i + 1/2) Lx / n``.
    3D: ``n x n`` cylinders on a square grid in the x-y plane. Filaments run from
    ``gap_anode`` above the anode to ``gap_cathode`` below the cathode.

    Parameters
    ----------
    box : (Lx, Ly) or (Lx, Ly, Lz), metres
    diameter : float
        Filament width (2D) or diameter (3D), metres.
    n_filaments : int, optional
        Filaments per row (give this or `spacing`).
    spacing : float, optional
        Centre-to-centre distance; ``n = floor(Lx / spacing)`` (rows centred in the box).
    gap_anode, gap_cathode : float
        Electrolyte gap between the filament ends and the electrodes (0: touching).
    mesh_size : float, optional
        Default ``diameter / 3``.
    electrolyte, filaments : str
        Subdomain names.

    Returns
    -------
    Domain
        Boundaries anode (y = 0 / z = 0), cathode, sides; interface
        ``"electrolyte|filaments"``; ``info["filament_centers"]`` (m).
    """
    b = _check_box(box)
    dim = b.size
    dmt = _positive(diameter, "diameter")
    if (n_filaments is None) == (spacing is None):
        raise GeometryError("give exactly one of n_filaments or spacing.")
    if spacing is not None:
        sp = _positive(spacing, "spacing")
        n = int(math.floor(b[0] / sp + 1e-9))
        if n < 1:
            raise GeometryError(f"spacing={spacing!r} is larger than the box width {b[0]!r}.")
        x = (np.arange(n) - (n - 1) / 2) * sp + b[0] / 2
    else:
        if int(n_filaments) != n_filaments or n_filaments < 1:
            raise GeometryError(f"n_filaments must be an integer >= 1, got {n_filaments!r}.")
        n = int(n_filaments)
        sp = b[0] / n
        x = (np.arange(n) + 0.5) * sp
    if dmt >= sp:
        raise GeometryError(
            f"diameter={dmt:.3g} m >= filament spacing {sp:.3g} m: the filaments would touch "
            "or overlap; use fewer filaments or a smaller diameter."
        )
    H = b[-1]
    g0, g1 = float(gap_anode), float(gap_cathode)
    if g0 < 0 or g1 < 0 or g0 + g1 >= H:
        raise GeometryError(
            f"gap_anode={gap_anode!r} and gap_cathode={gap_cathode!r} must be >= 0 and leave "
            f"filament length: their sum must be < the height {H:.3g} m."
        )
    h = dmt / 3 if mesh_size is None else _positive(mesh_size, "mesh_size")
    if dim == 3:
        y = (np.arange(n) - (n - 1) / 2) * sp + b[1] / 2
        if np.any(y - dmt / 2 < 0) or np.any(y + dmt / 2 > b[1]):
            raise GeometryError(f"{n} filament rows at spacing {sp:.3g} m do not fit in Ly={b[1]:.3g} m.")
        X, Y = np.meshgrid(x, y, indexing="ij")
        centers = np.stack([X.ravel(), Y.ravel()], axis=1)
    else:
        centers = x[:, None]
    U = _occ.UM
    with _occ.session() as gmsh:
        occ = gmsh.model.occ
        L = (H - g0 - g1) * U
        if dim == 2:
            frame = (2, occ.addRectangle(0, 0, 0, b[0] * U, H * U))
            tools = [(2, occ.addRectangle((c[0] - dmt / 2) * U, g0 * U, 0, dmt * U, L)) for c in centers]
        else:
            frame = (3, occ.addBox(0, 0, 0, *(b * U)))
            tools = [(3, occ.addCylinder(c[0] * U, c[1] * U, g0 * U, 0, 0, L, dmt / 2 * U)) for c in centers]
        _, out_map = occ.fragment([frame], tools)
        occ.synchronize()
        fil = {t for m in out_map[1:] for _, t in m}
        rest = [t for _, t in out_map[0] if t not in fil]
        _occ.add_groups(gmsh, dim, {electrolyte: rest, filaments: sorted(fil)},
                        _occ.classify_outer(gmsh, dim, b * U))
        _occ.generate(gmsh, dim, algorithm=_occ.check_algorithm(algorithm, dim), mesh_size=h * U)
        domain = from_gmsh(unit="um")
    fr = domain.volume_fractions()
    log.info("aligned_filaments: %d filaments, filament fraction %.4f", len(centers), fr[filaments])
    return domain.with_info(builder="aligned_filaments", filament_centers=centers,
                            diameter=dmt, spacing=sp, filament_fraction=fr[filaments],
                            electrode_axis=dim - 1)
