"""Error types and helpers for messages that say what was wrong and how to fix it.

Every error subclasses a built-in so ``except ValueError`` keeps working.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class NtransportError(Exception):
    """Base class of every ntransport error."""


class GeometryError(NtransportError, ValueError):
    """A geometry or mesh cannot be built as asked."""


class MeshError(NtransportError, ValueError):
    """A mesh file or model is unusable (no physical names, wrong cells...)."""


class MaterialError(NtransportError, ValueError):
    """A material parameter is missing or out of range."""


class ConfigError(NtransportError, ValueError):
    """A case file or option is invalid (unknown key, bad unit...)."""


class ConvergenceError(NtransportError, RuntimeError):
    """A solver did not converge; the message says what was tried."""


class ResultError(NtransportError, ValueError):
    """A computed result is unusable (NaN/inf in a field, a missing unit): raised where it
    arises, so it never reaches a file or a figure."""


class SecurityError(NtransportError, ValueError):
    """An input asks for something ntransport refuses to do (run a shell command from a
    mesh file, write outside the output folder)."""


def suggest(name: str, valid: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` (or the list of valid names) for *name*."""
    valid = sorted(set(valid))
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    if close:
        return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f" Valid names are {valid}."


def unknown_name(kind: str, name: str, valid: Iterable[str], exc=KeyError) -> Exception:
    """Build the standard "unknown X" error, naming the valid choices."""
    valid = list(valid)
    return exc(f"{kind} {name!r} not found.{suggest(name, valid)}")


def check_positive(value, /, *, name: str, allow_zero: bool = False, exc=ValueError):
    """Raise *exc* naming *name* unless *value* is a finite number > 0 (>= 0)."""
    import math

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise exc(f"{name} must be a number, got {value!r}.") from None
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise exc(f"{name} must be finite and {bound}, got {value!r}.")
    return v


def check_range(value, /, rng, *, name: str, exc=ValueError):
    """Raise *exc* naming *name* unless rng[0] <= value <= rng[1]."""
    v = float(value)
    lo, hi = rng
    if not (lo <= v <= hi):
        raise exc(f"{name} must lie in [{lo}, {hi}], got {value!r}.")
    return v
