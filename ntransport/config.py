"""Strict schemas for YAML case files: unknown keys fail loudly, units convert once.

A schema is a tree of small spec objects:

- :class:`Quantity` — a physical quantity; numbers are SI, strings carry units
  (``"0.36 mS/cm"``) and are converted by :func:`ntransport.units.to_si`;
- :class:`Value` — a plain str/int/float/bool, optionally restricted to `choices`;
- :class:`Name` — a string that becomes (part of) a file name (case names...): letters,
  digits and ``_ . + @ = -`` only, so nothing a case file says can write outside the
  output folder;
- :class:`Section` — a mapping with a fixed set of keys (each with its own spec);
- :class:`MapOf` — a mapping with user-chosen keys (case names, subdomain names);
  ``MapOf(..., keys=Name())`` when the keys become file names;
- :class:`ListOf` — a list of items;
- :class:`Tagged` — a section whose ``type`` key selects one of several sections;
- :class:`Either` — a string *or* a section (``materials: {PEO: "PEO/LiTFSI"}`` or an
  inline definition).

:func:`validate` walks the data and the spec together and returns plain Python
objects (dicts, lists, SI floats) with defaults filled in. Every error is a
:class:`~ntransport.errors.ConfigError` naming the dotted path of the offending key,
what was received and, for unknown keys, the closest valid key::

    cases.PLM.materials.LLZO: unknown key 'conductivty'. Did you mean 'conductivity'?
"""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import (TEMPERATURE_MAX_K, TEMPERATURE_MIN_K, ConfigError, check_distinct,
                     check_safe_name, check_temperature, suggest)
from .units import KINDS, to_si

__all__ = [
    "REQUIRED",
    "Quantity",
    "Value",
    "Name",
    "Section",
    "MapOf",
    "ListOf",
    "Tagged",
    "Either",
    "validate",
    "load_yaml",
]


class _Required:
    def __repr__(self):
        return "REQUIRED"


REQUIRED = _Required()


def _at(path: str) -> str:
    return f"{path}: " if path else ""


@dataclass(frozen=True)
class Quantity:
    """A quantity of a given unit *kind* (see :data:`ntransport.units.KINDS`)."""

    kind: str
    default: object = REQUIRED
    positive: bool = False
    nonnegative: bool = False
    doc: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown quantity kind {self.kind!r}.{suggest(self.kind, KINDS)}")

    def check(self, data, path):
        v = to_si(data, self.kind, name=path or None)
        if self.positive and not v > 0:
            raise ConfigError(f"{_at(path)}must be > 0, got {data!r}.")
        if self.nonnegative and not v >= 0:
            raise ConfigError(f"{_at(path)}must be >= 0, got {data!r}.")
        if self.kind == "temperature":  # every case-file temperature: the library's range
            if isinstance(data, str) and not TEMPERATURE_MIN_K <= v <= TEMPERATURE_MAX_K:
                raise ConfigError(f"{_at(path)}{data!r} = {v:g} K lies outside "
                                  f"[{TEMPERATURE_MIN_K:g}, {TEMPERATURE_MAX_K:g}] K, where "
                                  "electrolytes are measured and operated.")
            check_temperature(v, name=path or "temperature", exc=ConfigError)  # bare numbers
        return v


@dataclass(frozen=True)
class Value:
    """A plain value of Python type *type* (str, int, float or bool)."""

    type: type
    default: object = REQUIRED
    choices: tuple | None = None
    doc: str = ""
    minimum: float | None = None  # inclusive (a random seed: 0)
    positive: bool = False  # > 0 (a density)

    def check(self, data, path):
        t = self.type
        ok = isinstance(data, t) and not (t in (int, float) and isinstance(data, bool))
        if t is float and isinstance(data, int) and not isinstance(data, bool):
            data, ok = float(data), True
        if not ok:
            raise ConfigError(f"{_at(path)}expected {t.__name__}, got {data!r}.")
        if t is float and not math.isfinite(data):
            raise ConfigError(f"{_at(path)}expected a finite number, got {data!r}.")
        if self.choices is not None and data not in self.choices:
            hint = suggest(str(data), [str(c) for c in self.choices])
            raise ConfigError(f"{_at(path)}invalid value {data!r}.{hint}")
        if self.positive and not data > 0:
            raise ConfigError(f"{_at(path)}must be > 0, got {data!r}.")
        if self.minimum is not None and data < self.minimum:
            raise ConfigError(f"{_at(path)}must be >= {self.minimum:g}, got {data!r}.")
        return data


@dataclass(frozen=True)
class Name:
    """A string that becomes (part of) a file name: checked by
    :func:`ntransport.errors.check_safe_name` (letters, digits, ``_ . + @ = -``; no
    separators, no ``..``, no leading dot; at most 120 characters)."""

    default: object = REQUIRED
    doc: str = ""

    def check(self, data, path):
        if not isinstance(data, str):
            raise ConfigError(f"{_at(path)}expected a name (a string), got {data!r}.")
        where = f"{path}: name" if path else "name"
        return check_safe_name(data, what=where)


@dataclass(frozen=True)
class Section:
    """A mapping with a fixed set of keys; unknown keys are rejected with a suggestion."""

    fields: Mapping[str, object]
    default: object = REQUIRED
    doc: str = ""
    exclusive: tuple[tuple[str, ...], ...] = ()  # groups: at most one key of each

    def check(self, data, path):
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{_at(path)}expected a mapping with keys {sorted(self.fields)}, got {data!r}."
            )
        for key in data:
            if key not in self.fields:
                where = f"{path}: " if path else ""
                raise ConfigError(f"{where}unknown key {key!r}.{suggest(str(key), self.fields)}")
        for group in self.exclusive:
            given = [k for k in group if k in data]
            if len(given) > 1:
                raise ConfigError(f"{_at(path)}give only one of {list(group)}, got {given}.")
        out = {}
        for key, spec in self.fields.items():
            sub = f"{path}.{key}" if path else key
            if key in data:
                out[key] = spec.check(data[key], sub)
            elif spec.default is REQUIRED:
                raise ConfigError(f"{_at(path)}missing required key {key!r}.{_doc(spec)}")
            elif isinstance(spec, Section) and spec.default is None:
                out[key] = None
            elif isinstance(spec, Section):
                out[key] = spec.check(spec.default, sub)
            elif isinstance(spec, MapOf) and spec.default is not None:
                # the default's values are filled like given ones (a default run {} of
                # the dendrite study lacked every key of its section: a KeyError in check)
                out[key] = spec.check(copy.deepcopy(spec.default), sub)
            else:
                out[key] = copy.deepcopy(spec.default)
        return out


@dataclass(frozen=True)
class MapOf:
    """A mapping with user-chosen string keys, every value checked against *value*."""

    value: object
    default: object = REQUIRED
    min_len: int = 0
    doc: str = ""
    keys: object = None  # e.g. Name() when the keys become file names

    def check(self, data, path):
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"{_at(path)}expected a mapping, got {data!r}.")
        if len(data) < self.min_len:
            raise ConfigError(f"{_at(path)}needs at least {self.min_len} entries, got {len(data)}.")
        out = {}
        for k, v in data.items():
            if not isinstance(k, str):
                raise ConfigError(f"{_at(path)}keys must be strings, got {k!r} "
                                  f"({type(k).__name__}); quote it in YAML: '\"{k}\": ...'.")
            if self.keys is not None:
                self.keys.check(k, f"{path}.{k}" if path else k)
            out[k] = self.value.check(v, f"{path}.{k}" if path else k)
        return out


@dataclass(frozen=True)
class ListOf:
    """A list whose items are checked against *item*."""

    item: object
    default: object = REQUIRED
    min_len: int = 0
    max_len: int | None = None
    doc: str = ""
    unique: bool = False  # e.g. the two electrode boundaries

    def check(self, data, path):
        if not isinstance(data, (list, tuple)):
            raise ConfigError(f"{_at(path)}expected a list, got {data!r}.")
        if len(data) < self.min_len or (self.max_len is not None and len(data) > self.max_len):
            span = f"{self.min_len}..{self.max_len if self.max_len is not None else ''}"
            raise ConfigError(f"{_at(path)}expected a list of {span} items, got {len(data)}.")
        out = [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(data)]
        if self.unique:
            check_distinct(out, what=path or "list", exc=ConfigError,
                           hint="the entries must be different"
                                + (f" ({self.doc})" if self.doc else ""))
        return out


@dataclass(frozen=True)
class Tagged:
    """A section whose *tag* key (default ``type``) selects one of *variants*."""

    variants: Mapping[str, Section]
    tag: str = "type"
    default: object = REQUIRED
    doc: str = ""

    def check(self, data, path):
        if not isinstance(data, Mapping):
            raise ConfigError(f"{_at(path)}expected a mapping with a {self.tag!r} key.")
        if self.tag not in data:
            raise ConfigError(
                f"{_at(path)}missing required key {self.tag!r}; one of {sorted(self.variants)}."
            )
        name = data[self.tag]
        if not isinstance(name, str) or name not in self.variants:  # ['study']: unhashable
            raise ConfigError(
                f"{path}.{self.tag}: unknown {self.tag} {name!r}.{suggest(str(name), self.variants)}"
            )
        rest = {k: v for k, v in data.items() if k != self.tag}
        return {self.tag: name, **self.variants[name].check(rest, path)}


@dataclass(frozen=True)
class Either:
    """A string (checked by *string*) or a mapping (checked by *mapping*)."""

    string: Value
    mapping: object
    default: object = REQUIRED
    doc: str = ""

    def check(self, data, path):
        if isinstance(data, str):
            return self.string.check(data, path)
        if isinstance(data, Mapping):
            return self.mapping.check(data, path)
        raise ConfigError(f"{_at(path)}expected a name or a mapping, got {data!r}.")


def _doc(spec) -> str:
    return f" ({spec.doc})" if getattr(spec, "doc", "") else ""


def validate(data, spec, *, path: str = ""):
    """Check *data* against *spec*; return plain objects with SI floats and defaults."""
    return spec.check(data, path)


def load_yaml(path) -> dict:
    """Read a YAML mapping from *path*, with a clear error for missing/invalid files."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"case file {str(p)!r} not found.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not a text file (not UTF-8 at byte {exc.start}); a case "
                          "file is YAML text.") from None
    except OSError as exc:
        raise ConfigError(f"case file {str(p)!r} cannot be read ({exc.strerror or exc}).") \
            from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a case file must be a YAML mapping, got {type(data).__name__}.")
    return data
