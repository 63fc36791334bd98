"""The phase-field Newton's guess of the potential along the moving front
(`ntransport.solve.phasefield.potential_guess`, ``XI_SECANT``) against the potential of the
last state, on every run of ``geometries/dendrite_skeleton.yaml`` at full size (the four
runs and the transference sweep's t+ = 1 and 0.5; t+ = 0.22 is the PEO run), each to the
far side of the cell or its end time, at atol = 0.05 (the case's tolerance before it became
0.025); and, with ``--tolerance``, the PEO and PEO+PE runs at the time-step tolerances
atol = 0.05, 0.025 and 0.0125 with and without the
guess (how far the short-circuit time and the tip height move with the step sequence,
against how far they move with the tolerance); with ``--remesh``, every run at the case's
tolerance (0.025) with the front guess, a remesh mapping the state before it too
(``REMESH_KEEPS_HISTORY``) against restarting from the mapped state alone.

Usage: OMP_NUM_THREADS=1 python benchmarks/phasefield/front_guess.py [--tolerance | --remesh]

Interleaved in one process (without, with, per run), same thread count; recorded per run:
accepted steps, rejected attempts, Newton iterations of the accepted steps, LU
factorisations (every Newton iteration of every attempt), wall and CPU time, the time and
tip height reached. Writes ``front_guess.json`` (``front_guess_tolerance.json``,
``front_guess_remesh.json``).
"""
import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RUNS = [("PEO", None), ("PEO+PE", None), ("PEO+PE+mechanics", None),
        ("PEO+PE_TableS1", None), ("PEO", 1.0), ("PEO", 0.5)]


def one(run, t_plus, guess, atol=None, keep=True):
    import ntransport.solve.phasefield as pf
    from ntransport.studies import dendrites
    from ntransport.studies.registry import load_case

    data = load_case(ROOT / "geometries" / "dendrite_skeleton.yaml").data
    if t_plus is not None:
        data["parameters"]["transference"] = t_plus
    prob, xi0, opts, _ = dendrites.build_run(data, run, data["runs"][run])
    atol = opts["atol"] if atol is None else atol
    default, default_keep = pf.XI_SECANT, pf.REMESH_KEEPS_HISTORY
    pf.XI_SECANT = default if guess else None
    pf.REMESH_KEEPS_HISTORY = keep
    solver = pf.default_solver()
    steps = rejected = its = 0
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        for st in pf.run(prob, xi0, t_end=opts["t_end"], dt=data["numerics"]["dt"],
                         stop_height=opts["stop_height"], atol=atol, tol=opts["tol"],
                         solver=solver):
            steps += 1
            rejected += st.stepper.rejected
            its += st.stepper.newton_iterations
    finally:
        pf.XI_SECANT, pf.REMESH_KEEPS_HISTORY = default, default_keep
    return {"run": run, "t+": t_plus or data["parameters"]["transference"],
            "front_guess": guess, "remesh_keeps_history": keep, "atol": atol, "steps": steps, "rejected": rejected,
            "newton_iterations": its, "factorisations": solver.factorisations,
            "t_end [s]": st.t, "tip [um]": float(pf.tip_height(st.domain, st.xi)) * 1e6,
            "wall [s]": time.perf_counter() - w0, "cpu [s]": time.process_time() - c0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--tolerance", action="store_true")
    mode.add_argument("--remesh", action="store_true")
    a = ap.parse_args(argv)
    # (run, t+, front guess, atol, remesh keeps history); the first two modes as measured
    # before the remesh change, the default one at the case's tolerance then (0.05)
    if a.remesh:
        name = "front_guess_remesh.json"
        jobs = [(run, tp, True, None, keep) for run, tp in RUNS for keep in (False, True)]
    elif a.tolerance:
        name = "front_guess_tolerance.json"
        jobs = [(run, None, guess, tol, False) for run in ("PEO", "PEO+PE")
                for tol in (0.05, 0.025, 0.0125) for guess in (False, True)]
    else:
        name = "front_guess.json"
        jobs = [(run, tp, guess, 0.05, False) for run, tp in RUNS for guess in (False, True)]
    rows = []
    for job in jobs:
        r = one(*job)
        print(json.dumps(r), flush=True)
        rows.append(r)
    out = {"threads": os.environ.get("OMP_NUM_THREADS"), "load": os.getloadavg(),
           "date": time.strftime("%Y-%m-%d %H:%M"), "runs": rows}
    (HERE / name).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
