r"""Debye lengths per subdomain and the boundary-layer mesh that resolves them (Poisson).

With the Poisson model the space-charge layers at electrodes and interfaces decay over

.. math::

    \lambda_D = \sqrt{\frac{\varepsilon_0\varepsilon_r RT}{2F^2 I}},\qquad
    I = \tfrac12\sum_k z_k^2 c_{k,0}

(all species counted, immobilised ones included, as in
:func:`ntransport.solve.npp_discretise.check_debye_resolution`, so a mesh built from it
passes that check). :func:`debye_boundary_layer` turns the smallest λ_D into a
:class:`~ntransport.geometry.refinement.BoundaryLayer` for the gmsh builders:

>>> bl = debye_boundary_layer(binary_salt(1.0, 1e-11, 1e-11), permittivity=10.0)  # doctest: +SKIP
>>> domain = layered_stack([("PEO", 2e-6)], width=1e-6, boundary_layer=bl)      # doctest: +SKIP

When λ_D is far below the cell size (e.g. 0.1 nm in a 20 µm cell) the builder raises
before meshing, names λ_D, the element size and count it would need, and points to
``electrostatics="electroneutral"`` -- the model that is valid in exactly that limit.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from ..errors import ConfigError, check_positive
from ..geometry.refinement import INTERFACES, BoundaryLayer
from .scaling import debye_length

__all__ = ["debye_lengths", "debye_boundary_layer"]

_ALL = "*"  # key used when nothing depends on the subdomain


def _regions(species, permittivity, regions):
    if regions is not None:
        return [str(r) for r in regions]
    keys = set(permittivity) if isinstance(permittivity, Mapping) else set()
    for s in species:
        if isinstance(s.c0, Mapping):
            keys |= set(s.c0)
    return sorted(keys) if keys else [_ALL]


def debye_lengths(species, permittivity, *, temperature: float = 298.15,
                  regions=None) -> dict[str, float]:
    r"""λ_D [m] per subdomain from the initial concentrations (``inf`` where I = 0).

    Parameters
    ----------
    species : sequence of Species
    permittivity : float or mapping region -> float
        Relative permittivity.
    temperature : float [K]
    regions : sequence of str, optional
        Subdomain names (default: every name used in the mappings; ``"*"`` if none).
    """
    check_positive(temperature, name="temperature [K]", exc=ConfigError)
    names = _regions(species, permittivity, regions)
    if not species:
        raise ConfigError("species is empty: give the Species whose charges screen the field.")
    out = {}
    for r in names:
        if isinstance(permittivity, Mapping):
            if r not in permittivity:
                raise ConfigError(f"permittivity has no value for subdomain {r!r}; given for "
                                  f"{sorted(permittivity)}.")
            eps = float(permittivity[r])
        else:
            eps = float(permittivity)
        check_positive(eps, name=f"permittivity[{r!r}]", exc=ConfigError)
        I = 0.0
        for s in species:
            c = s.c0 if not isinstance(s.c0, Mapping) else s.value_in("c0", r, names)
            I += 0.5 * s.z**2 * float(c)
        out[r] = debye_length(eps, I, temperature) if I > 0 else math.inf
    return out


def debye_boundary_layer(species, permittivity, *, temperature: float = 298.15,
                         elements_per_debye: float = 10.0, debye_lengths_uniform: float = 2.0,
                         growth: float = 1.2, on=("anode", "cathode", INTERFACES),
                         max_elements: int = 2_000_000, regions=None) -> BoundaryLayer:
    r"""The boundary layer that resolves the smallest Debye length of the problem.

    Element size :math:`h_0 = \lambda_D/N` (N = ``elements_per_debye``) held uniform over
    ``debye_lengths_uniform`` λ_D from the boundaries ``on``, then growing by the ratio
    ``growth``. The smallest λ_D over the subdomains is used everywhere (conservative:
    each interface layer is at least as fine as its more concentrated side needs).

    Returns
    -------
    BoundaryLayer
        Pass it to a builder as ``boundary_layer=``. If resolving it needs more than
        ``max_elements`` elements the builder raises GeometryError with λ_D and the
        advice to use ``electrostatics="electroneutral"``.
    """
    check_positive(elements_per_debye, name="elements_per_debye", exc=ConfigError)
    check_positive(debye_lengths_uniform, name="debye_lengths_uniform", exc=ConfigError)
    lam = debye_lengths(species, permittivity, temperature=temperature, regions=regions)
    finite = {r: v for r, v in lam.items() if math.isfinite(v)}
    if not finite:
        raise ConfigError("no ions: every initial concentration is zero, so there is no Debye "
                          "length to resolve; give the species' c0 (mol m-3).")
    where = min(finite, key=finite.get)
    lmin = finite[where]
    size = lmin / elements_per_debye
    place = "" if where == _ALL else f" (subdomain {where!r})"
    note = (f"The Debye length is {lmin:.3g} m{place}; resolving it with {elements_per_debye:g} "
            f"elements per Debye length needs elements of {size:.3g} m at {list(on)}: too "
            "many to resolve the Poisson double layers. Use electrostatics='electroneutral' "
            "in NPPProblem (the Debye-length -> 0 limit, valid when the Debye length is far "
            "below the cell and layer sizes), or raise max_elements / lower elements_per_debye.")
    return BoundaryLayer(size=size, thickness=debye_lengths_uniform * lmin, growth=growth, on=on,
                         max_elements=max_elements, note=note)
