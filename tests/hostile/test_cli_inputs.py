"""Hostile case files through the CLI: every bad input exits with code 2 (1 for a run
that fails) and one line on stderr naming the key, the value received and the fix;
nothing is written outside --out.

Each case is (id, mutation of a small valid conduction case, expected exit code, regex
the one-line message must match). The base case runs in well under a second (a tiny
.msh mesh, no gmsh meshing).
"""
from __future__ import annotations

import re

import pytest

from .conftest import DELETE, base_case, set_path, write_stack_msh

G = "cases.stack.geometry"
M = "cases.stack.materials"


def mut(*pairs):
    """Mutation setting dotted paths: mut(("physics.voltage", "1 V"), ...)."""

    def apply(d):
        for path, value in pairs:
            set_path(d, path, value)
        return d

    return apply


def geometry(spec):
    """Replace the case's geometry (and give matching materials)."""

    def apply(d):
        d["cases"]["stack"]["geometry"] = spec
        return d

    return apply


STACK = {"type": "layered_stack", "width": "2 um",
         "layers": [{"name": "A", "thickness": "1 um"}, {"name": "B", "thickness": "2 um"}]}


def stack(**over):
    g = {**STACK, **over}
    return geometry(g)


def composite(**over):
    g = {"type": "particle_composite", "box": ["4 um", "4 um"], "volume_fraction": 0.2,
         "radius": "0.5 um", "matrix": "A", "particles": "B", **over}
    return geometry({k: v for k, v in g.items() if v is not DELETE})


CASES = [
    # ---- unknown keys at every level (with the closest valid key suggested)
    ("unknown-top", mut(("titel", "x")), 2, r"unknown key 'titel'\. Did you mean 'title'\?"),
    ("unknown-physics", mut(("physics.temprature", "25 degC")), 2,
     r"physics: unknown key 'temprature'\. Did you mean 'temperature'\?"),
    ("unknown-outputs", mut(("outputs.vtk", True)), 2,
     r"outputs: unknown key 'vtk'\. Did you mean 'vtu'\?"),
    ("unknown-case-key", mut(("cases.stack.geomtry", {})), 2,
     r"cases\.stack: unknown key 'geomtry'\. Did you mean 'geometry'\?"),
    ("unknown-geometry-key", mut((f"{G}.units", "um")), 2,
     r"cases\.stack\.geometry: unknown key 'units'\. Did you mean 'unit'\?"),
    ("unknown-material-key", mut((f"{M}.A", {"conductivty": "1 mS/cm"})), 2,
     r"cases\.stack\.materials\.A: unknown key 'conductivty'\. Did you mean 'conductivity'\?"),
    ("unknown-layer-key", stack(layers=[{"name": "A", "thicknes": "1 um"}]), 2,
     r"layers\[0\]: unknown key 'thicknes'\. Did you mean 'thickness'\?"),
    ("unknown-case-physics", mut(("cases.stack.physics", {"volts": "1 V"})), 2,
     r"cases\.stack\.physics: unknown key 'volts'"),
    ("unknown-reduced-key", mut(("reduced", {"physics": {"voltag": "1 mV"}})), 2,
     r"physics: unknown key 'voltag'\. Did you mean 'voltage'\?"),
    ("unknown-geometry-type", mut((f"{G}.type", "mesh_fil")), 2,
     r"geometry\.type: unknown type 'mesh_fil'\. Did you mean 'mesh_file'\?"),
    ("unknown-study", mut(("study", "conductoin")), 2,
     r"study: unknown study kind 'conductoin'\. Did you mean 'conduction'\?"),
    ("unknown-figure", mut(("outputs.figures", ["profil"])), 2,
     r"outputs\.figures\[0\]: invalid value 'profil'\. Did you mean 'profile'\?"),
    ("unknown-solver", mut(("physics.solver", "pardisoo")), 2,
     r"physics\.solver: invalid value 'pardisoo'"),
    ("unknown-library-material", mut((f"{M}.A", "PEO/LiTFS")), 2,
     r"materials\.A: material 'PEO/LiTFS' not found\. Did you mean 'PEO/LiTFSI'"),
    ("unknown-subdomain", mut((f"{M}.C", {"conductivity": "1 mS/cm"})), 2,
     r"materials: unknown subdomain 'C'.*this geometry has subdomains \['A', 'B'\]"),
    ("missing-material", mut((M, {"A": {"conductivity": "1 mS/cm"}})), 2,
     r"no material given for subdomain\(s\) \['B'\]"),
    ("unknown-electrode", mut(("physics.electrodes", ["anode", "cathod"])), 2,
     r"physics: electrode boundary 'cathod' not found\. Did you mean 'cathode'"),
    ("unknown-interface", mut(("physics.interface_conductance", {"A|C": "1 S/cm^2"})), 2,
     r"interface 'A\|C' not found"),
    # ---- wrong types
    ("string-for-number", mut((f"{M}.A", {"conductivity": "fast"})), 2,
     r"materials\.A\.conductivity: expected a conductivity like '0\.36 mS/cm', got 'fast'"),
    ("list-for-mapping", mut(("physics", ["voltage", "10 mV"])), 2,
     r"physics: expected a mapping with keys \[.*\], got \["),
    ("mapping-for-list", mut(("outputs.figures", {"profile": True})), 2,
     r"outputs\.figures: expected a list, got \{"),
    ("bool-for-number", mut(("physics.voltage", True)), 2,
     r"physics\.voltage: expected a voltage like '10 mV', got True"),
    ("null-required", mut((f"{G}.path", None)), 2,
     r"cases\.stack\.geometry\.path: expected str, got None"),
    ("number-for-string", mut((f"{G}.path", 12)), 2,
     r"cases\.stack\.geometry\.path: expected str, got 12"),
    ("int-for-bool", mut(("outputs.vtu", 1)), 2, r"outputs\.vtu: expected bool, got 1"),
    ("float-for-int", mut(("outputs.profile_points", 2.5)), 2,
     r"outputs\.profile_points: expected int, got 2\.5"),
    ("int-case-key", lambda d: {**d, "cases": {1: d["cases"]["stack"]}}, 2,
     r"cases: keys must be strings, got 1 \(int\)"),
    ("case-is-a-list", mut(("cases", [{"geometry": {}}])), 2,
     r"cases: expected a mapping, got \["),
    ("name-not-string", mut(("name", 42)), 2, r"name: expected a string, got 42"),
    ("reduced-not-mapping", mut(("reduced", "yes")), 2,
     r"reduced: expected a mapping of overrides"),
    ("electrodes-one", mut(("physics.electrodes", ["anode"])), 2,
     r"physics\.electrodes: expected a list of 2\.\.2 items, got 1"),
    ("both-voltage-and-current", mut(("physics.current_density", "1 mA/cm^2")), 2,
     r"physics: give only one of \['voltage', 'current_density'\]"),
    ("neither-voltage-nor-current", mut(("physics.voltage", DELETE)), 2,
     r"physics: give one of 'voltage' \(e\.g\. '10 mV'\) or 'current_density'"),
    # ---- wrong units
    ("length-in-siemens", stack(width="2 mS"), 2,
     r"geometry\.width: expected a length like '12\.6 um', got '2 mS'"),
    ("temperature-in-volts", mut(("physics.temperature", "300 V")), 2,
     r"physics\.temperature: expected a temperature like '60 degC', got '300 V'"),
    ("conductivity-in-metres", mut((f"{M}.A", {"conductivity": "1 m"})), 2,
     r"materials\.A\.conductivity: expected a conductivity like '0\.36 mS/cm', got '1 m'"),
    ("unknown-unit", mut(("physics.voltage", "10 blorps")), 2,
     r"physics\.voltage: unknown unit 'blorps' in '10 blorps'.*like '10 mV'"),
    ("unit-of-other-kind", mut(("physics.voltage", "10 furlongs")), 2,
     r"physics\.voltage: expected a voltage like '10 mV', got '10 furlongs'"),
    ("unit-typo", mut((f"{M}.A", {"conductivity": "1 mS/cn"})), 2,
     r"materials\.A\.conductivity: unknown unit 'mS/cn'"),
    ("current-as-voltage", mut(("physics.voltage", "1 mA/cm^2")), 2,
     r"physics\.voltage: expected a voltage like '10 mV', got '1 mA/cm\^2'"),
    ("no-number", mut(("physics.voltage", "mV")), 2,
     r"physics\.voltage: expected a voltage like '10 mV', got 'mV'"),
    ("energy-as-conductivity", mut((f"{M}.A", {"conductivity": "0.3 eV"})), 2,
     r"materials\.A\.conductivity: expected a conductivity"),
    ("mesh-unit-invalid", mut((f"{G}.unit", "inch")), 2,
     r"cases\.stack\.geometry\.unit: invalid value 'inch'"),
    ("ambiguous-bare-temperature", mut(("physics.temperature", 60)), 2,
     r"physics\.temperature: the bare number 60 would be 60 K .* almost surely meant as "
     r"'60 degC'"),
    ("ambiguous-bare-length", stack(width=20), 2,
     r"geometry\.width: the bare number 20 would be 20 m .* meant as '20 um'"),
    # ---- NaN / inf / negative / zero
    ("nan-conductivity", mut((f"{M}.A", {"conductivity": float("nan")})), 2,
     r"materials\.A\.conductivity: expected a conductivity like '0\.36 mS/cm', got nan"),
    ("inf-conductivity", mut((f"{M}.A", {"conductivity": float("inf")})), 2,
     r"materials\.A\.conductivity: expected a conductivity .* got inf"),
    ("nan-string", mut(("physics.voltage", "nan mV")), 2,
     r"physics\.voltage: expected a voltage like '10 mV', got 'nan mV'"),
    ("inf-string", mut(("physics.voltage", "inf V")), 2,
     r"physics\.voltage: expected a voltage like '10 mV', got 'inf V'"),
    ("negative-conductivity", mut((f"{M}.A", {"conductivity": "-1 mS/cm"})), 2,
     r"materials\.A\.conductivity: must be > 0, got '-1 mS/cm'"),
    ("zero-conductivity", mut((f"{M}.A", {"conductivity": "0 S/m"})), 2,
     r"materials\.A\.conductivity: must be > 0, got '0 S/m'"),
    ("zero-voltage", mut(("physics.voltage", "0 V")), 2,
     r"voltage must be finite and non-zero, got 0\.0"),
    ("zero-current", mut(("physics.voltage", DELETE), ("physics.current_density", "0 mA/cm^2")),
     2, r"current must be finite and non-zero"),
    ("below-absolute-zero", mut(("physics.temperature", "-300 degC")), 2,
     r"physics\.temperature: '-300 degC' is at or below absolute zero"),
    ("zero-kelvin", mut(("physics.temperature", "0 K")), 2,
     r"physics\.temperature: '0 K' is at or below absolute zero"),
    ("negative-transference", mut((f"{M}.A", {"conductivity": "1 mS/cm", "transference": -0.2})),
     2, r"materials\.A: A: transference number t\+ must lie strictly between 0 and 1, got -0\.2"),
    ("transference-one", mut((f"{M}.A", {"conductivity": "1 mS/cm", "transference": 1.0})), 2,
     r"transference number t\+ must lie strictly between 0 and 1, got 1\.0"),
    ("negative-activation", mut((f"{M}.A", {"conductivity": "1 mS/cm",
                                            "activation_energy": "-0.3 eV"})), 2,
     r"materials\.A\.activation_energy: must be >= 0, got '-0\.3 eV'"),
    ("negative-interface-conductance",
     mut(("physics.interface_conductance", {"A|B": "-1 S/cm^2"})), 2,
     r"physics\.interface_conductance\.A\|B: must be > 0, got '-1 S/cm\^2'"),
    ("nan-permittivity", mut((f"{M}.A", {"conductivity": "1 mS/cm", "permittivity": ".nan"})), 2,
     r"materials\.A\.permittivity: expected float, got '\.nan'"),
    ("yaml-nan-permittivity", "permittivity-nan", 2,
     r"materials\.A\.permittivity: expected a finite number, got nan"),
    ("zero-profile-points", mut(("outputs.profile_points", 0)), 2,
     r"profile_points|n must be|points"),
    # ---- impossible geometry
    ("zero-thickness-layer", stack(layers=[{"name": "A", "thickness": "0 um"}]), 2,
     r"layers\[0\]\.thickness: must be > 0, got '0 um'"),
    ("negative-width", stack(width="-2 um"), 2, r"geometry\.width: must be > 0, got '-2 um'"),
    ("no-layers", stack(layers=[]), 2, r"geometry\.layers: expected a list of 1\.\. items, got 0"),
    ("fraction-above-one", composite(volume_fraction=1.2), 2,
     r"volume_fraction must lie in \(0, 1\), got 1\.2"),
    ("fraction-zero", composite(volume_fraction=0.0), 2,
     r"volume_fraction must lie in \(0, 1\), got 0\.0"),
    ("particle-bigger-than-box", composite(radius="3 um"), 2,
     r"particles .* are larger than the smallest box edge"),
    ("fraction-above-jamming", composite(volume_fraction=0.7), 2,
     r"volume_fraction=0\.7 is above what random non-overlapping placement can reach"),
    ("box-one-entry", composite(box=["4 um"]), 2,
     r"geometry\.box: expected a list of 2\.\.3 items, got 1"),
    ("box-four-entries", composite(box=["4 um"] * 4), 2,
     r"geometry\.box: expected a list of 2\.\.3 items, got 4"),
    ("same-electrodes", mut(("physics.electrodes", ["anode", "anode"])), 2,
     r"physics\.electrodes: 'anode' is given 2 times .*two electrodes cannot share one "
     r"boundary"),
    ("same-electrodes-in-case", mut(("cases.stack.physics", {"electrodes": ["cathode",
                                                                             "cathode"]})), 2,
     r"cases\.stack\.physics\.electrodes: 'cathode' is given 2 times"),
    ("negative-gap", composite(gap="-1 um"), 2, r"geometry\.gap: must be >= 0, got '-1 um'"),
    # ---- bad and malicious mesh files
    ("mesh-missing", mut((f"{G}.path", "nothere.msh")), 2,
     r"mesh file '.*nothere\.msh' does not exist; check the path"),
    ("mesh-is-a-folder", "mesh-folder", 2, r"mesh file '.*' is not a file"),
    ("mesh-empty", "mesh-empty", 2, r"empty\.msh: not a gmsh \.msh file"),
    ("mesh-garbage", "mesh-garbage", 2, r"garbage\.msh: not a gmsh \.msh file"),
    ("mesh-truncated", "mesh-truncated", 2, r"gmsh could not read 'truncated\.msh'"),
    ("mesh-huge-count", "mesh-huge", 2,
     r"huge\.msh: the \$Nodes section declares 9e\+11 entries, more than a file of \d+ bytes"),
    ("mesh-nan-coordinates", "mesh-nan", 2, r"node\(s\) have NaN/inf coordinates"),
    ("mesh-degenerate", "mesh-flat", 2, r"cells have zero area"),
    ("mesh-no-names", "mesh-nonames", 2, r"has no (physical groups|named)"),
    ("mesh-unknown-format", "mesh-txt", 2, r"cannot read mesh file 'mesh\.txt'"),
    ("geo-not-allowed", "geo-plain", 2,
     r"mesh file 'plain\.geo' is a \.geo script, which gmsh would execute.*--allow-geo.*"
     r"gmsh plain\.geo -2"),
    ("geo-systemcall", "geo-systemcall", 2,
     r"evil\.geo line \d+: 'SystemCall' runs a shell command.*gmsh evil\.geo -2"),
    ("geo-nonblocking", "geo-nonblocking", 2, r"'NonBlockingSystemCall' runs a shell command"),
    ("geo-printf-file", "geo-printf", 2, r"'Printf\(\.\.\.\) > file' writes a file"),
    ("geo-save", "geo-save", 2, r"'Save' writes a file"),
    ("geo-exit", "geo-exit", 2, r"'Exit' ends the Python process"),
    ("geo-sleep", "geo-sleep", 2, r"'Sleep' stalls the run"),
    ("geo-onelab", "geo-onelab", 2, r"'OnelabRun' starts an external program"),
    ("geo-createdir", "geo-createdir", 2, r"'CreateDir' creates a folder"),
    ("geo-abort-option", "geo-general", 2,
     r"option 'General\.AbortOnError' can change where gmsh writes or how it exits"),
    ("geo-include-evil", "geo-include", 2, r"evil\.geo line \d+: 'SystemCall'"),
    ("geo-include-computed", "geo-strcat", 2, r"'Include' with a computed file name"),
    ("geo-oversize", "geo-tiny", 2,
     r"meshing tiny\.geo .* about [\d.e+]+ elements .* exceeds the limit"),
    # ---- output-path attacks
    ("name-escapes", mut(("name", "../../escaped")), 2,
     r"case name '\.\./\.\./escaped' cannot be used as a file name"),
    ("name-absolute", mut(("name", "/tmp/abs")), 2,
     r"case name '/tmp/abs' cannot be used as a file name"),
    ("name-hidden", mut(("name", ".hidden")), 2,
     r"case name '\.hidden' cannot be used as a file name"),
    ("case-key-escapes", lambda d: {**d, "cases": {"../x": d["cases"]["stack"]}}, 2,
     r"cases\.\.\./x: name '\.\./x' cannot be used as a file name"),
    ("case-key-slash", lambda d: {**d, "cases": {"a/b": d["cases"]["stack"]}}, 2,
     r"name 'a/b' cannot be used as a file name.* e\.g\. 'a-b'"),
    # ---- oversize requests (refused before meshing, with the estimate)
    ("mesh-size-nanometre", stack(mesh_size="0.5 nm"), 2,
     r"layered_stack: about [\d.e+]+ elements .* exceeds the limit of 5e\+06 elements"),
    ("elements-across", stack(min_elements_across=100000), 2,
     r"layered_stack: about [\d.e+]+ elements .*smaller min_elements_across"),
    ("tiny-particles", composite(radius="2 nm", volume_fraction=0.3), 2,
     r"place_particles .* about [\d.e+]+ particles exceeds the limit of 2e\+04"),
    ("composite-mesh-size", composite(mesh_size="0.1 nm"), 2,
     r"particle_composite \(mesh_size = 0\.0001 µm\): about [\d.e+]+ elements"),
]

GEO_OK = """lc = 0.5;
Point(1) = {0,0,0,lc}; Point(2) = {2,0,0,lc}; Point(3) = {2,3,0,lc}; Point(4) = {0,3,0,lc};
Line(1) = {1,2}; Line(2) = {2,3}; Line(3) = {3,4}; Line(4) = {4,1};
Curve Loop(1) = {1,2,3,4}; Plane Surface(1) = {1};
Physical Surface("A") = {1}; Physical Curve("anode") = {1}; Physical Curve("cathode") = {3};
"""
GEO_EXTRA = {
    "geo-systemcall": 'SystemCall "touch {marker}";',
    "geo-nonblocking": 'NonBlockingSystemCall "touch {marker}";',
    "geo-printf": 'Printf("pwned") > "{marker}";',
    "geo-save": 'Save "{marker}";',
    "geo-exit": "Exit;",
    "geo-sleep": "Sleep 1e9;",
    "geo-onelab": 'OnelabRun("x", "touch {marker}");',
    "geo-createdir": 'CreateDir "{marker}";',
    "geo-general": "General.AbortOnError = 4;",
    "geo-strcat": 'Include StrCat("ev", "il.geo");',
}


def _prepare(kind, tmp_path, case_file):
    """Write the files a string case id needs; return the case data."""
    d = base_case()
    g = d["cases"]["stack"]["geometry"]
    marker = tmp_path / "PWNED"
    if kind == "permittivity-nan":
        return ("study: conduction\nphysics: {voltage: 10 mV}\ncases:\n  stack:\n"
                "    geometry: {type: mesh_file, path: stack.msh, unit: um}\n"
                "    materials:\n      A: {conductivity: 1 mS/cm, permittivity: .nan}\n"
                "      B: {conductivity: 1 mS/cm}\n")
    if kind == "mesh-folder":
        (tmp_path / "afolder.msh").mkdir()
        g["path"] = "afolder.msh"
    elif kind == "mesh-empty":
        (tmp_path / "empty.msh").write_text("")
        g["path"] = "empty.msh"
    elif kind == "mesh-garbage":
        (tmp_path / "garbage.msh").write_bytes(b"\x00\x01garbage\xff" * 10)
        g["path"] = "garbage.msh"
    elif kind == "mesh-truncated":
        text = (tmp_path / "stack.msh").read_text()
        (tmp_path / "truncated.msh").write_text(text[: len(text) // 2])
        g["path"] = "truncated.msh"
    elif kind == "mesh-huge":
        (tmp_path / "huge.msh").write_text("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n"
                                           "1 900000000000 1 900000000000\n")
        g["path"] = "huge.msh"
    elif kind == "mesh-nan":
        write_stack_msh(tmp_path / "nan.msh", corrupt=lambda t: re.sub(
            r"\n7 \S+ ", "\n7 nan ", t, count=1))
        g["path"] = "nan.msh"
    elif kind == "mesh-flat":
        write_stack_msh(tmp_path / "flat.msh", corrupt=lambda t: re.sub(  # node 7 onto 6
            r"\n7 \S+ \S+ ", "\n7 6.6666666666666663e-01 0.0 ", t, count=1))
        g["path"] = "flat.msh"
    elif kind == "mesh-nonames":
        import meshio

        m = meshio.read(tmp_path / "stack.msh")
        meshio.write(tmp_path / "nonames.vtu", meshio.Mesh(m.points, [m.cells[-1]]))
        g["path"] = "nonames.vtu"
    elif kind == "mesh-txt":
        (tmp_path / "mesh.txt").write_text("not a mesh")
        g["path"] = "mesh.txt"
    elif kind.startswith("geo-"):
        name = {"geo-plain": "plain", "geo-include": "inc", "geo-tiny": "tiny"}.get(kind, "evil")
        extra = GEO_EXTRA.get(kind, "").format(marker=marker)
        if kind == "geo-include":
            (tmp_path / "evil.geo").write_text(GEO_OK + f'SystemCall "touch {marker}";\n')
            extra = 'Include "evil.geo";'
        if kind == "geo-strcat":
            (tmp_path / "evil_inc.geo").write_text(GEO_OK)
        body = GEO_OK.replace("lc = 0.5", "lc = 1e-6") if kind == "geo-tiny" else GEO_OK
        (tmp_path / f"{name}.geo").write_text(body + extra + "\n")
        g["path"] = f"{name}.geo"
        d["cases"]["stack"]["materials"] = {"A": {"conductivity": "1 mS/cm"}}
    return d


@pytest.mark.parametrize("cid, change, code, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_case_file_exits_with_a_clear_one_line_error(cid, change, code, pattern, tmp_path,
                                                         case_file, cli, no_escape):
    data = _prepare(change, tmp_path, case_file) if isinstance(change, str) else change(base_case())
    path = case_file(data)
    out = tmp_path / "out"
    allow = ["--allow-geo"] if cid.startswith("geo-") and cid != "geo-not-allowed" else []
    with no_escape(out):
        rc, stdout, err = cli("run", path, "--out", out, "-q", *allow)
    assert rc == code, f"exit {rc}, stderr: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"not one line: {err}"
    assert lines[0].startswith("ntransport: error: " if code == 2 else "ntransport: failed: ")
    assert re.search(pattern, lines[0]), f"{lines[0]!r} does not match {pattern!r}"
    assert "Traceback" not in err
    assert not (tmp_path / "PWNED").exists(), "the mesh file ran a command or wrote a file"
    if out.exists():  # a failed run leaves only its log
        assert {p.name for p in out.iterdir() if not p.name.startswith(".")} <= {"run.log"}


# ------------------------------------------------------------------ YAML-level attacks
YAML_CASES = [
    ("not-yaml", "study: [unclosed\n", r"not valid YAML"),
    ("yaml-list", "- study: conduction\n", r"a case file must be a YAML mapping, got list"),
    ("yaml-empty", "", r"a case file must be a YAML mapping, got NoneType"),
    ("yaml-python-tag", "study: !!python/object/apply:os.system ['touch PWNED']\n",
     r"not valid YAML.*could not determine a constructor"),
    ("yaml-binary", b"\xff\xfe\x00garbage", r"case\.yaml: not a text file \(not UTF-8 at byte 0\)"),
    ("yaml-billion-laughs", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                            "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c]\n",
     r"unknown key 'a'"),
]


@pytest.mark.parametrize("cid, text, pattern", YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_hostile_yaml_is_refused(cid, text, pattern, tmp_path, cli):
    path = tmp_path / "case.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    rc, _, err = cli("check", path)
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and re.search(pattern, err), err
    assert not (tmp_path / "cwd" / "PWNED").exists()


# ------------------------------------------------------------------ command-line attacks
def test_out_is_a_file(case_file, cli, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    rc, _, err = cli("run", case_file(base_case()), "--out", f)
    assert rc == 2 and re.search(r"--out '.*afile' is a file, not a folder", err)
    assert f.read_text() == "x"


def test_out_below_a_file(case_file, cli, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    rc, _, err = cli("run", case_file(base_case()), "--out", f / "sub")
    assert rc == 2 and re.search(r"--out '.*afile/sub' is not writable .*choose another", err)


def test_out_read_only(case_file, cli, tmp_path):
    import os

    if os.geteuid() == 0:  # root ignores permissions: use a folder no one can create
        target = "/proc/ntransport-cannot-create/out"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = ro / "out"
    rc, _, err = cli("run", case_file(base_case()), "--out", target)
    assert rc == 2 and "is not writable" in err and "choose another folder" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_case_file(cli, tmp_path):
    rc, _, err = cli("run", tmp_path / "nope.yaml")
    assert rc == 2 and re.search(r"case file '.*nope\.yaml' not found", err)


def test_case_file_is_a_folder(cli, tmp_path):
    rc, _, err = cli("check", tmp_path)
    assert rc == 2 and "not found" in err


def test_bad_option_value_is_an_argparse_error(cli, case_file):
    with pytest.raises(SystemExit) as e:
        cli("run", case_file(base_case()), "--length-unit", "furlong")
    assert e.value.code == 2


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_workers_value_is_an_argparse_error_naming_it(cli, case_file, capsys, value):
    with pytest.raises(SystemExit) as e:
        cli("run", case_file(base_case()), "--workers", value)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--workers" in err and repr(value) in err and ">= 1" in err


def test_unknown_material_name_on_the_command_line(cli):
    rc, _, err = cli("materials", "PEO/LiTFS")
    assert rc == 2 and "Did you mean 'PEO/LiTFSI'" in err


def test_geo_allowed_and_clean_runs(case_file, cli, tmp_path):
    (tmp_path / "plain.geo").write_text(GEO_OK)
    d = set_path(base_case(), f"{G}.path", "plain.geo")
    d["cases"]["stack"]["materials"] = {"A": {"conductivity": "1 mS/cm"}}
    rc, _, err = cli("run", case_file(d), "--out", tmp_path / "o", "-q", "--allow-geo")
    assert rc == 0, err
    assert (tmp_path / "o" / "stack.vtu").exists()


def test_symlinked_partial_folder_is_not_followed(case_file, cli, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".partial").symlink_to(victim, target_is_directory=True)
    rc, _, err = cli("run", case_file(base_case()), "--out", out, "-q")
    assert rc == 0, err
    assert (victim / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]


def test_symlinked_result_is_neither_followed_nor_replaced(case_file, cli, tmp_path):
    """A planted ``summary.csv -> victim`` is no ntransport run's: the folder is refused,
    the link and its target untouched (a link an earlier run listed in its manifest is
    removed, never followed: test_faults.py)."""
    victim = tmp_path / "victim.csv"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").symlink_to(victim)
    rc, _, err = cli("run", case_file(base_case()), "--out", out, "-q")
    assert rc == 2 and "holds 'summary.csv', which no ntransport run wrote there" in err
    assert victim.read_text() == "precious"
    assert (out / "summary.csv").is_symlink()
