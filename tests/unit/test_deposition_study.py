"""The deposition_defect study: the case file, resolved parameters, bad input, and the
reduced run's numbers (i0 sweep monotone, LPC focuses more than LPC@2%UCPBA)."""
import copy
from pathlib import Path

import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError
from ntransport.physics.ale import LI_MOLAR_VOLUME
from ntransport.studies.deposition import resolve
from ntransport.studies.registry import check_case, load_case, run_study

CASE = Path(__file__).resolve().parents[2] / "geometries" / "deposition_defect.yaml"


def _raw():
    import yaml

    return yaml.safe_load(CASE.read_text())


def _case(**changes):
    raw = _raw()
    raw.update(changes)
    return load_case(raw, reduced=False)


def test_case_file_matches_paper():
    d = load_case(CASE, reduced=False).data
    assert (d["width"], d["height"]) == pytest.approx((5e-6, 3e-6))
    assert d["temperature"] == pytest.approx(318.0)
    assert d["current_density"] == pytest.approx(3.0)  # 0.3 mA/cm2 in A/m2
    assert d["duration"] == pytest.approx(7200.0)
    assert (d["alpha_a"], d["alpha_c"]) == (0.5, 0.5)
    assert d["electrolytes"] == ["LPC", "LPC@2%UCPBA"]
    assert [x * 0.1 for x in d["i0_sweep"]] == pytest.approx([1, 3, 10, 30])
    red = load_case(CASE, reduced=True).data
    assert red["h_anode"] > d["h_anode"] and red["duration"] < d["duration"]


def test_conductivity_at_318_K_and_cited_exchange_currents():
    """σ(318 K) through each material's activation energy (LPC: 0.33 eV, the case file's
    stated assumption); i0 from the symmetric cells: 60 mV (LPC) and 30 mV (UCPBA) at
    0.1 mA/cm², minus the bulk polarisation i L/(σ t+) of a 100 µm membrane at 25 °C,
    over two electrodes, inverted with Butler-Volmer (α = 1/2: i = 2 i0 sinh(fη/2))."""
    res = resolve(load_case(CASE, reduced=False))
    T, T25 = 318.0, 298.15
    for name, s25, ea, t, eta in (("LPC", 0.012, 0.33, 0.42, 0.060),
                                  ("LPC@2%UCPBA", 0.036, 0.24, 0.60, 0.030)):
        p = res[name]["parameters"]
        sigma = s25 * np.exp(-ea * 96485.33212 / R * (1 / T - 1 / T25))
        assert p["conductivity at 318 K [S/m]"] == pytest.approx(sigma, rel=1e-6)
        dp, dm = res[name]["species"][0].D, res[name]["species"][1].D
        assert F ** 2 * 1000.0 * (dp + dm) / (R * T) == pytest.approx(sigma, rel=1e-9)
        assert dp / (dp + dm) == pytest.approx(t, rel=1e-12)
        bulk = 1.0 * 100e-6 / (s25 * t)
        eta_ct = 0.5 * (eta - bulk)
        i0 = 1.0 / (2 * np.sinh(F * eta_ct / (2 * R * T25)))
        assert p["i0 [A/m2]"] == pytest.approx(i0, rel=1e-9)
        assert "lower bound" in p["i0_source"]
    # the numbers quoted in the case file and notes
    assert res["LPC"]["parameters"]["i0 [A/m2]"] * 0.1 == pytest.approx(0.125, abs=5e-4)
    assert res["LPC@2%UCPBA"]["parameters"]["i0 [A/m2]"] * 0.1 == pytest.approx(0.200, abs=5e-4)


@pytest.mark.parametrize(("changes", "match"), [
    ({"snapshots": ["3 h"]}, r"snapshots\[0\]: 10800 s lies outside \[0, duration = 7200 s\]"),
    ({"snapshots": ["-1 min"]}, r"snapshots\[0\]: must be >= 0"),
    ({"electrolytes": ["LCP"]}, r"unknown material 'LCP'.*LPC"),
    ({"h_max": "0.01 um"}, r"h_max = .* smaller than h_anode"),
    ({"defect_height": "2 um"}, r"defect_height = .* less than half"),
    ({"symmetric_cells": {}}, r"exchange_current_density: no value for 'LPC'"),
    ({"electrolyte_overrides": {}}, r"activation energy unknown.*activation_energy"),
    ({"contrast_i0": "5 mA/cm^2"}, r"contrast_i0 = 5 mA/cm² is not one of i0_sweep"),
    ({"i0_sweep": ["-1 mA/cm^2"]}, r"i0_sweep\[0\]: must be > 0"),
    ({"frames": 1}, r"frames: 1 animation frames; give at least 2"),
    ({"alpha_c": 5e5}, r"alpha_c must be <= 1 \(a transfer coefficient of the one-electron "
                       r"Li\+/Li reaction, usually 0.5\), got 500000.0"),
    ({"alpha_a": 0, "alpha_c": 0}, r"alpha_a and alpha_c are both 0"),
    ({"duration": "2 h", "temperature": "318 mA"}, r"temperature"),
    ({"defect_widht": "1 um"}, r"unknown key 'defect_widht'.*defect_width"),
])
def test_bad_input_is_refused_with_a_clear_message(changes, match):
    with pytest.raises(ConfigError, match=match):
        check_case(_case(**changes))


def test_symmetric_cell_that_the_bulk_explains_is_refused():
    raw = _raw()
    raw["symmetric_cells"] = copy.deepcopy(raw["symmetric_cells"])
    raw["symmetric_cells"]["LPC"]["thickness"] = "1 mm"
    with pytest.raises(ConfigError, match=r"symmetric_cells.LPC: the bulk polarisation .* "
                                          r"exceeds the measured"):
        check_case(load_case(raw, reduced=False))


@pytest.fixture(scope="module")
def reduced():
    return run_study(load_case(CASE, reduced=True), progress=False)


def test_reduced_run_faraday_and_volume_balance(reduced):
    t = 1200.0
    faraday = 3.0 * t * LI_MOLAR_VOLUME / F
    for key, sol in reduced.solutions.items():
        assert sol.history("mean advance [m]")[-1] == pytest.approx(faraday, rel=1e-9), key
        # the deposited volume equals the Faraday volume at every step, across remeshes
        assert np.abs(sol.history("volume balance error [1]")).max() <= 1e-12, key
    # the growing LPC dome at 30 mA/cm² is remeshed: the balance holds across remeshes
    assert len(reduced.solutions["LPC_i0_30mAcm2"].info["remeshes"]) >= 1
    for name in ("LPC", "LPC@2%UCPBA"):
        assert reduced.value(name, "Faraday volume balance error (max)") <= 1e-12


def test_i0_sweep_tip_ratio_grows_with_i0_and_lpc_focuses_more(reduced):
    tab = reduced.tables["i0_sweep"]
    el = np.asarray(tab["electrolyte"])
    i0 = np.asarray(tab["i0 [mA/cm2]"])
    ratio = np.asarray(tab["tip-to-flat current ratio [1]"])
    for name in ("LPC", "LPC@2%UCPBA"):
        order = np.argsort(i0[el == name])
        r = ratio[el == name][order]
        assert np.all(np.diff(r) > 0), (name, r)
    lpc = ratio[el == "LPC"][np.argsort(i0[el == "LPC"])]
    ucp = ratio[el == "LPC@2%UCPBA"][np.argsort(i0[el == "LPC@2%UCPBA"])]
    assert np.all(lpc > ucp)
    # at the cited i0 (the symmetric-cell bounds) the ordering holds too, if barely
    assert (reduced.value("LPC", "tip-to-flat current ratio at end")
            > reduced.value("LPC@2%UCPBA", "tip-to-flat current ratio at end") > 1.0)


def test_reduced_solutions_hold_every_field(reduced):
    sol = reduced.solutions["LPC"]
    for key in ("c_Li+ [mol m-3]", "c_TFSI- [mol m-3]", "phi [V]", "N_Li+ diffusion [mol m-2 s-1]",
                "N_Li+ migration [mol m-2 s-1]", "N_Li+ [mol m-2 s-1]", "i [A m-2]"):
        assert key in sol.frames[-1], key
    f = sol.frames[-1]
    np.testing.assert_allclose(f["N_Li+ [mol m-2 s-1]"], f["N_Li+ diffusion [mol m-2 s-1]"]
                               + f["N_Li+ migration [mol m-2 s-1]"])
    # electroneutral binary salt: the anion follows Li+
    np.testing.assert_allclose(f["c_TFSI- [mol m-3]"], f["c_Li+ [mol m-3]"], rtol=1e-12)
    assert len(sol.domains) > 1  # frames on several meshes (remeshed)
    for k in ("t [s]", "defect height [m]", "tip-to-flat current ratio [1]",
              "cell voltage [V]", "deposited volume [m2]", "volume balance error [1]"):
        assert k in sol.histories
    assert set(reduced.animations) == {"deposition", "deposition_i0_30mAcm2"}
    assert {"flux_snapshots", "concentration_snapshots", "i0_sweep",
            "flux_snapshots_i0_30mAcm2"} <= set(reduced.figures)


def test_animation_frames_show_the_cell_as_it_is_then(reduced, monkeypatch):
    """Each GIF frame's view runs from just below the Li surface to the cell's top at that
    time (the top follows the advancing Li): a view fixed at the first frame's cell showed
    Li only by the end of the full case."""
    from ntransport.post import deposition as post

    views = []

    def capture(fig, draw, n, **kw):
        for k in range(n):
            draw(k)
            views.append([ax.get_ylim() for ax in fig.axes[:2]])
            for ax in fig.axes[:2]:
                for a in list(ax.collections) + list(ax.lines) + list(ax.texts):
                    a.remove()
        return b""

    monkeypatch.setattr(post.style, "gif", capture)
    sols = {name: reduced.solutions[key] for name, key in
            (("LPC", "LPC"), ("LPC@2%UCPBA", "LPC@2pcUCPBA"))}
    post.animation(sols)
    ref = sols["LPC"]
    assert len(views) == len(ref.frames)
    for (a, b), f in zip(views, ref.frames):
        assert a == b  # one view for both panels
        tops = [post._frame_at(s, f.t).domain.mesh.p[1].max() * 1e6 for s in sols.values()]
        lows = [post._anode(post._frame_at(s, f.t))[:, 1].min() * 1e6 for s in sols.values()]
        assert a[1] == pytest.approx(min(tops), rel=1e-12)
        assert a[0] == pytest.approx(min(lows) - 0.15, rel=1e-12)
    # the Li advanced (0.3 mA/cm2 for 20 min: 0.49 um on average; its lowest point, on
    # the flat beside the focusing dome, somewhat less): so did the view
    mean = 3.0 * 1200.0 * LI_MOLAR_VOLUME / F * 1e6
    assert 0.8 * mean < views[-1][0][0] - views[0][0][0] < mean
