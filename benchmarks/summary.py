"""Print the markdown tables of benchmarks/README.md from the committed JSON results.

    python benchmarks/summary.py > /tmp/tables.md
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(rel):
    p = HERE / rel
    return json.loads(p.read_text()) if p.exists() else None


def conduction():
    d = _load("conduction/results_full.json")
    if not d or "runs" not in d:
        return []
    rows = ["| case | threads | ntransport min / median | NGSolve best min / median (solver) "
            "| ratio of minima (target <= 0.5) | sigma_eff rel. diff | load avg |",
            "|---|---|---|---|---|---|---|"]
    for run in d["runs"]:
        for r in run["results"]:
            s, b = r["stats"]["ntransport"], r["stats"][r["ngsolve_best"]]
            load = [x["loadavg"][0] for x in r["rounds"]]
            kind = "triangles" if r["dim"] == 2 else "tetrahedra"
            rows.append(
                f"| {r['dim']}D fresh mesh, {r['elements'] / 1e6:.2f} M {kind} | {run['threads']} | "
                f"{s['min']:.2f} / {s['median']:.2f} s | {b['min']:.2f} / {b['median']:.2f} s "
                f"({r['ngsolve_best'].split()[-1]}) | **{r['ratio_of_minima']:.2f}** "
                f"({'met' if r['ratio_of_minima'] <= 0.5 else 'not met'}) | "
                f"{r['sigma_eff_rel_diff']:.0e} | {min(load):.1f}-{max(load):.1f} |")
    return rows


def conduction_stages():
    d = _load("conduction/results_full.json")
    if not d or "runs" not in d:
        return []
    rows = ["| case | threads | ntransport: Domain / solve / same mesh again | "
            "NGSolve: mesh / assemble+BC / solve / energy |", "|---|---|---|---|"]
    for run in d["runs"]:
        for r in run["results"]:
            i = min(range(len(r["rounds"])), key=lambda k: r["rounds"][k]["ntransport"]["seconds"])
            o = r["rounds"][i]["ntransport"]["stages"]
            j = min(range(len(r["rounds"])), key=lambda k: r["rounds"][k][r["ngsolve_best"]]["seconds"])
            n = r["rounds"][j][r["ngsolve_best"]]["stages"]
            rows.append(f"| {r['dim']}D | {run['threads']} | {o['domain']:.2f} / {o['solve']:.2f} / "
                        f"{o['same_mesh_again']:.2f} s | {n['mesh']:.2f} / {n['assemble_bc']:.2f} / "
                        f"{n['solve']:.2f} / {n['energy']:.2f} s |")
    return rows


def _runs_of(folder):
    """``(file name, JSON)`` of results.json and its dated re-runs (results_rerun*.json)."""
    names = ["results.json"] + sorted(p.name for p in (HERE / folder).glob("results_rerun*.json"))
    return [(n, d) for n in names if (d := _load(f"{folder}/{n}"))]


def _per_file(folder, header, rows_of):
    """*header* rows, then ``rows_of(file name, JSON)`` for every results file of *folder*."""
    rows = list(header)
    for name, d in _runs_of(folder):
        rows += rows_of(name, d)
    return rows


def npp():
    return _per_file("npp", ["| file | threads | DOF | ntransport first / next (min) | NGSolve "
                             "first / next (min) | ratio first | ratio next (target <= 0.5) |",
                             "|---|---|---|---|---|---|---|"], _npp_rows)


def _npp_rows(name, d):
    rows = []
    for r in d.get("runs", []):
        s = r["stats"]
        rows.append(f"| `{name}` | {r['threads']} | {r['dofs']:,} | "
                    f"{s['ntransport first']['min']:.2f} / "
                    f"{s['ntransport next']['min']:.2f} s | {s['ngsolve first']['min']:.2f} / "
                    f"{s['ngsolve next']['min']:.2f} s | {r['ratio_of_minima_first']:.2f} | "
                    f"**{r['ratio_of_minima_next']:.2f}** |")
    return rows


def amg():
    d = _load("amg/results.json")
    if not d:
        return []
    bw = d["bandwidth"]
    rows = [f"Bandwidth floor measured in the run: {bw['floor_GBps']:.1f} GB/s (copy "
            f"{bw['copy_GBps']:.1f}, read {bw['read_GBps']:.1f}; one thread, loaded machine).", "",
            "| system | variant | setup min | CG min | its | op. complexity | CG / floor "
            "(target <= 10) | CG in SpMV-at-floor units |", "|---|---|---|---|---|---|---|---|"]
    for r in d["results"]:
        for name, v in r["variants"].items():
            rows.append(f"| {r['dim']}D, {r['n']:,} unknowns | {name} | {v['setup']['min']:.2f} s | "
                        f"{v['solve']['min']:.2f} s | {v['iterations']} | "
                        f"{v['operator_complexity']:.2f} | {v['ratio_to_floor']:.1f} | "
                        f"{v['spmv_equivalents']:.0f} |")
        rows.append(f"| {r['dim']}D | SpMV alone | | {r['spmv_seconds'] * 1e3:.1f} ms | | | "
                    f"{r['spmv_over_floor']:.1f} | |")
    rows += ["", "| system | reuse on the next step | setup | CG | its |", "|---|---|---|---|---|"]
    for r in d["results"]:
        if not r.get("reuse"):
            rows.append(f"| {r['dim']}D | {r.get('reuse_note', 'not measured')} | | | |")
            continue
        for mode in ("none", "prolongators", "all"):
            v = [x[mode] for x in r["reuse"]]
            rows.append(f"| {r['dim']}D | {mode} | {min(x['setup'] for x in v):.2f} s | "
                        f"{min(x['solve'] for x in v):.2f} s | {v[-1]['iterations']} |")
    return rows


def meshing():
    return _per_file("meshing", ["| file | case | variant | wall min | CPU min | mesh stage min "
                                 "| elements | min SICN | mean ratio min / p1 |",
                                 "|---|---|---|---|---|---|---|---|---|"], _meshing_rows)


def _meshing_rows(fname, d):
    rows = []
    for r in d["results"]:
        for name, v in r["variants"].items():
            run = v["runs"][0]
            ratio = (f"{run['mean_ratio_min']:.3f} / {run['mean_ratio_p01']:.3f}"
                     if "mean_ratio_min" in run else "")
            rows.append(f"| `{fname}` | {r['dim']}D | {name} | {v['wall']['min']:.1f} s | "
                        f"{v['cpu']['min']:.1f} s "
                        f"| {v['mesh_stage']['min']:.1f} s | {run['elements']:,} | "
                        f"{min(x['min_sicn'] for x in v['runs']):.3f} | {ratio} |")
    return rows


def scale():
    rows = []
    for name in ("results_10M.json", "results_10M-split.json"):
        d = _load(f"scale/{name}")
        if not d:
            continue
        rows += [f"`{name}`: {d['elements']:,} tetrahedra, {d['nodes']:,} nodes, "
                 f"{d['unknowns']:,} unknowns, nnz {d['nnz']:,}; {d['cg_iterations']} CG "
                 f"iterations; sigma_eff {d['sigma_eff']:.5f} S/m; total {d['total_wall']:.0f} s; "
                 f"peak RSS {d['peak_rss_gb']:.1f} GB.", "",
                 "| stage | wall | CPU | peak RSS | RSS after |", "|---|---|---|---|---|"]
        for k, v in d["stages"].items():
            rows.append(f"| {k} | {v['wall']:.1f} s | {v['cpu']:.1f} s | {v['peak_rss_gb']:.2f} GB | "
                        f"{v['rss_after_gb']:.2f} GB |")
        rows.append("")
    return rows


def cluster():
    d = _load("cluster/results.json")
    if not d:
        return []
    return ["| executor | wall | speed-up vs serial |", "|---|---|---|",
            f"| serial loop, {d['points']} FEM points ({d['elements_per_point']:.0f} triangles each) "
            f"| {d['serial_seconds']:.1f} s | 1 |",
            f"| `sweep(..., n_workers={d['workers']})` (process pool) | "
            f"{d['process_pool_seconds']:.1f} s | {d['speedup_process_pool']:.2f} |",
            f"| `sweep(..., scheduler=LocalCluster({d['workers']} processes).scheduler_address)` | "
            f"{d['dask_seconds']:.1f} s (+ {d['cluster_start_seconds']:.1f} s cluster start) | "
            f"{d['speedup_dask']:.2f} |"]


if __name__ == "__main__":
    for title, fn in (("conduction", conduction), ("conduction stages", conduction_stages),
                      ("npp", npp), ("amg", amg), ("meshing", meshing), ("scale", scale),
                      ("cluster", cluster)):
        print(f"### {title}\n")
        print("\n".join(fn()) + "\n")
