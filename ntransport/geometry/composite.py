"""`particle_composite`: particles (optionally with interphase shells) in a matrix box."""
from __future__ import annotations

import dataclasses
import logging
import math
import time

import numpy as np

from ..errors import GeometryError, MeshError
from . import _occ, guards, refinement
from .domain import Domain
from .gmsh_io import from_gmsh
from .placement import Particles, _check_aspect, _check_box, _directions, place_particles
from .split import split_elements
from .surfaces import particle_projector

__all__ = ["particle_composite"]

log = logging.getLogger(__name__)


def particle_composite(
    box,
    *,
    volume_fraction: float | None = None,
    radius=None,
    seed=None,
    centers=None,
    radii=None,
    shell_thickness: float | None = None,
    overlap: bool = False,
    aspect_ratio: float = 1.0,
    orientation=None,
    shape: str = "ellipsoid",
    periodic: bool = False,
    gap: float | None = None,
    mesh_size: float | None = None,
    matrix_mesh_size: float | None = None,
    matrix: str = "matrix",
    particles: str = "particles",
    interphase: str = "interphase",
    algorithm: int | None = None,
    threads: int = 1,
    smoothing: int = 0,
    boundary_layer=None,
    split: int = 0,
) -> Domain:
    """Particles in a matrix: disks (2D) or spheres (3D), or elongated ones.

    The box is ``[0, Lx] x [0, Ly]`` (2D) or ``[0, Lx] x [0, Ly] x [0, Lz]`` (3D).
    The **electrode axis is the last coordinate**: boundary ``"anode"`` is the face
    y = 0 (2D) / z = 0 (3D), ``"cathode"`` the opposite face, ``"sides"`` the rest.
    Particles cut by a face are clipped; overlapping particles are fused into one
    subdomain. Subdomains: `matrix`, `particles`, and `interphase` if
    ``shell_thickness`` is given (a shell of that thickness around every particle, the
    particle keeping its size: ``radius`` is the core radius).

    Parameters
    ----------
    box : (Lx, Ly) or (Lx, Ly, Lz), metres
    volume_fraction : float, optional
        Target area/volume fraction of the particle cores (random placement).
        Hard-core placement reaches at most ~0.547 (2D) / ~0.384 (3D) and less with
        gaps or shells; see `ntransport.geometry.placement`.
    radius : float, ("lognormal", mean, sd), ("uniform", lo, hi) or callable
        Particle (short semi-axis) radius or size distribution, metres.
    seed : int, optional
        Random seed; the same seed gives the same microstructure and mesh.
    centers, radii : arrays, optional
        Explicit particles (metres) instead of random placement, e.g. from an image.
    shell_thickness : float, optional
        Interphase shell thickness (metres).
    overlap : bool
        Overlapping (Boolean model, for percolation) instead of hard-core placement.
    aspect_ratio : float >= 1
        Long/short semi-axis: ellipses / prolate spheroids, or rods with ``shape="rod"``.
    orientation : "random", None or vector
        Long-axis direction: random isotropic (default) or aligned with the vector.
    shape : {"ellipsoid", "rod"}
    periodic : bool
        Periodic placement: particles crossing a face re-enter on the other side
        (the mesh itself is not periodic).
    gap : float, optional
        Minimum surface distance between hard-core particles (metres), default
        0.1 x mean radius (keeps the mesh between neighbours well shaped). With shells,
        ``2 * shell_thickness`` is added so shells do not touch.
    mesh_size : float, optional
        Target element size (metres); default smallest radius / 3 (about 19 segments per
        circle). Near shells the size drops to ``max(shell_thickness, mesh_size/4)`` in 2D
        and ``max(shell_thickness, mesh_size/2)`` in 3D (Distance/Threshold field), so
        thin shells cost elements only where they are.
    matrix_mesh_size : float, optional
        Coarser size far from the particles (metres); the mesh grades from `mesh_size`
        on the particle surfaces to this. Default: `mesh_size` (uniform).
    matrix, particles, interphase : str
        Subdomain names.
    algorithm : int, optional
        gmsh ``Mesh.Algorithm`` (2D, default 5 Delaunay) or ``Mesh.Algorithm3D``
        (3D, default 10 HXT).
    threads : int
        gmsh threads.
    smoothing : int
        gmsh ``Mesh.Smoothing`` steps; 0 (default) halves the 2D meshing time for a
        small loss of quality (minimum SICN 0.61 instead of 0.63 on a test composite).
    boundary_layer : BoundaryLayer or sequence of them, optional
        Graded refinement next to named boundaries (``"anode"``, ``"cathode"``) and the
        particle/matrix interfaces (``"interfaces"`` or ``"matrix|particles"``), see
        :class:`ntransport.geometry.refinement.BoundaryLayer` and
        :func:`ntransport.physics.debye.debye_boundary_layer`.
    split : int >= 0
        Mesh at ``2**split`` times every element size, then split each element ``split``
        times (4 triangles / 8 tetrahedra per level, :func:`ntransport.geometry.split_elements`)
        with the new interface nodes moved onto the exact particle and shell surfaces:
        the same element size and a nested mesh hierarchy, faster than gmsh at h for large
        meshes (benchmarks/README.md, section 3). The elements inherit the coarse mesh's
        shapes (a triangle's children are similar to it), so the worst element is
        somewhat worse than gmsh's at h (benchmark: mean ratio 0.39 against 0.49 in 2D,
        0.026 against 0.054 in 3D), and in 3D AMG-CG needs ~2x the iterations on a split
        mesh (1 M tetrahedra: 36 against 16): worth it for one solve, not for many.

    Returns
    -------
    Domain
        ``info`` holds ``seed``, ``target_fraction``, ``volume_fraction`` (realised, from
        the mesh), ``interphase_fraction``, ``centers``, ``radii``, ``directions``,
        ``aspect_ratio``, ``shape``, ``overlap``, ``periodic``, ``electrode_axis``.

    Examples
    --------
    >>> d = particle_composite((20e-6, 20e-6), volume_fraction=0.3, radius=1e-6,
    ...                        seed=1)                                  # doctest: +SKIP
    >>> d.info["volume_fraction"]                                       # doctest: +SKIP
    0.30...
    """
    box_m = _check_box(box)
    dim = box_m.size
    a = _check_aspect(aspect_ratio)
    if shape not in ("ellipsoid", "rod"):
        raise GeometryError(f"shape must be 'ellipsoid' or 'rod', got {shape!r}.")
    for name, v in (("matrix", matrix), ("particles", particles), ("interphase", interphase)):
        if not isinstance(v, str) or not v or "|" in v:
            raise GeometryError(f"{name} must be a non-empty name without '|', got {v!r}.")
    if len({matrix, particles, interphase}) < 3:
        raise GeometryError(
            f"subdomain names must differ, got matrix={matrix!r}, particles={particles!r}, "
            f"interphase={interphase!r}."
        )
    levels = _check_split(split)
    t = 0.0
    if shell_thickness is not None:
        t = float(shell_thickness)
        if not (math.isfinite(t) and t > 0):
            raise GeometryError(f"shell_thickness must be finite and > 0, got {shell_thickness!r}.")
    box = box_m * _occ.UM
    if centers is not None or radii is not None:
        if volume_fraction is not None:
            raise GeometryError("give either volume_fraction (random placement) or "
                                "centers + radii (explicit particles), not both.")
        parts = _explicit(box, centers, radii, a, orientation, shape, seed, dim)
    else:
        if volume_fraction is None:
            raise GeometryError("volume_fraction is required unless centers and radii are given.")
        if radius is None:
            raise GeometryError("radius is required for random placement (metres, a "
                                "distribution or a callable).")
        rad = _scaled_radius(radius)
        g = None if gap is None else float(gap) * _occ.UM
        if t and not overlap:
            base = 0.1 * _mean_radius(rad) if g is None else g
            g = base + 2 * t * _occ.UM
        parts = place_particles(
            box, volume_fraction=volume_fraction, radius=rad, seed=seed, overlap=overlap,
            gap=g, aspect_ratio=a, orientation=orientation, shape=shape, periodic=periodic,
        )
    if t and not overlap:
        _check_shells(parts, t * _occ.UM)
    h = _mesh_size(mesh_size, parts, t * _occ.UM)
    if levels and h * 2 ** levels > float(parts.radii.min()):
        raise GeometryError(
            f"split={levels} meshes at 2**{levels} x mesh_size = "
            f"{h * 2 ** levels:.3g} um, more than the smallest particle radius "
            f"{float(parts.radii.min()):.3g} um: that coarse mesh cannot follow the particles "
            "(their volume and the elements next to them suffer). Use a smaller split or "
            "mesh_size.")
    guards.check_particles(len(parts), what="particle_composite")  # size guards (um)
    guards.check_mesh_size(float(np.prod(box)), h, dim,
                           what="particle_composite", unit="µm")
    hm = h
    if matrix_mesh_size is not None:
        hm = float(matrix_mesh_size) * _occ.UM
        if not (math.isfinite(hm) and hm >= h):
            raise GeometryError(
                f"matrix_mesh_size must be finite and >= mesh_size ({h / _occ.UM:.3g} m), "
                f"got {matrix_mesh_size!r}."
            )
    alg = _occ.check_algorithm(algorithm, dim)
    h_final, hm_final = h, hm
    h, hm = h * 2 ** levels, hm * 2 ** levels  # gmsh meshes coarse, `split` refines
    layers = _scaled_layers(boundary_layer, 2 ** levels)
    t0, c0 = time.perf_counter(), time.process_time()
    with _occ.session(threads=threads) as gmsh:
        shell, inclusions, cells, outer = _build(
            gmsh, dim, box, parts, t * _occ.UM, matrix, particles, interphase, h,
            fuse_first=overlap and dim == 3 and (a != 1 or shape == "rod"))
        if hm > h and inclusions:  # fine on the particle surfaces, coarse in the matrix
            pts = gmsh.model.getBoundary([(dim, e) for e in inclusions], combined=False,
                                         oriented=False, recursive=True)
            gmsh.model.mesh.setSize(list(set(pts)), h)
        ids = []
        if shell:  # ~one element across the shell, only near it (floor h/4 in 2D, h/2 in 3D)
            hs = min(h, max(t * _occ.UM, h / (4 if dim == 2 else 2)))
            faces = gmsh.model.getBoundary([(dim, s) for s in shell], combined=False,
                                           oriented=False)
            ids.append(_occ.distance_size_field(gmsh, dim, list({abs(f[1]) for f in faces}),
                                                hs, hm, dist_near=t * _occ.UM,
                                                background=False))
        ids += refinement.add_boundary_layer_fields(gmsh, dim, layers, facets=outer,
                                                    cells=cells, bulk_size=hm, scale=_occ.UM)
        refinement.combine_background(gmsh, ids)
        t1, c1 = time.perf_counter(), time.process_time()
        if hm > h:
            gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        try:
            _occ.generate(gmsh, dim, algorithm=alg, mesh_size=hm, threads=threads,
                          smoothing=smoothing, uniform=(hm == h and not ids))
        except MeshError as exc:
            if not levels:
                raise
            raise MeshError(f"{exc} With split={levels} gmsh meshed at 2**{levels} x "
                            f"mesh_size = {h:.3g} um; split=0 meshes at mesh_size itself."
                            ) from exc
        t2, c2 = time.perf_counter(), time.process_time()
        domain = from_gmsh(unit="um")
    if levels:
        domain = split_elements(domain, levels, project=particle_projector(
            parts, t * _occ.UM, scale=_occ.UM))
    t3, c3 = time.perf_counter(), time.process_time()
    fr = domain.volume_fractions()
    phi = fr.get(particles, 0.0)
    log.info("particle_composite: %d particles, target fraction %s, realised %.4f; "
             "%d elements (CAD %.2f s, mesh %.2f s)", len(parts), volume_fraction, phi,
             domain.mesh.nelements, t1 - t0, t2 - t1)
    return domain.with_info(
        builder="particle_composite", seed=seed, target_fraction=volume_fraction,
        volume_fraction=phi, interphase_fraction=fr.get(interphase, 0.0),
        n_particles=len(parts), centers=parts.centers / _occ.UM, radii=parts.radii / _occ.UM,
        directions=parts.directions.copy(), image_of=parts.image_of.copy(), aspect_ratio=a,
        shape=parts.shape,
        overlap=bool(overlap), periodic=bool(parts.periodic), shell_thickness=shell_thickness,
        electrode_axis=dim - 1, boundary_layer=boundary_layer, mesh_size=h_final / _occ.UM,
        matrix_mesh_size=hm_final / _occ.UM, gmsh_mesh_size=h / _occ.UM,
        algorithm=alg, tiles=_n_tiles(box, h) ** 2 if dim == 2 else 1,
        timings={"cad": t1 - t0, "mesh": t2 - t1, "to_domain": t3 - t2,  # split included
                 "cad_cpu": c1 - c0, "mesh_cpu": c2 - c1, "to_domain_cpu": c3 - c2},
    )


def _check_split(split) -> int:
    if isinstance(split, bool) or not isinstance(split, (int, np.integer)) or not 0 <= split <= 4:
        raise GeometryError(f"split must be an integer from 0 to 4, got {split!r} (1 meshes "
                            "at twice the size and splits every element once).")
    return int(split)


def _scaled_layers(boundary_layer, factor: float):
    """Boundary layers with their element sizes times *factor* (coarse mesh for split)."""
    if boundary_layer is None or factor == 1:
        return boundary_layer
    many = not isinstance(boundary_layer, refinement.BoundaryLayer)
    layers = list(boundary_layer) if many else [boundary_layer]
    return [dataclasses.replace(lay, size=lay.size * factor) for lay in layers]


def _scaled_radius(radius):
    """The radius argument converted from metres to micrometres."""
    if callable(radius):
        return lambda rng, n: np.asarray(radius(rng, n), dtype=float) * _occ.UM
    if isinstance(radius, tuple) and radius and isinstance(radius[0], str):
        return (radius[0], *[float(x) * _occ.UM for x in radius[1:]])
    try:
        return float(radius) * _occ.UM
    except (TypeError, ValueError):
        raise GeometryError(
            f"radius must be a number, ('lognormal', mean, sd), ('uniform', lo, hi) or a "
            f"callable, got {radius!r}."
        ) from None


def _mean_radius(rad) -> float:
    if isinstance(rad, tuple):
        return float(rad[1]) if rad[0] == "lognormal" else 0.5 * (rad[1] + rad[2])
    if callable(rad):
        return float(np.mean(rad(np.random.default_rng(0), 256)))
    return float(rad)


def _explicit(box, centers, radii, a, orientation, shape, seed, dim) -> Particles:
    if centers is None or radii is None:
        raise GeometryError("explicit particles need both centers and radii.")
    c = np.array(centers, dtype=float) * _occ.UM  # copies: inputs are never touched
    if c.ndim != 2 or c.shape[1] != dim:
        raise GeometryError(f"centers must have shape (n, {dim}) for a {dim}D box, got {c.shape}.")
    r = np.array(radii, dtype=float).ravel() * _occ.UM
    if r.size == 1 and c.shape[0] > 1:
        r = np.full(c.shape[0], r[0])
    if r.size != c.shape[0]:
        raise GeometryError(f"radii has {r.size} entries for {c.shape[0]} centers.")
    if np.any(~np.isfinite(r)) or np.any(r <= 0):
        raise GeometryError(f"radii must be finite and > 0, got min {r.min() / _occ.UM!r} m.")
    if np.any(2 * a * r > box.min()):
        raise GeometryError(
            f"a particle of diameter {2 * a * r.max() / _occ.UM:.3g} m is larger than the "
            f"smallest box edge {box.min() / _occ.UM:.3g} m; shrink it or enlarge the box."
        )
    dirs = _directions(np.random.default_rng(seed), c.shape[0], dim, orientation)
    return Particles(centers=c, radii=r, aspect_ratio=a, directions=dirs, shape=shape,
                     box=box.copy(), periodic=False, image_of=np.arange(r.size))


def _check_shells(parts: Particles, t: float) -> None:
    """Shells of hard-core particles must not touch: surface distance > 2 t."""
    from scipy.spatial import cKDTree

    if len(parts) < 2:
        return
    tree = cKDTree(parts.centers)
    reach = 2 * parts.extent.max() + 2 * t
    pairs = tree.query_pairs(reach, output_type="ndarray")
    if pairs.size == 0:
        return
    from .placement import segment_distance

    i, j = pairs[:, 0], pairs[:, 1]
    dist = segment_distance(parts.centers[i], parts.directions[i], parts.half_length[i],
                            parts.centers[j], parts.directions[j], parts.half_length[j])
    surf = dist - parts.radii[i] - parts.radii[j]
    k = int(np.argmin(surf))
    if surf[k] <= 2 * t:
        raise GeometryError(
            f"shell_thickness={t / _occ.UM:.3g} m is too thick: particles {i[k]} and {j[k]} are "
            f"only {max(surf[k], 0) / _occ.UM:.3g} m apart, so their shells would overlap. Use "
            f"shell_thickness < {max(surf[k], 0) / 2 / _occ.UM:.3g} m, or overlap=True."
        )


def _mesh_size(mesh_size, parts: Particles, t: float) -> float:
    if mesh_size is None:
        h = float(parts.radii.min()) / 3.0
    else:
        h = float(mesh_size) * _occ.UM
        if not (math.isfinite(h) and h > 0):
            raise GeometryError(f"mesh_size must be finite and > 0, got {mesh_size!r}.")
    return h


def _build(gmsh, dim, box, parts: Particles, t, matrix, particles, interphase, h,
           fuse_first=False):
    """OCC model: box (as tiles in 2D) fragmented by particle (and shell) solids.

    `fuse_first`: fuse overlapping particles (and shells) into single solids before the
    fragment; needed for overlapping 3D rods/spheroids, whose direct fragment gives
    surface meshes with intersecting facets.
    """
    occ = gmsh.model.occ
    seams = np.zeros(len(parts.radii))
    if dim == 2:
        xs, ys = (_cuts(box[ax], _n_tiles(box, h), parts, t, h, ax) for ax in (0, 1))
        frame = [(2, occ.addRectangle(x0, y0, 0, x1 - x0, y1 - y0))
                 for x0, x1 in zip(xs[:-1], xs[1:]) for y0, y1 in zip(ys[:-1], ys[1:])]
        if parts.shape != "rod" or parts.aspect_ratio == 1.0:
            seams = _seam_angles(parts, t, xs, ys, h)
    else:
        frame = [(3, occ.addBox(0, 0, 0, *box))]
    cores, shells = [], []
    for c, r, d, a in zip(parts.centers, parts.radii, parts.directions, seams):
        cores.append(_occ.add_particle(occ, dim, c, r, parts.aspect_ratio, d, parts.shape,
                                       seam=a))
        if t:
            shells.append(_occ.add_particle(occ, dim, c, r + t, _shell_aspect(parts, r, t), d,
                                            parts.shape, seam=a))
    if fuse_first:
        shells = [_fused(occ, [e for g in shells for e in g])] if shells else []
        cores = [_fused(occ, [e for g in cores for e in g])]
    tools = [e for group in shells + cores for e in group]
    out, out_map = occ.fragment(frame, tools)
    occ.synchronize()
    nf = len(frame)
    inside = {tag for m in out_map[:nf] for _, tag in m}
    core_tags = set()
    for k in range(len(shells), len(tools)):
        core_tags.update(tag for _, tag in out_map[nf + k])
    shell_tags = set()
    for k in range(len(shells)):
        shell_tags.update(tag for _, tag in out_map[nf + k])
    outside = [(dim, tag) for _, tag in out if tag not in inside]
    if outside:
        gmsh.model.removeEntities(outside, recursive=True)
        occ.remove(outside, recursive=True)
        occ.synchronize()
    core = sorted(inside & core_tags)
    shell = sorted((inside & shell_tags) - core_tags)
    rest = sorted(inside - core_tags - shell_tags)
    if not rest:
        raise GeometryError("the particles leave no matrix in the box; lower the fraction.")
    cells = {matrix: rest, particles: core, interphase: shell}
    outer = _occ.classify_outer(gmsh, dim, box)
    _occ.add_groups(gmsh, dim, cells, outer)
    return shell, shell + core, {k: v for k, v in cells.items() if v}, outer


def _fused(occ, ents):
    if len(ents) < 2:
        return ents
    out, _ = occ.fuse(ents[:1], ents[1:])
    return list(out)


# gmsh's 2D Delaunay is superlinear on one big surface with many holes: 438 k triangles
# in one surface took 5.9 s CPU, in 4 x 4 tiles 2.6 s; 1.1 M triangles 20 s -> 9.6 s.
# Smaller tiles keep helping until the OCC fragment of the extra tiles costs more than
# the Delaunay saves (0.96 M-triangle benchmark composite, 2 threads, 3 interleaved
# rounds, min wall of CAD + mesh + Domain: 60 k per tile 11.8 s, 15 k 9.3 s, 8 k 8.6 s,
# 4 k 9.6 s; benchmarks/meshing).
_TRIANGLES_PER_TILE = 8_000


def _n_tiles(box, h) -> int:
    """Tiles per side so that each holds about `_TRIANGLES_PER_TILE` triangles."""
    n_est = box[0] * box[1] / (0.433 * h * h)
    return max(1, int(round(math.sqrt(n_est / _TRIANGLES_PER_TILE))))


def _cuts(length, k, parts: Particles, t, h, axis) -> np.ndarray:
    """Tile edges along *axis*, each moved (by at most a quarter tile) off any particle
    or shell surface that it would only graze, so no sliver pieces are cut off.

    A tile edge is a straight line across the whole box, so in a dense composite every
    position grazes some particle (benchmark composite: 1000 disks, each blocking 2 x 4 h
    of a 100 um line); then the edge goes where its distance to the nearest tangency is
    largest (searched on an h/8 grid) instead of to the ideal position, which may pass
    a particle at any small distance. (The disks' seams are moved off the edges
    afterwards, `_seam_angles`.)"""
    from .placement import _support

    edges = [0.0]
    ext = _support(parts.directions, parts.radii, parts.aspect_ratio, parts.shape, axis) + t
    c = parts.centers[:, axis]
    # where a line x = const touches a particle or shell: c +- extent, sorted (the
    # nearest one to a candidate is a binary search; memory O(particles))
    tang = np.sort(np.concatenate([c + s * e for e in [ext] + ([ext - t] if t else [])
                                   for s in (-1.0, 1.0)]))

    half = length / (4 * k)
    for i in range(1, k):
        ideal = i * length / k
        offs = np.arange(0.0, half, h / 2)
        cand = np.stack([ideal + offs, ideal - offs], axis=1).ravel()
        ok = _distance_to_sorted(cand, tang) >= 2 * h  # grazing within two elements
        if ok.any():
            best = cand[np.argmax(ok)]  # the first, i.e. the closest to the ideal
        else:
            fine = ideal + np.arange(-half, half, h / 8)
            best = fine[np.argmax(_distance_to_sorted(fine, tang))]
        edges.append(float(best))
    edges.append(length)
    return np.array(edges)


def _seam_angles(parts: Particles, t, xs, ys, h) -> np.ndarray:
    """Parametric angle of each disk's or ellipse's boundary vertex (the curve's seam),
    away from the tile edges and box faces *xs*, *ys*.

    OpenCASCADE closes a circle or ellipse at one vertex (angle 0: for an ellipse the
    end of its long axis). A tile edge crossing the curve within a fraction of an
    element of it leaves a tiny arc, and gmsh a sliver triangle there (measured: min
    quality 0.014 where a cut ran 0.002 um from a seam, h = 0.3 um; 0.62 without tiles).
    A particle whose seam is closer than 2 h to a line gets the one of eight angles
    farthest from the lines; the shape does not change."""
    ang = np.arange(8) * (np.pi / 4)
    a = parts.aspect_ratio
    d = parts.directions if a != 1.0 else np.tile([1.0, 0.0], (len(parts.radii), 1))
    clear = np.full((len(parts.radii), ang.size), np.inf)
    for long, short in [(a * parts.radii, parts.radii)] + (
            [(a * parts.radii + t, parts.radii + t)] if t else []):
        u = long[:, None] * np.cos(ang)  # seam in the particle frame (long axis first)
        v = short[:, None] * np.sin(ang)
        px = parts.centers[:, :1] + d[:, :1] * u - d[:, 1:2] * v  # (n, 8) seam points
        py = parts.centers[:, 1:2] + d[:, 1:2] * u + d[:, :1] * v
        clear = np.minimum(clear, np.minimum(_distance_to_sorted(px, xs),
                                             _distance_to_sorted(py, ys)))
    best = np.argmax(clear, axis=1)
    return np.where(clear[:, 0] >= 2 * h, 0.0, ang[best])


def _distance_to_sorted(x, lines) -> np.ndarray:
    """Distance of each *x* to the nearest of the ascending *lines* (binary search)."""
    lines = np.asarray(lines, dtype=float)
    i = np.searchsorted(lines, x)
    lo = lines[np.clip(i - 1, 0, lines.size - 1)]
    hi = lines[np.clip(i, 0, lines.size - 1)]
    return np.minimum(np.abs(x - lo), np.abs(x - hi))


def _shell_aspect(parts: Particles, r, t) -> float:
    """Aspect ratio of the shell so its long semi-axis is a r + t (rods: exact offset)."""
    a = parts.aspect_ratio
    if parts.shape == "rod":
        return ((a - 1.0) * r + r + t) / (r + t)
    return (a * r + t) / (r + t)
