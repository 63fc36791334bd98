"""Linear solvers, the fast P1 assembly and the node splitting used by conduction."""
import numpy as np
import pytest
import scipy.sparse as sp
import skfem
from skfem.models.poisson import laplace

from ntransport.errors import ConvergenceError
from ntransport.geometry import Domain
from ntransport.physics.conduction import (
    conduction, conduction_p1, facet_mass_p1, interface_conductance_p1,
)
from ntransport.solve.assembly import CSRPattern, coo_to_csr, p1_gradients, split_interface_nodes
from ntransport.solve.linear import (
    DIRECT_LIMIT, AMGSolver, CGSolver, DirectSolver, make_solver,
)


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
