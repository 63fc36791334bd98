"""Structured phase-field boxes: graded coordinates, exact filament strips, non-obtuse
triangles, named regions and boundaries, bad input."""
import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.geometry.boxes import (BoxSpec, Filaments, box, column,
                                       evenly_spaced_filaments, graded_coordinates,
                                       longest_edges)

UM = 1e-6


def test_graded_coordinates_fine_band_then_growth_and_breaks():
    y = graded_coordinates(10.0, h_fine=0.2, band=4.0, growth=1.3, breaks=(2.05,))
    d = np.diff(y)
    assert y[0] == 0.0 and y[-1] == 10.0 and np.any(np.isclose(y, 2.05))
    fine = y[1:] <= 4.0 + 1e-12
    assert d[fine].max() <= 0.2 + 1e-12
    coarse = d[~fine]
    assert coarse.max() > 0.5  # graded above the band
    assert np.all(d > 0)


def test_box_with_filaments_regions_boundaries_and_sizes():
    fil = evenly_spaced_filaments(12.6 * UM, 3, diameter=0.8 * UM, gap_anode=2 * UM,
                                  height=12.6 * UM)
    d = box(12.6 * UM, 12.6 * UM, h_fine=0.186 * UM, band=5 * UM, filaments=fil)
    assert d.region_names == ("PEO", "PE")
    assert {"anode", "cathode", "sides", "PE|PEO"} <= set(d.boundaries)
    # the strips are exact: area = 3 x 0.8 um x 10.6 um
    assert d.volume("PE") == pytest.approx(3 * 0.8 * 10.6 * UM ** 2, rel=1e-12)
    assert d.volume() == pytest.approx((12.6 * UM) ** 2, rel=1e-12)
    # fine band: longest edges <= sqrt(2) h_fine below the band, larger above
    h = longest_edges(d)
    yc = d.mesh.p[1, d.mesh.t].mean(axis=0)
    assert h[yc < 5 * UM].max() <= np.sqrt(2) * 0.186 * UM * (1 + 1e-9)
    assert h[yc > 8 * UM].max() > 2 * 0.186 * UM
    assert d.info["band"] == pytest.approx(5 * UM)
    # non-obtuse (right) triangles: every P1 stiffness edge weight >= 0
    from ntransport.physics.edges import edge_geometry

    g = edge_geometry(d.mesh.p / UM, d.mesh.t)
    assert g.elem_weight.min() > -1e-12


def test_box_spec_caches_and_column_is_one_element_wide():
    spec = BoxSpec(4 * UM, 4 * UM, 0.25 * UM)
    assert spec.build(2 * UM) is spec.build(2 * UM)
    assert spec.build(10 * UM).info["band"] == pytest.approx(4 * UM)
    c = column(10 * UM, 100)
    assert np.ptp(c.mesh.p[0]) == pytest.approx(0.1 * UM)
    assert c.mesh.nelements == 200


@pytest.mark.parametrize("kw, match", [
    (dict(h_fine=0.0), "h_fine must be finite and > 0"),
    (dict(h_fine=5 * UM), "h_fine = 5e-06 m is larger than the box"),
    (dict(h_fine=1e-10), r"exceeds the limit of 5e\+06 elements"),  # geometry.guards
    (dict(filaments=Filaments((0.1 * UM,), 0.4 * UM)), "does not fit inside the box width"),
    (dict(filaments="PE"), "filaments must be a Filaments"),
])
def test_bad_box_input(kw, match):
    args = dict(h_fine=0.25 * UM)
    args.update(kw)
    with pytest.raises(GeometryError, match=match):
        box(4 * UM, 4 * UM, **args)


def test_bad_filaments():
    with pytest.raises(GeometryError, match="touch or overlap"):
        Filaments((1e-6, 1.5e-6), 0.8e-6)
    with pytest.raises(GeometryError, match="diameter .* >= spacing"):
        evenly_spaced_filaments(4e-6, 5, diameter=1e-6)
    with pytest.raises(GeometryError, match="integer >= 1"):
        evenly_spaced_filaments(4e-6, 0, diameter=1e-7)
