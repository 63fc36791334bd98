"""Checks of a deposition run: charge budget, remesh triggers, a folding anode."""
from __future__ import annotations

import numpy as np

from ..constants import F
from ..errors import ConfigError

__all__ = ["check_budget", "needs_remesh", "anode_gap"]


def check_budget(problem, t_end, t0):
    """Reject a run that would strip more Li than there is (or plate through a fixed top)."""
    ts = np.linspace(t0, t_end, 201)
    cur = np.array([problem.current(t) for t in ts])
    q = np.concatenate([[0.0], np.cumsum(0.5 * (cur[1:] + cur[:-1]) * np.diff(ts))])
    thick = q * problem.molar_volume / F  # > 0: stripped thickness
    if thick.max() >= problem.li_thickness:
        raise ConfigError(
            f"current_density would strip {thick.max() * 1e6:.3g} µm of Li by t = "
            f"{ts[int(np.argmax(thick))]:.4g} s, more than li_thickness = "
            f"{problem.li_thickness * 1e6:.3g} µm: the electrode would be consumed. Lower the "
            "current or the time, or give a thicker li_thickness.")
    if not problem.follow_front and -thick.min() >= problem.height:
        raise ConfigError(
            f"current_density would plate {-thick.min() * 1e6:.3g} µm of Li, at least the "
            f"electrolyte height = {problem.height * 1e6:.3g} µm (short circuit). Lower the "
            "charge or use follow_front=True (top boundary moves with the mean front).")


def needs_remesh(state, mesh):
    """The reason to remesh *state* (element quality, anode segment lengths), or None."""
    q = state.min_quality
    seg = np.linalg.norm(np.diff(state.anode, axis=0), axis=1)
    if q < mesh.min_quality:
        return f"min element quality {q:.3f} < {mesh.min_quality}"
    if seg.max() > mesh.max_stretch * mesh.h_anode:
        return f"anode segment {seg.max():.3g} m > {mesh.max_stretch}·h_anode"
    if seg.min() < mesh.h_anode / (2 * mesh.max_stretch):
        return f"anode segment {seg.min():.3g} m < h_anode/{2 * mesh.max_stretch}"
    return None


def anode_gap(X, *, exclude=None):
    """Smallest distance between a node and a segment of the polyline *X* (n, 2) that
    lie more than *exclude* apart along the curve (default: 3 times the mean segment
    length) -- small when the curve folds back on itself (a closing hairpin, a dome
    overhanging its foot), at least about *exclude* for a curve that does not."""
    X = np.asarray(X, dtype=float)
    a, b = X[:-1], X[1:]
    d = b - a
    L = np.linalg.norm(d, axis=1)
    s = np.concatenate([[0.0], np.cumsum(L)])
    exclude = 3.0 * L.mean() if exclude is None else float(exclude)
    rel = X[:, None, :] - a[None, :, :]  # (n, nseg, 2)
    tau = np.clip(np.einsum("ijk,jk->ij", rel, d) / np.maximum(L, 1e-300) ** 2, 0.0, 1.0)
    dist = np.linalg.norm(rel - tau[..., None] * d[None], axis=2)
    arc = np.abs(s[:, None] - (s[:-1][None, :] + tau * L[None, :]))
    far = arc > exclude
    return float(dist[far].min()) if np.any(far) else np.inf
