"""Newton stops at the round-off floor of an ill-conditioned system instead of running
to its iteration limit (an NPP cell with a 0.01 A/m2 exchange current stalled at a scaled
residual of 3.7e-14 with updates of 7e-8, failed every step and crawled at dt = 1e-7 s)."""
import numpy as np
import pytest
import scipy.sparse as sp

from ntransport.errors import ConvergenceError
from ntransport.solve.newton import MERIT_FLOOR, newton

J = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0 + 1e-9]]))  # cond ~ 4e9


def _floor(level):
    """A residual that no update can lower: the last digits of an ill-conditioned system."""
    def fun(u):
        return np.array([level, -level]), J
    return fun


def test_a_residual_stalled_below_the_floor_is_converged():
    res = newton(_floor(1e-14), np.ones(2), tol=1e-10, maxiter=25)
    assert res.iterations == 1  # its update is ~2e-5 (the conditioning), far above tol
    assert res.residuals[-1] < MERIT_FLOOR


def test_a_residual_stalled_above_the_floor_still_fails():
    with pytest.raises(ConvergenceError, match="line search failed|did not converge"):
        newton(_floor(1e-9), np.ones(2), tol=1e-10, maxiter=25)


def test_a_well_posed_problem_converges_as_before():
    def fun(u):
        return np.array([u[0] ** 2 - 2.0, u[1] - 3.0]), sp.csr_matrix(np.diag([2 * u[0], 1.0]))

    res = newton(fun, np.array([1.0, 0.0]), tol=1e-12)
    assert res.iterations == 4  # quadratic: 0.125, 3.5e-3, 3.0e-6, 2.3e-12 (as before)
    assert res.u == pytest.approx([np.sqrt(2.0), 3.0], rel=2e-12)
