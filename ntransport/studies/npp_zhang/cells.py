r"""The cell of one comparison: its structured mesh, the NPP problem of each reading, and
its zero-current (Donnan) equilibrium.

Meshes are structured (:func:`ntransport.geometry.structured.layered_rectangle`, graded
towards the electrodes and the interfaces): cathode = boundary ``"bottom"``, anode =
``"top"``; a 1D problem stays uniform along x to round-off.

Each electrode's kinetics refer to the equilibrium Li+ concentration :math:`c_{eq}` of the
layer it touches (so :math:`i_0` is that interface's exchange current), and its
:math:`U` carries the matching Nernst term :math:`\tfrac{RT}{F}\ln(c_{eq}/c_{salt})`, so
the open-circuit voltage stays the nominal one. The same reference gives the Li+
electrochemical potential :math:`\tilde\mu/F = \phi + \tfrac{RT}{F}\ln(c/c_{salt})`
(:func:`electrochemical_potential`), which carries no Donnan steps.
"""
from __future__ import annotations

import math

import numpy as np

from ...constants import F, R
from ...errors import ConfigError
from .schema import LI

__all__ = ["build_cell", "problem_for", "equilibrium_state", "electrochemical_potential"]


def build_cell(width, layers, *, mesh, h0=None):
    """Structured layered rectangle (cathode = ``bottom``, anode = ``top``)."""
    from ...geometry.structured import layered_rectangle
    from .electrolytes import thickness

    return layered_rectangle(width, [(n, th) for n, th, *_ in layers], nx=mesh["nx"],
                             h=thickness(layers) / mesh["elements_across"],
                             h0=mesh["h0"] if h0 is None else h0, growth=mesh["growth"],
                             grade_interfaces=True)


def problem_for(domain, species, reading, *, T, data, electrostatics="electroneutral",
                permittivity=1.0, initial="equilibrium"):
    """The NPPProblem of one reading: ``"voltage"`` (two Li electrodes at 0 and V),
    ``"flux"`` (Li+ flux in at the top, out at the bottom, phi = 0 at the bottom),
    ``"current"`` (Li anode at the top, LFP cathode at the bottom, galvanostatic) or
    ``"zero"`` (two Li electrodes at zero current: the equilibrium check)."""
    from ...physics.electrode import Electrode, FixedPotential, Flux, Galvanostatic
    from ...solve.npp_problem import NPPProblem

    galv = None
    # kinetics refer to the equilibrium c of the touching layer, U carries the matching
    # Nernst term (module docstring)
    layers = domain.info["layers"]
    c_bot, c_top = species[0].value_in("c0", layers[0][0], domain.region_names), \
        species[0].value_in("c0", layers[-1][0], domain.region_names)
    VT = R * T / F
    shift = lambda c: VT * math.log(c / data["salt_concentration"])
    li = dict(c_ref=c_top, U=shift(c_top))
    lb = dict(c_ref=c_bot, U=shift(c_bot))
    if reading == "voltage":
        i0 = data["exchange_current"]
        bcs = [Electrode("bottom", i0=i0, potential=0.0, **lb),
               Electrode("top", i0=i0, potential=data["voltage"], **li)]
    elif reading == "flux":
        N = data["flux"]
        bcs = [Flux("top", LI, N), Flux("bottom", LI, -N), FixedPotential("bottom", 0.0)]
    elif reading == "zero":
        i0 = data["exchange_current"]
        bcs = [Electrode("bottom", i0=i0, potential=0.0, **lb), Electrode("top", i0=i0, **li)]
        galv = Galvanostatic("top", 0.0)
    elif reading == "current":
        fc = data["full_cell"]
        bcs = [Electrode("top", i0=fc["i0_anode"], potential=0.0, **li),
               Electrode("bottom", i0=fc["i0_cathode"], c_ref=c_bot,
                         U=fc["cathode_potential"] + lb["U"])]
        galv = Galvanostatic("bottom", -fc["c_rate"] * fc["one_c_current"])
    else:
        raise ConfigError(f"problem_for: unknown reading {reading!r}; use 'voltage', 'flux', "
                          "'current' or 'zero'.")
    return NPPProblem(domain, species, bcs, electrostatics=electrostatics,
                      permittivity=permittivity, temperature=T, galvanostatic=galv,
                      initial=initial if electrostatics == "electroneutral" else "subdomain",
                      debye_resolution=data["poisson"]["debye_resolution"]
                      if data.get("poisson") else 1.0)


def equilibrium_state(domain, species, data, T):
    """The zero-current (Donnan) equilibrium state of a cell (SI NPPState): every mobile
    species Boltzmann-distributed in one potential, electroneutral with the fixed charge."""
    from ...solve.npp import discretise, initial_unknowns, to_state

    sy = discretise(problem_for(domain, species, "zero", T=T, data=data))
    return to_state(sy, initial_unknowns(sy), 0.0)


def electrochemical_potential(phi, c, data):
    """Li+ electrochemical potential / F [V], :math:`\\phi + \\tfrac{RT}{F}\\ln(c/c_{salt})`
    (the reference of the electrodes' U in :func:`problem_for`)."""
    VT = R * data["temperature"] / F
    return phi + VT * np.log(c / data["salt_concentration"])
