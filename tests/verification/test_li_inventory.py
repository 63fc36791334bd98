"""Verification: Li inventory of Li|SE|Li cells with a growing, electronically leaky interphase.

The predictions below are derived here from the growth law integrated by hand, not from
the code under test:

* parabolic law (no tunnelling): delta(t)^2 = delta0^2 + 2 Omega s dV t / F with
  s = sigma_e sigma_i / (sigma_e + sigma_i); Li lost per electrode (delta - delta0)/Omega;
* logarithmic law (sigma_e = 0, tunnelling i_t0 exp(-delta/lambda)):
  delta(t) = lambda ln(exp(delta0/lambda) + Omega i_t0 t / (F lambda));
* working-electrode inventory n_W(t) = n_W0 - q(t)/F - lost_W(t), q the sawtooth charge.
"""
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from ntransport.config import load_yaml, validate
from ntransport.errors import ConfigError
from ntransport.physics.interphase import Interphase
from ntransport.solve.cell_cycling import Electrode, LiCell, Protocol, run_cycling
from ntransport.studies.li_inventory import SCHEMA, failure_rows, run_study

F = 96485.33212
RHO_OVER_M = 534.0 / 6.941e-3  # mol/m3 of Li metal
OMEGA, DV, DELTA0, SIG_I = 2e-5, 1.7, 20e-9, 1e-2
I, QH = 5.0, 0.5 * 36000.0  # 0.5 mA/cm2, 0.5 mAh/cm2 per half-cycle
TH = QH / I  # 3600 s
CASE = Path(__file__).resolve().parents[2] / "geometries" / "li_inventory.yaml"


def interphase(sigma_e, **kw):
    return Interphase("test", 0.5, sigma_e, SIG_I, delta0=DELTA0, molar_volume=OMEGA,
                      driving_voltage=DV, i0=50.0, **{"tunnel_current": 0.0, **kw})


def cell(working_um, ip):
    return LiCell(Electrode(working_um * 1e-6), Electrode(100e-6), ip, 1.2e-3, 0.35)


def lost_parabolic(t, sigma_e):
    """Li lost per electrode [mol/m2], by hand from the parabolic law."""
    s = sigma_e * SIG_I / (sigma_e + SIG_I)
    return (np.sqrt(DELTA0**2 + 2 * OMEGA * s * DV * np.asarray(t) / F) - DELTA0) / OMEGA


def t_of_lost(L, sigma_e):
    """Inverse of lost_parabolic."""
    s = sigma_e * SIG_I / (sigma_e + SIG_I)
    return F * ((DELTA0 + OMEGA * L) ** 2 - DELTA0**2) / (2 * OMEGA * s * DV)


def q_sawtooth(t):
    """Net charge moved out of W at time t when W strips first [C/m2]."""
    k, tau = np.divmod(np.asarray(t, float), TH)
    return np.where(k % 2 == 0, I * tau, I * (TH - tau))


SIGMA_ABOVE = 2e-5  # S/m, an interphase above the percolation threshold


@pytest.fixture(scope="module")
def asym20():
    return run_cycling(cell(20, interphase(SIGMA_ABOVE)), Protocol(I, QH, 100, rtol=1e-9))


def test_li_conservation_every_half_cycle(asym20):
    res = asym20
    assert res.failure is not None and len(res.half_cycle_end) > 10
    # exact by construction: only rounding (inventories ~1e0 mol/m2, eps 2e-16)
    assert res.conservation_error().max() < 1e-9
    # and every sample, not just half-cycle ends
    tot = res.li_working + res.li_counter + res.li_lost
    assert np.max(np.abs(tot / res.initial_inventory - 1)) < 1e-9


def test_li_lost_follows_parabolic_law_and_inventory_balance(asym20):
    res = asym20
    lost = 2 * lost_parabolic(res.time, SIGMA_ABOVE)  # both electrodes grow alike
    # adaptive BDF2 at a local tolerance of 1e-9 (the one time controller): the global
    # error of the integrated law stays near 1e-6 relative (measured 1.2e-6); 5e-6
    np.testing.assert_allclose(res.li_lost, lost, rtol=5e-6, atol=1e-12)
    nW = 20e-6 * RHO_OVER_M - q_sawtooth(res.time) / F - lost / 2
    assert np.max(np.abs(res.li_working - nW)) < 5e-6 * 20e-6 * RHO_OVER_M


def predicted_depletion(working_um, sigma_e):
    """First t where n_W(t) = 0, scanning the stripping half-cycles (by hand)."""
    n0 = working_um * 1e-6 * RHO_OVER_M
    nW = lambda t: n0 - q_sawtooth(t) / F - lost_parabolic(t, sigma_e)
    for k in range(0, 10000, 2):
        a, b = k * TH, (k + 1) * TH * (1 - 1e-14)
        if nW(b) <= 0:
            return brentq(nW, a, b, xtol=1e-6)
    raise AssertionError("no depletion predicted")


def test_thin_electrode_depletes_when_inventory_balance_says(asym20):
    f = asym20.failure
    assert f.reason == "depletion" and f.electrode == "working"
    assert f.voltage == pytest.approx(5.0, abs=1e-6)
    n0 = 20e-6 * RHO_OVER_M
    # coarse balance: the lost Li lies between n0 minus one half-cycle's charge and n0
    t_lo, t_hi = t_of_lost(n0 - QH / F, SIGMA_ABOVE), t_of_lost(n0, SIGMA_ABOVE)
    assert t_lo - TH <= f.time <= t_hi
    # fine prediction: the voltage jump happens when the Li is gone. The contact model
    # leaves ~1e-5 of 0.5 um of Li at 5 V; stripping that takes << 1 s.
    t_pred = predicted_depletion(20, SIGMA_ABOVE)
    assert f.half_cycle == int(t_pred // TH)  # the predicted stripping half-cycle
    assert abs(f.time - t_pred) < 1.0, (f.time, t_pred)


def test_50um_cell_fails_later_as_predicted():
    res = run_cycling(cell(50, interphase(SIGMA_ABOVE)), Protocol(I, QH, 400))
    assert res.failure is not None and res.failure.reason == "depletion"
    assert abs(res.failure.time - predicted_depletion(50, SIGMA_ABOVE)) < 1.0


def test_symmetric_cell_hides_the_loss(asym20):
    """The paper's 'misleading' result: same interphase, no jump in the same time."""
    t_fail = asym20.failure.time
    cycles = int(math.ceil(1.5 * t_fail / (2 * TH)))
    sym = run_cycling(cell(100, interphase(SIGMA_ABOVE)), Protocol(I, QH, cycles))
    assert sym.failure is None and sym.time[-1] >= 1.5 * t_fail
    # it lost as much Li per electrode as the failed asymmetric cell, and more ...
    assert sym.li_lost[-1] / 2 > 20e-6 * RHO_OVER_M
    # ... yet shows only a small, slowly rising polarisation
    ends = np.abs(sym.voltage[sym.half_cycle_end])
    assert ends.max() < 0.2
    assert np.all(np.diff(ends[1:]) >= -1e-12) and ends[-1] > ends[1]


def test_no_electronic_leakage_no_growth_no_depletion():
    ip = interphase(0.0)
    for um in (20, 100):
        res = run_cycling(cell(um, ip), Protocol(I, QH, 100, samples_per_half_cycle=3))
        assert res.failure is None
        # zero growth rate: BDF steps reproduce delta0 to rounding (a0 + a1 + a2 = 0)
        np.testing.assert_allclose(res.delta_working, DELTA0, rtol=1e-13)
        assert np.max(np.abs(res.li_lost)) < 1e-12 * RHO_OVER_M * 20e-6
        # steady square wave: every half-cycle has the same |V|
        v = np.abs(res.voltage[res.half_cycle_end])
        assert np.ptp(v) < 1e-12


def test_tunnelling_floor_is_self_limiting():
    lam, it0 = 2e-9, 1e3
    ip = interphase(0.0, tunnel_current=it0, tunnel_length=lam)
    res = run_cycling(cell(20, ip), Protocol(I, QH, 250, samples_per_half_cycle=3, rtol=1e-10))
    assert res.failure is None
    t = res.time
    delta = lam * np.log(np.exp(DELTA0 / lam) + OMEGA * it0 * t / (F * lam))
    # BDF2 at a local tolerance of 1e-10: global error ~1e-8 relative (measured)
    np.testing.assert_allclose(res.delta_working, delta, rtol=1e-7)
    # growth rate decays like 1/t: 500 h lose < 0.1 % of the 20 um foil
    assert res.li_lost[-1] / 2 < 1e-3 * 20e-6 * RHO_OVER_M
    t_u, j = np.unique(t, return_index=True)  # half-cycle boundaries are sampled twice
    rate = np.diff(res.delta_working[j]) / np.diff(t_u)
    assert rate[-1] < 1e-3 * rate[0]


def test_first_half_cycle_exhaustion_is_rejected():
    with pytest.raises(ConfigError, match=r"0\.5 mAh/cm2 would exhaust the working electrode "
                                          r"\(2 um = 0\.4\d+ mAh/cm2\) in the first half-cycle"):
        run_cycling(cell(2, interphase(0.0)), Protocol(I, QH, 3))
    # the counter electrode stripped first is checked too
    c = LiCell(Electrode(100e-6), Electrode(1e-6), interphase(0.0), 1e-3, 0.3)
    with pytest.raises(ConfigError, match="exhaust the counter electrode"):
        run_cycling(c, Protocol(I, QH, 3, first_strip="counter"))


# --- the paper's study, reduced -------------------------------------------------------
def test_stoichiometric_metal_fraction_matches_hand_calculation():
    """V_FM of the LGPS-derived MII by hand: 1/4 Li15Ge4 among 12 Li2S + 2 Li3P."""
    from ntransport.physics.interphase import mii_composition

    v = {"Li2S": 12 * 45.95 / 1.66, "Li3P": 2 * 51.80 / 1.43, "Li15Ge4": 0.25 * 394.6 / 2.09}
    assert mii_composition({"LGPS": 1}).V_FM == pytest.approx(v["Li15Ge4"] / sum(v.values()),
                                                             rel=1e-12)
    v2 = {k: 4 * x for k, x in {"Li2S": 5 * 45.95 / 1.66, "Li3P": 51.80 / 1.43,
                                "LiCl": 42.39 / 2.07}.items()}
    tot = sum(v.values()) + sum(v2.values())
    c = mii_composition({"LPSC": 4, "LGPS": 1})
    assert c.V_FM == pytest.approx(v["Li15Ge4"] / tot, rel=1e-12)
    # interphase volume per mole of Li consumed: 4 x 8 + 23.75 Li
    assert c.molar_volume == pytest.approx(tot / (4 * 8 + 23.75) * 1e-6, rel=1e-12)
    assert 0 < c.V_FM_sd < 0.05 * c.V_FM
    with pytest.raises(ConfigError, match="unknown electrolyte 'LPCS'|LPCS"):
        from ntransport.studies.li_inventory import interphase_fractions
        interphase_fractions({"V_FM": None, "composition": {"LPCS": 1},
                              "ratio_basis": "molar"})


def test_shared_growth_integration_equals_single_cells():
    ip = interphase(SIGMA_ABOVE)
    cells = [cell(h, ip) for h in (100, 50, 20)]
    from ntransport.solve.cell_cycling import run_cycling_cells

    prot = Protocol(I, QH, 20)
    many = run_cycling_cells(cells, prot)
    for c, r in zip(cells, many):
        one = run_cycling(c, prot)
        np.testing.assert_array_equal(one.time, r.time)
        np.testing.assert_array_equal(one.li_working, r.li_working)
        assert (one.failure is None) == (r.failure is None)


@pytest.fixture(scope="module")
def case_result():
    from ntransport.studies.registry import load_case, run_study as run_case_study

    return run_case_study(load_case(CASE, reduced=True), progress=False)


def test_case_file_predicts_the_12_cells_with_exact_bookkeeping(case_result):
    res = case_result
    table = res.tables["fig2_comparison"]
    scen = sorted(set(table["scenario"]))
    assert len(table) == 12 * len(scen)
    # bookkeeping: n_W + n_C + lost = n_0 for every cell, to rounding
    err = [r.value for r in res.summary if r.quantity == "Li bookkeeping error (max, relative)"]
    assert len(err) == 12 * len(scen) and max(err) < 1e-12
    # bulk percolation of spheres: every stoichiometric V_FM (<= 0.105) is below V_p,
    # so no cell loses its Li -- the paper's MII-1/MII-2 asymmetric failures are NOT
    # reproduced by eqn (2) with the sphere threshold
    bulk = [i for i, s in enumerate(table["scenario"]) if s == "bulk"]
    assert all(table["predicted: depleted [1]"][i] == 0.0 for i in bulk)
    # thin film: MII-1 (0.104) is above the film's first-spanning fraction -> the 20 um
    # cell depletes before the 50 um one; MII-3 and the SEI never deplete
    film = {(table["interphase"][i], table["cell"][i]): i
            for i, s in enumerate(table["scenario"]) if s == "film"}
    t = table["predicted time to +-5 V [h]"]
    assert 0 < t[film[("MII-1", "100|20")]] < t[film[("MII-1", "100|50")]]
    for name in ("MII-3", "SEI"):
        for c in ("100|100", "100|50", "100|20"):
            assert table["predicted: depleted [1]"][film[(name, c)]] == 0.0


def test_case_file_rejects_unknown_key():
    from ntransport.studies.registry import load_case

    raw = load_yaml(CASE)
    raw["protocol"] = {**raw["protocol"], "curent_density": "1 mA/cm^2"}
    with pytest.raises(ConfigError, match="unknown key 'curent_density'. Did you mean "
                                          "'current_density'"):
        load_case(raw)
    raw = load_yaml(CASE)
    raw["interphases"] = {"X": {**raw["interphases"]["MII-1"], "V_FM": 0.3}}
    with pytest.raises(ConfigError, match="give only one of \\['composition', 'V_FM'\\]"):
        load_case(raw)
    data = validate({k: v for k, v in load_yaml(CASE).items() if k not in ("study", "reduced")},
                    SCHEMA)
    data["interphases"] = {"X": {**data["interphases"]["MII-1"], "composition": None,
                                 "V_FM": 1.5}}
    with pytest.raises(ValueError, match="V_FM must lie in"):
        run_study(data, duration=7200.0)


def test_fem_law_variant_uses_percolation_fit():
    """The FEM fit (ntransport.percolation) plugs in; same numbers as the placeholder law."""
    from ntransport.studies.li_inventory import sigma_e_law

    fem = validate({"type": "fem", "sigma0": 2.0, "V_p": 0.25, "n": 1.8,
                    "metal_conductivity": "1e-3 S/m"}, SCHEMA.fields["conductivity_laws"].value)
    law = sigma_e_law(fem)
    assert law(0.55) == pytest.approx(2.0 * 1e-3 * 0.3**1.8, rel=1e-12)
    assert law(0.2) == 0.0
    mix = sigma_e_law({"type": "mixing", "sigma_metal": 10.0, "sigma_nonmetal": 0.0})
    assert mix(0.1) == pytest.approx(1.0)  # the mixing rule conducts at any V_FM


def test_polarisation_failure_is_not_called_depletion():
    """A resistive cell (1e-4 S/m electrolyte: 60 V at 5 A/m2) fails at once, by polarisation."""
    c = LiCell(Electrode(20e-6), Electrode(100e-6), interphase(0.0), 1.2e-3, 1e-4)
    res = run_cycling(c, Protocol(I, QH, 5))
    f = res.failure
    assert f.reason == "polarisation" and f.half_cycle == 0 and f.time == 0.0
    assert f.voltage == pytest.approx(I * 1.2e-3 / 1e-4, rel=0.01)  # ohmic drop dominates
    # a limit crossed during cycling: the interphase resistance grows (2 V at t = 0,
    # 5 V once delta = 50 nm, i.e. after ~2 min by the parabolic law)
    ip = Interphase("r", 0.5, 5e-8, 5e-8, delta0=DELTA0, molar_volume=OMEGA,
                    driving_voltage=DV, i0=50.0)
    res = run_cycling(LiCell(Electrode(100e-6), Electrode(100e-6), ip, 1e-3, 0.3),
                      Protocol(I, QH, 50))
    f = res.failure
    assert f.reason == "polarisation" and f.time > 0 and f.voltage == pytest.approx(5.0, abs=1e-6)
    assert res.li_working[-1] > 1e-6 * RHO_OVER_M  # Li left: not a depletion
