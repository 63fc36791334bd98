r"""The two-point finite-volume graph of a voxel image (the scheme TauFactor uses).

Each voxel is a node at its centre. Neighbours across a face normal to axis *a* are
linked by the series conductance of their two half cells (harmonic mean),

.. math::  g = A_a \Big/ \Big(\frac{h_a}{2\sigma_i} + \frac{h_a}{2\sigma_j}\Big),
           \qquad A_a = \prod_b h_b / h_a ,

so a voxel of zero conductivity is not linked at all. In 2D everything is per metre of
depth. A :class:`~ntransport.image.voxel_image.ThinLayer` of thickness
:math:`\delta \le h/2` and conductivity :math:`\sigma_i`, coating the faces between
phase P and a host H, changes the graph in two ways (see
:mod:`ntransport.image.interphase`):

* the P-H link becomes :math:`g = A_a/\big(\tfrac{h_a}{2\sigma_P} + \tfrac{\delta}{\sigma_i}
  + \tfrac{h_a/2 - \delta}{\sigma_H}\big)`;
* the sheet (excess conductance :math:`K = \delta(\sigma_i - \sigma_H)` [S]) links the
  host voxels of neighbouring coated faces: coplanar faces (``g = K w / h_b``, w the
  face width across the link) and faces around a convex edge of P (``g = K w / l``, w
  the edge length, l the distance between the two host centres). A resistive layer
  (K < 0) keeps the coplanar links (the total stays positive for
  :math:`\delta\le h/2`) and drops the convex ones.

Every link carries the owners of the volume it spans (phases of its two half cells, the
layer) so the current share of each phase is exact:
:math:`\int_\Omega j\cdot e\,dV = \sum_{links} F\,\Delta x\cdot e`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import suggest
from .voxel_image import AXES, ImageError, ThinLayer, VoxelImage

__all__ = ["LinkGroup", "phase_conductivities", "voxel_links", "coated_faces",
           "sheet_electrode_links"]


@dataclass(frozen=True)
class LinkGroup:
    """Links ``i -> j`` (flat voxel indices) of conductance ``g`` [S, or S/m in 2D], all
    with the displacement ``disp`` [m] from i to j; ``owners`` is a tuple of
    ``(owner, weight)`` (phase index array or int, and the share of the link's length
    it owns)."""

    i: np.ndarray
    j: np.ndarray
    g: np.ndarray
    disp: np.ndarray
    owners: tuple
    kind: str = "face"


def phase_conductivities(image: VoxelImage, conductivity) -> np.ndarray:
    """Conductivity [S/m] of every phase of ``image.all_phases`` from a mapping
    name -> S/m (0 for insulators and pores), or anything with ``.conductivity(T)``."""
    names = image.all_phases
    if not isinstance(conductivity, Mapping):
        raise ImageError(f"conductivity must map each phase {list(names)} to S/m, got "
                         f"{type(conductivity).__name__}.")
    for k in conductivity:
        if k not in names:
            raise ImageError(f"conductivity given for unknown phase {k!r}.{suggest(str(k), names)}")
    missing = [n for n in names if n not in conductivity]
    if missing:
        raise ImageError(f"conductivity is missing for phase(s) {missing}; the image has "
                         f"{list(names)} (give 0 for insulating phases and pores).")
    out = np.empty(len(names))
    for i, n in enumerate(names):
        v = conductivity[n]
        v = v.conductivity(None) if hasattr(v, "conductivity") else v
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise ImageError(f"conductivity of {n!r} must be a number [S/m], got {v!r}.") from None
        if not (math.isfinite(v) and v >= 0):
            raise ImageError(f"conductivity of {n!r} must be finite and >= 0 S/m, got {v!r}.")
        out[i] = v
    return out


def _shift(a: np.ndarray, off, fill, periodic=()):
    """``b[p] = a[p + off]``, wrapping along the *periodic* axes, *fill* where p + off
    leaves the array along the others."""
    for ax in periodic:
        if off[ax]:
            a = np.roll(a, -off[ax], axis=ax)
    off = [0 if ax in periodic else o for ax, o in enumerate(off)]
    if not any(off):
        return a.copy()
    out = np.full_like(a, fill)
    src, dst = [], []
    for o, n in zip(off, a.shape):
        src.append(slice(max(o, 0), n + min(o, 0)))
        dst.append(slice(max(-o, 0), n + min(-o, 0)))
    out[tuple(dst)] = a[tuple(src)]
    return out


def _coated_mask(image: VoxelImage, layer: ThinLayer, ax: int, s: int,
                 periodic=()) -> np.ndarray:
    """True at voxels p of `layer.around` whose neighbour p + s e_ax is in `layer.into`."""
    lab = image.labels.astype(np.int32)
    off = [0] * image.dim
    off[ax] = s
    nb = _shift(lab, off, -1, periodic)
    into = [image.index(p) for p in layer.into]
    return (lab == image.index(layer.around)) & np.isin(nb, into)


def coated_faces(image: VoxelImage, layer: ThinLayer):
    """Yield ``(axis, sign, host labels)`` of the faces coated by *layer*."""
    for ax in range(image.dim):
        for s in (1, -1):
            m = _coated_mask(image, layer, ax, s)
            off = [0] * image.dim
            off[ax] = s
            host = _shift(image.labels.astype(np.int32), off, -1)[m]
            yield ax, s, host


def _flat(shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def voxel_links(image: VoxelImage, sigma: np.ndarray, *, periodic=()) -> list[LinkGroup]:
    """All links of the finite-volume graph (see the module docstring).

    Parameters
    ----------
    image : VoxelImage
    sigma : (len(image.all_phases),) conductivity per phase [S/m]
    periodic : iterable of int
        Axes along which the last voxel layer is linked to the first.
    """
    lab = image.labels
    h = image.voxel_size
    dim = image.dim
    periodic = tuple(sorted({int(a) for a in periodic if lab.shape[int(a)] > 1}))
    vol = float(np.prod(h))
    s_vox = sigma[lab]
    idx = _flat(lab.shape)
    groups = []
    layer_index = {t.name: image.all_phases.index(t.name) for t in image.thin}
    for t in image.thin:
        if sigma[layer_index[t.name]] <= 0:
            continue
        for p in t.into:
            if sigma[image.index(p)] <= 0:
                raise ImageError(
                    f"the sub-voxel interphase {t.name!r} grows into {p!r}, which has zero "
                    "conductivity; a sheet needs a conducting host. Resolve the interphase "
                    "with voxels (a finer image, or add_interphase(..., mode='voxels')).")
    for ax in range(dim):
        area = vol / h[ax]
        wrap = ax in periodic and lab.shape[ax] > 1
        sl_a = [slice(None)] * dim
        sl_b = [slice(None)] * dim
        if wrap:
            ia, ib = idx, np.roll(idx, -1, axis=ax)
            sa, sb = s_vox, np.roll(s_vox, -1, axis=ax)
            la, lb = lab, np.roll(lab, -1, axis=ax)
        else:
            sl_a[ax] = slice(0, -1)
            sl_b[ax] = slice(1, None)
            ia, ib = idx[tuple(sl_a)], idx[tuple(sl_b)]
            sa, sb = s_vox[tuple(sl_a)], s_vox[tuple(sl_b)]
            la, lb = lab[tuple(sl_a)], lab[tuple(sl_b)]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where((sa > 0) & (sb > 0), 2.0 * area / h[ax] * sa * sb / (sa + sb), 0.0)
        w_layer = owner_layer = host_is_b = None
        for t in image.thin:
            si = sigma[layer_index[t.name]]
            d = t.thickness
            for s in (1, -1):
                m = _coated_mask(image, t, ax, s, periodic)
                # the face (p, p + s e_ax) sits at p (s = +1) or p - e_ax (s = -1) in the
                # (ia, ib) layout
                if s == 1:
                    fm = m if wrap else m[tuple(sl_a)]
                    sp_, sh_ = sa, sb
                else:
                    fm = np.roll(m, -1, axis=ax) if wrap else m[tuple(sl_b)]
                    sp_, sh_ = sb, sa
                if not fm.any():
                    continue
                if si > 0:
                    r = h[ax] / (2 * sp_[fm]) + d / si + (h[ax] / 2 - d) / sh_[fm]
                    g[fm] = area / r
                else:
                    g[fm] = 0.0
                if w_layer is None:
                    w_layer = np.zeros(g.shape)
                    owner_layer = np.zeros(g.shape, dtype=np.int64)
                    host_is_b = np.zeros(g.shape, dtype=bool)
                w_layer[fm] = d / h[ax]
                owner_layer[fm] = layer_index[t.name]
                if s == 1:
                    host_is_b |= fm
        keep = g > 0
        disp = np.zeros(dim)
        disp[ax] = h[ax]
        if w_layer is None:
            owners = ((la[keep].astype(np.int64), 0.5), (lb[keep].astype(np.int64), 0.5))
        else:
            wl, hb = w_layer[keep], host_is_b[keep]
            # the layer sits on the host side and takes its share from the host's half
            owners = ((la[keep].astype(np.int64), np.where(hb, 0.5, 0.5 - wl)),
                      (lb[keep].astype(np.int64), np.where(hb, 0.5 - wl, 0.5)),
                      (owner_layer[keep], wl))
        groups.append(LinkGroup(ia[keep], ib[keep], g[keep], disp, owners,
                                kind=f"face {AXES[ax]}"))
    groups += _sheet_links(image, sigma, layer_index, periodic)
    return groups


def _sheet_links(image, sigma, layer_index, periodic) -> list[LinkGroup]:
    lab = image.labels
    h = image.voxel_size
    dim = image.dim
    vol = float(np.prod(h))
    idx = _flat(lab.shape)
    s_vox = sigma[lab]
    out = []
    for t in image.thin:
        si = sigma[layer_index[t.name]]
        if si <= 0:
            continue
        d = t.thickness
        core = lab == image.index(t.around)
        masks = {(a, s): _coated_mask(image, t, a, s, periodic) for a in range(dim)
                 for s in (1, -1)}
        for (a, s), m in masks.items():
            area = vol / h[a]
            off_q = [0] * dim
            off_q[a] = s
            for b in range(dim):
                if b == a:
                    continue
                # coplanar: faces at p and p + e_b, hosts q and q + e_b
                off_b = [0] * dim
                off_b[b] = 1
                both = m & _shift(m, off_b, False, periodic)
                if both.any():
                    q = _shift(idx, off_q, -1, periodic)[both]
                    q2 = _shift(idx, [x + y for x, y in zip(off_q, off_b)], -1, periodic)[both]
                    sh = 0.5 * (s_vox.ravel()[q] + s_vox.ravel()[q2])
                    K = d * (si - sh)
                    g = K * area / h[b] ** 2
                    disp = np.zeros(dim)
                    disp[b] = h[b]
                    ok = g != 0
                    out.append(LinkGroup(q[ok], q2[ok], g[ok], disp,
                                         ((layer_index[t.name], 1.0),), kind="sheet"))
        for a in range(dim):
            for b in range(a + 1, dim):
                for s in (1, -1):
                    for u in (1, -1):
                        both = masks[(a, s)] & masks[(b, u)]
                        off_d = [0] * dim
                        off_d[a], off_d[b] = s, u
                        diag_core = _shift(core, off_d, True, periodic)
                        both &= ~diag_core
                        if not both.any():
                            continue
                        oa = [0] * dim
                        oa[a] = s
                        ob = [0] * dim
                        ob[b] = u
                        q1 = _shift(idx, oa, -1, periodic)[both]
                        q2 = _shift(idx, ob, -1, periodic)[both]
                        sh = 0.5 * (s_vox.ravel()[q1] + s_vox.ravel()[q2])
                        K = d * (si - sh)
                        w = vol / (h[a] * h[b])
                        ell = math.hypot(h[a], h[b])
                        g = K * w / ell
                        ok = g > 0
                        disp = np.zeros(dim)
                        disp[a], disp[b] = -s * h[a], u * h[b]
                        out.append(LinkGroup(q1[ok], q2[ok], g[ok], disp,
                                             ((layer_index[t.name], 1.0),), kind="sheet"))
    return out


def sheet_electrode_links(image: VoxelImage, sigma: np.ndarray, axis: int, *, periodic=()):
    """Half links from the sheets that reach the two electrode faces normal to *axis*:
    ``[(host nodes, g, layer index) at x = 0, (...) at x = L]`` -- a sheet touching an
    electrode delivers its current there directly, not through its host voxel."""
    h = image.voxel_size
    vol = float(np.prod(h))
    idx = _flat(image.shape)
    ends = []
    for end in (0, -1):
        nodes, gs, owners = [], [], []
        for t in image.thin:
            li = image.all_phases.index(t.name)
            si = sigma[li]
            if si <= 0:
                continue
            for a in range(image.dim):
                if a == axis:
                    continue
                for s in (1, -1):
                    m = _coated_mask(image, t, a, s, periodic)
                    off = [0] * image.dim
                    off[a] = s
                    q = np.take(_shift(idx, off, -1, periodic), end, axis=axis)[
                        np.take(m, end, axis=axis)]
                    if not q.size:
                        continue
                    K = t.thickness * (si - sigma[image.labels.ravel()[q]])
                    g = 2.0 * K * (vol / h[a]) / h[axis] ** 2
                    ok = g > 0
                    nodes.append(q[ok])
                    gs.append(g[ok])
                    owners.append(np.full(int(ok.sum()), li))
        cat = (lambda x, dt: np.concatenate(x) if x else np.zeros(0, dt))
        ends.append((cat(nodes, np.int64), cat(gs, float), cat(owners, np.int64)))
    return ends
