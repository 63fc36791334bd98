"""Exact particle surfaces for `split_elements`: new nodes on a composite's interfaces.

A composite's particles (and shells) are spheres, spheroids, disks, ellipses or
spherocylinders whose centres, axes and radii the builder knows. An edge whose two end
nodes lie on one such surface (to `ON_SURFACE`, relative) is a chord of it; its midpoint is
moved onto the surface: radially for spheres, disks and rods (the closest point), along the
normal for spheroids and ellipses (the closest point, by Newton on its Lagrange
multiplier). A chord lying in a box face (a particle clipped by the face) keeps its
coordinate there: the midpoint goes onto the ellipse in which the face cuts the spheroid.
Edges on two faces (box edges), on rods clipped by a face, on the seam where overlapping
particles meet, or whose move would put them inside another particle stay on the chord.
"""
from __future__ import annotations

import numpy as np

from .placement import Particles
from .split import Projector

__all__ = ["particle_projector", "ON_SURFACE"]

#: an end node is on a surface if its radial level (1 on the surface) is within this
ON_SURFACE = 1e-6
_CANDIDATES = 8  # nearest particle centres tried per edge
_NEWTON = 6  # Newton steps for the closest point on a spheroid


def particle_projector(parts: Particles, shell_thickness: float = 0.0, *,
                       scale: float = 1.0) -> Projector:
    """A `Projector` onto the surfaces of *parts* (and their shells of the given
    thickness). *parts* and the thickness are in builder units; a mesh coordinate times
    *scale* is in those units (1e6 for a mesh in metres and particles in micrometres)."""
    return _Projector(parts, float(shell_thickness), float(scale))


class _Projector:
    def __init__(self, parts: Particles, t: float, scale: float):
        self.rod = parts.shape == "rod" and parts.aspect_ratio != 1.0
        self.box = np.asarray(parts.box, dtype=float)
        self.scale = scale
        r = np.asarray(parts.radii, dtype=float)
        a = float(parts.aspect_ratio)
        self.c = np.asarray(parts.centers, dtype=float)
        self.d = np.asarray(parts.directions, dtype=float)
        self.d = self.d / np.linalg.norm(self.d, axis=1, keepdims=True)
        # per surface kind: (short semi-axis, long semi-axis or rod half-length)
        half = (a - 1.0) * r
        self.kinds = [(r, half if self.rod else a * r)]
        if t:
            self.kinds.append((r + t, half if self.rod else a * r + t))
        from scipy.spatial import cKDTree  # only when a composite is split

        self.tree = cKDTree(self.c)
        self.k = min(_CANDIDATES, len(r))

    # ---------------------------------------------------------------- geometry
    def _level(self, x, j, kind):
        """Radial level of points x (m, dim) for particles j (m,): 1 on the surface."""
        short, long = (v[j] for v in self.kinds[kind])
        u = x - self.c[j]
        al = np.einsum("ij,ij->i", u, self.d[j])
        uu = np.einsum("ij,ij->i", u, u)
        if self.rod:
            w = np.clip(al, -long, long)
            return np.sqrt(np.maximum(uu - 2 * w * al + w * w, 0.0)) / short
        return np.sqrt(al * al / (long * long) + np.maximum(uu - al * al, 0.0) / (short * short))

    def _radial(self, x, j, kind, level):
        """Onto the surface at the closest point: radially for rods and spheres; for
        spheroids the foot of the normal, x' = c + al/(1 + lam/L^2) d + perp/(1 + lam/S^2),
        with the Lagrange multiplier lam from Newton on the surface equation (from 0:
        the points are a sagitta away), then rescaled by the remaining round-off."""
        short, long = (v[j] for v in self.kinds[kind])
        u = x - self.c[j]
        d = self.d[j]
        al = np.einsum("ij,ij->i", u, d)
        if self.rod:
            w = np.clip(al, -long, long)[:, None] * d
            return self.c[j] + w + (u - w) / level[:, None]
        if np.all(np.abs(long - short) <= 1e-12 * short):
            return self.c[j] + u / level[:, None]
        s2, l2 = short * short, long * long
        aa = al * al
        bb = np.maximum(np.einsum("ij,ij->i", u, u) - aa, 0.0)
        lam = np.zeros_like(al)
        for _ in range(_NEWTON):
            ta, tb = 1.0 + lam / l2, 1.0 + lam / s2
            g = aa / (l2 * ta * ta) + bb / (s2 * tb * tb) - 1.0
            dg = -2.0 * aa / (l2 * l2 * ta ** 3) - 2.0 * bb / (s2 * s2 * tb ** 3)
            lam = lam - g / dg
        ta, tb = 1.0 + lam / l2, 1.0 + lam / s2
        v = (al / ta - al / tb)[:, None] * d + u / tb[:, None]
        return self.c[j] + v / self._level(self.c[j] + v, j, kind)[:, None]

    def _in_plane(self, x, j, kind, axis, value):
        """Onto the ellipse in which the plane x[axis] = value cuts spheroid j."""
        short, long = (v[j] for v in self.kinds[kind])
        d, c = self.d[j], self.c[j]
        s2, l2 = short * short, long * long
        di = d[np.arange(len(j)), axis]
        den = s2 + (l2 - s2) * di * di  # e_i . M^-1 e_i
        delta = value - c[np.arange(len(j)), axis]
        minv_e = (l2 - s2)[:, None] * di[:, None] * d
        minv_e[np.arange(len(j)), axis] += s2
        centre = c + (delta / den)[:, None] * minv_e
        qmin = delta * delta / den
        y = x - centre
        yd = np.einsum("ij,ij->i", y, d)
        ymy = np.einsum("ij,ij->i", y, y) / s2 + yd * yd * (1.0 / l2 - 1.0 / s2)
        ok = (qmin < 1.0) & (ymy > 0)
        f = np.sqrt(np.where(ok, (1.0 - qmin) / np.where(ok, ymy, 1.0), 1.0))
        return centre + f[:, None] * y, ok

    # ------------------------------------------------------------------- call
    def __call__(self, a, b):
        a = np.asarray(a, dtype=float) * self.scale
        b = np.asarray(b, dtype=float) * self.scale
        m = a.shape[0]
        mid = 0.5 * (a + b)
        out = mid.copy()
        moved = np.zeros(m, dtype=bool)
        if m == 0:
            return out / self.scale, moved
        _, cand = self.tree.query(mid, k=self.k)
        cand = cand.reshape(m, -1)
        best = np.full(m, np.inf)
        pick = np.full(m, -1)
        pkind = np.zeros(m, dtype=int)
        for kind in range(len(self.kinds)):
            for col in range(cand.shape[1]):
                j = cand[:, col]
                err = np.maximum(np.abs(self._level(a, j, kind) - 1.0),
                                 np.abs(self._level(b, j, kind) - 1.0))
                better = (err < ON_SURFACE) & (err < best)
                best[better], pick[better], pkind[better] = err[better], j[better], kind
        # box faces shared by both ends
        tol = 1e-9 * float(self.box.max())
        on_lo = (np.abs(a) < tol) & (np.abs(b) < tol)
        on_hi = (np.abs(a - self.box) < tol) & (np.abs(b - self.box) < tol)
        nfaces = on_lo.sum(axis=1) + on_hi.sum(axis=1)
        for kind in range(len(self.kinds)):
            sel = (pick >= 0) & (pkind == kind)
            free = np.flatnonzero(sel & (nfaces == 0))
            if free.size:
                j = pick[free]
                out[free] = self._radial(mid[free], j, kind, self._level(mid[free], j, kind))
                moved[free] = True
            if self.rod or a.shape[1] == 2:
                continue  # clipped rods keep the chord; a 2D face edge is straight
            face = np.flatnonzero(sel & (nfaces == 1))
            if face.size:
                hit = on_lo[face] | on_hi[face]
                axis = np.argmax(hit, axis=1)
                value = np.where(on_hi[face, axis], self.box[axis], 0.0)
                new, ok = self._in_plane(mid[face], pick[face], kind, axis, value)
                new[np.arange(face.size), axis] = value  # exactly in the face
                out[face[ok]] = new[ok]
                moved[face[ok]] = True
        moved &= self._acceptable(out, mid, a, b, cand, pick, pkind)
        out[~moved] = mid[~moved]
        return out / self.scale, moved

    def _acceptable(self, new, mid, a, b, cand, pick, pkind):
        """Short moves that stay in the box and outside every other particle."""
        ok = np.linalg.norm(new - mid, axis=1) <= 0.25 * np.linalg.norm(b - a, axis=1)
        tol = 1e-9 * float(self.box.max())
        ok &= np.all((new > -tol) & (new < self.box + tol), axis=1)
        for kind in range(len(self.kinds)):
            sel = np.flatnonzero(ok & (pkind == kind) & (pick >= 0))
            for col in range(cand.shape[1]):
                j = cand[sel, col]
                other = j != pick[sel]
                inside = self._level(new[sel], j, kind) < 1.0 - ON_SURFACE
                ok[sel[other & inside]] = False
        return ok
