"""Continuum percolation thresholds against Mertens & Moore (2012) / Lorenz & Ziff (2001).

Ensemble and finite-size treatment (both stated in the assertion messages):
for each box size L (in particle radii) the exact critical reduced density
eta* of every realisation is found by adding particles one at a time
(`critical_count`); <eta*>_L is fitted to eta_c + a L^(-1/nu) with the universal nu
(4/3 in 2D, 0.8765 in 3D), weighted by the standard errors. The estimate is the
intercept in 2D (disks drift strongly with L) and the weighted mean of <eta*>_L in
3D, where the fitted a is consistent with 0 (checked on spheres below: the plateau
estimator's assumption; see `ntransport.percolation.threshold`).

2D: L = 24, 48, 96 radii, 120 realisations each (~8 s idle, ~20 s on a busy box).
3D: L = 20, 28, 40 radii, 80 realisations each (~15 s idle, ~40 s busy).
Seeds checked while choosing these sizes: 2D phi_c = 0.6757, 0.6784, 0.6721; 3D 0.2860,
0.2891 (all within 0.0045 of the reference). High-statistics check of the 3D plateau
(300 realisations each): <eta*>_L = 0.3411(21), 0.3421(12), 0.3415(9) at L = 20, 28, 40
against eta_c = 0.341888.

Tolerance: the issue asks for the covered fraction within 0.01. The
statistical standard error of the estimated fraction is ~0.003 (2D) and
~0.001 (3D), so 0.01 is a > 3 sigma band; the raw largest-L mean is also
checked (it carries the finite-size shift but no extrapolation error).

Randomly oriented prolate spheroids, aspect ratio 2: Garboczi et al. (PRE 52, 819,
1995, Table 1; 5 realisations in one periodic box of 50 long semi-axes) give 0.2618.
This code converges to 0.2489 +- 0.0004 (boxes of 16-64 long semi-axes, 640
realisations in all), 4.9 % lower; see
`test_ar2_random_spheroids_within_3pct_of_the_reference`. Two explanations checked and
ruled out (2026-12-01, L = 16 and 24 long semi-axes, 30 realisations each): axes drawn with
the polar angle uniform in [0, pi] instead of its cosine (a sampling error that crowds the
axes at the poles, i.e. partly aligns them) give AR 2 / 3 / 4 = 0.2518 / 0.2046 / 0.1656,
still 3.8 / 8.8 / 12.9 % below the table; and Garboczi's own rows imply a bond number at
threshold B_c = eta_c <V_ex>/v of 2.69, 2.74, 2.76, 2.77, 2.73 for AR 1, 1.5, 2, 3, 4
(flat, then 2.40 at AR 10), whereas this code gives 2.73 (spheres) -> 2.60 (AR 2), falling
with elongation as the 2D ellipses do in Xia & Thorpe's data, which this code reproduces.
Their cell was then reproduced too (2026-12-01, `test_periodic_wrapping_rule_at_garboczis_
box_sizes`): one fully periodic cube of 50 long semi-axes, percolation = a cluster winding
around it, gives AR 2 0.2506-0.2521 (+- 0.0013), again not 0.2618.
"""
import functools
import math

import numpy as np

import pytest

from ntransport.errors import GeometryError
from ntransport.percolation import Rod, Sphere, Spheroid, estimate_threshold
from ntransport.percolation.threshold import critical_densities

PHI_DISKS = 0.6763475   # 1 - exp(-1.12808737), Mertens & Moore, PRE 86, 061109 (2012)
PHI_SPHERES = 0.2895   # 1 - exp(-0.341888), Lorenz & Ziff, J Chem Phys 114, 3659 (2001)


def test_overlapping_disks_threshold():
    est = estimate_threshold(Sphere(1.0, dim=2), [24, 48, 96], 120, rng=11)
    msg = (f"disks: phi_c={est.fraction:.4f}+-{est.fraction_se:.4f} from <eta*>_L="
           f"{est.mean.round(4)} at L={est.lengths} (120 realisations each)")
    print(msg)
    assert abs(est.fraction - PHI_DISKS) < 0.01, msg
    assert abs(1 - math.exp(-est.mean[-1]) - PHI_DISKS) < 0.01, msg
    assert est.fraction_se < 0.005, msg


@pytest.mark.slow
def test_overlapping_spheres_threshold():
    est = estimate_threshold(Sphere(1.0, dim=3), [20, 28, 40], 80, rng=12)
    msg = (f"spheres: phi_c={est.fraction:.4f}+-{est.fraction_se:.4f} from <eta*>_L="
           f"{est.mean.round(4)} at L={est.lengths} (80 realisations each)")
    print(msg)
    assert abs(est.fraction - PHI_SPHERES) < 0.01, msg
    assert abs(1 - math.exp(-est.mean[-1]) - PHI_SPHERES) < 0.01, msg
    assert est.fraction_se < 0.005, msg
    # the plateau estimator's assumption: no significant L^(-1/nu) drift in 3D
    assert est.method == "plateau" and abs(est.slope) < 2.5 * est.slope_se, (
        msg + f"; slope a = {est.slope:.3f} +- {est.slope_se:.3f}")


def test_elongation_lowers_the_threshold():
    """Su et al.'s design rule: higher aspect ratio -> lower V_p (2D).

    Bracket from the excluded-area argument (Balberg et al., PRB 30, 3933, 1984):
    the isotropic excluded area of two convex bodies is ``2A + P^2/(2 pi)``; at the
    threshold ``n_c <A_ex>`` lies between 3.59 (widthless sticks) and 4.51 (disks,
    4 eta_c), so for AR-4 ellipses eta_c in [0.627, 0.787]. Measured at L = 40 short
    radii, 40 realisations (sd of the mean ~0.025); L = 80 and 120 give the same
    0.69 +- 0.01, so the finite-size shift is small.
    """
    disks = critical_densities(Sphere(1.0, dim=2), 40.0, 40, rng=1).mean()
    ell = critical_densities(Spheroid(1.0, 4.0, dim=2), 40.0, 40, rng=2).mean()
    rods = critical_densities(Rod(1.0, 4.0, dim=2), 40.0, 40, rng=3).mean()
    assert ell < disks - 0.25
    assert rods < disks - 0.25
    a, b = 4.0, 1.0
    h = ((a - b) / (a + b)) ** 2
    perim = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))  # Ramanujan
    area = math.pi * a * b
    ratio = (2 * area + perim ** 2 / (2 * math.pi)) / area  # <A_ex> / A
    assert 3.59 / ratio < ell < 4.51 / ratio


def test_enveloping_shells_suppress_the_metal_network():
    """Hard insulating shells + tunnelling range 0.6 r (Su et al.'s enveloped metal).

    Cores r = 1 placed by random sequential addition up to 94 % of jamming;
    the share of realisations with no anode-cathode network at the densest
    packing grows with the shell thickness (bare cores: ~2/30; shell 0.05 r:
    ~17/30; shell 0.1 r: ~28/30 at L = 24 r) -- enveloping the metal pushes the
    threshold beyond reach.
    """
    s = Sphere(1.0, dim=2)
    blocked = []
    for rex in (1.0, 1.05, 1.1):
        e = critical_densities(s, 24.0, 30, rng=4, exclusion_radius=rex, gap=0.6)
        blocked.append(np.isinf(e).mean())
    assert blocked[0] < 0.25 and blocked[1] > blocked[0] + 0.2 and blocked[2] > 0.75


def test_thick_shells_never_percolate():
    with pytest.raises(GeometryError, match="shells .* prevent percolation"):
        critical_densities(Sphere(1.0, dim=2), 10.0, 2, exclusion_radius=1.2, rng=0)


def test_aligned_spheroids_have_the_sphere_threshold():
    """Exact check of the spheroid machinery (contact function, extents, volume): prolate
    spheroids all aligned with one axis are spheres stretched by the aspect ratio, and an
    affine map leaves the covered fraction at percolation unchanged: 0.2895 in the
    infinite system. Finite-size extrapolation over 3 boxes (long axis transverse)."""
    import ntransport.percolation.sampling as S

    orig = S.random_axes

    def aligned(n, dim, rng):
        orig(n, dim, rng)
        out = np.zeros((n, dim))
        out[:, 1] = 1.0
        return out

    S.random_axes = aligned
    try:
        est = estimate_threshold(Spheroid(1.0, 2.0, dim=3), [24, 32, 48], 30, rng=21)
    finally:
        S.random_axes = orig
    msg = f"aligned AR 2: {est.fraction:.4f} +- {est.fraction_se:.4f}"
    assert abs(est.fraction - PHI_SPHERES) < 2.5 * est.fraction_se + 0.003, msg


def test_spheroid_contact_test_gives_the_exact_excluded_volume():
    """Monte Carlo excluded volume of two randomly oriented AR-2 spheroids against the
    convex-body formula <V_ex> = 2v + S M / (2 pi) (Kihara): 9.077 v."""
    from ntransport.percolation.overlap import touching

    rng = np.random.default_rng(0)
    s = Spheroid(1.0, 2.0, dim=3)
    n = 400_000
    ax = rng.standard_normal((2 * n, 3))
    ax /= np.linalg.norm(ax, axis=1, keepdims=True)
    M = s.shape_matrices(ax)
    r = rng.uniform(-4, 4, (n, 3))
    p = touching(r, M[:n], M[n:], inner_radius=1.0).mean()
    vex = p * 512 / s.volume
    se = np.sqrt(p * (1 - p) / n) * 512 / s.volume
    assert abs(vex - 9.077) < 3 * se + 0.01, (vex, se)


PHI_AR2_GARBOCZI = 0.2618  # Garboczi et al., Phys. Rev. E 52, 819 (1995), Table 1
# Their Table 1 gives one box per row (unit cell, periodic): spheres r = 0.025 (L = 40 r,
# 5134 particles at threshold, p_c 0.2854, 1.4 % below the accepted 0.2895) and AR 2 with
# a = 0.020, b = 0.010 (L = 50 a, 36235 particles, 0.2618 = 1 - exp(-n v) exactly). At those
# box sizes this code (electrode-to-electrode spanning, 5 realisations each, 2026-12-01)
# gives spheres 0.2904 +- 0.0050 (their 0.2854 1 se away) and AR 2 0.2491 +- 0.0011 (their
# 0.2618 11 se away): the gap is not a finite-size effect of their single box.


@functools.lru_cache(maxsize=1)
def _ar2_large_boxes():
    """AR-2 random spheroids in boxes of 16, 24, 32 long semi-axes, 40 realisations each
    (~25 s idle): the plateau estimate with its standard error."""
    return estimate_threshold(Spheroid(1.0, 2.0, dim=3), [32, 48, 64], 40, rng=31)


@pytest.mark.slow
def test_ar2_random_spheroids_converge_in_large_boxes():
    """The non-slow case-size AR-2 check compares with 0.2489 +- 0.0004, measured once
    with this code (L = 32..128 short radii, 640 realisations in all, weighted mean of
    <eta*>_L). Re-measured here independently (other seed, other boxes): within
    3 combined standard errors, and no significant drift with L in this range."""
    est = _ar2_large_boxes()
    msg = (f"AR 2: {est.fraction:.4f} +- {est.fraction_se:.4f} from <eta*>_L="
           f"{est.mean.round(4)} at L={est.lengths}; slope {est.slope:.3f} +- {est.slope_se:.3f}")
    print(msg)
    assert abs(est.fraction - 0.2489) < 3 * math.hypot(est.fraction_se, 0.0004), msg
    assert abs(est.slope) < 2.5 * est.slope_se, msg


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "Not reproduced: this code converges to 0.2489 +- 0.0004 for random AR-2 prolate "
    "spheroids, 4.9 % below Garboczi et al. 1995 (0.2618). The contact graph is verified "
    "pair by pair against an independent minimisation (tests/unit/percolation/"
    "test_overlap.py) and reproduces the exact excluded volume 9.077 v; the pipeline "
    "reproduces spheres (0.2895) and aligned spheroids, and in 2D random ellipses (AR 2, 4) "
    "within 3 % of Xia & Thorpe 1988. The gap to Garboczi's table grows with the aspect "
    "ratio (AR 1.5: -2 %, 3: -10 %, 4: -15 %). Garboczi's own periodic cell and wrapping "
    "rule at his box size give 0.251 here too. strict: an XPASS means the physics changed "
    "and must be reviewed."))
def test_ar2_random_spheroids_within_3pct_of_the_reference():
    est = _ar2_large_boxes()
    msg = f"AR 2: {est.fraction:.4f} +- {est.fraction_se:.4f} vs {PHI_AR2_GARBOCZI}"
    assert abs(est.fraction / PHI_AR2_GARBOCZI - 1) < 0.03, msg


def _first_wrap(n, pairs, d, L):
    """Number of particles (added in index order) at which a cluster first winds around
    the fully periodic cube: a weighted union-find keeps ``off[x]`` = unwrapped position
    of ``x`` minus that of its parent; an edge inside one cluster whose loop does not close
    (|winding| > L/2 in any axis) is a wrapping cluster."""
    parent = list(range(n))
    off = [(0.0, 0.0, 0.0)] * n

    def find(x):
        path = []
        while parent[x] != x:
            path.append(x)
            x = parent[x]
        cum = (0.0, 0.0, 0.0)
        for y in reversed(path):  # nearest the root first
            o = off[y]
            cum = (o[0] + cum[0], o[1] + cum[1], o[2] + cum[2])
            off[y], parent[y] = cum, x
        return x

    birth = pairs.max(axis=1)
    for e in np.argsort(birth, kind="stable"):
        a, b = pairs[e]
        ra, rb = find(a), find(b)
        oa = off[a] if a != ra else (0.0, 0.0, 0.0)
        ob = off[b] if b != rb else (0.0, 0.0, 0.0)
        w = [oa[k] + d[e, k] - ob[k] for k in range(3)]  # pos(rb) - pos(ra) via this edge
        if ra != rb:
            parent[rb], off[rb] = ra, tuple(w)
        elif max(abs(v) for v in w) > 0.5 * L:
            return int(birth[e]) + 1
    raise AssertionError("no wrapping cluster: raise the particle count")


def _wrapping_fractions(shape, L, reps, seed):
    """Covered fraction at first wrapping in a fully periodic cube (Garboczi et al.'s cell),
    one value per realisation; contacts by the package's exact tests."""
    from scipy.spatial import cKDTree

    from ntransport.percolation.overlap import touching
    from ntransport.percolation.sampling import random_axes

    rng = np.random.default_rng(seed)
    n = int(0.5 * L ** 3 / shape.volume)  # eta = 0.5, well above both thresholds
    out = []
    for _ in range(reps):
        c = rng.uniform(0.0, L, (n, 3))
        pairs = cKDTree(c, boxsize=L).query_pairs(2 * shape.bounding_radius,
                                                  output_type="ndarray")
        d = c[pairs[:, 1]] - c[pairs[:, 0]]
        d -= L * np.round(d / L)
        if isinstance(shape, Spheroid):
            M = shape.shape_matrices(random_axes(n, 3, rng))
            hit = touching(d, M[pairs[:, 0]], M[pairs[:, 1]], inner_radius=shape.radius)
            pairs, d = pairs[hit], d[hit]
        k = _first_wrap(n, pairs, d, L)
        out.append(1.0 - math.exp(-k * shape.volume / L ** 3))
    return np.array(out)


@pytest.mark.slow
def test_periodic_wrapping_rule_at_garboczis_box_sizes():
    """Garboczi et al.'s own set-up, the one difference from this code not yet checked:
    one fully periodic unit cell, a cluster percolates when it wraps around it (here: first
    winding in any axis), at their box sizes (L = 40 r spheres, L = 50 a for AR 2).

    Spheres must agree with the accepted 0.2895 and AR 2 with this code's electrode
    spanning plateau 0.2489 +- 0.0004, each within 3 standard errors plus a 0.005
    allowance for the single box's finite-size shift (the largest shift measured between
    the rules at these sizes is 0.003). Measured while writing: 10 realisations, spheres
    0.2872 +- 0.0038, AR 2 0.2506 +- 0.0012 (winding along x only: 0.2930 +- 0.0048 and
    0.2521 +- 0.0013); with this test's seeds 0.2840 +- 0.0051 and 0.2512 +- 0.0018. AR 2
    stays 6-9 se below Garboczi's 0.2618, so their spanning rule does not explain the gap
    either (see the module docstring)."""
    sph = _wrapping_fractions(Sphere(1.0), 40.0, 12, 5)
    ell = _wrapping_fractions(Spheroid(1.0, 2.0), 100.0, 8, 6)
    se_s, se_e = (x.std(ddof=1) / math.sqrt(len(x)) for x in (sph, ell))
    msg = (f"wrapping: spheres {sph.mean():.4f} +- {se_s:.4f} (L = 40 r), AR 2 "
           f"{ell.mean():.4f} +- {se_e:.4f} (L = 50 a; Garboczi {PHI_AR2_GARBOCZI})")
    print(msg)
    assert abs(sph.mean() - PHI_SPHERES) < 3 * se_s + 0.005, msg
    assert abs(ell.mean() - 0.2489) < 3 * math.hypot(se_e, 0.0004) + 0.005, msg


@pytest.mark.slow
@pytest.mark.parametrize("ar", [2.0, 4.0])
def test_random_ellipses_against_xia_thorpe(ar):
    """The elongated-particle path (contact function, orientations, electrode extents,
    graph) against independent literature in 2D: Xia & Thorpe (PRA 38, 2650, 1988) fit
    their random-ellipse thresholds by 1 - phi_c = (1 + 4y)/(19 + 4y), y = AR + 1/AR.
    The formula is an interpolation: for disks it gives eta_c = 1.0986, 2.6 % below the
    exact 1.12809, so the tolerance is 5 % (formula 2.6 % + ~2 standard errors).
    Measured while writing: AR 2 0.995 +- 0.013 (formula 0.969), AR 4 0.696 +- 0.008
    (0.693). Boxes 12, 24, 48 long semi-axes, 60 realisations, L^(-1/nu) extrapolation."""
    y = ar + 1 / ar
    eta_xt = -math.log((1 + 4 * y) / (19 + 4 * y))
    est = estimate_threshold(Spheroid(1.0, ar, dim=2), [24 * ar, 48 * ar, 96 * ar], 60, rng=3)
    msg = (f"AR {ar:g} ellipses: eta_c = {est.eta_c:.4f} +- {est.eta_c_se:.4f} "
           f"({est.method}) vs Xia-Thorpe {eta_xt:.4f}")
    print(msg)
    assert abs(est.eta_c / eta_xt - 1) < 0.05, msg
