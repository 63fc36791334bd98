"""The Newton hook the phase field uses (``linear_solve``), its positivity update of the
salt concentration (:func:`ntransport.solve.phasefield.positive_salt_update`) and its
guess of the potential along the moving front (:func:`~ntransport.solve.phasefield.
potential_guess`)."""
import numpy as np
import pytest
import scipy.sparse as sps

from ntransport.errors import ConvergenceError
from ntransport.solve.newton import newton
from ntransport.solve.phasefield import (log_damped_potential, positive_salt_update,
                                         potential_guess)


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
    # the front guess off: with it, the Newton tolerance's 1e-6 differences move one
    # borderline Newton failure, and the steps would differ (see the test below)
    monkeypatch.setattr(pf, "XI_SECANT", None)
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


def test_potential_guess_is_exact_for_a_potential_that_is_a_function_of_xi():
    """phi = a + b xi at every node (b differing node to node): moving xi to any new value
    moves phi along the same line, whatever the step; nodes that did not move keep phi."""
    rng = np.random.default_rng(3)
    n = 200
    a, b = rng.normal(size=n), rng.uniform(-0.3, 0.3, size=n)
    xi_prev, xi_n = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    xi_n[:20] = xi_prev[:20] + 1e-4  # below the threshold: phi must stay
    xi_guess = np.clip(xi_n + rng.normal(scale=0.05, size=n), 0, 1)
    phi_n = a + b * xi_n
    out = potential_guess(phi_n, xi_n, xi_guess, xi_n - xi_prev, b * (xi_n - xi_prev),
                          threshold=1e-3, cap=10.0)
    np.testing.assert_allclose(out[20:], (a + b * xi_guess)[20:], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(out[:20], phi_n[:20])
    assert not np.shares_memory(out, phi_n)


def test_potential_guess_clips_the_change_and_keeps_its_sign():
    phi_n = np.zeros(4)
    dxi = np.array([0.1, 0.1, -0.1, 0.1])
    dphi = np.array([-5.0, 5.0, -5.0, 1e-3])  # slopes -50, 50, 50, 0.01 V per unit xi
    out = potential_guess(phi_n, np.zeros(4), np.full(4, 0.1), dxi, dphi, threshold=1e-3,
                          cap=0.1)
    np.testing.assert_allclose(out, [-0.1, 0.1, 0.1, 1e-3], rtol=1e-14)


def test_front_guess_saves_factorisations_on_a_run_to_short_circuit(monkeypatch):
    """The reduced PEO cell (t+ = 0.22) grown until the deposit reaches the far side
    (~2 s): with the front guess the run factorises fewer times (measured 444 -> 367;
    full size 1042 -> 616) and short-circuits at a time within the run's time-step
    tolerance of the run without it (measured 1.989 / 1.948 s; the same run without the
    guess moves by a similar amount when its tolerance is halved at full size)."""
    from pathlib import Path

    import ntransport.solve.phasefield as pf
    from ntransport.solve.linear import DirectSolver
    from ntransport.studies import dendrites
    from ntransport.studies.registry import load_case

    case = Path(__file__).parents[2] / "geometries" / "dendrite_skeleton.yaml"
    data = load_case(case, reduced=True).data
    prob, xi0, opts, _ = dendrites.build_run(data, "PEO", data["runs"]["PEO"])
    out = {}
    for sec in (None, pf.XI_SECANT):
        monkeypatch.setattr(pf, "XI_SECANT", sec)
        solver = pf.default_solver()
        assert isinstance(solver, DirectSolver)
        states = list(pf.run(prob, xi0, t_end=3.0, dt=data["numerics"]["dt"],
                             atol=opts["atol"], tol=opts["tol"], solver=solver,
                             stop_height=opts["stop_height"]))
        assert states[-1].event is not None  # reached the far side
        out[sec] = (states[-1].t, solver.factorisations)
    (t0, f0), (t1, f1) = out[None], out[pf.XI_SECANT]
    assert f1 < 0.9 * f0, (f0, f1)
    assert abs(t1 - t0) < 0.03 * t0, (t0, t1)
