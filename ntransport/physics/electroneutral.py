r"""Electroneutral closure: eliminate one species, replace Poisson by charge conservation.

With :math:`\sum_k z_k c_k + \rho_{fixed}/F = 0` one mobile species e is eliminated,
:math:`c_e = -(\sum_{k\ne e} z_k c_k + \hat\rho_{fixed})/z_e`, and the potential equation is
the charge-conservation combination of the species balances

.. math::  \sum_k z_k\,[\partial_t c_k + \nabla\cdot N_k] = \nabla\cdot(i/F) = 0,

whose time derivatives cancel exactly because the eliminated concentration is defined
from the others. The Newton system is :math:`P_r J P_c` with the row map :math:`P_r`
(species rows kept, plus the z-weighted sum as the potential row) and the column map
:math:`P_c` (chain rule :math:`\partial c_e/\partial c_k = -z_k/z_e`).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["reduction_maps", "eliminated_concentration"]


def eliminated_concentration(z, c_kept, z_kept, fixed):
    """:math:`c_e = -(\\sum z_k c_k + \\hat\\rho_{fixed})/z_e` (scaled, nodal)."""
    s = np.asarray(fixed, float).copy()
    for zk, ck in zip(z_kept, c_kept):
        s = s + zk * ck
    return -s / z


def reduction_maps(z_mobile, e: int, n: int, n_global: int):
    r"""Row map P_r (reduced x full) and column map P_c (full x reduced).

    Full unknown blocks: mobile species 0..M-1, phi, globals. Reduced: mobile species
    except e, phi, globals. Full rows: species balances 0..M-1, (unused phi row), globals.
    With a single mobile species (M = 1, e.g. Li+ against immobilised anions) the reduced
    system has the potential row only: the charge balance :math:`z_e` (species balance),
    and :math:`c_e = -\hat\rho_{fixed}/z_e` does not depend on any unknown.
    """
    M = len(z_mobile)
    if not 0 <= e < M:
        raise ValueError(f"eliminated species index e={e!r} outside 0..{M - 1}.")
    kept = [k for k in range(M) if k != e]
    nfull = (M + 1) * n + n_global
    nred = M * n + n_global
    ar = np.arange(n)
    rr, rc, rv = [], [], []  # P_r triplets
    cr, cc, cv = [], [], []  # P_c triplets
    for r, k in enumerate(kept):
        rr.append(r * n + ar); rc.append(k * n + ar); rv.append(np.ones(n))
        cr.append(k * n + ar); cc.append(r * n + ar); cv.append(np.ones(n))
        cr.append(e * n + ar); cc.append(r * n + ar); cv.append(np.full(n, -z_mobile[k] / z_mobile[e]))
    for k in range(M):  # charge-conservation row (the reduced phi row)
        rr.append((M - 1) * n + ar); rc.append(k * n + ar); rv.append(np.full(n, float(z_mobile[k])))
    cr.append(M * n + ar); cc.append((M - 1) * n + ar); cv.append(np.ones(n))
    g = np.arange(n_global)
    rr.append(M * n + g); rc.append((M + 1) * n + g); rv.append(np.ones(n_global))
    cr.append((M + 1) * n + g); cc.append(M * n + g); cv.append(np.ones(n_global))
    cat = np.concatenate
    Pr = sp.csr_matrix((cat(rv), (cat(rr), cat(rc))), shape=(nred, nfull))
    Pc = sp.csr_matrix((cat(cv), (cat(cr), cat(cc))), shape=(nfull, nred))
    return Pr, Pc
