"""The dendrite map figure: one colour bar per compared column, axes labelled on the
outer panels only (the runs share one cell)."""
from pathlib import Path

import pytest

from ntransport.post import phasefield_figures as figs
from ntransport.solve.phasefield import solve
from ntransport.studies.dendrites import build_run
from ntransport.studies.registry import load_case

CASE = Path(__file__).parents[2] / "geometries" / "dendrite_skeleton.yaml"


@pytest.fixture(scope="module")
def runs():
    """Two short reduced runs (t+ = 1, a few steps): one with mechanics."""
    data = load_case(CASE, reduced=True).data
    out = {}
    for label in ("PEO+PE", "PEO+PE+mechanics"):
        spec = dict(data["runs"][label], transference=1.0, duration=0.02)
        prob, xi0, opts, _ = build_run(data, label, spec)
        opts.update(snapshots=1)
        out[label] = solve(prob, xi0, **opts)
    return out


def test_maps_share_one_colour_bar_per_column(runs):
    fig = figs.maps(runs)
    maps = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    bars = [ax for ax in fig.axes if ax not in maps and ax.get_visible()]
    # xi, c, phi for both runs; the stress only for the run with mechanics
    assert len(maps) == 7
    labels = sorted(b.get_xlabel() or b.get_ylabel() for b in bars)
    assert labels == sorted(["ξ (1 = Li)", "c(Li⁺) [mol/L]", "φ electrolyte [V]",
                             "σ_h [MPa] (tension > 0; metal clipped)"])
    grid = {}
    for ax in maps:
        spec = ax.get_subplotspec()
        grid[(spec.rowspan.start, spec.colspan.start)] = ax
    assert sorted({r for r, _ in grid}) == [0, 1] and sorted({c for _, c in grid}) == [0, 1, 2, 3]
    for (r, c), ax in grid.items():
        lowest = not any(rr > r and cc == c for rr, cc in grid)
        assert bool(ax.get_xlabel()) == lowest, (r, c)
        assert bool(ax.get_ylabel()) == (c == 0), (r, c)
