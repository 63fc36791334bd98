r"""Full Poisson against electroneutrality for the flux reading of one electrolyte.

Both models run on the same Debye-resolving mesh (first cell :math:`\lambda_D/(1.1 r)`,
``r`` = ``poisson.debye_resolution``; :math:`\lambda_D` from
:func:`ntransport.physics.scaling.debye_length` with the material's permittivity) up to the
last frame of the flux reading before depletion (close to depletion the double layer widens
as c -> 0 and "outside the Debye layers" loses its meaning). Reported: the largest
difference in c(Li+) (relative to c) and in phi (relative to the cell voltage) more than
20 Debye lengths from the electrodes.
"""
from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from .cells import build_cell, problem_for
from .electrolytes import first_layer, host_sand_time, thickness
from .profiles import axis, profile
from .transient import run_transient

__all__ = ["poisson_comparison"]


#: the comparison leaves out this many Debye lengths next to each electrode (the double
#: layers) and compares the bulk between them
EXCLUDED_DEBYE_LENGTHS = 20


def poisson_debye_length(data, layers, sp) -> float:
    """The Debye length [m] of the Poisson comparison's single layer, refusing a layer too
    thin to leave a bulk between the two excluded double layers (a 20 pm layer reached
    ``np.max`` of an empty array after both solves)."""
    from ...physics.scaling import debye_length

    name = data["poisson"]["electrolyte"]
    if len(layers) != 1:
        raise ConfigError(f"poisson.electrolyte {name!r} has {len(layers)} layers; the Poisson "
                          "comparison starts from uniform concentrations and needs a single "
                          "layer.")
    m = layers[0][2]
    _, _, cl, cf, cx = first_layer(layers, sp)
    lam = debye_length(m.permittivity, 0.5 * (cl + cf + cx), data["temperature"])
    H, k = thickness(layers), EXCLUDED_DEBYE_LENGTHS
    if not H > 2.5 * k * lam:
        raise ConfigError(f"poisson.electrolyte {name!r}: its layer ({H * 1e6:.3g} um) is too "
                          f"thin for the comparison, which leaves out {k} Debye lengths "
                          f"({k * lam * 1e6:.3g} um) next to each electrode; give a layer "
                          f"thicker than {2.5 * k * lam * 1e6:.3g} um.")
    return lam


def poisson_comparison(res, data, setup, flux_sols, *, checkpoints, progress):
    """The flux reading of one electrolyte with full Poisson (Debye layers resolved)."""
    from ...io.artifacts import slug
    from .figures import poisson_figure

    name = data["poisson"]["electrolyte"]
    layers, sp = setup[name]
    lam = poisson_debye_length(data, layers, sp)
    if flux_sols is None:
        raise ConfigError("poisson: the comparison is made on the 'flux' reading; add it to "
                          "readings.")
    T = data["temperature"]
    m = layers[0][2]
    cl = first_layer(layers, sp)[2]
    r = data["poisson"]["debye_resolution"]
    d = build_cell(data["width"], layers, mesh=data["mesh"], h0=lam / (1.1 * r))
    pr = problem_for(d, sp, "flux", T=T, data=data, electrostatics="poisson",
                     permittivity=m.permittivity)
    # the frames before depletion (module docstring)
    times = [float(t) for t in flux_sols[name].times[:-1]] or [float(flux_sols[name].times[-1])]
    t_end = times[-1]
    t_s = host_sand_time(data, setup)
    runs = {}
    for model, problem in (("poisson", pr), ("electroneutral", problem_for(
            d, sp, "flux", T=T, data=data, initial="subdomain"))):
        runs[model], _ = run_transient(problem, key=slug(f"{model}_mesh_flux_{name}"),
                                       t_end=t_end, dt=1e-4 * t_s, times=times, events=[],
                                       voltage=("top", "bottom"), checkpoints=checkpoints,
                                       progress=progress, desc=f"{model} (Debye mesh): {name}",
                                       dt_max=data["max_step"])
    sol, en = runs["poisson"], runs["electroneutral"]
    res.solutions[slug(f"poisson_flux_{name}")] = sol
    # compare on the same mesh at the last frame before depletion
    fp, fe = sol.frames[-1], en.frames[-1]
    H = thickness(layers)
    ye, ce = profile(en, "c_Li+", fe)
    _, pe = profile(en, "phi", fe)
    yp, cp = profile(sol, "c_Li+", fp)
    _, pp = profile(sol, "phi", fp)
    k = EXCLUDED_DEBYE_LENGTHS
    out = (ye > k * lam) & (ye < H - k * lam)
    dc = float(np.max(np.abs(np.interp(ye[out], yp, cp) - ce[out])) / cl)
    V = max(abs(float(pe[-1] - pe[0])), 1e-300)
    dphi = float(np.max(np.abs(np.interp(ye[out], yp, pp) - pe[out])) / V)
    res.summary = (res.summary.add_si(name, "debye_length", lam, "m")
                   .add(name, "poisson_vs_electroneutral_max_dc", dc, "1")
                   .add(name, "poisson_vs_electroneutral_max_dphi", dphi, "1")
                   .add(name, "poisson_comparison_time", fp.t, "s")
                   .add(name, "poisson_mesh_nodes", d.mesh.nvertices, "1"))
    res.parameters[f"poisson {name}"] = {
        "permittivity [1]": m.permittivity, "debye_length [m]": lam,
        "first_cell [m]": float(np.min(np.diff(axis(d)[0]))), "compared_at [s]": fp.t,
        "excluded_layers [m]": k * lam}
    res.notes.append(
        f"Poisson vs electroneutral ({name}, flux reading, t = {fp.t:.4g} s, both on the same "
        f"Debye-resolving mesh, first cell {np.min(np.diff(yp)) * 1e12:.3g} pm): outside 20 Debye "
        f"lengths ({k * lam * 1e9:.3g} nm) of the electrodes the Li+ concentrations differ by "
        f"{dc:.2g} of c and the potentials by {dphi:.2g} of the cell voltage.")
    res.figures["poisson_vs_electroneutral"] = poisson_figure(
        (ye, ce, pe), (yp, cp, pp), lam, name, fp.t, cl)
