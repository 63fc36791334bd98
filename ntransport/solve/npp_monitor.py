"""Per-step conservation monitor of the discrete species balances."""
from __future__ import annotations

import numpy as np

from ..physics.electroneutral import eliminated_concentration

__all__ = ["conservation_monitor"]


def conservation_monitor(system, u, t, a0, hist) -> dict:
    r"""Per-species balance of an accepted step, relative: :math:`|\dot Q-\Phi_{in}|/\max(|\dot Q|,|\Phi_{in}|)`.

    :math:`\dot Q=\sum_i m_i(a_0c_i+h_i)` is the BDF rate of change of the species
    content; :math:`\Phi_{in}` is everything entering through boundaries and sources
    (prescribed fluxes, electrode reactions, volumetric sources and the reactions at
    Dirichlet nodes). Interior edge fluxes cancel exactly, so the imbalance is the sum of
    the species residual over the non-Dirichlet nodes: the algebraic error of the step.
    The relative measure divides by the largest of :math:`|\dot Q|`, :math:`|\Phi_{in}|` and
    :math:`a_0 Q` (the content over the step size), i.e. it is the fraction of the content
    (or of the exchanged amount) lost or created in the step.
    Returns ``{name: relative imbalance}``.
    """
    R, *_ = system.full_terms(u, t, a0, hist, indices=False)
    c, _, _ = system.split(u)
    n = system.n
    hk = hist_full(system, hist, a0)
    out = {}
    for k, s in enumerate(system.problem.mobile):
        if system.electroneutral and k == system.e:
            b = system.M_unknown  # its balance is carried by the charge row
        else:
            b = k if (system.e is None or k < system.e) else k - 1
        sel = system.dir_idx[(system.dir_idx >= b * n) & (system.dir_idx < (b + 1) * n)] - b * n
        mask = np.ones(n, bool)
        mask[sel] = False
        Rk = R[k * n:(k + 1) * n]
        if system.electroneutral and k == system.e:
            # eliminated species: its row is sum_j z_j R_j / z_e minus the others (all kept rows vanish)
            Rk = sum(system.z[j] * R[j * n:(j + 1) * n] for j in range(system.M)) / system.z[k]
        imbalance = float(np.sum(Rk[mask]))
        rate = float(np.sum(system.m * (a0 * c[k] + hk[k])))
        inflow = rate - imbalance
        content = float(np.sum(system.m * np.abs(c[k])))
        out[s.name] = abs(imbalance) / max(abs(rate), abs(inflow), a0 * content, 1e-300)
    return out


def hist_full(system, hist, a0):
    n, M = system.n, system.M
    if not system.electroneutral:
        return [hist[k * n:(k + 1) * n] for k in range(M)]
    hk = [hist[k * n:(k + 1) * n] for k in range(M - 1)]
    kept_z = [system.z[k] for k in range(M) if k != system.e]
    he = eliminated_concentration(system.z[system.e], hk, kept_z, -a0 * system.qfix_nodal)
    return hk[:system.e] + [he] + hk[system.e:]


