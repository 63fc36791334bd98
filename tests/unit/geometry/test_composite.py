"""particle_composite: names, fractions, clipping, overlap, shells, shapes, errors."""
import math

import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.geometry import particle_composite


BOX = (10e-6, 10e-6)


@pytest.fixture(scope="module")
def comp2d():
    return particle_composite(BOX, volume_fraction=0.3, radius=1e-6, seed=3, mesh_size=0.3e-6)


def test_names_axis_and_conformity(comp2d, assert_conforming):
    d = comp2d
    assert d.region_names == ("matrix", "particles")
    assert {"anode", "cathode", "sides", "matrix|particles"} <= set(d.boundaries)
    assert d.info["electrode_axis"] == 1
    y = d.mesh.p[1]
    assert np.allclose(y[d.mesh.facets[:, d.facets("anode")]], 0)
    assert np.allclose(y[d.mesh.facets[:, d.facets("cathode")]], 10e-6)
    assert d.facet_measure("anode") == pytest.approx(10e-6, rel=1e-9)
    assert_conforming(d)


def test_realised_fraction_close_to_target(comp2d):
    # tolerance: RSA stops after the disk that crosses the target (<= one disk area,
    # pi (1 µm)^2 / 100 µm^2 = 0.031) plus the polygonal under-estimate of the disks
    # (19 segments: 1 - sin(2pi/19) 19/(2pi) = 1.8 % of 0.3)
    phi = comp2d.info["volume_fraction"]
    assert phi == pytest.approx(comp2d.volume_fractions()["particles"])
    assert 0.3 * (1 - 0.02) - 2e-3 <= phi <= 0.3 + math.pi / 100 + 2e-3
    assert comp2d.info["target_fraction"] == 0.3


def test_deterministic(comp2d):
    d = particle_composite(BOX, volume_fraction=0.3, radius=1e-6, seed=3, mesh_size=0.3e-6)
    assert np.array_equal(d.mesh.p, comp2d.mesh.p)
    assert np.array_equal(d.region, comp2d.region)
    assert np.array_equal(d.info["centers"], comp2d.info["centers"])


def test_clipping_at_faces(assert_conforming):
    # a disk centred on the left face: half of it inside
    d = particle_composite(BOX, centers=[[0.0, 5e-6]], radii=[2e-6], mesh_size=0.2e-6)
    half = 0.5 * math.pi * (2e-6) ** 2
    assert d.volume("particles") == pytest.approx(half, rel=5e-3)  # polygon error ~ 0.2 %
    assert d.bounds[0, 0] == pytest.approx(0.0, abs=1e-15)
    assert_conforming(d)


def test_overlap_mode_fuses_particles(assert_conforming):
    d = particle_composite(BOX, volume_fraction=0.5, radius=1e-6, seed=1, overlap=True,
                           mesh_size=0.3e-6)
    assert d.region_names == ("matrix", "particles")
    assert d.info["overlap"] is True
    # Boolean model: the expected covered fraction is the target; one realisation of
    # ~40 disks in a finite box scatters by a few per cent
    assert abs(d.info["volume_fraction"] - 0.5) < 0.1
    assert_conforming(d)


def test_shells_make_interphase(assert_conforming):
    t = 0.1e-6
    d = particle_composite(BOX, centers=[[3e-6, 3e-6], [7e-6, 7e-6]], radii=[1e-6, 1e-6],
                           shell_thickness=t, mesh_size=0.3e-6)
    assert set(d.region_names) == {"matrix", "particles", "interphase"}
    assert "interphase|matrix" in d.boundaries and "interphase|particles" in d.boundaries
    assert "matrix|particles" not in d.boundaries
    ring = 2 * math.pi * ((1e-6 + t) ** 2 - (1e-6) ** 2)
    assert d.volume("interphase") == pytest.approx(ring, rel=0.02)
    assert_conforming(d)


def test_ellipse_aspect_ratio():
    d = particle_composite(BOX, centers=[[5e-6, 5e-6]], radii=[1e-6], aspect_ratio=3,
                           orientation=(1, 0), mesh_size=0.25e-6)
    p = d.mesh.p[:, np.unique(d.mesh.t[:, d.elements("particles")])]
    ext = p.max(axis=1) - p.min(axis=1)
    assert ext[0] / ext[1] == pytest.approx(3.0, rel=1e-3)
    assert d.volume("particles") == pytest.approx(math.pi * 3e-6 * 1e-6, rel=0.01)
    assert d.info["aspect_ratio"] == 3.0


def test_rods_random_orientation(assert_conforming):
    d = particle_composite(BOX, volume_fraction=0.1, radius=0.3e-6, aspect_ratio=3,
                           shape="rod", seed=2, mesh_size=0.2e-6)
    assert d.info["shape"] == "rod"
    assert abs(d.info["volume_fraction"] - 0.1) < 0.05
    assert_conforming(d)


def test_3d_spheres_small(assert_conforming):
    d = particle_composite((4e-6, 4e-6, 4e-6), volume_fraction=0.15, radius=0.8e-6, seed=1,
                           mesh_size=0.4e-6)
    assert d.dim == 3 and d.info["electrode_axis"] == 2
    z = d.mesh.p[2]
    assert np.allclose(z[d.mesh.facets[:, d.facets("anode")]], 0)
    assert d.facet_measure("cathode") == pytest.approx(16e-12, rel=1e-9)
    # a sphere of radius 0.8 µm is 3.4 % of the box; coarse facetting loses ~5 % of it
    assert abs(d.info["volume_fraction"] - 0.15) < 0.04
    assert_conforming(d)


def test_3d_spheroids_with_shells(assert_conforming):
    d = particle_composite((4e-6, 4e-6, 4e-6), centers=[[2e-6, 2e-6, 2e-6]], radii=[0.6e-6],
                           aspect_ratio=2, orientation=(0, 0, 1), shell_thickness=0.2e-6,
                           mesh_size=0.4e-6)
    core = 4 / 3 * math.pi * 0.6e-6**2 * 1.2e-6
    assert d.volume("particles") == pytest.approx(core, rel=0.05)
    assert d.volume("interphase") > 0
    assert_conforming(d)


def test_does_not_mutate_inputs():
    c = np.array([[3e-6, 3e-6], [7e-6, 7e-6]])
    r = np.array([1e-6, 1e-6])
    box = [10e-6, 10e-6]
    c0, r0 = c.copy(), r.copy()
    particle_composite(box, centers=c, radii=r, mesh_size=0.4e-6)
    assert np.array_equal(c, c0) and np.array_equal(r, r0) and box == [10e-6, 10e-6]


def test_custom_names():
    d = particle_composite(BOX, centers=[[5e-6, 5e-6]], radii=[1e-6], matrix="PMA",
                           particles="LLZTO", mesh_size=0.4e-6)
    assert d.region_names == ("PMA", "LLZTO") and "LLZTO|PMA" in d.boundaries


@pytest.mark.parametrize("kw, match", [
    (dict(volume_fraction=1.2, radius=1e-6), r"volume_fraction must lie in \(0, 1\)"),
    (dict(volume_fraction=0.7, radius=1e-6), r"above what random non-overlapping.*overlap=True"),
    (dict(volume_fraction=0.2, radius=6e-6), r"larger than the smallest box edge"),
    (dict(volume_fraction=0.2, radius=-1e-6), r"radius must be finite and > 0"),
    (dict(volume_fraction=0.2, radius=1e-6, aspect_ratio=0), r"aspect_ratio must be > 0"),
    (dict(volume_fraction=0.2, radius=1e-6, aspect_ratio=-2), r"aspect_ratio must be > 0"),
    (dict(volume_fraction=0.2, radius=1e-6, shell_thickness=-1e-7), r"shell_thickness must be"),
    (dict(centers=[[3e-6, 5e-6], [5.3e-6, 5e-6]], radii=[1e-6, 1e-6], shell_thickness=0.2e-6),
     r"shell_thickness=2e-07 m is too thick.*0.3 m apart|shell_thickness=2e-07 m is too thick"),
    (dict(centers=[[5e-6, 5e-6]], radii=[6e-6]), r"larger than the smallest box edge"),
    (dict(centers=[[5e-6, 5e-6]], radii=[-1e-6]), r"radii must be finite and > 0"),
    (dict(centers=[[5e-6, 5e-6]]), r"need both centers and radii"),
    (dict(centers=[[5e-6, 5e-6, 1e-6]], radii=[1e-6]), r"centers must have shape \(n, 2\)"),
    (dict(volume_fraction=0.2), r"radius is required"),
    (dict(volume_fraction=0.2, radius=1e-6, matrix="a", particles="a"), r"names must differ"),
    (dict(volume_fraction=0.2, radius=1e-6, algorithm=42), r"algorithm=42 is not a gmsh"),
    (dict(centers=[[5e-6, 5e-6]], radii=[1e-6], shape="cube"), r"shape must be 'ellipsoid' or 'rod'"),
    (dict(volume_fraction=0.2, radius=1e-6, centers=[[5e-6, 5e-6]], radii=[1e-6]),
     r"give either volume_fraction .* or centers \+ radii"),
    (dict(volume_fraction=0.2, radius=1e-6, mesh_size=-1.0), r"mesh_size must be finite and > 0"),
])
def test_errors(kw, match):
    with pytest.raises(GeometryError, match=match):
        particle_composite(BOX, seed=0, **kw)


def test_shell_too_thick_for_random_spacing_is_avoided():
    # random placement adds 2 t to the gap, so shells never touch: min surface gap > 2 t
    t = 0.15e-6
    d = particle_composite(BOX, volume_fraction=0.2, radius=0.8e-6, seed=5,
                           shell_thickness=t, mesh_size=0.4e-6)
    c, r = d.info["centers"], d.info["radii"]
    dist = np.linalg.norm(c[:, None] - c[None], axis=-1) - r[:, None] - r[None]
    np.fill_diagonal(dist, np.inf)
    assert dist.min() > 2 * t


def test_tiled_matrix_is_conforming_and_same_geometry(monkeypatch, assert_conforming):
    # large 2D composites are meshed as tiles (faster Delaunay); force tiles on a small
    # case: same particles and measures as the untiled mesh, and conforming
    from ntransport.geometry import composite

    kw = dict(volume_fraction=0.3, radius=1e-6, seed=4, mesh_size=0.3e-6)
    one = particle_composite(BOX, **kw)
    monkeypatch.setattr(composite, "_TRIANGLES_PER_TILE", 500)
    tiled = particle_composite(BOX, **kw)
    assert np.array_equal(one.info["centers"], tiled.info["centers"])
    assert one.info["tiles"] == 1 and tiled.info["tiles"] == 4
    assert tiled.volume() == pytest.approx(1e-10, rel=1e-12)
    # same polygonal particles up to the facetting of circles (rel. 0.5 %)
    assert tiled.volume("particles") == pytest.approx(one.volume("particles"), rel=5e-3)
    assert tiled.facet_measure("anode") == pytest.approx(10e-6, rel=1e-12)
    assert_conforming(tiled)
    # the matrix is really split: more than one gmsh surface means internal tile edges,
    # which must not be reported as a boundary or interface
    assert set(tiled.boundaries) == set(one.boundaries)


def _min_triangle_quality(domain):
    """min over triangles of 4 sqrt(3) area / (sum of squared edges): 1 equilateral."""
    from ntransport.solve.mesh_motion import triangle_quality

    return float(triangle_quality(domain.mesh.p, domain.mesh.t).min())


@pytest.mark.parametrize("shape", ["disks", "ellipses"])
def test_tile_edges_leave_no_slivers_at_the_seams(monkeypatch, shape):
    """A tile edge (or box face) across a disk or ellipse next to its one boundary vertex
    (OpenCASCADE's seam at angle 0) left a tiny arc and a sliver triangle (quality 0.014
    measured in both cases below); the particles whose seam is near a line are given
    another seam angle, so the tiled mesh is about as good as the untiled one."""
    from ntransport.geometry import composite

    box = (50e-6, 50e-6)
    if shape == "disks":  # the small 2D conduction benchmark composite, where found
        kw = dict(volume_fraction=0.3, seed=0, mesh_size=0.3e-6,
                  radius=float(np.sqrt(0.3 * 2500 / (100 * np.pi))) * 1e-6)
    else:
        kw = dict(volume_fraction=0.3, radius=1e-6, aspect_ratio=2.0, seed=0,
                  mesh_size=0.3e-6)
    one = particle_composite(box, **kw)
    monkeypatch.setattr(composite, "_TRIANGLES_PER_TILE", 8000)
    tiled = particle_composite(box, **kw)
    assert tiled.info["tiles"] > 1
    assert _min_triangle_quality(one) > 0.4
    assert _min_triangle_quality(tiled) > 0.75 * _min_triangle_quality(one)
    assert tiled.volume("particles") == pytest.approx(one.volume("particles"), rel=1e-3)
    monkeypatch.setattr(composite, "_seam_angles",
                        lambda parts, *a: np.zeros(len(parts.radii)))
    seams_at_zero = particle_composite(box, **kw)  # the defect, for contrast
    assert _min_triangle_quality(seams_at_zero) < 0.1


def test_seam_angles_move_only_seams_next_to_a_line():
    from ntransport.geometry.composite import _seam_angles
    from ntransport.geometry.placement import Particles

    parts = Particles(centers=np.array([[2.0, 5.0], [5.0, 5.0]]), radii=np.array([1.0, 1.0]),
                      directions=np.array([[1.0, 0.0], [1.0, 0.0]]), aspect_ratio=1.0,
                      shape="ellipsoid", image_of=np.array([0, 1]), box=np.array([10.0, 10.0]),
                      periodic=False)
    # seam of disk 0 at (3, 5): on the line x = 3; disk 1's seam (6, 5) is clear
    a = _seam_angles(parts, 0.0, [0.0, 3.0, 10.0], [0.0, 10.0], h=0.1)
    assert a[1] == 0.0 and a[0] != 0.0
    seam = parts.centers[0] + np.array([np.cos(a[0]), np.sin(a[0])])
    assert min(abs(seam[0] - x) for x in (0, 3, 10)) >= 0.2
    assert min(abs(seam[1] - y) for y in (0, 10)) >= 0.2


def test_graded_matrix_mesh():
    kw = dict(centers=[[5e-6, 5e-6]], radii=[1e-6], mesh_size=0.2e-6)
    fine = particle_composite(BOX, **kw)
    graded = particle_composite(BOX, matrix_mesh_size=1e-6, **kw)
    assert graded.mesh.nelements < 0.5 * fine.mesh.nelements
    # the particle surface keeps the fine size
    f = graded.facets("matrix|particles")
    x = graded.mesh.p[:, graded.mesh.facets[:, f]]
    assert np.linalg.norm(x[:, 1] - x[:, 0], axis=0).max() < 0.25e-6
    with pytest.raises(GeometryError, match=r"matrix_mesh_size must be finite and >= mesh_size"):
        particle_composite(BOX, matrix_mesh_size=0.1e-6, **kw)


def test_periodic_composite_fraction_is_exact_up_to_facetting(assert_conforming):
    d = particle_composite(BOX, volume_fraction=0.25, radius=1e-6, seed=6, periodic=True,
                           mesh_size=0.2e-6)
    img = d.info["image_of"]
    assert d.info["periodic"] is True
    assert np.any(img != np.arange(img.size))  # periodic images were added
    # periodic images put every cut-off part back in: fraction = N pi r^2 / L^2 exactly,
    # minus the polygon deficit (31 segments: 0.7 %); N pi r^2 / L^2 >= 0.25 and
    # overshoots by < one disk (0.031)
    phi = d.info["volume_fraction"]
    assert 0.25 * (1 - 0.01) <= phi <= 0.25 + math.pi / 100
    assert_conforming(d)


def test_3d_overlapping_spheres(assert_conforming):
    d = particle_composite((3e-6, 3e-6, 3e-6), volume_fraction=0.3, radius=0.7e-6, seed=3,
                           overlap=True, mesh_size=0.4e-6)
    assert d.region_names == ("matrix", "particles")
    assert 0.1 < d.info["volume_fraction"] < 0.5  # one Boolean realisation of ~8 spheres
    assert_conforming(d)


def test_3d_errors():
    with pytest.raises(GeometryError, match=r"centers must have shape \(n, 3\)"):
        particle_composite((4e-6, 4e-6, 4e-6), centers=[[1e-6, 1e-6]], radii=[0.5e-6])
    with pytest.raises(GeometryError, match=r"volume_fraction=0.45 is above .* 3D"):
        particle_composite((4e-6, 4e-6, 4e-6), volume_fraction=0.45, radius=0.5e-6)
    with pytest.raises(GeometryError, match=r"box must be 2 or 3 positive edge lengths"):
        particle_composite((4e-6, 4e-6, 4e-6, 1e-6), volume_fraction=0.2, radius=0.5e-6)


@pytest.mark.parametrize("kw", [
    dict(aspect_ratio=3, shape="rod"),            # overlapping rods (percolation studies)
    dict(aspect_ratio=2, orientation=(0, 1)),     # aligned overlapping ellipses
    dict(shell_thickness=0.1e-6),                 # metal cores in insulating shells
])
def test_overlapping_variants_2d(kw, assert_conforming):
    d = particle_composite(BOX, volume_fraction=0.3, radius=0.4e-6, seed=2, overlap=True,
                           mesh_size=0.15e-6, **kw)
    assert d.info["overlap"] is True
    assert 0.15 < d.info["volume_fraction"] < 0.45
    if "shell_thickness" in kw:
        assert d.volume("interphase") > 0
        # cores win where a core overlaps a neighbour's shell: cores keep their full
        # Boolean-union area; shells only add area around them
        assert d.info["volume_fraction"] + d.info["interphase_fraction"] > 0.3 - 0.1
    assert_conforming(d)


def test_3d_overlapping_rods(assert_conforming):
    # overlapping 3D rods are fused before the fragment (a direct fragment gives
    # intersecting surface facets that HXT rejects)
    d = particle_composite((2.5e-6, 2.5e-6, 2.5e-6), volume_fraction=0.1, radius=0.3e-6,
                           aspect_ratio=2.5, shape="rod", seed=1, overlap=True, mesh_size=0.3e-6)
    assert d.region_names == ("matrix", "particles")
    assert 0.02 < d.info["volume_fraction"] < 0.25  # one Boolean realisation of ~18 rods
    assert_conforming(d)
