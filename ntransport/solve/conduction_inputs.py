r"""Inputs of :func:`ntransport.solve.conduction.solve_conduction`, checked and converted.

Per-element conductivity from a per-subdomain specification (numbers, Materials or
functions of position), interface conductances by interface name, the drive (voltage
*or* current) and the electrode pair. Each function returns SI values or raises a
:class:`~ntransport.errors.MaterialError` / :class:`~ntransport.errors.ConfigError` that
names the argument, shows what was received and says how to fix it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError, MaterialError, unknown_name
from ..geometry.domain import interface_name

__all__ = ["element_conductivity", "interface_values", "check_drive", "check_electrodes"]


def _check_sigma(arr, where):
    bad = ~np.isfinite(arr) | (arr <= 0)
    if np.any(bad):
        v = float(arr[bad][0])
        count = f" ({int(bad.sum())} of {arr.size} elements)" if 1 < bad.sum() < arr.size else ""
        raise MaterialError(
            f"conductivity of {where} must be finite and > 0 S/m, got {v!r}{count}. Give a "
            "positive number in S/m (e.g. 0.036 for 0.36 mS/cm), a Material, or a function of "
            "position returning positive values."
        )
    return arr


def _value_of(spec, x, temperature, where):
    """Conductivity of one subdomain at element centroids *x* (dim, n), or a function
    returning them (called only for a callable *spec*)."""
    n = x.n if isinstance(x, _Points) else x.shape[1]
    if hasattr(spec, "conductivity"):
        val = spec.conductivity(temperature)
    elif callable(spec):
        if isinstance(x, _Points):
            x = x()
        val = spec(x)
    elif isinstance(spec, (int, float, np.floating, np.integer)) and not isinstance(spec, bool):
        val = float(spec)
    else:
        raise MaterialError(
            f"conductivity of {where} must be a number [S/m], a Material or a callable of "
            f"position, got {type(spec).__name__} {spec!r}."
        )
    try:
        val = np.broadcast_to(np.asarray(val, dtype=float), (n,))
    except ValueError:
        raise MaterialError(
            f"conductivity of {where}: a callable must return one value per point of x "
            f"(shape (dim, n) -> (n,)), got shape {np.shape(val)} for n = {n}."
        ) from None
    return _check_sigma(val, where)


def element_conductivity(domain, conductivity, *, temperature=None) -> np.ndarray:
    """Conductivity of every element [S/m] from a per-subdomain specification.

    Parameters
    ----------
    domain : Domain
    conductivity : mapping, Material, callable or number
        Mapping subdomain name -> number [S/m], Material (anything with
        ``.conductivity(T)``) or callable of position; or one such value for the
        whole domain. Callables get element centroids ``x`` of shape (dim, n) and
        return n values (a one-point rule: the field is taken constant per element).
    temperature : float, optional
        Temperature [K] passed to Material-like values.
    """
    mesh = domain.mesh
    # element centroids, only when a callable needs them (0.3-0.8 s at 1 M tetrahedra)
    x = _Centroids(mesh)
    sigma = np.empty(mesh.nelements)
    if not isinstance(conductivity, Mapping):
        return _value_of(conductivity, _Points(x.all, mesh.nelements), temperature,
                         "the domain").copy()
    for name in conductivity:
        if name not in domain.region_names:
            raise unknown_name("subdomain", name, domain.region_names)
    missing = [n for n in domain.region_names if n not in conductivity]
    if missing:
        raise MaterialError(
            f"conductivity is missing for subdomain(s) {missing}; the domain has "
            f"{list(domain.region_names)}. Give a value for each."
        )
    for k, name in enumerate(domain.region_names):
        idx = np.nonzero(domain.region == k)[0]
        sigma[idx] = _value_of(conductivity[name], _Points(lambda idx=idx: x.of(idx), idx.size),
                               temperature, f"subdomain {name!r}")
    return sigma


class _Points:
    """``n`` points computed by ``get()`` when first needed."""

    def __init__(self, get, n):
        self._get, self.n = get, int(n)

    def __call__(self):
        return self._get()


class _Centroids:
    """Element centroids of a mesh, computed on first use."""

    def __init__(self, mesh):
        self._mesh = mesh
        self._x = None

    def all(self):
        if self._x is None:
            p, t = self._mesh.p, self._mesh.t
            self._x = sum(p[:, t[i]] for i in range(t.shape[0])) / t.shape[0]
        return self._x

    def of(self, idx):
        return self.all()[:, idx]


def interface_values(domain, interface_conductance) -> dict[str, float]:
    if not interface_conductance:
        return {}
    if not isinstance(interface_conductance, Mapping):
        raise ConfigError(
            "interface_conductance must map interface names like 'a|b' to S/m2, got "
            f"{type(interface_conductance).__name__}."
        )
    out = {}
    for key, g in interface_conductance.items():
        parts = str(key).split("|")
        name = interface_name(*parts) if len(parts) == 2 else str(key)
        if name not in domain.interfaces:
            raise unknown_name("interface", str(key), domain.interfaces)
        gv = float(g)
        if not (math.isfinite(gv) and gv > 0):
            raise MaterialError(
                f"interface_conductance of {name!r} must be finite and > 0 S/m2, got {g!r} "
                "(a perfectly conducting interface needs no entry)."
            )
        out[name] = gv
    return out


def check_drive(voltage, current):
    if (voltage is None) == (current is None):
        raise ConfigError(
            "give exactly one of voltage (anode minus cathode potential, V) or current (total "
            f"current from anode to cathode; A, or A/m in 2D), got voltage={voltage!r}, "
            f"current={current!r}."
        )
    name, value = ("voltage", voltage) if voltage is not None else ("current", current)
    v = float(value)
    if not math.isfinite(v) or v == 0:
        raise ConfigError(f"{name} must be finite and non-zero, got {value!r}.")
    return name, v


def check_electrodes(domain, electrodes):
    if isinstance(electrodes, str) or len(electrodes) != 2 or electrodes[0] == electrodes[1]:
        raise ConfigError(
            f"electrodes must be two different boundary names (anode, cathode), got {electrodes!r}."
        )
    for e in electrodes:
        if e not in domain.boundaries:
            raise unknown_name("electrode boundary", e, domain.boundaries)
        if domain.boundaries[e].size == 0:
            raise ConfigError(f"electrode boundary {e!r} has no facets.")
    return tuple(electrodes)
