"""PARDISO on 1 thread against 2 threads, per matrix size: where does MKL's threading pay?

Usage: OMP_NUM_THREADS=2 python benchmarks/linear/pardiso_threads.py [repeats]

The matrices of ``pardiso_settings.py`` (phase-field Newton Jacobian of the full-size PEO
run, 11 k unknowns; 2D P1 Poisson 66 k, 263 k and 1.05 M; 3D P1 Poisson 30 k) plus a 2D
Poisson of 16 k. One handle per matrix with ntransport's ``PARDISO_IPARM``; analysis +
factorisation once, then per repeat a refactorisation (analysis reused) + one solve at 1
thread and at 2 threads, interleaved (1 2 1 2 ...), the thread count set with
``MKL_Set_Num_Threads_Local`` (``ntransport.solve.linear.mkl_threads``). Minimum over the
repeats; writes ``pardiso_threads.json``.
"""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from pardiso_settings import phasefield_jacobian, poisson  # noqa: E402

HERE = Path(__file__).parent


def compare(A, repeats):
    import pypardiso

    from ntransport.solve.linear import PARDISO_IPARM, mkl_threads

    A = A.tocsr()
    A.sort_indices()
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    # one handle per thread count: MKL's PARDISO crashes (segfault, MKL 2026.2) when a
    # factorisation is solved on fewer threads than it was made with and then refactorised
    # on more, so every phase of a handle runs on the same count (as in solve/linear.py)
    handles, times, xs = {}, {1: [], 2: []}, {}
    for nt in (1, 2):
        s = handles[nt] = pypardiso.PyPardisoSolver()
        for i, v in PARDISO_IPARM.items():
            s.set_iparm(i + 1, v)
        with mkl_threads(nt):
            s.set_phase(12)
            s._call_pardiso(A, np.zeros((A.shape[0], 1)))
    for _ in range(repeats):
        for nt, s in handles.items():
            with mkl_threads(nt):
                t0 = time.perf_counter()
                s.set_phase(22)
                s._call_pardiso(A, np.zeros((A.shape[0], 1)))
                s.set_phase(33)
                xs[nt] = s._call_pardiso(A, b)
                times[nt].append(time.perf_counter() - t0)
    x = xs[1]
    res = float(np.linalg.norm(A @ x - b) / np.linalg.norm(b))
    return {"refactor+solve [s]": {str(k): v for k, v in times.items()},
            "min 1 thread [s]": min(times[1]), "min 2 threads [s]": min(times[2]),
            "speed-up 2 threads": min(times[1]) / min(times[2]), "residual": res}


def main(repeats=7):
    mats = {"phase-field Jacobian": phasefield_jacobian,
            "2D Poisson 16 k": lambda: poisson(2, 6), "2D Poisson 66 k": lambda: poisson(2, 7),
            "2D Poisson 263 k": lambda: poisson(2, 8), "2D Poisson 1.05 M": lambda: poisson(2, 9),
            "3D Poisson 30 k": lambda: poisson(3, 5)}
    res = {"load": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M"),
           "repeats": repeats, "matrices": {}}
    for name, make in mats.items():
        A = make()
        r = compare(A, repeats)
        res["matrices"][name] = {"n": A.shape[0], "nnz": int(A.nnz), **r}
        print(f"{name:24s} n={A.shape[0]:8d} 1 thread {r['min 1 thread [s]'] * 1e3:8.1f} ms  "
              f"2 threads {r['min 2 threads [s]'] * 1e3:8.1f} ms  x{r['speed-up 2 threads']:.2f}",
              flush=True)
    res["load after"] = os.getloadavg()
    (HERE / "pardiso_threads.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
