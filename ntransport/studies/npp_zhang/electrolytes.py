r"""The electrolytes of a case: layers with their materials, the three species of each
electrolyte, and the small per-layer quantities the runs need.

Each layer has a conductivity :math:`\sigma` (at the run's one temperature) and a Li+
transference number :math:`t_+`; the anions split into free ones with the host's normal
diffusivity :math:`D_- = D_+(1-t_0)/t_0` and immobilised ones (:math:`D = 0`), with
:math:`D_+ = t_+\sigma RT/(F^2 c_{Li})`
(:func:`ntransport.physics.species.transference_split`). ``concentrations: donnan`` puts
every layer in Donnan equilibrium with a host layer at the salt concentration
(:func:`ntransport.physics.species.donnan_concentration`).

A layer is the tuple ``(name, thickness [m], Material)``; layers run from the cathode
(bottom) up.
"""
from __future__ import annotations

import numpy as np

from ...errors import ConfigError, MaterialError
from ..conduction_case import resolve_material
from .schema import FIXED, FREE, LI

__all__ = ["resolve_electrolytes", "electrolyte_species", "thickness", "interfaces",
           "mobile_D", "first_layer", "host_sand_time"]


def resolve_electrolytes(data) -> dict:
    """Electrolyte name -> list of ``(layer name, thickness [m], Material)``."""
    out = {}
    for name, layers in data["electrolytes"].items():
        names = [lay["name"] for lay in layers]
        if len(set(names)) != len(names):
            raise ConfigError(f"electrolytes.{name}: layer names must be unique, got {names}.")
        out[name] = [(lay["name"], lay["thickness"],
                      resolve_material(lay["material"], name=lay["name"],
                                       where=f"electrolytes.{name}.{lay['name']}"))
                     for lay in layers]
    return out


def electrolyte_species(layers, *, T, t0, c_salt, concentrations="donnan"):
    """``(species, table)`` of one electrolyte: Li+, free and immobilised anions with
    per-layer D and c0 (module docstring), and the per-layer parameters used.

    *layers*: list of ``(name, thickness [m], Material)`` from the cathode up.
    """
    from ...physics.species import Species, donnan_concentration, transference_split

    Dp, Dm, cl, cf, cx, table = {}, {}, {}, {}, {}, {}
    for name, th, m in layers:
        try:
            sigma = m.conductivity(T)
            tp = m.transference
            c = c_salt if concentrations == "salt" else donnan_concentration(tp, t0, c_salt)
            dp, dm, free, fixed = transference_split(sigma, tp, c, t0=t0, T=T)
        except MaterialError as exc:
            raise ConfigError(f"layer {name!r} ({m.name}): {exc}") from exc
        Dp[name], Dm[name], cl[name], cf[name], cx[name] = dp, dm, c, free, fixed
        table[name] = {"material": m.name, "thickness [m]": th, "sigma [S/m]": sigma,
                       "t+ [1]": tp, "c_Li+ [mol m-3]": c, "c_A- free [mol m-3]": free,
                       "c_A- immobilised [mol m-3]": fixed, "D_Li+ [m2 s-1]": dp,
                       "D_A- [m2 s-1]": dm, "citation": m.citation, "note": m.note}
    return (Species(LI, 1, Dp, cl), Species(FREE, -1, Dm, cf), Species(FIXED, -1, 0.0, cx)), table


def thickness(layers) -> float:
    """Total thickness [m] of *layers*."""
    return sum(th for _, th, *_ in layers)


def interfaces(layers) -> np.ndarray:
    """Heights [m] of the interfaces between *layers*, measured from the cathode."""
    return np.cumsum([th for _, th, *_ in layers])[:-1]


def mobile_D(species):
    """Smallest and largest positive mobile diffusivity [m2 s-1]."""
    vals = [v for s in species for v in (s.D.values() if hasattr(s.D, "values") else [s.D])
            if v > 0]
    return min(vals), max(vals)


def first_layer(layers, species):
    """(D+, D-, c_Li, c_free, c_fixed) of the cathode-side layer."""
    name = layers[0][0]
    li, free, fixed = species
    return li.D[name], free.D[name], li.c0[name], free.c0[name], fixed.c0[name]


def host_sand_time(data, setup) -> float:
    """Sand's time of the first electrolyte's cathode layer as a binary salt (the common
    clock of the flux reading's frames); *setup*: name -> ``(layers, species)``."""
    from ...physics.polarisation import sand_time

    layers, sp = next(iter(setup.values()))
    Dp, Dm, c, _, _ = first_layer(layers, sp)
    return sand_time(data["flux"], c0=c, D_plus=Dp, D_minus=Dm)
