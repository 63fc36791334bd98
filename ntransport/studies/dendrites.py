r"""Study: Li dendrites in PEO with and without the aligned PE skeleton.

Thin facade over :mod:`ntransport.solve.phasefield` (Zhang et al., SI "Simulation of Li
dendrite evolution": PE skeleton as filaments perpendicular to the anode). Lengths in
micrometres = the scaled length unit of the normalised MOOSE parameter set
(:func:`~ntransport.physics.phasefield_params.moose_normalised_parameters`,
l0 = 1 um, t0 = 1 s).

Both cases use the same mesh, the same Li layer and seed nucleus; the skeleton case
marks the filament elements as blocking (no Li growth, Li+ diffusivity and
conductivity times `skeleton_factor`). The mesh comes from
:func:`ntransport.geometry.aligned_filaments` (coarse) refined once or more in a band
above the anode so the interface has >= 4 elements across; the run stops before the
dendrite leaves the band.
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import skfem

from ..errors import ConfigError, suggest
from ..physics.phasefield_mechanics import Mechanics
from ..physics.phasefield_params import interface_width, moose_normalised_parameters
from ..post.phasefield import deposit_area, interface_points
from ..solve.phasefield import PhaseFieldProblem, element_size, simulate

__all__ = ["DendriteCase", "DendriteRun", "load_case", "build_mesh", "initial_field",
           "run_case", "run_study"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DendriteCase:
    """One dendrite study (lengths in um, times in s, potential in V)."""

    name: str = "dendrite_skeleton"
    width: float = 12.6
    height: float = 12.6  # electrolyte thickness (Zhang et al.: 12.6 um)
    n_filaments: int = 3
    filament_diameter: float = 0.8
    gap_anode: float = 2.0  # PEO between the anode and the filament ends
    skeleton_factor: float = 1e-4  # 1e-4 blocking; e.g. 0.05 slow
    li_layer: float = 0.5  # initial Li foil thickness
    seed_radius: float = 1.2
    seed_x: float | None = None  # default: centre (below the middle filament)
    applied_potential: float = -0.45
    band: float = 8.0  # refined band above the anode
    mesh_size: float = 0.36
    refinements: int = 1
    delta: float = 0.04
    gamma: float | None = None  # Faradaic coupling [V]; None: the MOOSE-set value
    omega: float = 4.0
    noise: float = 0.0
    seed: int = 0
    t_end: float = 0.5
    dt: float = 2e-3
    dt_max: float = 0.02
    target_dxi: float = 0.2
    snapshots: int = 24
    mechanics: Mechanics | None = None  # YAML: `mechanics: true` or a mapping of fields

    def __post_init__(self):
        if self.mechanics is not None and not isinstance(self.mechanics, Mechanics):
            raise ConfigError(f"mechanics must be a Mechanics(...) or None, got "
                              f"{self.mechanics!r}; in a case file write `mechanics: true` "
                              f"or a mapping such as `mechanics: {{E_metal: 4.9e9}}`.")
        for f in ("width", "height", "filament_diameter", "seed_radius", "band",
                  "mesh_size", "t_end", "dt", "dt_max"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ConfigError(f"{f} must be a number > 0, got {v!r}.")
        if self.band > self.height:
            raise ConfigError(f"band ({self.band}) must not exceed height ({self.height}).")

    def reduced(self) -> "DendriteCase":
        """A small version for CI: half the size, coarser time horizon."""
        return replace(self, width=self.width / 2, height=self.height / 2,
                       n_filaments=max(1, self.n_filaments // 2), band=self.band / 2,
                       t_end=self.t_end / 4, snapshots=8)


def load_case(path) -> DendriteCase:
    """Read a YAML case file; unknown keys raise ConfigError naming close matches."""
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    kind = data.pop("study", "dendrites")  # the CLI's study-kind key
    if kind != "dendrites":
        raise ConfigError(f"{path}: study {kind!r} is not a dendrite case (study: dendrites).")
    valid = {f.name for f in fields(DendriteCase)}
    for key in data:
        if key not in valid:
            raise ConfigError(f"{path}: unknown key {key!r}.{suggest(key, valid)}")
    if "mechanics" in data:
        data["mechanics"] = _mechanics_from_yaml(data["mechanics"], path)
    return DendriteCase(**data)


def _mechanics_from_yaml(value, path) -> Mechanics | None:
    """`mechanics:` of a case file: false/null (off), true (defaults) or a mapping of
    :class:`~ntransport.physics.phasefield_mechanics.Mechanics` fields."""
    if value is None or value is False:
        return None
    if value is True:
        return Mechanics()
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: mechanics must be true, false or a mapping of "
                          f"Mechanics fields, got {value!r}.")
    valid = {f.name for f in fields(Mechanics)}
    for key in value:
        if key not in valid:
            raise ConfigError(f"{path}: unknown mechanics key {key!r}.{suggest(key, valid)}")
    value = dict(value)
    for key, v in value.items():
        if key not in ("clamped", "mixing") and isinstance(v, str):
            try:  # YAML 1.1 reads 4.9e9 (no dot before e, no sign) as a string
                value[key] = float(v)
            except ValueError:
                raise ConfigError(f"{path}: mechanics.{key} must be a number, got "
                                  f"{v!r}.") from None
    if "clamped" in value:
        c = value["clamped"]
        value["clamped"] = (c,) if isinstance(c, str) else tuple(c)
    return Mechanics(**value)


def build_mesh(case: DendriteCase):
    """Return ``(mesh, skeleton)``: MeshTri1 in um with boundaries ``electrode``,
    ``electrolyte``, ``sides`` and a bool per element marking the filaments."""
    from ..geometry import aligned_filaments

    d = aligned_filaments((case.width * 1e-6, case.height * 1e-6),
                          diameter=case.filament_diameter * 1e-6,
                          n_filaments=case.n_filaments, gap_anode=case.gap_anode * 1e-6,
                          mesh_size=case.mesh_size * 1e-6)
    m = skfem.MeshTri1(d.mesh.p * 1e6, d.mesh.t)
    for _ in range(case.refinements):
        yc = m.p[1, m.t].mean(axis=0)
        m = m.refined(np.nonzero(yc < case.band)[0])
    tol = 1e-6 * case.height
    m = m.with_boundaries({"electrode": lambda x: x[1] < tol,
                           "electrolyte": lambda x: x[1] > case.height - tol,
                           "sides": lambda x: (x[0] < tol) | (x[0] > case.width - tol)})
    xc = m.p[:, m.t].mean(axis=1)
    centres = np.asarray(d.info["filament_centers"]).ravel() * 1e6
    dist = np.abs(xc[0][:, None] - centres[None, :]).min(axis=1)
    skel = (dist < case.filament_diameter / 2) & (xc[1] > case.gap_anode)
    return m, skel


def initial_field(mesh, case: DendriteCase, ell: float) -> np.ndarray:
    r"""Li foil of thickness `li_layer` plus a semicircular nucleus, with the
    equilibrium tanh profile :math:`\tfrac12[1-\tanh(d/\ell)]` of signed distance d."""
    x, y = mesh.p
    xs = case.width / 2 if case.seed_x is None else case.seed_x
    d = np.minimum(y - case.li_layer, np.hypot(x - xs, y - case.li_layer) - case.seed_radius)
    return 0.5 * (1 - np.tanh(d / ell))


@dataclass(frozen=True, eq=False)
class DendriteRun:
    """Time series of one case: length [um] (contour top above the Li foil), tip x,
    tip velocity [um/s], deposited area [um2], and snapshots (t, xi, c, phi); with
    mechanics on, ``stress`` holds the nodal hydrostatic stress [Pa] of each snapshot."""

    label: str
    mesh: skfem.Mesh
    skeleton: np.ndarray | None
    t: np.ndarray
    length: np.ndarray
    tip_x: np.ndarray
    area: np.ndarray
    snapshots: tuple
    wall_time: float
    steps: int
    stress: tuple = ()

    @property
    def tip_velocity(self) -> np.ndarray:
        return np.gradient(self.length, self.t) if self.t.size > 1 else np.zeros_like(self.t)

    def summary(self) -> dict:
        return {"label": self.label, "final_time": float(self.t[-1]),
                "final_length_um": float(self.length[-1]),
                "deposited_area_um2": float(self.area[-1] - self.area[0]),
                "mean_tip_velocity_um_per_s": float((self.length[-1] - self.length[0])
                                                     / max(self.t[-1] - self.t[0], 1e-300)),
                "steps": self.steps, "wall_time_s": self.wall_time,
                "nodes": int(self.mesh.nvertices)}


def run_case(case: DendriteCase, *, skeleton: bool, mesh=None, skel=None) -> DendriteRun:
    """Run one case (with or without the skeleton) on the shared mesh."""
    import time

    if mesh is None:
        mesh, skel = build_mesh(case)
    extra = {} if case.gamma is None else {"gamma": case.gamma}
    p = moose_normalised_parameters(delta=case.delta, omega=case.omega, **extra)
    ell = math.sqrt(2 * p.kappa0 / p.W)
    prob = PhaseFieldProblem(mesh, p, potential={"electrode": case.applied_potential,
                                                 "electrolyte": 0.0},
                             concentration={"electrolyte": 1.0},
                             skeleton=skel if skeleton else None,
                             skeleton_factor=case.skeleton_factor, noise=case.noise,
                             seed=case.seed, mechanics=case.mechanics)
    xi0 = initial_field(mesh, case, ell)
    if skeleton:
        xi0 = np.where(np.isin(np.arange(mesh.nvertices), mesh.t[:, skel].ravel())
                       & (xi0 < 0.5), 0.0, xi0)
    y = mesh.p[1]
    phi0 = case.applied_potential * (1 - y / case.height)
    # the study checks resolution itself: it stops (keeping only resolved states) as soon
    # as the diffuse interface (0.02 < xi < 0.98) touches an element coarser than
    # delta_int/4 (the refined band ends), instead of raising inside the solver
    h_ok = element_size(mesh) <= interface_width(p) / 4 * (1 + 1e-9)
    ts, lengths, tips, areas, snaps, stresses = [], [], [], [], [], []
    every = case.t_end / max(case.snapshots, 1)
    next_snap = 0.0
    t0 = time.perf_counter()
    steps = 0

    def record(t, xi, c, phi, stress=None):
        nonlocal next_snap
        pts = interface_points(mesh, xi)
        k = int(np.argmax(pts[1]))
        ts.append(t)
        lengths.append(float(pts[1, k] - case.li_layer))
        tips.append(float(pts[0, k]))
        areas.append(deposit_area(mesh, xi))
        if t >= next_snap - 1e-12:
            snaps.append((t, xi.copy(), c.copy(), phi.copy()))
            if stress is not None:
                stresses.append(np.array(stress, copy=True))
            next_snap += every

    # the initial state is the elastic reference (stress-free up to the confining pressure)
    stress0 = None if case.mechanics is None else np.full(xi0.size, -case.mechanics.pressure)
    record(0.0, xi0, np.ones_like(xi0), phi0, stress0)
    last = None
    for s in simulate(prob, xi0, c0=1.0, phi0=phi0, t_end=case.t_end, dt=case.dt,
                      dt_max=case.dt_max, target_dxi=case.target_dxi,
                      check_resolution=False):
        xe = s.xi[mesh.t]
        at = (xe.max(axis=0) > 0.02) & (xe.min(axis=0) < 0.98)
        if np.any(at & ~h_ok):
            log.info("%s: interface reached the end of the refined band at t=%g; stop",
                     case.name, s.t)
            break
        steps += 1
        last = s
        record(s.t, s.xi, s.c, s.phi, s.stress)
    if last is not None and snaps[-1][0] != ts[-1]:
        snaps.append((last.t, last.xi.copy(), last.c.copy(), last.phi.copy()))
        if last.stress is not None:
            stresses.append(np.array(last.stress, copy=True))
    return DendriteRun("PEO + PE skeleton" if skeleton else "PEO", mesh,
                       skel if skeleton else None, np.array(ts), np.array(lengths),
                       np.array(tips), np.array(areas), tuple(snaps),
                       time.perf_counter() - t0, steps,
                       tuple(stresses))


def run_study(case: DendriteCase) -> dict:
    """Both cases on the same mesh and seed: ``{"PEO": run, "PEO+PE": run}``."""
    mesh, skel = build_mesh(case)
    h = element_size(mesh)
    log.info("%s: %d nodes, h_min %.3g, h_max %.3g um", case.name, mesh.nvertices,
             h.min(), h.max())
    return {"PEO": run_case(case, skeleton=False, mesh=mesh, skel=skel),
            "PEO+PE": run_case(case, skeleton=True, mesh=mesh, skel=skel)}


def case_dict(case: DendriteCase) -> dict:
    """Plain dict of a case (for JSON records)."""
    return asdict(case)
