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
    return run_cycling(cell(20, interphase(SIGMA_ABOVE)), Protocol(I, QH, 100))


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
    # DOP853 at rtol 1e-10 over ~30 restarts: global error well below 1e-7 relative
    np.testing.assert_allclose(res.li_lost, lost, rtol=1e-7, atol=1e-12)
    nW = 20e-6 * RHO_OVER_M - q_sawtooth(res.time) / F - lost / 2
    assert np.max(np.abs(res.li_working - nW)) < 1e-7 * 20e-6 * RHO_OVER_M


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
        assert np.all(res.delta_working == DELTA0) and np.all(res.li_lost == 0.0)
        # steady square wave: every half-cycle has the same |V|
        v = np.abs(res.voltage[res.half_cycle_end])
        assert np.ptp(v) < 1e-12


def test_tunnelling_floor_is_self_limiting():
    lam, it0 = 2e-9, 1e3
    ip = interphase(0.0, tunnel_current=it0, tunnel_length=lam)
    res = run_cycling(cell(20, ip), Protocol(I, QH, 250, samples_per_half_cycle=3))
    assert res.failure is None
    t = res.time
    delta = lam * np.log(np.exp(DELTA0 / lam) + OMEGA * it0 * t / (F * lam))
    np.testing.assert_allclose(res.delta_working, delta, rtol=1e-8)
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
def test_case_file_study_reduced():
    data = validate({k: v for k, v in load_yaml(CASE).items() if k != "study"}, SCHEMA)
    rows = {(r["interphase"], r["working_um"]): r
            for r in failure_rows(run_study(data, duration=60 * 3600.0))}
    assert len(rows) == 12
    for name in ("MII-1", "MII-2"):  # above threshold: 20 um fails, symmetric does not
        assert rows[(name, 20.0)]["failed"] and not rows[(name, 100.0)]["failed"]
    for name in ("MII-3", "SEI"):  # below threshold: nothing depletes
        assert not any(rows[(name, h)]["failed"] for h in (100.0, 50.0, 20.0))
    assert rows[("MII-1", 20.0)]["time_to_failure_h"] < rows[("MII-2", 20.0)]["time_to_failure_h"]
    assert max(r["max_conservation_error"] for r in rows.values()) < 1e-9


def test_case_file_rejects_unknown_key():
    raw = {k: v for k, v in load_yaml(CASE).items() if k != "study"}
    raw["protocol"] = {**raw["protocol"], "curent_density": "1 mA/cm^2"}
    with pytest.raises(ConfigError, match="unknown key 'curent_density'. Did you mean "
                                          "'current_density'"):
        validate(raw, SCHEMA)
    raw = {k: v for k, v in load_yaml(CASE).items() if k != "study"}
    raw["interphases"] = {"X": {**raw["interphases"]["MII-1"], "V_FM": 1.5}}
    data = validate(raw, SCHEMA)
    with pytest.raises(ValueError, match="V_FM must lie in"):
        run_study(data, duration=7200.0)


def test_fem_law_variant_uses_percolation_fit():
    """The FEM fit (ntransport.percolation) plugs in; same numbers as the placeholder law."""
    from ntransport.studies.li_inventory import sigma_e_law

    fem = validate({"type": "fem", "sigma0": 2.0, "V_p": 0.25, "n": 1.8,
                    "metal_conductivity": "1e-3 S/m"}, SCHEMA.fields["conductivity_law"])
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
