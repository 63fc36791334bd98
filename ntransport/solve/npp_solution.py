r"""Collect the states of an NPP run into a :class:`~ntransport.solution.Solution`.

:class:`NPPRecorder` is fed every :class:`~ntransport.solve.npp_problem.NPPState` of
:func:`ntransport.solve.npp.run`; it keeps

* **frames** at the requested times (and the last state): every concentration, the
  potential, the fluxes split into their named pieces ``"N_Li+ diffusion"``,
  ``"N_Li+ migration"`` and their sum, the current density ``"i [A m-2]"``, the field
  and the space charge (:func:`ntransport.post.transport.transport_fields`);
* **histories**, one value per accepted step: ``"t [s]"``, ``"dt [s]"``,
  ``"newton_iterations [1]"``, ``"conservation_error [1]"`` (the largest relative species
  imbalance of the step), ``"V_cell [V]"`` (between the two boundaries of ``voltage``:
  an electrode's solid potential, or the mean electrolyte potential on a boundary that
  is not an electrode), and per electrode ``"i_<name> [A m-2]"`` and
  ``"phi_s_<name> [V]"``.

:meth:`NPPRecorder.arrays` / :meth:`NPPRecorder.restore` turn the record into plain arrays
and back, so a checkpointed run resumes with its frames and histories
(:class:`~ntransport.solve.checkpoint.CheckpointStore` extras).
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ..errors import ConfigError
from ..physics.edges import boundary_node_measure, edge_geometry
from ..physics.electrode import Electrode
from .npp_problem import NPPState

__all__ = ["NPPRecorder"]


class NPPRecorder:
    """Frames at ``times`` [s] (plus the last state) and per-step histories of one run.

    Parameters
    ----------
    problem : NPPProblem
    times : sequence of float
        Frame times [s]; pass the same list to ``run(..., stop_times=times)`` so the run
        lands on them.
    voltage : (str, str), optional
        Boundaries whose potential difference is the history ``"V_cell [V]"`` (default:
        the first two Electrode boundaries, if any).
    """

    def __init__(self, problem, *, times=(), voltage=None):
        self.problem = problem
        self.times = sorted(float(t) for t in times)
        d = problem.domain
        if voltage is None:
            els = [bc.boundary for bc in problem.boundary_conditions if isinstance(bc, Electrode)]
            voltage = tuple(els[:2]) if len(els) >= 2 else None
        if voltage is not None:
            for b in voltage:
                if b not in d.boundaries:
                    from ..errors import unknown_name

                    raise unknown_name("voltage: boundary", b, list(d.boundaries),
                                       exc=ConfigError)
        self.voltage = voltage
        self._weights = {}
        if voltage is not None:
            for b in voltage:
                f = d.mesh.facets[:, d.boundaries[b]]
                w = boundary_node_measure(d.mesh.p, f, d.mesh.nvertices)
                self._weights[b] = w / w.sum()
        self.frames = []  # NPPState-like records (t, concentrations, potential)
        self.hist = {}
        self._geom = None

    # ------------------------------------------------------------------ feeding
    def cell_voltage(self, state) -> float | None:
        """V between the two ``voltage`` boundaries [V] (None if not defined)."""
        if self.voltage is None:
            return None
        v = []
        for b in self.voltage:
            if b in state.electrode_potentials:
                v.append(state.electrode_potentials[b])
            else:
                v.append(float(self._weights[b] @ state.potential))
        return v[0] - v[1]

    def _push(self, key, value):
        self.hist.setdefault(key, []).append(float(value))

    def add(self, state) -> None:
        """Record one accepted state."""
        self._push("t [s]", state.t)
        self._push("dt [s]", state.dt)
        self._push("newton_iterations [1]", state.newton_iterations)
        self._push("conservation_error [1]", max(state.conservation.values(), default=0.0))
        v = self.cell_voltage(state)
        if v is not None:
            self._push("V_cell [V]", v)
        for b, i in state.electrode_currents.items():
            self._push(f"i_{b} [A m-2]", i)
            self._push(f"phi_s_{b} [V]", state.electrode_potentials[b])
        kind = "frame" if self._is_frame_time(state.t) else "last"
        entry = (float(state.t), {k: np.array(v, float) for k, v in state.concentrations.items()},
                 np.array(state.potential, float), kind)
        if self.frames and self.frames[-1][3] == "last":
            self.frames[-1] = entry  # the previous state was only provisionally the last
        else:
            self.frames.append(entry)

    def _is_frame_time(self, t):
        return any(abs(t - x) <= 1e-9 * max(abs(x), 1e-300) for x in self.times)

    # ------------------------------------------------------------------ results
    def states(self):
        """The recorded frames as light NPPState objects (concentrations, potential)."""
        empty = MappingProxyType({})
        return [NPPState(t=t, concentrations=MappingProxyType(c), potential=phi,
                         electrode_potentials=empty, electrode_currents=empty,
                         conservation=empty) for t, c, phi, _ in self.frames]

    def solution(self, *, info=None):
        """A :class:`~ntransport.solution.Solution` (model ``"npp"``)."""
        from ..post.transport import transport_fields
        from ..solution import Frame, Solution

        if not self.frames:
            raise ConfigError("NPPRecorder.solution(): no state was recorded (the run "
                              "yielded nothing).")
        d = self.problem.domain
        if self._geom is None:
            self._geom = edge_geometry(d.mesh.p, d.mesh.t)
        frames = []
        n = d.mesh.nvertices
        for st in self.states():
            f = transport_fields(self.problem, st, geom=self._geom)
            point = {k: v for k, v in f.items() if np.ndim(v) == 1 and np.shape(v)[0] == n}
            cell = {k: v for k, v in f.items() if k not in point}
            frames.append(Frame(st.t, d, point, cell))
        hist = {k: np.array(v) for k, v in self.hist.items()} if self.hist else None
        return Solution(frames, histories=hist, model="npp", info=info)

    # ------------------------------------------------------------------ checkpoints
    def arrays(self) -> dict:
        """The record as plain arrays (for checkpoint extras)."""
        out = {"rec_frame_t": np.array([f[0] for f in self.frames]),
               "rec_frame_kind": np.array([f[3] == "frame" for f in self.frames]),
               "rec_frame_phi": np.array([f[2] for f in self.frames])}
        names = [s.name for s in self.problem.species]
        for k, name in enumerate(names):
            out[f"rec_frame_c{k}"] = np.array([f[1][name] for f in self.frames])
        keys = list(self.hist)
        out["rec_hist_keys"] = np.array(keys)
        out["rec_hist"] = np.array([self.hist[k] for k in keys]) if keys else np.zeros((0, 0))
        return out

    def restore(self, arrays) -> "NPPRecorder":
        """Refill from :meth:`arrays` (a resumed run); returns self."""
        names = [s.name for s in self.problem.species]
        ts = np.asarray(arrays["rec_frame_t"])
        kind = np.asarray(arrays["rec_frame_kind"])
        phi = np.asarray(arrays["rec_frame_phi"])
        self.frames = []
        for i, t in enumerate(ts):
            c = {name: np.asarray(arrays[f"rec_frame_c{k}"])[i] for k, name in enumerate(names)}
            self.frames.append((float(t), c, phi[i], "frame" if kind[i] else "last"))
        keys = [str(k) for k in np.asarray(arrays["rec_hist_keys"])]
        vals = np.asarray(arrays["rec_hist"])
        self.hist = {k: list(map(float, vals[i])) for i, k in enumerate(keys)}
        return self
