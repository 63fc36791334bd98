"""split: red refinement of a Domain, and the projection of new nodes onto particle surfaces."""
import math

import numpy as np
import pytest
import skfem

from ntransport.errors import GeometryError
from ntransport.geometry import particle_composite
from ntransport.geometry.domain import Domain
from ntransport.geometry.mesh_checks import simplex_det
from ntransport.geometry.split import split_elements as split


def _mean_ratio(p, t):
    """1 for an equilateral triangle / regular tetrahedron, 0 for a flat one (written
    out here, independently of ntransport.geometry.mesh_checks.mean_ratio)."""
    dim = t.shape[0] - 1
    vol = np.abs(simplex_det(p, t)) / math.factorial(dim)
    s = sum(np.sum((p[:, t[j]] - p[:, t[i]]) ** 2, axis=0)
            for i in range(dim + 1) for j in range(i + 1, dim + 1))
    if dim == 2:
        return 4 * math.sqrt(3) * vol / s
    return 12 * (3 * vol) ** (2 / 3) / s


def test_mean_ratio_matches_the_written_out_formula():
    from ntransport.geometry.mesh_checks import mean_ratio

    for dim in (2, 3):
        d = _tensor_domain(dim, jitter=0.08, seed=2)
        np.testing.assert_allclose(mean_ratio(d.mesh.p, d.mesh.t),
                                   _mean_ratio(d.mesh.p, d.mesh.t), rtol=1e-12)


def _tensor_domain(dim, jitter=0.06, seed=0):
    """A tensor mesh with jittered interior nodes, two regions and a named side."""
    ax = [np.linspace(0, 1, 5), np.linspace(0, 1, 4)] + ([np.linspace(0, 1, 4)] if dim == 3 else [])
    mesh = (skfem.MeshTri if dim == 2 else skfem.MeshTet).init_tensor(*ax)
    p = mesh.p.copy()
    inner = np.all((p > 1e-9) & (p < 1 - 1e-9), axis=0)
    p[:, inner] += jitter * np.random.default_rng(seed).standard_normal((dim, inner.sum()))
    centre = p[:, mesh.t].mean(axis=1)
    groups = {"a": np.flatnonzero(centre[0] < 0.5), "b": np.flatnonzero(centre[0] >= 0.5)}
    bf = mesh.boundary_facets()
    left = bf[np.all(np.isclose(p[0, mesh.facets[:, bf]], 0.0), axis=0)]
    return Domain.from_arrays(p.T, mesh.t.T, groups, {"left": mesh.facets[:, left].T})


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("levels", [1, 2])
def test_split_keeps_regions_boundaries_and_nodes(dim, levels):
    d = _tensor_domain(dim)
    s = split(d, levels)
    k = (4 if dim == 2 else 8) ** levels
    assert s.mesh.nelements == k * d.mesh.nelements
    assert s.region_names == d.region_names
    for name in d.region_names:  # children tile their parent exactly
        assert s.volume(name) == pytest.approx(d.volume(name), rel=1e-13)
        assert np.bincount(s.region)[d.region_names.index(name)] == k * d.elements(name).size
    for name in ("left", "a|b"):
        assert s.facet_measure(name) == pytest.approx(d.facet_measure(name), rel=1e-13)
        assert s.facets(name).size == (2 if dim == 2 else 4) ** levels * d.facets(name).size
    # nested: the coarse nodes come first, unchanged; no child is degenerate
    np.testing.assert_array_equal(s.mesh.p[:, :d.mesh.nvertices], d.mesh.p)
    vol = np.abs(simplex_det(s.mesh.p, s.mesh.t))
    assert vol.min() > 0.05 * vol.max()
    assert s.info["split_levels"] == levels and s.info["split_projected"] == 0


def test_split_tetrahedron_children_are_the_red_refinement():
    """A regular tetrahedron's eight children: four regular corner tetrahedra (mean ratio
    1) and four from the inner octahedron cut along a diagonal (five edges s, one s sqrt 2:
    mean ratio 12 (sqrt2/4)^(2/3) / 7 = 6/7), each 1/8 of the volume."""
    p = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    d = Domain.from_arrays(p, np.array([[0, 1, 2, 3]]), {"t": np.array([0])})
    s = split(d)
    q = np.sort(_mean_ratio(s.mesh.p, s.mesh.t))
    np.testing.assert_allclose(q, [6 / 7] * 4 + [1.0] * 4, rtol=1e-12)
    vol = np.abs(simplex_det(s.mesh.p, s.mesh.t)) / 6
    np.testing.assert_allclose(vol, d.volume() / 8, rtol=1e-12)
    assert s.mesh.nvertices == 10


def test_split_takes_the_shortest_octahedron_diagonal():
    """A flat tetrahedron: its inner octahedron has three diagonals (joining the
    midpoints of opposite edges) of different lengths; the four inner children share the
    shortest one (the usual choice, Bey 1995) and are clearly better shaped than with
    the worst of the three cuts."""
    from ntransport.geometry import split as split_mod

    p = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0.9, 0.9, 0.3]])
    d = Domain.from_arrays(p, np.array([[0, 1, 2, 3]]), {"t": np.array([0])})
    s = split(d)
    inner = [c for c in s.mesh.t.T if np.intersect1d(c, np.arange(4)).size == 0]
    assert len(inner) == 4
    shared = sorted(set(inner[0]).intersection(*map(set, inner[1:])))
    assert len(shared) == 2
    used = np.linalg.norm(s.mesh.p[:, shared[0]] - s.mesh.p[:, shared[1]])
    diagonals = [np.linalg.norm((p[a] + p[b] - p[c] - p[e]) / 2)
                 for a, b, c, e in [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2)]]
    assert used == pytest.approx(min(diagonals), rel=1e-12)
    assert min(diagonals) < 0.8 * sorted(diagonals)[1]  # a clear choice
    table = split_mod._TET_OCTA
    forced = []
    for key in table:  # each diagonal in turn, for every element
        split_mod._TET_OCTA = {k: table[key] for k in table}
        try:
            f = split(d)
        finally:
            split_mod._TET_OCTA = table
        forced.append(_mean_ratio(f.mesh.p, f.mesh.t).min())
    assert _mean_ratio(s.mesh.p, s.mesh.t).min() > 1.2 * min(forced)


def test_a_projector_that_would_invert_children_is_held_back():
    """Moves that would flatten or invert a child are halved, then undone: no child
    falls below MIN_QUALITY_RATIO of its shape on the chords or turns inside out, and
    the held-back midpoints are counted."""
    from ntransport.geometry.mesh_checks import mean_ratio
    from ntransport.geometry.split import MIN_QUALITY_RATIO

    d = _tensor_domain(2, jitter=0.0)

    def push_through(a, b):  # moves every boundary midpoint 0.6 of an edge inwards
        mid = 0.5 * (a + b)
        inward = np.array([0.37, 0.41]) - mid
        inward /= np.linalg.norm(inward, axis=1, keepdims=True)
        return mid + 0.6 * np.linalg.norm(b - a, axis=1)[:, None] * inward, np.ones(len(a), bool)

    s = split(d, project=push_through)
    assert s.info["split_reverted"] > 0
    ref = split(d)  # same children, new nodes on the chords
    sign = np.sign(simplex_det(ref.mesh.p, ref.mesh.t))
    q = mean_ratio(s.mesh.p, s.mesh.t, signed=True) * sign
    assert np.all(q / mean_ratio(ref.mesh.p, ref.mesh.t) >= MIN_QUALITY_RATIO - 1e-12)
    unguarded = split_mod_unguarded(d, push_through)
    assert unguarded.min() < 0  # without the guard some children turn inside out


def split_mod_unguarded(d, project):
    """Signed qualities of the children with every projected move taken as it is."""
    from ntransport.geometry import split as split_mod
    from ntransport.geometry.mesh_checks import mean_ratio

    keep = split_mod._limit_moves
    split_mod._limit_moves = lambda pts, lin, cells, moved: (pts, int(moved.sum()), 0)
    try:
        s = split(d, project=project)
    finally:
        split_mod._limit_moves = keep
    ref = split(d)
    sign = np.sign(simplex_det(ref.mesh.p, ref.mesh.t))
    return mean_ratio(s.mesh.p, s.mesh.t, signed=True) * sign


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1", 5])
def test_split_levels_are_checked(bad):
    d = _tensor_domain(2)
    if bad != 5:
        with pytest.raises(GeometryError, match="split levels must be an integer"):
            split(d, bad)
    with pytest.raises(GeometryError, match="split must be an integer from 0 to 4"):
        particle_composite((4e-6, 4e-6), centers=[[2e-6, 2e-6]], radii=[1e-6], split=bad)


def test_split_refuses_a_coarse_mesh_that_cannot_follow_the_particles():
    with pytest.raises(GeometryError, match=r"split=2 meshes at 2\*\*2 x mesh_size = 1.2 um, "
                                            r"more than the smallest particle radius 1 um"):
        particle_composite((4e-6, 4e-6), centers=[[2e-6, 2e-6]], radii=[1e-6],
                           mesh_size=0.3e-6, split=2)


def test_a_failing_coarse_mesh_names_the_split(monkeypatch):
    from ntransport.errors import MeshError
    from ntransport.geometry import _occ

    def fail(*a, **k):
        raise MeshError("gmsh failed to mesh the 2D geometry (test).")

    monkeypatch.setattr(_occ, "generate", fail)
    with pytest.raises(MeshError, match=r"With split=1 gmsh meshed at 2\*\*1 x mesh_size = "
                                        r"0.6 um; split=0 meshes at mesh_size itself"):
        particle_composite((4e-6, 4e-6), centers=[[2e-6, 2e-6]], radii=[1e-6],
                           mesh_size=0.3e-6, split=1)
    with pytest.raises(MeshError, match=r"\(test\)\.$"):
        particle_composite((4e-6, 4e-6), centers=[[2e-6, 2e-6]], radii=[1e-6],
                           mesh_size=0.3e-6)


# --------------------------------------------------------------- particle surfaces
def _area_deficit(d, exact):
    return exact - d.volume("particles")


def test_split_disk_area_converges_like_the_mesh_it_replaces():
    """An inscribed polygon misses pi r^2 by ~ (2 pi^3 / 3) r^2 / N^2: with the new nodes
    on the circle, each split quarters the deficit (without the projector it stays)."""
    r = 1.5e-6
    kw = dict(centers=[[3.1e-6, 2.9e-6]], radii=[r], mesh_size=0.4e-6)
    coarse = particle_composite((6e-6, 6e-6), **kw)
    one = particle_composite((6e-6, 6e-6), **{**kw, "mesh_size": 0.2e-6}, split=1)
    two = particle_composite((6e-6, 6e-6), **{**kw, "mesh_size": 0.1e-6}, split=2)
    exact = math.pi * r * r
    d0, d1, d2 = (_area_deficit(x, exact) for x in (coarse, one, two))
    assert d0 > 0
    assert d0 / d1 == pytest.approx(4.0, rel=0.03)
    assert d1 / d2 == pytest.approx(4.0, rel=0.03)
    assert two.info["split_reverted"] == 0 and two.info["mesh_size"] == pytest.approx(0.1e-6)
    flat = split(coarse, 1)  # chords only: the polygon does not change
    assert flat.volume("particles") == pytest.approx(coarse.volume("particles"), rel=1e-13)
    nodes = np.unique(two.mesh.facets[:, two.facets("matrix|particles")])
    rho = np.hypot(*(two.mesh.p[:, nodes] - np.array([[3.1e-6], [2.9e-6]])))
    np.testing.assert_allclose(rho, r, rtol=1e-12)


def test_split_sphere_clipped_by_a_face():
    """A sphere cut by the anode face z = 0: the new nodes of the curved surface lie on
    the sphere, those of the cut circle on the sphere *and* in the face; the volume
    deficit falls by ~4 as the surface mesh is halved."""
    c, r = np.array([2.0e-6, 2.1e-6, 0.6e-6]), 1.2e-6
    kw = dict(centers=[c], radii=[r], mesh_size=0.5e-6)
    box = (4e-6, 4e-6, 3e-6)
    coarse = particle_composite(box, **kw)
    one = particle_composite(box, **{**kw, "mesh_size": 0.25e-6}, split=1)
    h = c[2]  # the cap below z = 0 is cut off
    exact = 4 / 3 * math.pi * r ** 3 - math.pi * (r - h) ** 2 * (3 * r - (r - h)) / 3
    d0, d1 = exact - coarse.volume("particles"), exact - one.volume("particles")
    assert d0 > 0 and d1 > 0
    assert 3.0 < d0 / d1 < 5.0
    surf = np.unique(one.mesh.facets[:, one.facets("matrix|particles")])
    dist = np.linalg.norm(one.mesh.p[:, surf] - c[:, None], axis=0)
    on = np.abs(dist / r - 1) < 1e-12
    assert on.mean() > 0.99  # the rest: moves held back next to flat elements
    assert one.info["split_reverted"] <= (~on).sum()
    rim = np.intersect1d(np.unique(one.mesh.facets[:, one.facets("anode")]), surf)
    coarse_rim = np.intersect1d(
        np.unique(coarse.mesh.facets[:, coarse.facets("anode")]),
        np.unique(coarse.mesh.facets[:, coarse.facets("matrix|particles")]))
    assert rim.size == 2 * coarse_rim.size  # a closed polygon: one new node per edge
    assert np.abs(one.mesh.p[2, rim]).max() <= 1e-15 * box[0]  # gmsh round-off at most
    rim_on = np.abs(np.linalg.norm(one.mesh.p[:, rim] - c[:, None], axis=0) / r - 1) < 1e-12
    assert rim_on.mean() > 0.95


@pytest.mark.parametrize("dim", [2, 3])
def test_split_spheroids_and_shells_land_on_their_surfaces(dim):
    """Elongated particles (aspect 2, tilted) with interphase shells: the new nodes of
    both interfaces lie on the core spheroid / the shell spheroid (semi-axes a r + t,
    r + t), measured by the quadratic form, not by the projector's own test."""
    r, a, t = 0.8e-6, 2.0, 0.2e-6
    d = np.array([1.0, 1.0] + ([0.5] if dim == 3 else []))
    d /= np.linalg.norm(d)
    c = np.full(dim, 3e-6)
    box = (6e-6,) * dim
    dom = particle_composite(box, centers=[c], radii=[r], aspect_ratio=a, orientation=d,
                             shell_thickness=t, mesh_size=0.3e-6 if dim == 2 else 0.35e-6,
                             split=1)
    for name, (long, short) in {"interphase|particles": (a * r, r),
                                "interphase|matrix": (a * r + t, r + t)}.items():
        nodes = np.unique(dom.mesh.facets[:, dom.facets(name)])
        u = dom.mesh.p[:, nodes] - c[:, None]
        al = d @ u
        q = al ** 2 / long ** 2 + (np.sum(u * u, axis=0) - al ** 2) / short ** 2
        on = np.abs(q - 1) < 1e-9
        assert on.mean() > (0.99 if dim == 2 else 0.97), name
    assert dom.info["split_projected"] > 0


def test_split_rods_2d():
    """Stadiums (2D rods): new nodes on the straight sides and the caps."""
    r, a = 0.6e-6, 3.0
    c = np.array([3e-6, 3e-6])
    d = np.array([0.8, 0.6])
    dom = particle_composite((6e-6, 6e-6), centers=[c], radii=[r], aspect_ratio=a,
                             orientation=d, shape="rod", mesh_size=0.2e-6, split=1)
    nodes = np.unique(dom.mesh.facets[:, dom.facets("matrix|particles")])
    u = dom.mesh.p[:, nodes] - c[:, None]
    w = np.clip(d @ u, -(a - 1) * r, (a - 1) * r)
    dist = np.linalg.norm(u - np.outer(d, w), axis=0)
    np.testing.assert_allclose(dist, r, rtol=1e-9)


def test_split_composite_matches_direct_meshing():
    """A random 3D composite meshed at 2h and split, against gmsh at h: same subdomains
    and boundaries, particle fraction within the surface-discretisation error, mesh
    quality of the same order."""
    kw = dict(volume_fraction=0.15, radius=1e-6, seed=1)
    direct = particle_composite((6e-6,) * 3, mesh_size=0.3e-6, **kw)
    split1 = particle_composite((6e-6,) * 3, mesh_size=0.3e-6, split=1, **kw)
    assert set(split1.boundaries) == set(direct.boundaries)
    assert split1.region_names == direct.region_names
    assert split1.info["mesh_size"] == pytest.approx(0.3e-6)
    assert split1.info["gmsh_mesh_size"] == pytest.approx(0.6e-6)
    assert split1.mesh.nelements == pytest.approx(direct.mesh.nelements, rel=0.5)
    f_direct, f_split = direct.info["volume_fraction"], split1.info["volume_fraction"]
    assert f_split == pytest.approx(f_direct, rel=3e-3)
    q_direct = np.percentile(_mean_ratio(direct.mesh.p, direct.mesh.t), 1)
    q_split = np.percentile(_mean_ratio(split1.mesh.p, split1.mesh.t), 1)
    assert q_split > 0.8 * q_direct


def test_spheroid_projection_is_along_the_normal():
    """Chord midpoints of a tilted spheroid go to the surface point whose normal passes
    through them (the closest point), not merely onto the surface."""
    from ntransport.geometry.placement import Particles
    from ntransport.geometry.surfaces import particle_projector

    d = np.array([0.6, 0.0, 0.8])
    parts = Particles(centers=np.array([[5.0, 5.0, 5.0]]), radii=np.array([1.0]),
                      aspect_ratio=2.5, directions=d[None, :], shape="ellipsoid",
                      box=np.array([10.0, 10.0, 10.0]), periodic=False, image_of=np.array([0]))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((200, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)  # unit sphere -> spheroid surface
    e1 = np.cross(d, [0.0, 1.0, 0.0])
    e2 = np.cross(d, e1)
    frame = np.stack([2.5 * d, e1 / np.linalg.norm(e1), e2 / np.linalg.norm(e2)])
    surf = 5.0 + x @ frame
    a, b = surf[:100], surf[100:]
    near = np.linalg.norm(a - b, axis=1) < 0.6  # short chords, as in a mesh
    a, b = a[near], b[near]
    assert a.shape[0] >= 5
    new, moved = particle_projector(parts)(a, b)
    assert moved.all()
    u = new - 5.0
    al = u @ d
    q = al ** 2 / 2.5 ** 2 + (np.sum(u * u, axis=1) - al ** 2)
    np.testing.assert_allclose(q, 1.0, atol=1e-12)
    grad = u + (al / 2.5 ** 2 - al)[:, None] * d  # M u, the normal direction
    step = new - 0.5 * (a + b)
    sin = np.linalg.norm(np.cross(grad, step), axis=1) / (
        np.linalg.norm(grad, axis=1) * np.linalg.norm(step, axis=1))
    assert sin.max() < 1e-6


def test_case_file_geometry_takes_split():
    """`split:` in a case file's particle_composite geometry reaches the builder."""
    from ntransport.studies.registry import load_case
    from ntransport.studies.conduction_case import build_geometry

    case = load_case({
        "physics": {"voltage": "10 mV"},
        "cases": {"c": {"geometry": {"type": "particle_composite", "box": ["4 um", "4 um"],
                                     "centers": [["2 um", "2 um"]], "radii": ["1 um"],
                                     "mesh_size": "0.25 um", "split": 1},
                        "materials": {"matrix": "PEO/LiTFSI", "particles": "LLZO"}}},
    })
    dom = build_geometry(case.data["cases"]["c"]["geometry"])
    assert dom.info["split_levels"] == 1 and dom.info["gmsh_mesh_size"] == pytest.approx(0.5e-6)


@pytest.mark.parametrize("dim", [2, 3])
def test_two_levels_at_once_equal_two_splits_one_after_the_other(dim):
    """split_elements(d, 2) keeps the level in between as arrays; it must give exactly
    what splitting twice through a full Domain gives (points, elements, regions, every
    named facet set, the moved/held-back counts), with the projector on interfaces."""
    from ntransport.geometry.placement import Particles
    from ntransport.geometry.surfaces import particle_projector

    box = (6e-6,) * dim
    c, r, t = np.full(dim, 3e-6), 1.5e-6, 0.2e-6
    coarse = particle_composite(box, centers=[c], radii=[r], shell_thickness=t,
                                mesh_size=0.6e-6 if dim == 2 else 0.9e-6)
    parts = Particles(centers=c[None] * 1e6, radii=np.array([r * 1e6]), aspect_ratio=1.0,
                      directions=np.eye(dim)[:1], shape="ellipsoid", box=np.array(box) * 1e6,
                      periodic=False, image_of=np.arange(1))
    project = particle_projector(parts, t * 1e6, scale=1e6)
    at_once = split(coarse, 2, project=project)
    stepwise = split(split(coarse, 1, project=project), 1, project=project)
    np.testing.assert_array_equal(at_once.mesh.p, stepwise.mesh.p)
    np.testing.assert_array_equal(at_once.mesh.t, stepwise.mesh.t)
    np.testing.assert_array_equal(at_once.region, stepwise.region)
    assert set(at_once.boundaries) == set(stepwise.boundaries)
    for name in at_once.boundaries:
        np.testing.assert_array_equal(at_once.facets(name), stepwise.facets(name))
    for key in ("split_levels", "split_projected", "split_reverted"):
        assert at_once.info[key] == stepwise.info[key]
    assert at_once.info["split_projected"] > 0
