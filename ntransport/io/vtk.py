"""ParaView output: `.vtu` files with named, unit-carrying arrays and `.pvd` time series.

Field names carry their units (``"phi [V]"``, ``"j [A m-2]"``). Every file also holds the
subdomain of each element twice -- the integer ``"subdomain"`` and the text
``"subdomain_name"`` -- and the table ``subdomain_names`` in its field data, so ParaView
shows "LLZO", not 3. Vectors may be given as (dim, n) -- the scikit-fem layout -- or
(n, dim); 2D vectors are padded to three components so ParaView draws glyphs and
streamlines. Coordinates are metres, or micrometres with ``length_unit="um"`` (the field
data ``length_unit`` says which). Written with VTK's XML writer (binary, compressed).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

__all__ = ["write_vtu", "PVDWriter", "to_pyvista", "LENGTH_UNITS"]

log = logging.getLogger(__name__)

#: accepted ``length_unit`` values -> factor from metres
LENGTH_UNITS = {"m": 1.0, "um": 1e6, "µm": 1e6}


def _as_vtk_array(name, arr, n, where):
    a = np.asarray(arr)
    if a.ndim == 1:
        if a.shape[0] != n:
            raise ValueError(f"{where} {name!r} has {a.shape[0]} values, expected {n}.")
        return a
    if a.ndim == 2:
        if a.shape[0] != n and a.shape[1] == n:
            a = a.T
        if a.shape[0] != n:
            raise ValueError(f"{where} {name!r} has shape {a.shape}; expected ({n},), ({n}, k) or (k, {n}).")
        if a.shape[1] == 2:
            a = np.column_stack([a, np.zeros(n, dtype=a.dtype)])
        return np.ascontiguousarray(a)
    raise ValueError(f"{where} {name!r} must be 1D or 2D, got shape {a.shape}.")


def _scale(length_unit):
    try:
        return LENGTH_UNITS[length_unit]
    except KeyError:
        raise ValueError(f"length_unit must be one of {sorted(LENGTH_UNITS)}, got "
                         f"{length_unit!r}.") from None


def to_pyvista(domain, *, point_data=None, cell_data=None, length_unit="m"):
    """A :class:`pyvista.UnstructuredGrid` of *domain* with the given arrays."""
    import pyvista as pv
    from pyvista import CellType

    f = _scale(length_unit)
    mesh = domain.mesh
    npts, nel = mesh.nvertices, mesh.nelements
    pts = np.zeros((npts, 3))
    pts[:, : domain.dim] = mesh.p.T * f
    ctype = CellType.TRIANGLE if domain.dim == 2 else CellType.TETRA
    grid = pv.UnstructuredGrid({ctype: np.ascontiguousarray(mesh.t.T)}, pts)
    for k, v in (point_data or {}).items():
        grid.point_data[k] = _as_vtk_array(k, v, npts, "point_data")
    region = np.asarray(domain.region, dtype=np.int32)
    names = np.array(domain.region_names)
    for k, v in (cell_data or {}).items():
        grid.cell_data[k] = _as_vtk_array(k, v, nel, "cell_data")
    grid.cell_data["subdomain"] = region
    grid.cell_data["subdomain_name"] = names[region]
    grid.field_data["subdomain_names"] = names
    grid.field_data["length_unit"] = np.array(["um" if f != 1.0 else "m"])
    return grid


def write_vtu(path, domain, *, point_data=None, cell_data=None, length_unit="m") -> Path:
    """Write *domain* and named fields to an XML unstructured-grid file.

    Parameters
    ----------
    path : str or Path
        Output file; ``.vtu`` is appended if missing. Parent folders are created.
    domain : Domain
    point_data : mapping name -> (nnodes,) or vector array, optional
    cell_data : mapping name -> (nel,) or vector array, optional
    length_unit : {"m", "um"}
        Unit of the written coordinates.

    Returns
    -------
    Path of the written file.

    Examples
    --------
    >>> write_vtu("out/phi.vtu", domain, point_data={"phi [V]": phi})  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix != ".vtu":
        path = path.with_name(path.name + ".vtu")
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = to_pyvista(domain, point_data=point_data, cell_data=cell_data,
                      length_unit=length_unit)
    tmp = path.with_name(path.name + ".tmp.vtu")
    grid.save(tmp, binary=True)
    tmp.replace(path)
    log.info("wrote %s", path)
    return path


class PVDWriter:
    """Time series for ParaView: one ``.vtu`` per step plus a ``.pvd`` collection.

    The collection is rewritten (atomically) after every step, so a running simulation
    can be opened at any time. Step files go to a folder next to the ``.pvd`` named
    after it.

    Examples
    --------
    >>> with PVDWriter("out/deposition.pvd") as pvd:                      # doctest: +SKIP
    ...     for t, state in solver:
    ...         pvd.add(t, domain, point_data={"c [mol m-3]": state.c})
    """

    def __init__(self, path, *, length_unit="m"):
        path = Path(path)
        if path.suffix != ".pvd":
            path = path.with_name(path.name + ".pvd")
        _scale(length_unit)
        self.path = path
        self.folder = path.with_suffix("")
        self.length_unit = length_unit
        self.steps: list[tuple[float, Path]] = []

    def __enter__(self) -> "PVDWriter":
        return self

    def __exit__(self, *exc) -> None:
        if self.steps:
            self._write_collection()

    def add(self, t: float, domain, *, point_data=None, cell_data=None) -> Path:
        """Write step *t* [s] and update the collection; returns the step file."""
        t = float(t)
        if not np.isfinite(t):
            raise ValueError(f"time must be finite, got {t!r}.")
        if self.steps and t <= self.steps[-1][0]:
            raise ValueError(f"times must increase: got t={t!r} after t={self.steps[-1][0]!r}.")
        f = self.folder / f"{self.folder.name}_{len(self.steps):05d}.vtu"
        write_vtu(f, domain, point_data=point_data, cell_data=cell_data,
                  length_unit=self.length_unit)
        self.steps.append((t, f))
        self._write_collection()
        return f

    def _write_collection(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = ['<?xml version="1.0"?>',
                 '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
                 "  <Collection>"]
        for t, f in self.steps:
            rel = os.path.relpath(f, self.path.parent).replace(os.sep, "/")
            lines.append(f'    <DataSet timestep="{t!r}" group="" part="0" file={quoteattr(rel)}/>')
        lines += ["  </Collection>", "</VTKFile>", ""]
        tmp = self.path.with_suffix(".pvd.tmp")
        tmp.write_text("\n".join(lines))
        tmp.replace(self.path)
