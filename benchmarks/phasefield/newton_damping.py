"""The phase-field Newton's two savings, on the full-size PEO run of
``geometries/dendrite_skeleton.yaml`` (t+ = 0.22, to the far side): the per-node
logarithmic damping of the potential update (`ntransport.solve.phasefield.log_damped_potential`,
``PHI_DAMPING``) against Newton's own update, and chord steps in the end-game
(``CHORD_BELOW``: reuse the LU factors once an update is below 1e-2) against a new
factorisation every iteration.

Usage: OMP_NUM_THREADS=1 python benchmarks/phasefield/newton_damping.py [repeats]

Interleaved in one process (A B A B ...), same thread count; recorded per run: accepted
steps, rejected attempts, Newton iterations of the accepted steps, LU factorisations (every
Newton iteration of every attempt, the cost that matters), wall and CPU time, and the tip
height reached. Writes ``newton_damping.json``.
"""
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def one(kappa, chord):
    import ntransport.solve.phasefield as pf
    from ntransport.solve.linear import DirectSolver
    from ntransport.studies import dendrites
    from ntransport.studies.registry import load_case

    data = load_case(ROOT / "geometries" / "dendrite_skeleton.yaml").data
    prob, xi0, opts, _ = dendrites.build_run(data, "PEO", data["runs"]["PEO"])
    pf.PHI_DAMPING, pf.CHORD_BELOW = kappa, chord
    solver = DirectSolver()
    steps = rejected = its = 0
    w0, c0 = time.perf_counter(), time.process_time()
    for st in pf.run(prob, xi0, t_end=opts["t_end"], dt=data["numerics"]["dt"],
                     stop_height=opts["stop_height"], atol=opts["atol"], tol=opts["tol"],
                     solver=solver):
        steps += 1
        rejected += st.stepper.rejected
        its += st.stepper.newton_iterations
    tip = float(pf.tip_height(st.domain, st.xi))
    return {"kappa": kappa, "chord_below": chord, "steps": steps, "rejected": rejected, "newton_iterations": its,
            "factorisations": solver.factorisations, "t_end [s]": st.t,
            "tip [um]": tip * 1e6, "wall [s]": time.perf_counter() - w0,
            "cpu [s]": time.process_time() - c0}


def main(repeats=2):
    runs = []
    for _ in range(repeats):
        for kappa, chord in ((4.0, 1e-2), (4.0, None), (None, None)):
            r = one(kappa, chord)
            print(r, flush=True)
            runs.append(r)
    out = {"threads": os.environ.get("OMP_NUM_THREADS"), "load": os.getloadavg(),
           "date": time.strftime("%Y-%m-%d %H:%M"), "runs": runs}
    (HERE / "newton_damping.json").write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
