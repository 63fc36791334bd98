"""The "conduction" study kind: steady Ohmic conduction through one or more geometries.

Case file (YAML), every quantity with units::

    study: conduction
    title: PEO vs PLM
    physics:                        # shared; a case may override any key
      temperature: 60 degC
      current_density: 0.5 mA/cm^2  # or voltage: 10 mV
    outputs: {vtu: true, figures: [potential_map, current_map, profile]}
    cases:
      PLM:
        geometry:
          type: layered_stack       # | particle_composite | mesh_file
          width: 20 um
          layers: [{name: MOF, thickness: 3 um}, {name: PE, thickness: 7 um}]
        materials:
          MOF: Li-IL@MOF                              # library name
          PE: {library: PE/PEO, conductivity: 0.2 mS/cm}   # library + overrides
          # or fully inline: {conductivity: 0.1 mS/cm, transference: 0.4}

A single-case file may put ``geometry`` and ``materials`` at the top level instead of
``cases``. The runner solves every case with :func:`ntransport.solve_conduction` and
writes, into the output folder: ``<case>.vtu``, ``<case>_potential.png``,
``<case>_current.png`` (and ``<case>_streamlines.png`` if asked), one
``potential_profile.png`` with the potential along the anode-to-cathode centre line of
every case (layer interfaces dashed) and its data ``potential_profile.csv``, and the
tidy ``summary.csv``.

Per case the summary holds the effective conductivity, area-specific resistance,
current density, voltage, and per subdomain the conductivity used, volume fraction,
current share and **voltage loss**

.. math:: \\Delta V_i = \\frac{1}{I}\\int_{\\Omega_i} \\frac{|j|^2}{\\sigma}\\,dV,

the Joule dissipation in subdomain *i* per unit current (for layers in series, the
potential drop across the layer); the losses sum to the applied voltage, any rest
being dissipated on resistive interfaces (reported as region ``interfaces``); computed by
:func:`ntransport.post.losses.voltage_losses`.

**Thickness sweep** (optional ``thickness_sweep:``): the layer ``layer`` of the
layered-stack case ``case`` is resized to each of ``thicknesses`` and solved again (same
mesh rules, same drive); the area-specific resistance :math:`ASR(L)` and the voltage loss
:math:`i \\cdot ASR(L)` at the case's current density are tabulated (``thickness_sweep.csv``)
and plotted against the ASR of the reference case ``against``. The ASR of a layer stack is a
series sum, linear in L, so the **crossover thickness** -- where the swept case loses as
much as the reference -- follows from the line through the sweep points,
:math:`L^* = L_0 + (ASR_{ref} - ASR(L_0))/(dASR/dL)`; for a single layer of
conductivity :math:`\\sigma` against a stack of thickness :math:`L_{ref}` and effective
conductivity :math:`\\sigma_{ref}` it is :math:`L^* = L_{ref}\\,\\sigma/\\sigma_{ref}`.
"""
from __future__ import annotations

import dataclasses
import inspect
import logging
from pathlib import Path

import numpy as np

from ..config import Either, ListOf, MapOf, Name, Quantity, Section, Tagged, Value
from ..errors import ConfigError, GeometryError, MaterialError, MeshError, suggest
from ..io.tables import SummaryTable
from ..post.losses import voltage_losses
from ..post.profiles import centre_line_profile
from .registry import register_study

__all__ = ["SCHEMA", "build_geometry", "resolve_materials", "resolve_material",
           "run_conduction", "check_conduction"]

log = logging.getLogger(__name__)

FIGURES = ("potential_map", "current_map", "profile", "streamlines", "voltage_loss")

LAYER = Section({"name": Value(str), "thickness": Quantity("length", positive=True)})

GEOMETRY = Tagged({
    "layered_stack": Section({
        "width": Quantity("length", positive=True),
        "depth": Quantity("length", default=None, positive=True, doc="3D if given"),
        "layers": ListOf(LAYER, min_len=1, doc="from the anode up; repeated names share a "
                                                "subdomain"),
        "mesh_size": Quantity("length", default=None, positive=True),
        "min_elements_across": Value(int, default=None),
    }),
    "particle_composite": Section({
        "box": ListOf(Quantity("length", positive=True), min_len=2, max_len=3),
        "volume_fraction": Value(float, default=None),
        "radius": Quantity("length", default=None, positive=True),
        "seed": Value(int, default=0, minimum=0),
        "centers": ListOf(ListOf(Quantity("length"), min_len=2, max_len=3), default=None),
        "radii": ListOf(Quantity("length", positive=True), default=None),
        "shell_thickness": Quantity("length", default=None, positive=True),
        "overlap": Value(bool, default=False),
        "aspect_ratio": Value(float, default=1.0),
        "gap": Quantity("length", default=None, nonnegative=True),
        "mesh_size": Quantity("length", default=None, positive=True),
        "split": Value(int, default=0, doc="mesh at 2^split x mesh_size, then split every "
                                           "element split times (same size, faster)"),
        "matrix": Value(str, default="matrix"),
        "particles": Value(str, default="particles"),
        "interphase": Value(str, default="interphase"),
    }),
    "host_guest": Section({
        "architecture": Value(str, choices=("ceramic-in-polymer", "polymer-in-ceramic")),
        "box": ListOf(Quantity("length", positive=True), min_len=2, max_len=3, default=None),
        "volume_fraction": Value(float, default=None),
        "radius": Quantity("length", default=None, positive=True),
        "seed": Value(int, default=0, minimum=0),
        "shell_thickness": Quantity("length", default=None, positive=True),
        "overlap": Value(bool, default=False),
        "mesh_size": Quantity("length", default=None, positive=True),
        "polymer": Value(str, default=None),
        "ceramic": Value(str, default=None),
        "interphase": Value(str, default=None),
    }),
    "mesh_file": Section({
        "path": Value(str),
        "unit": Value(str, default="m", choices=("m", "mm", "um", "nm")),
    }),
})

MATERIAL = Either(
    Value(str),
    Section({
        "library": Value(str, default=None, doc="a parameter set from ntransport.materials"),
        "conductivity": Quantity("conductivity", default=None, positive=True,
                                 doc="at T_ref"),
        "T_ref": Quantity("temperature", default=None, positive=True),
        "activation_energy": Quantity("molar_energy", default=None, nonnegative=True),
        "transference": Value(float, default=None),
        "salt_concentration": Quantity("concentration", default=None, positive=True),
        "permittivity": Value(float, default=None),
        "citation": Value(str, default=None),
        "note": Value(str, default=None),
    }),
)

_PHYSICS_FIELDS = {
    "temperature": Quantity("temperature", default=298.15, positive=True),
    "voltage": Quantity("voltage", default=None, doc="anode minus cathode potential"),
    "current_density": Quantity("current_density", default=None,
                                doc="mean current density through the anode"),
    "electrodes": ListOf(Value(str), default=["anode", "cathode"], min_len=2, max_len=2,
                         unique=True, doc="two electrodes cannot share one boundary"),
    "interface_conductance": MapOf(Quantity("conductance_area", positive=True), default={}),
    "solver": Value(str, default="auto", choices=("auto", "direct", "amg", "cg")),
    "order": Value(int, default=None, choices=(1, 2),
                   doc="polynomial degree; default: 1 in 2D, 2 (quadratic) in 3D"),
    "rtol": Value(float, default=None, doc="target relative error of sigma_eff: refine "
                                           "until the Richardson estimate is below it"),
}
PHYSICS = Section(_PHYSICS_FIELDS, default={}, exclusive=(("voltage", "current_density"),))
# per-case override: same keys, nothing filled in
PHYSICS_OVERRIDE = Section({k: dataclasses.replace(v, default=None)
                            for k, v in _PHYSICS_FIELDS.items()}, default=None,
                           exclusive=(("voltage", "current_density"),))

CASE = Section({
    "geometry": GEOMETRY,
    "materials": MapOf(MATERIAL, min_len=1),
    "physics": PHYSICS_OVERRIDE,
    "label": Value(str, default=None, doc="legend label (default: the case name)"),
})

OUTPUTS = Section({
    "vtu": Value(bool, default=True),
    "figures": ListOf(Value(str, choices=FIGURES), default=["potential_map", "current_map",
                                                            "profile", "voltage_loss"]),
    "profile_points": Value(int, default=400),
}, default={})

SWEEP = Section({
    "case": Value(str, doc="the case whose layer thickness is swept (a layered_stack)"),
    "layer": Value(str, doc="the layer of that case to resize"),
    "thicknesses": ListOf(Quantity("length", positive=True), min_len=2),
    "against": Value(str, doc="the reference case (its ASR is the crossover line)"),
}, default=None)

SCHEMA = Section({
    "title": Value(str, default=""),
    "description": Value(str, default=""),
    "physics": PHYSICS,
    "outputs": OUTPUTS,
    "cases": MapOf(CASE, default=None, min_len=1, keys=Name()),  # keys name output files
    "geometry": Tagged(GEOMETRY.variants, default=None),
    "materials": MapOf(MATERIAL, default=None, min_len=1),
    "thickness_sweep": SWEEP,
})


# ------------------------------------------------------------------ seams (tests patch)
def _builder(kind: str):
    """The geometry builder function for *kind* (imported lazily)."""
    import importlib
    import pkgutil

    from .. import geometry

    fn = getattr(geometry, kind, None)
    if fn is None:  # not exported (yet): look in the geometry submodules
        for info in pkgutil.iter_modules(geometry.__path__):
            try:
                mod = importlib.import_module(f"{geometry.__name__}.{info.name}")
            except ImportError:
                continue
            if callable(getattr(mod, kind, None)):
                fn = getattr(mod, kind)
                break
    if fn is None:
        raise ConfigError(
            f"geometry type {kind!r} is not available in this installation of ntransport "
            f"(ntransport.geometry has no {kind!r})."
        )
    return fn


def _solver():
    from ..solve.conduction import solve_conduction

    return solve_conduction


def _accuracy(phys) -> dict:
    """order / rtol for solve_conduction, passed only when asked (older solvers)."""
    out = {}
    if phys.get("order") is not None:
        out["order"] = phys["order"]
    if phys.get("rtol") is not None:
        out["rtol"] = phys["rtol"]
    return out


# ------------------------------------------------------------------ geometry
def _call(fn, path: str, *args, **kwargs):
    """Call a builder with the non-None keyword options it accepts; clear errors."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for k in kwargs:
        if k not in params and not takes_any:
            raise ConfigError(f"{path}.{k}: not supported by {fn.__name__}() in this "
                              f"version.{suggest(k, [p for p in params if p != 'self'])}")
    try:
        return fn(*args, **kwargs)
    except (GeometryError, MeshError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def build_geometry(spec: dict, *, path: str = "geometry", base_dir: Path | None = None):
    """A :class:`~ntransport.geometry.Domain` from a validated geometry section."""
    kind = spec["type"]
    opts = {k: v for k, v in spec.items() if k != "type"}
    if kind == "layered_stack":
        layers = [(lay["name"], lay["thickness"]) for lay in opts.pop("layers")]
        return _call(_builder(kind), path, layers, **opts)
    if kind == "particle_composite":
        box = tuple(opts.pop("box"))
        if opts["centers"] is not None:
            opts["centers"] = np.asarray(opts["centers"], dtype=float)
        if opts["radii"] is not None:
            opts["radii"] = np.asarray(opts["radii"], dtype=float)
        opts = {k: v for k, v in opts.items() if not (k == "overlap" and v is False)}
        return _call(_builder(kind), path, box, **opts)
    if kind == "host_guest":
        arch = opts.pop("architecture")
        box = opts.pop("box")
        opts = {k: v for k, v in opts.items() if not (k == "overlap" and v is False)}
        args = (arch,) if box is None else (arch, tuple(box))
        return _call(_builder(kind), path, *args, **opts)
    if kind == "mesh_file":
        p = Path(opts["path"])
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        return _call(_builder("read_mesh"), path, p, unit=opts["unit"])
    raise ConfigError(f"{path}.type: unknown geometry type {kind!r}.")  # pragma: no cover


# ------------------------------------------------------------------ materials
def resolve_materials(spec: dict, domain, *, path: str = "materials") -> dict:
    """Subdomain name -> :class:`~ntransport.materials.Material` for every subdomain."""
    from .. import materials as lib

    names = list(domain.region_names)
    for key in spec:
        if key not in names:
            raise ConfigError(f"{path}: unknown subdomain {key!r}.{suggest(key, names)} "
                              f"(this geometry has subdomains {names})")
    missing = [n for n in names if n not in spec]
    if missing:
        raise ConfigError(f"{path}: no material given for subdomain(s) {missing}; add e.g. "
                          f"'{missing[0]}: PEO/LiTFSI' (library names: {lib.available()}).")
    return {key: resolve_material(spec[key], name=key, where=f"{path}.{key}") for key in names}


def resolve_material(entry, *, name: str, where: str):
    """One :data:`MATERIAL` entry (a library name, or a mapping with ``library`` and/or
    overrides) -> :class:`~ntransport.materials.Material` named *name* when built from
    scratch; errors name the case-file path *where*."""
    from .. import materials as lib

    try:
        if isinstance(entry, str):
            m = lib.get(entry)
        else:
            over = {("conductivity_ref" if k == "conductivity" else k): v
                    for k, v in entry.items() if v is not None and k != "library"}
            if entry["library"] is not None:
                m = lib.get(entry["library"])
                m = m.with_(**over) if over else m
            else:
                if "conductivity_ref" not in over:
                    raise ConfigError(f"{where}: give 'library' (a parameter set) or at "
                                      "least 'conductivity' (e.g. '0.1 mS/cm').")
                m = lib.Material(name=name, **over)
    except MaterialError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if not isinstance(m, lib.Material):
        raise ConfigError(f"{where}: {m.name!r} is a {type(m).__name__}, not an ion "
                          "conductor; choose an electrolyte parameter set.")
    return m


# ------------------------------------------------------------------ post-processing
def _layer_boundaries(spec) -> list[float]:
    if spec["type"] != "layered_stack":
        return []
    z = np.cumsum([lay["thickness"] for lay in spec["layers"]])
    return [float(v) for v in z[:-1]]


def _case_rows(name, spec, domain, mats, res, T) -> SummaryTable:
    tab = SummaryTable()
    i_mean = res.total_current / res.area
    tab = (tab.add(name, "temperature", T - 273.15, "°C")
              .add(name, "voltage", res.voltage, "V")
              .add_si(name, "current_density", i_mean, "A/m2")
              .add_si(name, "thickness", res.length, "m")
              .add_si(name, "effective_conductivity", res.effective_conductivity, "S/m")
              .add_si(name, "area_specific_resistance", res.voltage / i_mean, "ohm m2")
              .add(name, "n_elements", res.domain.mesh.nelements, "1")
              .add(name, "n_nodes", res.domain.mesh.nvertices, "1"))
    for key, q in (("sigma_eff_error_estimate [S/m]", "effective_conductivity_error_estimate"),
                   ("sigma_eff_extrapolated [S/m]", "effective_conductivity_extrapolated")):
        if key in res.scalars:
            tab = tab.add_si(name, q, res.scalars[key], "S/m")
    if "sigma_eff_relative_error_estimate [1]" in res.scalars:
        tab = tab.add(name, "effective_conductivity_relative_error_estimate",
                      res.scalars["sigma_eff_relative_error_estimate [1]"], "1")
    if spec["type"] == "layered_stack":
        series = res.length / sum(lay["thickness"] / mats[lay["name"]].conductivity(T)
                                  for lay in spec["layers"])
        tab = tab.add_si(name, "series_conductivity", series, "S/m")
        total = {}
        for lay in spec["layers"]:  # layers sharing a name form one subdomain
            total[lay["name"]] = total.get(lay["name"], 0.0) + lay["thickness"]
        for region, t in total.items():
            tab = tab.add_si(name, "layer_thickness", t, "m", region)
    fractions = domain.volume_fractions()
    phases = _host_and_guest(spec, domain)
    if phases is not None:
        tab = tab + _composite_bounds(name, phases, domain, mats, T, fractions)
    losses = voltage_losses(domain, res)
    for region in domain.region_names:
        tab = (tab.add_si(name, "conductivity", mats[region].conductivity(T), "S/m", region)
                  .add(name, "volume_fraction", fractions[region], "1", region)
                  .add(name, "current_share", res.current_share[region], "1", region)
                  .add(name, "voltage_loss", losses[region], "V", region)
                  .add(name, "voltage_loss_fraction", losses[region] / res.voltage, "1", region))
    if "interfaces" in losses:
        tab = tab.add(name, "voltage_loss", losses["interfaces"], "V", "interfaces")
    return tab


def _host_and_guest(spec, domain):
    """(matrix, inclusion) subdomain names of a two-phase composite, else None."""
    if len(domain.region_names) != 2:
        return None
    if spec["type"] == "particle_composite":
        return spec["matrix"], spec["particles"]
    if spec["type"] == "host_guest" and {"host", "guest"} <= set(domain.info):
        return domain.info["host"], domain.info["guest"]
    return None


def _composite_bounds(name, phases, domain, mats, T, fractions) -> SummaryTable:
    """Classical estimates for a two-phase composite at its realised fraction."""
    from ..post.effective import hashin_shtrikman_bounds, maxwell_garnett

    sm = mats[phases[0]].conductivity(T)
    sp = mats[phases[1]].conductivity(T)
    f = fractions[phases[1]]
    lo, hi = hashin_shtrikman_bounds(sm, sp, f, dim=domain.dim)
    return (SummaryTable()
            .add_si(name, "maxwell_garnett_conductivity",
                    maxwell_garnett(sm, sp, f, dim=domain.dim), "S/m")
            .add_si(name, "hashin_shtrikman_lower", lo, "S/m")
            .add_si(name, "hashin_shtrikman_upper", hi, "S/m"))


# ------------------------------------------------------------------ runner
def _merged_physics(top: dict, override: dict | None) -> dict:
    phys = dict(top)
    for k, v in (override or {}).items():
        if v is None:
            continue
        if k in ("voltage", "current_density"):
            phys["voltage"] = phys["current_density"] = None
        phys[k] = v
    return phys


def _cases(data) -> dict:
    if data["cases"] is not None:
        if data["geometry"] is not None or data["materials"] is not None:
            raise ConfigError("give either 'cases' (several geometries) or top-level "
                              "'geometry' + 'materials' (one case), not both.")
        from ..io.artifacts import distinct_slugs

        distinct_slugs(data["cases"], "cases")  # 'PEO' and 'peo': one file on macOS
        return data["cases"]
    if data["geometry"] is None or data["materials"] is None:
        raise ConfigError("missing required key 'cases' (or top-level 'geometry' and "
                          "'materials' for a single case).")
    return {"case": {"geometry": data["geometry"], "materials": data["materials"],
                     "physics": None, "label": None}}


def _material_record(name, m, T) -> dict:
    """A resolved material for run.json: the values used and where they come from."""
    from ..constants import F

    return {"material": m.name, "conductivity_used [S/m]": m.conductivity(T),
            "temperature [K]": T, "conductivity_ref [S/m]": m.conductivity_ref,
            "T_ref [K]": m.T_ref,
            "activation_energy [eV]": None if m.activation_energy is None
            else m.activation_energy / F,
            "transference [1]": m.transference, "citation": m.citation,
            "note": getattr(m, "note", "")}


def _prepare(data, name, c, base):
    """Geometry and materials of one case (what ``check`` resolves too)."""
    where = f"cases.{name}" if data["cases"] is not None else ""
    at = (where + ".") if where else ""
    phys = _merged_physics(data["physics"], c["physics"])
    if phys["voltage"] is None and phys["current_density"] is None:
        raise ConfigError(f"{at}physics: give one of 'voltage' (e.g. '10 mV') or "
                          "'current_density' (e.g. '0.5 mA/cm^2').")
    domain = build_geometry(c["geometry"], path=at + "geometry", base_dir=base)
    mats = resolve_materials(c["materials"], domain, path=at + "materials")
    try:
        sigma = {k: m.conductivity(phys["temperature"]) for k, m in mats.items()}
    except MaterialError as exc:
        raise ConfigError(f"{at}materials: {exc}") from exc
    return at, phys, domain, mats, sigma


def _sweep_spec(data):
    """The validated thickness sweep (or None): the swept case's spec per thickness."""
    sw = data["thickness_sweep"]
    if sw is None:
        return None
    cases = _cases(data)
    for key in ("case", "against"):
        if sw[key] not in cases:
            raise ConfigError(f"thickness_sweep.{key}: unknown case {sw[key]!r}."
                              f"{suggest(sw[key], list(cases))}")
    spec = cases[sw["case"]]
    geo = spec["geometry"]
    if geo["type"] != "layered_stack":
        raise ConfigError(f"thickness_sweep.case: {sw['case']!r} is a {geo['type']!r} geometry; "
                          "the sweep resizes a layer of a layered_stack.")
    names = [lay["name"] for lay in geo["layers"]]
    if names.count(sw["layer"]) != 1:
        raise ConfigError(f"thickness_sweep.layer: {sw['layer']!r} must name exactly one layer "
                          f"of case {sw['case']!r} (its layers: {names}).")
    out = []
    for L in sw["thicknesses"]:
        layers = [dict(lay, thickness=L) if lay["name"] == sw["layer"] else dict(lay)
                  for lay in geo["layers"]]
        out.append((L, dict(spec, geometry=dict(geo, layers=layers))))
    return out


def check_conduction(case) -> None:
    """Resolve geometry (meshing it) and materials of every case, without solving."""
    data = case.data
    for name, c in _cases(data).items():
        _prepare(data, name, c, case.base_dir)
    _sweep_spec(data)


@register_study("conduction", schema=SCHEMA, check=check_conduction)
def run_conduction(case, *, progress=True, checkpoints=None):
    """Steady conduction: effective conductivity, ASR, voltage loss per layer, maps."""
    from ..io import style
    from ..io.artifacts import slug
    from ..io.tables import DataTable
    from .progress import bar
    from .result import StudyResult

    data = case.data
    cases = _cases(data)
    outputs = data["outputs"]
    figs = set(outputs["figures"])
    result = StudyResult(case.name, SummaryTable())
    profiles, bounds, losses, prof_tables = {}, {}, {}, []
    with bar(2 * len(cases), desc=f"{case.name}: conduction", unit="step",
             enabled=progress) as pb:
        for name, c in cases.items():
            at, phys, domain, mats, sigma = _prepare(data, name, c, case.base_dir)
            T = phys["temperature"]
            log.info("%s: meshed %s", name, domain)
            pb.update(1)
            drive = {"voltage": phys["voltage"]}
            if phys["current_density"] is not None:
                from ..post.effective import electrode_axis

                _, _, area = electrode_axis(domain, tuple(phys["electrodes"]))
                drive = {"current": phys["current_density"] * area}
            try:
                res = _solver()(domain, sigma, electrodes=tuple(phys["electrodes"]),
                                interface_conductance=phys["interface_conductance"] or None,
                                solver=phys["solver"], **_accuracy(phys), **drive)
            except (KeyError, MaterialError) as exc:
                raise ConfigError(f"{at}physics: {exc}") from exc
            domain = res.domain  # the refined mesh when physics.rtol is given
            log.info("%s: sigma_eff = %.4g S/m", name, res.effective_conductivity)
            pb.update(1)
            label = c["label"] or name
            key = slug(name)
            losses[label] = {k: 1e3 * v for k, v in voltage_losses(domain, res).items()}
            result.summary = result.summary + _case_rows(name, c["geometry"], domain, mats,
                                                         res, T)
            result.parameters[name] = {
                "temperature [K]": T, "drive": {k: v for k, v in drive.items()},
                "materials": {r: _material_record(r, m, T) for r, m in mats.items()},
                "geometry": dict(c["geometry"]), "mesh": {"elements": domain.mesh.nelements,
                                                          "nodes": domain.mesh.nvertices},
                "accuracy": {"order": res.info.get("order", 1), "rtol": res.info.get("rtol"),
                             "refinement": res.info.get("refinement"),
                             "method": res.info.get("error_method")}}
            if outputs["vtu"]:
                result.solutions[key] = res
            maps = [f for f in ("potential_map", "current_map") if f in figs]
            if maps:
                fig, axes = style.new_figure(len(maps), ncols=len(maps))
                jmag = res["|j|"]
                for ax, f in zip(axes, maps):
                    if f == "potential_map":
                        style.field_map(ax, domain, res.potential * 1e3, label="φ [mV]",
                                        kind="sequential", title=f"{label}: φ")
                    else:
                        pos = jmag[jmag > 0]
                        spans = pos.size and pos.max() > 30 * max(pos.min(), 1e-300)
                        style.field_map(ax, domain, 0.1 * jmag, label="|j| [mA/cm²]",
                                        kind="log" if spans else "sequential",
                                        title=f"{label}: |j|")
                        if "streamlines" in figs:
                            style.streamlines(ax, domain, res.current_density.T)
                result.figures[f"{key}_maps"] = fig
            if "profile" in figs:
                s, v = centre_line_profile(domain, res.potential, electrodes=res.electrodes,
                                           n=outputs["profile_points"])
                profiles[label] = (s * 1e6, v * 1e3)
                bounds[label] = [b * 1e6 for b in _layer_boundaries(c["geometry"])]
                prof_tables.append(DataTable({"case": np.full(s.size, name),
                                              "distance from anode [µm]": s * 1e6,
                                              "phi [V]": v}))
    if profiles:
        fig, (ax,) = style.new_figure(1, panel=(5.5, 3.6))
        style.line_plot(ax, profiles, xlabel="distance from the anode along the centre line [µm]",
                        ylabel="potential φ [mV]", boundaries=bounds,
                        title=data["title"] or "Potential along the centre line")
        result.figures["potential_profile"] = fig
        result.tables["potential_profile"] = DataTable.concat(prof_tables)
    if "voltage_loss" in figs:
        fig, (ax,) = style.new_figure(1, panel=(6.0, 0.9 + 0.55 * len(losses)))
        style.stacked_bars(ax, losses, xlabel="ohmic voltage loss [mV]",
                           title="Voltage lost in each region (Joule dissipation / I)")
        result.figures["voltage_loss"] = fig
    if data["thickness_sweep"] is not None:
        _thickness_sweep(result, data, case.base_dir, progress)
    return result


def _thickness_sweep(result, data, base, progress):
    """ASR and voltage loss of the swept case per thickness, the crossover with the
    reference case (module docstring); adds rows, a table, a figure and a note."""
    from ..io import style
    from ..io.tables import DataTable
    from .progress import bar

    sw = data["thickness_sweep"]
    specs = _sweep_spec(data)
    cases = _cases(data)

    def asr_of(name, spec):
        at, phys, domain, mats, sigma = _prepare(data, name, spec, base)
        from ..post.effective import electrode_axis

        _, _, area = electrode_axis(domain, tuple(phys["electrodes"]))
        i = phys["current_density"] or 1.0
        res = _solver()(domain, sigma, electrodes=tuple(phys["electrodes"]),
                        interface_conductance=phys["interface_conductance"] or None,
                        solver=phys["solver"], current=i * area)
        return res.voltage / (res.total_current / res.area), phys["current_density"]

    ref, i_ref = asr_of(sw["against"], cases[sw["against"]])
    Ls, asr = [], []
    with bar(len(specs), desc="thickness sweep", unit="point", enabled=progress) as pb:
        for L, spec in specs:
            a, i_case = asr_of(sw["case"], spec)
            Ls.append(L)
            asr.append(a)
            pb.update(1)
    Ls, asr = np.array(Ls), np.array(asr)
    slope, icpt = np.polyfit(Ls, asr, 1)  # a series sum: exactly linear in L
    cross = (ref - icpt) / slope
    label_case = cases[sw["case"]]["label"] or sw["case"]
    label_ref = cases[sw["against"]]["label"] or sw["against"]
    cols = {"case": np.full(Ls.size, sw["case"]), "thickness [µm]": Ls * 1e6,
            "area_specific_resistance [ohm cm2]": asr * 1e4}
    if i_case is not None:
        cols["voltage_loss [mV]"] = asr * i_case * 1e3
    result.tables["thickness_sweep"] = DataTable(cols)
    region = f"vs {sw['against']}"
    # the sweep's answer leads the table (and the console headline)
    result.summary = (SummaryTable().add_si(sw["case"], "crossover_thickness", cross, "m", region)
                      + result.summary)
    result.summary = (result.summary
                      .add_si(sw["against"], "area_specific_resistance_reference", ref, "ohm m2")
                      .add(sw["case"], "asr_per_thickness", slope * 1e4 * 1e-6, "Ω cm²/µm")
                      .add_si(sw["case"], "sweep_thickness_min", Ls.min(), "m")
                      .add_si(sw["case"], "sweep_thickness_max", Ls.max(), "m"))
    fig, (ax,) = style.new_figure(1, panel=(5.8, 3.8))
    style.line_plot(ax, {f"{sw['case']}: {sw['layer']} thickness swept": (Ls * 1e6, asr * 1e4)},
                    xlabel=f"{sw['layer']} film thickness [µm]",
                    ylabel="area-specific resistance [Ω cm²]", markers=True,
                    title="Thickness sweep: where the thin stack wins")
    ax.axhline(ref * 1e4, color="C1", ls="--", lw=1.2, label=f"{label_ref}")
    ax.axvline(cross * 1e6, color="0.3", ls=":", lw=1.0)
    ax.annotate(f"crossover {cross * 1e6:.3g} µm", (cross * 1e6, ref * 1e4),
                textcoords="offset points", xytext=(6, -14), fontsize=8)
    ax.fill_between([cross * 1e6, Ls.max() * 1e6], 0, ax.get_ylim()[1], color="C1", alpha=0.07,
                    lw=0, label=f"{label_ref} loses less")
    ax.set_ylim(0, None)
    ax.legend(frameon=False, loc="upper left")
    if i_case is not None:
        sec = ax.secondary_yaxis("right", functions=(lambda r: r * 1e-4 * i_case * 1e3,
                                                     lambda v: v / (1e-4 * i_case * 1e3)))
        sec.set_ylabel(f"voltage loss at {i_case / 10:g} mA/cm² [mV]")
    result.figures["thickness_sweep"] = fig
    result.notes.append(
        f"Thickness sweep: the ASR of {label_case} grows by {slope * 1e4 * 1e-6:.4g} ohm cm2 per "
        f"um of {sw['layer']}; it equals the ASR of {label_ref} ({ref * 1e4:.4g} ohm cm2) at "
        f"{cross * 1e6:.4g} um: {label_ref} loses less than any {sw['layer']} film thicker than "
        "that.")
