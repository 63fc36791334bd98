"""2D growth of a seed nucleus on the Li foil with the normalised MOOSE set (t0 = 1 s).

Regression guard for the unit slip of the first version (L_sigma, L_eta of the MOOSE
set, given per second, used with a 4 ms time unit and D_l = 1): there the seed barely
moved while a low-xi precursor ahead of it became unstable (Li+ piled up to 5.9 c0, the
precursor grew to xi > 0.04 a few widths ahead and the electrode potential was carried
into the electrolyte).

The electrolyte is the single-ion one the set's own conductivity implies (t+ = 1; the
dendrite study's default). Growth is slower than in the first version (the Li+ pile-up
ahead of the tip that accelerated it is gone), so the runs are longer: 0.5 s and 0.7 s
instead of 30 and 40 ms; the thresholds are those of the first version.
"""
import numpy as np
import pytest
from scipy.spatial import cKDTree

from ntransport.geometry.boxes import Filaments, box
from ntransport.physics.phasefield_params import (interface_length, interface_width,
                                                  moose_normalised_parameters)
from ntransport.post.phasefield import deposit_area, interface_points
from ntransport.solve.phasefield import PhaseFieldProblem, run

UM = 1e-6
WIDTH, HEIGHT, FOIL, SEED, Y_FIL = 4.0, 5.0, 0.5, 0.8, 1.6


def _run(*, filament: bool, t_end: float):
    """Li foil (0.5 um) + seed (r = 0.8 um), metal at -0.45 V, 0 V and c = c0 at
    y = 5 um. h_fine = 0.19 um: longest edge 0.27 um <= interface width/4 (the solver
    checks it at every step)."""
    p = moose_normalised_parameters(t_plus=1.0)
    fil = Filaments((WIDTH / 2 * UM,), 0.6 * UM, Y_FIL * UM) if filament else None
    d = box(WIDTH * UM, HEIGHT * UM, h_fine=0.19 * UM, filaments=fil)
    x, y = d.mesh.p / UM
    dd = np.minimum(y - FOIL, np.hypot(x - WIDTH / 2, y - FOIL) - SEED)
    xi0 = 0.5 * (1 - np.tanh(dd / interface_length(p)))
    if filament:  # one blocking filament right above the seed, 0.3 um above its top
        touch = np.zeros(d.mesh.nvertices, bool)
        touch[np.unique(d.mesh.t[:, d.elements("PE")])] = True
        xi0 = np.where(touch & (xi0 < 0.5), 0.0, xi0)
    prob = PhaseFieldProblem(d, p, metal_potential=-0.45, potential={"cathode": 0.0},
                             concentration={"cathode": 1000.0},
                             skeleton=("PE",) if filament else ())
    *_, s = run(prob, xi0, t_end=t_end, dt=2e-3)
    return p, d, xi0, s


def test_seed_grows_without_a_conducting_precursor():
    """In 0.5 s the tip of the xi = 1/2 contour advances 1.09 um (measured; > 1 um
    asked), above the seed. Nodes more than 1.5 interface widths (1.65 um) from the
    contour, on the electrolyte side, keep xi < 0.05 (measured 7.7e-4 at 146 nodes: the
    tanh tail decays like exp(-2d/ell)), so no conducting tail, and 1 um ahead of the tip
    the electrolyte potential is -0.034 V (a conducting precursor would hold it at the
    metal's -0.45 V). c >= 0 at the nodes of pure-electrolyte elements and xi stays in
    [0, 1]."""
    p, d, xi0, s = _run(filament=False, t_end=0.5)
    tip0 = interface_points(d, xi0)[1].max()
    pts = interface_points(d, s.xi)
    assert pts[1].max() - tip0 > 1.0 * UM
    assert abs(pts[0, np.argmax(pts[1])] - WIDTH / 2 * UM) < 0.3 * UM  # grows from the seed
    dist, _ = cKDTree(pts.T).query(d.mesh.p.T)
    ahead = (dist > 1.5 * interface_width(p) * UM) & (s.xi < 0.5)
    assert ahead.sum() > 50  # a real region is tested
    assert s.xi[ahead].max() < 0.05
    electrolyte = np.unique(d.mesh.t[:, s.xi[d.mesh.t].max(axis=0) < 0.05].ravel())
    assert s.c[electrolyte].min() >= 0.0
    assert -1e-6 < s.xi.min() and s.xi.max() < 1.0 + 1e-6
    k = np.argmin(np.hypot(d.mesh.p[0] - WIDTH / 2 * UM, d.mesh.p[1] - (pts[1].max() + UM)))
    assert s.phi[k] > -0.35


def test_blocking_filament_keeps_lithium_out_and_growth_goes_beside_it():
    """A blocking filament (factor 1e-4) 0.3 um above the seed: after 0.7 s xi stays
    < 0.05 at the filament's interior nodes (measured 0), yet the deposit has grown
    (area +7.7 um2) and its contour rises above the filament's lower end beside it
    (measured tip at x = 0.69, y = 2.85 um; filament edge at x = 1.7 um)."""
    p, d, xi0, s = _run(filament=True, t_end=0.7)
    inside = np.setdiff1d(np.unique(d.mesh.t[:, d.elements("PE")]),
                          np.unique(d.mesh.t[:, d.elements("PEO")]))
    assert inside.size > 10
    assert s.xi[inside].max() < 0.05
    assert deposit_area(d, s.xi) - deposit_area(d, xi0) > 2.0 * UM ** 2
    pts = interface_points(d, s.xi)
    k = np.argmax(pts[1])
    assert pts[1, k] > (Y_FIL + 0.8) * UM
    assert abs(pts[0, k] - WIDTH / 2 * UM) > 0.3 * UM  # beside, not through, the filament


@pytest.mark.parametrize("name", ["gamma", "D_l"])
def test_moose_set_is_used_in_its_own_time_unit(name):
    """The MOOSE input's charge factor ft2 = 0.0074 and M0 = 317.9 fix its units to
    l0 = 1 um, t0 = 1 s, sigma0 = 1 S/m; the set must carry them (1 % on ft2, which
    the input gives to 2 digits)."""
    p = moose_normalised_parameters()
    assert p.time == 1.0 and p.length == 1e-6
    expected = {"gamma": 0.0074, "D_l": 317.9}[name]
    assert getattr(p, name) == pytest.approx(expected, rel=0.01)
