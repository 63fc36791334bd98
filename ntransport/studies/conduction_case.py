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
"""
from __future__ import annotations

import dataclasses
import inspect
import logging
from pathlib import Path

import numpy as np

from ..config import Either, ListOf, MapOf, Quantity, Section, Tagged, Value
from ..errors import ConfigError, GeometryError, MaterialError, MeshError, suggest
from ..io.tables import SummaryTable
from ..post.losses import voltage_losses
from ..post.profiles import centre_line_profile
from .registry import register_study

__all__ = ["SCHEMA", "build_geometry", "resolve_materials", "run_conduction"]

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
        "seed": Value(int, default=0),
        "centers": ListOf(ListOf(Quantity("length"), min_len=2, max_len=3), default=None),
        "radii": ListOf(Quantity("length", positive=True), default=None),
        "shell_thickness": Quantity("length", default=None, positive=True),
        "overlap": Value(bool, default=False),
        "aspect_ratio": Value(float, default=1.0),
        "gap": Quantity("length", default=None, nonnegative=True),
        "mesh_size": Quantity("length", default=None, positive=True),
        "matrix": Value(str, default="matrix"),
        "particles": Value(str, default="particles"),
        "interphase": Value(str, default="interphase"),
    }),
    "host_guest": Section({
        "architecture": Value(str, choices=("ceramic-in-polymer", "polymer-in-ceramic")),
        "box": ListOf(Quantity("length", positive=True), min_len=2, max_len=3, default=None),
        "volume_fraction": Value(float, default=None),
        "radius": Quantity("length", default=None, positive=True),
        "seed": Value(int, default=0),
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
    "electrodes": ListOf(Value(str), default=["anode", "cathode"], min_len=2, max_len=2),
    "interface_conductance": MapOf(Quantity("conductance_area", positive=True), default={}),
    "solver": Value(str, default="auto", choices=("auto", "direct", "amg", "cg")),
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

SCHEMA = Section({
    "title": Value(str, default=""),
    "description": Value(str, default=""),
    "physics": PHYSICS,
    "outputs": OUTPUTS,
    "cases": MapOf(CASE, default=None, min_len=1),
    "geometry": Tagged(GEOMETRY.variants, default=None),
    "materials": MapOf(MATERIAL, default=None, min_len=1),
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
    out = {}
    for key in names:
        entry, where = spec[key], f"{path}.{key}"
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
                    m = lib.Material(name=key, **over)
        except MaterialError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        if not isinstance(m, lib.Material):
            raise ConfigError(f"{where}: {m.name!r} is a {type(m).__name__}, not an ion "
                              "conductor; choose an electrolyte parameter set.")
        out[key] = m
    return out


# ------------------------------------------------------------------ post-processing
def _layer_boundaries(spec) -> list[float]:
    if spec["type"] != "layered_stack":
        return []
    z = np.cumsum([lay["thickness"] for lay in spec["layers"]])
    return [float(v) for v in z[:-1]]


def _case_rows(name, spec, domain, mats, res, T) -> SummaryTable:
    tab = SummaryTable()
    dim = domain.dim
    i_mean = res.total_current / res.area
    cur_unit = "A/m" if dim == 2 else "A"
    tab = (tab.add(name, "temperature", T, "K")
              .add(name, "voltage", res.voltage, "V")
              .add(name, "current_density", i_mean, "A/m2")
              .add(name, "total_current" + ("_per_depth" if dim == 2 else ""),
                   res.total_current, cur_unit)
              .add(name, "thickness", res.length, "m")
              .add(name, "effective_conductivity", res.effective_conductivity, "S/m")
              .add(name, "area_specific_resistance", res.voltage / i_mean, "ohm m2")
              .add(name, "n_elements", domain.mesh.nelements, "1")
              .add(name, "n_nodes", domain.mesh.nvertices, "1"))
    if spec["type"] == "layered_stack":
        series = res.length / sum(lay["thickness"] / mats[lay["name"]].conductivity(T)
                                  for lay in spec["layers"])
        tab = tab.add(name, "series_conductivity", series, "S/m")
        total = {}
        for lay in spec["layers"]:  # layers sharing a name form one subdomain
            total[lay["name"]] = total.get(lay["name"], 0.0) + lay["thickness"]
        for region, t in total.items():
            tab = tab.add(name, "layer_thickness", t, "m", region)
    fractions = domain.volume_fractions()
    phases = _host_and_guest(spec, domain)
    if phases is not None:
        tab = tab + _composite_bounds(name, phases, domain, mats, T, fractions)
    losses = voltage_losses(domain, res)
    for region in domain.region_names:
        tab = (tab.add(name, "conductivity", mats[region].conductivity(T), "S/m", region)
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
            .add(name, "maxwell_garnett_conductivity", maxwell_garnett(sm, sp, f, dim=domain.dim),
                 "S/m")
            .add(name, "hashin_shtrikman_lower", lo, "S/m")
            .add(name, "hashin_shtrikman_upper", hi, "S/m"))


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
        return data["cases"]
    if data["geometry"] is None or data["materials"] is None:
        raise ConfigError("missing required key 'cases' (or top-level 'geometry' and "
                          "'materials' for a single case).")
    return {"case": {"geometry": data["geometry"], "materials": data["materials"],
                     "physics": None, "label": None}}


@register_study("conduction", schema=SCHEMA)
def run_conduction(case, out_dir, *, progress=None) -> SummaryTable:
    """Steady conduction: effective conductivity, ASR, voltage loss per layer, maps."""
    from ..io import figures

    data = case.data
    cases = _cases(data)
    outputs = data["outputs"]
    base = case.source.parent if case.source is not None else None
    out = Path(out_dir)
    figs = set(outputs["figures"])
    steps_per_case = 3 + (len(figs - {"profile", "voltage_loss"}))
    total = len(cases) * steps_per_case + 1
    done = 0

    def tick(msg):
        nonlocal done
        done += 1
        log.info(msg)
        if progress is not None:
            progress(done, total, msg)

    table = SummaryTable()
    profiles, bounds, losses = {}, {}, {}
    profile_rows = []
    for name, c in cases.items():
        where = f"cases.{name}" if data["cases"] is not None else ""
        at = (where + ".") if where else ""
        phys = _merged_physics(data["physics"], c["physics"])
        if phys["voltage"] is None and phys["current_density"] is None:
            raise ConfigError(f"{at}physics: give one of 'voltage' (e.g. '10 mV') or "
                              "'current_density' (e.g. '0.5 mA/cm^2').")
        domain = build_geometry(c["geometry"], path=at + "geometry", base_dir=base)
        tick(f"{name}: meshed {domain}")
        mats = resolve_materials(c["materials"], domain, path=at + "materials")
        T = phys["temperature"]
        try:
            sigma = {k: m.conductivity(T) for k, m in mats.items()}
        except MaterialError as exc:
            raise ConfigError(f"{at}materials: {exc}") from exc
        drive = {"voltage": phys["voltage"]}
        if phys["current_density"] is not None:
            from ..post.effective import electrode_axis

            _, _, area = electrode_axis(domain, tuple(phys["electrodes"]))
            drive = {"current": phys["current_density"] * area}
        try:
            res = _solver()(domain, sigma, electrodes=tuple(phys["electrodes"]),
                            interface_conductance=phys["interface_conductance"] or None,
                            solver=phys["solver"], **drive)
        except (KeyError, MaterialError) as exc:
            raise ConfigError(f"{at}physics: {exc}") from exc
        tick(f"{name}: solved, sigma_eff = {res.effective_conductivity:.4g} S/m")
        losses[c["label"] or name] = {k: 1e3 * v for k, v in voltage_losses(domain, res).items()}
        table = table + _case_rows(name, c["geometry"], domain, mats, res, T)
        if outputs["vtu"]:
            res.to_vtk(out / f"{name}.vtu")
        tick(f"{name}: wrote VTU")
        label = c["label"] or name
        if "potential_map" in figs:
            figures.plot_map(domain, res.potential * 1e3, out / f"{name}_potential.png",
                             title=f"{label}: potential", label="phi [mV]")
            tick(f"{name}: potential map")
        jmag = np.linalg.norm(res.current_density, axis=0)
        if "current_map" in figs:
            figures.plot_map(domain, jmag, out / f"{name}_current.png",
                             title=f"{label}: current density", label="j magnitude [A/m2]",
                             cmap="inferno")
            tick(f"{name}: current map")
        if "streamlines" in figs:
            if domain.dim == 2:
                figures.plot_streamlines(domain, res.current_density,
                                         out / f"{name}_streamlines.png", background=jmag,
                                         title=f"{label}: current lines", label="|j| [A/m2]")
            tick(f"{name}: streamlines")
        if "profile" in figs:
            s, v = centre_line_profile(domain, res.potential, electrodes=res.electrodes,
                                       n=outputs["profile_points"])
            profiles[label] = (s * 1e6, v * 1e3)
            bounds[label] = [b * 1e6 for b in _layer_boundaries(c["geometry"])]
            profile_rows += [(name, float(a), float(b)) for a, b in zip(s, v)]
    if profiles:
        figures.plot_profile(profiles, out / "potential_profile.png",
                             xlabel="distance from anode along the centre line [um]",
                             ylabel="potential phi [mV]",
                             title=data["title"] or "Potential along the centre line",
                             boundaries=bounds)
        with (out / "potential_profile.csv").open("w", encoding="utf-8") as fh:
            fh.write("case,distance_from_anode [m],phi [V]\n")
            fh.writelines(f"{c},{a!r},{b!r}\n" for c, a, b in profile_rows)
    if "voltage_loss" in figs:
        figures.plot_stacked_bars(losses, out / "voltage_loss.png",
                                  xlabel="ohmic voltage loss [mV]",
                                  title="Voltage lost in each region (Joule dissipation / I)")
    table.to_csv(out / "summary.csv")
    tick("wrote summary.csv")
    return table
