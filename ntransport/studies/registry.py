"""Registry of study kinds: each kind has a strict case-file schema and a ``run`` function.

A case file names its kind in the top-level ``study`` key; the rest of the file is
validated against that kind's schema. A study module registers itself::

    from ntransport.config import Section, Quantity
    from ntransport.studies.registry import register_study
    from ntransport.studies.result import StudyResult

    SCHEMA = Section({"temperature": Quantity("temperature", default=298.15), ...})

    @register_study("nernst_planck", schema=SCHEMA, doc="transient NPP in a stack")
    def run(case, *, progress=True, checkpoints=None) -> StudyResult:
        ...                      # build, solve; never writes files
        return StudyResult(case.name, summary, solutions=..., figures=...)

``run`` receives a validated :class:`Case`; ``progress`` switches the tqdm bars
(``tqdm.auto``: terminal or notebook); ``checkpoints`` is a
:class:`~ntransport.solve.checkpoint.CheckpointStore` (or None) that transient studies
save to and resume from. The CLI and the notebooks call the same function;
:func:`run_case` adds the output folder protocol (:class:`~ntransport.io.artifacts.RunFolder`)
and ``run.json``.

Every case file may carry a top-level ``reduced:`` mapping of overrides applied when the
case is loaded with ``reduced=True`` (``ntransport run --reduced``; the test suite) and a
``name:`` used for the output files.
"""
from __future__ import annotations

import copy
import importlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..config import Section, load_yaml, validate
from ..errors import ConfigError, suggest

__all__ = ["Case", "StudyKind", "register_study", "study_kinds", "get_study", "load_case",
           "run_case", "run_study", "check_case", "REDUCED_ENV"]

log = logging.getLogger(__name__)

# a module of this package that calls register_study() is found without editing a list
# here: a lookup imports the module whose source registers the kind (or, failing that,
# every module; study_kinds() imports them all)
_PACKAGE = "ntransport.studies"
_FAILED: dict[str, str] = {}
#: environment variable that makes load_case default to the reduced size (notebooks in tests)
REDUCED_ENV = "NTRANSPORT_REDUCED"


@dataclass(frozen=True)
class StudyKind:
    """A study kind: its name, case schema, runner and a one-line description."""

    name: str
    schema: Section
    run: Callable
    doc: str = ""
    check: Callable | None = None


@dataclass(frozen=True)
class Case:
    """A validated case: the study kind, its data (SI floats, defaults filled), source.

    ``raw`` is the input as written (before units were converted); ``reduced`` says
    whether the case file's ``reduced:`` overrides were applied.
    """

    kind: str
    data: Mapping
    source: Path | None = None
    name: str = "case"
    reduced: bool = False
    raw: Mapping | None = None

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)

    @property
    def base_dir(self) -> Path | None:
        """Folder of the case file (relative mesh paths are resolved against it)."""
        return None if self.source is None else self.source.parent


_KINDS: dict[str, StudyKind] = {}


def register_study(name: str, *, schema: Section, doc: str = "", replace: bool = False,
                   check: Callable | None = None):
    """Decorator registering ``run(case, *, progress=True, checkpoints=None) -> StudyResult``.

    *check* (optional) is ``check(case) -> None``: it resolves everything ``run`` would
    resolve before solving (material names, mesh files, derived sizes) and raises
    ConfigError for what ``run`` would refuse; ``ntransport check`` calls it."""
    if not isinstance(schema, Section):
        raise TypeError(f"schema of study {name!r} must be a config.Section, got {schema!r}.")

    def deco(fn):
        if name in _KINDS and not replace:
            raise ConfigError(f"study kind {name!r} is already registered.")
        _KINDS[name] = StudyKind(name, schema, fn, doc or (fn.__doc__ or "").strip().split("\n")[0],
                                 check)
        return fn

    return deco


def _study_modules():
    """``(module name, source path or None)`` of every study module of the package."""
    import pkgutil

    pkg = importlib.import_module(_PACKAGE)
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in ("registry", "result", "progress"):
            continue
        base = Path(getattr(info.module_finder, "path", ""), info.name)
        src = base / "__init__.py" if info.ispkg else base.with_suffix(".py")
        yield f"{_PACKAGE}.{info.name}", (src if src.is_file() else None)


def _import(name: str) -> None:
    if name in _FAILED:
        return
    try:
        importlib.import_module(name)
    except Exception as exc:  # a broken study module must not hide the others
        _FAILED[name] = f"{type(exc).__name__}: {exc}"


def _load_builtins():
    for name, _ in _study_modules():
        _import(name)


def _modules_registering(kind: str) -> list[str]:
    """Study modules whose source holds ``register_study("kind"``: a text search, so one
    case imports its own study module and not all of them (the others' imports --
    percolation, deposition, dask, ... -- took 1.4 s of every ``ntransport run``). A
    module without readable source is a candidate too (the full load decides)."""
    pattern = re.compile(r"register_study\(\s*[\"']" + re.escape(kind) + r"[\"']")
    out = []
    for name, src in _study_modules():
        try:
            hit = src is None or pattern.search(src.read_text(encoding="utf-8")) is not None
        except (OSError, UnicodeDecodeError):
            hit = True
        if hit:
            out.append(name)
    return out


def study_kinds() -> dict[str, StudyKind]:
    """Name -> StudyKind of every registered kind."""
    _load_builtins()
    return dict(_KINDS)


def get_study(name: str) -> StudyKind:
    """The kind *name*; unknown names raise with the closest match.

    Only the module that registers *name* is imported when its source says so; every
    study module otherwise (a kind registered another way, or an unknown name, whose
    error lists the closest of all kinds)."""
    if isinstance(name, str) and name not in _KINDS:
        for module in _modules_registering(name):
            _import(module)
    if isinstance(name, str) and name in _KINDS:
        return _KINDS[name]
    kinds = study_kinds()
    if not isinstance(name, str) or name not in kinds:
        broken = "".join(f" Study module {m} failed to import ({e})." for m, e in _FAILED.items())
        raise ConfigError(f"study: unknown study kind {name!r}.{suggest(str(name), kinds)}"
                          + broken)
    return kinds[name]


def _merge(base: dict, over: Mapping, path="reduced") -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(dict(out[k]), v, f"{path}.{k}")
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_case(source, *, name: str | None = None, reduced: bool | None = None) -> Case:
    """Read and validate a case from a YAML path or an already-parsed mapping.

    The top-level ``study`` key selects the kind (default ``"conduction"``); every other
    key is checked against that kind's schema. ``reduced=None`` takes the size from the
    environment variable ``NTRANSPORT_REDUCED`` (set by the test suite for notebooks).
    """
    from ..io.artifacts import check_name, slug

    path = None
    if isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
    else:
        path = Path(source)
        data = load_yaml(path)
    raw = copy.deepcopy(data)
    if reduced is None:
        reduced = os.environ.get(REDUCED_ENV, "").strip().lower() in ("1", "true", "yes")
    over = data.pop("reduced", None)
    if over is not None and not isinstance(over, Mapping):
        raise ConfigError(f"reduced: expected a mapping of overrides for the reduced size, "
                          f"got {over!r}.")
    if reduced and over:
        data = _merge(data, over)
    case_name = data.pop("name", None)
    if case_name is not None and not isinstance(case_name, str):
        raise ConfigError(f"name: expected a string, got {case_name!r}.")
    kind = get_study(data.pop("study", "conduction"))
    if over:  # the overrides must be valid keys too, even when not applied
        validate(_merge(dict(data), over), kind.schema)
    valid = validate(data, kind.schema)
    if name or case_name:  # given by the user: must be safe as it is
        case_name = check_name(name or case_name, what="case name")
    else:  # from the file name ("my case.yaml" -> "my_case"): made safe
        case_name = slug(path.stem) if path is not None else kind.name
    return Case(kind.name, MappingProxyType(valid), path, case_name, bool(reduced),
                MappingProxyType(raw))


def _geo_policy(allow_geo: bool):
    """Inside a case run, ``.geo`` files named by the case are meshed only if allowed."""
    from ..geometry.gmsh_io import case_geo_files

    return case_geo_files(allowed=bool(allow_geo))


def check_case(case: Case, *, allow_geo: bool = False) -> None:
    """Resolve what ``run`` would resolve, without solving (``ntransport check``).

    ``allow_geo``: mesh ``.geo`` files the case names (a .geo is a gmsh program; see
    :func:`ntransport.geometry.gmsh_io.read_mesh`); refused by default."""
    kind = get_study(case.kind)
    if kind.check is not None:
        with _geo_policy(allow_geo):
            kind.check(case)


def run_study(case: Case, *, progress: bool = True, checkpoints=None, allow_geo: bool = False):
    """Run *case* with its kind's ``run`` and return the :class:`StudyResult` (no files).

    ``allow_geo``: mesh ``.geo`` files the case names (refused by default: a .geo file is
    a gmsh program; mesh it yourself with ``gmsh x.geo -2 -o x.msh`` and name the .msh).
    """
    from ..cores import one_blas_thread
    from .result import StudyResult

    # OpenBLAS on one thread for the run (PARDISO's MKL and the AMG's row blocks keep the
    # cores): its idle threads spin after every large numpy product
    with _geo_policy(allow_geo), one_blas_thread(mkl=False):
        result = get_study(case.kind).run(case, progress=progress, checkpoints=checkpoints)
    if not isinstance(result, StudyResult):
        raise TypeError(f"study {case.kind!r} returned {type(result).__name__}, not a StudyResult.")
    return result


CASE_RECORD = "case.json"


def _fingerprint(case: Case) -> dict:
    from ..solution import _jsonable

    return json.loads(json.dumps({"study": case.kind, "name": case.name,
                                  "reduced": bool(case.reduced),
                                  "resolved_SI": _jsonable(dict(case.data))}, sort_keys=True))


def _check_resume(case: Case, folder: Path, resume: bool) -> None:
    """Record which case the checkpoints in *folder* belong to; on resume, refuse
    checkpoints of another case (they would be loaded into the wrong model)."""
    from ..io.artifacts import write_json

    rec = folder / CASE_RECORD
    mine = _fingerprint(case)
    if resume and rec.exists():
        try:
            theirs = json.loads(rec.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            theirs = None
        if theirs != mine:
            what = ("unreadable" if theirs is None else
                    f"case {theirs.get('name')!r}, study {theirs.get('study')!r}"
                    f"{', reduced' if theirs.get('reduced') else ''}")
            raise ConfigError(
                f"--resume: the checkpoints in {str(folder.parent)!r} belong to another run "
                f"({what}), not to this case ({case.name!r}, study {case.kind!r}"
                f"{', reduced' if case.reduced else ''}, same inputs). Resume with the same "
                "case file and options, or run without --resume to start afresh.")
    write_json(rec, mine)


def run_case(case: Case, out_dir, *, progress: bool = True, resume: bool = False,
             argv=None, length_unit: str = "m", allow_geo: bool = False,
             workers: int | None = None):
    """Run *case* and write its artifact set into *out_dir* (the CLI's ``run``).

    Results appear in *out_dir* only if the run succeeds; a failed run leaves ``run.log``
    with the error (and checkpoints for ``resume=True``) and no results of an earlier
    run. ``allow_geo`` lets the case mesh ``.geo`` files (refused by default);
    ``workers`` caps how many of the study's independent runs go at once (default one
    per core, :mod:`ntransport.studies.concurrent`). Returns the StudyResult.
    """
    from ..io.artifacts import RunFolder, run_info, write_json
    from ..solve.checkpoint import CheckpointStore
    from .concurrent import limit_workers

    t0, started = time.perf_counter(), time.time()
    with RunFolder(out_dir, resume=resume) as rf:
        handler = _log_to(rf.out / "run.log", append=resume)
        try:
            log.info("case %s (study %s, %s size) -> %s", case.source or case.name, case.kind,
                     "reduced" if case.reduced else "full", rf.out.resolve())
            _check_resume(case, rf.checkpoints, resume)
            store = CheckpointStore(rf.checkpoints, resume=resume)
            with limit_workers(workers):
                result = run_study(case, progress=progress, checkpoints=store,
                                   allow_geo=allow_geo)
            files = result.save(rf.partial, length_unit=length_unit)
            wall = time.perf_counter() - t0
            info = run_info(case, result, wall_time=wall, started=started,
                            files=[Path(f).resolve().relative_to(rf.partial.resolve())
                                   for f in files], argv=argv)
            write_json(rf.partial / "run.json", info)
            for note in result.notes:
                log.info("note: %s", note)
            log.info("finished in %.1f s\n%s", wall, result.summary.to_markdown())
            rf.commit()
        except BaseException as exc:
            log.error("run FAILED after %.1f s: %s: %s -- no results were written%s",
                      time.perf_counter() - t0, type(exc).__name__, exc,
                      " (checkpoints kept: rerun with --resume)"
                      if any(rf.checkpoints.glob("*.npz")) else "",
                      exc_info=not isinstance(exc, KeyboardInterrupt))
            raise
        finally:
            _unlog(handler)
    return result


def _log_to(path: Path, *, append: bool = False):
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    fh = logging.FileHandler(path, mode="a" if append else "w", encoding="utf-8")
    fh.setFormatter(fmt)
    fh.setLevel(logging.INFO)
    root = logging.getLogger("ntransport")
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(fh)
    return fh


def _unlog(handler):
    root = logging.getLogger("ntransport")
    root.removeHandler(handler)
    handler.close()
