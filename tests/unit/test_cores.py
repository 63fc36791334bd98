"""The package's thread policy for the BLAS (ntransport.cores)."""
import threading

import numpy as np
import pytest
import scipy.sparse as sp

from ntransport.cores import blas_thread_counts, blas_threads, one_blas_thread


def _blas_max():
    return max(blas_thread_counts().values())


@pytest.fixture
def two_blas_threads():
    import scipy.linalg  # noqa: F401  (both BLAS copies loaded)

    from ntransport.solve.linear import pardiso_available

    if pardiso_available():  # load MKL too, so that the limits below cover it
        import pypardiso  # noqa: F401
    with blas_threads(2):
        # the precondition, asserted: OpenBLAS raises its count on request whatever
        # OMP_NUM_THREADS it started with, so every test below starts from two threads
        assert _blas_max() == 2
        yield


def test_one_blas_thread_limits_the_main_thread_and_restores(two_blas_threads):
    with one_blas_thread():
        assert _blas_max() == 1
    assert _blas_max() == 2


def test_one_blas_thread_leaves_worker_threads_to_their_pool(two_blas_threads):
    """In a worker thread it changes nothing: the limit is process-wide, and two threads
    setting and restoring it would race (run_all limits once around its pool)."""
    seen = []

    def work():
        with one_blas_thread():
            seen.append(_blas_max())

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [2] and _blas_max() == 2


def test_amg_setup_and_cg_run_on_one_blas_thread_and_restore(two_blas_threads, monkeypatch):
    """The AMG's setup and CG run their BLAS on one thread (the row blocks use the cores)
    and give the limit back."""
    import ntransport.solve.amg as amg
    from ntransport.solve.linear import AMGSolver

    seen = []
    build = amg.build_auto_hierarchy

    def spy(*a, **k):
        seen.append(_blas_max())
        return build(*a, **k)

    monkeypatch.setattr(amg, "build_auto_hierarchy", spy)
    n = 60
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    A = (sp.kronsum(t, t) + 1e-3 * sp.eye(n * n)).tocsr()
    b = np.ones(n * n)
    x = AMGSolver(rtol=1e-10, max_coarse=50).factor(A)(b)
    assert np.linalg.norm(b - A @ x) <= 1e-9 * np.linalg.norm(b)
    assert seen == [1]
    assert _blas_max() == 2


def test_openblas_only_limit_leaves_mkl_alone(two_blas_threads):
    """``mkl=False`` limits numpy's and scipy's OpenBLAS, not MKL (PARDISO's threads)."""
    from ntransport.solve.linear import pardiso_available

    before = blas_thread_counts()
    assert before.get("openblas") == 2
    assert before.get("mkl") == (2 if pardiso_available() else None)
    with one_blas_thread(mkl=False):
        inside = blas_thread_counts()
        assert inside["openblas"] == 1
        assert inside.get("mkl") == before.get("mkl")
    assert blas_thread_counts() == before


def test_a_study_runs_with_openblas_on_one_thread(two_blas_threads, monkeypatch):
    """run_study (the CLI's and the notebooks' way into a study) runs the study with
    OpenBLAS on one thread, MKL at its count, and gives both back."""
    from types import SimpleNamespace

    import ntransport.studies.registry as registry
    from ntransport.io.tables import SummaryTable
    from ntransport.studies.result import StudyResult

    before = blas_thread_counts()
    seen = []

    def run(case, **kw):
        seen.append(blas_thread_counts())
        return StudyResult(name="probe", summary=SummaryTable())

    monkeypatch.setattr(registry, "get_study", lambda kind: SimpleNamespace(run=run))
    registry.run_study(SimpleNamespace(kind="probe"), progress=False)
    assert seen[0]["openblas"] == 1
    assert seen[0].get("mkl") == before.get("mkl")
    assert blas_thread_counts() == before


def test_blas_thread_counts_reads_what_threadpoolctl_reports(two_blas_threads):
    from threadpoolctl import threadpool_info

    info = [i for i in threadpool_info() if i["user_api"] == "blas"]
    counts = blas_thread_counts()
    assert set(counts) == {i["internal_api"] for i in info}
    for api, n in counts.items():
        assert n == max(i["num_threads"] for i in info if i["internal_api"] == api)
    with blas_threads(1):
        assert set(blas_thread_counts().values()) == {1}
