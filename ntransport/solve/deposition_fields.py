r"""What a deposition run records: frames (fields on the moving meshes) and histories.

Frame fields (SI, :class:`~ntransport.solution.Frame`):

* point data: ``c_<species> [mol m-3]`` for every species, ``phi [V]``;
* cell data (P0 from the P1 solution, :mod:`ntransport.physics.nernst_planck`):
  ``N_<species> diffusion`` :math:`=-D\nabla c`, ``N_<species> migration``
  :math:`=-Dzc\tfrac{F}{RT}\nabla\phi` (element-mean c) and their sum ``N_<species>``
  [mol m-2 s-1] for every mobile species; the current density
  ``i [A m-2]`` :math:`= F\sum_k z_kN_k`.

Histories (one value per accepted step, and t = 0): ``t [s]``, ``defect height [m]``
(tip above the far-field surface at the walls), ``tip-to-flat current ratio [1]``,
``cell voltage [V]`` (the Li electrode potential against the bulk reference at the top:
kinetic + ohmic + concentration overpotential of the half cell), ``deposited volume
[m2]`` and ``Faraday volume [m2]`` (per unit depth: :math:`\int I\,dt\,M/(F\rho)`),
``volume balance error [1]``, ``mean advance [m]``, ``c_min [mol m-3]`` (reacting
species), ``Faraday shift [1]``, ``dt [s]``, ``remeshes [1]``, ``newton iterations [1]``.
"""
from __future__ import annotations

import numpy as np

from ..constants import F
from ..physics.edges import edge_geometry
from ..physics.nernst_planck import diffusion_flux, migration_flux
from ..solution import Frame, Solution

__all__ = ["frame_fields", "DepositionRecorder", "HISTORY_KEYS"]

HISTORY_KEYS = ("t [s]", "defect height [m]", "tip-to-flat current ratio [1]",
                "cell voltage [V]", "deposited volume [m2]", "Faraday volume [m2]",
                "volume balance error [1]", "mean advance [m]", "c_min [mol m-3]",
                "Faraday shift [1]", "dt [s]", "remeshes [1]", "newton iterations [1]")


def frame_fields(problem, state):
    """``(point_data, cell_data)`` of *state* (module docstring)."""
    m = state.domain.mesh
    geom = edge_geometry(m.p, m.t)
    grad = lambda u: np.einsum("ekx,ke->ex", geom.grads, np.asarray(u)[geom.t])
    gphi = grad(state.phi)
    point = {f"c_{s.name} [mol m-3]": state.concentrations[s.name] for s in problem.species}
    point["phi [V]"] = state.phi
    cell = {}
    i = np.zeros_like(gphi)
    for s in problem.species:
        if s.immobile:
            continue
        c = state.concentrations[s.name]
        D = float(np.max(s.region_array("D", ("electrolyte",))))
        nd = diffusion_flux(np.full(m.t.shape[1], D), grad(c))
        nm = migration_flux(np.full(m.t.shape[1], D), s.z, c[m.t].mean(axis=0), gphi,
                            problem.temperature)
        cell[f"N_{s.name} diffusion [mol m-2 s-1]"] = nd
        cell[f"N_{s.name} migration [mol m-2 s-1]"] = nm
        cell[f"N_{s.name} [mol m-2 s-1]"] = nd + nm
        i = i + F * s.z * (nd + nm)
    cell["i [A m-2]"] = i
    return point, cell


class DepositionRecorder:
    """Collects the histories of every step and the frames at the requested *times*
    (and at the last state); :meth:`solution` returns the :class:`Solution`."""

    def __init__(self, problem, times=()):
        self.problem = problem
        self.times = np.unique(np.asarray(list(times), dtype=float))
        self.frames = []
        self.rows = {k: [] for k in HISTORY_KEYS}

    def _history(self, state):
        p = self.problem
        faraday = -state.charge * p.molar_volume / F
        dep = state.deposited_area
        last_t = self.rows["t [s]"][-1] if self.rows["t [s]"] else state.t
        vals = (state.t, state.defect_height, state.tip_to_flat, state.phi_s, dep, faraday,
                (dep - faraday) / faraday if faraday else 0.0, dep / p.width,
                float(state.c.min()), state.area_fix / abs(faraday) if faraday else 0.0,
                state.t - last_t, float(len(state.remeshes)), float(state.newton_iterations))
        for k, v in zip(HISTORY_KEYS, vals):
            self.rows[k].append(float(v))

    def wants_frame(self, t) -> bool:
        done = {f.t for f in self.frames}
        return any(np.isclose(t, x, rtol=1e-9, atol=1e-9) and x not in done for x in self.times)

    def add(self, state, *, last=False):
        """Record *state* (a frame if its time is requested or *last* is true)."""
        self._history(state)
        if (self.wants_frame(state.t) or last or state.event) and not (
                self.frames and self.frames[-1].t == state.t):
            point, cell = frame_fields(self.problem, state)
            self.frames.append(Frame(state.t, state.domain, point, cell))

    def solution(self, *, info=None) -> Solution:
        hist = {k: np.asarray(v) for k, v in self.rows.items()}
        return Solution(self.frames, histories=hist, model="deposition", info=info or {})
