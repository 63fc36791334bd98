"""Domain: names, automatic interfaces, measures, immutability, readers."""
import numpy as np
import pytest

import ntransport as nt
from ntransport.errors import ConfigError, MeshError
from ntransport.geometry import gmsh_session, interface_name


def _two_squares():
    # unit square split at x = 0.5 into "left" and "right", 4 triangles
    pts = np.array([[0, 0], [0.5, 0], [1, 0], [0, 1], [0.5, 1], [1, 1.0]])
    cells = np.array([[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4]])
    return nt.Domain.from_arrays(
        pts, cells, {"left": [0, 1], "right": [2, 3]}, {"bottom": np.array([[0, 1], [1, 2]])}
    )


def test_from_arrays_names_and_interfaces():
    d = _two_squares()
    assert d.region_names == ("left", "right")
    assert set(d.boundaries) == {"bottom", "left|right"}
    assert d.interface("right", "left").size == 1
    assert d.facet_measure("left|right") == pytest.approx(1.0, rel=1e-14)
    assert d.facet_measure("bottom") == pytest.approx(1.0, rel=1e-14)
    assert d.volume_fractions() == pytest.approx({"left": 0.5, "right": 0.5})
    assert d.volume() == pytest.approx(1.0)
    # the skfem mesh carries the same names, so FacetBasis(facets="bottom") works
    assert set(d.mesh.boundaries) >= {"bottom", "left|right"}
    assert set(d.mesh.subdomains) == {"left", "right"}


def test_scale_converts_to_metres():
    pts = np.array([[0, 0], [20, 0], [0, 5.0]])
    d = nt.Domain.from_arrays(pts, np.array([[0, 1, 2]]), {"PEO": [0]}, scale=1e-6)
    assert d.bounds[0, 1] == pytest.approx(20e-6)
    assert d.volume() == pytest.approx(0.5 * 20e-6 * 5e-6)


def test_element_volumes_are_computed_once_and_follow_a_moved_mesh():
    """The measures the mesh check computes are kept (scaled) for the Domain; they are
    read-only, equal a fresh computation, and a moved mesh (ALE) gets its own."""
    from ntransport.geometry.mesh_checks import simplex_det
    from ntransport.solve.deposition_ale import moved_domain

    pts = np.array([[0, 0], [20, 0], [0, 5.0], [20, 5.0]])
    d = nt.Domain.from_arrays(pts, np.array([[0, 1, 2], [1, 3, 2]]), {"PEO": [0, 1]},
                              scale=1e-6)
    v = d.element_volumes()
    assert v is d.element_volumes() and not v.flags.writeable
    np.testing.assert_allclose(v, np.abs(simplex_det(d.mesh.p, d.mesh.t)) / 2, rtol=1e-14)
    assert d.with_info(x=1).element_volumes() is v  # same mesh
    p = d.mesh.p.copy()
    p[1] *= 2.0
    moved = moved_domain(d, p)
    np.testing.assert_allclose(moved.element_volumes(), 2 * v, rtol=1e-14)
    assert d.element_volumes() is v


def test_unknown_names_suggest_close_match():
    d = _two_squares()
    with pytest.raises(KeyError, match="Did you mean 'bottom'"):
        d.facets("botom")
    with pytest.raises(KeyError, match="Did you mean 'left'"):
        d.elements("lefft")


def test_arrays_are_read_only_and_info_copies():
    d = _two_squares()
    with pytest.raises(ValueError):
        d.region[0] = 1
    d2 = d.with_info(seed=1)
    assert d2.info == {"seed": 1} and d.info == {}


def test_renamed():
    d = _two_squares().renamed({"left": "PE", "bottom": "anode"})
    assert d.region_names == ("PE", "right")
    assert set(d.boundaries) == {"anode", "PE|right"}


@pytest.mark.parametrize(
    "groups, match",
    [
        ({}, "no named subdomains"),
        ({"a": [0, 1]}, "belong to no named subdomain"),
        ({"a": [0, 1, 2], "b": [2, 3]}, "share elements"),
    ],
)
def test_bad_cell_groups(groups, match):
    pts = np.array([[0, 0], [0.5, 0], [1, 0], [0, 1], [0.5, 1], [1, 1.0]])
    cells = np.array([[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4]])
    with pytest.raises(MeshError, match=match):
        nt.Domain.from_arrays(pts, cells, groups)


def test_facet_group_not_on_mesh():
    pts = np.array([[0, 0], [1, 0], [0, 1.0], [1, 1]])
    with pytest.raises(MeshError, match="not faces of the volume mesh"):
        nt.Domain.from_arrays(pts, np.array([[0, 1, 2], [1, 3, 2]]), {"a": [0, 1]},
                              {"diag": np.array([[0, 3]])})


def _gmsh_two_layers(gmsh, named=True):
    a = gmsh.model.occ.addRectangle(0, 0, 0, 20, 1)
    b = gmsh.model.occ.addRectangle(0, 1, 0, 20, 19)
    gmsh.model.occ.fragment([(2, a)], [(2, b)])
    gmsh.model.occ.synchronize()
    if named:
        gmsh.model.addPhysicalGroup(2, [a], name="LLZO")
        gmsh.model.addPhysicalGroup(2, [b], name="PEO")
        bottom = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-1, -1e-3, -1, 21, 1e-3, 1, 1)]
        gmsh.model.addPhysicalGroup(1, bottom, name="anode")
    gmsh.option.setNumber("Mesh.MeshSizeMax", 1.0)
    gmsh.model.mesh.generate(2)


def test_from_gmsh_model_in_one_call():
    with gmsh_session() as gmsh:
        _gmsh_two_layers(gmsh)
        d = nt.from_gmsh(unit="um")
    assert d.region_names == ("LLZO", "PEO")
    assert d.volume("LLZO") == pytest.approx(20e-6 * 1e-6, rel=1e-12)
    assert d.facet_measure("anode") == pytest.approx(20e-6, rel=1e-12)
    assert d.facet_measure(interface_name("PEO", "LLZO")) == pytest.approx(20e-6, rel=1e-12)


@pytest.mark.parametrize("version", [2.2, 4.1])
def test_read_msh_versions(tmp_path, version):
    path = tmp_path / f"stack_v{version}.msh"
    with gmsh_session() as gmsh:
        _gmsh_two_layers(gmsh)
        gmsh.option.setNumber("Mesh.MshFileVersion", version)
        gmsh.write(str(path))
    d = nt.read_mesh(path, unit="um")
    assert d.region_names == ("LLZO", "PEO")
    assert d.volume() == pytest.approx(400e-12, rel=1e-12)
    assert "anode" in d.boundaries


def test_read_geo_meshes_on_the_fly(tmp_path):
    geo = tmp_path / "box.geo"
    geo.write_text(
        "Point(1) = {0,0,0,0.5}; Point(2) = {2,0,0,0.5}; Point(3) = {2,1,0,0.5};"
        " Point(4) = {0,1,0,0.5};\n"
        "Line(1) = {1,2}; Line(2) = {2,3}; Line(3) = {3,4}; Line(4) = {4,1};\n"
        "Curve Loop(1) = {1,2,3,4}; Plane Surface(1) = {1};\n"
        'Physical Surface("electrolyte") = {1}; Physical Curve("anode") = {1};'
        ' Physical Curve("cathode") = {3};\n'
    )
    d = nt.read_mesh(geo, unit="mm")
    assert d.region_names == ("electrolyte",)
    assert d.facet_measure("cathode") == pytest.approx(2e-3, rel=1e-12)


def test_read_meshio_vtu_with_cell_sets(tmp_path):
    import meshio

    pts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0.0]])
    m = meshio.Mesh(pts, [("triangle", np.array([[0, 1, 2], [1, 3, 2]]))],
                    cell_sets={"a": [np.array([0])], "b": [np.array([1])]})
    path = tmp_path / "two.vtu"
    m.write(path)
    d = nt.read_mesh(path)
    assert d.region_names == ("a", "b") and "a|b" in d.boundaries


def test_mesh_without_names_is_a_clear_error(tmp_path):
    path = tmp_path / "unnamed.msh"
    with gmsh_session() as gmsh:
        _gmsh_two_layers(gmsh, named=False)
        gmsh.option.setNumber("Mesh.SaveAll", 1)
        gmsh.write(str(path))
    with pytest.raises(MeshError, match="no physical groups"):
        nt.read_mesh(path)


def test_read_mesh_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nt.read_mesh(tmp_path / "nope.msh")
    with pytest.raises(ConfigError, match="not a length unit"):
        nt.read_mesh(_write_tiny_vtu(tmp_path), unit="furlong")


def _write_tiny_vtu(tmp_path):
    import meshio

    pts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0.0]])
    m = meshio.Mesh(pts, [("triangle", np.array([[0, 1, 2]]))], cell_sets={"a": [np.array([0])]})
    path = tmp_path / "tiny.vtu"
    m.write(path)
    return path


def test_3d_tetrahedra(tmp_path):
    with gmsh_session() as gmsh:
        box = gmsh.model.occ.addBox(0, 0, 0, 1, 1, 1)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [box], name="LLZO")
        bottom = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-1, -1, -1e-3, 2, 2, 1e-3, 2)]
        gmsh.model.addPhysicalGroup(2, bottom, name="anode")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.3)
        gmsh.model.mesh.generate(3)
        d = nt.from_gmsh(unit="um")
    assert d.dim == 3
    assert d.volume() == pytest.approx(1e-18, rel=1e-12)
    assert d.facet_measure("anode") == pytest.approx(1e-12, rel=1e-12)


@pytest.mark.parametrize("refine", [3])
def test_cached_topology_matches_scikit_fem(refine):
    """Our integer-key facet build gives exactly scikit-fem's facets, t2f and f2t."""
    import skfem

    from ntransport.geometry.domain import _cache_topology

    for base in (skfem.MeshTri1.init_sqsymmetric(), skfem.MeshTet1.init_tensor(*[np.linspace(0, 1, 4)] * 3)):
        m = base.refined(refine if base.dim() == 2 else 1)
        ref = type(m)(m.p, m.t, validate=False)
        fast = type(m)(m.p, m.t, validate=False)
        _cache_topology(fast)
        np.testing.assert_array_equal(fast.facets, ref.facets)
        np.testing.assert_array_equal(fast.t2f, ref.t2f)
        np.testing.assert_array_equal(fast.f2t, ref.f2t)


@pytest.mark.parametrize("make", ["tensor", "ball"])
def test_mesh_edges_match_scikit_fem(make):
    """Integer-key edges and t2e are scikit-fem's own arrays (so P2 bases agree)."""
    import skfem

    from ntransport.geometry.domain import mesh_edges

    base = (skfem.MeshTet1.init_tensor(*[np.linspace(0, 1, 5)] * 3) if make == "tensor"
            else skfem.MeshTet1.init_ball().refined(2))
    ref = type(base)(base.p, base.t, validate=False)
    fast = type(base)(base.p, base.t, validate=False)
    e, t2e = mesh_edges(fast)
    np.testing.assert_array_equal(e, ref.edges)
    np.testing.assert_array_equal(t2e, ref.t2e)
    assert fast.edges is e  # cached on the mesh


def test_3d_domain_builds_its_edges_beside_its_facets(monkeypatch):
    """With a spare thread, a large 3D mesh gets its edges in a second thread while its
    facets are built: the same arrays as scikit-fem's (and as one thread's), both
    cached on the Domain's mesh; with one thread nothing is built ahead."""
    import skfem

    import ntransport.geometry.domain as dom

    base = skfem.MeshTet1.init_tensor(*[np.linspace(0, 1, 6)] * 3)
    groups = {"all": np.arange(base.t.shape[1])}
    monkeypatch.setattr(dom, "EDGES_BESIDE_MIN", 10)
    seen = []
    real = dom.mesh_edges
    monkeypatch.setattr(dom, "mesh_edges", lambda m: seen.append(
        __import__("threading").current_thread().name) or real(m))
    monkeypatch.setattr(dom, "spare_thread", lambda: True)
    d = nt.Domain.from_arrays(base.p.T, base.t.T, groups)
    assert len(seen) == 1 and seen[0] != "MainThread"
    ref = type(base)(base.p, base.t, validate=False)
    assert hasattr(d.mesh, "_edges")
    np.testing.assert_array_equal(d.mesh.edges, ref.edges)
    np.testing.assert_array_equal(d.mesh.t2e, ref.t2e)
    np.testing.assert_array_equal(d.mesh.facets, ref.facets)
    monkeypatch.setattr(dom, "spare_thread", lambda: False)
    seen.clear()
    d1 = nt.Domain.from_arrays(base.p.T, base.t.T, groups)
    assert not seen and not hasattr(d1.mesh, "_edges")


def test_spare_thread_only_in_the_main_thread_without_a_one_thread_limit(monkeypatch):
    import threading

    import ntransport.cores as dom

    monkeypatch.setattr(dom.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert dom.spare_thread()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert not dom.spare_thread()
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert dom.spare_thread()
    out = []
    th = threading.Thread(target=lambda: out.append(dom.spare_thread()))
    th.start()
    th.join()
    assert out == [False]  # a run side by side with others (run_all's threads)
    monkeypatch.setattr(dom.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert not dom.spare_thread()


def test_group_keys_packed_two_pass_and_argsort_paths_agree():
    from ntransport.geometry.domain import _group_keys

    rng = np.random.default_rng(0)
    small = rng.integers(0, 1000, 5000)  # packs into one int64 with its position
    # 51 + 13 bits: two packed passes (low bits, then high bits); the high and the low
    # parts both repeat, so the second pass must keep the first pass's order
    wide = rng.integers(0, 40, 5000) * 2 ** 45 + rng.integers(0, 30, 5000) * 2 ** 20 + 7
    negative = -small  # argsort path
    unsigned = small.astype(np.uint64) + np.uint64(2 ** 63)  # argsort path
    for keys in (small, wide, negative, unsigned):
        order, starts, inverse = _group_keys(keys)
        uniq, inv_ref = np.unique(keys, return_inverse=True)
        np.testing.assert_array_equal(keys[order[starts]], uniq)
        np.testing.assert_array_equal(inverse, inv_ref)
        assert np.all(np.diff(keys[order]) >= 0)
        # stable: equal keys keep their positions' order (first and last of a group are
        # what _cache_topology's f2t takes)
        np.testing.assert_array_equal(order, np.argsort(keys, kind="stable"))


def test_domain_mesh_is_scikit_fems_own_and_renaming_copies_it():
    """from_arrays builds the triangle mesh scikit-fem would (vertices sorted per element,
    sort_t kept for its copies); renamed() names a copy and leaves the original alone."""
    import skfem

    base = skfem.MeshTri1.init_sqsymmetric().refined(2)
    rng = np.random.default_rng(1)
    t = base.t.T.copy()
    for row in t:  # unsorted element vertices, as a mesh file has them
        rng.shuffle(row)
    left = base.p[0, t].mean(axis=1) < 0.5
    d = nt.Domain.from_arrays(base.p.T, t, {"a": np.nonzero(left)[0],
                                             "b": np.nonzero(~left)[0]})
    ref = skfem.MeshTri1(base.p, t.T)
    np.testing.assert_array_equal(d.mesh.t, ref.t)
    np.testing.assert_array_equal(d.mesh.facets, ref.facets)
    np.testing.assert_array_equal(d.mesh.f2t, ref.f2t)
    assert d.mesh.sort_t and d.mesh.t.dtype == ref.t.dtype
    r = d.renamed({"a": "left"})
    assert set(r.mesh.subdomains) == {"left", "b"} and set(d.mesh.subdomains) == {"a", "b"}
    assert "a|b" in d.mesh.boundaries and "b|left" in r.mesh.boundaries
    assert r.mesh.facets is d.mesh.facets  # the topology is shared, not rebuilt


def test_edge_graph_from_reference_element_matches_pair_search():
    """mesh_edge_graph maps LOCAL_PAIRS to skfem's rows by the reference element; the
    result equals the graph built from scratch by sorting vertex pairs."""
    import skfem

    from ntransport.solve.assembly import edge_graph, mesh_edge_graph

    for m in (skfem.MeshTri1.init_circle(3), skfem.MeshTet1.init_ball().refined(1)):
        g1, g2 = mesh_edge_graph(m), edge_graph(m.t)
        np.testing.assert_array_equal(g1.edges, g2.edges)
        np.testing.assert_array_equal(g1.t2e, g2.t2e)


def test_edge_index_finds_edges_in_either_order_and_names_a_missing_one():
    """`edge_index` over `edge_keys(mesh_edges(...))`: the position of (a, b) and of (b, a)
    among the sorted edges, and a MeshError naming the caller for a non-edge."""
    import skfem

    from ntransport.geometry.domain import edge_index, edge_keys, mesh_edges

    m = skfem.MeshTet.init_tensor(*(np.linspace(0, 1, 4),) * 3)
    edges = mesh_edges(m)[0]
    keys = edge_keys(edges, m.nvertices)
    assert np.all(np.diff(keys) > 0)
    pick = np.array([0, 7, edges.shape[1] - 1])
    np.testing.assert_array_equal(edge_index(edges[0, pick], edges[1, pick], keys, m.nvertices),
                                  pick)
    np.testing.assert_array_equal(edge_index(edges[1, pick], edges[0, pick], keys, m.nvertices),
                                  pick)
    with pytest.raises(MeshError, match="caller: an edge that is not a mesh edge"):
        edge_index(np.array([0]), np.array([m.nvertices - 1]), keys, m.nvertices,
                   what="caller")
