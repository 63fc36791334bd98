"""A deposition run with checkpoints: save every step, resume exactly.

A run is saved under its key in a :class:`~ntransport.solve.checkpoint.CheckpointStore`
(the one a study receives): ``<key>`` holds the integrator state (scaled unknowns), the current
mesh (nodes, triangles, named facets), the anode chain, the run's bookkeeping and the
histories, every step; ``<key>_frames`` holds the recorded frames, written when a frame is
added. A resumed run rebuilds the state and the recorder and continues from the last
step as if it had not stopped (the tests compare a killed-and-resumed run with an
uninterrupted one to 1e-12); a finished run is not recomputed.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np

from ..geometry.domain import Domain
from ..solution import Frame
from .deposition import DepositionState, RemeshEvent, scaling_for, solve
from .deposition_fields import HISTORY_KEYS, DepositionRecorder
from .deposition_state import make_state
from .npp_discretise import discretise

__all__ = ["solve_checkpointed"]

_SCALARS = ("t", "step", "y_top", "charge", "area0", "y_top0", "area_fix")


def _domain_arrays(domain, prefix):
    m = domain.mesh
    names = [b for b in domain.boundaries if "|" not in b]
    out = {f"{prefix}p": m.p, f"{prefix}t": m.t, f"{prefix}region": np.asarray(domain.region)}
    for j, b in enumerate(names):
        out[f"{prefix}b{j}"] = m.facets[:, domain.boundaries[b]]
    meta = {"region_names": list(domain.region_names), "boundaries": names}
    return out, meta


def _domain_from(extra, prefix, meta):
    region = np.asarray(extra[f"{prefix}region"])
    groups = {n: np.nonzero(region == k)[0] for k, n in enumerate(meta["region_names"])}
    facets = {b: np.asarray(extra[f"{prefix}b{j}"]).T for j, b in enumerate(meta["boundaries"])}
    return Domain.from_arrays(np.asarray(extra[f"{prefix}p"]).T, np.asarray(extra[f"{prefix}t"]).T,
                              groups, facets)


def _save_state(store, key, state, rec):
    arrays, meta = _domain_arrays(state.domain, "m_")
    arrays["chain"] = state.chain
    for k, name in enumerate(HISTORY_KEYS):
        arrays[f"h{k}"] = np.asarray(rec.rows[name], dtype=float)
    meta.update({s: float(getattr(state, s)) for s in _SCALARS})
    meta["event"] = state.event
    meta["remeshes"] = [dataclasses.asdict(e) for e in state.remeshes]
    store.save(key, state.stepper, model="deposition", run_state=json.dumps(meta), **arrays)


def _save_frames(store, key, state, rec):
    arrays, frames = {}, []
    for k, f in enumerate(rec.frames):
        a, meta = _domain_arrays(f.domain, f"f{k}_")
        arrays.update(a)
        meta.update({"t": f.t, "point": list(f.point_data), "cell": list(f.cell_data)})
        for j, name in enumerate(meta["point"]):
            arrays[f"f{k}_pd{j}"] = np.asarray(f.point_data[name])
        for j, name in enumerate(meta["cell"]):
            arrays[f"f{k}_cd{j}"] = np.asarray(f.cell_data[name])
        frames.append(meta)
    store.save(key + "_frames", state.stepper, model="deposition-frames",
               frames=json.dumps(frames), **arrays)


def _restore(problem, store, key, times):
    """``(state, recorder)`` from the checkpoint of *key*, or None."""
    got = store.load(key)
    if got is None:
        return None
    stepper, extra = got
    meta = json.loads(extra["run_state"])
    domain = _domain_from(extra, "m_", meta)
    system = discretise(problem.npp_problem(domain, t=meta["t"]), scaling=scaling_for(problem))
    state = make_state(problem, system, stepper, domain=domain,
                       chain=np.asarray(extra["chain"], dtype=np.int64), t=meta["t"],
                       y_top=meta["y_top"], charge=meta["charge"], area0=meta["area0"],
                       y_top0=meta["y_top0"], area_fix=meta["area_fix"],
                       remeshes=tuple(RemeshEvent(**r) for r in meta["remeshes"]))
    state = dataclasses.replace(state, step=int(meta["step"]), event=meta["event"])
    rec = DepositionRecorder(problem, times)
    for k, name in enumerate(HISTORY_KEYS):
        rec.rows[name] = [float(x) for x in extra[f"h{k}"]]
    fr = store.load(key + "_frames")
    if fr is not None:
        _, fx = fr
        for k, fm in enumerate(json.loads(fx["frames"])):
            if fm["t"] > state.t * (1 + 1e-12):  # written after the last saved step
                continue
            dom = _domain_from(fx, f"f{k}_", fm)
            rec.frames.append(Frame(fm["t"], dom,
                                    {n: fx[f"f{k}_pd{j}"] for j, n in enumerate(fm["point"])},
                                    {n: fx[f"f{k}_cd{j}"] for j, n in enumerate(fm["cell"])}))
    return state, rec


def solve_checkpointed(key, problem, curve, *, mesh, duration, times, store=None,
                       progress=None, every=5):
    """:func:`~ntransport.solve.deposition.solve` from *curve* to *duration* [s], saved
    under *key* in *store* every step; resumed from (or, if finished, reloaded from) the
    store's checkpoint of *key* when the store was opened with ``resume=True``. The state
    is saved every *every* steps (or the store's own ``every``, if larger), the frames
    whenever one is added, and the last state always.

    *progress* is called with the simulated time of this run [s].
    """
    rec, start = None, curve
    if store is not None:
        got = _restore(problem, store, key, times)
        if got is not None:
            start, rec = got
            if start.event is not None or start.t >= duration * (1 - 1e-12):
                if progress is not None:
                    progress(duration)
                return rec.solution(info=_info(start))
    state_box = {}

    def on_step(state, r):
        n = len(r.frames)
        if progress is not None:
            progress(state.t)
        if store is None:
            return
        if n != state_box.get("frames"):
            _save_frames(store, key, state, r)
            state_box["frames"] = n
        last = state.event is not None or state.t >= duration * (1 - 1e-12)
        if last or state.step - state_box.get("saved", 0) >= max(every, store.every):
            _save_state(store, key, state, r)
            state_box["saved"] = state.step

    sol = solve(problem, start, t_end=duration, mesh=mesh, times=times, recorder=rec,
                on_step=on_step)
    if progress is not None:
        progress(duration)
    return sol


def _info(state: DepositionState) -> dict:
    return {"event": state.event, "steps": state.step,
            "remeshes": [dataclasses.asdict(e) for e in state.remeshes],
            "faraday_shift_total_m2": state.area_fix}
