r"""P1 edge geometry: the stiffness matrix written as edge weights, lumped masses.

For P1 simplices the Laplacian stiffness matrix is
:math:`K_{ij} = \sum_T |T|\,\nabla\lambda_i\cdot\nabla\lambda_j`; its off-diagonal entries
define element-edge weights :math:`w^T_{ij} = -K^T_{ij}` (cotangent weights in 2D) and
:math:`\int_T a\nabla u\cdot\nabla v = \sum_{edges} a_T w^T_{ij}(u_i-u_j)(v_i-v_j)`.
Every transport term in :mod:`nernst_planck` and :mod:`poisson` is written on these
edges, which makes the schemes conservative by construction (what leaves node i along an
edge enters node j).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..geometry.mesh_checks import simplex_det

__all__ = ["EdgeGeometry", "edge_geometry", "boundary_node_measure"]


@dataclass(frozen=True)
class EdgeGeometry:
    """Edges and weights of a simplex mesh (coordinates as given, e.g. scaled)."""

    edges: np.ndarray  # (2, nedges) node indices i < j
    elem_edge: np.ndarray  # (nlocal, nelem) global edge index of each local edge
    elem_weight: np.ndarray  # (nlocal, nelem) w^T for unit coefficient
    grads: np.ndarray  # (nelem, dim+1, dim) barycentric gradients
    volumes: np.ndarray  # (nelem,)
    lumped: np.ndarray  # (nnodes,) lumped mass sum_T |T|/(d+1)
    t: np.ndarray  # (dim+1, nelem)

    @property
    def nnodes(self) -> int:
        return self.lumped.size

    def edge_coefficient(self, coeff_per_element: np.ndarray) -> np.ndarray:
        """:math:`W_e = \\sum_{T\\ni e} a_T w^T_e` for an element-wise coefficient a."""
        vals = self.elem_weight * np.asarray(coeff_per_element)[None, :]
        return np.bincount(self.elem_edge.ravel(), weights=vals.ravel(),
                           minlength=self.edges.shape[1])

    def lumped_by_element(self, values_per_element: np.ndarray) -> np.ndarray:
        """:math:`\\sum_T |T|/(d+1)\\, a_T` at each node (lumped integral of a P0 field)."""
        d1 = self.t.shape[0]
        w = np.broadcast_to(self.volumes * np.asarray(values_per_element) / d1, self.t.shape)
        return np.bincount(self.t.ravel(), weights=w.ravel(), minlength=self.nnodes)


def edge_geometry(p: np.ndarray, t: np.ndarray) -> EdgeGeometry:
    """Build the edge form of P1 stiffness for nodes ``p`` (dim, n) and simplices ``t``."""
    dim = p.shape[0]
    X = p[:, t]  # (dim, d+1, nel)
    J = np.transpose(X[:, 1:, :] - X[:, :1, :], (2, 1, 0))  # (nel, d, dim): rows = edge vectors
    Jinv = np.linalg.inv(J)  # columns give gradients of lambda_1..d
    g = np.transpose(Jinv, (0, 2, 1))  # (nel, d, dim)
    g0 = -g.sum(axis=1, keepdims=True)
    grads = np.concatenate([g0, g], axis=1)  # (nel, d+1, dim)
    fact = 2.0 if dim == 2 else 6.0
    vol = np.abs(simplex_det(p, t)) / fact
    pairs = list(combinations(range(dim + 1), 2))
    a = np.array([q[0] for q in pairs])
    b = np.array([q[1] for q in pairs])
    w = -np.einsum("ekx,ekx->ke", grads[:, a, :], grads[:, b, :]) * vol[None, :]
    ni, nj = t[a, :], t[b, :]
    lo, hi = np.minimum(ni, nj), np.maximum(ni, nj)
    n = p.shape[1]
    keys = lo.astype(np.int64) * n + hi
    uniq, inv = np.unique(keys.ravel(), return_inverse=True)
    edges = np.vstack([uniq // n, uniq % n])
    lumped = np.bincount(t.ravel(), weights=np.repeat(vol[None, :] / (dim + 1), dim + 1, 0).ravel(),
                         minlength=n)
    return EdgeGeometry(edges, inv.reshape(keys.shape), w, grads, vol, lumped, t)


def boundary_node_measure(p: np.ndarray, facets: np.ndarray, nnodes: int) -> np.ndarray:
    """Lumped facet measure per node: each facet's length/area split equally on its vertices."""
    if facets.size == 0:
        return np.zeros(nnodes)
    X = p[:, facets]  # (dim, d, nf)
    if facets.shape[0] == 2:
        meas = np.linalg.norm(X[:, 1] - X[:, 0], axis=0)
    else:
        meas = 0.5 * np.linalg.norm(np.cross((X[:, 1] - X[:, 0]).T, (X[:, 2] - X[:, 0]).T), axis=1)
    k = facets.shape[0]
    return np.bincount(facets.ravel(), weights=np.repeat(meas[None, :] / k, k, 0).ravel(),
                       minlength=nnodes)
