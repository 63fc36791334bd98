"""Everything a run writes stays inside --out, for every study kind; names that become
paths are refused when they could escape it.

Each study kind runs its shipped case file at reduced size through ``run_case`` (the
CLI's function) with

* a Python audit hook recording every file opened for writing, created, renamed,
  removed or linked by Python code anywhere on the machine, and
* a before/after snapshot of the test's folder and the working directory for what C
  code (VTK, gmsh) writes,

and asserts that every such path is inside the output folder.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from ntransport.errors import SecurityError
from ntransport.studies.registry import load_case, run_case, study_kinds

ROOT = Path(__file__).resolve().parents[2]
CASES = {p: yaml.safe_load(p.read_text(encoding="utf-8")).get("study", "conduction")
         for p in sorted((ROOT / "geometries").glob("*.yaml"))}
PREFERRED = {"conduction": "peo_vs_plm.yaml"}  # the quickest shipped case of the kind


def _case_file(kind: str) -> Path:
    files = [p for p, k in CASES.items() if k == kind]
    assert files, f"study kind {kind!r} has no shipped case file in geometries/ to test"
    pref = [p for p in files if p.name == PREFERRED.get(kind)]
    return (pref or files)[0]


# ------------------------------------------------------------ audit of writes
_LOG: list | None = None
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# event -> (indices of path arguments, index of the dir_fd argument or None)
_PATH_EVENTS = {"os.remove": ((0,), 1), "os.rmdir": ((0,), 1), "os.mkdir": ((0,), 2),
                "shutil.rmtree": ((0,), None), "os.truncate": ((0,), None),
                "os.chmod": ((0,), 2), "os.chown": ((0,), 3), "os.symlink": ((1,), 2),
                "os.link": ((1,), 3), "os.rename": ((0, 1), 3), "os.replace": ((0, 1), 3)}


def _abs(p, dir_fd=None) -> str:
    p = os.fsdecode(p)
    if dir_fd not in (None, -1) and not os.path.isabs(p):  # shutil.rmtree works by fd
        try:
            return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), p)
        except OSError:
            return "<fd>/" + p
    return os.path.abspath(p)


def _hook(event, args):
    if _LOG is None:
        return
    if event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                 (isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes and isinstance(path, (str, bytes, os.PathLike)):
            _LOG.append((event, _abs(path)))
    elif event in _PATH_EVENTS:
        idx, fd_idx = _PATH_EVENTS[event]
        fd = args[fd_idx] if fd_idx is not None and fd_idx < len(args) else None
        for i in idx:
            p = args[i] if i < len(args) else None
            if isinstance(p, (str, bytes, os.PathLike)):
                _LOG.append((event, _abs(p, fd if isinstance(fd, int) else None)))


sys.addaudithook(_hook)


def _library_scratch(p: str) -> bool:
    """Writes libraries make on their own behalf, never results: matplotlib's config and
    cache folders, and transient temporaries (ctypes.util.find_library, used by
    pypardiso, probes the system temp folder with NamedTemporaryFile) that are gone
    after the run."""
    import tempfile

    import matplotlib

    if p == "/dev/null" or any(p == d or p.startswith(d + os.sep) for d in
                               (matplotlib.get_cachedir(), matplotlib.get_configdir())):
        return True
    tmp = tempfile.gettempdir()
    return p == tmp or (os.path.dirname(p) == tmp and not os.path.lexists(p))


def _run_audited(case, out, tmp_path):
    global _LOG
    before = set(tmp_path.rglob("*"))
    _LOG = []
    try:
        run_case(case, out, progress=False)
    finally:
        written, _LOG = _LOG, None
    new = set(tmp_path.rglob("*")) - before
    outr = out.resolve()
    outside = sorted({p for _, p in written
                      if not (Path(p).resolve() == outr or outr in Path(p).resolve().parents)
                      and not _library_scratch(p)})
    outside += sorted(str(p) for p in new if outr not in p.resolve().parents and p != out)
    assert not outside, f"{case.kind}: wrote outside --out {out}: {outside}"
    return {p for _, p in written}


def _kind_params():
    return list(study_kinds())


@pytest.mark.hang_seconds(180)  # a whole reduced study run, not a hostile input
@pytest.mark.parametrize("kind", _kind_params())
def test_every_study_kind_writes_only_inside_out(kind, tmp_path):
    case = load_case(_case_file(kind), reduced=True)
    out = tmp_path / "out"
    written = _run_audited(case, out, tmp_path)
    assert (out / "summary.csv").is_file() and (out / "run.json").is_file()
    assert any(str(out.resolve()) in p for p in written)  # the hook did see the writes


@pytest.mark.parametrize("kind", list(study_kinds()))
@pytest.mark.parametrize("name", ["../../escaped", "/tmp/abs", ".hidden", "a/b", "a\\b",
                                  "..", "x" * 121, "with space"])
def test_every_study_kind_refuses_a_case_name_that_escapes(kind, name, tmp_path):
    data = yaml.safe_load(_case_file(kind).read_text(encoding="utf-8"))
    data["name"] = name
    with pytest.raises(SecurityError, match=r"case name .* cannot be used as a file name"):
        load_case(data)
    with pytest.raises(SecurityError, match=r"case name .* cannot be used as a file name"):
        load_case(_case_file(kind), name=name)


@pytest.mark.parametrize("key", ["../../escaped", "/tmp/abs", ".hidden", "a/b", "x y", "..",
                                 "-rf"])
def test_conduction_case_keys_that_would_escape_are_refused(key):
    data = yaml.safe_load((ROOT / "geometries" / "peo_vs_plm.yaml").read_text())
    data["cases"][key] = data["cases"].pop("PLM")
    with pytest.raises(SecurityError, match=r"cases\..*: name .* cannot be used as a file name"):
        load_case(data)


def test_artifact_names_that_escape_or_collide_are_refused_before_writing(tmp_path):
    import numpy as np

    from ntransport.errors import ResultError
    from ntransport.io.artifacts import write_result
    from ntransport.io.tables import DataTable, SummaryTable
    from ntransport.studies.result import StudyResult

    table = DataTable({"x [m]": np.array([1.0])})
    for bad in ("../x", "/tmp/x", ".x", "a/b"):
        with pytest.raises(SecurityError, match="cannot be used as a file name"):
            StudyResult("c", SummaryTable(), tables={bad: table})
    res = StudyResult("c", SummaryTable(), tables={"summary": table})
    with pytest.raises(ResultError, match=r"table 'summary' would write 'summary\.csv', a "
                                          r"file the runner writes itself"):
        write_result(res, tmp_path / "o")
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_the_write_audit_catches_a_study_that_escapes(tmp_path):
    """The checker itself: a study that writes next to --out is caught."""
    from ntransport.config import Section
    from ntransport.io.tables import SummaryTable
    from ntransport.studies import registry
    from ntransport.studies.result import StudyResult

    target = tmp_path / "escaped.txt"

    @registry.register_study("escape_probe", schema=Section({}), replace=True)
    def run(case, *, progress=True, checkpoints=None):
        target.write_text("a study must not do this")
        return StudyResult(case.name, SummaryTable().add(case.name, "x", 1.0, "1"))

    try:
        case = load_case({"study": "escape_probe"})
        with pytest.raises(AssertionError, match=r"escape_probe: wrote outside --out .*"
                                                 r"escaped\.txt"):
            _run_audited(case, tmp_path / "out", tmp_path)
    finally:
        registry._KINDS.pop("escape_probe", None)


def test_a_case_named_after_its_file_gets_a_safe_name(tmp_path):
    """No ``name:``: the file's stem is made safe (not refused); an explicit name is
    checked as given."""
    src = (ROOT / "geometries" / "peo_vs_plm.yaml").read_text()
    p = tmp_path / "my case (v2)..yaml"
    p.write_text(src)
    assert load_case(p).name == "my_case_v2"
    with pytest.raises(SecurityError, match=r"case name 'my case' cannot be used"):
        load_case(p, name="my case")
