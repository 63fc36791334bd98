"""Hostile inputs through the Python API: each raises a clear error naming the argument,
the value received and the fix (``pytest.raises(..., match=...)``); none hangs; a bad
result never comes back as NaN."""
from __future__ import annotations

import math

import numpy as np
import pytest
import skfem

from ntransport.errors import (ConfigError, GeometryError, LimitError,
                               MaterialError, MeshError, ResultError, SecurityError)

NAN, INF = float("nan"), float("inf")


# ------------------------------------------------------------------ helpers
def square_domain(p=None, n=4, L=1e-6):
    from ntransport.geometry import Domain

    x = np.linspace(0, L, n + 1)
    m = skfem.MeshTri.init_tensor(x, x)
    pts = m.p if p is None else p(m.p.copy())
    bf = m.boundary_facets()
    fc = m.p[:, m.facets[:, bf]].mean(axis=1)
    facets = {"anode": m.facets[:, bf[fc[1] < 1e-9 * L]].T,
              "cathode": m.facets[:, bf[fc[1] > L * (1 - 1e-9)]].T,
              "sides": m.facets[:, bf[(fc[0] < 1e-9 * L) | (fc[0] > L * (1 - 1e-9))]].T}
    return Domain.from_arrays(pts.T, m.t.T, {"a": np.arange(m.nelements)}, facets)


@pytest.fixture(scope="module")
def dom():
    return square_domain()


# ------------------------------------------------------------------ units (to_si)
@pytest.mark.parametrize("value, kind, pattern", [
    (NAN, "length", r"w: expected a length like '12\.6 um', got nan"),
    (INF, "conductivity", r"w: expected a conductivity like '0\.36 mS/cm', got inf"),
    ("1e400 m", "length", r"w: expected a length like '12\.6 um', got '1e400 m'"),
    (True, "voltage", r"w: expected a voltage like '10 mV', got True"),
    ([1, 2], "time", r"w: expected a time like '2 h', got \[1, 2\]"),
    ("12 parsecs/fortnight", "current_density", r"w: expected a current density"),
    ("3 zorks", "length", r"w: unknown unit 'zorks' in '3 zorks'"),
    ("1 mS/cm", "length", r"w: expected a length like '12\.6 um', got '1 mS/cm'"),
    ("", "length", r"w: expected a length like '12\.6 um', got ''"),
    ("10", "voltage", r"w: expected a voltage like '10 mV', got '10'"),
    (150, "temperature", r"w: the bare number 150 would be 150 K .* meant as '150 degC'"),
    ("-10 K", "temperature", r"w: '-10 K' is at or below absolute zero"),
    (3.0, "length", r"w: the bare number 3 would be 3 m .* meant as '3 um'"),
    ("1 mV; import os", "voltage", r"w: unknown unit 'mV; import os'"),  # parsed, never run
    ("__import__('os')", "voltage", r"w: expected a voltage like '10 mV'"),
])
def test_to_si_refuses(value, kind, pattern):
    from ntransport.units import to_si

    with pytest.raises(ConfigError, match=pattern):
        to_si(value, kind, name="w")


def test_explicit_units_still_allow_what_bare_numbers_refuse():
    from ntransport.units import to_si

    assert to_si("150 K", "temperature") == 150.0
    assert to_si("3 m", "length") == 3.0
    assert to_si(298.15, "temperature") == 298.15


# ------------------------------------------------------------------ config specs
@pytest.mark.parametrize("spec, data, pattern", [
    ("value_float", NAN, r"x: expected a finite number, got nan"),
    ("value_float", "1.0", r"x: expected float, got '1\.0'"),
    ("value_int", True, r"x: expected int, got True"),
    ("name", "../up", r"x: name '\.\./up' cannot be used as a file name"),
    ("name", 7, r"x: expected a name \(a string\), got 7"),
    ("mapof_names", {"ok": 1.0, "a/b": 2.0}, r"x\.a/b: name 'a/b' cannot be used"),
    ("unique", ["a", "b", "a"], r"x: 'a' is given 2 times in \['a', 'b', 'a'\]"),
    ("quantity_positive", "-1 um", r"x: must be > 0, got '-1 um'"),
])
def test_config_specs_refuse(spec, data, pattern):
    from ntransport.config import ListOf, MapOf, Name, Quantity, Value

    exc = SecurityError if "cannot be used" in pattern else ConfigError

    specs = {"value_float": Value(float), "value_int": Value(int), "name": Name(),
             "mapof_names": MapOf(Value(float), keys=Name()),
             "unique": ListOf(Value(str), unique=True),
             "quantity_positive": Quantity("length", positive=True)}
    with pytest.raises(exc, match=pattern):
        specs[spec].check(data, "x")


# ------------------------------------------------------------------ materials
@pytest.mark.parametrize("kwargs, pattern", [
    ({"conductivity_ref": NAN}, r"X: conductivity_ref must be > 0 S/m, got nan"),
    ({"conductivity_ref": -1.0}, r"X: conductivity_ref must be > 0 S/m, got -1\.0"),
    ({"conductivity_ref": 0.0}, r"X: conductivity_ref must be > 0 S/m, got 0\.0"),
    ({"conductivity_ref": "1 V"}, r"X\.conductivity_ref: expected a conductivity"),
    ({"conductivity_ref": 1.0, "T_ref": 60}, r"X: T_ref = 60 K is below 200 K.*'60 degC'"),
    ({"conductivity_ref": 1.0, "T_ref": INF}, r"X: T_ref must be > 0 K, got inf"),
    ({"conductivity_ref": 1.0, "activation_energy": -1.0},
     r"X: activation_energy must be >= 0 J/mol"),
    ({"conductivity_ref": 1.0, "activation_energy": NAN},
     r"X: activation_energy must be >= 0 J/mol"),
    ({"conductivity_ref": 1.0, "transference": NAN},
     r"X: transference number t\+ must lie strictly between 0 and 1, got nan"),
    ({"conductivity_ref": 1.0, "transference": 1.5}, r"transference number t\+ must lie"),
    ({"conductivity_ref": 1.0, "salt_concentration": 0.0},
     r"X: salt_concentration must be > 0 mol/m3"),
    ({"conductivity_ref": 1.0, "permittivity": -3.0}, r"X: permittivity must be > 0"),
])
def test_material_refuses(kwargs, pattern):
    from ntransport.materials import Material

    with pytest.raises(MaterialError, match=pattern):
        Material("X", **kwargs)


def test_material_conductivity_at_a_celsius_number_is_refused():
    from ntransport import materials

    m = materials.get("LLZO")
    with pytest.raises(MaterialError, match=r"temperature T = 60 K is below 200 K"):
        m.conductivity(60)
    with pytest.raises(MaterialError, match=r"temperature T must be > 0 K, got nan"):
        m.conductivity(NAN)


# ------------------------------------------------------------------ species
@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"z": 1, "D": NAN}, MaterialError, r"species 'Li\+': diffusivity D must be finite and "
                                        r">= 0, got nan"),
    ({"z": 1, "D": -1e-12}, MaterialError, r"diffusivity D must be finite and >= 0"),
    ({"z": 1, "D": {"a": INF}}, MaterialError, r"diffusivity D must be finite"),
    ({"z": 1, "D": 1e-12, "c0": NAN}, MaterialError,
     r"initial concentration c0 must be finite and >= 0, got nan"),
    ({"z": 1, "D": 1e-12, "c0": -5.0}, MaterialError, r"initial concentration c0"),
    ({"z": 1.5, "D": 1e-12}, MaterialError, r"z must be an integer, got 1\.5"),
    ({"z": None, "D": 1e-12}, MaterialError, r"has no charge: give z"),
    ({"z": "one", "D": 1e-12}, MaterialError, r"z must be an integer, got 'one'"),
    ({"z": 1, "D": "fast"}, MaterialError, r"diffusivity D must be a number, got 'fast'"),
])
def test_species_refuses(kwargs, exc, pattern):
    from ntransport.physics.species import Species

    with pytest.raises(exc, match=pattern):
        Species("Li+", **kwargs)


# ------------------------------------------------------------------ boundary conditions
@pytest.mark.parametrize("make, pattern", [
    (lambda E: E("anode", i0=NAN), r"Electrode\('anode'\)\.i0 must be finite and > 0, got nan"),
    (lambda E: E("anode", i0=-1.0), r"Electrode\('anode'\)\.i0 must be finite and > 0"),
    (lambda E: E("anode", i0=0.0), r"Electrode\('anode'\)\.i0 must be finite and > 0"),
    (lambda E: E("anode", i0=1.0, alpha_a=-0.5),
     r"Electrode\('anode'\)\.alpha_a must be >= 0 .* got -0\.5.*reverses"),
    (lambda E: E("anode", i0=1.0, alpha_c=NAN),
     r"Electrode\('anode'\)\.alpha_c must be a finite number, got nan"),
    (lambda E: E("anode", i0=1.0, alpha_a=0.0, alpha_c=0.0),
     r"alpha_a and .*alpha_c are both 0: the electrode would pass no current"),
    (lambda E: E("anode", i0=1.0, potential=NAN),
     r"Electrode\('anode'\)\.potential must be a finite number, got nan"),
    (lambda E: E("anode", i0=1.0, potential=INF), r"\.potential must be a finite number"),
    (lambda E: E("anode", i0=1.0, U=NAN), r"Electrode\('anode'\)\.U must be a finite number"),
    (lambda E: E("anode", i0=1.0, ramp_time=-1.0),
     r"Electrode\('anode'\)\.ramp_time must be finite and >= 0, got -1\.0"),
    (lambda E: E("anode", i0=1.0, c_ref=0.0),
     r"Electrode\('anode'\)\.c_ref must be finite and > 0"),
    (lambda E: E("anode", i0=1.0, kinetics="butler_volmer"),
     r"Electrode\('anode'\)\.kinetics must be a kinetics function"),
    (lambda E: E(None, i0=1.0), r"Electrode: boundary must be a boundary name"),
    (lambda E: E("anode", i0="1 mA/cm^2"), r"Electrode\('anode'\)\.i0 must be a number"),
])
def test_electrode_refuses(make, pattern):
    from ntransport.physics.electrode import Electrode

    with pytest.raises(ConfigError, match=pattern):
        make(Electrode)


@pytest.mark.parametrize("make, pattern", [
    (lambda m: m.Galvanostatic("anode", NAN),
     r"Galvanostatic\('anode'\)\.current_density must be a finite number, got nan"),
    (lambda m: m.Galvanostatic("anode", 1.0, ramp_time=NAN),
     r"Galvanostatic\('anode'\)\.ramp_time must be finite and >= 0"),
    (lambda m: m.FixedPotential("anode", INF), r"FixedPotential\('anode'\)\.value must be a "
                                               r"finite number, got inf"),
    (lambda m: m.FixedConcentration("anode", "Li+", -1.0),
     r"FixedConcentration\('anode'\)\.value must be finite and >= 0, got -1\.0"),
    (lambda m: m.Flux("anode", "Li+", NAN), r"Flux\('anode'\)\.value must be a finite number"),
    (lambda m: m.Blocking(""), r"Blocking: boundary must be a boundary name"),
])
def test_boundary_conditions_refuse(make, pattern):
    from ntransport.physics import electrode

    with pytest.raises(ConfigError, match=pattern):
        make(electrode)


def _npp(dom, bcs, **kw):
    from ntransport.physics.species import Species
    from ntransport.solve.npp_problem import NPPProblem

    sp = [Species("Li+", 1, 1e-12, 1000.0), Species("A-", -1, 1e-12, 1000.0)]
    return NPPProblem(dom, sp, bcs, **kw)


def test_two_electrodes_on_one_boundary_are_refused(dom):
    from ntransport.physics.electrode import Electrode, FixedPotential

    with pytest.raises(ConfigError, match=r"Electrode/FixedPotential boundaries: 'anode' is "
                                          r"given 2 times.*cannot share one boundary"):
        _npp(dom, [Electrode("anode", i0=1.0), Electrode("anode", i0=2.0, potential=0.1)])
    with pytest.raises(ConfigError, match=r"'cathode' is given 2 times"):
        _npp(dom, [Electrode("cathode", i0=1.0), FixedPotential("cathode", 0.0)])


@pytest.mark.parametrize("kw, bcs, pattern", [
    ({"temperature": 60}, None, r"temperature \[K\] = 60 K is below 200 K"),
    ({"temperature": NAN}, None, r"temperature \[K\] must be a finite absolute temperature"),
    ({"electrostatics": "poison"}, None, r"electrostatics 'poison' not found\. Did you mean "
                                         r"'poisson'"),
    ({}, "unknown-boundary", r"Electrode: boundary 'anod' not found\. Did you mean 'anode'"),
    ({}, "unknown-species", r"Flux: species 'Na\+' not found"),
    ({}, "not-a-bc", r"unknown boundary condition 'anode'"),
])
def test_npp_problem_refuses(dom, kw, bcs, pattern):
    from ntransport.physics.electrode import Electrode, Flux

    lists = {None: [Electrode("anode", i0=1.0)],
             "unknown-boundary": [Electrode("anod", i0=1.0)],
             "unknown-species": [Flux("anode", "Na+", 1.0)],
             "not-a-bc": ["anode"]}
    with pytest.raises(ConfigError, match=pattern):
        _npp(dom, lists[bcs], **kw)


# ------------------------------------------------------------------ conduction solver
@pytest.mark.parametrize("sigma, kw, exc, pattern", [
    ({"a": NAN}, {}, MaterialError, r"conductivity of subdomain 'a' must be finite and > 0 "
                                    r"S/m, got nan"),
    ({"a": -1.0}, {}, MaterialError, r"must be finite and > 0 S/m, got -1\.0"),
    ({"a": 0.0}, {}, MaterialError, r"must be finite and > 0 S/m, got 0\.0"),
    ({"a": lambda x: np.full(x.shape[1], np.nan)}, {}, MaterialError,
     r"conductivity of subdomain 'a' must be finite and > 0 S/m, got nan"),
    ({"b": 1.0}, {}, KeyError, r"subdomain 'b' not found"),
    ({"a": "1 S/m"}, {}, MaterialError, r"must be a number \[S/m\], a Material or a callable"),
    ({"a": 1.0}, {"voltage": NAN}, ConfigError, r"voltage must be finite and non-zero, got nan"),
    ({"a": 1.0}, {"voltage": 0.0}, ConfigError, r"voltage must be finite and non-zero"),
    ({"a": 1.0}, {"voltage": 1.0, "current": 1.0}, ConfigError, r"give exactly one of voltage"),
    ({"a": 1.0}, {"voltage": 1.0, "electrodes": ("anode", "anode")}, ConfigError,
     r"electrodes must be two different boundary names"),
    ({"a": 1.0}, {"voltage": 1.0, "electrodes": ("anode", "top")}, KeyError,
     r"electrode boundary 'top' not found"),
    ({"a": 1.0}, {"voltage": 1.0, "electrodes": ("anode", "sides")}, ConfigError,
     r"share nodes; they must not touch"),
    ({"a": 1.0}, {"voltage": 1.0, "interface_conductance": {"a|b": 1.0}}, KeyError,
     r"interface 'a\|b' not found"),
])
def test_solve_conduction_refuses(dom, sigma, kw, exc, pattern):
    from ntransport.solve.conduction import solve_conduction

    kw = {"voltage": 0.1, **kw} if "current" not in kw and "voltage" not in kw else kw
    with pytest.raises(exc, match=pattern):
        solve_conduction(dom, sigma, **kw)


@pytest.mark.parametrize("bend", ["nan-node", "collapsed", "all-zero"])
def test_degenerate_or_nan_mesh_raises_never_returns_nan(bend):
    """Through the API (no mesh reader in between): sigma_eff must not come back NaN."""
    from ntransport.solve.conduction import solve_conduction

    def p(x):
        if bend == "nan-node":
            x[0, 7] = np.nan
        elif bend == "collapsed":
            x[1] = 0.0
        else:
            x[:] = 0.0
        return x

    # refused where the mesh is built (Domain.from_arrays), before any solver sees it
    match = {"nan-node": r"1 node\(s\) have NaN/inf coordinates \(first: node 7\)",
             "collapsed": r"32 of 32 cells have zero area", "all-zero": r"32 of 32 cells have "
             r"zero area"}[bend]
    with np.errstate(all="ignore"), pytest.raises(MeshError, match=match):
        res = solve_conduction(square_domain(p), {"a": 1.0}, voltage=0.1)
        assert math.isfinite(res.effective_conductivity)  # not reached


def test_result_with_nan_raises_where_it_arises(dom):
    from ntransport.solution import Frame, Solution

    with pytest.raises(ResultError, match=r"'phi \[V\]' holds 1 non-finite value\(s\)"):
        phi = np.zeros(dom.mesh.nvertices)
        phi[3] = np.nan
        Solution([Frame(0.0, dom, {"phi [V]": phi})])
    with pytest.raises(ResultError, match=r"scalar 'sigma_eff \[S/m\]' holds 1 non-finite"):
        Solution([Frame(0.0, dom, {"phi [V]": np.zeros(dom.mesh.nvertices)})],
                 scalars={"sigma_eff [S/m]": np.inf})


# ------------------------------------------------------------------ geometry builders
@pytest.mark.parametrize("call, exc, pattern", [
    (lambda g: g.layered_stack([("A", -1e-6)], width=2e-6), GeometryError,
     r"layer 0 \('A'\) thickness must be finite and > 0 \(metres\), got -1e-06"),
    (lambda g: g.layered_stack([("A", 1e-6)], width=NAN), GeometryError,
     r"width must be finite and > 0 \(metres\), got nan"),
    (lambda g: g.layered_stack([("A", 1e-6)], width=0.0), GeometryError,
     r"width must be finite and > 0 \(metres\), got 0\.0"),
    (lambda g: g.layered_stack([("A", 1e-6)], width=2e-6, mesh_size=NAN), GeometryError,
     r"mesh_size must be finite and > 0 \(metres\), got nan"),
    (lambda g: g.layered_stack([("A", 1e-6)], width=2e-6, min_elements_across=0),
     GeometryError, r"min_elements_across must be an integer >= 1, got 0"),
    (lambda g: g.layered_stack([("A", 10e-6)], width=20e-6, mesh_size=1e-9), LimitError,
     r"layered_stack: about 5\.4e\+08 elements .* exceeds the limit of 5e\+06"),
    (lambda g: g.place_particles((1e-6, 1e-6), volume_fraction=1.0, radius=1e-7), GeometryError,
     r"volume_fraction must lie in \(0, 1\), got 1\.0"),
    (lambda g: g.place_particles((1e-6, 1e-6), volume_fraction=NAN, radius=1e-7),
     GeometryError, r"volume_fraction must lie in \(0, 1\), got nan"),
    (lambda g: g.place_particles((1e-6, 1e-6), volume_fraction=0.3, radius=1e-10), LimitError,
     r"place_particles .* about [\d.e+]+ particles exceeds the limit of 2e\+04"),
    (lambda g: g.place_particles((1e-6, 1e-6), volume_fraction=0.3, radius=None),
     GeometryError, r"radius is required"),
    (lambda g: g.place_particles((1e-6, NAN), volume_fraction=0.3, radius=1e-7),
     GeometryError, r"box must be 2 or 3 positive edge lengths .* got \(1e-06, nan\)"),
    (lambda g: g.place_particles((1e-6, 1e-6), volume_fraction=0.3, radius=1e-7,
                                 aspect_ratio=0.5), GeometryError,
     r"aspect_ratio=0\.5 < 1: give the long/short semi-axis ratio \(>= 1\), i\.e\. 2"),
])
def test_geometry_builders_refuse(call, exc, pattern):
    from ntransport import geometry

    with pytest.raises(exc, match=pattern):
        call(geometry)


@pytest.mark.parametrize("build", ["defect", "filaments", "remesh"])
def test_the_gmsh_entry_points_refuse_a_runaway_mesh_before_meshing(build):
    """The guard at the top of _occ.generate (and in the ALE remesher) refuses with the
    estimate and the smallest size that fits."""
    from ntransport.geometry.defect import electrode_with_defect
    from ntransport.geometry.filaments import aligned_filaments
    from ntransport.geometry.remesh import mesh_electrolyte_above_curve

    calls = {"defect": lambda: electrode_with_defect(mesh_size=1e-10),
             "filaments": lambda: aligned_filaments((20e-6, 10e-6), diameter=1e-6,
                                                    n_filaments=3, mesh_size=1e-10),
             "remesh": lambda: mesh_electrolyte_above_curve(
                 np.array([[0.0, 0.0], [5e-6, 0.0]]), width=5e-6, y_top=3e-6,
                 h_anode=1e-10, h_max=1e-10)}
    with pytest.raises(LimitError, match=r"gmsh mesh \(mesh size = 0\.0001 µm\): about "
                                         r"[\d.e+]+ elements .* Use mesh size >= [\d.]+ µm"):
        calls[build]()


def test_size_limit_can_be_raised_for_a_block_and_by_environment(monkeypatch):
    from ntransport.geometry import guards

    with guards.limits(particles=1e9):
        assert guards.check_particles(1e6) == 1e6
    with pytest.raises(LimitError, match=r"about 1e\+06 particles exceeds the limit of 2e\+04"):
        guards.check_particles(1e6)
    monkeypatch.setenv("NTRANSPORT_MAX_PARTICLES", "inf")
    assert guards.check_particles(1e12) == 1e12
    monkeypatch.setenv("NTRANSPORT_MAX_PARTICLES", "lots")
    with pytest.raises(LimitError, match=r"NTRANSPORT_MAX_PARTICLES='lots' is not a number"):
        guards.check_particles(1)
    with pytest.raises(LimitError, match=r"limits\(steps=\.\.\.\) must be a number > 0"):
        with guards.limits(steps=-1):
            pass


def test_element_estimate_matches_gmsh_within_its_stated_margin():
    """The estimate is an upper bound of what gmsh makes at a uniform size (so the guard
    never lets a runaway through) and within 25 % of it (so it does not refuse for no
    reason)."""
    from ntransport.geometry import guards, layered_stack

    d = layered_stack([("A", 10e-6)], width=10e-6, mesh_size=0.25e-6)
    est = guards.estimate_elements(10.0 * 10.0, 0.25, 2)
    assert d.mesh.nelements <= est <= 1.25 * d.mesh.nelements, (d.mesh.nelements, est)


# ------------------------------------------------------------------ mesh files (API)
GEO = """Point(1) = {0,0,0,0.5}; Point(2) = {1,0,0,0.5}; Point(3) = {1,1,0,0.5};
Point(4) = {0,1,0,0.5}; Line(1) = {1,2}; Line(2) = {2,3}; Line(3) = {3,4}; Line(4) = {4,1};
Curve Loop(1) = {1,2,3,4}; Plane Surface(1) = {1}; Physical Surface("a") = {1};
"""


@pytest.mark.parametrize("extra, pattern", [
    ('SystemCall "touch {m}";', r"'SystemCall' runs a shell command"),
    ('System "touch {m}";', r"'System' runs a shell command"),
    ('NonBlockingSystemCall "touch {m}";', r"'NonBlockingSystemCall' runs a shell command"),
    ('Printf("x") >> "{m}";', r"'Printf\(\.\.\.\) > file' writes a file"),
    ('Printf("x %g", 1) > "{m}";', r"'Printf\(\.\.\.\) > file' writes a file"),
    ('Print "{m}";', r"'Print' writes a file"),
    ('Save "{m}";', r"'Save' writes a file"),
    ('CreateDir "{m}";', r"'CreateDir' creates a folder"),
    ("Exit;", r"'Exit' ends the Python process"),
    ("If (1)\n  SystemCall \"touch {m}\";\nEndIf", r"line 5: 'SystemCall' runs a shell"),
    ('Macro M\n SystemCall "touch {m}";\nReturn\nCall M;', r"'SystemCall' runs a shell"),
    ('OnelabRun("c", "touch {m}");', r"'OnelabRun' starts an external program"),
    ('Solver.Executable0 = "/bin/sh";', r"'Solver' configures external solver programs"),
    ('SetString("Solver.Executable0", "/bin/sh");', r"'SetString' sets ONELAB"),
    ("General.SaveOptions = 1;", r"option 'General\.SaveOptions'"),
    ('Plugin(Remove).Run;', r"'Plugin' runs a gmsh plugin"),
    ('Merge StrCat("/tmp/", "x.geo");', r"'Merge' with a computed file name"),
    ('Include "missing.geo";', r"Include \"missing\.geo\": file not found"),
    ("/* unterminated", r"unterminated comment"),
    ('s = "unterminated;', r"unterminated string"),
])
def test_read_mesh_refuses_geo_directives(extra, pattern, tmp_path):
    from ntransport.geometry.gmsh_io import read_mesh

    marker = tmp_path / "PWNED"
    f = tmp_path / "x.geo"
    f.write_text(GEO + extra.format(m=marker) + "\n")
    with pytest.raises((SecurityError, MeshError), match=pattern):
        read_mesh(f)
    assert not marker.exists()


def test_geo_directives_in_comments_and_strings_are_harmless(tmp_path):
    from ntransport.geometry.gmsh_io import read_mesh

    f = tmp_path / "x.geo"
    f.write_text("// SystemCall \"rm -rf /\"\n/* Exit; Save \"x\" */\n" + GEO +
                 'Printf("SystemCall is only text here");\n')
    assert read_mesh(f).mesh.nelements > 0


def test_geo_include_cycle_is_refused(tmp_path):
    from ntransport.geometry.gmsh_io import read_mesh

    (tmp_path / "a.geo").write_text('Include "b.geo";\n')
    (tmp_path / "b.geo").write_text('Include "a.geo";\n')
    with pytest.raises(SecurityError, match=r"include each other more than 16 levels"):
        read_mesh(tmp_path / "a.geo")


@pytest.mark.parametrize("unit, exc, pattern", [
    ("furlong", ConfigError, r"unit 'furlong' is not a length unit"),
    ("", ConfigError, r"unit '' is not a length unit"),
])
def test_read_mesh_bad_unit(unit, exc, pattern, tmp_path):
    from ntransport.geometry.gmsh_io import read_mesh

    with pytest.raises(exc, match=pattern):
        read_mesh(tmp_path / "whatever.msh", unit=unit)


# ------------------------------------------------------------------ time stepping
def test_fixed_step_run_beyond_the_step_limit_is_refused_before_the_first_step():
    from ntransport.solve.stepping import StepLimitError, StepperState, bdf_steps

    calls = []

    def step(u, t, a0, hist):
        calls.append(t)
        return u, 1

    start = StepperState(t=0.0, u=np.zeros(3), dt=1e-3)
    with pytest.raises(StepLimitError, match=r"t_end = 120 s at a fixed dt = 0\.001 s needs "
                                             r"1\.2e\+05 steps, more than max_steps = 100000"):
        next(bdf_steps(step, start, 120.0, adaptive=False, max_steps=100_000))
    assert calls == []  # refused before any work


def test_adaptive_run_hitting_the_step_cap_raises_not_stops():
    from ntransport.solve.stepping import StepLimitError, StepperState, bdf_steps

    start = StepperState(t=0.0, u=np.zeros(1), dt=1e-3)
    states = bdf_steps(lambda u, t, a0, h: (u, 1), start, 1.0, max_steps=10, dt_max=1e-3)
    with pytest.raises(StepLimitError, match=r"reached max_steps = 10 at t = 0\.01 s before "
                                             r"t_end = 1 s"):
        list(states)


@pytest.mark.parametrize("times, duration, pattern", [
    ([60, 5 * 3600], 7200, r"snapshots\[1\] = 18000 s lies outside the run \[0, 7200 s\]"),
    ([-1], 10, r"snapshots\[0\] = -1 s lies outside the run"),
    ([NAN], 10, r"snapshots\[0\] must be a finite number, got nan"),
    (5, 10, r"snapshots must be a list of times, got 5"),
])
def test_snapshot_times_outside_the_run_are_refused(times, duration, pattern):
    from ntransport.errors import check_times

    with pytest.raises(ConfigError, match=pattern):
        check_times(times, duration=duration, exc=ConfigError)


def test_deposition_problem_refuses_negative_alpha_and_nan_current():
    from ntransport.solve.deposition import DepositionProblem, electrolyte_species

    el = electrolyte_species(0.012, 0.42, c_ref=1000.0, T=318.0)
    base = dict(i0=10.0, current_density=-3.0, width=5e-6, height=3e-6)
    with pytest.raises(ConfigError, match=r"DepositionProblem\.alpha_c must be >= 0"):
        DepositionProblem(el, **{**base, "alpha_c": -0.5})
    with pytest.raises(ConfigError, match=r"current_density \[A/m2\] must be a finite number, got nan"):
        DepositionProblem(el, **{**base, "current_density": NAN})


# ------------------------------------------------------------------ sweeps
def _sq(a):
    return {"y": a * a}


@pytest.mark.parametrize("kwargs, pattern", [
    ({"grid": {"a": []}}, r"grid\['a'\] must be a non-empty list of values"),
    ({"grid": {"a": "abc"}}, r"grid\['a'\] must be a non-empty list of values, got 'abc'"),
    ({"grid": {}}, r"grid must be a non-empty dict"),
    ({"grid": {"a": [1]}, "realisations": -2}, r"realisations must be a positive integer"),
    ({"grid": {"a": [1]}, "n_workers": 0}, r"n_workers must be a positive integer"),
    ({"grid": {"a": [1]}, "scheduler": "localhost:8786"},
     r"scheduler must be an address such as 'tcp://host:8786'"),
])
def test_sweep_refuses(kwargs, pattern, tmp_path):
    from ntransport.sweep import sweep

    with pytest.raises(ConfigError, match=pattern):
        sweep(_sq, store=tmp_path / "s", progress=False, **kwargs)


def test_sweep_store_that_is_a_file(tmp_path):
    from ntransport.sweep import sweep

    f = tmp_path / "store"
    f.write_text("x")
    with pytest.raises(ConfigError, match=r"store '.*store' is a file"):
        sweep(_sq, {"a": [1]}, store=f, progress=False)


@pytest.mark.parametrize("case", ["zero-area", "nan-node", "missing-node"])
def test_degenerate_user_arrays_are_mesh_errors(case):
    """Arrays handed straight to Domain.from_arrays get the same sanity checks as mesh
    files: a MeshError naming the problem, not a NaN in the solver later."""
    from ntransport.geometry import Domain

    p = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1.0]])
    t = np.array([[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4]])
    if case == "zero-area":
        t = np.vstack([[0, 1, 2], t])  # three collinear nodes
    elif case == "nan-node":
        p[5, 0] = np.nan
    else:
        t = t.copy()
        t[0, 2] = 9
    match = {"zero-area": "1 of 5 cells have zero area", "nan-node": "NaN/inf coordinates",
             "missing-node": "refer to nodes that do not exist"}[case]
    with pytest.raises(MeshError, match=match):
        Domain.from_arrays(p, t, {"a": np.arange(len(t))}, scale=1e-6)
