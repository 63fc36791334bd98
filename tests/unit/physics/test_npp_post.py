"""Outputs (flux split, current density, space charge), ramping, failure reporting, case files."""
import numpy as np
import pytest

from ntransport.constants import F
from ntransport.errors import ConvergenceError
from ntransport.physics.edges import edge_geometry
from ntransport.physics.electrode import Electrode, Galvanostatic
from ntransport.physics.scaling import debye_length
from ntransport.physics.species import binary_salt
from ntransport.post.transport import line_profile, transport_fields
from ntransport.solve.npp import NPPProblem, run
from ntransport.solve.npp_system import CachedPattern
from ntransport.geometry.structured import strip

L, c0, Dp, Dm = 1e-4, 1000.0, 1e-11, 2e-11


def steady_cell(i=5.0):
    d = strip(L, n=40)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0), Electrode("cathode", i0=10.0)],
                    galvanostatic=Galvanostatic("anode", i))
    D = 2 * Dp * Dm / (Dp + Dm)
    for s in run(pr, t_end=5 * L**2 / D, dt=1.0):
        pass
    return pr, s


def test_flux_split_and_current_density():
    """Steady galvanostatic cell: the anion flux vanishes (its diffusion and migration
    pieces cancel); i = F(N+ - N-) = i_app; N+ = i/F. The element fluxes are built from the
    Scharfetter-Gummel edge fluxes, exact for this 1D profile: only round-off and the steady
    state's residual transient (~1e-7 after 5 L^2/D) remain."""
    i = 5.0
    pr, s = steady_cell(i)
    f = transport_fields(pr, s)
    nd, nm = f["N_A- diffusion [mol m-2 s-1]"][:, 0], f["N_A- migration [mol m-2 s-1]"][:, 0]
    scale = np.max(np.abs(nd))
    assert scale > 1e-2 * i / F  # the pieces are not small...
    assert np.max(np.abs(nd + nm)) < 1e-6 * scale  # ...but cancel
    assert np.allclose(f["i [A m-2]"][:, 0], i, rtol=1e-6)
    assert np.allclose(f["N_Li+ [mol m-2 s-1]"][:, 0], i / F, rtol=1e-6)
    for k in ("Li+", "A-"):
        assert np.allclose(f[f"N_{k} [mol m-2 s-1]"], f[f"N_{k} diffusion [mol m-2 s-1]"]
                           + f[f"N_{k} migration [mol m-2 s-1]"], rtol=0, atol=1e-15 * scale)
    assert np.max(np.abs(f["rho [C m-3]"])) < 1e-9 * F * c0  # electroneutral
    assert np.allclose(f["E [V m-1]"][:, 1], 0.0, atol=1e-9 * np.abs(f["E [V m-1]"][:, 0]).max())
    s_, v = line_profile(pr.domain, s.potential, [0, 0.5 * L / 40], [L, 0.5 * L / 40], n=11)
    assert s_[-1] == pytest.approx(L) and np.all(np.diff(v) < 0)


def test_potential_ramp():
    d = strip(L, n=10)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0, potential=0.01, ramp_time=10.0),
                     Electrode("cathode", i0=10.0)])
    cur = [(s.t, s.current("anode")) for s in run(pr, t_end=20.0, dt=1.0, adaptive=False)]
    assert cur[0][1] < 0.2 * cur[9][1]  # ramping up
    assert Electrode("a", i0=1.0, potential=2.0, ramp_time=4.0).potential_at(1.0) == 0.5


def test_convergence_error_reports_time_step_and_history():
    d = strip(L, n=10)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0, potential=0.5), Electrode("cathode", i0=10.0)])
    with pytest.raises(ConvergenceError, match=r"time stepping failed at t = 0 s .*step size fell.*"
                                               r"residual history"):
        next(run(pr, t_end=100.0, dt=10.0, newton_maxiter=1, dt_min=5.0))


def test_debye_graded_strip():
    lam = debye_length(10.0, 1.0)
    d = strip(100 * lam, n=20, debye_length=lam)
    x = np.unique(d.mesh.p[0])
    assert x[1] - x[0] == pytest.approx(lam / 4, rel=0.05)


def test_cached_pattern_matches_coo():
    import scipy.sparse as sp
    rng = np.random.default_rng(0)
    r, c = rng.integers(0, 7, 40), rng.integers(0, 7, 40)
    v = rng.random(40)
    A = CachedPattern(r, c, (7, 7)).matrix(v)
    assert np.allclose(A.toarray(), sp.coo_matrix((v, (r, c)), shape=(7, 7)).toarray())


def test_edge_weights_reproduce_stiffness():
    import skfem
    from skfem.models import laplace
    m = skfem.MeshTri().refined(2)
    g = edge_geometry(m.p, m.t)
    K = skfem.asm(laplace, skfem.Basis(m, skfem.ElementTriP1()))
    u = np.random.default_rng(1).random(m.p.shape[1])
    W = g.edge_coefficient(np.ones(m.t.shape[1]))
    i, j = g.edges
    assert np.sum(W * (u[i] - u[j]) ** 2) == pytest.approx(u @ K @ u, rel=1e-12)
    assert g.lumped.sum() == pytest.approx(1.0)


def test_case_files_validate():
    from pathlib import Path
    from ntransport.studies.registry import check_case, load_case
    root = Path(__file__).resolve().parents[3] / "geometries"
    for name in ("npp_peo_vs_peomof.yaml", "npp_peo_vs_plm.yaml", "npp_full_cell.yaml"):
        case = load_case(root / name)
        assert case.kind == "npp_zhang" and case["flux"] == 0.01
        assert case["temperature"] == pytest.approx(333.15)
        check_case(case)


def test_current_ramp():
    g = Galvanostatic("anode", 2.0, ramp_time=4.0)
    assert g.at(1.0) == 0.5 and g.at(10.0) == 2.0
    d = strip(L, n=10)
    pr = NPPProblem(d, binary_salt(c0, Dp, Dm),
                    [Electrode("anode", i0=10.0), Electrode("cathode", i0=10.0)],
                    galvanostatic=Galvanostatic("anode", 1.0, ramp_time=5.0))
    cur = [s.current("anode") for s in run(pr, t_end=8.0, dt=1.0, adaptive=False)]
    assert np.allclose(cur, [min(1.0, t / 5.0) for t in range(1, 9)], rtol=1e-9)


def test_positivity_on_coarse_mesh_strong_field():
    """SG fluxes keep concentrations positive where Galerkin P1 would oscillate: a 10 V_T
    wall potential with only ~2 elements per Debye length (check relaxed on purpose)."""
    from ntransport.physics.electrode import FixedConcentration, FixedPotential

    lam = debye_length(10.0, 1.0)
    d = strip(20 * lam, n=10, electrodes=("wall", "bulk"))
    bcs = [FixedPotential("wall", 0.257), FixedPotential("bulk", 0.0),
           FixedConcentration("bulk", "Li+", 1.0), FixedConcentration("bulk", "A-", 1.0)]
    pr = NPPProblem(d, binary_salt(1.0, 1e-11, 1e-11), bcs, electrostatics="poisson",
                    permittivity=10.0, debye_resolution=0.2)
    tau = (20 * lam) ** 2 / 1e-11
    for s in run(pr, t_end=20 * tau, dt=1e-3 * tau):
        assert s.concentrations["Li+"].min() > 0 and s.concentrations["A-"].min() > 0
    wall = d.mesh.p[0] == 0.0
    assert np.allclose(s.concentrations["Li+"][wall], np.exp(-10.0), rtol=0.05)  # Boltzmann
