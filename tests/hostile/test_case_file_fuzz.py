"""Every number of every shipped case file set, one at a time, to 0, to its negative, to
1e6 times and to 1e-6 times its value (the unit kept): ``ntransport check`` must accept it
or refuse it with an ntransport error (a ConfigError, GeometryError, MaterialError... that
names the key), never a raw OverflowError / ZeroDivisionError / numpy ValueError, a
MemoryError or a hang. Each case file's perturbations run in a child process under a 4 GB
address-space limit, each check under a 60 s alarm, so a regression cannot take the
machine's memory or the suite's time.

What this found when it was written (2026-12-03): a 5 m deposition cell (or h_anode
1e-7 um) asked numpy for 15 GB and was OOM-killed; an activation energy of 3.3e5 eV
overflowed exp(); a zero density divided by zero; a negative random seed reached numpy.

The same for the structure (``mode = "structure"``): every list emptied, its first item
repeated, cut to one item; every mapping emptied or deleted; every string emptied, made a
space, null or a one-item list; every bool flipped or made a string; every number NaN,
inf, a string or null (found: ``type: [study]`` raised TypeError, unhashable list)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "geometries").glob("*.yaml"))

_CHILD = r'''
import copy, json, re, resource, signal, sys, traceback
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
import yaml
from ntransport.errors import NtransportError
from ntransport.studies.registry import check_case, load_case

NUM = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*(.*)$")


def nodes(d, path=()):
    """Every (path, value) below *d*, the 'reduced:' overrides aside."""
    if path:
        yield path, d
    if isinstance(d, dict):
        for k, v in d.items():
            if k != "reduced":
                yield from nodes(v, path + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from nodes(v, path + (i,))


def leaves(d):
    return ((p, v) for p, v in nodes(d) if not isinstance(v, (dict, list)))


def alarm(*_):
    raise TimeoutError("check took more than 60 s")


def numbers(data):
    for path, v in leaves(data):
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            num, unit = float(v), None
        elif isinstance(v, str) and NUM.match(v):
            m = NUM.match(v)
            num, unit = float(m.group(1)), m.group(2)
        else:
            continue
        for tag, x in (("zero", 0.0), ("negative", -abs(num) or -1.0),
                       ("x1e6", num * 1e6 or 1e6), ("x1e-6", num * 1e-6)):
            val = x if unit is None else f"{x:g} {unit}".strip()
            if unit is None and isinstance(v, int) and tag != "x1e-6":
                val = int(x)
            yield path, val


DELETE = object()


def structure(data):
    for path, v in nodes(data):
        if isinstance(v, list):
            out = [[], v[:1]] + ([v + v[:1]] if v else [])
        elif isinstance(v, dict):
            out = [{}, DELETE]
        elif isinstance(v, str):
            out = ["", " ", None, [v]]
        elif isinstance(v, bool):
            out = [not v, "yes"]
        elif isinstance(v, (int, float)):
            out = [float("nan"), float("inf"), "abc", None]
        else:
            out = []
        for val in out:
            yield path, val


signal.signal(signal.SIGALRM, alarm)
data = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
n = 0
for path, val in (numbers if sys.argv[2] == "numbers" else structure)(data):
    d = copy.deepcopy(data)
    node = d
    for p in path[:-1]:
        node = node[p]
    if val is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = val
    n += 1
    signal.alarm(60)
    try:
        check_case(load_case(d, name="fuzz"))
    except NtransportError:
        pass
    except BaseException as exc:  # noqa: BLE001 - what this test is looking for
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(json.dumps({"key": ".".join(map(str, path)), "value": repr(val)[:80],
                          "error": f"{type(exc).__name__}: {exc}"[:300],
                          "at": f"{where.filename}:{where.lineno}"}), flush=True)
    finally:
        signal.alarm(0)
print(json.dumps({"perturbations": n}))
'''


@pytest.mark.hang_seconds(600)
@pytest.mark.parametrize("mode", ["numbers", "structure"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_no_perturbed_case_file_breaks_check_with_a_raw_error(path, mode):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], capture_output=True,
                       text=True, timeout=900, cwd=path.parent, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    assert lines and "perturbations" in lines[-1], p.stdout[-2000:]
    assert lines[-1]["perturbations"] >= 4
    assert lines[:-1] == [], "\n".join(json.dumps(x) for x in lines[:-1])
