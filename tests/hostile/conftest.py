"""Shared fixtures of the hostile-input suite (issue 14).

* every test runs under a watchdog: a test still running after ``HANG_SECONDS`` fails
  (SIGALRM) instead of hanging the suite -- none may hang;
* ``stack_msh``: a tiny layered mesh (.msh v2.2, micrometres, named regions A, B and
  electrodes) written with meshio -- no gmsh meshing, so a CLI run takes well under 1 s;
* ``case_file``: writes a conduction case around that mesh, with overrides;
* ``cli``: runs ``ntransport ...`` in-process and returns (exit code, stdout, stderr);
* ``no_escape``: asserts that nothing was written outside the allowed folder (a
  snapshot of the test's tmp folder before and after, plus the current directory).
"""
from __future__ import annotations

import copy
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import yaml

HANG_SECONDS = 30  # generous on a loaded 2-core CI machine; the inputs are tiny


def pytest_configure(config):
    config.addinivalue_line("markers", "hang_seconds(n): watchdog limit of a slow test "
                                       "(a whole study run), default HANG_SECONDS")


@pytest.fixture(autouse=True)
def _watchdog(request):
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - Windows
        yield
        return
    mark = request.node.get_closest_marker("hang_seconds")
    limit = int(mark.args[0]) if mark else HANG_SECONDS

    def hung(signum, frame):
        raise TimeoutError(f"hostile test still running after {limit} s: it hangs")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(autouse=True)
def _in_tmp_cwd(tmp_path, monkeypatch):
    """Relative paths land in a scratch folder, never in the repository."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def write_stack_msh(path, *, widths=(2.0,), thicknesses=(1.0, 2.0), names=("A", "B"),
                    nx=3, ny=2, corrupt=None):
    """A layered 2D mesh in micrometres as gmsh v2.2 ASCII with physical names."""
    import meshio
    import skfem

    ys = [0.0]
    for t in thicknesses:
        ys += list(np.linspace(ys[-1], ys[-1] + t, ny + 1)[1:])
    m = skfem.MeshTri.init_tensor(np.linspace(0, widths[0], nx + 1), np.array(ys))
    c = m.p[:, m.t].mean(axis=1)
    z = np.cumsum([0.0, *thicknesses])
    phys = np.zeros(m.nelements, dtype=int)
    for i in range(len(names)):
        phys[(c[1] > z[i]) & (c[1] < z[i + 1])] = i + 1
    bf = m.boundary_facets()
    fc = m.p[:, m.facets[:, bf]].mean(axis=1)
    an = m.facets[:, bf[np.abs(fc[1]) < 1e-9]].T
    ca = m.facets[:, bf[np.abs(fc[1] - z[-1]) < 1e-9]].T
    field = {n: np.array([i + 1, 2]) for i, n in enumerate(names)}
    field.update({"anode": np.array([101, 1]), "cathode": np.array([102, 1])})
    lines = np.vstack([an, ca])
    lphys = np.r_[np.full(len(an), 101), np.full(len(ca), 102)]
    mesh = meshio.Mesh(np.column_stack([m.p.T, np.zeros(m.nvertices)]),
                       [("line", lines), ("triangle", m.t.T)],
                       cell_data={"gmsh:physical": [lphys, phys],
                                  "gmsh:geometrical": [lphys, phys]},
                       field_data=field)
    meshio.write(path, mesh, file_format="gmsh22", binary=False)
    if corrupt is not None:
        Path(path).write_text(corrupt(Path(path).read_text()))
    return Path(path)


@pytest.fixture
def stack_msh(tmp_path):
    return write_stack_msh(tmp_path / "stack.msh")


BASE_CASE = {
    "study": "conduction",
    "title": "hostile",
    "physics": {"temperature": "25 degC", "voltage": "10 mV"},
    "outputs": {"figures": ["profile"], "vtu": True},
    "cases": {
        "stack": {
            "geometry": {"type": "mesh_file", "path": "stack.msh", "unit": "um"},
            "materials": {"A": {"conductivity": "1 mS/cm"}, "B": {"conductivity": "2 mS/cm"}},
        },
    },
}


def base_case() -> dict:
    return copy.deepcopy(BASE_CASE)


def set_path(d: dict, dotted: str, value):
    """``set_path(case, "cases.stack.geometry.unit", "mm")``; ``value=DELETE`` removes."""
    keys = dotted.split(".")
    node = d
    for k in keys[:-1]:
        node = node[k]
    if value is DELETE:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
    return d


DELETE = object()


@pytest.fixture
def case_file(tmp_path, stack_msh):
    """``case_file(data_or_text, name="case.yaml") -> path`` next to stack.msh."""

    def write(data, name="case.yaml"):
        p = tmp_path / name
        p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False),
                     encoding="utf-8")
        return p

    return write


@pytest.fixture
def cli(capsys):
    from ntransport.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        cap = capsys.readouterr()
        return code, cap.out, cap.err

    return run


def _snapshot(root: Path) -> set:
    return {p for p in root.rglob("*")}


@pytest.fixture
def no_escape(tmp_path):
    """``with no_escape(allowed): ...`` -- nothing new outside *allowed* under tmp_path."""
    import contextlib

    @contextlib.contextmanager
    def check(*allowed):
        allowed = [Path(a).resolve() for a in allowed]
        before = _snapshot(tmp_path)
        yield
        new = _snapshot(tmp_path) - before
        outside = [p for p in new
                   if not any(a == p.resolve() or a in p.resolve().parents for a in allowed)]
        assert not outside, f"written outside {allowed}: {sorted(map(str, outside))}"

    return check
