"""layered_stack: names, conformity, local resolution of thin layers, errors."""
import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.geometry import layered_stack



@pytest.fixture(scope="module")
def thin_stack():
    # 1 µm layer in a 20 µm stack; bulk size 1 µm (width 20 µm / 20)
    return layered_stack([("PEO", 9.5e-6), ("MOF", 1e-6), ("PLM", 9.5e-6)], width=20e-6)


def test_names_and_measures(thin_stack, assert_conforming):
    d = thin_stack
    assert d.region_names == ("PEO", "MOF", "PLM")
    assert {"anode", "cathode", "sides", "MOF|PEO", "MOF|PLM"} <= set(d.boundaries)
    assert d.facet_measure("anode") == pytest.approx(20e-6, rel=1e-12)
    assert d.facet_measure("MOF|PEO") == pytest.approx(20e-6, rel=1e-12)
    assert d.volume("MOF") == pytest.approx(20e-6 * 1e-6, rel=1e-9)
    assert np.allclose(d.info["interfaces_at"], [0, 9.5e-6, 10.5e-6, 20e-6])
    # anode at y = 0, cathode at y = 20 µm
    y = d.mesh.p[1]
    assert np.allclose(y[d.mesh.facets[:, d.facets("anode")]], 0)
    assert np.allclose(y[d.mesh.facets[:, d.facets("cathode")]], 20e-6)
    assert_conforming(d)


def test_thin_layer_resolved_without_refining_thick(thin_stack):
    d = thin_stack
    finder = d.mesh.element_finder()
    y = np.linspace(9.5e-6 + 1e-10, 10.5e-6 - 1e-10, 4000)
    for x in np.linspace(1e-6, 19e-6, 7):
        crossed = np.unique(finder(np.full_like(y, x), y))
        assert crossed.size >= 3, f"only {crossed.size} elements across the thin layer at x={x}"
    # thick layers keep the bulk size: median edge ~ h = 1 µm (equilateral area sqrt(3)/4 h^2);
    # 0.7 h allows the grading next to the thin layer, a globally refined mesh would
    # give ~ 1/3 µm
    v = d.element_volumes()
    for name in ("PEO", "PLM"):
        h_med = np.sqrt(np.median(v[d.elements(name)]) * 4 / np.sqrt(3))
        assert h_med > 0.7e-6
    assert d.mesh.nelements < 3000


def test_repeated_names_merge_and_3d(assert_conforming):
    d = layered_stack([("PEO", 2e-6), ("LLZO", 1e-6), ("PEO", 2e-6)], width=4e-6, depth=3e-6,
                      mesh_size=1e-6)
    assert d.dim == 3
    assert d.region_names == ("PEO", "LLZO")
    assert d.volume("PEO") == pytest.approx(4e-6 * 3e-6 * 4e-6, rel=1e-9)
    assert d.facet_measure("LLZO|PEO") == pytest.approx(2 * 4e-6 * 3e-6, rel=1e-9)
    z = d.mesh.p[2]
    assert np.allclose(z[d.mesh.facets[:, d.facets("cathode")]], 5e-6)
    assert_conforming(d)
    # >= 3 tetrahedra across the 1 µm LLZO layer along vertical lines
    finder = d.mesh.element_finder()
    zz = np.linspace(2e-6 + 1e-10, 3e-6 - 1e-10, 2000)
    for x, y in [(1.1e-6, 1.3e-6), (2.3e-6, 1.7e-6), (3.1e-6, 2.2e-6)]:
        crossed = np.unique(finder(np.full_like(zz, x), np.full_like(zz, y), zz))
        assert crossed.size >= 3


def test_does_not_mutate_input():
    layers = [["A", 1e-6], ["B", 2e-6]]
    copy = [list(x) for x in layers]
    layered_stack(layers, width=3e-6)
    assert layers == copy


@pytest.mark.parametrize("layers, kw, match", [
    ([("PEO", -1e-6)], {}, r"layer 0 \('PEO'\) thickness must be finite and > 0.*-1e-06"),
    ([], {}, r"layers is empty"),
    ([("PEO", 1e-6)], {"width": 0.0}, r"width must be finite and > 0"),
    ([("a|b", 1e-6)], {}, r"name must be a non-empty string without '\|'"),
    ([("PEO", 1e-6)], {"min_elements_across": 0}, r"min_elements_across must be an integer >= 1"),
    ("PEO", {}, r"layers must be a list of \(name, thickness\) pairs"),
])
def test_errors(layers, kw, match):
    kw = {"width": 1e-6, **kw}
    with pytest.raises(GeometryError, match=match):
        layered_stack(layers, **kw)
