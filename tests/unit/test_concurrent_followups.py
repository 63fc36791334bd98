"""Follow-ups of run_all (``then=``): work that needs some runs starts as soon as those
are done, on the same workers, while the other runs go on."""
import functools
import os
import threading
import time
from pathlib import Path

import pytest

from ntransport.errors import ConfigError, ConvergenceError
from ntransport.studies.concurrent import After, run_all


def _value(x, alive):
    alive()
    return x


def _total(alive, inputs):
    return sorted(inputs.items())


# ------------------------------------------------- module level: they go to children too
def _until_flag(flag, alive):
    """Waits (up to 30 s) for *flag* to exist: True when it appeared, i.e. when another
    job ran while this one was still running."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        alive()
        if Path(flag).exists():
            return True
        time.sleep(0.02)
    return False


def _set_flag(flag, alive, inputs):
    Path(flag).write_text("set")
    return {"inputs": dict(inputs), "pid": os.getpid()}


def _failing_followup(alive, inputs):
    raise ConvergenceError("the follow-up failed (test)")


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_a_followup_gets_the_results_it_needs_and_comes_back_after_the_jobs(workers):
    out = run_all({k: functools.partial(_value, v) for k, v in (("a", 1), ("b", 2), ("c", 3))},
                  workers=workers, then={"sum": After(("a", "c"), _total)})
    assert list(out) == ["a", "b", "c", "sum"]
    assert out["sum"] == [("a", 1), ("c", 3)]


def test_serially_a_followup_runs_right_after_the_last_job_it_needs():
    order = []

    def job(label):
        def run(alive):
            order.append(label)
            return label
        return run

    def follow(alive, inputs):
        order.append("follow")
        return sorted(inputs)

    out = run_all({k: job(k) for k in "abc"}, workers=1, cost={"a": 3, "b": 2, "c": 1},
                  then={"f": After(("b",), follow)})
    assert order == ["a", "b", "follow", "c"]
    assert out["f"] == ["b"]


def test_in_threads_a_followup_runs_while_a_slow_job_goes_on():
    """The slow job waits for an event only the follow-up sets: it returns True only if
    the follow-up ran before it ended (the follow-up needs the fast job alone)."""
    flag = threading.Event()

    def slow(alive):
        return flag.wait(30)

    def follow(alive, inputs):
        flag.set()
        return inputs["fast"]

    out = run_all({"slow": slow, "fast": functools.partial(_value, 7)}, workers=2,
                  then={"f": After(("fast",), follow)})
    assert out == {"slow": True, "fast": 7, "f": 7}


def test_in_processes_a_followup_runs_in_a_child_while_a_slow_job_goes_on(tmp_path):
    flag = tmp_path / "flag"
    out = run_all({"slow": functools.partial(_until_flag, str(flag)),
                   "fast": functools.partial(_value, 5)},
                  workers=2, processes=True, cost={"slow": 2.0, "fast": 1.0},
                  then={"f": After(("fast",), functools.partial(_set_flag, str(flag)))})
    assert out["slow"] is True and out["fast"] == 5
    assert out["f"]["inputs"] == {"fast": 5} and out["f"]["pid"] != os.getpid()


@pytest.mark.parametrize("processes", [False, True])
def test_a_failing_followup_is_reraised_with_its_label(processes):
    with pytest.raises(ConvergenceError, match="follow-up failed") as info:
        run_all({"a": functools.partial(_value, 1), "b": functools.partial(_value, 2)},
                workers=2, processes=processes,
                then={"figures": After(("a",), _failing_followup)})
    assert any("'figures'" in note for note in info.value.__notes__)


@pytest.mark.parametrize("then, fragment", [
    ({"a": After(("b",), _total)}, "has the name of a job"),
    ({"f": After(("zz",), _total)}, r"unknown: \['zz'\]"),
    ({"f": After((), _total)}, "one or more of the jobs"),
    ({"f": _total}, r"must be an After\(needs, job\), got function"),
])
def test_bad_followups_are_named(then, fragment):
    with pytest.raises(ConfigError, match=fragment):
        run_all({"a": functools.partial(_value, 1), "b": functools.partial(_value, 2)},
                workers=2, then=then)


def test_a_followup_that_cannot_go_to_a_child_is_named_before_anything_starts():
    with pytest.raises(ConfigError, match="'f' cannot be sent to a child"):
        run_all({"a": functools.partial(_value, 1), "b": functools.partial(_value, 2)},
                workers=2, processes=True, then={"f": After(("a",), lambda alive, i: 0)})


def test_no_followup_starts_after_a_failure():
    """The run a follow-up needs is stopped by its sibling's failure (Cancelled at its
    next alive()): the follow-up never starts, in a pool or serially."""
    ran = []

    def bad(alive):
        time.sleep(0.05)
        raise ValueError("broken input (test)")

    def follow(alive, inputs):
        ran.append(1)
        return 0

    with pytest.raises(ValueError, match="broken input"):
        run_all({"bad": bad, "slow": functools.partial(_until_flag, "/nonexistent/flag")},
                workers=2, then={"f": After(("slow",), follow), "g": After(("bad",), follow)})
    with pytest.raises(ValueError, match="broken input"):
        run_all({"bad": bad, "ok": functools.partial(_value, 1)}, workers=1,
                cost={"bad": 2.0}, then={"f": After(("ok",), follow)})
    assert ran == []
