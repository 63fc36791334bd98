"""`Solution`: the one result type of every ntransport model.

A solution is a sequence of *frames* -- the fields at one time on one mesh -- plus
scalar *histories* (cell voltage, current, conservation error, interface position per
step) and *scalars* (effective conductivity, ASR, per-region voltage losses). A steady
model has one frame; a remeshing run (ALE deposition) has frames on several meshes.

Every field and scalar is keyed by its name **with its unit**: ``"c_Li+ [mol m-3]"``,
``"phi [V]"``, ``"N_Li+ migration [mol m-2 s-1]"``. Lookups accept the full key or the
bare name (``sol["phi"]``). Values are SI. A NaN or inf anywhere raises
:class:`~ntransport.errors.ResultError` when the solution is built -- a bad number never
reaches a file or a figure.

>>> sol["phi [V]"]                   # the latest frame's nodal potential  # doctest: +SKIP
>>> sol.at(0.5)["c_Li+"]             # interpolated in time               # doctest: +SKIP
>>> sol.series("c_Li+")              # (ntimes, nnodes) on a fixed mesh     # doctest: +SKIP
>>> sol.history("V_cell [V]")        # one value per recorded step          # doctest: +SKIP
>>> sol.to_pvd("out/run")            # ParaView time series, region names   # doctest: +SKIP
>>> ds = sol.to_xarray(); Solution.from_xarray(ds)                        # doctest: +SKIP
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .errors import ResultError, suggest

__all__ = ["Solution", "Frame", "split_key", "check_finite"]

_KEY = re.compile(r"^(?P<name>[^\[\]]+?) \[(?P<unit>[^\[\]]*)\]$")


def split_key(key: str) -> tuple[str, str]:
    """``"c_Li+ [mol m-3]" -> ("c_Li+", "mol m-3")``; raises ResultError without a unit."""
    m = _KEY.match(str(key))
    if not m:
        raise ResultError(f"field key {key!r} must be 'name [unit]' (use '[1]' for a "
                          "dimensionless quantity), e.g. 'phi [V]'.")
    return m["name"], m["unit"]


def check_finite(key: str, values, *, where: str = "") -> np.ndarray:
    """Return *values* as an array; raise ResultError naming *key* if any is NaN/inf."""
    a = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(a)):
        bad = int(np.sum(~np.isfinite(a)))
        raise ResultError(f"{where}{key!r} holds {bad} non-finite value(s) (NaN/inf) of "
                          f"{a.size}: the computation that produced it failed silently; "
                          "check its inputs (zero or negative conductivities, a degenerate "
                          "mesh, a time step too large).")
    return a


def _frozen(d: Mapping | None, n: int | None, where: str) -> Mapping:
    out = {}
    for k, v in (d or {}).items():
        split_key(k)
        a = check_finite(k, v, where=where)
        if n is not None and a.shape[0] != n:
            a = a.T if a.ndim == 2 and a.shape[1] == n else a
            if a.shape[0] != n:
                raise ResultError(f"{where}{k!r} has shape {np.shape(v)}; expected {n} rows "
                                  "(one per node or element).")
        a = np.ascontiguousarray(a)
        a.setflags(write=False)
        out[k] = a
    return MappingProxyType(out)


def _lookup(keys, key: str, what: str) -> str:
    if key in keys:
        return key
    hits = [k for k in keys if split_key(k)[0] == key]
    if len(hits) == 1:
        return hits[0]
    names = [split_key(k)[0] for k in keys]
    raise KeyError(f"{what}: no field {key!r}.{suggest(key, names + list(keys))}")


@dataclass(frozen=True)
class Frame:
    """Fields at time ``t`` on ``domain`` (point data per node, cell data per element)."""

    t: float
    domain: object
    point_data: Mapping = field(default_factory=dict)
    cell_data: Mapping = field(default_factory=dict)

    def __post_init__(self):
        m = self.domain.mesh
        object.__setattr__(self, "t", float(self.t))
        where = f"frame at t = {self.t:g} s: "
        object.__setattr__(self, "point_data", _frozen(self.point_data, m.nvertices, where))
        object.__setattr__(self, "cell_data", _frozen(self.cell_data, m.nelements, where))
        both = set(self.point_data) & set(self.cell_data)
        if both:
            raise ResultError(f"{where}{sorted(both)} given both as point and cell data.")

    @property
    def keys(self) -> list[str]:
        return [*self.point_data, *self.cell_data]

    def __getitem__(self, key: str) -> np.ndarray:
        k = _lookup(self.keys, key, f"frame at t = {self.t:g} s")
        return self.point_data[k] if k in self.point_data else self.cell_data[k]

    def __contains__(self, key: str) -> bool:
        try:
            _lookup(self.keys, key, "")
        except KeyError:
            return False
        return True


class Solution:
    """Frames (times x named fields with units) + scalar histories + scalars.

    Parameters
    ----------
    frames : sequence of Frame
        In increasing time; one frame for a steady model.
    histories : mapping key -> 1D array, optional
        Per-step scalar records; must contain ``"t [s]"`` and equal lengths.
    scalars : mapping key -> float or mapping region -> float, optional
        Derived numbers (``"sigma_eff [S/m]"``; ``"voltage_loss [V]": {"LLZO": ...}``).
    model : str
        What produced it (``"conduction"``, ``"npp"``, ``"deposition"``, ``"phasefield"``).
    info : mapping, optional
        JSON-serialisable metadata (parameters, solver record).
    """

    def __init__(self, frames: Sequence[Frame], *, histories: Mapping | None = None,
                 scalars: Mapping | None = None, model: str = "", info: Mapping | None = None):
        frames = tuple(frames)
        if not frames:
            raise ResultError("a Solution needs at least one frame.")
        ts = [f.t for f in frames]
        if any(b < a for a, b in zip(ts, ts[1:])):
            raise ResultError(f"frame times must not decrease, got {ts}.")
        self.frames = frames
        doms = []
        for f in frames:
            if not any(f.domain is d for d in doms):
                doms.append(f.domain)
        self.domains = tuple(doms)
        self.model = str(model)
        self.info = MappingProxyType(dict(info or {}))
        h = {}
        if histories:
            n = None
            for k, v in histories.items():
                split_key(k)
                a = check_finite(k, v, where="history ")
                if a.ndim != 1 or (n is not None and a.size != n):
                    raise ResultError(f"history {k!r} must be 1D with one value per record "
                                      f"({n}), got shape {a.shape}.")
                n = a.size
                a.setflags(write=False)
                h[k] = a
            if "t [s]" not in h:
                raise ResultError(f"histories need a 't [s]' column, got {sorted(h)}.")
        self.histories = MappingProxyType(h)
        sc = {}
        for k, v in (scalars or {}).items():
            split_key(k)
            if isinstance(v, Mapping):
                sc[k] = MappingProxyType({r: float(check_finite(f"{k} ({r})", x, where="scalar "))
                                          for r, x in v.items()})
            else:
                sc[k] = float(check_finite(k, v, where="scalar "))
        self.scalars = MappingProxyType(sc)
        if type(self) is Solution:
            self._lock()

    def _lock(self):
        """Make the attributes read-only (subclasses call it at the end of __init__)."""
        object.__setattr__(self, "_locked", True)

    def __setattr__(self, name, value):
        if self.__dict__.get("_locked"):
            raise AttributeError(f"Solution attributes are read-only (tried to set {name!r}).")
        object.__setattr__(self, name, value)

    # ----------------------------------------------------------------- access
    def __repr__(self):
        t = self.times
        span = f"t = {t[0]:g}..{t[-1]:g} s, " if len(t) > 1 else ""
        return (f"Solution({self.model or 'model'}: {len(self.frames)} frame(s), {span}"
                f"{len(self.domains)} mesh(es), fields {self.keys})")

    @property
    def domain(self):
        """The (last) mesh's Domain."""
        return self.frames[-1].domain

    @property
    def times(self) -> np.ndarray:
        return np.array([f.t for f in self.frames])

    @property
    def steady(self) -> bool:
        return len(self.frames) == 1

    @property
    def keys(self) -> list[str]:
        return self.frames[-1].keys

    def __getitem__(self, key: str) -> np.ndarray:
        """The latest frame's values of field *key* (full key or bare name)."""
        return self.frames[-1][key]

    def __contains__(self, key: str) -> bool:
        return key in self.frames[-1]

    def unit(self, key: str) -> str:
        return split_key(_lookup(self.keys, key, "Solution"))[1]

    def series(self, key: str) -> np.ndarray:
        """Field *key* at every frame, shape (ntimes, n[, k]); fixed-mesh solutions only."""
        if len(self.domains) > 1:
            raise ResultError("series() needs one mesh; this solution was remeshed "
                              f"{len(self.domains) - 1} time(s): use sol.frames or sol.at(t).")
        return np.stack([f[key] for f in self.frames])

    def history(self, key: str) -> np.ndarray:
        return self.histories[_lookup(list(self.histories), key, "history")]

    def scalar(self, key: str):
        return self.scalars[_lookup(list(self.scalars), key, "scalar")]

    def at(self, t: float) -> Frame:
        """The fields at time *t*, linear in time between the two neighbouring frames on
        the same mesh (across a remesh: the frame just before *t*'s remesh)."""
        ts = self.times
        t = float(t)
        if not (ts[0] - 1e-12 * max(1.0, abs(ts[0])) <= t <= ts[-1] * (1 + 1e-12) + 1e-300):
            raise ValueError(f"at(t): t = {t!r} s lies outside the solution's times "
                             f"[{ts[0]:g}, {ts[-1]:g}] s.")
        k = int(np.searchsorted(ts, t, side="right")) - 1
        k = min(max(k, 0), len(ts) - 1)
        a = self.frames[k]
        if k == len(ts) - 1 or a.t == t:
            return a
        b = self.frames[k + 1]
        if b.domain is not a.domain:
            return a
        w = (t - a.t) / (b.t - a.t)
        mix = lambda x, y: {key: (1 - w) * x[key] + w * y[key] for key in x if key in y}
        return Frame(t, a.domain, mix(a.point_data, b.point_data), mix(a.cell_data, b.cell_data))

    # ----------------------------------------------------------------- output
    def summary(self, case: str = ""):
        """The scalars as a :class:`~ntransport.io.tables.SummaryTable` in the units
        researchers quote (mS/cm, ohm cm2, mA/cm2, um, h)."""
        from .io.tables import SummaryTable

        table = SummaryTable()
        for k, v in self.scalars.items():
            name, unit = split_key(k)
            if isinstance(v, Mapping):
                for region, x in v.items():
                    table = table.add_si(case or self.model, name, x, unit, region=region)
            else:
                table = table.add_si(case or self.model, name, v, unit)
        return table

    def plot(self, names: str | Sequence[str], *, t: float | None = None, **kwargs):
        """Maps of the fields *names* at time *t* (default: last frame) in the house style;
        returns a matplotlib Figure."""
        from .io.style import plot_fields

        frame = self.frames[-1] if t is None else self.at(t)
        names = [names] if isinstance(names, str) else list(names)
        return plot_fields(frame, names, **kwargs)

    def to_pvd(self, folder, *, name: str = "solution", length_unit: str = "m"):
        """Write every frame as a ParaView time series ``folder/name.pvd``; returns its path.
        Subdomain names are stored in each file (field data ``subdomain_names``)."""
        from .io.vtk import PVDWriter

        with PVDWriter(f"{folder}/{name}.pvd", length_unit=length_unit) as pvd:
            for f in self.frames:
                pvd.add(f.t, f.domain, point_data=f.point_data, cell_data=f.cell_data)
        return pvd.path

    def to_vtu(self, path, *, length_unit: str = "m"):
        """Write the last frame as one ``.vtu`` file; returns its path."""
        from .io.vtk import write_vtu

        f = self.frames[-1]
        return write_vtu(path, f.domain, point_data=f.point_data, cell_data=f.cell_data,
                         length_unit=length_unit)

    def to_xarray(self):
        """An :class:`xarray.Dataset`: one variable per field (dims ``time``, ``node`` or
        ``cell``, and ``component`` for vectors; ``units`` in the attributes), the meshes
        (``points``, ``cells``, ``region``, named facets) and the histories. Remeshed
        solutions get one set of dims per mesh (``time_1``, ``node_1``...)."""
        import xarray as xr

        vars_, coords = {}, {}
        attrs = {"model": self.model, "n_meshes": len(self.domains),
                 "info": json.dumps(_jsonable(dict(self.info))),
                 "scalars": json.dumps({k: dict(v) if isinstance(v, Mapping) else v
                                        for k, v in self.scalars.items()})}
        for m, dom in enumerate(self.domains):
            sfx = "" if m == 0 else f"_{m}"
            fr = [f for f in self.frames if f.domain is dom]
            coords[f"time{sfx}"] = ("time" + sfx, np.array([f.t for f in fr]))
            vars_[f"points{sfx}"] = (("node" + sfx, "xyz"), dom.mesh.p.T.copy())
            vars_[f"cells{sfx}"] = (("cell" + sfx, "vertex"), dom.mesh.t.T.copy())
            vars_[f"region{sfx}"] = (("cell" + sfx,), np.asarray(dom.region))
            attrs[f"region_names{sfx}"] = json.dumps(list(dom.region_names))
            attrs[f"info{sfx}"] = json.dumps(_jsonable(dict(dom.info)))
            bnames = []
            for i, (bname, facets) in enumerate(dom.boundaries.items()):
                if "|" in bname:  # interfaces are rebuilt from the regions
                    continue
                nodes = dom.mesh.facets[:, facets].T
                vars_[f"facets{sfx}_{len(bnames)}"] = ((f"facet{sfx}_{len(bnames)}", "fvertex"), nodes)
                bnames.append(bname)
            attrs[f"boundary_names{sfx}"] = json.dumps(bnames)
            for key in fr[0].keys:
                name, unit = split_key(key)
                where = "node" if key in fr[0].point_data else "cell"
                data = np.stack([f[key] for f in fr])
                dims = ("time" + sfx, where + sfx) + ((f"component{data.shape[2]}",)
                                                     if data.ndim == 3 else ())
                vars_[name + sfx] = (dims, data, {"units": unit, "key": key, "location": where})
        for key, v in self.histories.items():
            name, unit = split_key(key)
            vars_["history:" + name] = (("record",), v, {"units": unit, "key": key})
        return xr.Dataset(vars_, coords=coords, attrs=attrs)

    @classmethod
    def from_xarray(cls, ds) -> "Solution":
        """Rebuild a Solution written by :meth:`to_xarray`."""
        from .geometry.domain import Domain

        frames = []
        for m in range(int(ds.attrs["n_meshes"])):
            sfx = "" if m == 0 else f"_{m}"
            names = json.loads(ds.attrs[f"region_names{sfx}"])
            region = np.asarray(ds[f"region{sfx}"].values)
            groups = {n: np.nonzero(region == k)[0] for k, n in enumerate(names)}
            facets = {b: np.asarray(ds[f"facets{sfx}_{i}"].values)
                      for i, b in enumerate(json.loads(ds.attrs[f"boundary_names{sfx}"]))}
            dom = Domain.from_arrays(np.asarray(ds[f"points{sfx}"].values),
                                     np.asarray(ds[f"cells{sfx}"].values), groups, facets)
            info = json.loads(ds.attrs.get(f"info{sfx}", "{}"))
            if info:
                dom = dom.with_info(**info)
            fields = [v for v in ds.data_vars if "key" in ds[v].attrs
                      and ds[v].dims and ds[v].dims[0] == "time" + sfx]
            for i, t in enumerate(np.asarray(ds["time" + sfx].values)):
                pd_ = {ds[v].attrs["key"]: np.asarray(ds[v].values[i]) for v in fields
                       if ds[v].attrs["location"] == "node"}
                cd_ = {ds[v].attrs["key"]: np.asarray(ds[v].values[i]) for v in fields
                       if ds[v].attrs["location"] == "cell"}
                frames.append(Frame(float(t), dom, pd_, cd_))
        frames.sort(key=lambda f: f.t)
        hist = {ds[v].attrs["key"]: np.asarray(ds[v].values) for v in ds.data_vars
                if str(v).startswith("history:")}
        return cls(frames, histories=hist or None, scalars=json.loads(ds.attrs["scalars"]),
                   model=ds.attrs["model"], info=json.loads(ds.attrs["info"]))


def _jsonable(obj):
    """A JSON-safe copy of *obj* (arrays to lists, unknown objects to their repr)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist() if obj.size <= 10_000 else f"<array {obj.shape}>"
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return repr(obj)
