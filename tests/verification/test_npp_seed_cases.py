"""Source-study seed cases at reduced resolution: conservation monitor and sanity of the
layered PLM potential (layer drops sum to the cell voltage, ordered by conductivity)."""

from ntransport.studies import npp_zhang


def test_seed_cases_conserve_and_order_layers():
    res = npp_zhang.peo_vs_plm(ny=40, nx=4, t_end=1e-3)
    for name, (pr, st, info) in res.items():
        assert info["max_conservation_error"] < 1e-8
    pr, st, info = res["PLM"]
    drops = npp_zhang.voltage_per_layer(pr, st, npp_zhang.PLM_LAYERS)
    # layer drops add up to the cell voltage, and the field is strongest where sigma is lowest
    # (axis probe end points are nudged 1e-9 of the size inwards; measured 4e-4)
    assert abs(sum(drops.values()) / info["cell_voltage_V"] - 1) < 2e-3
    field = {n: drops[n] / th for n, th, *_ in npp_zhang.PLM_LAYERS}
    assert field["PE"] > field["MOF"] > field["LLZO"] > 0


def test_immobilised_fraction_reproduces_transference():
    sp = npp_zhang.layer_species(list(npp_zhang.PLM_LAYERS))
    li, free, fixed = sp
    for name, _, sigma, tp in npp_zhang.PLM_LAYERS:
        Dp, Dm = li.D[name], free.D[name]
        cf = free.c0[name]
        t_eff = Dp * 1000.0 / (Dp * 1000.0 + Dm * cf)
        assert abs(t_eff - tp) < 1e-9
        assert abs(free.c0[name] + fixed.c0[name] - 1000.0) < 1e-9


def test_case_file_runs_through_registry(tmp_path):
    from ntransport.studies.registry import load_case, run_case

    case = load_case({"study": "npp_zhang", "comparison": "peo_vs_plm", "ny": 30})
    table = run_case(case, tmp_path)
    for f in ("PEO.vtu", "PLM.vtu", "potential_axis.png", "potential_axis.csv"):
        assert (tmp_path / f).stat().st_size > 0
    rows = {(r.case, r.quantity, r.region): r.value for r in table}
    assert rows[("PLM", "max_conservation_error", "")] < 1e-8
    assert rows[("PLM", "voltage_loss", "PE")] > rows[("PLM", "voltage_loss", "MOF")]
