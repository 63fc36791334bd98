"""Poisson model: Gouy-Chapman double layer; Poisson -> electroneutral limit; Debye check."""
import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError
from ntransport.physics.electrode import FixedConcentration, FixedPotential, Flux
from ntransport.physics.scaling import debye_length
from ntransport.physics.species import binary_salt
from ntransport.solve.npp import NPPProblem, run
from ntransport.geometry.structured import strip

T = 298.15
VT = R * T / F


def test_gouy_chapman():
    """1:1 salt against a wall at phi0 = 4 V_T (blocking), bulk reservoir at x = L = 20 λ_D.

    Exact: φ = 2 V_T ln[(1+γ e^{-x/λ})/(1-γ e^{-x/λ})], γ = tanh(φ0/(4 V_T)). Error is
    measured relative to φ0; tolerance 1 % (graded mesh, first cell λ/40: O(h²) ~ 1e-3).
    The reservoir at 20 λ adds an error ~ e^{-20}.
    """
    c0, eps = 1.0, 10.0
    lam = debye_length(eps, c0, T)
    Ld = 20 * lam
    phi0 = 4 * VT
    d = strip(Ld, n=100, h0=lam / 40, growth=1.1, electrodes=("wall", "bulk"))
    bcs = [FixedPotential("wall", phi0), FixedPotential("bulk", 0.0),
           FixedConcentration("bulk", "Li+", c0), FixedConcentration("bulk", "A-", c0)]
    pr = NPPProblem(d, binary_salt(c0, 1e-11, 1e-11), bcs, electrostatics="poisson",
                    permittivity=eps, temperature=T)
    tau = Ld**2 / 1e-11
    for s in run(pr, t_end=20 * tau, dt=1e-4 * tau):
        pass
    x = d.mesh.p[0]
    g = np.tanh(phi0 / (4 * VT))
    e = np.exp(-x / lam)
    exact = 2 * VT * np.log((1 + g * e) / (1 - g * e))
    err = np.max(np.abs(s.potential - exact)) / phi0
    assert err < 0.01
    # Boltzmann check on the counter-ion: c- = c0 exp(+phi/VT)
    assert np.max(np.abs(s.concentrations["A-"] / (c0 * np.exp(exact / VT)) - 1)) < 0.02


def _cell_voltage(electrostatics, eps, L=1e-6, c0=1.0, i=None):
    lam = debye_length(eps, c0, T)
    Dp, Dm = 1e-11, 2e-11
    D = 2 * Dp * Dm / (Dp + Dm)
    tp = Dp / (Dp + Dm)
    i = i if i is not None else 0.3 * 2 * F * D * c0 / ((1 - tp) * L)
    d = strip(L, n=80, h0=min(lam / 4, L / 80), growth=1.15)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Flux("anode", "Li+", i / F), Flux("cathode", "Li+", -i / F),
                     FixedPotential("cathode", 0.0)],
                    electrostatics=electrostatics, permittivity=eps, temperature=T)
    for s in run(pr, t_end=4 * L**2 / D, dt=1e-5 * L**2 / D):
        pass
    x = d.mesh.p[0]
    return s.potential[x == x.min()].mean() - s.potential[x == x.max()].mean()


def test_poisson_tends_to_electroneutral():
    """Cell voltage under a fixed current: |V_P - V_EN|/|V_EN| falls as λ_D/L -> 0."""
    v_en = _cell_voltage("electroneutral", 10.0)
    errs = []
    ratios = (3e-2, 1e-2, 3e-3)
    for ratio in ratios:
        # choose eps so that λ_D = ratio * L (L = 1 µm, c0 = 1 mM)
        eps = 10.0 * (ratio * 1e-6 / debye_length(10.0, 1.0, T)) ** 2
        errs.append(abs(_cell_voltage("poisson", eps) / v_en - 1))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.01  # measured 0.2 % at λ_D/L = 3e-3
    # the gap is the Debye-layer contribution: at least first order in λ_D/L
    assert np.polyfit(np.log(ratios), np.log(errs), 1)[0] > 0.9


def test_unresolved_debye_length_raises():
    d = strip(1e-4, n=20)
    pr = NPPProblem(d, binary_salt(1000.0, 1e-11, 1e-11),
                    [FixedPotential("anode", 0.01), FixedPotential("cathode", 0.0)],
                    electrostatics="poisson", permittivity=5.0)
    with pytest.raises(ConfigError, match="Debye length .* not resolved.*electroneutral"):
        next(run(pr, t_end=1.0, dt=0.1))
