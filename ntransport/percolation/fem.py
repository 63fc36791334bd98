r"""Voxel (mixed) finite elements for the conductivity of particle configurations.

The sample ``[0, L]^dim`` is cut into ``N^dim`` cubes of edge ``h = L/N``; a cube is
metal (:math:`\sigma_M`) when its centre lies inside a particle
(:func:`~ntransport.percolation.voxel.voxelize`, exact inside tests), otherwise
insulator (:math:`\sigma_{NM}`). The conduction problem

.. math:: \nabla\cdot(\sigma\nabla\phi) = 0,\quad \phi = V \text{ at } x = 0,\quad
          \phi = 0 \text{ at } x = L,\quad j\cdot n = 0 \text{ on the sides},

is discretised by lowest-order Raviart-Thomas mixed elements with trapezoidal flux
quadrature, which on a Cartesian grid is the cell-centred two-point scheme of
:func:`~ntransport.percolation.voxel.grid_solution` (Arbogast, Wheeler & Yotov 1997).
Current crosses shared faces only: two metal cubes touching at an edge or a corner are
not connected. (Nodal P1 elements on the same cubes couple them through the shared
nodes with a conductance ~ sigma_M h, i.e. they behave like 26-connected site
percolation in 3D -- threshold 0.098 instead of 0.312 -- and were rejected for that
reason.)

`VoxelFEM` keeps one grid for a whole ensemble and turns a solution into a
:class:`~ntransport.solution.Solution` on a structured simplex mesh of the same cubes
(6 Kuhn tetrahedra per cube, 2 triangles per square; cell data copied to every simplex
of a cube) so that it can be written as VTU with named regions. The Domain follows the
geometry builders: electrode axis = last coordinate; the percolation mask has it first.
"""
from __future__ import annotations

import logging

import numpy as np

from ..errors import GeometryError, check_positive

__all__ = ["VoxelFEM", "voxel_mesh"]

log = logging.getLogger(__name__)

#: Kuhn split of a cube (corner c has offset bits x = c & 1, y = c >> 1 & 1, z = c >> 2 & 1)
_KUHN = np.array([[0, 1, 3, 7], [0, 1, 5, 7], [0, 4, 5, 7],
                  [0, 4, 6, 7], [0, 2, 6, 7], [0, 2, 3, 7]])
_SQUARE = np.array([[0, 1, 3], [0, 2, 3]])


def _corners(shape):
    """(ncells, 2^dim) corner node indices of each cell of a structured grid, C order."""
    dim = len(shape)
    idx = np.arange(int(np.prod([m + 1 for m in shape]))).reshape([m + 1 for m in shape])
    cols = []
    for c in range(2 ** dim):
        off = [(c >> a) & 1 for a in range(dim)]
        cols.append(idx[tuple(slice(o, o + m) for o, m in zip(off, shape))].ravel())
    return np.stack(cols, axis=1)


def voxel_mesh(n: int, length: float, *, dim: int = 3, scale: float = 1.0):
    """Points (npts, dim) [m], simplices, simplices per cube and electrode facets of a
    structured mesh of ``[0, length]^dim`` with *n* cubes per edge (electrodes at the
    last coordinate = 0 (anode) and = length (cathode))."""
    if int(n) != n or n < 2:
        raise GeometryError(f"n must be an integer >= 2 cells per edge, got {n!r}.")
    if dim not in (2, 3):
        raise GeometryError(f"dim must be 2 or 3, got {dim!r}.")
    check_positive(length, name="length", exc=GeometryError)
    n = int(n)
    shape = (n,) * dim
    corners = _corners(shape)
    split = _KUHN if dim == 3 else _SQUARE
    t = corners[:, split].reshape(-1, dim + 1)
    h = float(length) / n * float(scale)
    pts = np.stack(np.meshgrid(*[np.arange(n + 1) * h] * dim, indexing="ij"),
                   axis=-1).reshape(-1, dim)
    layers = corners.reshape(shape + (2 ** dim,))
    bottom = layers[..., 0, :].reshape(-1, 2 ** dim)
    top = layers[..., -1, :].reshape(-1, 2 ** dim)
    if dim == 3:
        facets = {"anode": np.concatenate([bottom[:, [0, 1, 3]], bottom[:, [0, 2, 3]]]),
                  "cathode": np.concatenate([top[:, [4, 5, 7]], top[:, [4, 6, 7]]])}
    else:
        facets = {"anode": bottom[:, [0, 1]], "cathode": top[:, [2, 3]]}
    return pts, t, split.shape[0], facets


class VoxelFEM:
    """Mixed-FEM conductivity of cube masks on ``n^dim`` cubes of a box of edge *length*.

    Parameters
    ----------
    n : int
        Cubes per edge.
    length : float
        Box edge in the particles' unit; *scale* converts it to metres for output.
    dim : {2, 3}
    """

    def __init__(self, n: int, length: float, *, dim: int = 3, scale: float = 1.0):
        self._pts, self._t, self.per_cell, self._facets = voxel_mesh(n, length, dim=dim,
                                                                     scale=scale)
        self.n, self.dim, self.length, self.scale = int(n), dim, float(length), float(scale)

    def _check(self, mask):
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.n,) * self.dim:
            raise GeometryError(f"mask must have shape {(self.n,) * self.dim}, got {mask.shape}.")
        return mask

    def solve(self, mask, *, sigma_metal=1.0, sigma_insulator=1e-8):
        """:class:`~ntransport.percolation.voxel.GridSolution` of one metal mask
        (percolation order: axis 0 = electrode axis) at unit voltage."""
        from .voxel import grid_solution

        mask = self._check(mask)
        check_positive(sigma_metal, name="sigma_metal", exc=GeometryError)
        check_positive(sigma_insulator, name="sigma_insulator", allow_zero=True,
                       exc=GeometryError)
        return grid_solution(np.where(mask, float(sigma_metal), float(sigma_insulator)))

    def conductivity(self, mask, *, sigma_metal=1.0, sigma_insulator=1e-8) -> float:
        """Effective conductivity along the electrode axis, in the units of sigma."""
        return self.solve(mask, sigma_metal=sigma_metal,
                          sigma_insulator=sigma_insulator).sigma_eff

    def solution(self, mask, grid, *, sigma_metal=1.0, sigma_insulator=1e-8, voltage=1.0,
                 metal="metal", insulator="insulator"):
        """A steady :class:`~ntransport.solution.Solution` of *grid* (from `solve`) on the
        simplex mesh of the cubes, regions *metal* / *insulator*; cell data ``phi [V]``,
        ``j [A m-2]``, ``|j| [A m-2]``, ``sigma [S/m]`` (SI when sigma is in S/m)."""
        from ..geometry.domain import Domain
        from ..solution import Frame, Solution

        mask = self._check(mask)
        k = self.per_cell
        to_dom = lambda a: np.repeat(np.moveaxis(a, 0, self.dim - 1).reshape(  # noqa: E731
            (-1,) + a.shape[self.dim:]), k, axis=0)
        m = to_dom(mask)
        groups = {metal: np.flatnonzero(m), insulator: np.flatnonzero(~m)}
        dom = Domain.from_arrays(self._pts, self._t, {a: b for a, b in groups.items() if b.size},
                                 self._facets).with_info(builder="voxel_mesh", n=self.n,
                                                         length=self.length * self.scale)
        h = self.length / self.n
        # flux is per unit voxel edge at unit voltage: current density = flux / h
        j = grid.flux * voltage / (h * self.scale)
        j = np.roll(j, -1, axis=-1)  # percolation x first -> electrode axis last
        sig = np.where(mask, float(sigma_metal), float(sigma_insulator))
        cell = {"phi [V]": to_dom(grid.phi * voltage), "j [A m-2]": to_dom(j),
                "|j| [A m-2]": to_dom(np.linalg.norm(j, axis=-1)),
                "sigma [S/m]": to_dom(sig)}
        return Solution([Frame(0.0, dom, {}, cell)],
                        scalars={"sigma_eff [S/m]": grid.sigma_eff}, model="voxel conduction")
