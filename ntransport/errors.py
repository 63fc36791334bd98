"""Error types and helpers for messages that say what was wrong and how to fix it.

Every error subclasses a built-in so ``except ValueError`` keeps working.
"""
from __future__ import annotations

import difflib
import math
import re
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


class LimitError(ConfigError, GeometryError):
    """A request exceeds a documented, overridable size limit (elements, particles, time
    steps; see :mod:`ntransport.geometry.guards`): refused before any work is done.
    A ConfigError (bad input: CLI exit code 2) and a GeometryError (builders raise it)."""


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


class NotFoundError(KeyError):
    """A name (subdomain, boundary, material...) that does not exist. A KeyError whose
    message prints as written (``str(KeyError("x"))`` would add quotes)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


def unknown_name(kind: str, name: str, valid: Iterable[str], exc=None) -> Exception:
    """Build the standard "unknown X" error, naming the valid choices."""
    valid = list(valid)
    return (exc or NotFoundError)(f"{kind} {name!r} not found.{suggest(name, valid)}")


def check_positive(value, /, *, name: str, allow_zero: bool = False, exc=ValueError):
    """Raise *exc* naming *name* unless *value* is a finite number > 0 (>= 0)."""
    v = _number(value, name, exc)
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise exc(f"{name} must be finite and {bound}, got {value!r}.")
    return v


def check_range(value, /, rng, *, name: str, exc=ValueError):
    """Raise *exc* naming *name* unless rng[0] <= value <= rng[1] (NaN is out of range)."""
    v = _number(value, name, exc)
    lo, hi = rng
    if not (lo <= v <= hi):
        raise exc(f"{name} must lie in [{lo}, {hi}], got {value!r}.")
    return v


# ---------------------------------------------------------------- generic input checks
#: Temperatures are kelvin inside ntransport; a number below this is almost surely degC.
TEMPERATURE_MIN_K = 200.0
#: above this no electrolyte is measured or operated (polymers decompose near 600 K);
#: 3e7 degC (a case's 30 degC x 1e6) reached a conductivity table as 'x = 0.0167 outside
#: the tabulated range'
TEMPERATURE_MAX_K = 1000.0


def _number(value, name, exc) -> float:
    if isinstance(value, bool):
        raise exc(f"{name} must be a number, got {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise exc(f"{name} must be a number, got {value!r}.") from None


def check_finite(value, /, *, name: str, exc=ValueError) -> float:
    """Return *value* as a float; raise *exc* naming *name* if it is not a finite number.

    >>> check_finite(float("nan"), name="Electrode('anode').potential")
    Traceback (most recent call last):
    ...
    ValueError: Electrode('anode').potential must be a finite number, got nan. Give a real value (NaN and inf are not inputs).
    """
    v = _number(value, name, exc)
    if not math.isfinite(v):
        raise exc(f"{name} must be a finite number, got {value!r}. Give a real value "
                  "(NaN and inf are not inputs).")
    return v


def check_nonnegative(value, /, *, name: str, exc=ValueError) -> float:
    """A finite number >= 0 (e.g. a ramp time)."""
    return check_positive(value, name=name, allow_zero=True, exc=exc)


def check_temperature(value, /, *, name: str = "temperature", exc=ValueError) -> float:
    """A temperature in kelvin: finite and in [200, 1000] K.

    Numbers are kelvin everywhere in ntransport; below 200 K no electrolyte of interest
    conducts, and a value like ``60`` is almost surely meant as 60 degC. Give a unit
    string in case files (``"60 degC"``, ``"150 K"``) to be explicit.
    """
    v = _number(value, name, exc)
    if not math.isfinite(v) or v <= 0:
        raise exc(f"{name} must be a finite absolute temperature in kelvin (> 0 K), got "
                  f"{value!r}. Write e.g. 298.15 or '25 degC'.")
    if v < TEMPERATURE_MIN_K:
        raise exc(f"{name} = {v:g} K is below {TEMPERATURE_MIN_K:g} K; numbers are "
                  f"kelvin, so this is almost surely meant in degC: write '{v:g} degC' "
                  f"(= {v + 273.15:g} K), or '{v:g} K' with the unit if you really mean "
                  "kelvin.")
    if v > TEMPERATURE_MAX_K:
        raise exc(f"{name} = {v:g} K is above {TEMPERATURE_MAX_K:g} K, beyond where any "
                  "electrolyte is measured or operated (an Arrhenius law extrapolated there "
                  "means nothing); check the value and its unit.")
    return v


def check_transfer_coefficients(alpha_a, alpha_c, /, *, name: str = "", exc=ValueError):
    """Butler-Volmer transfer coefficients: finite, in [0, 1], not both zero.

    Returns ``(alpha_a, alpha_c)`` as floats. Negative values turn the kinetics around
    (an anodic overpotential would give a cathodic current); both zero give no current;
    above 1 is beyond a one-electron reaction (Li+ + e- = Li): alpha_c = 5e5 passed a
    deposition case's check and no Newton converged.
    """
    pre = f"{name}." if name else ""
    out = []
    for key, a in (("alpha_a", alpha_a), ("alpha_c", alpha_c)):
        v = check_finite(a, name=pre + key, exc=exc)
        if v < 0:
            raise exc(f"{pre}{key} must be >= 0 (a transfer coefficient, usually 0.5), got "
                      f"{a!r}. A negative value reverses the direction of the kinetics.")
        if v > 1:
            raise exc(f"{pre}{key} must be <= 1 (a transfer coefficient of the one-electron "
                      f"Li+/Li reaction, usually 0.5), got {a!r}.")
        out.append(v)
    if out[0] + out[1] <= 0:
        raise exc(f"{pre}alpha_a and {pre}alpha_c are both 0: the electrode would pass no "
                  "current at any overpotential. Use e.g. alpha_a = alpha_c = 0.5.")
    return tuple(out)


def check_distinct(names, /, *, what: str, hint: str = "each must be different",
                   exc=ValueError) -> list:
    """Raise *exc* if a name appears twice (e.g. two electrodes on one boundary)."""
    seen, dup = set(), []
    names = list(names)
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    if dup:
        raise exc(f"{what}: {dup[0]!r} is given {names.count(dup[0])} times in {names}; "
                  f"{hint}.")
    return names


def check_times(times, /, *, duration: float, name: str = "snapshots", exc=ValueError,
                rtol: float = 1e-9) -> list[float]:
    """Sorted output times, each finite and in ``[0, duration]``.

    A study must not silently extend a run to reach a snapshot later than its duration
    (or pretend to report one before its start).
    """
    d = check_finite(duration, name="duration", exc=exc)
    out = []
    try:
        items = list(times)
    except TypeError:
        raise exc(f"{name} must be a list of times, got {times!r}.") from None
    for i, t in enumerate(items):
        v = check_finite(t, name=f"{name}[{i}]", exc=exc)
        if v < -rtol * abs(d) or v > d * (1 + rtol):
            raise exc(f"{name}[{i}] = {v:g} s lies outside the run [0, {d:g} s]; give times "
                      f"between 0 and the duration, or lengthen the duration to {v:g} s.")
        out.append(min(max(v, 0.0), d))
    return sorted(out)


# ---------------------------------------------------------------- names that become paths
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+@=-]{0,119}$")


def safe_name_hint(name) -> str:
    """A safe file name derived from *name* (what :func:`check_safe_name` suggests)."""
    s = str(name).replace("%", "pc").replace("/", "-").replace("\\", "-")
    s = re.sub(r"[^A-Za-z0-9_.+@=-]+", "_", s).strip("._-") or "x"
    while ".." in s:
        s = s.replace("..", ".")
    return s[:120]


def check_safe_name(name, /, *, what: str = "name", exc=None) -> str:
    """Return *name* if it is safe as a file name, else raise :class:`SecurityError`.

    Safe: letters, digits and ``_ . + @ = -``; not starting with ``.``, ``-``, ``+``...;
    no path separators, no ``..``, at most 120 characters. Names from case files (case
    keys, study names, artifact names) become output file names; anything else could
    write outside the output folder (``../../x``, ``/etc/x``) or hide a file (``.x``).
    """
    s = name if isinstance(name, str) else None
    if s is None or not _SAFE_NAME.match(s) or ".." in s:
        raise (exc or SecurityError)(
            f"{what} {name!r} cannot be used as a file name: use letters, digits and "
            "'_ . + @ = -' only (no '/', '\\', '..', spaces or a leading dot), at most 120 "
            f"characters -- e.g. {safe_name_hint(name)!r}.")
    return s
