"""Butler-Volmer electrodes inside the coupled solver; Bruce-Vincent; checkpoint/resume."""
import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.physics.electrode import Electrode, Galvanostatic
from ntransport.physics.kinetics import linear, tafel
from ntransport.physics.species import binary_salt
from ntransport.errors import ConvergenceError
from ntransport.solve.checkpoint import checkpointed, load_checkpoint, save_checkpoint
from ntransport.solve.npp import NPPProblem, run
from ntransport.geometry.structured import strip

T = 298.15
L, c0, Dp, Dm = 1e-4, 1000.0, 1e-11, 2e-11
i0 = 1.0


def anode_eta(i, kinetics=None):
    """Overpotential of the galvanostatic anode after a tiny first step (c still = c0)."""
    d = strip(L, n=20)
    kw = {} if kinetics is None else {"kinetics": kinetics}
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=i0, **kw), Electrode("cathode", i0=1e6)],
                    galvanostatic=Galvanostatic("anode", i), temperature=T)
    s = next(run(pr, t_end=1e-6, dt=1e-6))
    x = d.mesh.p[0]
    return s.electrode_potentials["anode"] - s.potential[x == 0.0].mean()


def test_charge_transfer_resistance_small_eta():
    """R_ct = η/i -> RT/(F i0) for α_a + α_c = 1; 1 % (η ~ 0.01 V_T, nonlinearity ~1e-4)."""
    i = 0.01 * i0
    rct = anode_eta(i) / i
    assert abs(rct / (R * T / (F * i0)) - 1) < 0.01


def test_tafel_slope():
    """dη/dlog10(i) = ln(10) RT/(α_a F) at i >> i0; back reaction ~ e^{-f η} < 1e-3."""
    i1, i2 = 1e3 * i0, 1e4 * i0
    slope = (anode_eta(i2) - anode_eta(i1)) / np.log10(i2 / i1)
    assert abs(slope / (np.log(10) * R * T / (0.5 * F)) - 1) < 0.01
    # the Tafel kinetics function gives the same slope
    slope_t = (anode_eta(i2, tafel) - anode_eta(i1, tafel)) / np.log10(i2 / i1)
    assert abs(slope_t / slope - 1) < 1e-3


def test_linear_kinetics_rct():
    i = 0.5 * i0
    assert abs(anode_eta(i, linear) / i / (R * T / (F * i0)) - 1) < 1e-6


def test_bruce_vincent():
    """Ideal electrolyte, fast electrodes, ΔV = 1 mV: I_ss/I_0 = t+ within 2 %."""
    d = strip(L, n=60)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=1e4, potential=1e-3), Electrode("cathode", i0=1e4)],
                    temperature=T)
    tau = L**2 / (2 * Dp * Dm / (Dp + Dm))
    states = list(run(pr, t_end=3 * tau, dt=1e-7 * tau))
    I0, Iss = states[0].current("anode"), states[-1].current("anode")
    sigma = F**2 * c0 * (Dp + Dm) / (R * T)
    assert abs(I0 / (sigma * 1e-3 / L) - 1) < 0.02  # ohmic initial current
    assert abs((Iss / I0) / (Dp / (Dp + Dm)) - 1) < 0.02


def test_checkpoint_resume_is_identical(tmp_path):
    d = strip(L, n=20)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0), Electrode("cathode", i0=10.0)],
                    galvanostatic=Galvanostatic("anode", 1.0))
    full = list(run(pr, t_end=200.0, dt=0.5))
    k = len(full) // 2
    save_checkpoint(tmp_path / "ck.npz", full[k])
    resumed = list(run(pr, t_end=200.0, dt=0.5, start=load_checkpoint(tmp_path / "ck.npz")))
    assert len(resumed) == len(full) - k - 1
    for a, b in zip(full[k + 1:], resumed):
        # identical up to the linear solver's round-off (a fresh PARDISO analysis after the
        # restart pivots from other values than the reused one): 1e-12 relative
        assert a.t == pytest.approx(b.t, rel=1e-12)
        np.testing.assert_allclose(a.concentrations["Li+"], b.concentrations["Li+"], rtol=1e-12)
        np.testing.assert_allclose(a.potential, b.potential, rtol=1e-9, atol=1e-15)


def test_failed_run_resumes_from_last_checkpoint(tmp_path):
    """A run that fails mid-way (too few Newton iterations for a voltage jump) leaves a
    checkpoint; resuming from it with working options reaches the uninterrupted answer."""
    d = strip(L, n=20)
    mk = lambda V: NPPProblem(d, binary_salt(c0, Dp, Dm),
                              [Electrode("anode", i0=10.0, potential=V), Electrode("cathode", i0=10.0)])
    ck = tmp_path / "run.npz"
    states = []
    with pytest.raises(ConvergenceError, match="time stepping failed"):
        for s in checkpointed(run(mk(0.005), t_end=100.0, dt=1.0, adaptive=False), ck):
            states.append(s)
        for s in checkpointed(run(mk(0.4), t_end=200.0, dt=1.0, adaptive=False, newton_maxiter=1,
                                  dt_min=0.5, start=load_checkpoint(ck)), ck):
            pass
    start = load_checkpoint(ck)
    assert start.t * 1.0 > 0 and start.step == len(states)
    resumed = list(run(mk(0.005), t_end=200.0, dt=1.0, adaptive=False, start=start))
    straight = list(run(mk(0.005), t_end=200.0, dt=1.0, adaptive=False))
    np.testing.assert_allclose(resumed[-1].concentrations["Li+"], straight[-1].concentrations["Li+"],
                               rtol=1e-10)
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        next(checkpointed(iter(states), ck, every=0))
