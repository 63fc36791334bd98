"""The in-place PCG (`solve.pcg`) follows scipy's ``cg`` iterate by iterate."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ntransport.solve.pcg import pcg


def _system(n=400, seed=0):
    """A 2D Laplacian with a random positive diagonal shift (SPD, condition ~1e3)."""
    m = int(np.sqrt(n))
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    A = (sp.kronsum(t, t) + sp.diags(np.random.default_rng(seed).uniform(0, 0.01, m * m))).tocsr()
    b = np.random.default_rng(seed + 1).standard_normal(m * m)
    return A, b


@pytest.mark.parametrize("maxiter", [1, 5, 30])
def test_pcg_iterates_match_scipy_cg(maxiter):
    A, b = _system()
    d = 1.0 / A.diagonal()
    psolve = lambda r: d * r  # noqa: E731
    x, info = pcg(lambda p: A @ p, psolve, b, 1e-10 * np.linalg.norm(b), maxiter)
    xs, _ = spla.cg(A, b, rtol=1e-10, atol=0.0, maxiter=maxiter, M=sp.diags(d))
    # the same recurrences; only the rounding of the fused updates differs (~1e-16 per
    # step, amplified by at most the condition number over 30 steps)
    assert np.linalg.norm(x - xs) <= 1e-9 * np.linalg.norm(xs)
    assert info == maxiter  # 1e-10 takes 81 iterations on this system


def test_pcg_converges_and_counts():
    A, b = _system()
    calls = []
    x, info = pcg(lambda p: A @ p, lambda r: r / A.diagonal(), b, 1e-8 * np.linalg.norm(b),
                  500, lambda: calls.append(1))
    assert info == 0
    assert np.linalg.norm(b - A @ x) <= 1.01e-8 * np.linalg.norm(b)
    _, _ = spla.cg(A, b, rtol=1e-8, atol=0.0, maxiter=500, M=sp.diags(1 / A.diagonal()),
                   callback=lambda xk: calls.append(2))
    assert calls.count(1) == calls.count(2)  # the same iteration count as scipy's


def test_pcg_identity_preconditioner_returning_its_input_is_safe():
    """A preconditioner that hands back r itself must not corrupt the recurrence."""
    A, b = _system()
    x, info = pcg(lambda p: A @ p, lambda r: r, b, 1e-8 * np.linalg.norm(b), 2000)
    xs, _ = spla.cg(A, b, rtol=1e-8, atol=0.0, maxiter=2000)
    assert info == 0
    assert np.linalg.norm(x - xs) <= 1e-6 * np.linalg.norm(xs)


def test_pcg_reports_maxiter_when_not_converged():
    A, b = _system()
    x, info = pcg(lambda p: A @ p, lambda r: r.copy(), b, 1e-12 * np.linalg.norm(b), 3)
    assert info == 3
    assert np.all(np.isfinite(x))
