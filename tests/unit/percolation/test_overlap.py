"""Exactness of the pairwise overlap tests against brute-force point sampling."""
import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.percolation import Rod, Sphere, Spheroid, contacts, sample_overlapping
from ntransport.percolation.overlap import perram_wertheim, segment_distance


def _inside_ellipsoid(x, c, M):
    d = x - c
    return np.einsum("pd,de,pe->p", d, np.linalg.inv(M), d) <= 1.0


@pytest.mark.parametrize("dim", [2, 3])
def test_perram_wertheim_matches_brute_force(dim):
    """Random ellipse/spheroid pairs: PW verdict == existence of a common point.

    Pairs whose PW value is within 3 % of contact are skipped: a finite point
    cloud cannot resolve a sliver overlap (the PW test is the exact one).
    """
    rng = np.random.default_rng(1)
    s = Spheroid(1.0, 3.0, dim=dim)
    n_checked = 0
    for _ in range(60):
        ax = rng.standard_normal((2, dim))
        ax /= np.linalg.norm(ax, axis=1, keepdims=True)
        M = s.shape_matrices(ax)
        r = rng.uniform(-4.5, 4.5, size=(1, dim))
        F = perram_wertheim(r, M[:1], M[1:])[0]
        if abs(F - 1) < 0.03:
            continue
        # dense samples inside particle 0, tested against particle 1
        u = rng.standard_normal((40000, dim))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        u *= rng.uniform(0, 1, (40000, 1)) ** (1 / dim)
        L = np.linalg.cholesky(M[0])
        pts = u @ L.T
        brute = _inside_ellipsoid(pts, r[0], M[1]).any()
        assert brute == (F < 1.0)
        n_checked += 1
    assert n_checked > 40


def test_perram_wertheim_spheres_exact():
    # equal spheres: max F = d^2 / (4 a^2), contact exactly at d = 2a
    M = np.eye(3)[None] * 4.0
    r = np.array([[3.0, 0, 0], [4.0, 0, 0], [5.0, 0, 0]])
    F = perram_wertheim(r, np.repeat(M, 3, 0), np.repeat(M, 3, 0))
    np.testing.assert_allclose(F, r[:, 0] ** 2 / 16.0, rtol=1e-9)


def test_segment_distance_against_dense_sampling():
    rng = np.random.default_rng(2)
    r = rng.uniform(-3, 3, (200, 3))
    ha = rng.standard_normal((200, 3))
    hb = rng.standard_normal((200, 3))
    d = segment_distance(r, ha, hb)
    t = np.linspace(-1, 1, 201)
    pa = t[None, :, None] * ha[:, None, :]
    pb = r[:, None, :] + t[None, :, None] * hb[:, None, :]
    brute = np.linalg.norm(pa[:, :, None, :] - pb[:, None, :, :], axis=-1).min(axis=(1, 2))
    assert np.all(d <= brute + 1e-12)
    np.testing.assert_allclose(d, brute, atol=0.03)  # grid spacing 1/100 of a segment


def test_rod_contacts_are_symmetric_and_exact():
    rng = np.random.default_rng(3)
    p = sample_overlapping(Rod(1.0, 4.0, dim=2), 20.0, n=150, rng=rng)
    e = contacts(p)
    assert np.all(e[:, 0] < e[:, 1])
    # check every candidate pair directly
    i, j = np.triu_indices(len(p), 1)
    r = p.cell.displacement(p.centres[i], p.centres[j])
    h = p.shape.half_length
    d = segment_distance(r, p.axes[i] * h, p.axes[j] * h)
    expected = {(a, b) for a, b, dd in zip(i, j, d) if dd <= 2.0}
    assert expected == {tuple(x) for x in e}


def test_sphere_contacts_respect_periodic_transverse():
    from ntransport.percolation.sampling import Cell, Particles
    cell = Cell(10.0, 2, 1.0)
    c = np.array([[5.0, 0.2], [5.0, 9.9], [5.0, 5.0]])
    e = contacts(Particles(Sphere(1.0, dim=2), cell, c))
    assert {tuple(x) for x in e} == {(0, 1)}  # 0.3 apart through y = 0 / y = 10


def test_gap_not_supported_for_spheroids():
    p = sample_overlapping(Spheroid(1.0, 2.0, dim=2), 10.0, n=20, rng=0)
    with pytest.raises(GeometryError, match="gap=0.1.*Sphere and Rod only"):
        contacts(p, gap=0.1)


def _pw_batched_solve(r, Ma, Mb, steps=40):
    """The former implementation: two batched np.linalg.solve per golden step."""
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
    return F(0.5 * (lo + hi))


@pytest.mark.parametrize("dim,ar", [(2, 4.0), (3, 2.0), (3, 4.0)])
def test_closed_form_contact_decisions_equal_the_batched_solve(dim, ar):
    from ntransport.percolation.overlap import touching

    rng = np.random.default_rng(7)
    s = Spheroid(1.0, ar, dim=dim)
    n = 20000
    ax = rng.standard_normal((2 * n, dim))
    ax /= np.linalg.norm(ax, axis=1, keepdims=True)
    M = s.shape_matrices(ax)
    r = rng.uniform(-2 * ar, 2 * ar, (n, dim))
    old = _pw_batched_solve(r, M[:n], M[n:])
    new = perram_wertheim(r, M[:n], M[n:])
    np.testing.assert_allclose(new, old, rtol=1e-12)
    np.testing.assert_array_equal(touching(r, M[:n], M[n:], inner_radius=1.0), old < 1.0)


def test_spheroid_contact_graph_matches_an_independent_minimisation():
    """Every candidate pair of an AR-2 configuration at the threshold density, decided
    without the contact function: the ellipsoids overlap iff the minimum of particle j's
    quadratic form over particle i (a convex program, solved by SLSQP) is <= 1. Checks
    `contacts` end to end (KD-tree candidates, periodic minimum image, inner-sphere
    shortcut, early-decided golden search). Pairs within 1e-6 of tangency are skipped."""
    from scipy.optimize import minimize

    s = Spheroid(1.0, 2.0, dim=3)
    p = sample_overlapping(s, 12.0, reduced_density=0.29, rng=5)
    edges = {tuple(x) for x in contacts(p)}
    pairs = p.cell.tree(p.centres, 4.0).query_pairs(4.0, output_type="ndarray")[:300]
    Minv = np.linalg.inv(s.shape_matrices(p.axes))
    checked = touching = 0
    for i, j in pairs:
        r = p.cell.displacement(p.centres[[i]], p.centres[[j]])[0]
        Ai, Aj = Minv[i], Minv[j]
        best = np.inf
        for x0 in (np.zeros(3), 0.9 * r / np.linalg.norm(r)):
            res = minimize(lambda x: (x - r) @ Aj @ (x - r), x0,
                           jac=lambda x: 2 * Aj @ (x - r), method="SLSQP",
                           constraints=[{"type": "ineq", "fun": lambda x: 1 - x @ Ai @ x,
                                         "jac": lambda x: -2 * Ai @ x}],
                           options={"ftol": 1e-12, "maxiter": 200})
            if res.x @ Ai @ res.x <= 1 + 1e-9:
                best = min(best, res.fun)
        if abs(best - 1.0) < 1e-6:
            continue
        assert (best < 1.0) == ((i, j) in edges), (i, j, best)
        checked += 1
        touching += best < 1.0
    assert checked > 250 and 30 < touching < checked - 30
