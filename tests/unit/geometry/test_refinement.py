"""Boundary-layer refinement in the gmsh builders: sizes near vs far, counts, errors."""
import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.geometry import layered_stack, particle_composite
from ntransport.geometry.refinement import BoundaryLayer, estimate_elements

UM = 1e-6


def _edges(domain):
    """Edge lengths and midpoints of a triangle (facets) or tetrahedron (edges) mesh."""
    m = domain.mesh
    e = m.facets if domain.dim == 2 else m.edges
    return (np.linalg.norm(m.p[:, e[0]] - m.p[:, e[1]], axis=0),
            0.5 * (m.p[:, e[0]] + m.p[:, e[1]]))


def test_sizes_near_and_far_2d(assert_conforming):
    bl = BoundaryLayer(size=0.05 * UM, thickness=0.2 * UM, growth=1.2, on=("anode",))
    d = layered_stack([("A", 5 * UM)], width=5 * UM, mesh_size=0.5 * UM, boundary_layer=bl)
    assert_conforming(d)
    length, mid = _edges(d)
    near = length[mid[1] < 0.2 * UM]
    far = length[mid[1] > 4 * UM]
    # gmsh aims at edge lengths ~ the target size (accepts 0.7x-1.4x)
    assert 0.7 * 0.05 * UM < near.mean() < 1.3 * 0.05 * UM
    assert 0.7 * 0.5 * UM < far.mean() < 1.3 * 0.5 * UM
    # the cathode is not in `on`: no refinement there
    assert length[mid[1] > 4.8 * UM].mean() > 5 * near.mean()
    assert d.info["boundary_layer"] is bl


def test_linear_growth_follows_the_threshold():
    """Mean edge length at distance d follows h(d) = s + (g-1)(d-t) to within 30 %."""
    bl = BoundaryLayer(size=0.05 * UM, thickness=0.1 * UM, growth=1.3, on=("anode",))
    d = layered_stack([("A", 5 * UM)], width=5 * UM, mesh_size=1 * UM, boundary_layer=bl)
    length, mid = _edges(d)
    for y in (0.5 * UM, 1.0 * UM, 2.0 * UM):
        sel = np.abs(mid[1] - y) < 0.05 * y
        target = bl.size_at(y, 1 * UM)
        assert abs(length[sel].mean() / target - 1) < 0.3, (y, length[sel].mean(), target)


def test_interfaces_refined_on_both_sides():
    bl = BoundaryLayer(size=0.05 * UM, thickness=0.1 * UM, growth=1.3, on=("interfaces",))
    d = layered_stack([("A", 2 * UM), ("B", 2 * UM)], width=2 * UM, mesh_size=0.4 * UM,
                      boundary_layer=bl)
    length, mid = _edges(d)
    for lo, hi in ((1.9 * UM, 2.0 * UM), (2.0 * UM, 2.1 * UM)):
        sel = (mid[1] > lo) & (mid[1] < hi)
        assert length[sel].mean() < 1.3 * bl.size
    assert length[mid[1] < 0.2 * UM].mean() > 4 * bl.size  # electrodes untouched


def test_composite_particle_interface_and_anode():
    bl = BoundaryLayer(size=0.05 * UM, thickness=0.1 * UM, growth=1.3,
                       on=("anode", "matrix|particles"))
    d = particle_composite((6 * UM, 6 * UM), centers=[[3 * UM, 3 * UM]], radii=[1 * UM],
                           mesh_size=0.4 * UM, boundary_layer=bl)
    length, mid = _edges(d)
    r = np.linalg.norm(mid - 3 * UM, axis=0)
    assert length[np.abs(r - 1 * UM) < 0.1 * UM].mean() < 1.3 * bl.size
    assert length[mid[1] < 0.1 * UM].mean() < 1.3 * bl.size
    assert length[mid[1] > 5.5 * UM].mean() > 4 * bl.size  # cathode untouched


def test_3d_stack():
    bl = BoundaryLayer(size=0.05 * UM, thickness=0.05 * UM, growth=1.3, on=("anode",))
    d = layered_stack([("A", 1 * UM)], width=1 * UM, depth=1 * UM, mesh_size=0.25 * UM,
                      boundary_layer=bl)
    length, mid = _edges(d)
    assert length[mid[2] < 0.05 * UM].mean() < 1.4 * bl.size
    assert length[mid[2] > 0.7 * UM].mean() > 3 * bl.size


@pytest.mark.parametrize("dim", [2, 3])
def test_estimate_matches_the_mesh(dim):
    """The pre-meshing estimate is within a factor 2 of the elements actually added
    (flat-boundary formula; gmsh's Delaunay elements are not equilateral)."""
    bl = BoundaryLayer(size=0.1 * UM if dim == 2 else 0.05 * UM, thickness=0.3 * UM,
                       growth=1.2 if dim == 2 else 1.3, on=("anode",))
    if dim == 2:
        kw, measure, H = dict(width=10 * UM, mesh_size=1 * UM), 10 * UM, 1 * UM
        layers = [("A", 10 * UM)]
    else:
        kw, measure, H = dict(width=1 * UM, depth=1 * UM, mesh_size=0.25 * UM), 1e-12, 0.25 * UM
        layers = [("A", 1 * UM)]
    base = layered_stack(layers, **kw).mesh.nelements
    added = layered_stack(layers, boundary_layer=bl, **kw).mesh.nelements - base
    est = estimate_elements(bl, measure, dim, H)
    assert 0.5 < est / added < 2.0, (est, added)


def test_too_many_elements_raises_before_meshing():
    bl = BoundaryLayer(size=1e-10, thickness=1e-10, on=("anode",), max_elements=10_000,
                       note="Try something else.")
    with pytest.raises(GeometryError, match=r"about .* elements \(max_elements=1e\+04\). "
                                            r"Try something else"):
        layered_stack([("A", 20 * UM)], width=20 * UM, boundary_layer=bl)


@pytest.mark.parametrize("kw, match", [
    (dict(size=-1.0, thickness=1e-7), "BoundaryLayer.size"),
    (dict(size=1e-8, thickness=0.0), "BoundaryLayer.thickness"),
    (dict(size=1e-8, thickness=1e-7, growth=1.0), "growth must be a number > 1"),
    (dict(size=1e-8, thickness=1e-7, on=()), "BoundaryLayer.on must be boundary names"),
    (dict(size=1e-8, thickness=1e-7, on=("anode", 3)), "BoundaryLayer.on must be"),
])
def test_bad_spec(kw, match):
    with pytest.raises(GeometryError, match=match):
        BoundaryLayer(**kw)


def test_unknown_boundary_name_suggests():
    bl = BoundaryLayer(size=1e-7, thickness=1e-7, on=("anod",))
    with pytest.raises(GeometryError, match=r"no boundary 'anod'.*anode"):
        layered_stack([("A", 2 * UM)], width=2 * UM, boundary_layer=bl)


def test_wrong_type_raises():
    with pytest.raises(GeometryError, match="boundary_layer must be a BoundaryLayer"):
        layered_stack([("A", 2 * UM)], width=2 * UM, boundary_layer={"size": 1e-7})


def test_single_string_on_and_size_at():
    bl = BoundaryLayer(size=1e-8, thickness=1e-7, growth=1.5, on="cathode")
    assert bl.on == ("cathode",)
    h = bl.size_at([0.0, 1e-7, 3e-7, 1.0], 1e-7)
    np.testing.assert_allclose(h, [1e-8, 1e-8, 1e-7, 1e-7])
    np.testing.assert_allclose(bl.size_at(2e-7, 1.0), 1e-8 + 0.5 * 1e-7)


def test_3d_composite_sphere_surface():
    """Curved 3D targets are sampled finely enough (π x box side) to stay refined."""
    bl = BoundaryLayer(size=0.1 * UM, thickness=0.1 * UM, growth=1.3, on=("interfaces",))
    d = particle_composite((4 * UM,) * 3, centers=[[2 * UM] * 3], radii=[1 * UM],
                           mesh_size=0.6 * UM, boundary_layer=bl)
    length, mid = _edges(d)
    r = np.linalg.norm(mid - 2 * UM, axis=0)
    # tetrahedral edges average ~1.3x the target size in gmsh (measured 1.31)
    assert length[np.abs(r - 1 * UM) < 0.1 * UM].mean() < 1.5 * bl.size
    assert length[mid[2] > 3.5 * UM].mean() > 3 * bl.size


@pytest.mark.parametrize("dim", [2, 3])
def test_estimate_closed_form_equals_the_integral(dim):
    """N = μ ∫ dd / (k h(d)^dim), integrated numerically with size_at."""
    from scipy.integrate import quad

    bl = BoundaryLayer(size=0.02 * UM, thickness=0.1 * UM, growth=1.25)
    H = 0.5 * UM
    k = np.sqrt(3) / 4 if dim == 2 else 1 / (6 * np.sqrt(2))
    d_end = bl.thickness + (H - bl.size) / (bl.growth - 1)  # where h(d) reaches H
    integral = quad(lambda d: 1 / (k * float(bl.size_at(d, H)) ** dim), 0, d_end,
                    points=[bl.thickness], limit=200)[0]
    np.testing.assert_allclose(estimate_elements(bl, 3 * UM, dim, H) / 3 / UM, integral,
                               rtol=1e-8)


def test_sampling_limit_raises():
    bl = BoundaryLayer(size=1e-11, thickness=1e-11, on=("anode",), max_elements=1e30)
    with pytest.raises(GeometryError, match="too thin to sample"):
        layered_stack([("A", 20 * UM)], width=20 * UM, boundary_layer=bl)


def test_no_target_warns_and_meshes_as_before(caplog):
    bl = BoundaryLayer(size=0.05 * UM, thickness=0.1 * UM, on=("interfaces",))
    plain = layered_stack([("A", 2 * UM)], width=2 * UM)
    with caplog.at_level("WARNING", logger="ntransport.geometry.refinement"):
        d = layered_stack([("A", 2 * UM)], width=2 * UM, boundary_layer=bl)
    assert "no such entities" in caplog.text
    assert d.mesh.nelements == plain.mesh.nelements
