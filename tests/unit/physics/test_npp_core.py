"""NPP core: single mobile species, Donnan equilibrium start, dual masses, Solution output,
failure messages (physical times, limiting current, hard starts), analytic references."""
import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError, ConvergenceError, MaterialError
from ntransport.geometry.structured import layered_rectangle, strip
from ntransport.physics.electrode import Electrode, FixedPotential, Flux, Galvanostatic
from ntransport.physics.polarisation import sand_time, steady_polarisation
from ntransport.physics.species import (Species, binary_salt, donnan_concentration,
                                        free_anion_fraction, transference_split)
from ntransport.solve.npp import NPPProblem, discretise, initial_unknowns, limiting_current, run, solve
from ntransport.solve.npp_discretise import dual_volumes

T = 298.15
VT = R * T / F
L, c0, Dp, Dm = 20e-6, 1000.0, 1e-12, 2e-12


# ------------------------------------------------------------ single mobile species
def test_single_mobile_species_is_ohmic_plus_butler_volmer():
    """Li+ against immobilised anions (t+ = 1): concentrations cannot change, the cell is an
    ohmic conductor sigma = F^2 D c/(RT) between two Butler-Volmer electrodes."""
    d = strip(L, n=20)
    sp = [Species("Li+", 1, Dp, c0), Species("A-", -1, 0.0, c0)]
    i, i0 = 5.0, 10.0
    pr = NPPProblem(d, sp, [Electrode("anode", i0=i0), Electrode("cathode", i0=i0)],
                    galvanostatic=Galvanostatic("anode", i), temperature=T)
    for s in run(pr, t_end=1.0, dt=0.25):
        pass
    sigma = F**2 * Dp * c0 / (R * T)
    eta = 2 * VT * np.arcsinh(i / (2 * i0))  # symmetric BV, c/c_ref = 1
    V = s.electrode_potentials["anode"] - s.electrode_potentials["cathode"]
    assert V == pytest.approx(i * L / sigma + 2 * eta, rel=1e-9)
    assert np.ptp(s.concentrations["Li+"]) < 1e-12 * c0
    assert limiting_current(discretise(pr)) is None  # a single-ion conductor has no limit


# ------------------------------------------------------------ equilibrium start
def test_donnan_start_is_stationary_and_electroneutral():
    """Two layers, one with fixed charge: the equilibrium start has zero residual at zero
    current (Boltzmann pairs make every SG edge flux vanish)."""
    tp, t0 = 0.5, 0.25
    cA = donnan_concentration(tp, t0, c0)
    _, _, free, fixed = transference_split(0.01, tp, cA, t0=t0, T=T)
    d = layered_rectangle(5e-6, [("host", 2e-6), ("ionomer", 3e-6)], nx=2, h=1e-7,
                          h0=1e-8, grade_interfaces=True)
    sp = [Species("Li+", 1, {"host": Dp, "ionomer": 2 * Dp}, {"host": c0, "ionomer": cA}),
          Species("A-", -1, {"host": 3 * Dp, "ionomer": 3 * Dp}, {"host": c0, "ionomer": free}),
          Species("X-", -1, 0.0, {"host": 0.0, "ionomer": fixed})]
    pr = NPPProblem(d, sp, [Electrode("bottom", i0=1.0), Electrode("top", i0=1.0)],
                    galvanostatic=Galvanostatic("top", 0.0), temperature=T, initial="equilibrium")
    sy = discretise(pr)
    u = initial_unknowns(sy)
    R_, _ = sy.residual_jacobian(u, 0.0, 1.0, -u)  # a0 = 1, hist = -u: a zero time derivative
    assert np.max(np.abs(R_)) < 1e-12
    c, phi, g = sy.split(u)
    y = d.mesh.p[1]
    host, ion = y < 1.5e-6, y > 2.5e-6
    assert np.allclose(c[0][host] * sy.scaling.concentration, c0, rtol=1e-12)
    assert np.allclose(c[0][ion] * sy.scaling.concentration, cA, rtol=1e-12)
    # Donnan potential: c_Li(ionomer)/c_Li(host) = exp(-F dphi/RT)
    dphi = (phi[ion].mean() - phi[host].mean()) * VT
    assert dphi == pytest.approx(-VT * np.log(cA / c0), rel=1e-10)
    with pytest.raises(ConfigError, match=r"initial='equilibrium' \(Donnan start\) is implemented for "
                                         r"electrostatics='electroneutral'"):
        NPPProblem(d, sp, [FixedPotential("bottom", 0.0)], electrostatics="poisson",
                   initial="equilibrium")
    with pytest.raises(ConfigError, match="initial 'equilibrum' not found"):
        NPPProblem(d, sp, [FixedPotential("bottom", 0.0)], initial="equilibrum")


# ------------------------------------------------------------ dual volumes
def test_dual_volumes_are_voronoi_on_structured_meshes():
    d = layered_rectangle(4e-6, [("a", 1e-6)], nx=4, h0=1e-8, h=2e-7)
    from ntransport.physics.edges import edge_geometry

    g = edge_geometry(d.mesh.p, d.mesh.t)
    w, kind = dual_volumes(d.mesh.p, g)
    assert kind == "voronoi"
    m = np.bincount(d.mesh.t.ravel(), weights=w.ravel(), minlength=d.mesh.nvertices)
    assert m.sum() == pytest.approx(4e-6 * 1e-6, rel=1e-12)
    x, y = d.mesh.p
    for yy in np.unique(y):  # side nodes: exactly half the interior nodes of the same row
        row = y == yy
        side = row & ((x == 0) | (x == x.max()))
        inner = row & ~side
        assert np.allclose(m[side], 0.5 * m[inner][0], rtol=1e-12)
        assert np.allclose(m[inner], m[inner][0], rtol=1e-12)
    # an obtuse triangle falls back to the barycentric split
    p = np.array([[0.0, 1.0, 0.5], [0.0, 0.0, 0.1]])
    g2 = edge_geometry(p, np.array([[0], [1], [2]]))
    w2, kind2 = dual_volumes(p, g2)
    assert kind2 == "barycentric" and np.allclose(w2, g2.volumes / 3)


# ------------------------------------------------------------ Solution output
def test_solve_returns_a_solution_with_named_pieces_and_histories():
    d = strip(L, n=30, h0=L / 300)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0), Electrode("cathode", i0=10.0)],
                    galvanostatic=Galvanostatic("anode", 2.0), temperature=T)
    sol = solve(pr, t_end=10.0, dt=1e-3, times=[1.0, 5.0])
    assert list(sol.times) == pytest.approx([1.0, 5.0, 10.0])
    for k in ("c_Li+ [mol m-3]", "phi [V]", "N_Li+ diffusion [mol m-2 s-1]",
              "N_Li+ migration [mol m-2 s-1]", "N_Li+ [mol m-2 s-1]", "i [A m-2]",
              "N_A- [mol m-2 s-1]", "rho [C m-3]"):
        assert k in sol.keys
    n = sol["N_Li+"]
    assert np.allclose(n, sol["N_Li+ diffusion"] + sol["N_Li+ migration"], rtol=0,
                       atol=1e-14 * np.abs(n).max())
    h = sol.histories
    assert {"t [s]", "dt [s]", "V_cell [V]", "i_anode [A m-2]", "i_cathode [A m-2]",
            "phi_s_anode [V]", "conservation_error [1]", "newton_iterations [1]"} <= set(h)
    assert h["t [s]"][-1] == pytest.approx(10.0)
    assert np.allclose(h["i_anode [A m-2]"], 2.0, rtol=1e-9)
    assert np.all(h["conservation_error [1]"] < 1e-10)
    assert sol.model == "npp" and not sol.steady


# ------------------------------------------------------------ failure messages
def _binary(i, *, n=40):
    d = strip(L, n=n, h0=L / 400)
    return NPPProblem(d, binary_salt(c0, Dp, Dm),
                      [Electrode("anode", i0=50.0), Electrode("cathode", i0=50.0)],
                      galvanostatic=Galvanostatic("anode", i), temperature=T)


def test_limiting_current_estimate_is_the_binary_formula():
    tp = Dp / (Dp + Dm)
    D = 2 * Dp * Dm / (Dp + Dm)
    assert limiting_current(discretise(_binary(1.0))) == pytest.approx(
        2 * F * D * c0 / ((1 - tp) * L), rel=1e-12)


def test_current_above_the_limit_says_so_in_physical_seconds():
    sy = discretise(_binary(1.0))
    ilim = limiting_current(sy)
    i = 20 * ilim
    tp = Dp / (Dp + Dm)
    ts = sand_time(i / F, c0=c0, D_plus=Dp, D_minus=Dm)
    with pytest.raises(ConvergenceError) as err:
        for _ in run(_binary(i), t_end=100 * ts, dt=1e-3 * ts):
            pass
    msg = str(err.value)
    assert "limiting current is about" in msg and f"{ilim:.4g} A m-2" in msg
    assert "20x of it" in msg
    # the depletion time is reported in seconds, near Sand's time
    t = float(msg.split("at t = ")[1].split(" s")[0])
    assert 0.5 * ts < t < 1.5 * ts
    assert tp < 1


def test_hard_potentiostatic_start_points_to_ramp_time():
    d = strip(L, n=10)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0, potential=0.5), Electrode("cathode", i0=10.0)],
                    temperature=T)
    with pytest.raises(ConvergenceError, match=r"time stepping failed at t = 0 s .*"
                                               r"hard potentiostatic start; ramp it with "
                                               r"Electrode\(\.\.\., ramp_time=\.\.\.\)"):
        next(run(pr, t_end=100.0, dt=10.0, newton_maxiter=1, dt_min=5.0))


def test_failure_times_are_physical_seconds():
    """The step controller works in scaled time; its messages must print seconds."""
    d = strip(L, n=10)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0, potential=0.5, ramp_time=1.0),
                     Electrode("cathode", i0=10.0)], temperature=T)
    tau = L**2 / Dp  # the solver's time scale: 400 s
    with pytest.raises(ConvergenceError, match=r"t_end = 250 s\)"):
        for _ in run(pr, t_end=250.0, dt=0.5, newton_maxiter=1, dt_min=0.4):
            pass
    assert tau != 1.0


# ------------------------------------------------------------ analytic references
def test_steady_polarisation_binary_limit_and_conservation():
    r = steady_polarisation(0.01, c_free=c0, D_plus=Dp, length=L, T=T)
    assert r["delta_c"] == pytest.approx(2 * c0 * np.tanh(0.01 / (4 * VT)), rel=1e-12)
    assert r["current"] == pytest.approx(F * Dp * 2 * r["delta_c"] / L, rel=1e-12)
    # fixed charge: a(y) from g(a) = 2a + X ln a linear in y; its mean is the free content
    X, abar = 476.0, 524.0
    r = steady_polarisation(0.01, c_free=abar, c_fixed=X, D_plus=Dp, length=L, T=T)
    ac, aa = r["c_cathode"] - X, r["c_anode"] - X
    from scipy.optimize import brentq

    g = lambda a: 2 * a + X * np.log(a)
    ys = np.linspace(0, 1, 4001)
    a = [brentq(lambda v: g(v) - (g(ac) + (g(aa) - g(ac)) * t), 1e-9, 1e5) for t in ys]
    assert np.trapezoid(a, ys) == pytest.approx(abar, rel=1e-6)
    assert r["delta_phi"] + r["eta_anode"] - r["eta_cathode"] == pytest.approx(0.01, rel=1e-12)
    assert r["delta_c"] < 2 * c0 * np.tanh(0.01 / (4 * VT))  # fixed charge polarises less


def test_anion_split_inputs():
    assert free_anion_fraction(0.22, 0.22) == pytest.approx(1.0)
    with pytest.raises(MaterialError, match=r"t_plus = 0.1 is below the host's free-ion value "
                                            r"t0 = 0.22"):
        free_anion_fraction(0.1, 0.22)
    with pytest.raises(MaterialError, match=r"sigma \[S/m\] must be finite and > 0, got -1"):
        transference_split(-1.0, 0.3, 1000.0, t0=0.22, T=T)


def test_flux_problem_on_structured_rectangle_is_x_uniform():
    """A transient with strong gradients on a graded 2D rectangle: no x-structure."""
    d = layered_rectangle(50e-6, [("PEO", 10e-6)], nx=5, h=0.5e-6, h0=5e-9, growth=1.3)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Flux("top", "Li+", 0.01), Flux("bottom", "Li+", -0.01),
                     FixedPotential("bottom", 0.0)], temperature=T)
    for s in run(pr, t_end=5e-3, dt=1e-5):
        pass
    c = s.concentrations["Li+"]
    y = d.mesh.p[1]
    assert c.min() < 0.9 * c0  # a real boundary layer formed
    for yy in np.unique(y):
        assert np.ptp(c[y == yy]) <= 1e-10 * c0


@pytest.mark.parametrize("electrostatics", ["poisson", "electroneutral"])
def test_node_order_puts_each_nodes_unknowns_together_and_globals_last(electrostatics,
                                                                       monkeypatch):
    """The order the NPP Jacobian is factorised in (solve.linear.Reordered): a permutation
    of the unknowns with every node's species and potential adjacent; the galvanostatic
    electrode's solid potential (a global unknown) last."""
    d = strip(1e-4, n=12)
    other = FixedPotential("cathode", 0.0) if electrostatics == "poisson" else \
        Electrode("cathode", i0=50.0)  # Poisson needs a reference potential
    pr = NPPProblem(d, binary_salt(1e-3, 1e-11, 2e-11), [Electrode("anode", i0=50.0), other],
                    galvanostatic=Galvanostatic("anode", 1.0), electrostatics=electrostatics,
                    **({"permittivity": 1e5} if electrostatics == "poisson" else {}))  # Debye-resolved
    sy = discretise(pr)
    order = sy.node_order()
    assert np.array_equal(np.sort(order), np.arange(sy.nu))
    k = sy.M_unknown + 1  # fields per node: 3 with Poisson, 2 electroneutral
    assert k == (3 if electrostatics == "poisson" else 2)
    nodal = order[:k * sy.n].reshape(sy.n, k)
    assert np.all(nodal % sy.n == np.arange(sy.n)[:, None])   # one node per row
    assert np.all(nodal // sy.n == np.arange(k)[None, :])     # its fields in order
    assert np.array_equal(order[k * sy.n:], np.arange(k * sy.n, sy.nu))
    assert sy.nu > k * sy.n  # the galvanostatic unknown exists and went last
    # small systems keep their numbering (no gain there, and the renumbering costs)
    from ntransport.solve import npp_system
    from ntransport.solve.linear import DirectSolver, Reordered

    plain = DirectSolver()
    assert sy.nu < npp_system.NODE_ORDER_MIN and sy.linear_solver(plain) is plain
    monkeypatch.setattr(npp_system, "NODE_ORDER_MIN", sy.nu)
    lin = sy.linear_solver(plain)
    assert isinstance(lin, Reordered) and lin.solver is plain
    assert np.array_equal(lin.order, order)


def test_identity_rows_in_place_equals_the_sparse_product_and_keeps_the_pattern():
    import scipy.sparse as sp

    from ntransport.solve.npp_system import identity_rows

    A = (sp.random(40, 40, density=0.2, random_state=1) + sp.identity(40)).tocsr()
    rows = np.array([0, 7, 39, 12])
    keep = np.ones(40)
    keep[rows] = 0
    expected = (sp.diags(keep) @ A + sp.diags(1 - keep)).toarray()
    B = identity_rows(A.copy(), rows)
    assert np.array_equal(B.toarray(), expected)
    assert B.nnz == A.nnz  # zeros stored: the same pattern every Newton iteration
    # a row without a stored diagonal: the sparse products instead, same matrix
    C = A.copy().tolil()
    C[7, 7] = 0
    C = C.tocsr()
    C.eliminate_zeros()
    keep_c = (sp.diags(keep) @ C + sp.diags(1 - keep)).toarray()
    assert np.array_equal(identity_rows(C.copy(), rows).toarray(), keep_c)


# ------------------------------------------------------------ cached sparsity pattern
@pytest.mark.parametrize("electrostatics", ["poisson", "electroneutral"])
def test_jacobian_on_the_cached_pattern_equals_a_fresh_build(electrostatics):
    """After its first Jacobian a system skips the triplets' index arrays (the pattern is
    fixed): the residual and the Jacobian must be the same bits as a system building
    them anew, with a galvanostatic electrode (its global unknown's rows and columns)."""
    from ntransport.physics.scaling import debye_length

    lam = debye_length(10.0, 1.0)  # 1 mol/m3, relative permittivity 10
    d = strip(20 * lam, n=30)  # resolved for the Poisson model
    sp = list(binary_salt(1.0, Dp, Dm))
    # Poisson needs a potential reference: the cathode's electrolyte side held instead
    electrodes = ([Electrode("anode", i0=10.0), FixedPotential("cathode", 0.0)]
                  if electrostatics == "poisson" else
                  [Electrode("anode", i0=10.0), Electrode("cathode", i0=10.0)])
    pr = NPPProblem(d, sp, electrodes, galvanostatic=Galvanostatic("anode", 1e-3),
                    temperature=T, electrostatics=electrostatics, permittivity=10.0)
    u0 = initial_unknowns(discretise(pr))
    u = u0 * (1 + 0.01 * np.random.default_rng(3).standard_normal(u0.size))
    warm = discretise(pr)
    warm.residual_jacobian(u0, 0.0, 1.0, -u0)  # builds the pattern
    assert warm._pattern is not None
    R1, J1 = warm.residual_jacobian(u, 0.0, 2.0, -u0)  # on the cached pattern
    R2, J2 = discretise(pr).residual_jacobian(u, 0.0, 2.0, -u0)  # a fresh pattern
    np.testing.assert_array_equal(R1, R2)
    J1, J2 = J1.tocsr(), J2.tocsr()
    for a in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(J1, a), getattr(J2, a))
    _, rows, cols, vals = warm.full_terms(u, 0.0, 2.0, -u0, indices=False)
    assert rows is None and cols is None and vals.size == warm._pattern.ncoo
