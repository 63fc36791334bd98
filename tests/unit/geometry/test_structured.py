"""Structured meshes (no gmsh): names, grading, one diagonal direction, bad input."""
import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.geometry.structured import graded_points, layered_rectangle, strip


def test_graded_points_first_cell_growth_and_ends():
    x = graded_points(0.0, 1.0, 0.1, h0=0.001, growth=1.2)
    h = np.diff(x)
    assert x[0] == 0.0 and x[-1] == pytest.approx(1.0)
    assert h[0] == pytest.approx(0.001, rel=0.05) and h[-1] == pytest.approx(h[0], rel=1e-9)
    assert np.all(h[1:len(h) // 4] / h[:len(h) // 4 - 1] <= 1.2 + 1e-9)
    one = graded_points(0.0, 1.0, 0.1, h0=0.001, ends=(True, False))
    assert np.diff(one)[-1] == pytest.approx(np.diff(one).max())
    with pytest.raises(ValueError, match="h0 \\(first cell size\\)"):
        graded_points(0.0, 1.0, 0.1, h0=-1.0)


def test_layered_rectangle_names_layers_and_one_diagonal():
    d = layered_rectangle(10e-6, [("LLZO", 1e-6), ("PE", 2e-6)], nx=5, h=0.2e-6, h0=1e-8,
                          grade_interfaces=True)
    assert d.region_names == ("LLZO", "PE")
    assert {"bottom", "top", "left", "right", "LLZO|PE"} <= set(d.boundaries)
    assert d.info["layers"] == [("LLZO", 0.0, 1e-6), ("PE", 1e-6, 3e-6)]
    y = np.unique(d.mesh.p[1])
    assert np.min(np.diff(y[y < 1e-6])) < 2e-8  # graded at the interface
    # every triangle is a right triangle cut along the same (bottom-left -> top-right) diagonal
    P = d.mesh.p[:, d.mesh.t]  # (2, 3, nel)
    e = np.stack([P[:, 1] - P[:, 0], P[:, 2] - P[:, 1], P[:, 0] - P[:, 2]])  # edges
    slopes = []
    for v in e:
        sel = (np.abs(v[0]) > 0) & (np.abs(v[1]) > 0)
        slopes.append(np.sign(v[0][sel] * v[1][sel]))
    assert np.all(np.concatenate(slopes) > 0)
    with pytest.raises(GeometryError, match="nx \\(columns of cells\\) must be >= 1, got 0"):
        layered_rectangle(1e-6, [("a", 1e-6)], nx=0)
    with pytest.raises(GeometryError, match="layers is empty"):
        layered_rectangle(1e-6, [])


def test_strip_boundaries_and_debye_grading():
    d = strip(1e-6, n=10, debye_length=1e-9)
    assert set(d.boundaries) >= {"anode", "cathode", "sides"}
    x = np.unique(d.mesh.p[0])
    assert x[1] - x[0] == pytest.approx(1e-9 / 4, rel=0.05)
    assert d.region_names == ("electrolyte",)
    with pytest.raises(GeometryError, match="n \\(elements along the strip\\) must be >= 1"):
        strip(1e-6, n=0)


def test_old_import_location_still_works():
    from ntransport.studies.npp_mesh import strip as old

    assert old is strip
