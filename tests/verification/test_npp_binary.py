"""1D binary electrolyte between two Li electrodes (thin 2D strip), electroneutral.

Analytic references (ambipolar diffusion, D = 2 D+ D- / (D+ + D-), t+ = D+/(D+ + D-)):
steady Δc = (1-t+) i L/(F D); i_lim = 2 F D c0/((1-t+) L); Sand's time
t_s = π D (c0 F)^2 / (4 [i (1-t+)]^2); slowest relaxation time L^2/(π^2 D).
Tolerance 1 % (the issue's); the discretisation errors are O(h^2) ~ 1e-4 on these meshes.
"""
import numpy as np
import pytest

from ntransport.constants import F
from ntransport.errors import ConvergenceError
from ntransport.physics.electrode import Electrode, FixedPotential, Flux, Galvanostatic
from ntransport.physics.species import binary_salt
from ntransport.solve.npp import NPPProblem, run
from ntransport.geometry.structured import strip

L, c0, Dp, Dm = 1e-4, 1000.0, 1e-11, 2e-11
tp = Dp / (Dp + Dm)
D = 2 * Dp * Dm / (Dp + Dm)
i_lim = 2 * F * D * c0 / ((1 - tp) * L)
tau = L**2 / D


def _ends(d, c):
    x = d.mesh.p[0]
    return c[x == x.min()].mean(), c[x == x.max()].mean()


def galvanostatic(i, n=60):
    d = strip(L, n=n)
    return d, NPPProblem(d, binary_salt(c0, Dp, Dm),
                         [Electrode("anode", i0=50.0), Electrode("cathode", i0=50.0)],
                         galvanostatic=Galvanostatic("anode", i))


def test_steady_concentration_difference_and_conservation():
    i = 0.3 * i_lim
    d, pr = galvanostatic(i)
    worst = 0.0
    for s in run(pr, t_end=4 * tau, dt=1e-4 * tau):
        worst = max(worst, max(s.conservation.values()))
    ca, cc = _ends(d, s.concentrations["Li+"])
    expected = (1 - tp) * i * L / (F * D)
    assert abs((ca - cc) / expected - 1) < 0.01
    assert abs(s.current("anode") / i - 1) < 1e-9  # galvanostatic constraint holds
    assert worst < 1e-8  # conservation monitor, every step


def test_time_constant():
    """Δc(t) approaches Δc_inf as exp(-t/τ1), τ1 = L²/(π² D): fit the late-time log slope."""
    i = 0.2 * i_lim
    d, pr = galvanostatic(i, n=80)
    dinf = (1 - tp) * i * L / (F * D)
    ts, gaps = [], []
    t1 = L**2 / (np.pi**2 * D)
    for s in run(pr, t_end=2.5 * t1, dt=t1 / 400, adaptive=False):
        if s.t > 1.0 * t1:
            ca, cc = _ends(d, s.concentrations["Li+"])
            ts.append(s.t)
            gaps.append(dinf - (ca - cc))
    slope = np.polyfit(ts, np.log(gaps), 1)[0]
    assert abs(-1 / slope / t1 - 1) < 0.01


def test_limiting_current_is_the_plateau():
    """Potentiostatic at a large cell voltage: the steady current saturates at i_lim."""
    d = strip(L, n=80, h0=L / 2000)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=50.0, potential=0.6), Electrode("cathode", i0=50.0)])
    for s in run(pr, t_end=4 * tau, dt=1e-5 * tau):
        pass
    assert abs(s.current("anode") / i_lim - 1) < 0.01
    assert abs(s.current("cathode") / -i_lim - 1) < 0.01


def test_sands_time():
    """Flux electrodes at i = 5 i_lim: c_s(t) = c0 - 2 i (1-t+) sqrt(t/(π D))/F; its zero is t_s."""
    i = 5 * i_lim
    ts_exact = np.pi * D * (c0 * F) ** 2 / (4 * (i * (1 - tp)) ** 2)
    d = strip(L, n=120, h0=L / 4000, growth=1.1)
    # FixedPotential only sets the level of phi (zero net current through the cell)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Flux("anode", "Li+", i / F), Flux("cathode", "Li+", -i / F),
                     FixedPotential("cathode", 0.0)])
    t, cs = [], []
    for s in run(pr, t_end=0.8 * ts_exact, dt=ts_exact / 400, adaptive=False):
        t.append(s.t)
        cs.append(_ends(d, s.concentrations["Li+"])[1])
    t, cs = np.array(t), np.array(cs)
    sel = t > 0.3 * ts_exact
    a, b = np.polyfit(np.sqrt(t[sel]), cs[sel], 1)  # c_s = b + a sqrt(t)
    ts_num = (b / a) ** 2
    assert abs(ts_num / ts_exact - 1) < 0.01


def test_current_above_limit_raises_clear_error():
    d, pr = galvanostatic(3 * i_lim, n=30)
    with pytest.raises(ConvergenceError, match="exceeds what the cell can carry"):
        for _ in run(pr, t_end=2 * tau, dt=1e-4 * tau):
            pass


def test_steady_concentration_difference_3d():
    """Same steady Δc on a tetrahedral bar (the solver is dimension-independent)."""
    import skfem

    from ntransport.geometry import Domain

    m = skfem.MeshTet.init_tensor(np.linspace(0, L, 21), np.linspace(0, L / 5, 3),
                                  np.linspace(0, L / 5, 3))
    f, bf = m.facets, m.boundary_facets()
    x = m.p[0][f[:, bf]]
    groups = {"anode": f[:, bf[np.all(np.isclose(x, 0), axis=0)]].T,
              "cathode": f[:, bf[np.all(np.isclose(x, L), axis=0)]].T}
    d = Domain.from_arrays(m.p.T, m.t.T, {"e": np.arange(m.t.shape[1])}, groups)
    i = 0.3 * i_lim
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=50.0), Electrode("cathode", i0=50.0)],
                    galvanostatic=Galvanostatic("anode", i))
    worst = 0.0
    for s in run(pr, t_end=4 * tau, dt=1e-4 * tau):
        worst = max(worst, max(s.conservation.values()))
    ca, cc = _ends(d, s.concentrations["Li+"])
    assert abs((ca - cc) / ((1 - tp) * i * L / (F * D)) - 1) < 0.01
    assert worst < 1e-8
