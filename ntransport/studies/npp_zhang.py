r"""Source-study cases (Zhang et al., SI "Simulation of Li+ concentration, electric potential,
anion concentration distribution"): PEO vs PEO/MOFs and PEO vs PLM.

Parameters the paper leaves open and the choices made here (all overridable):

* **Electrostatics**: electroneutral. The Debye length in these polymers (~0.1-1 nm at
  1 M) cannot be resolved in 100 um x 20 um; the Poisson model refuses such a mesh.
* **Boundary conditions**: the paper gives both a 0.01 V "overpotential difference" and a
  Li+ flux of 0.01 mol m-2 s-1 (965 A m-2). Imposed together they over-determine an
  electroneutral cell (the ohmic drop of 965 A m-2 across 20 um of PEO alone is ~2 V), so
  the Li+ flux is imposed (into the electrolyte at the anode, y = top; out at the cathode,
  y = 0), the anions are blocked, and phi = 0 at the cathode is the reference; the
  resulting voltage is reported. This flux is ~100x the limiting current of PEO, so a
  steady state does not exist: the fields are a snapshot at ``t_end`` (default 1 ms), the
  "polarisation" picture of the paper's maps. Sand's times at this flux: ~8 ms at the PEO
  cathode and ~3.4 ms on the PE side of the PE|LLZO interface of the PLM, where the
  transference number jumps from 0.22 to 0.99 (salt is depleted at a rate
  i (t+_LLZO - t+_PE)/F). Beyond it the PLM answer is mesh dependent (depletion), so keep
  ``t_end`` below ~3 ms; at 1 ms the PLM cell voltage changes by 0.7 % from ny = 80 to 160.
* **Salt concentration**: one c0 = 1000 mol m-3 in every layer (nodal P1 concentrations
  are continuous across layers; the LLZO "concentration" is then the one that carries its
  conductivity).
* **Diffusivities**: D+ = t+ sigma R T/(F^2 c0) (Nernst-Einstein); free anions keep the
  "normal" diffusivity of the PEO host, D- = D+_PEO (1 - t0)/t0 with t0 = 0.22, and the
  immobilised fraction theta = 1 - (1 - t+) sigma R T/(F^2 c0 D-) gives the measured t+
  (:func:`layer_species`). PEO/MOF: sigma of PEO/LiTFSI, t+ of Li-IL@MOF (0.35).
* **Mesh**: structured, graded (first cell h/10) at the electrodes and on both sides of
  every layer interface; ``ny`` elements across the thickness (default 80).
* **Geometry**: first number = width (along the electrodes), second = thickness. PLM
  layers: the 12.6 um MOF/PE/LLZO split of :func:`ntransport.materials.plm_stack` scaled
  to 5.6 um with the PE as a thin (1 um) layer ("the PE is equivalent to a thin layer").
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..physics.electrode import FixedPotential, Flux
from ..physics.nernst_einstein import nernst_einstein_sum
from ..physics.species import Species
from ..solve.npp import NPPProblem, run
from .npp_mesh import layered_rectangle

__all__ = ["layer_species", "run_stack", "voltage_per_layer", "peo_vs_peomof", "peo_vs_plm", "PLM_LAYERS"]

log = logging.getLogger(__name__)

T_DEFAULT = 298.15
C0 = 1000.0
T0_HOST = 0.22
# (name, thickness [m], sigma [S/m], t+) -- values of ntransport.materials (Zhang et al.)
PEO = ("PEO", 20e-6, 0.01, 0.22)
PEO_MOF = ("PEO/MOF", 20e-6, 0.01, 0.35)
PLM_LAYERS = (("LLZO", 1.6e-6, 0.1, 0.99), ("PE", 1.0e-6, 0.0025298, 0.22),
              ("MOF", 3.0e-6, 0.03, 0.35))  # bottom (cathode) to top (anode)


def layer_species(layers, *, c0=C0, T=T_DEFAULT, t0=T0_HOST):
    """Li+, free anions and immobilised anions with per-layer D and c0 (see module doc)."""
    Dsum = {n: nernst_einstein_sum(s, c0, T) for n, _, s, _ in layers}
    Dp = {n: tp * Dsum[n] for n, _, _, tp in layers}
    Dm_normal = {n: Dp[n] * (1 - t0) / t0 for n, *_ in layers}
    Dm, free, fixed = {}, {}, {}
    for n, _, s, tp in layers:
        need = (1 - tp) * Dsum[n]  # = (1 - theta) D-
        theta = max(0.0, 1 - need / Dm_normal[n])
        Dm[n] = need / (1 - theta) if theta < 1 else 0.0
        free[n], fixed[n] = (1 - theta) * c0, theta * c0
    return (Species("Li+", 1, Dp, c0), Species("A-", -1, Dm, free),
            Species("A- (immobilised)", -1, 0.0, fixed))


def run_stack(layers, width, *, flux=0.01, t_end=1e-3, c0=C0, T=T_DEFAULT, ny=80, nx=10,
              dt=1e-5, pvd=None):
    """Solve one case; return (problem, final state, info dict with wall time, steps, Newton).

    ``pvd``: optional path of a ParaView time series (every step's concentrations,
    potential, fluxes split in diffusion/migration, current density, space charge).
    """
    d = layered_rectangle(width, [(n, th) for n, th, *_ in layers], nx=nx,
                          h=sum(th for _, th, *_ in layers) / ny,
                          h0=sum(th for _, th, *_ in layers) / ny / 10, grade_interfaces=True)
    sp = layer_species(layers, c0=c0, T=T)
    bcs = [Flux("top", "Li+", flux), Flux("bottom", "Li+", -flux), FixedPotential("bottom", 0.0)]
    pr = NPPProblem(d, sp, bcs, electrostatics="electroneutral", temperature=T)
    t0 = time.perf_counter()
    steps = newton = 0
    worst = 0.0
    writer = None
    if pvd is not None:
        from ..io.vtk import PVDWriter

        writer = PVDWriter(pvd)
    for s in run(pr, t_end=t_end, dt=dt, rtol=1e-3):
        if writer is not None:
            _add_step(writer, pr, s)
        steps += 1
        newton += s.newton_iterations
        worst = max(worst, max(s.conservation.values()))
    if writer is not None and hasattr(writer, "close"):
        writer.close()
    info = {"wall_time_s": time.perf_counter() - t0, "steps": steps, "newton_iterations": newton,
            "max_conservation_error": worst, "dofs": 3 * d.mesh.p.shape[1]}
    x, y = d.mesh.p
    info["cell_voltage_V"] = float(s.potential[y == y.max()].mean())
    return pr, s, info


def _add_step(writer, problem, state):
    from ..post.transport import transport_fields

    f = transport_fields(problem, state)
    writer.add(state.t, problem.domain, point_data={k: v for k, v in f.items() if np.ndim(v) == 1},
               cell_data={k: v for k, v in f.items() if np.ndim(v) == 2})


def voltage_per_layer(problem, state, layers):
    """Potential drop across each layer along the central axis [V], bottom to top."""
    from ..post.transport import line_profile

    d = problem.domain
    xm = 0.5 * (d.mesh.p[0].min() + d.mesh.p[0].max())
    y = 0.0
    out = {}
    for n, th, *_ in layers:
        _, v = line_profile(d, state.potential, [xm, y], [xm, y + th], n=2)
        out[n] = float(v[1] - v[0])
        y += th
    return out


def peo_vs_peomof(**kw):
    """Both homogeneous 100 um x 20 um cases: {name: (problem, state, info)}."""
    return {name: run_stack([layer], 100e-6, **kw) for name, layer in
            (("PEO", PEO), ("PEO/MOF", PEO_MOF))}


def peo_vs_plm(**kw):
    """PEO (5.6 um) vs PLM (LLZO + PE + MOF) in 20 um x 5.6 um: {name: (problem, state, info)}."""
    th = sum(l[1] for l in PLM_LAYERS)
    peo = (("PEO", th, PEO[2], PEO[3]),)
    return {"PEO": run_stack(peo, 20e-6, **kw), "PLM": run_stack(PLM_LAYERS, 20e-6, **kw)}
