"""Source-study NPP cases (Zhang et al. SI, Figs. S26-S27) at reduced size.

* reading "voltage" (0.01 V between reversible Li electrodes, steady state): the Li+
  concentration difference across the cell equals the analytic 1D value
  (ntransport.physics.polarisation.steady_polarisation: Boltzmann anions, uniform Li+ flux,
  anion conservation, Butler-Volmer electrodes) within 1 % -- measured ~1e-6: the SG scheme is
  second order and the steady-state criterion leaves ~1e-7 -- and PEO/MOF polarises less;
* the 100 x 20 um cells are 1D problems: the solution is uniform along x to round-off
  (1e-10 relative; measured ~1e-15 on the structured mesh with Voronoi dual masses);
* full Poisson (Debye layers resolved) against electroneutrality on the same mesh: < 1 %
  outside 20 Debye lengths (measured 1.4e-4 in c, 6.4e-4 of the cell voltage in phi);
* the layered PLM cell starts in its Donnan equilibrium: at zero current |V| < 1e-6 V and
  dc/dt at round-off.
"""
from pathlib import Path

import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.studies import npp_zhang
from ntransport.studies.registry import load_case, run_study

ROOT = Path(__file__).resolve().parents[2] / "geometries"


def _case(name, **over):
    import yaml

    raw = yaml.safe_load((ROOT / name).read_text())
    raw.update(over)
    return load_case(raw, reduced=True)


@pytest.fixture(scope="module")
def peomof():
    case = _case("npp_peo_vs_peomof.yaml", flux_frames=[0.6])
    return run_study(case, progress=False)


@pytest.fixture(scope="module")
def plm():
    return run_study(_case("npp_peo_vs_plm.yaml", flux_frames=[0.3]), progress=False)


def test_steady_delta_c_matches_analytic_and_mof_polarises_less(peomof):
    r = peomof.summary
    for name in ("PEO", "PEO/MOF"):
        assert abs(r.value(name, "delta_c_relative_error")) < 0.01
        assert r.value(name, "delta_c_Li+_analytic") > 0
    assert r.value("PEO/MOF", "delta_c_Li+_steady") < r.value("PEO", "delta_c_Li+_steady")
    # the binary (no fixed charge), Nernstian limit in closed form: 2 c0 tanh(F V / 4RT) at
    # 60 degC; i0 = 1e4 A/m2 at i ~ 1.1 A/m2 costs 2 (RT/F) i/i0 ~ 6e-6 V of the 0.01 V,
    # i.e. ~6e-4 of Delta c
    dc = 2.0 * np.tanh(0.01 * F / (4 * R * 333.15))  # mol/L
    assert r.value("PEO", "delta_c_Li+_analytic") == pytest.approx(dc, rel=2e-3)
    assert r.value("PEO", "delta_c_Li+_analytic") < dc


def test_100x20_cells_stay_uniform_along_x(peomof):
    for name in ("PEO", "PEO/MOF"):
        for reading in ("voltage", "flux"):
            assert peomof.summary.value(name, f"x_uniformity_{reading}") < 1e-10
    # and directly on a solution: every node row of the last frame
    sol = peomof.solutions["flux_PEO-MOF"]
    y = sol.domain.mesh.p[1]
    c = sol["c_Li+"]
    for yy in np.unique(y)[::7]:
        row = c[y == yy]
        assert np.ptp(row) <= 1e-10 * np.max(np.abs(c))


def test_poisson_matches_electroneutral_outside_the_debye_layers(peomof):
    r = peomof.summary
    assert r.value("PEO", "poisson_vs_electroneutral_max_dc") < 0.01
    assert r.value("PEO", "poisson_vs_electroneutral_max_dphi") < 0.01
    assert r.value("PEO", "debye_length") < 1e-3  # µm: the layers are sub-nanometre


def test_flux_reading_depletes_before_the_cell_polarises(peomof):
    r = peomof.summary
    # the host's Sand time (semi-infinite binary salt) and the measured depletion (1 %) agree
    # to the discretisation (~2 % at this coarse reduced mesh)
    assert r.value("PEO", "depletion_time") == pytest.approx(
        r.value("PEO", "sand_time_analytic"), rel=0.05)
    # immobilised anions delay depletion; sqrt(D t) << thickness at depletion
    assert r.value("PEO/MOF", "depletion_time") > r.value("PEO", "depletion_time")
    for name in ("PEO", "PEO/MOF"):
        assert r.value(name, "diffusion_length_over_thickness") < 0.05
        assert r.value(name, "max_conservation_error_flux") < 1e-12


def test_layered_cell_is_in_equilibrium_at_zero_current(plm):
    r = plm.summary
    for name in ("PEO", "PLM"):
        assert abs(r.value(name, "zero_current_max_abs_voltage")) < 1e-6
        # dc/dt at round-off: the drift over the check is ~1e-16 of the concentrations
        assert r.value(name, "zero_current_max_drift") < 1e-12 * 20.0  # mol/L, c <= 19 mol/L
    # the Donnan potentials of the PE and MOF layers relative to LLZO are tens of mV
    assert 0.01 < r.value("PLM", "equilibrium_layer_potential", "PE") < 0.2


def test_zero_current_check_directly():
    case = _case("npp_peo_vs_plm.yaml")
    els = npp_zhang.check(case)
    data = case.data
    sp, _ = npp_zhang.electrolyte_species(els["PLM"], T=data["temperature"], t0=0.22,
                                          c_salt=1000.0)
    v, rate, drift = npp_zhang.zero_current_check(els["PLM"], sp, data=data,
                                                  T=data["temperature"], steps=4)
    cmax = max(sp[0].c0.values())
    H = 5.6e-6
    Dmax = max(sp[0].D.values())
    assert abs(v) < 1e-6
    assert rate * H**2 / Dmax / cmax < 1e-10  # |dc/dt| over the fastest diffusion time
    assert drift < 1e-13 * cmax


def test_layer_voltages_sum_and_order(plm):
    r = plm.summary
    # under 0.01 V the PE layer (lowest sigma) takes most of the electrolyte's drop
    drops = {n: r.value("PLM", "layer_voltage_voltage", n) for n in ("LLZO", "PE", "MOF")}
    assert drops["PE"] > drops["MOF"] > drops["LLZO"] > 0
    assert sum(drops.values()) < 0.01  # the rest is at the electrodes (Nernst)
    # the PLM carries more current than PEO at the same 0.01 V and polarises less
    assert r.value("PLM", "current_density_steady") > r.value("PEO", "current_density_steady")
    assert r.value("PLM", "delta_c_Li+_steady") < r.value("PEO", "delta_c_Li+_steady")


def test_layer_species_reproduce_sigma_and_transference():
    from ntransport import materials

    T, t0, c = 333.15, 0.22, 1000.0
    layers = [("LLZO", 1.6e-6, materials.get("LLZO")), ("PE", 1e-6, materials.get("PE/PEO")),
              ("MOF", 3e-6, materials.get("Li-IL@MOF"))]
    (li, free, fixed), table = npp_zhang.electrolyte_species(layers, T=T, t0=t0, c_salt=c)
    for name, _, m in layers:
        cp, cf, cx = li.c0[name], free.c0[name], fixed.c0[name]
        Dp, Dm = li.D[name], free.D[name]
        sigma = F**2 / (R * T) * (Dp * cp + Dm * cf)
        assert sigma == pytest.approx(m.conductivity(T), rel=1e-12)
        assert Dp * cp / (Dp * cp + Dm * cf) == pytest.approx(m.transference, rel=1e-12)
        assert cf + cx == pytest.approx(cp, rel=1e-12)  # electroneutral
        assert cp * cf == pytest.approx(c * c, rel=1e-12)  # Donnan: one salt activity
        assert Dm == pytest.approx(Dp * (1 - t0) / t0, rel=1e-12)
