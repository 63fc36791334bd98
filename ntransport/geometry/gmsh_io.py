"""Turn gmsh models and mesh files into `Domain` objects.

gmsh (GPL) is imported only inside this subpackage and only inside functions.

Two entry points:

* :func:`from_gmsh` -- the current gmsh model (built by the user's own script with
  ``gmsh.model.addPhysicalGroup(..., name=...)``) becomes a `Domain` in one call.
* :func:`read_mesh` -- a ``.msh`` (v2 or v4), a ``.geo`` (meshed on the fly) or any
  meshio-readable file with named cell sets.

A ``.geo`` file is a gmsh *program*: besides geometry it can run shell commands
(``SystemCall``), write files (``Printf(...) > "f"``, ``Save``, ``Print``,
``CreateDir``), end the Python process (``Exit``) or stall it (``Sleep``).
:func:`scan_geo` refuses every such directive (:data:`GEO_REFUSED`) before gmsh sees
the file, and follows ``Include``/``Merge`` of other ``.geo`` files. Inside a case run
(``ntransport run``, :func:`ntransport.studies.registry.run_case`) a ``.geo`` named by
the case is not meshed at all unless the user opts in (``--allow-geo``): mesh it
yourself (``gmsh cell.geo -2 -format msh4 -o cell.msh``) and name the ``.msh``.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from pathlib import Path

import numpy as np

from ..errors import ConfigError, MeshError, SecurityError
from .domain import Domain
from .geo_scan import GEO_REFUSED, check_msh_header, how_to_mesh, scan_geo

__all__ = ["from_gmsh", "read_mesh", "gmsh_session", "LENGTH_UNITS", "scan_geo",
           "case_geo_files", "GEO_REFUSED"]

log = logging.getLogger(__name__)

LENGTH_UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "micron": 1e-6, "nm": 1e-9, "cm": 1e-2}
# gmsh element type -> (dimension, number of corner nodes)
_GMSH_TYPES = {1: (1, 2), 2: (2, 3), 4: (3, 4), 8: (1, 2), 9: (2, 3), 11: (3, 4)}


def _scale(unit) -> float:
    if isinstance(unit, (int, float)):
        return float(unit)
    if unit not in LENGTH_UNITS:
        from ..errors import suggest

        raise ConfigError(f"unit {unit!r} is not a length unit.{suggest(str(unit), LENGTH_UNITS)}")
    return LENGTH_UNITS[unit]


#: gmsh's API is one global state: sessions of different threads (runs side by side,
#: ntransport.studies.concurrent) take turns; the same thread may nest sessions
_GMSH_LOCK = threading.RLock()


@contextlib.contextmanager
def gmsh_session(*, verbose: bool = False, threads: int = 1):
    """Initialise gmsh (quietly, without signal handlers) and finalise it afterwards.

    Re-entrant: if gmsh is already initialised, the caller's session is reused and a
    fresh model is added and removed instead. One thread at a time (gmsh is not
    thread-safe): other threads wait here.
    """
    with _GMSH_LOCK:
        with _gmsh_session(verbose=verbose, threads=threads) as gmsh:
            yield gmsh


@contextlib.contextmanager
def _gmsh_session(*, verbose: bool, threads: int):
    import gmsh

    owner = not gmsh.isInitialized()
    if owner:
        try:
            gmsh.initialize(readConfigFiles=False, interruptible=False)
        except TypeError:  # gmsh < 4.11
            gmsh.initialize(readConfigFiles=False)
        _restore_sigpipe()
    else:
        previous = gmsh.model.getCurrent()
    name = f"ntransport_{id(object())}"
    gmsh.model.add(name)
    gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
    gmsh.option.setNumber("General.Verbosity", 5 if verbose else 1)
    gmsh.option.setNumber("General.NumThreads", threads)
    try:
        yield gmsh
    finally:
        if owner:
            gmsh.finalize()
        else:
            with contextlib.suppress(Exception):
                gmsh.model.setCurrent(name)
                gmsh.model.remove()
                gmsh.model.setCurrent(previous)


def _restore_sigpipe() -> None:
    """gmsh.initialize() resets SIGPIPE to its default action (measured, gmsh 4.15), so
    any later write to a closed pipe -- a sweep's dead worker, ``ntransport ... | head``
    -- would kill the whole Python process silently (exit 141) instead of raising
    BrokenPipeError. Put back Python's setting (ignored). The disposition is one per
    process; Python's ``signal.signal`` may only be called from the main thread, so a
    session opened by a worker thread (runs side by side) sets it through the C library."""
    import signal

    if not hasattr(signal, "SIGPIPE"):
        return
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        return
    import ctypes

    libc = ctypes.CDLL(None)
    libc.signal.restype = ctypes.c_void_p
    libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.signal(int(signal.SIGPIPE), 1)  # 1 = SIG_IGN


def from_gmsh(*, unit="m", dim: int | None = None) -> Domain:
    """Convert the current gmsh model (already meshed) to a `Domain`.

    Subdomains are the physical groups of the top dimension; boundaries the physical
    groups one dimension lower (internal ones included). Every group must have a name.

    Parameters
    ----------
    unit : str or float
        Unit of the model's coordinates (``"m"``, ``"um"``, ...) or the factor to metres.
    dim : int, optional
        Mesh dimension; by default the highest dimension that has physical groups.

    Examples
    --------
    >>> import gmsh, ntransport                                       # doctest: +SKIP
    >>> gmsh.initialize()                                              # doctest: +SKIP
    >>> s = gmsh.model.occ.addRectangle(0, 0, 0, 20, 5)                # doctest: +SKIP
    >>> gmsh.model.occ.synchronize()                                   # doctest: +SKIP
    >>> gmsh.model.addPhysicalGroup(2, [s], name="PEO")                # doctest: +SKIP
    >>> gmsh.model.mesh.generate(2)                                    # doctest: +SKIP
    >>> domain = ntransport.from_gmsh(unit="um")                       # doctest: +SKIP
    """
    import gmsh

    groups = gmsh.model.getPhysicalGroups()
    if not groups:
        raise MeshError(
            "the mesh has no physical groups, so its regions have no names. Add them, e.g. "
            'gmsh.model.addPhysicalGroup(2, [surface_tags], name="electrolyte") in Python or '
            'Physical Surface("electrolyte") = {1}; in a .geo file.'
        )
    if dim is None:
        dim = max(d for d, _ in groups)
    if dim not in (2, 3):
        raise MeshError(f"need a 2D or 3D mesh, the physical groups have dimension {dim}.")
    tags, coords, _ = gmsh.model.mesh.getNodes()
    if tags.size == 0:
        raise MeshError("the gmsh model has no mesh; call gmsh.model.mesh.generate(dim) first.")
    coords = coords.reshape(-1, 3)
    lookup = np.full(int(tags.max()) + 1, -1, dtype=np.int64)
    lookup[tags.astype(np.int64)] = np.arange(tags.size)

    def to_index(node_tags):
        return lookup[np.asarray(node_tags, dtype=np.int64)]

    def group_elements(d, tag, name):
        blocks = []
        for ent in gmsh.model.getEntitiesForPhysicalGroup(d, tag):
            etypes, _, enodes = gmsh.model.mesh.getElements(d, ent)
            for et, en in zip(etypes, enodes):
                if et not in _GMSH_TYPES or _GMSH_TYPES[et][0] != d:
                    raise MeshError(
                        f"physical group {name!r} holds gmsh element type {et}; only linear or "
                        "quadratic simplices (triangles, tetrahedra, lines) are supported."
                    )
                npe = {1: 2, 2: 3, 4: 4, 8: 3, 9: 6, 11: 10}[et]
                blocks.append(en.reshape(-1, npe)[:, : _GMSH_TYPES[et][1]])
        if not blocks:
            return np.zeros((0, d + 1), dtype=np.int64)
        return np.concatenate(blocks)

    cell_blocks, cell_groups, facet_groups, start = [], {}, {}, 0
    for d, tag in groups:
        name = gmsh.model.getPhysicalName(d, tag)
        if d == dim:
            if not name:
                raise MeshError(
                    f"physical group {tag} of dimension {dim} has no name; name it, e.g. "
                    f'gmsh.model.setPhysicalName({dim}, {tag}, "electrolyte").'
                )
            el = group_elements(d, tag, name)
            if name in cell_groups:
                raise MeshError(f"two physical groups are named {name!r}; names must be unique.")
            cell_blocks.append(el)
            cell_groups[name] = np.arange(start, start + len(el))
            start += len(el)
        elif d == dim - 1:
            if not name:
                log.warning("facet physical group %d has no name; it is skipped", tag)
                continue
            facet_groups[name] = group_elements(d, tag, name)
    if not cell_groups:
        raise MeshError(f"no named physical group of dimension {dim}: the subdomains need names.")
    cells = to_index(np.concatenate(cell_blocks))
    facet_groups = {k: to_index(v) for k, v in facet_groups.items()}
    return Domain.from_arrays(coords, cells, cell_groups, facet_groups, scale=_scale(unit),
                              source="the gmsh model")


# ---------------------------------------------------------------- .geo policy
_CASE_GEO: contextvars.ContextVar[bool | None] = contextvars.ContextVar("ntransport_case_geo",
                                                                       default=None)


@contextlib.contextmanager
def case_geo_files(*, allowed: bool):
    """Inside this block :func:`read_mesh` meshes ``.geo`` files only if *allowed* (the
    case runner sets it from ``--allow-geo``; outside a case run the API user decides
    by calling :func:`read_mesh` on the file, which is scanned either way)."""
    token = _CASE_GEO.set(bool(allowed))
    try:
        yield
    finally:
        _CASE_GEO.reset(token)


def read_mesh(path, *, unit="m") -> Domain:
    """Read a mesh file with named regions into a `Domain`.

    Parameters
    ----------
    path : str or Path
        ``.msh`` (gmsh v2 or v4), ``.geo`` (meshed on the fly by gmsh), or any
        meshio-readable format whose cells carry named sets (``.vtu`` with cell sets,
        ``.med``, ``.xdmf`` ...).
    unit : str or float
        Unit of the file's coordinates; ``"um"`` for a mesh drawn in micrometres.

    Raises
    ------
    MeshError
        The file has no named physical groups / cell sets, or unsupported cells.
    FileNotFoundError
        The path does not exist.
    """
    scale = _scale(unit)  # reject a bad unit before any work
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"mesh file {str(path)!r} does not exist; check the path "
                                "(relative paths in a case file are relative to the case file).")
    if not path.is_file():
        raise MeshError(f"mesh file {str(path)!r} is not a file.")
    suffix = path.suffix.lower()
    if suffix == ".geo":
        if _CASE_GEO.get() is False:
            raise SecurityError(
                f"mesh file {path.name!r} is a .geo script, which gmsh would execute (it can "
                f"run shell commands); a case file may not mesh one unless you pass "
                f"--allow-geo (run_case(..., allow_geo=True)) for a file you trust. Or "
                f"{how_to_mesh(path)}.")
        scan_geo(path)
    if suffix == ".msh":
        check_msh_header(path)
    if suffix in (".msh", ".geo"):
        from .guards import check_gmsh_model

        with gmsh_session() as gmsh:
            try:
                gmsh.open(str(path))
            except Exception as exc:  # gmsh raises a bare Exception, often without text
                raise MeshError(f"gmsh could not read {path.name!r} ({exc or 'no message'}); "
                                "is it a valid .msh (v2/v4) or .geo file?") from None
            if suffix == ".geo":
                dim = gmsh.model.getDimension()
                if dim not in (2, 3):
                    raise MeshError(f"{path.name}: the .geo defines no 2D or 3D geometry "
                                    f"(dimension {dim}).")
                check_gmsh_model(gmsh, dim, what=f"meshing {path.name}", unit=str(unit))
                try:
                    gmsh.model.mesh.generate(dim)
                except Exception as exc:
                    raise MeshError(f"gmsh failed to mesh {path.name!r} ({exc or 'no message'}); "
                                    "check the geometry in gmsh's GUI.") from None
            return from_gmsh(unit=scale)
    return _from_meshio(path, unit)


def _from_meshio(path: Path, unit) -> Domain:
    import meshio

    try:
        m = meshio.read(path)
    except Exception as exc:  # noqa: BLE001 - meshio raises many types for bad files
        raise MeshError(f"cannot read mesh file {path.name!r} ({type(exc).__name__}: {exc}); "
                        "give a .msh (v2/v4), .vtu, .xdmf or another meshio format with "
                        "named cell sets.") from None
    top = "tetra" if any(c.type == "tetra" for c in m.cells) else "triangle"
    face = "triangle" if top == "tetra" else "line"
    cell_groups, facet_groups = {}, {}
    offsets, start = {}, 0
    for i, block in enumerate(m.cells):
        if block.type == top:
            offsets[i] = start
            start += len(block.data)
    if not offsets:
        raise MeshError(f"{path.name}: no triangles or tetrahedra found.")
    cells = np.concatenate([m.cells[i].data for i in offsets])

    sets = dict(m.cell_sets or {})
    if not sets:  # formats without sets (VTU...) store them as one "a-b-c" index array
        for key in [k for k in m.cell_data if "-" in k and not k.startswith("gmsh:")]:
            m.cell_data_to_sets(key)
        sets = dict(m.cell_sets or {})
    if not sets and "gmsh:physical" in m.cell_data and m.field_data:
        ids = m.cell_data["gmsh:physical"]
        for name, (tag, _) in m.field_data.items():
            sets[name] = [np.nonzero(np.asarray(ids[i]) == tag)[0] for i in range(len(m.cells))]
    for name, per_block in sets.items():
        if name.startswith("gmsh:"):
            continue
        top_idx = [offsets[i] + np.asarray(per_block[i]) for i in offsets if len(per_block[i])]
        faces = [m.cells[i].data[np.asarray(per_block[i])] for i, b in enumerate(m.cells)
                 if b.type == face and i < len(per_block) and len(per_block[i])]
        if top_idx:
            cell_groups[name] = np.concatenate(top_idx)
        elif faces:
            facet_groups[name] = np.concatenate(faces)
    if not cell_groups:
        raise MeshError(
            f"{path.name} has no named cell sets, so its regions have no names. Save it from "
            "gmsh with physical groups, or give the cells named sets (meshio cell_sets)."
        )
    return Domain.from_arrays(m.points, cells, cell_groups, facet_groups, scale=_scale(unit),
                              source=path.name)
