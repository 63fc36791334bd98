"""Linear solvers, the fast P1 assembly and the node splitting used by conduction."""
import numpy as np
import pytest
import scipy.sparse as sp
import skfem
from skfem.models.poisson import laplace

from ntransport.errors import ConfigError, ConvergenceError
from ntransport.geometry import Domain
from ntransport.physics.conduction import (
    conduction, conduction_p1, facet_mass_p1, interface_conductance_p1,
)
from ntransport.solve.assembly import CSRPattern, coo_to_csr, p1_gradients, split_interface_nodes
from ntransport.solve.linear import (
    DIRECT_LIMIT, AMGSolver, CGSolver, DirectSolver, make_solver,
)


#: the portable backend, and PARDISO where installed ("auto" falls back to SuperLU)
BACKENDS = ["superlu", "auto"]

def poisson(n=30):
    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, n), np.linspace(0, 1, n))
    b = skfem.Basis(m, skfem.ElementTriP1())
    K = laplace.assemble(b)
    inner = b.complement_dofs(m.boundary_nodes())
    return K[inner][:, inner].tocsr()


@pytest.mark.parametrize("solver", [DirectSolver(), AMGSolver(), CGSolver()])
def test_solvers_agree_and_reuse_the_factorisation(solver):
    A = poisson()
    rng = np.random.default_rng(0)
    solve = solver.factor(A)
    for _ in range(2):  # one factorisation / hierarchy, several right-hand sides
        b = rng.standard_normal(A.shape[0])
        x = solve(b)
        # iterative solvers stop at their rtol (AMG default 1e-8); the direct one is exact
        assert np.linalg.norm(A @ x - b) / np.linalg.norm(b) < 10 * getattr(solver, "rtol", 1e-13)


def test_make_solver_picks_by_size_and_passes_objects_through():
    assert isinstance(make_solver("auto", n=DIRECT_LIMIT[2], dim=2), DirectSolver)
    assert isinstance(make_solver("auto", n=DIRECT_LIMIT[2] + 1, dim=2), AMGSolver)
    assert isinstance(make_solver("auto", n=DIRECT_LIMIT[3] + 1, dim=3), AMGSolver)
    custom = AMGSolver(rtol=1e-6)
    assert make_solver(custom, n=10) is custom
    assert isinstance(make_solver("cg", n=10), CGSolver)


def test_direct_solver_singular_matrix_raises():
    A = sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))  # floating potential
    with pytest.raises(ConvergenceError, match="direct solver failed .* connected to an electrode"):
        DirectSolver().factor(A)(np.ones(2))


def test_amg_non_convergence_names_residual_and_iterations():
    A = poisson(60)
    with pytest.raises(ConvergenceError, match=r"AMG-CG did not converge: relative residual \S+ after 2 iterations \(rtol=1e-15, maxiter=2\)"):
        AMGSolver(rtol=1e-15, maxiter=2).factor(A)(np.ones(A.shape[0]))


def test_csr_pattern_matches_scipy_conversion():
    rng = np.random.default_rng(1)
    r, c = rng.integers(0, 50, 2000), rng.integers(0, 40, 2000)
    v = rng.standard_normal(2000)
    pat = CSRPattern(r, c, (50, 40))
    ref = coo_to_csr(r, c, v, (50, 40))
    assert abs(pat.assemble(v) - ref).max() < 1e-13
    assert abs(pat.assemble(2 * v) - 2 * ref).max() < 1e-13  # re-assembly reuses the map
    with pytest.raises(ValueError, match="expected 2000 COO values"):
        pat.assemble(v[:10])


@pytest.mark.parametrize("Mesh,Elem", [(skfem.MeshTri, skfem.ElementTriP1), (skfem.MeshTet, skfem.ElementTetP1)])
def test_fast_p1_stiffness_equals_scikit_fem_form(Mesh, Elem):
    m = Mesh().refined(2)
    rng = np.random.default_rng(2)
    sigma = rng.uniform(0.1, 10.0, m.nelements)
    g, vol = p1_gradients(m.p, m.t)
    assert np.allclose(g.sum(axis=0), 0.0)  # partition of unity
    assert vol.sum() == pytest.approx(1.0)  # unit square / cube
    Ke = conduction_p1(g, vol, sigma)
    nv = m.t.shape[0]
    rows = np.broadcast_to(m.t[:, None, :], Ke.shape).ravel()
    cols = np.broadcast_to(m.t[None, :, :], Ke.shape).ravel()
    fast = coo_to_csr(rows, cols, Ke.ravel(), (m.nvertices, m.nvertices))
    basis = skfem.Basis(m, Elem(), intorder=0)
    ref = conduction.assemble(basis, sigma=sigma[:, None] * np.ones((1, basis.X.shape[1])))
    assert abs(fast - ref).max() < 1e-12 * abs(ref).max()
    assert nv == m.dim() + 1


@pytest.mark.parametrize("Mesh,Elem", [(skfem.MeshTri, skfem.ElementTriP1), (skfem.MeshTet, skfem.ElementTetP1)])
def test_reduced_assembly_block_by_block_is_the_dirichlet_reduced_form(Mesh, Elem, monkeypatch):
    """`assemble_reduced` gives scikit-fem's K_ff and -K_fd u_d, and the same bits whether
    it receives all local matrices or a callable that makes them block by block (blocks of
    7 elements here, so that the last one is partial)."""
    import ntransport.solve.assembly as asm

    m = Mesh().refined(2)
    rng = np.random.default_rng(4)
    sigma = rng.uniform(0.1, 10.0, m.nelements)
    g, vol = p1_gradients(m.p, m.t)
    fixed = m.boundary_nodes()
    ud = np.zeros(m.nvertices)
    ud[fixed] = rng.uniform(-1, 1, fixed.size)
    fidx = np.full(m.nvertices, -1)
    free = np.setdiff1d(np.arange(m.nvertices), fixed)
    fidx[free] = np.arange(free.size)
    A, b = asm.assemble_reduced(m.t, conduction_p1(g, vol, sigma), fidx, ud)
    basis = skfem.Basis(m, Elem(), intorder=0)
    K = conduction.assemble(basis, sigma=sigma[:, None] * np.ones((1, basis.X.shape[1]))).tocsr()
    assert abs(A - K[free][:, free]).max() < 1e-12 * abs(K).max()
    np.testing.assert_allclose(b, -K[free][:, fixed] @ ud[fixed], atol=1e-12 * abs(K).max())
    monkeypatch.setattr(asm, "ASSEMBLY_BLOCK", 7)
    assert m.nelements % 7 != 0
    blocks = asm.assemble_reduced(m.t, lambda sl: conduction_p1(g[:, :, sl], vol[sl], sigma[sl]),
                                  fidx, ud)
    assert (blocks[0] != A).nnz == 0 and np.array_equal(blocks[1], b)


@pytest.mark.parametrize("dim", [2, 3])
def test_facet_mass_integrates_products_exactly(dim):
    M = facet_mass_p1(dim)
    # int lambda_i lambda_j over a facet of unit measure: 1/6 (i = j) and 1/12 in 2D...
    assert M.sum() == pytest.approx(1.0)  # int 1 = |f|
    assert M[0, 0] == pytest.approx(2 / (dim * (dim + 1)))
    K = interface_conductance_p1(np.array([2.0]), 3.0, dim)
    jump = np.r_[np.ones(dim), np.zeros(dim)]  # unit jump: G |f| [u]^2 = 6
    assert jump @ K[:, :, 0] @ jump == pytest.approx(6.0)
    assert np.allclose(K[:, :, 0] @ np.ones(2 * dim), 0.0)  # no jump, no current


def test_split_interface_duplicates_only_interface_nodes():
    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    cy = m.p[1, m.t].mean(axis=0)
    d = Domain.from_arrays(m.p.T, m.t.T, {"a": np.nonzero(cy < 0.5)[0], "b": np.nonzero(cy > 0.5)[0]})
    s = split_interface_nodes(d, ["a|b"])
    assert s.nnodes == m.nvertices + 5  # the 5 nodes on y = 0.5
    assert np.array_equal(d.mesh.p[:, s.origin[s.t]], d.mesh.p[:, d.mesh.t])  # same geometry
    sa, sb = s.pairs["a|b"]
    assert np.array_equal(s.origin[sa], s.origin[sb]) and not np.any(sa == sb)
    assert np.allclose(d.mesh.p[1, s.origin[sa]], 0.5)


# --------------------------------------------------------------- AMG (solve/amg.py)
def heterogeneous(n=40, contrast=10.0):
    """P1 Poisson with a conductivity jump (a centred square of sigma = contrast)."""
    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, n), np.linspace(0, 1, n))
    b = skfem.Basis(m, skfem.ElementTriP1())
    mid = m.p[:, m.t].mean(axis=1)
    inside = (np.abs(mid - 0.5) < 0.2).all(axis=0)
    from skfem import BilinearForm
    from skfem.helpers import dot, grad

    s = np.where(inside, contrast, 1.0)[:, None] * np.ones((m.nelements, b.X.shape[-1]))

    @BilinearForm
    def form(u, v, w):
        return w["s"] * dot(grad(u), grad(v))

    K = form.assemble(b, s=s)
    inner = b.complement_dofs(m.boundary_nodes())
    return K[inner][:, inner].tocsr()


def test_csr_hierarchy_matches_pyamg_smoothed_aggregation():
    """Same aggregation, tentative and smoothed prolongator as pyamg's SA on level 0, and
    the same CG iteration count (within one) with the same cycle: the CSR rewrite changes
    the storage, not the method. (Deeper levels can aggregate a few nodes differently:
    pyamg's 1x1-BSR Galerkin product rounds differently, and strength ties break on it.)"""
    import pyamg

    from ntransport.solve.amg import Hierarchy, VCycle, build_hierarchy

    A = heterogeneous(60)
    ml = pyamg.smoothed_aggregation_solver(
        A, symmetry="symmetric", strength=("symmetric", {"theta": 0.05}),
        smooth=("jacobi", {"omega": 4.0 / 3.0, "weighting": "local"}),
        improve_candidates=None, max_coarse=50)
    h = build_hierarchy(A, theta=0.05, max_coarse=50, truncate=0.0)  # pyamg's whole P
    assert h.sizes[:2] == [lv.A.shape[0] for lv in ml.levels][:2]
    np.testing.assert_allclose(h.P[0].toarray(), ml.levels[0].P.toarray(), atol=1e-14)
    np.testing.assert_allclose(h.A[1].toarray(), ml.levels[1].A.toarray(), rtol=1e-12, atol=1e-12)
    assert h.operator_complexity == pytest.approx(ml.operator_complexity(), rel=0.01)
    hp = Hierarchy([sp.csr_matrix(lv.A) for lv in ml.levels],
                   [sp.csr_matrix(lv.P) for lv in ml.levels[:-1]],
                   [sp.csr_matrix(lv.R) for lv in ml.levels[:-1]])
    b = np.ones(A.shape[0])
    its = []
    for hier in (h, hp):
        n = [0]
        import scipy.sparse.linalg as spla

        spla.cg(A, b, rtol=1e-8, atol=0, M=VCycle(hier).aslinearoperator(),
                callback=lambda _: n.__setitem__(0, n[0] + 1))
        its.append(n[0])
    assert abs(its[0] - its[1]) <= 1, its


def voxel_matrix(n, contrast, seed=0):
    """The two-point-flux matrix of an n^3 two-phase voxel grid (30 % at *contrast*, 1
    elsewhere, harmonic face conductances, Dirichlet half cells at x = 0 and x = n)."""
    from ntransport.percolation.voxel import grid_system

    sig = np.where(np.random.default_rng(seed).random((n, n, n)) < 0.3, contrast, 1.0)
    return grid_system(sig)[0]


def test_classical_hierarchy_is_pyamgs_ruge_stueben_and_stays_sparse_on_voxels():
    """`build_classical_hierarchy` keeps pyamg's Ruge-Stueben levels (same sizes, the same
    prolongator) as CSR; on a 3D voxel grid with a contrast its operator complexity stays
    below smoothed aggregation's, which fills in there (the reason the voxel solver uses
    it; benchmarks/amg/voxel_coarsening.json: 2.6-2.9 against 6-8 at 64^3-96^3)."""
    import pyamg

    from ntransport.solve.amg import VCycle, build_classical_hierarchy, build_hierarchy

    A = voxel_matrix(24, 1e4)
    h = build_classical_hierarchy(A, max_coarse=50)
    ml = pyamg.ruge_stuben_solver(A, max_coarse=50, max_levels=20)
    assert h.sizes == [lv.A.shape[0] for lv in ml.levels]
    np.testing.assert_allclose(h.P[0].toarray(), ml.levels[0].P.toarray(), atol=1e-14)
    assert all(r.format == "csr" and r.shape == p.T.shape for r, p in zip(h.R, h.P))
    oc_classical = h.operator_complexity
    oc_aggregation = build_hierarchy(A, max_coarse=50, truncate=0.0).operator_complexity
    assert oc_classical < 3.5 < oc_aggregation, (oc_classical, oc_aggregation)
    # truncated prolongators (the default) thin aggregation's coarse levels there
    assert build_hierarchy(A, max_coarse=50).operator_complexity < 0.8 * oc_aggregation
    b = np.ones(A.shape[0])
    its = [0]
    import scipy.sparse.linalg as spla

    x, info = spla.cg(A, b, rtol=1e-10, atol=0, M=VCycle(h).aslinearoperator(),
                      callback=lambda _: its.__setitem__(0, its[0] + 1))
    assert info == 0 and np.linalg.norm(A @ x - b) < 1e-9 * np.linalg.norm(b)
    assert its[0] < 60, its


def test_auto_coarsening_turns_classical_only_where_aggregation_fills_in():
    """`coarsening="auto"` (the default): aggregation, unless a coarse level holds more
    nonzeros than the fine level (`FILL_IN`), as on 3D voxel grids with a contrast; then
    classical. P1 and low-contrast voxel systems keep aggregation."""
    from ntransport.solve.amg import FILL_IN, build_auto_hierarchy, build_hierarchy

    assert FILL_IN == 1.0
    filling = voxel_matrix(24, 1e4)  # fills in with whole prolongators (truncate=0)
    assert build_hierarchy(filling, max_fill=FILL_IN, truncate=0.0) is None
    assert build_auto_hierarchy(filling, truncate=0.0).coarsening == "classical"
    for A in (voxel_matrix(24, 3.0), heterogeneous(60, contrast=1e4), poisson(60)):
        h = build_auto_hierarchy(A, max_coarse=50)
        assert h.coarsening == "aggregation"
        assert all(a.nnz <= A.nnz for a in h.A[1:])
    s = AMGSolver(truncate=0.0)
    assert s.coarsening == "auto" and s.theta == 0.05
    b = np.ones(filling.shape[0])
    x = s.factor(filling)(b)
    assert s.hierarchies == ["classical"]
    assert np.linalg.norm(filling @ x - b) < 1e-7 * np.linalg.norm(b)
    assert AMGSolver(coarsening="classical").theta == 0.25
    from ntransport.solve.amg import galerkin_update

    h = build_auto_hierarchy(filling, truncate=0.0)
    assert galerkin_update(h, filling).coarsening == "classical"  # reuse keeps the kind


def test_truncated_prolongator_keeps_the_near_nullspace_and_its_large_entries():
    """`_truncated` drops the entries below eps times their row's largest magnitude and
    rescales each row so that it interpolates the coarse near-nullspace B as before
    (P B unchanged to rounding); the row maxima and the kept entries' ratios stay."""
    from ntransport.solve.amg import _truncated, build_hierarchy

    A = heterogeneous(40, contrast=1e3)
    h = build_hierarchy(A, max_coarse=50, truncate=0.0)
    P = h.P[0]
    B = np.random.default_rng(0).uniform(0.5, 2.0, P.shape[1])
    for eps in (0.1, 0.3):
        Q = _truncated(P, B, eps)
        np.testing.assert_allclose(Q @ B, P @ B, rtol=1e-13)
        dense_p, dense_q = P.toarray(), Q.toarray()
        rowmax = np.abs(dense_p).max(axis=1, keepdims=True)
        assert np.all(dense_q[np.abs(dense_p) < eps * rowmax] == 0)
        kept = np.abs(dense_p) >= eps * rowmax
        assert np.all(dense_q[kept] != 0)
        scale = dense_q[kept] / dense_p[kept]  # one factor a row
        rows = np.nonzero(kept)[0]
        np.testing.assert_allclose(scale, np.bincount(rows, scale)[rows]
                                   / np.bincount(rows)[rows], rtol=1e-13)
        assert 0.5 * P.nnz < Q.nnz < P.nnz
    # the default truncation thins the coarse levels and keeps the iterations
    b = np.ones(A.shape[0])
    its = {}
    for eps in (0.0, 0.1):
        s = AMGSolver(rtol=1e-10, truncate=eps, max_coarse=50)
        x = s.factor(A)(b)
        assert np.linalg.norm(A @ x - b) < 1e-9 * np.linalg.norm(b)
        its[eps] = s.iterations[-1]
    assert its[0.1] <= its[0.0] + 3, its


@pytest.mark.parametrize("threads", [1, 2])
def test_merged_post_smoothing_is_the_same_cycle(monkeypatch, threads):
    """With one Jacobi sweep each way, `w (b + r) + Pt e` (Pt = P - diag(w) A P) is the
    post-sweep of `x1 + P e`: the merged cycle equals the plain one to rounding, with Pt in
    CSC on one thread and in CSR row blocks on two; never with two sweeps."""
    import ntransport.solve.amg as amg
    from ntransport.solve import rowblocks

    monkeypatch.setattr(rowblocks, "kernel_threads", lambda: threads)
    monkeypatch.setattr(rowblocks, "BLOCK_NNZ", 1000)
    A = heterogeneous(80, contrast=1e3)
    r = np.random.default_rng(2).standard_normal(A.shape[0])
    monkeypatch.setattr(amg, "MERGE_BELOW", 10.0)  # merge every level
    h = amg.build_hierarchy(A, max_coarse=50)
    assert all(ap is not None for ap in h.AP)
    merged = amg.VCycle(h)
    assert all(pt is not None for pt in merged._Pt)
    kind = rowblocks.RowBlocks if threads > 1 else sp.csc_matrix
    assert isinstance(merged._Pt[0], kind)
    monkeypatch.setattr(amg, "MERGE_BELOW", -1.0)
    plain_h = amg.build_hierarchy(A, max_coarse=50)
    assert all(ap is None for ap in plain_h.AP)
    plain = amg.VCycle(plain_h)
    assert all(pt is None for pt in plain._Pt)
    np.testing.assert_allclose(merged(r), plain(r), rtol=0, atol=1e-12 * np.abs(plain(r)).max())
    assert all(pt is None for pt in amg.VCycle(h, sweeps=2)._Pt)
    m32, p32 = amg.VCycle(h, dtype=np.float32), amg.VCycle(plain_h, dtype=np.float32)
    np.testing.assert_allclose(m32(r), p32(r), rtol=0, atol=1e-5 * np.abs(p32(r)).max())


@pytest.mark.parametrize("smoother", ["jacobi", "gauss-seidel"])
def test_vcycle_is_symmetric_positive_definite(smoother):
    """CG needs an SPD preconditioner: Gauss-Seidel forward before and backward after;
    weighted Jacobi (self-adjoint) the same sweeps both ways, with omega rho < 2."""
    from ntransport.solve.amg import VCycle, build_hierarchy

    A = heterogeneous(25, contrast=1e3)
    M = VCycle(build_hierarchy(A, max_coarse=20), sweeps=2, smoother=smoother)
    E = np.column_stack([M(e) for e in np.eye(A.shape[0])])
    np.testing.assert_allclose(E, E.T, atol=1e-12 * np.abs(E).max())
    assert np.linalg.eigvalsh(0.5 * (E + E.T)).min() > 0


@pytest.mark.parametrize("opts", [dict(precision="double"), dict(precision="single"),
                                  dict(sweeps=2, theta=0.0), dict(max_coarse=10),
                                  dict(smoother="gauss-seidel"),
                                  dict(smoother="jacobi", sweeps=2),
                                  dict(coarsening="classical"), dict(truncate=0.0),
                                  dict(truncate=0.4),
                                  dict(coarsening="classical", reuse="prolongators")])
def test_amg_options_reach_rtol(opts):
    A = heterogeneous(50, contrast=1e3)
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    s = AMGSolver(rtol=1e-10, **opts)
    x = s.factor(A)(b)
    assert np.linalg.norm(A @ x - b) / np.linalg.norm(b) < 1e-10 * 10
    assert 0 < s.iterations[-1] < 60


@pytest.mark.parametrize("n", [40, 500])
def test_jacobi_weight_is_four_thirds_over_the_spectral_radius(n):
    """omega D^-1 with omega = 4/(3 rho(D^-1 A)): on the 1D Laplacian rho = 1 + cos(pi/(n+1))
    exactly. Below 64 unknowns rho is exact (dense); above, ARPACK's Ritz value at tol 0.1
    errs low by at most ~10 %, so omega rho lies in [4/3, 4/3 / 0.9] -- a smoother that
    damps the upper spectrum and converges (omega rho < 2)."""
    from ntransport.solve.amg import jacobi_weight

    A = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="csr") * 3.0
    w = jacobi_weight(A)
    rho = 1.0 + np.cos(np.pi / (n + 1))
    omega_rho = w * A.diagonal() * rho
    np.testing.assert_allclose(omega_rho, omega_rho[0], rtol=1e-12)  # one omega per level
    if n < 64:
        assert omega_rho[0] == pytest.approx(4.0 / 3.0, rel=1e-12)
    else:
        assert 4.0 / 3.0 * (1 - 1e-12) <= omega_rho[0] <= 4.0 / 3.0 / 0.9


def test_jacobi_weight_skips_rows_without_a_diagonal_and_refuses_a_negative_operator():
    """A row with a zero diagonal is left alone (weight 0, as pyamg's Gauss-Seidel skips
    it), never divided by zero; a negative definite matrix is refused by name."""
    from ntransport.solve.amg import jacobi_weight

    A = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(100, 100), format="lil")
    A[50, :] = 0.0
    A[:, 50] = 0.0
    w = jacobi_weight(A.tocsr())
    assert w[50] == 0.0 and np.all(np.isfinite(w)) and np.all(w[np.arange(100) != 50] > 0)
    with pytest.raises(ValueError, match="not SPD"):
        jacobi_weight(-sp.eye(100, format="csr"))


def test_jacobi_weight_repeats_bit_for_bit_also_from_threads():
    """The Lanczos start vector is fixed, so a run (and a resumed run) gets the same
    weights; studies run their solves in threads, and ARPACK's state is per call."""
    from concurrent.futures import ThreadPoolExecutor

    from ntransport.solve.amg import jacobi_weight

    mats = [heterogeneous(30 + 3 * k, contrast=10.0 ** k) for k in range(4)]
    ref = [jacobi_weight(m) for m in mats]
    with ThreadPoolExecutor(4) as ex:
        for _ in range(3):
            for a, b in zip(ex.map(jacobi_weight, mats), ref):
                assert np.array_equal(a, b)


def test_single_precision_hierarchy_gives_the_double_precision_answer():
    """Mixed precision: the V-cycle in float32, CG in float64 -- the solution is the one
    fixed by rtol, not by the preconditioner's precision."""
    A = heterogeneous(50)
    b = np.ones(A.shape[0])
    x1 = AMGSolver(rtol=1e-12, precision="single").factor(A)(b)
    x2 = AMGSolver(rtol=1e-12, precision="double").factor(A)(b)
    ref = DirectSolver()(A, b)
    for x in (x1, x2):
        assert np.abs(x - ref).max() < 1e-9 * np.abs(ref).max()


def test_amg_reuse_across_steps_with_the_same_pattern():
    A = heterogeneous(40)
    A2 = A.copy()
    A2.data *= 1.0 + 0.05 * np.random.default_rng(2).random(A.nnz)
    A2 = sp.csr_matrix(0.5 * (A2 + A2.T))
    b = np.ones(A.shape[0])
    for mode, setups in (("none", 2), ("prolongators", 1), ("all", 1)):
        s = AMGSolver(rtol=1e-10, reuse=mode)
        s.factor(A)(b)
        x = s.factor(A2)(b)  # the next Newton/time step
        assert s.setups == setups
        assert np.linalg.norm(A2 @ x - b) / np.linalg.norm(b) < 1e-9
    # a different pattern is never reused
    s = AMGSolver(reuse="all")
    s.factor(A)
    s.factor(heterogeneous(41))
    assert s.setups == 2


@pytest.mark.parametrize("kw, match", [
    (dict(precision="half"), "precision must be 'single' or 'double', got 'half'"),
    (dict(reuse="yes"), "reuse must be one of"),
    (dict(sweeps=0), "sweeps must be an integer >= 1, got 0"),
    (dict(smoother="sor"), "smoother must be one of .*got 'sor'"),
    (dict(coarsening="rs"), "coarsening must be one of .*got 'rs'"),
    (dict(theta=1.5), "theta must be a number in"),
    (dict(truncate=1.0), r"truncate must be a number in \[0, 1\), got 1.0"),
    (dict(truncate=-0.1), "truncate must be a number in"),
    (dict(rtol=0.0), "rtol must be a number in"),
])
def test_amg_bad_options_are_named(kw, match):
    from ntransport.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        AMGSolver(**kw)


def test_amg_single_precision_failure_retries_in_double_then_says_so():
    A = poisson(40)
    with pytest.raises(ConvergenceError, match="tried single- and double-precision"):
        AMGSolver(rtol=1e-15, maxiter=2, precision="single").factor(A)(np.ones(A.shape[0]))


def test_pardiso_is_located_without_a_search(monkeypatch):
    """The MKL library path comes from the pip record (pypardiso's own recursive glob of
    sys.prefix cost seconds per DirectSolver)."""
    import os

    from ntransport.solve import linear

    monkeypatch.delenv("PYPARDISO_MKL_RT", raising=False)
    linear._locate_mkl()
    path = os.environ.get("PYPARDISO_MKL_RT")
    if path is not None:  # a pip MKL: the located file exists and loads
        assert "mkl_rt" in path and os.path.exists(path)
    solver = DirectSolver()
    # the portable fallback is chosen exactly when PARDISO cannot be used
    assert solver.backend == ("pardiso" if linear.pardiso_available() else "superlu")
    x = solver(sp.identity(3, format="csr") * 2.0, np.ones(3))
    np.testing.assert_allclose(x, 0.5)


@pytest.mark.skipif(not __import__("ntransport.solve.linear", fromlist=["x"]).pardiso_available(),
                    reason="PARDISO (pypardiso/MKL) is an optional extra, not installed here")
def test_pardiso_settings_and_accuracy_without_default_refinement():
    """The handle carries the stated control parameters (refinement only after perturbed
    pivots) and still solves a nonsymmetric system that needs pivoting -- zero diagonal,
    entries spanning 16 decades like a depleted salt block -- to a residual near round-off,
    also after a refactorisation with the analysis reused."""
    from ntransport.solve import linear

    rng = np.random.default_rng(5)
    n = 400
    A = sp.random(n, n, density=0.02, random_state=rng, format="csr")
    P = sp.csr_matrix((np.ones(n), (np.arange(n), rng.permutation(n))), shape=(n, n))
    scale = sp.diags(10.0 ** rng.uniform(-8, 8, n))
    A = (A + 3.0 * P) @ scale  # a permutation makes it nonsingular; the diagonal is ~0
    A = A.tocsr()
    A.setdiag(0.0)
    A.eliminate_zeros()
    b = rng.standard_normal(n)
    solver = DirectSolver("pardiso")
    for k in range(2):  # analysis + factorisation, then a refactorisation (phase 22)
        B = (A * (1.0 + 0.1 * k)).tocsr()
        x = solver.factor(B)(b)
        assert np.linalg.norm(B @ x - b) <= 1e-9 * np.linalg.norm(b)
    iparm = solver._handles[False]._s.iparm
    for i, v in linear.PARDISO_IPARM.items():
        assert iparm[i] == v, (i, iparm[i], v)


@pytest.mark.skipif(not __import__("ntransport.solve.linear", fromlist=["x"]).pardiso_available(),
                    reason="PARDISO (pypardiso/MKL) is an optional extra, not installed here")
@pytest.mark.parametrize("threads", [1, 2])
def test_pardiso_repeats_its_answer_bit_for_bit(threads):
    """Six fresh factorisations of one nonsymmetric 4 225-unknown system give the same bits
    on 1 and on 2 threads (on 2, iparm[33], MKL's reproducibility thread count, set to the
    handle's thread count; one thread needs none). Without iparm[33] the 2-thread case
    differed in 7 of 10 such trials on this machine (2026-12-01)."""
    from ntransport.solve.linear import mkl_threads

    m = skfem.MeshTri.init_sqsymmetric().refined(5)
    A = (laplace.assemble(skfem.Basis(m, skfem.ElementTriP1()))
         + sp.identity(m.nvertices) * 1e-3).tocsr()
    rng = np.random.default_rng(0)
    A.data *= 1.0 + 0.3 * rng.standard_normal(A.data.size)  # nonsymmetric, same pattern
    b = rng.standard_normal(A.shape[0])
    with mkl_threads(threads):
        solvers = [DirectSolver("pardiso") for _ in range(6)]
        xs = [s.factor(A)(b) for s in solvers]
        # iparm[33] (reproducibility mode) only on several threads: one is repeatable
        # without it, and it slows every solve 1.5-2x
        iparm33 = solvers[0]._handles[False]._s.iparm[33]
        assert iparm33 == threads if threads > 1 else iparm33 <= 0
    assert np.linalg.norm(A @ xs[0] - b) <= 1e-12 * np.linalg.norm(b)
    assert all(np.array_equal(xs[0], x) for x in xs[1:])


def test_norm2_is_the_euclidean_norm_without_blas():
    """norm2 (BLAS-free, see its docstring for why) agrees with numpy's to round-off on
    vectors of every size around OpenBLAS's threading threshold, keeps NaN/inf visible,
    and reads 2-D input as one vector."""
    from ntransport.solve.linear import norm2

    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 9_999, 10_001, 200_000):
        x = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5)
        assert norm2(x) == pytest.approx(float(np.linalg.norm(x)), rel=1e-13, abs=0.0)
    assert np.isnan(norm2(np.array([1.0, np.nan])))
    assert norm2(np.array([1.0, -np.inf])) == np.inf
    assert norm2(np.ones((3, 4))) == pytest.approx(np.sqrt(12.0), rel=1e-15)


def _two_field_system(seed=0):
    """A nonsymmetric 2-field system numbered field by field, like an NPP Jacobian."""
    A = poisson(21)  # 361 interior unknowns per field
    m = A.shape[0]
    rng = np.random.default_rng(seed)
    C = sp.diags(rng.uniform(0.1, 0.5, m))  # coupling between the fields of one node
    return sp.bmat([[A + sp.diags(rng.uniform(0, 1, m)), C],
                    [-C, 2 * A]]).tocsr(), m


@pytest.mark.parametrize("backend", BACKENDS)
def test_reordered_solver_returns_the_plain_answer_in_the_original_numbering(backend):
    from ntransport.solve.linear import Reordered

    J, m = _two_field_system()
    order = np.arange(2 * m).reshape(2, m).T.ravel()  # node by node
    rng = np.random.default_rng(1)
    inner = DirectSolver(backend)
    lin = Reordered(inner, order)
    for step in range(3):  # new values, same pattern: one data map, analysis reused
        Jk = J.copy()
        Jk.data = Jk.data * (1 + 0.1 * step)
        b = rng.standard_normal(2 * m)
        x = lin.factor(Jk)(b)
        assert np.linalg.norm(Jk @ x - b) < 1e-12 * np.linalg.norm(b)
        assert np.allclose(x, DirectSolver(backend).factor(Jk)(b), rtol=0, atol=1e-12)
    assert lin.factorisations == inner.factorisations == 3
    # a new pattern on the same numbering (an extra coupling entry) gets a new map
    J2 = (J + sp.csr_matrix(([5.0], ([0], [2 * m - 1])), shape=J.shape)).tocsr()
    b = rng.standard_normal(2 * m)
    x = lin(J2, b)
    assert np.linalg.norm(J2 @ x - b) < 1e-12 * np.linalg.norm(b)
    # the permuted matrix holds exactly the entries of J2, moved
    P = lin._permuted(sp.csr_matrix(J2))
    assert abs(P - J2[order][:, order]).max() == 0


def test_reordered_solver_refuses_what_is_not_a_permutation():
    from ntransport.errors import ConfigError
    from ntransport.solve.linear import Reordered

    with pytest.raises(ConfigError, match="order must be a permutation of range"):
        Reordered(DirectSolver(), np.array([0, 1, 1]))
    with pytest.raises(ConfigError, match="order must be a permutation of range"):
        Reordered(DirectSolver(), np.array([0.0, 1.0]))
    with pytest.raises(ConfigError, match="the matrix has 4 unknowns but the order 3"):
        Reordered(DirectSolver(), np.arange(3)).factor(sp.identity(4, format="csr"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_precision_refines_to_double_accuracy(backend):
    """Single-precision LU + refinement in double (LAPACK dsgesv's scheme) on a
    nonsymmetric 2D system with 4 225 unknowns: the answer passes the double-precision
    backward-error test |r| <= |x| |A| eps sqrt(n) and equals a double LU's to the
    conditioning (1e-9 here, cond ~ 1e4); it took refinement steps, no fallback, for
    several right-hand sides at once too."""
    m = skfem.MeshTri.init_sqsymmetric().refined(5)
    A = (laplace.assemble(skfem.Basis(m, skfem.ElementTriP1()))
         + sp.identity(m.nvertices) * 1e-3).tocsr()
    rng = np.random.default_rng(3)
    A.data *= 1.0 + 0.3 * rng.standard_normal(A.data.size)
    B = rng.standard_normal((A.shape[0], 2))
    mixed = DirectSolver(backend, precision="mixed")
    X = mixed.factor(A)(B)
    Xd = DirectSolver(backend, precision="double").factor(A)(B)
    tol = abs(A).sum(axis=1).max() * np.finfo(float).eps * np.sqrt(A.shape[0])
    assert np.all(np.abs(A @ X - B).max(axis=0) <= np.abs(X).max(axis=0) * tol)
    np.testing.assert_allclose(X, Xd, rtol=0, atol=1e-9 * np.abs(Xd).max())
    assert mixed.refinement_steps >= 1 and mixed.fallbacks == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_precision_falls_back_to_double_when_float32_cannot_refine(backend):
    """The 1D Laplacian on 20 000 nodes with a Dirichlet end (cond ~ 1.6e9, beyond float32's
    1/eps): refinement stalls, the solver factorises in double, solves to round-off and
    stays in double for the next matrix. Values outside float32's range go to double
    without trying."""
    n = 20_000
    A = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1],
                 format="csr")
    A[n - 1, n - 1] = 1.0
    b = np.ones(n)
    s = DirectSolver(backend, precision="mixed")
    x = s.factor(A)(b)
    assert s.fallbacks == 1
    assert np.linalg.norm(A @ x - b) <= 1e-7 * np.linalg.norm(b)
    s.factor(A * 2.0)(b)
    assert s.fallbacks == 1 and s.factorisations == 2
    from ntransport.solve.linear import _float32_safe

    assert _float32_safe(A)
    for v in (1e-36, 1e36):  # below float32's normal range (with margin), above its max
        assert not _float32_safe(sp.diags([1.0, v, 1.0], format="csr"))
    if backend == "superlu":  # (PARDISO refuses a pivot of 1e-36 even in double)
        tiny = DirectSolver(backend, precision="mixed")
        x = tiny.factor(sp.diags([1.0, 1e-36, 1.0], format="csr"))(np.ones(3))
        np.testing.assert_allclose(x, [1.0, 1e36, 1.0], rtol=1e-12)
        assert tiny.refinement_steps == 0 and tiny.fallbacks == 0


def test_auto_precision_is_mixed_for_large_dense_row_systems():
    """'auto': mixed from MIXED_MIN unknowns with MIXED_ROW_NNZ nonzeros per row (banded
    test matrices of 11 and 3 diagonals), double otherwise."""
    from ntransport.solve.linear import MIXED_MIN, MIXED_ROW_NNZ

    def banded(n, half):
        offs = range(-half, half + 1)
        return sp.diags([np.full(n - abs(k), 4.0 * half if k == 0 else -1.0) for k in offs],
                        list(offs), format="csr")

    half = MIXED_ROW_NNZ // 2
    for n, half, mixed in ((MIXED_MIN - 1, half, False), (MIXED_MIN, half, True),
                           (MIXED_MIN, 1, False)):
        A = banded(n, half)
        s = DirectSolver()
        x = s.factor(A)(np.ones(n))
        assert (s.refinement_steps > 0) == mixed, (n, half)
        assert np.linalg.norm(A @ x - 1.0) <= 1e-12 * np.sqrt(n)
    with pytest.raises(ConfigError, match="precision must be"):
        DirectSolver(precision="half")


@pytest.mark.parametrize("backend", BACKENDS)
def test_tiny_scale_matrices_are_solved_and_power_of_two_scaling_is_exact(backend):
    """A well-conditioned matrix of tiny overall scale (SI units: 1e-20 * I, a mass or
    capacitance block) is solved, not reported singular (PARDISO refused pivots below
    ~1e-13 before the system was scaled); scaling by a power of two changes no bit."""
    for v in (1e-14, 1e-20, 1e-30):
        x = DirectSolver(backend, precision="double").factor(
            sp.identity(4, format="csr") * v)(np.ones(4))
        np.testing.assert_allclose(x, 1.0 / v, rtol=1e-14)
    A = poisson(20)
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    x = DirectSolver(backend, precision="double").factor(A)(b)
    y = DirectSolver(backend, precision="double").factor(A * 2.0 ** -60)(b)
    assert np.array_equal(y, x * 2.0 ** 60)


@pytest.mark.parametrize("backend", BACKENDS)
def test_minimum_degree_ordering_gives_the_same_answer(backend):
    """ordering='minimum-degree' (PARDISO iparm[1] = 0; the phase-field runs' choice)
    solves a nonsymmetric system to round-off like METIS; unknown names are refused."""
    from ntransport.solve.phasefield import default_solver

    A = poisson(25)
    A = (A + sp.random(*A.shape, density=2e-3, random_state=1) * 0.1).tocsr()
    b = np.random.default_rng(4).standard_normal(A.shape[0])
    s = DirectSolver(backend, ordering="minimum-degree")
    x = s.factor(A)(b)
    y = DirectSolver(backend).factor(A)(b)
    assert np.linalg.norm(A @ x - b) <= 1e-12 * np.linalg.norm(b)
    np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12 * np.abs(y).max())
    if s.backend == "pardiso":
        assert s._handles[False]._s.iparm[1] == 0
    assert default_solver().ordering == "minimum-degree"
    with pytest.raises(ConfigError, match="ordering must be"):
        DirectSolver(ordering="metiss")


def test_inf_norm_matches_scipy_with_empty_and_negative_rows():
    """|A|_inf from |A.data| row sums (the refinement's norm) equals abs(A).sum(1).max()."""
    from ntransport.solve.linear import _inf_norm

    rng = np.random.default_rng(3)
    A = sp.random(40, 40, density=0.1, random_state=4, format="csr")
    A.data = rng.standard_normal(A.data.size)
    A = A.tolil()
    A[7, :] = 0.0
    A[39, :] = 0.0  # an empty last row: reduceat's index past the data
    A = A.tocsr()
    A.eliminate_zeros()
    assert np.diff(A.indptr)[[7, 39]].tolist() == [0, 0]
    assert _inf_norm(A) == pytest.approx(float(abs(A).sum(axis=1).max()), rel=1e-12)  # summation order
    assert _inf_norm(sp.csr_matrix((3, 3))) == 0.0


def test_amg_double_precision_retry_builds_its_hierarchy_once_per_factor():
    """A factor whose single-precision cycle fails builds the double-precision one at the
    first failing solve and reuses it for the next solves (not one setup per solve)."""
    A = poisson(40)
    s = AMGSolver(rtol=1e-15, maxiter=2, precision="single")
    solve = s.factor(A)
    for _ in range(3):
        with pytest.raises(ConvergenceError, match="tried single- and double-precision"):
            solve(np.ones(A.shape[0]))
    assert s.setups == 2 and s.hierarchies == ["aggregation", "aggregation"]
