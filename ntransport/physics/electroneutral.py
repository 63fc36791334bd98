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
    """Row map P_r (reduced x full) and column map P_c (full x reduced).

    Full unknown blocks: mobile species 0..M-1, phi, globals. Reduced: mobile species
    except e, phi, globals. Full rows: species balances 0..M-1, (unused phi row), globals.
    """
    M = len(z_mobile)
    kept = [k for k in range(M) if k != e]
    nfull = (M + 1) * n + n_global
    nred = M * n + n_global
    I = sp.identity(n, format="csr")
    blocks_r = [[None] * (M + 2) for _ in range(M + 1)]
    blocks_c = [[None] * (M + 1) for _ in range(M + 2)]
    for r, k in enumerate(kept):
        blocks_r[r][k] = I
        blocks_c[k][r] = I
        blocks_c[e][r] = (-z_mobile[k] / z_mobile[e]) * I
    for k in range(M):
        blocks_r[M - 1][k] = z_mobile[k] * I  # charge-conservation row (reduced phi row)
    blocks_r[M - 1][M] = sp.csr_matrix((n, n))  # full phi row unused
    blocks_c[M][M - 1] = I
    if not kept:  # one mobile species: its concentration is fixed by the constraint
        blocks_c[e][M - 1] = sp.csr_matrix((n, n))
    G = sp.identity(n_global, format="csr") if n_global else None
    if n_global:
        blocks_r[M][M + 1] = G
        blocks_c[M + 1][M] = G
    else:
        blocks_r = [row[:-1] for row in blocks_r[:-1]]
        blocks_c = [row[:-1] for row in blocks_c[:-1]]
    Pr, Pc = sp.bmat(blocks_r, format="csr"), sp.bmat(blocks_c, format="csr")
    assert Pr.shape == (nred, nfull) and Pc.shape == (nfull, nred)
    return Pr, Pc
