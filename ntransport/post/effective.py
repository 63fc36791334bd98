r"""Effective conductivity along the electrode axis, and the classical bounds.

:math:`\sigma_\mathrm{eff} = I L / (V A)`: the conductivity of a homogeneous slab
with the same electrode separation *L* and electrode (cross-section) area *A* that
carries the same current *I* at the same voltage *V*. In 2D, *A* is the electrode
width and *I* is per metre of depth.

The bounds are for isotropic two-phase composites (Hashin & Shtrikman 1962; in 2D
the same form with ``dim = 2``); Maxwell Garnett (= the HS bound on the side of the
continuous phase) is the dilute-limit law for non-interacting inclusions.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "electrode_axis", "effective_conductivity", "hashin_shtrikman_bounds",
    "maxwell_garnett", "wiener_bounds", "coated_sphere_conductivity",
]


def _facet_normals(domain, name):
    mesh = domain.mesh
    facets = domain.facets(name)
    x = mesh.p[:, mesh.facets[:, facets]]
    if domain.dim == 2:
        tang = x[:, 1] - x[:, 0]
        n = np.stack([tang[1], -tang[0]])
    else:
        n = 0.5 * np.cross((x[:, 1] - x[:, 0]).T, (x[:, 2] - x[:, 0]).T).T
    return x.mean(axis=1), n  # centroids (dim, nf), area-weighted normals (dim, nf)


def electrode_axis(domain, electrodes=("anode", "cathode")):
    r"""Unit axis, separation and projected area of a pair of electrodes.

    Returns
    -------
    axis : (dim,) unit vector from the anode centroid to the cathode centroid.
    length : float
        Separation of the electrode planes along `axis` [m].
    area : float
        Anode area projected on the plane normal to `axis`,
        :math:`\sum_f |f|\,|n_f\cdot\hat n|` [m^(dim-1)] (equals its area when flat).
    """
    ca, na = _facet_normals(domain, electrodes[0])
    cc, nc = _facet_normals(domain, electrodes[1])
    wa = np.linalg.norm(na, axis=0)
    wc = np.linalg.norm(nc, axis=0)
    xa = (ca * wa).sum(axis=1) / wa.sum()
    xc = (cc * wc).sum(axis=1) / wc.sum()
    d = xc - xa
    length = float(np.linalg.norm(d))
    if length == 0.0:
        raise ValueError(f"electrodes {electrodes} have the same centroid; cannot define an axis.")
    axis = d / length
    area = float(np.abs(axis @ na).sum())
    return axis, length, area


def effective_conductivity(total_current: float, voltage: float, length: float,
                           area: float) -> float:
    r""":math:`\sigma_\mathrm{eff} = I L/(V A)` [S/m]."""
    return float(total_current * length / (voltage * area))


def wiener_bounds(fractions, sigmas) -> tuple[float, float]:
    r"""Series (harmonic) and parallel (arithmetic) means: :math:`(\sum f/\sigma)^{-1}, \sum f\sigma`."""
    f, s = np.asarray(fractions, float), np.asarray(sigmas, float)
    return float(1.0 / np.sum(f / s)), float(np.sum(f * s))


def maxwell_garnett(sigma_m: float, sigma_p: float, fraction: float, *, dim: int) -> float:
    r"""Maxwell Garnett conductivity of inclusions *p* at *fraction* in matrix *m*.

    .. math::

        \sigma_\mathrm{MG} = \sigma_m\,\frac{\sigma_p + (d-1)\sigma_m + (d-1) f(\sigma_p-\sigma_m)}
                                          {\sigma_p + (d-1)\sigma_m - f(\sigma_p-\sigma_m)}
    """
    k = dim - 1
    dp = sigma_p - sigma_m
    return float(sigma_m * (sigma_p + k * sigma_m + k * fraction * dp)
                 / (sigma_p + k * sigma_m - fraction * dp))


def hashin_shtrikman_bounds(sigma_1: float, sigma_2: float, fraction_2: float, *,
                            dim: int) -> tuple[float, float]:
    """Lower and upper Hashin–Shtrikman bounds of a two-phase isotropic composite.

    Each bound is the Maxwell Garnett formula with the less (lower bound) or more
    (upper bound) conductive phase as the matrix.
    """
    lo_s, hi_s = sorted((sigma_1, sigma_2))
    f_hi = fraction_2 if sigma_2 >= sigma_1 else 1.0 - fraction_2
    lower = maxwell_garnett(lo_s, hi_s, f_hi, dim=dim)
    upper = maxwell_garnett(hi_s, lo_s, 1.0 - f_hi, dim=dim)
    return lower, upper


def coated_sphere_conductivity(sigma_core, sigma_shell, core_radius, outer_radius, *, dim=3):
    r"""Hashin's equivalent conductivity of a coated disk/sphere [S/m].

    A core (radius a, :math:`\sigma_c`) in a shell (outer radius b, :math:`\sigma_s`)
    perturbs a uniform field outside exactly like a homogeneous particle of radius b
    with (Hashin 1962; Milton 2002, sec. 7.2)

    .. math::
       \sigma_{eq} = \sigma_s\,\frac{(\sigma_c + (d-1)\sigma_s) + (d-1)\,c\,(\sigma_c-\sigma_s)}
                                   {(\sigma_c + (d-1)\sigma_s) - c\,(\sigma_c-\sigma_s)},
       \qquad c = (a/b)^d .

    A thin shell on an insulating core gives :math:`\sigma_{eq}\approx (d-1)\,t\sigma_s/a`
    (a conducting skin of sheet conductance :math:`t\sigma_s`).
    """
    from ..errors import GeometryError, check_positive

    for name, v in (("sigma_core", sigma_core), ("sigma_shell", sigma_shell),
                    ("core_radius", core_radius), ("outer_radius", outer_radius)):
        check_positive(v, name=name, exc=GeometryError)
    if outer_radius < core_radius:
        raise GeometryError(f"outer_radius={outer_radius!r} must be >= core_radius="
                            f"{core_radius!r}.")
    if dim not in (2, 3):
        raise GeometryError(f"dim must be 2 or 3, got {dim!r}.")
    c = (core_radius / outer_radius) ** dim
    k = dim - 1
    num = (sigma_core + k * sigma_shell) + k * c * (sigma_core - sigma_shell)
    den = (sigma_core + k * sigma_shell) - c * (sigma_core - sigma_shell)
    return sigma_shell * num / den


def coated_sphere_split(sigma_core, sigma_shell, core_radius, outer_radius):
    r"""Share of the volume-integrated current of a coated sphere carried by its shell.

    For a coated sphere whose outside field is that of its Hashin equivalent sphere with
    interior field :math:`E` (3D), the shell potential is
    :math:`(Br + C/r^2)\cos\theta` with :math:`C = b^3(\sigma_{eq}/\sigma_s - 1)/3`,
    :math:`B = -1 - C/b^3` (for unit E) and the core field :math:`E_c = -(B + C/a^3)`.
    Since :math:`\int_V j\,dV = \oint x\,(j\cdot n)\,dS`, the coated and the equivalent
    sphere carry the same total; the core carries :math:`\sigma_c E_c V_a` of
    :math:`\sigma_{eq} E V_b`.

    Returns
    -------
    (shell_share, core_field_ratio) : floats
        Fraction of the particle's axial current in the shell, and :math:`E_c/E`.
    """
    s_eq = coated_sphere_conductivity(sigma_core, sigma_shell, core_radius, outer_radius)
    b3, a3 = outer_radius ** 3, core_radius ** 3
    C = b3 * (s_eq / sigma_shell - 1.0) / 3.0
    B = -1.0 - C / b3
    Ec = -(B + C / a3)
    core = sigma_core * Ec * a3
    total = s_eq * b3
    return float(1.0 - core / total), float(Ec)
