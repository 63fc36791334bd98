"""host-guest, aligned filaments, defect anode and polyline anode builders."""
import math

import numpy as np
import pytest

from ntransport.errors import GeometryError
from ntransport.geometry import (aligned_filaments, ceramic_in_polymer, defect_profile,
                                 electrode_with_defect, electrolyte_above_curve, host_guest,
                                 polymer_in_ceramic)


# ------------------------------------------------------------------ host-guest
def test_polymer_in_ceramic_names_and_inversion(assert_conforming):
    d = polymer_in_ceramic((9e-6, 9e-6), volume_fraction=0.4, seed=1, mesh_size=0.5e-6)
    assert d.region_names == ("SiO2", "PVH")      # host first (matrix), guests second
    assert "PVH|SiO2" in d.boundaries
    assert d.info["architecture"] == "polymer-in-ceramic" and d.info["host"] == "SiO2"
    assert np.allclose(d.info["radii"], 1.45e-6)   # 2.9 µm PVH spheres (Liu et al. 2025)
    assert abs(d.volume_fractions()["PVH"] - 0.4) < 0.08  # one 1.45 µm disk = 8 % of the box
    assert_conforming(d)


def test_ceramic_in_polymer_and_by_name():
    d = ceramic_in_polymer((2e-6, 2e-6), seed=1, mesh_size=0.03e-6)
    assert d.region_names == ("PVH", "SiO2") and "PVH|SiO2" in d.boundaries
    assert np.allclose(d.info["radii"], 79e-9)     # 158 nm SiO2 (Liu et al. 2025)
    # 0.14 target; one 79 nm disk is 0.5 % of (2 µm)^2, polygon error ~ 2 %
    assert d.volume_fractions()["SiO2"] == pytest.approx(0.14, abs=0.012)
    e = host_guest("polymer-in-ceramic", (6e-6, 6e-6), volume_fraction=0.3, seed=2,
                   mesh_size=0.6e-6)
    assert e.info["architecture"] == "polymer-in-ceramic"


def test_host_guest_unknown_architecture():
    with pytest.raises(GeometryError, match=r"architecture 'polymer-in-ceramics' is not known.*"
                                            r"Did you mean 'polymer-in-ceramic'"):
        host_guest("polymer-in-ceramics")


# ------------------------------------------------------------------- filaments
def test_filaments_2d(assert_conforming):
    d = aligned_filaments((20e-6, 10e-6), diameter=1e-6, n_filaments=5, mesh_size=0.5e-6)
    assert d.region_names == ("electrolyte", "filaments")
    assert d.volume_fractions()["filaments"] == pytest.approx(5 * 1e-6 / 20e-6, rel=1e-9)
    assert np.allclose(d.info["filament_centers"][:, 0], [2e-6, 6e-6, 10e-6, 14e-6, 18e-6])
    # each strip meets the electrolyte along its two long sides (touching both electrodes)
    assert d.facet_measure("electrolyte|filaments") == pytest.approx(5 * 2 * 10e-6, rel=1e-9)
    assert_conforming(d)


def test_filaments_3d_spacing_and_gap(assert_conforming):
    d = aligned_filaments((6e-6, 6e-6, 4e-6), diameter=1e-6, spacing=3e-6, gap_anode=1e-6,
                          mesh_size=0.5e-6)
    assert d.info["filament_centers"].shape == (4, 2)
    vol = 4 * math.pi * 0.5e-6**2 * 3e-6
    assert d.volume("filaments") == pytest.approx(vol, rel=0.03)  # faceted cylinders
    z = d.mesh.p[2]
    assert z[np.unique(d.mesh.t[:, d.elements("filaments")])].min() == pytest.approx(1e-6)
    assert_conforming(d)


@pytest.mark.parametrize("kw, match", [
    (dict(diameter=4.5e-6, n_filaments=5), r"diameter=4.5e-06 m >= filament spacing 4e-06 m"),
    (dict(diameter=1e-6), r"exactly one of n_filaments or spacing"),
    (dict(diameter=-1e-6, n_filaments=2), r"diameter must be finite and > 0"),
    (dict(diameter=1e-6, n_filaments=2, gap_anode=6e-6, gap_cathode=5e-6), r"sum must be < the height"),
    (dict(diameter=1e-6, spacing=30e-6), r"spacing=3e-05 is larger than the box width"),
])
def test_filament_errors(kw, match):
    with pytest.raises(GeometryError, match=match):
        aligned_filaments((20e-6, 10e-6), **kw)


# ---------------------------------------------------------------------- defect
@pytest.mark.parametrize("shape", ["gaussian", "semicircle", "rectangle"])
def test_defect_domain(shape, assert_conforming):
    d = electrode_with_defect(shape=shape, defect_height=0.5e-6, defect_width=1e-6)
    assert d.region_names == ("electrolyte",)
    assert set(d.boundaries) == {"anode", "cathode", "sides"}
    pts = d.info["anode_curve"]
    # the bump: max height at the centre, flat ends at y = 0
    assert pts[:, 1].max() == pytest.approx(0.5e-6)
    top = pts[pts[:, 1] >= pts[:, 1].max() * (1 - 1e-9), 0]
    assert top.mean() == pytest.approx(2.5e-6, abs=0.05e-6)
    # electrolyte area = box minus the area under the bump (trapezoid rule on the polyline)
    under = np.trapezoid(pts[:, 1], pts[:, 0])
    assert d.volume() == pytest.approx(5e-6 * 3e-6 - under, rel=1e-9)
    exact = {"gaussian": 0.5e-6 * 1e-6 / (2 * math.sqrt(2 * math.log(2))) * math.sqrt(2 * math.pi),
             "semicircle": math.pi * 0.5e-6 * 0.5e-6 / 2, "rectangle": 0.5e-6 * 1e-6}[shape]
    assert under == pytest.approx(exact, rel=0.01)
    # the anode is the whole polyline, longer than the flat width
    assert d.facet_measure("anode") == pytest.approx(np.sum(np.linalg.norm(np.diff(pts, axis=0), axis=1)), rel=1e-9)
    assert_conforming(d)


def test_defect_refined_near_bump():
    d = electrode_with_defect(defect_height=0.4e-6, defect_width=0.8e-6)
    f = d.facets("anode")
    x = d.mesh.p[:, d.mesh.facets[:, f]]
    lengths = np.linalg.norm(x[:, 1] - x[:, 0], axis=0)
    assert lengths.max() <= 0.4e-6 / 8 * 1.5 + 1e-12   # anode size min(h, w)/8
    top = d.facets("cathode")
    y = d.mesh.p[:, d.mesh.facets[:, top]]
    assert np.linalg.norm(y[:, 1] - y[:, 0], axis=0).mean() > 0.1e-6  # bulk ~ 3 µm / 20


def test_curve_overhang_and_no_mutation(assert_conforming):
    pts = np.array([[0, 0], [2e-6, 0], [2e-6, 1e-6], [3e-6, 1e-6], [2.5e-6, 0.5e-6],
                    [3.5e-6, 0.2e-6], [5e-6, 0]])
    before = pts.copy()
    d = electrolyte_above_curve(pts, 5e-6, 3e-6, mesh_size=0.3e-6, anode_mesh_size=0.05e-6)
    assert np.array_equal(pts, before)
    assert d.facet_measure("anode") == pytest.approx(np.sum(np.linalg.norm(np.diff(pts, axis=0), axis=1)), rel=1e-9)
    assert_conforming(d)


@pytest.mark.parametrize("kw, match", [
    (dict(defect_height=3e-6), r"defect_height=3e-06 m is not below the domain height=3e-06"),
    (dict(defect_height=-1e-7), r"defect_height must be finite and > 0"),
    (dict(defect_width=0.0), r"defect_width must be finite and > 0"),
    (dict(defect_width=5e-6, shape="semicircle"), r"defect_width=5e-06 m is too wide"),
    (dict(shape="cone"), r"shape must be one of"),
    (dict(height=-3e-6), r"height must be finite and > 0"),
])
def test_defect_errors(kw, match):
    with pytest.raises(GeometryError, match=match):
        electrode_with_defect(**kw)


@pytest.mark.parametrize("pts, match", [
    ([[0, 0], [4e-6, 0]], r"must run from x = 0 to x = width"),
    ([[0, 0], [2e-6, 3.5e-6], [5e-6, 0]], r"reaches y = 3.5e-06 m, not below height"),
    ([[0, 0], [3e-6, 0], [3e-6, 1e-6], [2e-6, 1e-6], [2.5e-6, -1e-6], [5e-6, 0]], r"intersects itself"),
    ([[0, 0], [0, 0], [5e-6, 0]], r"repeated consecutive points"),
])
def test_curve_errors(pts, match):
    with pytest.raises(GeometryError, match=match):
        electrolyte_above_curve(np.array(pts, dtype=float), 5e-6, 3e-6)


def test_defect_profile_endpoints():
    p = defect_profile(5e-6, defect_height=0.3e-6, defect_width=0.5e-6)
    assert p[0].tolist() == [0, 0] and p[-1].tolist() == [5e-6, 0]
    assert np.all(np.diff(p[:, 0]) > 0)


def test_builders_leave_a_callers_gmsh_session_untouched():
    # gmsh_session is re-entrant: building inside a user's session must not change the
    # user's mesh options nor the current model
    import gmsh

    from ntransport.geometry import gmsh_session, layered_stack

    with gmsh_session() as g:
        g.model.add("mine")
        g.option.setNumber("Mesh.Algorithm", 6)
        g.option.setNumber("Mesh.MeshSizeMax", 123.0)
        g.option.setNumber("Mesh.Smoothing", 3)
        electrode_with_defect()
        layered_stack([("A", 1e-6)], width=2e-6)
        assert g.option.getNumber("Mesh.Algorithm") == 6
        assert g.option.getNumber("Mesh.MeshSizeMax") == 123.0
        assert g.option.getNumber("Mesh.Smoothing") == 3
        assert g.model.getCurrent() == "mine"
    assert not gmsh.isInitialized()


def test_a_callers_boolean_options_do_not_change_the_geometry():
    """Inside a user's gmsh session with ``Geometry.OCCBooleanPreserveNumbering = 0``
    the fragment's pieces were mislabelled (a 3D composite's particle fraction 0.187 ->
    0.170, silently); the builders hold the Boolean options at gmsh's defaults and give
    the user's values back afterwards."""
    from ntransport.geometry import gmsh_session, particle_composite

    kw = dict(volume_fraction=0.2, radius=1.0e-6, seed=3, mesh_size=0.6e-6)
    ref = particle_composite((6e-6,) * 3, **kw).volume_fractions()
    with gmsh_session() as g:
        g.option.setNumber("Geometry.OCCBooleanPreserveNumbering", 0)
        g.option.setNumber("Geometry.OCCBooleanGlue", 1)
        inside = particle_composite((6e-6,) * 3, **kw).volume_fractions()
        assert g.option.getNumber("Geometry.OCCBooleanPreserveNumbering") == 0
        assert g.option.getNumber("Geometry.OCCBooleanGlue") == 1
    assert inside["particles"] == pytest.approx(ref["particles"], rel=1e-9)
    assert ref["particles"] > 0.18
