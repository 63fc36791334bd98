"""Strict case-file schemas: unknown keys with suggestions, unit strings, study registry."""
import copy

import pytest

from ntransport.config import Either, ListOf, MapOf, Quantity, Section, Tagged, Value, validate
from ntransport.errors import ConfigError
from ntransport.io.tables import SummaryTable
from ntransport.studies.registry import get_study, load_case, register_study, study_kinds

CASE = {
    "study": "conduction",
    "title": "t",
    "physics": {"temperature": "60 degC", "current_density": "0.5 mA/cm^2"},
    "cases": {
        "PLM": {
            "geometry": {
                "type": "layered_stack",
                "width": "20 um",
                "layers": [{"name": "MOF", "thickness": "3 um"},
                           {"name": "PE", "thickness": "7 um"}],
            },
            "materials": {"MOF": "Li-IL@MOF",
                          "PE": {"library": "PE/PEO", "conductivity": "0.2 mS/cm"}},
        }
    },
}


def _with(path, value):
    d = copy.deepcopy(CASE)
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return d


def test_valid_case_converts_units_and_fills_defaults():
    case = load_case(CASE)
    assert case.kind == "conduction"
    d = case.data
    assert d["physics"]["temperature"] == pytest.approx(333.15)
    assert d["physics"]["current_density"] == pytest.approx(5.0)      # A/m2
    assert d["physics"]["voltage"] is None
    assert d["physics"]["electrodes"] == ["anode", "cathode"]
    g = d["cases"]["PLM"]["geometry"]
    assert g["width"] == pytest.approx(20e-6)
    assert [lay["thickness"] for lay in g["layers"]] == pytest.approx([3e-6, 7e-6])
    assert g["depth"] is None
    mat = d["cases"]["PLM"]["materials"]["PE"]
    assert mat["conductivity"] == pytest.approx(0.02) and mat["library"] == "PE/PEO"
    assert d["outputs"]["vtu"] is True and "profile" in d["outputs"]["figures"]


@pytest.mark.parametrize(
    ("path", "key", "match"),
    [
        ((), "phyiscs", r"^unknown key 'phyiscs'\. Did you mean 'physics'\?"),
        (("physics",), "temprature",
         r"^physics: unknown key 'temprature'\. Did you mean 'temperature'\?"),
        (("cases", "PLM"), "geometyr",
         r"^cases\.PLM: unknown key 'geometyr'\. Did you mean 'geometry'\?"),
        (("cases", "PLM", "geometry"), "widht",
         r"^cases\.PLM\.geometry: unknown key 'widht'\. Did you mean 'width'\?"),
        (("cases", "PLM", "geometry", "layers", 0), "thicknes",
         r"^cases\.PLM\.geometry\.layers\[0\]: unknown key 'thicknes'\. "
         r"Did you mean 'thickness'\?"),
        (("cases", "PLM", "materials", "PE"), "conductivty",
         r"^cases\.PLM\.materials\.PE: unknown key 'conductivty'\. "
         r"Did you mean 'conductivity'\?"),
    ],
)
def test_unknown_key_at_every_level_names_path_and_suggests(path, key, match):
    d = copy.deepcopy(CASE)
    node = d
    for k in path:
        node = node[k]
    node[key] = 1
    with pytest.raises(ConfigError, match=match):
        load_case(d)


def test_bad_unit_string_names_the_key():
    d = _with(("cases", "PLM", "geometry", "width"), "20 mS")
    with pytest.raises(ConfigError, match=r"cases\.PLM\.geometry\.width: expected a length like "
                                          r"'12\.6 um', got '20 mS'"):
        load_case(d)
    d = _with(("physics", "temperature"), "-400 degC")
    with pytest.raises(ConfigError, match=r"physics\.temperature: '-400 degC' is at or below "
                                          r"absolute zero"):
        load_case(d)


def test_unknown_geometry_type_and_study_kind_suggest():
    d = _with(("cases", "PLM", "geometry", "type"), "layered_stak")
    with pytest.raises(ConfigError, match=r"geometry\.type: unknown type 'layered_stak'\. "
                                          r"Did you mean 'layered_stack'\?"):
        load_case(d)
    d = _with(("study",), "conductoin")
    with pytest.raises(ConfigError, match=r"unknown study kind 'conductoin'\. "
                                          r"Did you mean 'conduction'\?"):
        load_case(d)


def test_host_guest_geometry_schema():
    d = _with(("cases", "PLM", "geometry"), {"type": "host_guest",
                                             "architecture": "polymer-in-ceramic",
                                             "box": ["18 um", "18 um"], "radius": "1.45 um"})
    g = load_case(d).data["cases"]["PLM"]["geometry"]
    assert g["box"] == pytest.approx([18e-6, 18e-6]) and g["radius"] == pytest.approx(1.45e-6)
    d["cases"]["PLM"]["geometry"]["architecture"] = "polymer-in-ceramics"
    with pytest.raises(ConfigError, match=r"architecture: invalid value 'polymer-in-ceramics'\. "
                                          r"Did you mean 'polymer-in-ceramic'"):
        load_case(d)


def test_missing_required_and_exclusive_keys():
    d = copy.deepcopy(CASE)
    del d["cases"]["PLM"]["geometry"]["width"]
    with pytest.raises(ConfigError, match=r"cases\.PLM\.geometry: missing required key 'width'"):
        load_case(d)
    d = _with(("physics", "voltage"), "10 mV")
    with pytest.raises(ConfigError, match=r"physics: give only one of \['voltage', "
                                          r"'current_density'\]"):
        load_case(d)
    d = _with(("cases", "PLM", "geometry", "layers"), [])
    with pytest.raises(ConfigError, match=r"layers: expected a list of 1\.\. items, got 0"):
        load_case(d)


def test_wrong_types():
    d = _with(("outputs",), {"vtu": "yes"})
    with pytest.raises(ConfigError, match=r"outputs\.vtu: expected bool, got 'yes'"):
        load_case(d)
    d = _with(("outputs",), {"figures": ["potental_map"]})
    with pytest.raises(ConfigError, match=r"outputs\.figures\[0\]: invalid value 'potental_map'\."
                                          r" Did you mean 'potential_map'"):
        load_case(d)
    d = _with(("cases", "PLM", "materials", "PE"), 3)
    with pytest.raises(ConfigError, match=r"materials\.PE: expected a name or a mapping, got 3"):
        load_case(d)


def test_yaml_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_case(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: conduction\n  cases: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_case(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_case(lst)


def test_schema_primitives_directly():
    spec = Section({
        "a": Quantity("length", default=1.0),
        "b": MapOf(Either(Value(str), Section({"x": Value(int)}))),
        "c": Tagged({"one": Section({"y": Value(float, default=2.0)})}, default=None),
        "d": ListOf(Value(int), default=[1]),
    })
    out = validate({"b": {"p": "name", "q": {"x": 3}}, "c": {"type": "one"}}, spec)
    assert out == {"a": 1.0, "b": {"p": "name", "q": {"x": 3}},
                   "c": {"type": "one", "y": 2.0}, "d": [1]}
    out["d"].append(2)  # defaults are copied, never shared between validations
    assert validate({"b": {}}, spec)["d"] == [1]
    with pytest.raises(ConfigError, match=r"b\.q\.x: expected int, got True"):
        validate({"b": {"q": {"x": True}}}, spec)
    with pytest.raises(ConfigError, match=r"c: missing required key 'type'"):
        validate({"b": {}, "c": {"y": 1.0}}, spec)


@pytest.fixture
def _clean_registry():
    from ntransport.studies import registry

    yield
    registry._KINDS.pop("_test_kind", None)


def test_every_study_kind_is_found_by_the_source_search():
    """get_study imports only the module whose source registers the kind: for every
    registered kind the search names exactly the module that defines its runner."""
    from ntransport.studies import registry

    for kind, k in study_kinds().items():
        if kind.startswith("_"):
            continue
        assert registry._modules_registering(kind) == [k.run.__module__], kind


def test_a_case_imports_its_own_study_module_only():
    """In a fresh interpreter: looking up one kind imports its module and no other study
    module (they cost ~1.4 s of start-up); a kind the search misses is still found by
    loading every module."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ntransport.studies import registry as r\n"
        "assert r.get_study('dendrites').name == 'dendrites'\n"
        "mods = sorted(m for m in sys.modules if m.startswith('ntransport.studies.'))\n"
        "assert mods == ['ntransport.studies.dendrites', 'ntransport.studies.registry'], mods\n"
        "r._modules_registering = lambda kind: []\n"
        "assert r.get_study('percolation').name == 'percolation'\n"
        "assert 'ntransport.studies.deposition' in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_other_modules_can_register_study_kinds(_clean_registry):
    schema = Section({"n": Value(int, default=3)})

    @register_study("_test_kind", schema=schema, replace=True)
    def run(case, out_dir, *, progress=None):
        """A test kind."""
        return SummaryTable().add("c", "n", case["n"], "1")

    assert "_test_kind" in study_kinds()
    assert get_study("_test_kind").doc == "A test kind."
    case = load_case({"study": "_test_kind", "n": 5})
    assert case["n"] == 5
    with pytest.raises(ConfigError, match=r"unknown key 'm'\. Valid names are \['n'\]"):
        load_case({"study": "_test_kind", "m": 5})
    with pytest.raises(ConfigError, match="already registered"):
        register_study("_test_kind", schema=schema)(run)
    with pytest.raises(TypeError, match="must be a config.Section"):
        register_study("_x", schema={"n": 1})


def test_plain_values_with_bounds_name_the_key():
    """A random seed below 0 reached numpy ('expected non-negative integer'); a density of 0
    divided by zero (found by tests/hostile/test_case_file_fuzz.py)."""
    spec = Section({"seed": Value(int, default=0, minimum=0),
                    "density": Value(float, default=1.2, positive=True)})
    assert spec.check({}, "") == {"seed": 0, "density": 1.2}
    assert spec.check({"seed": 0, "density": 5}, "") == {"seed": 0, "density": 5.0}
    with pytest.raises(ConfigError, match=r"seed: must be >= 0, got -7\."):
        spec.check({"seed": -7}, "")
    with pytest.raises(ConfigError, match=r"density: must be > 0, got 0\.0\."):
        spec.check({"density": 0.0}, "")


@pytest.mark.parametrize("given, match", [
    ("-80 degC", r"cell.temperature: '-80 degC' = 193.15 K lies outside \[200, 1000\] K"),
    ("3e7 degC", r"'3e7 degC' = 3.00003e\+07 K lies outside \[200, 1000\] K"),
    (1200, r"cell.temperature = 1200 K is above 1000 K"),
])
def test_case_file_temperatures_outside_the_electrolytes_range_are_refused(given, match):
    """A highways case at 3e7 degC (30 degC x 1e6) reached a conductivity table as
    'x = 0.0167 outside the tabulated range'; the range check is the library's."""
    with pytest.raises(ConfigError, match=match):
        Quantity("temperature").check(given, "cell.temperature")
    assert Quantity("temperature").check("25 degC", "t") == pytest.approx(298.15)


def test_a_tag_that_is_not_a_string_is_named():
    """`type: [study]` (a list) raised TypeError: unhashable type: 'list' (found by a fuzz
    of the shipped case files' structure)."""
    spec = Tagged({"a": Section({}), "b": Section({})})
    with pytest.raises(ConfigError, match=r"laws.x.type: unknown type \['a'\]"):
        spec.check({"type": ["a"]}, "laws.x")
    assert spec.check({"type": "a"}, "laws.x") == {"type": "a"}
