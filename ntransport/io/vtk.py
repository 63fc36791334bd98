"""ParaView output: `.vtu` files with named point/cell data and `.pvd` time series.

Field names carry their units (``"phi [V]"``, ``"j [A m-2]"``). Every file also gets
the integer cell array ``"subdomain"`` (index into ``domain.region_names``). Vectors may be given
as (dim, n) -- the scikit-fem layout -- or (n, dim); 2D vectors are padded to three
components so ParaView can draw glyphs and streamlines. Coordinates are in metres.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

__all__ = ["write_vtu", "PVDWriter"]

log = logging.getLogger(__name__)

_CELL = {2: "triangle", 3: "tetra"}


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
        if a.shape[1] in (2,):
            a = np.column_stack([a, np.zeros(n, dtype=a.dtype)])
        return np.ascontiguousarray(a)
    raise ValueError(f"{where} {name!r} must be 1D or 2D, got shape {a.shape}.")


def write_vtu(path, domain, *, point_data=None, cell_data=None) -> Path:
    """Write *domain* and named fields to an XML unstructured-grid file.

    Parameters
    ----------
    path : str or Path
        Output file; ``.vtu`` is appended if missing. Parent folders are created.
    domain : Domain
    point_data : mapping name -> (nnodes,) or vector array, optional
    cell_data : mapping name -> (nel,) or vector array, optional
        ``"subdomain"`` (region index per element) is always written.

    Returns
    -------
    Path of the written file.

    Examples
    --------
    >>> write_vtu("out/phi.vtu", domain, point_data={"phi [V]": phi})  # doctest: +SKIP
    """
    import meshio

    path = Path(path)
    if path.suffix != ".vtu":
        path = path.with_name(path.name + ".vtu")
    path.parent.mkdir(parents=True, exist_ok=True)
    mesh = domain.mesh
    npts, nel = mesh.nvertices, mesh.nelements
    pts = np.zeros((npts, 3))
    pts[:, : domain.dim] = mesh.p.T
    pdata = {k: _as_vtk_array(k, v, npts, "point_data") for k, v in (point_data or {}).items()}
    cdata = {"subdomain": np.asarray(domain.region, dtype=np.int32)}
    for k, v in (cell_data or {}).items():
        cdata[k] = _as_vtk_array(k, v, nel, "cell_data")
    m = meshio.Mesh(
        pts,
        [(_CELL[domain.dim], np.ascontiguousarray(mesh.t.T))],
        point_data=pdata,
        cell_data={k: [v] for k, v in cdata.items()},
    )
    meshio.write(path, m, file_format="vtu", binary=True, compression="zlib")
    log.info("wrote %s", path)
    return path


class PVDWriter:
    """Time series for ParaView: one ``.vtu`` per step plus a ``.pvd`` collection.

    The collection is rewritten after every step, so a running simulation can be
    opened at any time. Step files go to a folder next to the ``.pvd`` named after it.

    Examples
    --------
    >>> with PVDWriter("out/deposition.pvd") as pvd:                      # doctest: +SKIP
    ...     for t, state in solver:
    ...         pvd.add(t, domain, point_data={"c [mol m-3]": state.c})
    """

    def __init__(self, path):
        path = Path(path)
        if path.suffix != ".pvd":
            path = path.with_name(path.name + ".pvd")
        self.path = path
        self.folder = path.with_suffix("")
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
        write_vtu(f, domain, point_data=point_data, cell_data=cell_data)
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
