"""The npp_zhang study as a package: it registers exactly once (the registry imports the
package, not its submodules), its public names import from the package as they did from
the single module, and its small helpers and error paths behave."""
import importlib
import pkgutil

import numpy as np
import pytest

from ntransport.errors import ConfigError
from ntransport.studies import npp_zhang
from ntransport.studies.registry import _FAILED, load_case, study_kinds

CASE = {
    "study": "npp_zhang",
    "comparison": "peo_vs_peomof",
    "temperature": "60 degC",
    "width": "20 um",
    "electrolytes": {"PEO": [{"name": "PEO", "thickness": "20 um",
                              "material": "PEO/LiTFSI"}]},
}


def test_registers_once_and_every_submodule_imports():
    kinds = study_kinds()
    assert kinds["npp_zhang"].run is npp_zhang.run
    assert kinds["npp_zhang"].check is npp_zhang.check
    # a second registration would raise "already registered" and land in _FAILED
    for info in pkgutil.iter_modules(npp_zhang.__path__):
        importlib.import_module(f"ntransport.studies.npp_zhang.{info.name}")
    study_kinds()
    assert not [m for m in _FAILED if "npp_zhang" in m], _FAILED
    assert list(study_kinds()).count("npp_zhang") == 1


def test_public_names_import_from_the_package():
    from ntransport.config import Section

    assert isinstance(npp_zhang.SCHEMA, Section)
    for name in ("run", "check", "electrolyte_species", "build_cell", "problem_for",
                 "zero_current_check", "axis"):
        assert name in npp_zhang.__all__ and callable(getattr(npp_zhang, name)), name
    assert (npp_zhang.LI, npp_zhang.FREE, npp_zhang.FIXED) == ("Li+", "A-", "A- immobilised")


def test_axis_reads_the_left_edge_nodes_bottom_to_top():
    layers = [("A", 2e-6, None), ("B", 3e-6, None)]
    d = npp_zhang.build_cell(4e-6, layers, mesh={"nx": 3, "elements_across": 10, "h0": 5e-8,
                                                  "growth": 1.3})
    y, idx = npp_zhang.axis(d)
    assert np.all(np.diff(y) > 0) and y[0] == 0.0 and y[-1] == pytest.approx(5e-6, rel=1e-14)
    assert np.all(d.mesh.p[0, idx] == 0.0)
    assert np.any(np.isclose(y, 2e-6, rtol=0, atol=1e-18))  # the interface is a node row


def test_unknown_reading_is_a_clear_error():
    case = load_case(CASE)
    els = npp_zhang.check(case)
    sp, _ = npp_zhang.electrolyte_species(els["PEO"], T=case["temperature"], t0=0.22,
                                          c_salt=1000.0)
    d = npp_zhang.build_cell(case["width"], els["PEO"], mesh=case["mesh"])
    with pytest.raises(ConfigError, match="unknown reading 'current_density'"):
        npp_zhang.problem_for(d, sp, "current_density", T=case["temperature"], data=case.data)


def test_layer_without_library_or_conductivity_names_the_layer():
    bad = dict(CASE, electrolytes={"X": [{"name": "L1", "thickness": "5 um",
                                          "material": {"transference": 0.5}}]})
    with pytest.raises(ConfigError, match=r"electrolytes\.X\.L1: give 'library'"):
        npp_zhang.check(load_case(bad))


def test_a_poisson_layer_too_thin_for_a_bulk_is_refused_by_check():
    """A 20 pm PEO layer (a perturbed case file) left nothing between the two excluded
    double layers: np.max of an empty array after both solves."""
    from pathlib import Path

    import yaml

    from ntransport.studies.registry import check_case

    path = Path(__file__).resolve().parents[2] / "geometries" / "npp_peo_vs_peomof.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["poisson"]["electrolyte"] == "PEO"
    data["electrolytes"]["PEO"][0]["thickness"] = "2e-5 um"
    with pytest.raises(ConfigError, match=r"poisson.electrolyte 'PEO': its layer \(2e-05 um\) "
                                          r"is too thin for the comparison, which leaves out "
                                          r"20 Debye lengths"):
        check_case(load_case(data, name="npp"))


def test_a_comparison_without_readings_is_refused_by_check():
    """`readings: []` ran nothing and then drew a figure of 0 panels (ZeroDivisionError;
    found by running the structurally perturbed case files)."""
    from pathlib import Path

    import yaml

    from ntransport.studies.registry import check_case

    path = Path(__file__).resolve().parents[2] / "geometries" / "npp_peo_vs_plm.yaml"
    data = yaml.safe_load(path.read_text())
    data["readings"] = []
    with pytest.raises(ConfigError, match=r"readings: the 'peo_vs_plm' comparison needs at "
                                          r"least one of \['voltage', 'flux'\], got \[\]"):
        check_case(load_case(data, name="npp"))
