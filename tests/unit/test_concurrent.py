"""A study's independent runs side by side (ntransport.studies.concurrent)."""
import threading
import time

import pytest

from ntransport.errors import ConfigError, ConvergenceError
from ntransport.studies.concurrent import Cancelled, limit_workers, run_all


def _square(x, seen=None):
    def job(alive):
        alive()
        if seen is not None:
            seen.add(threading.current_thread().name)
        time.sleep(0.05)
        return x * x
    return job


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_back_in_the_jobs_order(workers):
    seen = set()
    out = run_all({f"r{i}": _square(i, seen) for i in range(5)}, workers=workers)
    assert list(out) == [f"r{i}" for i in range(5)]
    assert list(out.values()) == [0, 1, 4, 9, 16]
    if workers == 1:
        assert seen == {threading.current_thread().name}  # serial: here, one after another
    else:
        assert all(name.startswith("ntransport-run") for name in seen)


@pytest.mark.parametrize("workers", [1, 2])
def test_costly_jobs_start_first_and_results_keep_the_jobs_order(workers):
    """With costs the jobs start longest first (ties and unlisted labels in the jobs'
    order); the results still come back in the jobs' order. On two workers the two
    costliest jobs hold both workers until both have started (a barrier), so the start
    order is the dispatch order, not a race."""
    started, lock = [], threading.Lock()
    barrier = threading.Barrier(workers, timeout=10)

    def make(label):
        def job(alive):
            with lock:
                started.append(label)
            if len(started) <= workers:
                barrier.wait()
            return label
        return job

    labels = ["a", "b", "c", "d", "e"]
    cost = {"a": 1.0, "b": 5.0, "c": 3.0, "d": 5.0}  # e: unlisted, i.e. 0
    out = run_all({k: make(k) for k in labels}, workers=workers, cost=cost)
    assert list(out) == labels and list(out.values()) == labels
    if workers == 1:
        assert started == ["b", "d", "c", "a", "e"]
    else:
        # after the barrier two workers take the rest; which appends first is a race
        assert sorted(started[:2]) == ["b", "d"] and sorted(started[2:]) == ["a", "c", "e"]


@pytest.mark.parametrize("cost, fragment", [({"zz": 1.0}, "not jobs"),
                                            ({"a": float("nan")}, "finite numbers"),
                                            ({"a": "big"}, "finite numbers")])
def test_bad_costs_are_named(cost, fragment):
    with pytest.raises(ConfigError, match=fragment):
        run_all({"a": _square(1), "b": _square(2)}, workers=2, cost=cost)


def test_two_jobs_really_overlap():
    """Both jobs are inside at the same time (a barrier only two concurrent jobs pass)."""
    barrier = threading.Barrier(2, timeout=10)

    def job(alive):
        barrier.wait()
        return True

    assert run_all({"a": job, "b": job}, workers=2) == {"a": True, "b": True}


def test_a_failure_stops_the_siblings_at_their_next_step_and_is_reraised_with_its_label():
    stopped = threading.Event()

    def failing(alive):
        time.sleep(0.1)
        raise ConvergenceError("Newton did not converge (test)")

    def long_run(alive):
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < 30:  # would take 30 s if never cancelled
                alive()
                time.sleep(0.01)
        except Cancelled:
            stopped.set()
            raise
        return "finished"

    t0 = time.monotonic()
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        run_all({"slow": long_run, "bad": failing}, workers=2)
    assert time.monotonic() - t0 < 10
    assert stopped.is_set()
    assert any("'bad'" in note for note in getattr(info.value, "__notes__", []))


def test_pending_jobs_are_not_started_after_a_failure():
    started = []

    def bad(alive):
        raise ValueError("broken input")

    def later(alive):
        started.append(1)
        time.sleep(0.05)  # a job takes time: instant ones could all start before the
        return 1          # failure reaches the pool (the test failed so on a loaded host)

    with pytest.raises(ValueError, match="broken input"):
        run_all({"bad": bad, "b": bad, **{f"l{i}": later for i in range(20)}}, workers=2)
    assert len(started) < 20


def test_worker_counts_far_above_the_cores_are_refused():
    """2e6 worker processes (a case file's workers x 1e6) ran until they were killed."""
    from ntransport.studies.concurrent import MAX_WORKERS_PER_CORE, check_workers, \
        default_workers

    cap = MAX_WORKERS_PER_CORE * default_workers()
    assert check_workers(cap) == cap
    with pytest.raises(ConfigError, match=rf"n_workers = {cap + 1} is more than 4x the"):
        check_workers(cap + 1, name="n_workers")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_worker_counts_are_named(bad):
    with pytest.raises((ConfigError, TypeError), match="workers"):
        run_all({"a": _square(1)}, workers=bad)
    with pytest.raises((ConfigError, TypeError), match="workers"):
        with limit_workers(bad):
            pass


def test_limit_workers_caps_the_default():
    seen = set()
    with limit_workers(1):
        run_all({f"r{i}": _square(i, seen) for i in range(3)})
    assert seen == {threading.current_thread().name}


def test_each_job_runs_pardiso_on_one_thread():
    """Inside a job MKL's thread-local count is 1; the caller's count is untouched. The
    test extras install PARDISO on x86-64, so there it must be present; elsewhere (no MKL
    wheel) mkl_threads must be a no-op that still runs the jobs."""
    import platform

    from ntransport.solve.linear import _mkl_setter, pardiso_available

    if platform.machine() in ("x86_64", "AMD64"):
        assert pardiso_available(), "the test extras install pypardiso/MKL on x86-64"
    if not pardiso_available():
        assert run_all({k: (lambda alive: 7) for k in "ab"}, workers=2) == {"a": 7, "b": 7}
        return
    assert _mkl_setter() is not None, "this MKL has no MKL_Set_Num_Threads_Local"
    import ctypes
    import os

    lib = ctypes.CDLL(os.environ["PYPARDISO_MKL_RT"])
    before = lib.MKL_Get_Max_Threads()
    out = run_all({k: (lambda alive: lib.MKL_Get_Max_Threads()) for k in "ab"}, workers=2)
    assert out == {"a": 1, "b": 1}
    assert lib.MKL_Get_Max_Threads() == before


@pytest.mark.parametrize("workers", [1, 2])
def test_every_run_logs_its_wall_time(workers, caplog):
    """The log says how long each run took (which run sets the study's duration), one
    after the other and side by side."""
    import logging

    with caplog.at_level(logging.INFO, logger="ntransport.studies.concurrent"):
        run_all({f"r{i}": _square(i) for i in range(3)}, workers=workers)
    done = [r.getMessage() for r in caplog.records if "finished in" in r.getMessage()]
    assert sorted(m.split("'")[1] for m in done) == ["r0", "r1", "r2"]
    assert all(float(m.split(" in ")[1].rstrip(" s")) >= 0.05 for m in done)  # the 50 ms sleep


def test_gmsh_meshing_from_two_threads_at_once():
    """gmsh is one global state: sessions from two threads take turns (without the lock
    in gmsh_session this crashes or mixes models): the same meshes as one after the other."""
    import numpy as np

    from ntransport.geometry.remesh import mesh_electrolyte_above_curve

    def job(alive):
        sizes = []
        for h in (2e-6, 1.5e-6, 1e-6):
            x = np.linspace(0.0, 20e-6, 21)
            curve = np.column_stack([x, 1e-6 * np.sin(np.pi * x / 20e-6)])
            d = mesh_electrolyte_above_curve(curve, width=20e-6, y_top=10e-6, h_anode=1e-6,
                                             h_max=h)
            sizes.append(d.mesh.t.shape[1])
        return sizes

    serial = job(None)
    out = run_all({k: job for k in "abcd"}, workers=2)
    assert all(v == serial for v in out.values())  # the same meshes as one after the other
    assert serial[0] < serial[1] < serial[2]


def test_gmsh_in_a_worker_thread_leaves_sigpipe_ignored(tmp_path):
    """gmsh.initialize() resets SIGPIPE; a session in a worker thread must put Python's
    'ignore' back (else writing to a closed pipe kills the process: exit -13). In a
    subprocess, so a failure cannot take pytest down."""
    import subprocess
    import sys

    code = """
import os, numpy as np
from ntransport.studies.concurrent import run_all
from ntransport.geometry.remesh import mesh_electrolyte_above_curve
def job(alive):
    x = np.linspace(0.0, 20e-6, 11)
    return mesh_electrolyte_above_curve(np.column_stack([x, 0 * x]), width=20e-6,
                                        y_top=10e-6, h_anode=2e-6, h_max=4e-6).mesh.nvertices
print(run_all({"a": job, "b": job}, workers=2))
r, w = os.pipe()
os.close(r)
try:
    os.write(w, b"x")
except BrokenPipeError:
    print("BrokenPipeError")
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    assert "BrokenPipeError" in p.stdout


# ---------------------------------------------------------------- child processes
# jobs of processes=True must pickle: module-level functions (bound with partial)

def _pid_job(x, alive):
    import os

    alive()
    return x * x, os.getpid()


def _failing_job(alive):
    raise ConvergenceError("no convergence in the child")


def _waiting_job(alive):
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:  # stops at alive() once the sibling failed
        alive()
        time.sleep(0.02)
    return "not stopped"


def _logging_job(label, alive):
    import logging

    logging.getLogger("ntransport.testjob").info("hello from %s", label)
    return label


def test_processes_run_in_children_and_return_in_the_jobs_order():
    import functools
    import os

    out = run_all({f"r{i}": functools.partial(_pid_job, i) for i in range(4)}, workers=2,
                  processes=True, cost={"r3": 2.0})
    assert list(out) == ["r0", "r1", "r2", "r3"]
    assert [v[0] for v in out.values()] == [0, 1, 4, 9]
    pids = {v[1] for v in out.values()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_failing_child_stops_its_sibling_and_is_reraised_with_its_label():
    t0 = time.monotonic()
    with pytest.raises(ConvergenceError, match="no convergence in the child") as info:
        run_all({"wait": _waiting_job, "fail": _failing_job}, workers=2, processes=True)
    assert any("'fail'" in n for n in info.value.__notes__)
    assert time.monotonic() - t0 < 30  # the waiting sibling did not run its 60 s


def test_child_log_records_reach_this_process(caplog):
    import functools
    import logging

    with caplog.at_level(logging.INFO):
        run_all({k: functools.partial(_logging_job, k) for k in ("a", "b")}, workers=2,
                processes=True)
    msgs = [r.getMessage() for r in caplog.records]
    assert "hello from a" in msgs and "hello from b" in msgs
    assert any("run 'a' finished in" in m for m in msgs)


def test_a_childs_bar_is_mirrored_in_this_process():
    """A bar in a child sends open/update/format/close events; the mirror draws the
    bar from them and drops it when closed."""
    import queue

    from ntransport.studies import progress

    q = queue.Queue()
    rb = progress._RemoteBar(q, 5.0, "run a", "s")
    rb.bar_format = "{n}"
    rb.update(2.0)
    rb.set_postfix_str("x")
    events = []
    while not q.empty():
        events.append(q.get())
    assert [e[0] for e in events] == ["open", "format", "update", "postfix"]
    drawn = []

    class Fake:
        def __init__(self, **kw):
            drawn.append(kw)
            self.n = 0.0
            self.closed = False

        def update(self, n):
            self.n += n

        def set_postfix_str(self, s):
            self.postfix = s

        def close(self):
            self.closed = True

    mirror = progress.BarMirror()
    orig = progress.bar
    progress.bar = lambda **kw: Fake(**kw)
    try:
        for e in events:
            mirror.event(e)
        (b,) = mirror._bars.values()
        assert drawn == [dict(total=5.0, desc="run a", unit="s")] and b.n == 2.0
        rb.close()
        mirror.event(q.get())
        assert b.closed and not mirror._bars
    finally:
        progress.bar = orig


def _dying_job(alive):
    import os

    os._exit(3)  # a crash in a compiled library, an OOM kill...


def test_a_child_that_dies_is_reported_as_such():
    """... at once, not when its 60 s sibling ends (CPython 3.11's pool can miss the death
    of a child it spawned after its manager thread started waiting: 3 runs in 4 took 60 s
    before run_in_processes polled the children)."""
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="died") as info:
        run_all({"dies": _dying_job, "wait": _waiting_job}, workers=2, processes=True)
    assert "'dies'" in str(info.value) or "'wait'" in str(info.value)
    assert time.monotonic() - t0 < 30


def test_a_job_that_cannot_go_to_a_child_is_named_before_anything_starts():
    seen = []

    def local(alive):  # a closure: not picklable
        seen.append(1)
        return 1

    with pytest.raises(ConfigError, match="run 'b' cannot be sent to a child process"):
        run_all({"a": _dying_job, "b": local}, workers=2, processes=True)
    assert not seen


_SCRIPT = '''
import os
from ntransport.studies.concurrent import run_all


def job(alive):
    alive()
    return os.getpid()
{body}
'''


@pytest.mark.parametrize("form", ["guarded", "call", "assignment"])
def test_a_script_without_a_main_guard_gets_threads_not_a_broken_pool(tmp_path, form):
    """Spawned children import the main file again: a script whose top level calls the
    study would run it once more in every child (which then fails to start children of
    its own). Such a script gets threads and a log line -- also when the call is the
    value of an assignment (``out = run_all(...)``: a child died of it before the check
    looked into assignments); a guarded one gets processes."""
    import subprocess
    import sys

    call = {"call": "import logging; logging.basicConfig(level=logging.INFO)\n"
                    "out = run_all({'a': job, 'b': job}, workers=2, processes=True)\n"
                    "print('PIDS', os.getpid(), sorted(set(out.values())))\n",
            "assignment": "out = run_all({'a': job, 'b': job}, workers=2, processes=True)\n"
                          "_ = print('PIDS', os.getpid(), sorted(set(out.values())))\n"}
    body = ("if __name__ == '__main__':\n" + "".join("    " + l + "\n" for l in
                                                      call["call"].splitlines())
            if form == "guarded" else call[form])
    script = tmp_path / "study_script.py"
    script.write_text(_SCRIPT.format(body=body))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    line = [x for x in p.stdout.splitlines() if x.startswith("PIDS")][0]
    parent = int(line.split()[1])
    pids = [int(x) for x in line.split("[", 1)[1].rstrip("]").split(",")]
    if form == "guarded":
        assert parent not in pids
    else:
        assert pids == [parent]
        if form == "call":  # the assignment form has no log handler to show the line
            assert "in threads, not processes" in p.stderr
            assert "study_script.py' runs code at its top level (line 9)" in p.stderr


def test_a_program_read_from_stdin_gets_threads_not_a_broken_pool(tmp_path):
    """``python - < script.py`` names the main file '<stdin>'; a spawned child runs that
    path again and dies (the study then failed with "a run's child process died ...
    out of memory"). Such a program gets threads and says why."""
    import subprocess
    import sys

    src = _SCRIPT.format(body="import logging; logging.basicConfig(level=logging.INFO)\n"
                              "out = run_all({'a': job, 'b': job}, workers=2, processes=True)\n"
                              "print('PIDS', os.getpid(), sorted(set(out.values())))\n")
    p = subprocess.run([sys.executable, "-"], input=src, capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    line = [x for x in p.stdout.splitlines() if x.startswith("PIDS")][0]
    assert line.split("[", 1)[1].rstrip("]") == line.split()[1]  # every job in this process
    assert "in threads, not processes" in p.stderr and "'<stdin>' is not a file" in p.stderr


def test_harmless_top_level_assignments_keep_processes(tmp_path):
    """``HERE = Path(__file__).parent`` or ``log = logging.getLogger(...)`` at a script's
    top level reach no study: the script keeps its processes; calling the script's own
    function or an ntransport name in an assignment does not, nor does a call of
    something that is not a plain name (``[main][0]()`` could be anything)."""
    import ast

    from ntransport.studies.concurrent_processes import (_calls_any,
                                                         _names_that_reach_ntransport)

    src = ("import logging\nfrom pathlib import Path\nimport ntransport.studies as st\n"
           "from ntransport.studies.registry import run_study as rs\n"
           "def main():\n    pass\n"
           "HERE = Path(__file__).resolve().parents[1]\nlog = logging.getLogger(__name__)\n"
           "F = {'a': lambda: main()}\n"
           "S = ', '.join('ab')\n"
           "x = main()\ny = rs(1)\nz = st.registry.load_case(1)\nw = [main][0]()\n")
    tree = ast.parse(src)
    reach = _names_that_reach_ntransport(tree)
    assert reach == {"st", "rs", "main"}
    flagged = [n.lineno for n in tree.body if _calls_any(n, reach)]
    assert flagged == [11, 12, 13, 14]


# ---------------------------------------------------------------- BLAS threads
def _blas_job(alive):
    """The most threads any BLAS may use while this run runs (numpy's and scipy's
    loaded first: a run would use them)."""
    from ntransport.cores import blas_thread_counts

    alive()
    return max(blas_thread_counts().values())


def _blas_max():
    from ntransport.cores import blas_thread_counts

    return max(blas_thread_counts().values())


@pytest.mark.parametrize("processes", [False, True])
def test_runs_side_by_side_use_one_blas_thread_each(processes, monkeypatch):
    """Runs side by side keep the cores busy one each; their BLAS threads would only spin
    (cores.blas_threads). Threads: limited around the pool and restored after it."""
    from threadpoolctl import threadpool_limits

    # what spawned children would start with, and what this process has, without the limit
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with threadpool_limits(2, user_api="blas"):
        assert _blas_max() == 2  # the precondition: two BLAS threads without the limit
        out = run_all({"a": _blas_job, "b": _blas_job}, workers=2, processes=processes)
        assert out == {"a": 1, "b": 1}
        assert _blas_max() == 2  # this process's own limit is back
