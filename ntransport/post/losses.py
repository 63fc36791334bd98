r"""Where the voltage goes: Joule dissipation per subdomain, per unit current.

For a steady Ohmic field :math:`j = -\sigma\nabla\phi` driven by a voltage *V* that
carries a total current *I*, the dissipated power :math:`VI = \int |j|^2/\sigma\,dV`
(plus :math:`\int G\,[\phi]^2 dS` on resistive interfaces) splits by subdomain into

.. math:: \Delta V_i = \frac{1}{I}\int_{\Omega_i} \frac{|j|^2}{\sigma}\,dV ,

the voltage loss of subdomain *i* (for layers in series exactly the potential drop
across each layer). The losses sum to *V*; the rest, if any, is dissipated on
resistive interfaces. Pure function of a conduction result; nothing is solved here.
"""
from __future__ import annotations

import numpy as np

__all__ = ["voltage_losses"]


def voltage_losses(domain, result) -> dict[str, float]:
    r"""Subdomain name -> :math:`\Delta V_i` [V], plus ``"interfaces"`` for the rest.

    Parameters
    ----------
    domain : ntransport.geometry.Domain
        The domain *result* was solved on.
    result : ConductionResult
        With element-wise ``current_density`` (dim, nel) [A m-2] and ``conductivity``
        (nel,) [S/m], ``total_current`` [A, or A/m in 2D] and ``voltage`` [V].

    Returns
    -------
    dict
        One entry per subdomain; ``"interfaces"`` only when the subdomain losses miss
        the applied voltage by more than 1e-9 of it (interface conductance present).
    """
    j = np.asarray(result.current_density)
    p = np.einsum("ae,ae->e", j, j) / np.asarray(result.conductivity) * domain.element_volumes()
    out = {n: float(p[domain.region == k].sum() / result.total_current)
           for k, n in enumerate(domain.region_names)}
    rest = result.voltage - sum(out.values())
    if abs(rest) > 1e-9 * abs(result.voltage):
        out["interfaces"] = float(rest)
    return out
