"""The Newton hook the phase field uses (``linear_solve``) and its positivity update of
the salt concentration (:func:`ntransport.solve.phasefield.positive_salt_update`)."""
import numpy as np
import pytest
import scipy.sparse as sps

from ntransport.errors import ConvergenceError
from ntransport.solve.newton import newton
from ntransport.solve.phasefield import log_damped_potential, positive_salt_update


def _exp_system(target):
    """r(u) = exp(u) - target, componentwise (root ln(target))."""
    def fun(u):
        e = np.exp(u)
        return e - target, sps.diags(e).tocsr()
    return fun


def test_linear_solve_replaces_the_factorisation_and_is_called_every_iteration():
    target = np.array([2.0, 5.0, 0.5])
    calls = []

    def solve(J, b):
        calls.append(J.shape)
        return b / J.diagonal()  # exact for a diagonal Jacobian

    res = newton(_exp_system(target), np.zeros(3), tol=1e-12, linear_solve=solve)
    np.testing.assert_allclose(res.u, np.log(target), rtol=0, atol=1e-12)
    assert len(calls) == res.iterations and calls[0] == (3, 3)
    ref = newton(_exp_system(target), np.zeros(3), tol=1e-12)  # default: the direct solver
    np.testing.assert_allclose(res.u, ref.u, rtol=0, atol=1e-14)
    assert res.iterations == ref.iterations


def test_a_broken_linear_solve_is_reported():
    with pytest.raises(ConvergenceError, match="non-finite"):
        newton(_exp_system(np.ones(2)), np.ones(2), linear_solve=lambda J, b: b * np.nan)


def test_positive_salt_update_keeps_the_iterate_positive_and_first_order_exact():
    c = np.array([1.0, 1.0, 1e-3, 1e-3, 0.0])
    dc = np.array([0.3, -0.4, -1e-4, -5.0, 0.2])
    out = positive_salt_update(c, dc.copy())
    # steps removing at most half of the salt, and increases, are Newton's own
    np.testing.assert_array_equal(out[[0, 1, 2, 4]], dc[[0, 1, 2, 4]])
    # a step removing 5000x the salt becomes the step in ln c: c exp(dc/c) >= 0
    assert out[3] == pytest.approx(1e-3 * np.expm1(-5.0 / 1e-3))
    assert np.all(c + out >= 0.0)
    # same first-order change: for a small relative step the two agree to O((dc/c)^2)
    small = positive_salt_update(np.array([1.0]), np.array([-0.6]))
    assert small[0] == pytest.approx(np.expm1(-0.6)) and abs(small[0] + 0.6) < 0.6 ** 2 / 2


def test_log_damped_potential_passes_small_updates_and_cuts_large_ones_to_their_log():
    f, kappa = 38.9, 4.0  # F/RT at 298 K [1/V]; the default threshold (4 thermal voltages)
    small = np.array([1e-4, -2e-3, 0.05, -0.1])  # f|d phi| <= kappa: untouched
    np.testing.assert_array_equal(log_damped_potential(small.copy(), f, kappa=kappa), small)
    big = np.array([0.2, -1.0, 30.0, -300.0])
    out = log_damped_potential(big.copy(), f, kappa=kappa)
    np.testing.assert_array_equal(np.sign(out), np.sign(big))
    np.testing.assert_allclose(np.abs(out) * f / kappa,
                               1.0 + np.log(np.abs(big) * f / kappa), rtol=1e-14)
    assert np.all(np.abs(out) < np.abs(big))
    # continuous with slope 1 at the threshold, and monotone beyond it
    x0 = kappa / f
    for eps in (1e-6, 1e-4):
        y = log_damped_potential(np.array([x0 * (1 + eps)]), f, kappa=kappa)[0]
        assert abs(y - x0 * (1 + eps)) < x0 * eps ** 2
    grid = np.linspace(x0, 50.0, 1000)
    assert np.all(np.diff(log_damped_potential(grid.copy(), f, kappa=kappa)) > 0)


def test_chord_steps_save_factorisations_and_keep_the_answer(monkeypatch):
    """The phase-field Newton reuses the LU factors once an update is below CHORD_BELOW:
    on the reduced PEO run (t+ = 0.22, 0.3 s, adaptive steps) it takes the same steps,
    factorises fewer times (measured 57 vs 72) and ends at the same state to the Newton
    tolerance's effect (tol = 1e-6 on the scaled update)."""
    from pathlib import Path

    import ntransport.solve.phasefield as pf
    from ntransport.solve.linear import DirectSolver
    from ntransport.studies import dendrites
    from ntransport.studies.registry import load_case

    case = Path(__file__).parents[2] / "geometries" / "dendrite_skeleton.yaml"
    data = load_case(case, reduced=True).data
    prob, xi0, opts, _ = dendrites.build_run(data, "PEO", data["runs"]["PEO"])
    out = {}
    for chord in (None, 1e-2):
        monkeypatch.setattr(pf, "CHORD_BELOW", chord)
        solver = DirectSolver()
        states = list(pf.run(prob, xi0, t_end=0.3, dt=data["numerics"]["dt"],
                             atol=opts["atol"], tol=opts["tol"], solver=solver))
        out[chord] = ([s.t for s in states], states[-1].stepper.u, solver.factorisations)
    (t0, u0, f0), (t1, u1, f1) = out[None], out[1e-2]
    assert len(t1) == len(t0) and np.allclose(t1, t0, rtol=1e-6, atol=0)  # the same steps
    assert f1 < f0, (f0, f1)
    diff = float(np.max(np.abs(u1 - u0)))
    assert diff < 1e-5, diff
