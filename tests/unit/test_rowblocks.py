"""Row-split sparse products (solve/rowblocks.py): the same bits on any number of threads."""
import numpy as np
import pytest
import scipy.sparse as sp

from ntransport.solve import rowblocks
from ntransport.solve.rowblocks import BLOCK_NNZ, RowBlocks


def laplacian(n, dtype=np.float64):
    """Weighted graph Laplacian of an n x n grid (random edge weights in [1, 1.3)) plus
    1e-2 I: SPD, with no structure a blocked sum could hide behind."""
    rng = np.random.default_rng(0)
    t = sp.diags([-1.0, -1.0], [-1, 1], shape=(n, n))
    off = sp.triu(sp.kron(sp.identity(n), t) + sp.kron(t, sp.identity(n)), 1).tocoo()
    off.data *= 1.0 + 0.3 * rng.random(off.nnz)
    off = off + off.T
    d = -np.asarray(off.sum(axis=1)).ravel() + 1e-2
    A = (off + sp.diags(d)).tocsr()
    A.sort_indices()
    return A.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [2, 3, 7])
def test_products_are_bit_for_bit_those_of_one_thread(dtype, threads, monkeypatch):
    from ntransport.solve import rowblocks

    monkeypatch.setattr(rowblocks, "BLOCK_NNZ", 1000)  # allow 7 blocks of this matrix
    A = laplacian(240, dtype)  # 57 600 rows, ~287 k nonzeros
    rng = np.random.default_rng(1)
    x, b, w = (rng.standard_normal(A.shape[0]).astype(dtype) for _ in range(3))
    one, many = RowBlocks(A, threads=1), RowBlocks(A, threads=threads)
    assert one.threads == 1 and many.threads == threads
    # the blocks tile the rows and share out the nonzeros about evenly
    spans = [(lo, hi) for lo, hi, *_ in many.blocks]
    assert spans[0][0] == 0 and spans[-1][1] == A.shape[0]
    assert all(a[1] == b_[0] for a, b_ in zip(spans, spans[1:]))
    nnz = [len(blk[3]) for blk in many.blocks]
    assert sum(nnz) == A.nnz and max(nnz) - min(nnz) <= 2 * np.diff(A.indptr).max()
    assert np.array_equal(many.matvec(x), A @ x)
    assert np.array_equal(many.residual(b, x), one.residual(b, x))
    r = A @ x
    np.subtract(b, r, out=r)
    assert np.array_equal(many.residual(b, x), r)
    r *= w
    assert np.array_equal(many.jacobi(w, b, x), x + r)
    assert np.array_equal(many.jacobi(w, b, x), one.jacobi(w, b, x))
    assert many.matvec(x).dtype == dtype


def test_small_matrices_and_the_thread_policy_stay_on_one_thread(monkeypatch):
    small = laplacian(60)
    assert small.nnz < 2 * BLOCK_NNZ and RowBlocks(small, threads=4).threads == 1
    big = laplacian(240)
    assert big.nnz // BLOCK_NNZ == 2 and RowBlocks(big, threads=8).threads == 2
    monkeypatch.setattr(rowblocks, "kernel_threads", lambda: 1)
    assert RowBlocks(big).threads == 1
    monkeypatch.setattr(rowblocks, "kernel_threads", lambda: 2)
    assert RowBlocks(big).threads == 2
    with pytest.raises(TypeError, match="CSR"):
        RowBlocks(big.tocsc())
    for empty in (sp.csr_matrix((0, 0)), sp.csr_matrix((5, 5))):  # no rows; no nonzeros
        rb = RowBlocks(empty, threads=4)
        assert rb.threads == 1
        assert np.array_equal(rb.matvec(np.ones(empty.shape[1])), np.zeros(empty.shape[0]))


def test_kernel_threads_follows_cores_thread_limit_and_main_thread(monkeypatch):
    import threading

    import ntransport.cores as cores

    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cores.kernel_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cores.kernel_threads() == 8
    monkeypatch.setenv("OMP_NUM_THREADS", "0")
    assert cores.kernel_threads() == 1
    out = []
    th = threading.Thread(target=lambda: out.append(cores.kernel_threads()))
    th.start()
    th.join()
    assert out == [1]


def test_amg_cg_gives_the_same_bits_on_two_threads(monkeypatch):
    """The V-cycle and CG with their products split over two threads (and the BLAS held
    to one) repeat the one-thread solution bit for bit."""
    from ntransport.solve.amg import VCycle, build_hierarchy
    from ntransport.solve.linear import AMGSolver

    A = laplacian(240)
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    out = {}
    for k in (1, 2):
        monkeypatch.setattr(rowblocks, "kernel_threads", lambda k=k: k)
        s = AMGSolver(rtol=1e-10)
        M = VCycle(build_hierarchy(A), dtype=np.float32)
        assert M._Ab[0].threads == k  # the fine level really is split
        out[k] = (s.factor(A)(b), s.iterations[-1], M(b))
    assert out[1][1] == out[2][1]
    assert np.array_equal(out[1][0], out[2][0]) and np.array_equal(out[1][2], out[2][2])
    assert np.linalg.norm(A @ out[2][0] - b) <= 1e-9 * np.linalg.norm(b)


def test_a_forked_child_gets_its_own_worker_threads():
    """A child forked after a threaded product must not wait on its parent's pool (whose
    threads it does not inherit)."""
    import multiprocessing as mp

    A = laplacian(240)
    x = np.ones(A.shape[0])
    blocks = RowBlocks(A, threads=2)
    assert blocks.threads == 2
    expected = blocks.matvec(x)  # the parent's pool now has a live thread
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_child_product, (A, x)).get(timeout=30)
    assert np.array_equal(got, expected)


def _child_product(A, x):
    return RowBlocks(A, threads=2).matvec(x)


@pytest.mark.parametrize("threads", [2, 3])
def test_sparse_products_and_the_hierarchy_are_bit_for_bit_those_of_one_thread(threads,
                                                                              monkeypatch):
    from ntransport.solve.amg import build_hierarchy, galerkin_update

    monkeypatch.setattr(rowblocks, "BLOCK_NNZ", 1000)
    A = laplacian(240)
    B = sp.random(A.shape[1], 900, density=5e-4, random_state=3, format="csr")
    one, many = RowBlocks(A, threads=1).matmat(B), RowBlocks(A, threads=threads).matmat(B)
    for M in (one, many):
        M.sort_indices()
    assert many.shape == (A.shape[0], 900) and many.nnz == one.nnz
    assert np.array_equal(one.indptr, many.indptr) and np.array_equal(one.indices, many.indices)
    assert np.array_equal(one.data, many.data)
    out = {}
    for k in (1, threads):
        monkeypatch.setattr(rowblocks, "kernel_threads", lambda k=k: k)
        h = build_hierarchy(A)
        h2 = galerkin_update(h, A * 1.5)
        out[k] = [m for lvl in (h.A, h.P, h2.A) for m in lvl]
    assert len(out[1]) == len(out[threads]) > 3
    for a, b in zip(out[1], out[threads]):
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)


def test_a_3d_conduction_solve_repeats_its_bits_on_two_threads(monkeypatch):
    """The whole P1 conduction solve (AMG setup, V-cycles, CG) on a 3D composite large
    enough to be split (26 k nodes, ~370 k nonzeros): potential and sigma_eff are the same
    bits with the products on one and on two threads."""
    import skfem

    from ntransport.geometry import Domain
    from ntransport.solve.conduction import solve_conduction

    g = np.linspace(0.0, 1e-6, 30)
    m = skfem.MeshTet.init_tensor(g, g, g)
    mid = m.p[:, m.t].mean(axis=1)
    grain = (np.sin(9e6 * mid[0]) * np.sin(7e6 * mid[1]) * np.sin(8e6 * mid[2])) > 0.2
    bf = m.facets[:, m.boundary_facets()]
    z = m.p[2, bf].mean(axis=0)
    dom = Domain.from_arrays(m.p.T, m.t.T, {"host": np.nonzero(~grain)[0],
                                            "grain": np.nonzero(grain)[0]},
                             {"anode": bf[:, z < 1e-12].T, "cathode": bf[:, z > 1e-6 - 1e-12].T})
    out, split = {}, []
    run = RowBlocks._run
    monkeypatch.setattr(RowBlocks, "_run", lambda self, job: (split.append(self.threads),
                                                              run(self, job)))
    for k in (1, 2):
        monkeypatch.setattr(rowblocks, "kernel_threads", lambda k=k: k)
        r = solve_conduction(dom, {"host": 1.0, "grain": 100.0}, voltage=1.0, solver="amg",
                             order=1)
        out[k] = (r.potential, r.effective_conductivity)
    assert split.count(2) > 20  # the two-thread solve really split its products
    assert np.array_equal(out[1][0], out[2][0]) and out[1][1] == out[2][1]
    assert 1.0 < out[2][1] < 100.0  # between the phases' conductivities


def test_the_split_cg_runs_without_threadpoolctl(monkeypatch):
    """An environment that lacks threadpoolctl (not reinstalled since it became a
    dependency) still solves: only the BLAS limit is skipped (whose dot products may then
    run on several threads and change the last bits, hence a tolerance)."""
    import sys

    from ntransport.solve.linear import AMGSolver

    A = laplacian(240)
    b = np.random.default_rng(4).standard_normal(A.shape[0])
    monkeypatch.setattr(rowblocks, "kernel_threads", lambda: 2)
    with_limit = AMGSolver(rtol=1e-10).factor(A)(b)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import raises ImportError
    without = AMGSolver(rtol=1e-10).factor(A)(b)
    # both reach a relative residual of 1e-10; with the condition number ~1e3 of this
    # shifted Laplacian the two solutions can differ by ~1e-7 relative at most
    assert np.allclose(with_limit, without, rtol=1e-6, atol=1e-6 * np.abs(without).max())
    assert np.linalg.norm(A @ without - b) <= 1e-9 * np.linalg.norm(b)
