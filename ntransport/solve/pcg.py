"""Preconditioned conjugate gradients with the fewest passes over the vectors.

The iteration is scipy's ``scipy.sparse.linalg.cg`` (same recurrences, same stopping test
``||r|| < atol`` before each preconditioner application, same ``info``), written with the
BLAS's in-place ``axpy`` so that an iteration reads and writes 14 vectors besides the
product and the preconditioner, against scipy's 20 (its ``p *= beta; p += z``,
``x += alpha * p`` and ``r -= alpha * q`` make temporaries). On the 1 M-element P1
systems a vector pass is 0.08 SpMV (benchmarks/amg, section 2).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas


def pcg(matvec, psolve, b, atol, maxiter, count=None):
    """Solve ``A x = b`` from ``x = 0``: *matvec* ``p -> A p``, *psolve* ``r -> M^-1 r``
    (a preconditioned vector that aliases ``r`` or ``p`` is copied before use).

    Returns ``(x, info)``: ``info`` 0 when ``||b - A x||`` (the recurrence's residual) fell
    below *atol*, else *maxiter*. *count* is called once per iteration."""
    b = np.asarray(b, dtype=np.float64)
    axpy, dot = blas.daxpy, blas.ddot
    x = np.zeros_like(b)
    r = b.copy()
    rr = dot(r, r)
    p = rho_prev = None
    for _ in range(maxiter):
        if np.sqrt(rr) < atol:
            return x, 0
        z = np.asarray(psolve(r), dtype=np.float64)
        if np.may_share_memory(z, r) or (p is not None and np.may_share_memory(z, p)):
            z = z.copy()  # the recurrence below overwrites z
        rho = dot(r, z)
        if p is not None:
            z = axpy(p, z, a=rho / rho_prev)  # p = z + beta p, built in z's memory
        p = z
        q = matvec(p)
        alpha = rho / dot(p, q)
        x = axpy(p, x, a=alpha)
        r = axpy(q, r, a=-alpha)
        rr = dot(r, r)
        rho_prev = rho
        if count is not None:
            count()
    return x, (0 if np.sqrt(rr) < atol else maxiter)
