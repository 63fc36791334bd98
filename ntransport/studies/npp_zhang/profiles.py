"""Profiles across the structured cell at its nodes, and the tables and checks built on them.

The cells are 1D problems on structured meshes, uniform along x, so a profile is read
at the nodes of the left edge (:func:`axis`) rather than interpolated along a line
(:func:`ntransport.post.transport.line_profile` samples *n* equally spaced points, which
would miss the nanometre cells of a Debye-resolving mesh and mix neighbouring nodes at
the Donnan steps).
"""
from __future__ import annotations

import numpy as np

__all__ = ["axis", "profile", "potentials", "layer_drops", "common_frame", "x_uniformity",
           "profile_table"]


def axis(domain):
    """``(y [m], node indices)`` of the nodes on the left edge, bottom to top (a 1D
    structured cell is uniform along x, so this is its profile at the nodes)."""
    x, y = domain.mesh.p
    idx = np.nonzero(np.abs(x - x.min()) <= 1e-12 * max(np.ptp(x), 1e-300))[0]
    idx = idx[np.argsort(y[idx])]
    return y[idx], idx


def profile(sol, key, frame=None):
    """(y [m], values) of field *key* on the left edge of the structured cell (last frame
    unless *frame* is given)."""
    f = sol.frames[-1] if frame is None else frame
    y, idx = axis(f.domain)
    return y, np.asarray(f[key])[idx]


def potentials(sol, data):
    """``(y [m], phi [V], mu/F [V])`` along the axis in the last frame: the electric
    potential and the Li+ electrochemical potential
    (:func:`~ntransport.studies.npp_zhang.cells.electrochemical_potential`)."""
    from .cells import electrochemical_potential

    y, phi = profile(sol, "phi")
    _, c = profile(sol, "c_Li+")
    return y, phi, electrochemical_potential(phi, c, data)


def layer_drops(y, phi, layers) -> dict:
    """Layer name -> ``phi(top of the layer) - phi(bottom)`` [V], read at the nodes nearest
    to each layer's bounds (*layers* from the cathode up)."""
    out, z0 = {}, 0.0
    for lay, th, _ in layers:
        a, b = np.argmin(np.abs(y - z0)), np.argmin(np.abs(y - (z0 + th)))
        out[lay] = float(phi[b] - phi[a])
        z0 += th
    return out


def common_frame(sol, sols):
    """The frame of *sol* at the latest time every solution in *sols* has a frame at
    (the last frame if there is none)."""
    common = None
    for t in sorted({float(f.t) for f in sol.frames}, reverse=True):
        if all(any(abs(f.t - t) <= 1e-9 * max(t, 1e-300) for f in o.frames) for o in sols):
            common = t
            break
    if common is None:
        return sol.frames[-1]
    return min(sol.frames, key=lambda f: abs(f.t - common))


def x_uniformity(sol) -> float:
    """max over node rows of (max - min)/max|c| of c(Li+) in the last frame: 0 for a 1D
    problem solved exactly uniform along x."""
    f = sol.frames[-1]
    y = f.domain.mesh.p[1]
    c = np.asarray(f["c_Li+"])
    key = np.round(y / max(np.ptp(y), 1e-300) * 1e12).astype(np.int64)
    order = np.argsort(key, kind="stable")
    ks, cs = key[order], c[order]
    cut = np.nonzero(np.diff(ks))[0] + 1
    lo = np.minimum.reduceat(cs, np.r_[0, cut])
    hi = np.maximum.reduceat(cs, np.r_[0, cut])
    return float(np.max(hi - lo) / max(np.max(np.abs(c)), 1e-300))


def profile_table(sols):
    """DataTable of the concentrations and the potential along the axis, every frame of
    every solution (*sols*: name -> Solution)."""
    from ...io.tables import DataTable

    parts = []
    for name, sol in sols.items():
        for f in sol.frames:
            y, idx = axis(f.domain)
            cols = {"case": np.full(y.size, name), "t [s]": np.full(y.size, f.t),
                    "y [µm]": y * 1e6}
            for key in ("c_Li+ [mol m-3]", "c_A- [mol m-3]", "c_A- immobilised [mol m-3]",
                        "phi [V]"):
                cols[key] = np.asarray(f[key])[idx]
            parts.append(DataTable(cols))
    return DataTable.concat(parts)
