"""Perram-Wertheim contact test: batched np.linalg.solve (before) vs closed form (after).

Interleaved A B A B (5 repeats after a warm-up on other data), one process, 1 thread;
the pairs are the real candidate pairs of AR-2 / AR-4 spheroid configurations near their
thresholds. Writes pw_bench.json.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def old_pw(r, Ma, Mb, steps=40):
    from ntransport.percolation.overlap import _GOLD

    def F(lam):
        A = (1 - lam)[:, None, None] * Ma + lam[:, None, None] * Mb
        x = np.linalg.solve(A, r[:, :, None])[:, :, 0]
        return lam * (1 - lam) * np.einsum("pd,pd->p", r, x)

    lo, hi = np.zeros(len(r)), np.ones(len(r))
    for _ in range(steps):
        a = hi - _GOLD * (hi - lo)
        b = lo + _GOLD * (hi - lo)
        left = F(a) > F(b)
        hi = np.where(left, b, hi)
        lo = np.where(left, lo, a)
    return F(0.5 * (lo + hi)) < 1.0


def pairs(ar, seed, eta):
    from ntransport.percolation import Spheroid, sample_overlapping

    p = sample_overlapping(Spheroid(1.0, ar, dim=3), 16 * ar, reduced_density=eta, rng=seed)
    s, cell = p.shape, p.cell
    cut = 2 * s.bounding_radius
    ij = cell.tree(p.centres, cut).query_pairs(cut, output_type="ndarray")
    r = cell.displacement(p.centres[ij[:, 0]], p.centres[ij[:, 1]])
    M = s.shape_matrices(p.axes)
    return r, M[ij[:, 0]], M[ij[:, 1]]


def main():
    from ntransport.percolation.overlap import perram_wertheim, touching

    out = {}
    for ar, eta in ((2.0, 0.30), (4.0, 0.20)):
        warm = pairs(ar, 99, eta)
        old_pw(*warm)
        touching(*warm, inner_radius=1.0)
        data = pairs(ar, 1, eta)
        t = {"old": [], "closed_form": [], "closed_form_early_exit": []}
        for _ in range(5):
            for name, fn in (("old", lambda: old_pw(*data)),
                             ("closed_form", lambda: perram_wertheim(*data) < 1.0),
                             ("closed_form_early_exit",
                              lambda: touching(*data, inner_radius=1.0))):
                w = time.perf_counter()
                fn()
                t[name].append(time.perf_counter() - w)
        same = bool(np.array_equal(old_pw(*data), touching(*data, inner_radius=1.0)))
        out[f"AR{ar:g}"] = {"pairs": int(len(data[0])), "identical_decisions": same,
                            **{k: {"min_s": min(v), "median_s": float(np.median(v))}
                               for k, v in t.items()},
                            "speedup_min_closed_form": min(t["old"]) / min(t["closed_form"]),
                            "speedup_min_early_exit":
                                min(t["old"]) / min(t["closed_form_early_exit"])}
    (HERE / "pw_bench.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
