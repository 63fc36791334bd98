"""Manufactured solutions for the coupled Poisson-Nernst-Planck system (2D, P1 + SG).

c± = c0 (1 + a± s g(t)), φ = b V_T s g(t), s = sin(πx/L) sin(πy/L), g = 1 - e^{-t/τ}.
Sources f± = ∂c/∂t - ∇·[D(∇c ± c∇φ̂)] and the Poisson charge source are derived by hand:
∇·(c∇φ̂) = ∇c·∇φ̂ + c∇²φ̂, ∇²s = -2k²s, |∇s|² = k²(cos²kx sin²ky + sin²kx cos²ky).
Space: one BDF1 step of 1e8 τ (steady); time: BDF2 against a fine-step reference on the
same mesh. Slopes from np.polyfit(log h, log err); tolerance ±0.15 (the issue's).
"""
import numpy as np
import skfem
from skfem.helpers import grad

from ntransport.constants import EPS0, F, R
from ntransport.geometry import Domain
from ntransport.physics.electrode import FixedConcentration, FixedPotential
from ntransport.physics.species import Species
from ntransport.solve.npp import NPPProblem, run

T = 298.15
VT = R * T / F
L, c0, Dp, Dm, eps = 1e-6, 1.0, 1e-11, 2e-11, 1e5
a_p, a_m, b = 0.3, -0.2, 1.0
k = np.pi / L
tau = 0.05 * L**2 / Dp


def g(t):
    return 1 - np.exp(-t / tau)


def gp(t):
    return np.exp(-t / tau) / tau


def s_(x):
    return np.sin(k * x[0]) * np.sin(k * x[1])


def grad_s2(x):
    return k**2 * ((np.cos(k * x[0]) * np.sin(k * x[1])) ** 2 + (np.sin(k * x[0]) * np.cos(k * x[1])) ** 2)


def exact_c(x, t, a):
    return c0 * (1 + a * s_(x) * g(t))


def source(a, z, D):
    def f(x, t):
        s, G = s_(x), g(t)
        c = exact_c(x, t, a)
        div_cgradphi = c0 * a * b * G**2 * grad_s2(x) + c * b * G * (-2 * k**2 * s)
        return c0 * a * s * gp(t) - D * (c0 * a * G * (-2 * k**2 * s) + z * div_cgradphi)
    return f


def charge_source(x, t):
    s, G = s_(x), g(t)
    return 2 * EPS0 * eps * VT * b * G * k**2 * s - F * (exact_c(x, t, a_p) - exact_c(x, t, a_m))


def square(n):
    m = skfem.MeshTri.init_tensor(np.linspace(0, L, n + 1), np.linspace(0, L, n + 1))
    b_ = m.boundary_facets()
    return Domain.from_arrays(m.p.T, m.t.T, {"cell": np.arange(m.t.shape[1])},
                              {"wall": m.facets[:, b_].T})


def problem(n):
    d = square(n)
    sp = [Species("Li+", 1, Dp, c0), Species("A-", -1, Dm, c0)]
    bcs = [FixedPotential("wall", 0.0), FixedConcentration("wall", "Li+", c0),
           FixedConcentration("wall", "A-", c0)]
    return d, NPPProblem(d, sp, bcs, electrostatics="poisson", permittivity=eps,
                         sources={"Li+": source(a_p, 1, Dp), "A-": source(a_m, -1, Dm)},
                         charge_source=charge_source, debye_resolution=0.0 + 1e-9)


def errors(d, ch, t, a):
    basis = skfem.Basis(d.mesh, skfem.ElementTriP1(), intorder=4)
    uh = basis.interpolate(ch)

    @skfem.Functional
    def l2(w):
        return (w["uh"] - c0 * (1 + a * np.sin(k * w.x[0]) * np.sin(k * w.x[1]) * g(t))) ** 2

    @skfem.Functional
    def h1(w):
        ex = c0 * a * g(t) * k * np.array([np.cos(k * w.x[0]) * np.sin(k * w.x[1]),
                                          np.sin(k * w.x[0]) * np.cos(k * w.x[1])])
        gu = grad(w["uh"])
        return (gu[0] - ex[0]) ** 2 + (gu[1] - ex[1]) ** 2

    return np.sqrt(l2.assemble(basis, uh=uh)), np.sqrt(h1.assemble(basis, uh=uh))


def test_space_rates_p1():
    hs, e0, e1 = [], [], []
    for n in (8, 16, 32, 64):
        d, pr = problem(n)
        big = 1e8 * tau
        s = next(run(pr, t_end=big, dt=big, order=1, adaptive=False))
        el2, eh1 = errors(d, s.concentrations["Li+"], big, a_p)
        hs.append(L / n); e0.append(el2); e1.append(eh1)
    r0 = np.polyfit(np.log(hs), np.log(e0), 1)[0]
    r1 = np.polyfit(np.log(hs), np.log(e1), 1)[0]
    assert abs(r0 - 2) < 0.15, r0
    assert abs(r1 - 1) < 0.15, r1


def test_bdf2_rate():
    d, pr = problem(12)
    t_end = 2 * tau

    def final(dt):
        for s in run(pr, t_end=t_end, dt=dt, order=2, adaptive=False):
            pass
        return s.concentrations["Li+"]

    ref = final(t_end / 640)
    dts = [t_end / 10, t_end / 20, t_end / 40, t_end / 80]
    errs = [np.max(np.abs(final(dt) - ref)) for dt in dts]
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert abs(slope - 2) < 0.15, slope
