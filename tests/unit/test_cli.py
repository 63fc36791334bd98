"""`ntransport run CASE.yaml`: end-to-end on tiny meshes, numbers checked in the CSV."""
import csv
import json

import numpy as np
import pytest
import skfem
import yaml

from ntransport.cli import main
from ntransport.errors import ConfigError
from ntransport.geometry import Domain
from ntransport.io.tables import SummaryTable
from ntransport.studies import conduction_case
from ntransport.studies.registry import load_case, run_case


# ---------------------------------------------------------------- tiny meshes (no gmsh)
def stack_arrays(thicknesses, names, *, width, nx=4, ny_per=3):
    """Points, triangles, cell groups and electrode facets of a layered stack."""
    ys = [0.0]
    for t in thicknesses:
        ys += list(np.linspace(ys[-1], ys[-1] + t, ny_per + 1)[1:])
    m = skfem.MeshTri.init_tensor(np.linspace(0, width, nx + 1), np.array(ys))
    c = m.p[:, m.t].mean(axis=1)
    z = np.cumsum([0.0, *thicknesses])
    groups = {n: np.nonzero((c[1] > z[i]) & (c[1] < z[i + 1]))[0] for i, n in enumerate(names)}
    bf = m.boundary_facets()
    fc = m.p[:, m.facets[:, bf]].mean(axis=1)
    tol = 1e-9 * z[-1]
    facets = {
        "anode": m.facets[:, bf[np.abs(fc[1]) < tol]].T,
        "cathode": m.facets[:, bf[np.abs(fc[1] - z[-1]) < tol]].T,
        "sides": m.facets[:, bf[(np.abs(fc[0]) < tol) | (np.abs(fc[0] - width) < tol)]].T,
    }
    return m.p.T, m.t.T, groups, facets


def stack_domain(thicknesses, names, *, width, **kw):
    p, t, groups, facets = stack_arrays(thicknesses, names, width=width, **kw)
    return Domain.from_arrays(p, t, groups, facets)


def fake_layered_stack(layers, *, width, depth=None, mesh_size=None):
    """Stand-in with the signature of ntransport.geometry.layered_stack (2D only)."""
    names = [n for n, _ in layers]
    return stack_domain([t for _, t in layers], names, width=width)


def write_stack_msh(path, thicknesses_um, names, *, width_um=4.0):
    """The same mesh as a gmsh v2.2 file in micrometres with physical names."""
    import meshio

    p, t, groups, facets = stack_arrays(thicknesses_um, names, width=width_um)
    phys = np.zeros(len(t), dtype=int)
    for i, n in enumerate(names):
        phys[groups[n]] = i + 1
    lines = np.vstack([facets["anode"], facets["cathode"]])
    lphys = np.r_[np.full(len(facets["anode"]), 101), np.full(len(facets["cathode"]), 102)]
    field = {n: np.array([i + 1, 2]) for i, n in enumerate(names)}
    field.update({"anode": np.array([101, 1]), "cathode": np.array([102, 1])})
    mesh = meshio.Mesh(np.column_stack([p, np.zeros(len(p))]),
                       [("line", lines), ("triangle", t)],
                       cell_data={"gmsh:physical": [lphys, phys],
                                  "gmsh:geometrical": [lphys, phys]},
                       field_data=field)
    meshio.write(path, mesh, file_format="gmsh22", binary=False)
    return path


# ---------------------------------------------------------------- tests
T = (1.0e-6, 2.0e-6, 0.5e-6)          # layer thicknesses [m]
SIG = (0.01, 0.1, 0.002)               # conductivities [S/m]
NAMES = ("A", "B", "C")


def _series(thick, sig):
    return sum(thick) / sum(t / s for t, s in zip(thick, sig))


@pytest.fixture
def msh_case(tmp_path):
    write_stack_msh(tmp_path / "stack.msh", [t * 1e6 for t in T], list(NAMES))
    case = {
        "study": "conduction",
        "title": "tiny stack",
        "physics": {"voltage": "10 mV"},
        "outputs": {"figures": ["profile"]},
        "cases": {
            "stack": {
                "geometry": {"type": "mesh_file", "path": "stack.msh", "unit": "um"},
                "materials": {n: {"conductivity": f"{s} S/m", "transference": 0.4}
                              for n, s in zip(NAMES, SIG)},
            },
            "stack_at_current": {
                "geometry": {"type": "mesh_file", "path": "stack.msh", "unit": "um"},
                "materials": {n: {"conductivity": f"{s * 10} mS/cm"} for n, s in zip(NAMES, SIG)},
                "physics": {"current_density": "0.3 mA/cm^2"},
            },
        },
    }
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    return path


def test_run_mesh_file_case_writes_outputs_and_exact_series_numbers(msh_case, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(msh_case), "--out", str(out), "--quiet"]) == 0
    files = {p.name for p in out.iterdir()}
    assert {"stack.vtu", "stack_at_current.vtu", "potential_profile.png",
            "potential_profile.csv", "summary.csv", "run.log", "run.json"} <= files
    assert "effective_conductivity = " in capsys.readouterr().out
    tab = SummaryTable.from_csv(out / "summary.csv")
    with (out / "summary.csv").open() as fh:
        assert next(csv.reader(fh)) == ["case", "quantity", "region", "value", "unit"]
    L = sum(T)
    s_exact = _series(T, SIG)
    # P1 reproduces the piecewise-linear series solution exactly: only round-off remains
    # (summary units: mS/cm = 10 S/m, um, ohm cm2 = 1e4 ohm m2, mA/cm2 = 0.1 A/m2)
    assert tab.row("stack", "effective_conductivity").unit == "mS/cm"
    assert tab.value("stack", "effective_conductivity") == pytest.approx(10 * s_exact, rel=1e-9)
    assert tab.value("stack", "thickness") == pytest.approx(1e6 * L, rel=1e-9)  # CSV: 10 significant digits
    asr = sum(t / s for t, s in zip(T, SIG))
    assert tab.value("stack", "area_specific_resistance") == pytest.approx(1e4 * asr, rel=1e-9)
    for t, s, n in zip(T, SIG, NAMES):
        # series: the voltage divides as t_i/sigma_i, the axial-current share is t_i/L
        assert tab.value("stack", "voltage_loss", n) == pytest.approx(0.01 * (t / s) / asr,
                                                                      rel=1e-9)
        assert tab.value("stack", "current_share", n) == pytest.approx(t / L, rel=1e-9)
        assert tab.value("stack", "conductivity", n) == pytest.approx(10 * s, rel=1e-9)  # CSV: 10 significant digits
    # current-driven case: V = i * ASR with i = 3 A/m2 = 0.3 mA/cm2
    assert tab.value("stack_at_current", "current_density") == pytest.approx(0.3, rel=1e-9)  # CSV: 10 significant digits
    assert tab.value("stack_at_current", "voltage") == pytest.approx(3.0 * asr, rel=1e-9)
    # the potential profile is the exact piecewise-linear one
    prof = np.genfromtxt(out / "potential_profile.csv", delimiter=",", skip_header=1,
                         dtype=None, encoding="utf-8")
    z = np.array([r[1] for r in prof if r[0] == "stack"]) * 1e-6  # um -> m
    phi = np.array([r[2] for r in prof if r[0] == "stack"])
    drop = np.cumsum([0.0] + [0.01 * (t / s) / asr for t, s in zip(T, SIG)])
    exact = 0.01 - np.interp(z, np.cumsum([0.0, *T]), drop)
    # the CSV carries 10 significant digits (phi and the distance in um)
    assert np.abs(phi - exact).max() < 1e-9 * 0.01
    log = (out / "run.log").read_text()
    assert "finished" in log and "effective_conductivity" in log
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "ok" and info["case"]["study"] == "conduction"
    assert "numpy" in info["versions"] and info["wall_time_s"] > 0
    from ntransport.cores import kernel_threads, usable_cores

    # the thread settings that decide which bits PARDISO gives (not the AMG-CG's)
    assert info["threads"]["usable_cores"] == usable_cores() >= 1
    assert info["threads"]["kernel_threads"] == kernel_threads() >= 1


def test_layered_stack_case_reports_series_conductivity(tmp_path, monkeypatch):
    monkeypatch.setattr(conduction_case, "_builder",
                        lambda kind: {"layered_stack": fake_layered_stack}[kind])
    case = load_case({
        "physics": {"temperature": "60 degC", "current_density": "0.5 mA/cm^2"},
        "outputs": {"figures": [], "vtu": False},
        "geometry": {"type": "layered_stack", "width": "4 um",
                     "layers": [{"name": "MOF", "thickness": "3 um"},
                                {"name": "PE", "thickness": "7 um"},
                                {"name": "LLZO", "thickness": "2.6 um"}]},
        "materials": {"MOF": "Li-IL@MOF", "PE": "PE/PEO", "LLZO": "LLZO"},
    })
    tab = run_case(case, tmp_path)
    from ntransport import materials

    sig = [materials.get(m).conductivity(333.15) for m in ("Li-IL@MOF", "PE/PEO", "LLZO")]
    exact = _series((3e-6, 7e-6, 2.6e-6), sig)
    assert tab.value("case", "series_conductivity") == pytest.approx(10 * exact, rel=1e-9)  # CSV: 10 significant digits
    assert tab.value("case", "effective_conductivity") == pytest.approx(10 * exact, rel=1e-9)
    total = sum(tab.value("case", "voltage_loss", n) for n in ("MOF", "PE", "LLZO"))
    assert total == pytest.approx(tab.value("case", "voltage"), rel=1e-9)  # CSV: 10 significant digits
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "run.json", "run.log", "summary.csv"]


def test_real_layered_stack_sandwich_end_to_end(tmp_path):
    """The real gmsh builder: a PEO | LLZO | PEO sandwich (repeated name = one subdomain)."""
    case = tmp_path / "sandwich.yaml"
    case.write_text(yaml.safe_dump({
        "study": "conduction",
        "physics": {"temperature": "25 degC", "voltage": "20 mV"},
        "outputs": {"figures": ["potential_map", "profile"]},
        "geometry": {"type": "layered_stack", "width": "4 um",
                     "layers": [{"name": "PEO", "thickness": "2 um"},
                                {"name": "LLZO", "thickness": "1 um"},
                                {"name": "PEO", "thickness": "3 um"}]},
        "materials": {"PEO": {"conductivity": "0.1 mS/cm"}, "LLZO": "LLZO"},
    }))
    out = tmp_path / "out"
    assert main(["run", str(case), "--out", str(out), "-q"]) == 0
    assert {"case.vtu", "case_maps.png", "potential_profile.png"} <= {
        p.name for p in out.iterdir()}
    tab = SummaryTable.from_csv(out / "summary.csv")
    t, s = (2e-6, 1e-6, 3e-6), (0.01, 0.1, 0.01)
    exact = _series(t, s)
    # conforming mesh at the interfaces: P1 is exact for the 1D solution (round-off only)
    assert tab.value("case", "effective_conductivity") == pytest.approx(10 * exact, rel=1e-9)
    assert tab.value("case", "series_conductivity") == pytest.approx(10 * exact, rel=1e-9)  # CSV: 10 significant digits
    assert tab.value("case", "layer_thickness", "PEO") == pytest.approx(5.0, rel=1e-9)  # CSV: 10 significant digits
    asr = sum(a / b for a, b in zip(t, s))
    assert tab.value("case", "voltage_loss", "LLZO") == pytest.approx(0.02 * 1e-5 / asr,
                                                                      rel=1e-9)
    assert tab.value("case", "current_share", "PEO") == pytest.approx(5 / 6, rel=1e-9)
    import pyvista as pv

    grid = pv.read(out / "case.vtu")
    assert "phi [V]" in grid.point_data and "j [A m-2]" in grid.cell_data
    assert grid.point_data["phi [V]"].max() == pytest.approx(0.02, rel=1e-9)  # CSV: 10 significant digits


def test_interface_conductance_adds_its_resistance_and_loss(tmp_path, monkeypatch):
    monkeypatch.setattr(conduction_case, "_builder", lambda kind: fake_layered_stack)
    G = 1e4  # S/m2 -> 1e-4 ohm m2, comparable to the layers' t/sigma
    case = load_case({
        "physics": {"current_density": "1 mA/cm^2", "interface_conductance": {"B|A": G}},
        "outputs": {"figures": ["profile"], "vtu": False},
        "geometry": {"type": "layered_stack", "width": "4 um",
                     "layers": [{"name": "A", "thickness": "1 um"},
                                {"name": "B", "thickness": "2 um"}]},
        "materials": {"A": {"conductivity": "0.1 S/m"}, "B": {"conductivity": "0.02 S/m"}},
    })
    tab = run_case(case, tmp_path)
    asr = 1e-6 / 0.1 + 2e-6 / 0.02 + 1 / G           # series + the interface resistance
    assert tab.value("case", "area_specific_resistance") == pytest.approx(1e4 * asr, rel=1e-9)
    # Joule losses: layers i t/sigma, the rest (i/G) dissipated on the interface
    assert tab.value("case", "voltage_loss", "B") == pytest.approx(10 * 2e-6 / 0.02, rel=1e-9)
    assert tab.value("case", "voltage_loss", "interfaces") == pytest.approx(10 / G, rel=1e-9)


def test_missing_and_unknown_materials_are_config_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(conduction_case, "_builder", lambda kind: fake_layered_stack)
    base = {
        "physics": {"voltage": "10 mV"},
        "outputs": {"figures": [], "vtu": False},
        "geometry": {"type": "layered_stack", "width": "4 um",
                     "layers": [{"name": "PEO", "thickness": "3 um"}]},
    }
    from ntransport.errors import ConfigError

    with pytest.raises(ConfigError, match=r"materials: unknown subdomain 'PE0'\. "
                                          r"Did you mean 'PEO'\?"):
        run_case(load_case({**base, "materials": {"PE0": "PEO/LiTFSI"}}), tmp_path)
    with pytest.raises(ConfigError, match=r"materials\.PEO: material 'PEO/LiTFS' not found\. "
                                          r"Did you mean 'PEO/LiTFSI'"):
        run_case(load_case({**base, "materials": {"PEO": "PEO/LiTFS"}}), tmp_path)
    with pytest.raises(ConfigError, match=r"materials\.PEO: 'Li' is a Solid"):
        run_case(load_case({**base, "materials": {"PEO": "Li"}}), tmp_path)
    with pytest.raises(ConfigError, match=r"materials\.PEO: give 'library'"):
        run_case(load_case({**base, "materials": {"PEO": {"transference": 0.3}}}), tmp_path)
    with pytest.raises(ConfigError, match=r"materials\.PEO: PEO: transference number t\+"):
        run_case(load_case({**base, "materials": {"PEO": {"conductivity": "1 mS/cm",
                                                          "transference": 1.2}}}), tmp_path)
    # PEO/LiTFSI has no activation energy: asking for 25 degC must fail, not extrapolate
    with pytest.raises(ConfigError, match=r"materials: PEO/LiTFSI: activation energy unknown"):
        run_case(load_case({**base, "materials": {"PEO": "PEO/LiTFSI"}}), tmp_path)
    with pytest.raises(ConfigError, match=r"physics: give one of 'voltage'"):
        run_case(load_case({**base, "physics": {}, "materials": {"PEO": "PVH"}}), tmp_path)


def test_cli_reports_bad_case_with_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: conduction\nphysics: {temprature: 60 degC}\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "physics: unknown key 'temprature'. Did you mean 'temperature'?" in err
    assert main(["check", str(bad)]) == 2


def test_cli_check_materials_studies(msh_case, capsys):
    assert main(["check", str(msh_case)]) == 0
    assert "valid 'conduction' case" in capsys.readouterr().out
    assert main(["materials"]) == 0
    out = capsys.readouterr().out
    assert "PVH-in-SiO2" in out and "Li-IL@MOF" in out
    assert main(["studies"]) == 0
    assert "conduction" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["rnu"])


def test_shipped_case_files_validate():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "geometries"
    for name in ("peo_vs_plm.yaml", "particle_composite.yaml"):
        case = load_case(root / name)
        assert case.kind == "conduction" and case.data["cases"]
    plm = load_case(root / "peo_vs_plm.yaml").data["cases"]["PLM"]["geometry"]
    assert sum(lay["thickness"] for lay in plm["layers"]) == pytest.approx(12.6e-6, rel=1e-9)  # CSV: 10 significant digits


def test_thickness_sweep_crossover_is_the_series_formula(tmp_path, monkeypatch):
    """ASR of a single film is L/sigma, of the stack L_ref/sigma_ref,eff: the crossover of the
    sweep line with the stack is L_ref sigma/sigma_ref,eff (P1 is exact for layers in series,
    so only round-off remains: 1e-9)."""
    monkeypatch.setattr(conduction_case, "_builder", lambda kind: fake_layered_stack)
    stack = [("MOF", 3e-6, 0.08), ("PE", 7e-6, 0.0025), ("LLZO", 2.6e-6, 0.37)]
    sig_film = 0.01
    case = load_case({
        "physics": {"current_density": "0.5 mA/cm^2"},
        "outputs": {"figures": [], "vtu": False},
        "cases": {
            "film": {"geometry": {"type": "layered_stack", "width": "4 um",
                                  "layers": [{"name": "PEO", "thickness": "12.6 um"}]},
                     "materials": {"PEO": {"conductivity": f"{sig_film} S/m"}}},
            "stack": {"geometry": {"type": "layered_stack", "width": "4 um",
                                   "layers": [{"name": n, "thickness": f"{t * 1e6} um"}
                                              for n, t, _ in stack]},
                      "materials": {n: {"conductivity": f"{s} S/m"} for n, _, s in stack}},
        },
        "thickness_sweep": {"case": "film", "layer": "PEO", "against": "stack",
                            "thicknesses": ["10 um", "40 um", "100 um"]},
    })
    res = run_case(case, tmp_path, progress=False)
    L_ref = sum(t for _, t, _ in stack)
    s_ref = _series([t for _, t, _ in stack], [s for *_, s in stack])
    exact = L_ref * sig_film / s_ref
    assert res.summary.value("film", "crossover_thickness", "vs stack") == pytest.approx(
        exact * 1e6, rel=1e-9)
    tab = np.genfromtxt(tmp_path / "thickness_sweep.csv", delimiter=",", names=True,
                        dtype=None, encoding="utf-8")
    assert np.allclose(tab["area_specific_resistance_ohm_cm2"],
                       1e4 * np.array([10e-6, 40e-6, 100e-6]) / sig_film, rtol=1e-9)
    assert np.allclose(tab["voltage_loss_mV"], 5.0 * 1e3 * np.array([10e-6, 40e-6, 100e-6])
                       / sig_film, rtol=1e-9)
    assert (tmp_path / "thickness_sweep.png").stat().st_size > 0
    with pytest.raises(ConfigError, match=r"thickness_sweep.against: unknown case 'stak'. "
                                          r"Did you mean 'stack'\?"):
        bad = dict(case.raw)
        bad["thickness_sweep"] = dict(bad["thickness_sweep"], against="stak")
        run_case(load_case(bad), tmp_path / "bad", progress=False)
    with pytest.raises(ConfigError, match=r"thickness_sweep.layer: 'PE0' must name exactly one "
                                          r"layer of case 'film'"):
        bad = dict(case.raw)
        bad["thickness_sweep"] = dict(bad["thickness_sweep"], layer="PE0")
        run_case(load_case(bad), tmp_path / "bad2", progress=False)


def test_main_job_reports_the_crossover_of_its_materials(tmp_path):
    """The README's first command (reduced sweep): crossover = L_PLM sigma_PEO/sigma_PLM,eff."""
    from pathlib import Path

    from ntransport import materials

    root = Path(__file__).resolve().parents[2] / "geometries"
    res = run_case(load_case(root / "peo_vs_plm.yaml", reduced=True), tmp_path, progress=False)
    T = 333.15
    layers = [(3.0e-6, "Li-IL@MOF"), (7.0e-6, "PE/PEO"), (2.6e-6, "LLZO")]
    s_plm = _series([t for t, _ in layers], [materials.get(m).conductivity(T) for _, m in layers])
    exact = 12.6e-6 * materials.get("PEO/LiTFSI").conductivity(T) / s_plm
    assert res.summary.value("PEO", "crossover_thickness", "vs PLM") == pytest.approx(
        exact * 1e6, rel=1e-9)
    assert {"thickness_sweep.png", "thickness_sweep.csv", "summary.csv"} <= {
        p.name for p in tmp_path.iterdir()}


def test_readme_command_with_a_relative_out_folder(tmp_path, monkeypatch):
    """The README's first command as CI runs it: a relative ``--out`` from the checkout."""
    from pathlib import Path

    case = Path(__file__).resolve().parents[2] / "geometries" / "peo_vs_plm.yaml"
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(case), "--out", "out/peo_vs_plm", "--reduced", "--quiet"]) == 0
    info = json.loads((tmp_path / "out/peo_vs_plm/run.json").read_text())
    assert info["status"] == "ok"
    assert all(not Path(f).is_absolute() for f in info["files"]) and "summary.csv" in info["files"]
