"""The P2 conduction kernels against scikit-fem's own assembly.

`conduction_p2` (affine elements, closed form) and `isoparametric_gradients` +
`conduction_quadrature` (curved elements) replace scikit-fem's isoparametric basis in
`solve_p2`; scikit-fem's `conduction` form on a `MeshTri2`/`MeshTet2` is the reference.
Both are exact up to round-off for an element-wise constant conductivity (the affine
integrand is a quadratic polynomial; the curved one uses the same degree-4 rule), so the
tolerances are round-off ones.
"""
import numpy as np
import pytest
import skfem
from skfem.quadrature import get_quadrature

from ntransport.geometry.composite import particle_composite
from ntransport.physics.conduction import (
    conduction, conduction_p2, conduction_quadrature, p2_gradient_tensors,
)
from ntransport.solve import conduction_p2 as c2
from ntransport.solve.assembly import coo_to_csr, isoparametric_gradients, p1_gradients


def _mesh(dim):
    m = (skfem.MeshTri() if dim == 2 else skfem.MeshTet()).refined(2)
    rng = np.random.default_rng(dim)  # jiggle the inner vertices: general simplices
    p = m.p.copy()
    inner = np.setdiff1d(np.arange(m.nvertices), m.boundary_nodes())
    p[:, inner] += rng.uniform(-0.05, 0.05, (dim, inner.size))
    return type(m)(p, m.t)


def _elements(dim):
    return (skfem.ElementTriP2(), skfem.MeshTri2) if dim == 2 else (skfem.ElementTetP2(),
                                                                      skfem.MeshTet2)


def _global(edofs, Ke, N):
    rows = np.broadcast_to(edofs[:, None, :], Ke.shape).ravel()
    cols = np.broadcast_to(edofs[None, :, :], Ke.shape).ravel()
    return coo_to_csr(rows, cols, Ke.ravel(), (N, N))


@pytest.mark.parametrize("dim", [2, 3])
def test_local_edges_follow_scikit_fems_dof_order(dim):
    elem = _elements(dim)[0]
    edges = c2.local_edges(elem)
    assert edges == ([(0, 1), (1, 2), (0, 2)] if dim == 2
                     else [(0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3)])
    assert c2.local_edges(skfem.ElementTriP1()) == []  # no edge dofs
    # an element whose extra dof is not an edge midpoint is refused
    with pytest.raises(ValueError, match="not at an edge midpoint"):
        c2.local_edges(skfem.ElementTriMini())


@pytest.mark.parametrize("dim", [2, 3])
def test_p2_tensors_integrate_the_reference_products(dim):
    C, D = p2_gradient_tensors(dim, c2.local_edges(_elements(dim)[0]))
    nv = dim + 1
    # the basis is a partition of unity, so sum_A grad(phi_A) = 0: as sum_a g_a = 0 too,
    # the summed coefficients must be the same on every g_a
    SD, SC = D.sum(axis=0), C.sum(axis=0)
    assert np.allclose(SD, SD[0], atol=1e-14)
    assert np.allclose(SC, SC[:, :1, :], atol=1e-14)
    # vertex functions: mean gradient (4/(d+1) - 1) g_i, zero for tetrahedra
    assert np.allclose(np.diag(D[:nv]), 4.0 / nv - 1.0)
    # symmetry K_AB = K_BA with (a, b) swapped
    assert np.allclose(C, C.transpose(1, 0, 3, 2))


def _reference(dim, seed, bend=0.0):
    """A jiggled P2 mesh (every edge midpoint moved off its chord by up to *bend*), a
    random conductivity and scikit-fem's stiffness matrix on it."""
    m = _mesh(dim)
    elem, Mesh2 = _elements(dim)
    M = Mesh2.from_mesh(m)
    rng = np.random.default_rng(seed)
    if bend:
        doflocs = M.doflocs.copy()
        doflocs[:, m.nvertices:] += rng.uniform(-bend, bend, doflocs[:, m.nvertices:].shape)
        M = Mesh2(doflocs, M.t)
    sigma = rng.uniform(0.1, 10.0, m.nelements)
    basis = skfem.Basis(M, elem, intorder=4)
    ref = conduction.assemble(basis, sigma=np.repeat(sigma[:, None], basis.X.shape[1], 1))
    return m, elem, M, rng, sigma, basis, ref


@pytest.mark.parametrize("dim", [2, 3])
def test_closed_form_p2_stiffness_equals_scikit_fem(dim):
    m, elem, M, rng, sigma, basis, ref = _reference(dim, 5)
    C, D = p2_gradient_tensors(dim, c2.local_edges(elem))
    g, vol = p1_gradients(m.p, m.t)
    fast = _global(basis.element_dofs, conduction_p2(g, vol, sigma, C), basis.N)
    assert abs(fast - ref).max() < 1e-12 * abs(ref).max()
    # element-mean gradients of a random P2 field
    u = rng.standard_normal(basis.N)
    ue = u[basis.element_dofs]
    mean = np.einsum("Ae,Aa,ade->de", ue, D, g)
    grad = np.asarray(basis.interpolate(u).grad)
    want = np.einsum("deq,eq->de", grad, basis.dx) / basis.dx.sum(axis=1)
    assert np.allclose(mean, want, rtol=0, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("dim", [2, 3])
def test_isoparametric_kernel_equals_scikit_fem_on_curved_elements(dim):
    m, elem, M, rng, sigma, basis, ref = _reference(dim, 7, bend=0.01)  # every edge bent
    X, W = get_quadrature(elem.refdom, 4)
    dref = np.stack([elem.lbasis(X, i)[1] for i in range(basis.Nbfun)])
    gr, det = isoparametric_gradients(M.doflocs[:, basis.element_dofs], dref)
    wdx = np.abs(det) * W
    assert np.allclose(wdx, basis.dx, rtol=1e-13)
    fast = _global(basis.element_dofs, conduction_quadrature(gr, wdx, sigma), basis.N)
    assert abs(fast - ref).max() < 1e-12 * abs(ref).max()
    with pytest.raises(ValueError, match="2D or 3D"):
        isoparametric_gradients(np.zeros((1, 3, 2)), np.zeros((3, 1, 2)))


def _reference_solve(domain, sigma, electrodes):
    """The solve of `solve_p2` with scikit-fem's isoparametric basis on every element
    and its Dirichlet handling: what `solve_p2` did before its own kernels."""
    from ntransport.solve.linear import DirectSolver

    M = c2.p2_mesh(domain)
    elem = skfem.ElementTriP2() if domain.dim == 2 else skfem.ElementTetP2()
    basis = skfem.Basis(M, elem, intorder=4)
    K = conduction.assemble(basis, sigma=np.repeat(sigma[:, None], basis.X.shape[1], 1))
    K = K.tocsr()
    anode = basis.get_dofs(np.asarray(domain.facets(electrodes[0]))).all()
    cathode = basis.get_dofs(np.asarray(domain.facets(electrodes[1]))).all()
    u = np.zeros(basis.N)
    u[anode] = 1.0
    free = np.ones(basis.N, dtype=bool)
    free[anode] = free[cathode] = False
    u[free] = DirectSolver().factor(K[free][:, free])(-(K[free][:, ~free] @ u[~free]))
    grad = np.asarray(basis.interpolate(u).grad)
    g = np.einsum("deq,eq->de", grad, basis.dx) / basis.dx.sum(axis=1)
    return u, float(u @ (K @ u)), g, basis.dx.sum(axis=1)


@pytest.mark.parametrize("dim", [2, 3])
def test_solve_p2_equals_scikit_fems_assembly_on_a_curved_composite(dim):
    box = (6e-6, 6e-6) if dim == 2 else (5e-6,) * 3
    d = particle_composite(box, volume_fraction=0.15, radius=1e-6, seed=2,
                           shell_thickness=0.2e-6, mesh_size=0.4e-6 if dim == 2 else 0.8e-6)
    sigma = np.array([1.0, 7.0, 0.3])[d.region]  # three phases, contrast 23
    el = ("anode", "cathode")
    out = c2.solve_p2(d, sigma, el, solver="direct")
    bent = c2._curved_elements(d.mesh, c2._p2_mesh(d, True)[1], dim)
    assert 0.05 < bent.mean() < 0.95  # both kernels are exercised
    u, current, g, vol = _reference_solve(d, sigma, el)
    # u^T K u sums terms of both signs (cancellation ~1e5 here): round-off ~1e-11
    assert out["current"] == pytest.approx(current, rel=1e-9)
    assert np.abs(out["u"] - u).max() < 1e-12
    assert np.abs(out["grad"] - g).max() < 1e-11 * np.abs(g).max()
    assert np.allclose(out["volumes"], vol, rtol=1e-12)
    assert out["volumes"].sum() == pytest.approx(np.prod(box), rel=1e-6)


def test_p1_prolongator_interpolates_p1_functions_exactly():
    d = particle_composite((5e-6,) * 3, volume_fraction=0.15, radius=1e-6, seed=2,
                           mesh_size=0.8e-6)
    M, _ = c2._p2_mesh(d, False)  # straight: every P1 function is a P2 function
    N = M.doflocs.shape[1]
    fixed = np.zeros(N, dtype=bool)
    fixed[c2._electrode_dofs(d.mesh, [d.facets("anode")], 3)[0]] = True
    P = c2.p1_prolongator(d.mesh, fixed)
    n = d.mesh.nvertices
    assert P.shape == (N - fixed.sum(), n - fixed[:n].sum())
    x = M.doflocs  # a linear function zero on the anode (z = 0), at every P2 dof
    f = 3.0 * x[2]
    assert np.allclose(P @ f[:n][~fixed[:n]], f[~fixed], rtol=1e-14, atol=1e-20)
    g = 3.0 * x[2] + x[0]  # not zero on the anode: the edges at the anode miss it
    assert not np.allclose(P @ g[:n][~fixed[:n]], g[~fixed], rtol=1e-14, atol=1e-20)


def test_amg_on_p2_coarsens_to_p1_first_and_converges_faster():
    from ntransport.solve.amg import build_nested_hierarchy
    from ntransport.solve.linear import AMGSolver

    d = particle_composite((5e-6,) * 3, volume_fraction=0.15, radius=1e-6, seed=2,
                           shell_thickness=0.2e-6, mesh_size=0.5e-6)
    sigma = np.array([1.0, 7.0, 0.3])[d.region]
    el = ("anode", "cathode")
    made = []

    class Spy(AMGSolver):
        def factor(self, A, **kw):
            made.append((self, A, kw.get("prolongator")))
            return super().factor(A, **kw)

    amg = c2.solve_p2(d, sigma, el, solver=Spy(rtol=1e-10))
    direct = c2.solve_p2(d, sigma, el, solver="direct")
    assert amg["current"] == pytest.approx(direct["current"], rel=1e-9)
    s, A, P = made[0]
    assert s.hierarchies == ["nested+aggregation"] and P is not None
    plain = AMGSolver(rtol=1e-10)
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    plain.factor(A)(b)
    nested = AMGSolver(rtol=1e-10)
    x = nested.factor(A, prolongator=P)(b)
    assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b) * 1.0001
    # measured 13 against 24 iterations here (and 21 against 35 at 0.2 M unknowns)
    assert nested.iterations[0] < 0.75 * plain.iterations[0], (nested.iterations,
                                                                plain.iterations)
    h = build_nested_hierarchy(A, P)
    assert h.P[0] is not P and (abs(h.P[0] - P)).max() == 0
    assert abs(h.A[1] - P.T @ A @ P).max() < 1e-12 * abs(h.A[1]).max()
    with pytest.raises(ValueError, match="fewer unknowns"):
        build_nested_hierarchy(A, P.T)


def test_p2_solve_gives_the_same_bits_with_and_without_the_second_thread(monkeypatch):
    """The P2 matrix is converted in two halves and the curved kernels run in blocks,
    on two threads where a call may use them: the same halves, the same blocks, so the
    same matrix to the bit either way (and the matrix of one conversion to round-off)."""
    import ntransport.cores as cores

    d = particle_composite((5e-6,) * 3, volume_fraction=0.15, radius=1e-6, seed=2,
                           shell_thickness=0.2e-6, mesh_size=0.6e-6)
    sigma = np.array([1.0, 7.0, 0.3])[d.region]
    monkeypatch.setattr(c2, "HALVES_THREAD_MIN", 0)
    monkeypatch.setattr(c2, "CURVED_BLOCK", 500)  # several blocks on this small mesh
    systems = {}
    for spare in (False, True):
        monkeypatch.setattr(cores, "spare_thread", lambda spare=spare: spare)
        made = []
        monkeypatch.setattr(c2, "_reduced_system",
                            lambda *a, f=c2._reduced_system: made.append(f(*a)) or made[-1])
        out = c2.solve_p2(d, sigma, ("anode", "cathode"), solver="direct")
        systems[spare] = (made[0], out)
    (A0, b0, c0), o0 = systems[False]
    (A1, b1, c1), o1 = systems[True]
    assert (A0 != A1).nnz == 0 and np.array_equal(b0, b1) and c0 == c1
    assert np.array_equal(o0["u"], o1["u"]) and np.array_equal(o0["grad"], o1["grad"])
    M, eidx = c2._p2_mesh(d, True)
    assert c2._curved_elements(d.mesh, eidx, 3).sum() > 2 * 500  # threads had blocks
    fe = np.arange(40).reshape(10, 4)
    iu, ju = np.triu_indices(10)
    Su = np.random.default_rng(0).standard_normal((iu.size, 4))
    whole = coo_to_csr(fe[iu].ravel(), fe[ju].ravel(), Su.ravel(), (40, 40))
    assert abs(c2._halves_to_csr(fe, iu, ju, Su, 40) - whole).max() < 1e-14
