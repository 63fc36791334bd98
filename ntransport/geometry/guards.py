r"""Size guards: estimate the work a request implies and refuse it *before* doing it.

A mistyped size (``mesh_size: 0.5 nm`` over 20 µm is ~2e9 triangles; ``dt: 1 us`` over
2 h is 7e9 steps) must not hang the machine or abort on memory an hour later: every
entry point that meshes, places particles or steps in time first estimates the count
and refuses it above a limit, with the estimate, the limit and how to proceed in the
message.

Estimates
---------
* Elements of a mesh of uniform size :math:`h` on a region of measure :math:`|\Omega|`:
  :math:`N \approx c_d |\Omega| / h^d` with :math:`c_2 = 2.7` (gmsh Delaunay, measured
  2.64 on a unit square at h = 0.01-0.02) and :math:`c_3 = 6` (HXT, measured 4.6-5.4
  on a unit cube at h = 0.05-0.08); for equilateral simplices :math:`c_2 = 4/\sqrt3 =
  2.31`, :math:`c_3 = 6\sqrt2 = 8.5`.
* Memory: :data:`BYTES_PER_ELEMENT` (measured peak 0.8 kB per triangle and 1.2 kB per
  tetrahedron for a P1 conduction solve, 320 k / 384 k elements); a request whose
  estimate exceeds the memory available on the machine (``MemAvailable`` of
  ``/proc/meminfo``) is refused -- transient multi-species models need several times
  more, so this is a lower bound.
* Particles: the count at the requested fraction (:func:`expected_particles`).
* Time steps: ``(t_end - t_start) / dt`` for fixed steps.

Limits (documented, overridable)
--------------------------------
=====================  ==========  ==============================
limit                  default     override
=====================  ==========  ==============================
``elements``           5 000 000   ``NTRANSPORT_MAX_ELEMENTS``
``particles``          20 000      ``NTRANSPORT_MAX_PARTICLES``
``sample_particles``   5 000 000   ``NTRANSPORT_MAX_SAMPLE_PARTICLES``
``steps``              1 000 000   ``NTRANSPORT_MAX_STEPS``
``voxels``             30 000 000  ``NTRANSPORT_MAX_VOXELS``
=====================  ==========  ==============================

``particles`` bounds meshed geometries (gmsh fragments every particle: 1000 disks take
~40 s); ``sample_particles`` bounds geometry-only Monte Carlo (percolation graphs). In
code, ``with guards.limits(elements=2e7): ...`` raises a limit for a block; the
environment variables raise it for a whole run (``NTRANSPORT_MAX_ELEMENTS=2e7
ntransport run case.yaml``). A value of ``inf`` disables the check.

Every refusal is a :class:`~ntransport.errors.LimitError` (a ``ConfigError``: the CLI
exits with code 2).
"""
from __future__ import annotations

import contextlib
import contextvars
import math
import os

from ..errors import LimitError

__all__ = ["DEFAULT_LIMITS", "ENV", "limit", "limits", "estimate_elements", "check_elements",
           "check_mesh_size", "check_gmsh_model", "expected_particles", "check_particles",
           "check_steps", "available_memory", "BYTES_PER_ELEMENT", "how_to_raise"]

DEFAULT_LIMITS = {"elements": 5_000_000, "particles": 20_000, "sample_particles": 5_000_000,
                  "steps": 1_000_000, "voxels": 30_000_000}
ENV = {"elements": "NTRANSPORT_MAX_ELEMENTS", "particles": "NTRANSPORT_MAX_PARTICLES",
       "sample_particles": "NTRANSPORT_MAX_SAMPLE_PARTICLES", "steps": "NTRANSPORT_MAX_STEPS",
       "voxels": "NTRANSPORT_MAX_VOXELS"}
#: elements per unit measure at unit size (see the module docstring)
DENSITY = {1: 1.0, 2: 2.7, 3: 6.0}
#: bytes per element of a P1 conduction solve (measured peak RSS); transient
#: multi-species models need several times more, so this is a lower bound
BYTES_PER_ELEMENT = {1: 250, 2: 800, 3: 1_200}
#: bytes per voxel of a 3D voxel conduction solve (300^3 voxels peaked at 13.1 GB,
#: benchmarks/image); reading alone needs ~10
BYTES_PER_VOXEL = 480

_OVERRIDES: contextvars.ContextVar[dict] = contextvars.ContextVar("ntransport_limits",
                                                                 default={})


def limit(name: str) -> float:
    """The current limit *name*: a :func:`limits` block, else the environment, else the
    default."""
    if name not in DEFAULT_LIMITS:
        raise KeyError(f"unknown limit {name!r}; one of {sorted(DEFAULT_LIMITS)}.")
    over = _OVERRIDES.get()
    if name in over:
        return over[name]
    env = os.environ.get(ENV[name], "").strip()
    if env:
        try:
            v = float(env)
        except ValueError:
            raise LimitError(f"environment variable {ENV[name]}={env!r} is not a number; "
                             f"give e.g. {ENV[name]}=2e7 (or inf to disable).") from None
        if not v > 0:
            raise LimitError(f"environment variable {ENV[name]}={env!r} must be > 0.")
        return v
    return float(DEFAULT_LIMITS[name])


@contextlib.contextmanager
def limits(**values):
    """Raise (or lower) limits inside a ``with`` block: ``limits(elements=2e7)``."""
    for k, v in values.items():
        if k not in DEFAULT_LIMITS:
            raise KeyError(f"unknown limit {k!r}; one of {sorted(DEFAULT_LIMITS)}.")
        if not (isinstance(v, (int, float)) and v > 0):
            raise LimitError(f"limits({k}=...) must be a number > 0, got {v!r}.")
    token = _OVERRIDES.set({**_OVERRIDES.get(), **{k: float(v) for k, v in values.items()}})
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def how_to_raise(name: str) -> str:
    """How a user raises the limit *name* (the end of every limit's message)."""
    return (f"set {ENV[name]}=<n> (or inf) in the environment, or use "
            f"`with ntransport.geometry.guards.limits({name}=...)` in code")


def available_memory() -> float | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return None


def estimate_elements(measure: float, h: float, dim: int) -> float:
    """Elements of a mesh of uniform size *h* on a region of *measure* (length, area or
    volume): ``DENSITY[dim] * measure / h**dim``."""
    if not (h > 0 and math.isfinite(h)):
        return math.inf
    return DENSITY[int(dim)] * float(measure) / float(h) ** int(dim)


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.2g} GB"


def _refuse_above(name: str, n: float, size: str, mem: float, *, what: str, hint: str) -> None:
    """Raise LimitError if *n* exceeds the limit *name*, or (at the default limit) if the
    memory *mem* [bytes] it needs exceeds the available memory. *size* describes *n*."""
    lim = limit(name)
    tip = f" {hint}" if hint else ""
    if not n <= lim:
        raise LimitError(
            f"{what}: {size} (>= {_gb(mem)} of memory to solve) exceeds the limit of "
            f"{lim:.3g} {name}.{tip} To run it anyway, {how_to_raise(name)}.")
    avail = available_memory()
    if avail is not None and mem > avail and lim == DEFAULT_LIMITS[name]:
        raise LimitError(
            f"{what}: {size} need at least {_gb(mem)} of memory, more than the "
            f"{_gb(avail)} available.{tip} To try anyway, {how_to_raise(name)}.")


def check_elements(n: float, *, dim: int, what: str = "mesh", hint: str = "") -> float:
    """Refuse an estimated element count *n* above the ``elements`` limit or above the
    available memory; returns *n*."""
    n = float(n)
    _refuse_above("elements", n, f"about {n:.3g} elements", n * BYTES_PER_ELEMENT[int(dim)],
                  what=what, hint=hint)
    return n


def check_mesh_size(measure: float, h: float, dim: int, *, what: str = "mesh",
                    name: str = "mesh_size", unit: str = "m") -> float:
    """Estimate the elements of a uniform mesh of size *h* on *measure* (both in *unit*)
    and refuse it above the limit, naming the smallest *name* that stays within it."""
    n = estimate_elements(measure, h, dim)
    lim = limit("elements")
    h_min = (DENSITY[dim] * measure / lim) ** (1.0 / dim) if math.isfinite(lim) else 0.0
    hint = f"Use {name} >= {h_min:.3g} {unit} to stay within it." if h_min > 0 else ""
    return check_elements(n, dim=dim, what=f"{what} ({name} = {h:.3g} {unit})", hint=hint)


def check_gmsh_model(gmsh, dim: int, *, mesh_size: float | None = None,
                     what: str = "gmsh mesh", unit: str = "model units") -> float | None:
    """Estimate the elements gmsh is about to generate for the current model and refuse
    above the limit. Called at the top of every meshing entry point.

    The size is the smallest of ``mesh_size``, ``Mesh.MeshSizeMax`` and the positive
    point sizes of the model, scaled by ``Mesh.MeshSizeFactor`` and bounded below by
    ``Mesh.MeshSizeMin``; the measure is the total mass of the top-dimensional entities
    (OpenCASCADE), else their bounding box. Size fields that refine locally are not
    integrated: the estimate is then a lower bound. Returns the estimate (None if the
    model gives no size)."""
    opt = gmsh.option
    sizes = []
    if mesh_size is not None and mesh_size > 0:
        sizes.append(float(mesh_size))
    smax = opt.getNumber("Mesh.MeshSizeMax")
    if 0 < smax < 1e21:
        sizes.append(smax)
    try:
        pts = gmsh.model.getEntities(0)
        if pts:
            ps = [s for s in gmsh.model.mesh.getSizes(pts) if s > 0]
            if ps:
                sizes.append(min(ps))
    except Exception:  # noqa: BLE001 - older gmsh without getSizes
        pass
    if not sizes:
        return None
    h = min(sizes) * max(opt.getNumber("Mesh.MeshSizeFactor"), 1e-300)
    h = max(h, opt.getNumber("Mesh.MeshSizeMin"))
    ents = gmsh.model.getEntities(dim)
    if not ents:
        return None
    measure = 0.0
    try:
        for d, t in ents:
            measure += abs(gmsh.model.occ.getMass(d, t))
    except Exception:  # noqa: BLE001 - built-in kernel: bounding box instead
        measure = 0.0
    if measure <= 0:
        x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(-1, -1)
        ext = [x1 - x0, y1 - y0, z1 - z0][:dim]
        measure = math.prod(max(e, 0.0) for e in ext)
    return check_mesh_size(measure, h, dim, what=what, name="mesh size", unit=unit)


def expected_particles(box_measure: float, volume_fraction: float, particle_volume: float,
                       *, overlap: bool = False) -> float:
    """Particles needed to cover *volume_fraction* of a box: ``f V / v`` (hard-core) or
    ``-ln(1 - f) V / v`` (overlapping Boolean model)."""
    f = float(volume_fraction)
    if overlap:
        return -math.log1p(-f) * box_measure / particle_volume if f < 1 else math.inf
    return f * box_measure / particle_volume


def check_particles(n: float, *, what: str = "particles", kind: str = "particles",
                    hint: str = "") -> float:
    """Refuse *n* particles above the ``particles`` (meshed geometries) or
    ``sample_particles`` (geometry-only Monte Carlo) limit."""
    n = float(n)
    lim = limit(kind)
    if not n <= lim:
        tip = f" {hint}" if hint else ""
        raise LimitError(
            f"{what}: about {n:.3g} particles exceeds the limit of {lim:.3g}.{tip} Use larger "
            f"particles, a smaller box or a lower fraction; to run it anyway, {how_to_raise(kind)}.")
    return n


def check_steps(t_start: float, t_end: float, dt: float, *, what: str = "time stepping",
                adaptive: bool = False, max_steps: float | None = None) -> float:
    """Refuse a fixed-step run whose ``(t_end - t_start) / dt`` exceeds the ``steps``
    limit (or *max_steps*), before the first step. Adaptive runs are bounded while they
    run (``bdf_steps(max_steps=)`` raises)."""
    span, dt = float(t_end) - float(t_start), float(dt)
    if not (dt > 0 and math.isfinite(dt)):
        raise LimitError(f"{what}: dt must be finite and > 0, got {dt!r}.")
    n = span / dt
    if adaptive:
        return n
    lim = limit("steps") if max_steps is None else float(max_steps)
    if not n <= lim:
        raise LimitError(
            f"{what}: {span:.6g} s at dt = {dt:.3g} s is {n:.3g} steps, above the limit of "
            f"{lim:.3g}. Use a larger dt, adaptive steps, or a shorter run; to run it "
            f"anyway, {how_to_raise('steps')}.")
    return n


def check_voxels(shape, *, what: str = "image", hint: str | None = None) -> int:
    """Refuse an image of *shape* (read from its header, before any voxel is loaded)
    above the ``voxels`` limit or whose solve would not fit in the available memory;
    returns the voxel count. A compressed TIFF can declare a huge stack in a small file:
    the check runs on the declared shape."""
    n = int(math.prod(int(s) for s in shape))
    _refuse_above("voxels", n, f"shape {tuple(int(s) for s in shape)} = {n:.3g} voxels",
                  n * BYTES_PER_VOXEL, what=what,
                  hint=hint or "Crop or downsample the stack first (read a sub-volume).")
    return n
