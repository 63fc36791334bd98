"""Registry of study kinds: each kind has a strict case-file schema and a runner.

A case file names its kind in the top-level ``study`` key; the rest of the file is
validated against that kind's schema. Other modules add kinds from their own files::

    from ntransport.config import Section, Quantity
    from ntransport.studies.registry import register_study

    SCHEMA = Section({"temperature": Quantity("temperature", default=298.15), ...})

    @register_study("nernst_planck", schema=SCHEMA, doc="transient NPP in a stack")
    def run(case, out_dir, *, progress=None):
        ...                      # build, solve, write files into out_dir
        return SummaryTable(rows)

The runner receives a validated :class:`Case` and an output directory, may call
``progress(done, total, message)`` to report stages (the CLI draws the bar), and
returns a :class:`~ntransport.io.tables.SummaryTable`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..config import Section, load_yaml, validate
from ..errors import ConfigError, suggest

__all__ = ["Case", "StudyKind", "register_study", "study_kinds", "get_study", "load_case",
           "run_case"]

# every module of this package is imported on first lookup, so a module that calls
# register_study() is found without editing a list here
_PACKAGE = "ntransport.studies"
_FAILED: dict[str, str] = {}


@dataclass(frozen=True)
class StudyKind:
    """A study kind: its name, case schema, runner and a one-line description."""

    name: str
    schema: Section
    run: Callable
    doc: str = ""


@dataclass(frozen=True)
class Case:
    """A validated case: the study kind, its data (SI floats, defaults filled), source."""

    kind: str
    data: Mapping
    source: Path | None = None
    name: str = "case"

    def __getitem__(self, key):
        return self.data[key]


_KINDS: dict[str, StudyKind] = {}


def register_study(name: str, *, schema: Section, doc: str = "", replace: bool = False):
    """Decorator registering ``run(case, out_dir, *, progress=None) -> SummaryTable``."""
    if not isinstance(schema, Section):
        raise TypeError(f"schema of study {name!r} must be a config.Section, got {schema!r}.")

    def deco(fn):
        if name in _KINDS and not replace:
            raise ConfigError(f"study kind {name!r} is already registered.")
        _KINDS[name] = StudyKind(name, schema, fn, doc or (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return deco


def _load_builtins():
    import pkgutil

    pkg = importlib.import_module(_PACKAGE)
    for info in pkgutil.iter_modules(pkg.__path__):
        name = f"{_PACKAGE}.{info.name}"
        if info.name == "registry" or name in _FAILED:
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken study module must not hide the others
            _FAILED[name] = f"{type(exc).__name__}: {exc}"


def study_kinds() -> dict[str, StudyKind]:
    """Name -> StudyKind of every registered kind."""
    _load_builtins()
    return dict(_KINDS)


def get_study(name: str) -> StudyKind:
    """The kind *name*; unknown names raise with the closest match."""
    kinds = study_kinds()
    if name not in kinds:
        broken = "".join(f" Study module {m} failed to import ({e})." for m, e in _FAILED.items())
        raise ConfigError(f"study: unknown study kind {name!r}.{suggest(str(name), kinds)}"
                          + broken)
    return kinds[name]


def load_case(source, *, name: str | None = None) -> Case:
    """Read and validate a case from a YAML path or an already-parsed mapping.

    The top-level ``study`` key selects the kind (default ``"conduction"``); every other
    key is checked against that kind's schema.
    """
    path = None
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path = Path(source)
        data = load_yaml(path)
    kind = get_study(data.pop("study", "conduction"))
    valid = validate(data, kind.schema)
    case_name = name or (path.stem if path is not None else kind.name)
    return Case(kind.name, MappingProxyType(valid), path, case_name)


def run_case(case: Case, out_dir, *, progress: Callable | None = None):
    """Run *case* with its kind's runner, writing into *out_dir*; return the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return get_study(case.kind).run(case, out, progress=progress)
