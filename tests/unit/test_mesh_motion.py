"""Mesh motion: boundary displacement (area-consistent) and harmonic extension."""
import numpy as np
import pytest

from ntransport.errors import MeshError
from ntransport.geometry.remesh import anode_profile, mesh_electrolyte_above_curve
from ntransport.solve.mesh_motion import (anode_displacement, anode_normals,
                                          harmonic_extension, triangle_areas,
                                          triangle_quality)


def _shoelace(p):
    return float(np.sum(0.5 * (p[1:, 0] - p[:-1, 0]) * (p[1:, 1] + p[:-1, 1])))


def test_flat_uniform_velocity_moves_rigidly():
    X = np.column_stack([np.linspace(0, 1, 11), np.zeros(11)])
    L = np.diff(X[:, 0])
    v = 2.0
    loads = np.zeros(11)
    loads[:-1] += 0.5 * L * v
    loads[1:] += 0.5 * L * v
    d = anode_displacement(X, loads, 0.1)
    np.testing.assert_allclose(d, np.tile([0.0, 0.2], (11, 1)), atol=1e-15)


def test_swept_area_first_order_exact_on_curved_surface():
    # bump y = 0.2 cos^2 on [0,1]; uniform v_n = 1; swept area -> dt * length, error O(dt^2)
    X = anode_profile(1.0, height=1.0, defect_height=0.2, defect_width=0.5, spacing=0.01,
                      shape="cosine")
    L = np.linalg.norm(np.diff(X, axis=0), axis=1)
    loads = np.zeros(len(X))
    loads[:-1] += 0.5 * L
    loads[1:] += 0.5 * L
    errs = []
    for dt in (1e-3, 5e-4, 2.5e-4):
        Y = X + anode_displacement(X, loads, dt)
        errs.append(abs((_shoelace(Y) - _shoelace(X)) - dt * L.sum()) / (dt * L.sum()))
    slope = np.polyfit(np.log([1e-3, 5e-4, 2.5e-4]), np.log(errs), 1)[0]
    assert slope == pytest.approx(1.0, abs=0.1)  # relative error O(dt): area error O(dt²)


def test_normals_point_into_electrolyte_and_ends_are_vertical():
    X = anode_profile(1.0, height=1.0, defect_height=0.2, defect_width=0.5, spacing=0.05)
    N = anode_normals(X)
    assert np.all(N[:, 1] > -1e-12)
    np.testing.assert_allclose(N[[0, -1]], [[0, 1], [0, 1]])


def test_cusp_raises():
    X = np.array([[0, 0], [1, 0], [1, 1], [1, 0], [2, 0]], dtype=float)  # a needle
    with pytest.raises(MeshError, match="folded over"):
        anode_displacement(X, np.ones(5), 1.0)


def test_harmonic_extension_reproduces_translation_and_keeps_inputs():
    d = mesh_electrolyte_above_curve(np.array([[0, 0], [1e-6, 0]]), width=1e-6, y_top=1e-6,
                                     h_anode=0.2e-6, h_max=0.3e-6)
    p, t = d.mesh.p.copy(), d.mesh.t.copy()
    bnd = np.unique(d.mesh.facets[:, d.mesh.boundary_facets()])
    u = harmonic_extension(p, t, fixed_x=bnd, values_x=np.full(bnd.size, 1e-8),
                           fixed_y=bnd, values_y=np.full(bnd.size, -2e-8))
    np.testing.assert_allclose(u[0], 1e-8, rtol=1e-10)
    np.testing.assert_allclose(u[1], -2e-8, rtol=1e-10)
    np.testing.assert_array_equal(p, d.mesh.p)  # inputs unchanged
    assert np.all(triangle_quality(p, t) > 0.3)
    assert abs(np.abs(triangle_areas(p, t)).sum() - 1e-12) < 1e-24


def test_faraday_displacement_exact_area_and_small_fix():
    from ntransport.solve.mesh_motion import area_under, faraday_displacement

    X = anode_profile(1.0, height=1.0, defect_height=0.2, defect_width=0.5, spacing=0.01,
                      shape="cosine")
    L = np.linalg.norm(np.diff(X, axis=0), axis=1)
    loads = np.zeros(len(X))
    loads[:-1] += 0.5 * L
    loads[1:] += 0.5 * L
    fixes = []
    for dt in (1e-3, 5e-4):
        d, fix = faraday_displacement(X, loads, dt)
        assert area_under(X + d) - area_under(X) == pytest.approx(dt * L.sum(), rel=1e-12)
        fixes.append(abs(fix))
        np.testing.assert_allclose(d[[0, -1], 0], 0.0, atol=1e-18)  # ends stay on the walls
    assert fixes[0] / fixes[1] == pytest.approx(4.0, rel=0.1)  # the fix is O(dt²)
