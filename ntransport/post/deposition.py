r"""Post-processing of deposition runs: Li+ flux, deposit profiles, figures, animation, PVD.

Li+ flux (binary electrolyte, :mod:`ntransport.physics.binary_electrolyte`), per element:

.. math:: N_+ = \underbrace{-D\nabla c}_{\text{diffusion}}
              + \underbrace{\frac{t_+}{F}\, i}_{\text{migration}}, \qquad
          i = -\kappa\nabla\Phi + \kappa\frac{RT}{F}(1-2t_+)\nabla\ln c.

Plotting libraries are imported inside the functions that plot.
"""
from __future__ import annotations

import numpy as np

from ..constants import F

__all__ = ["element_gradient", "li_flux", "current_density", "plot_deposition_snapshots",
           "plot_deposit_profiles", "animate_deposition", "write_deposition_pvd"]


def element_gradient(p, t, u):
    """Gradient (2, ne) of a P1 field, constant per triangle."""
    x, y = p[0, t], p[1, t]
    det = (x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0])
    du1, du2 = u[t[1]] - u[t[0]], u[t[2]] - u[t[0]]
    gx = (du1 * (y[2] - y[0]) - du2 * (y[1] - y[0])) / det
    gy = (du2 * (x[1] - x[0]) - du1 * (x[2] - x[0])) / det
    return np.stack([gx, gy])


def current_density(state, electrolyte):
    """Electrolyte current density i (2, ne) [A/m²]."""
    p, t = state.domain.mesh.p, state.domain.mesh.t
    c_el = state.c[t].mean(axis=0)
    return (-electrolyte.conductivity * element_gradient(p, t, state.phi)
            + electrolyte.diffusion_potential_coefficient * element_gradient(p, t, state.c) / c_el)


def li_flux(state, electrolyte):
    """Li+ flux N+ (2, ne) [mol m-2 s-1]: diffusion + migration (module docstring)."""
    p, t = state.domain.mesh.p, state.domain.mesh.t
    diffusion = -electrolyte.diffusivity * element_gradient(p, t, state.c)
    migration = electrolyte.transference * current_density(state, electrolyte) / F
    return diffusion + migration


def _nodal(p, t, v):
    """Area-weighted average of element values at the nodes."""
    x, y = p[0, t], p[1, t]
    A = 0.5 * np.abs((x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]))
    num, den = np.zeros(p.shape[1]), np.zeros(p.shape[1])
    for k in range(3):
        np.add.at(num, t[k], A * v)
        np.add.at(den, t[k], A)
    return num / den


def _panel(ax, state, electrolyte, *, field, vmax=None, streamlines=True, li_bottom=None):
    import matplotlib.tri as mtri

    p, t = state.domain.mesh.p * 1e6, state.domain.mesh.t
    tri = mtri.Triangulation(p[0], p[1], t.T)
    if field == "flux":
        N = li_flux(state, electrolyte)
        val = np.linalg.norm(N, axis=0) * 1e6  # µmol m-2 s-1
        im = ax.tripcolor(tri, facecolors=val, cmap="jet", vmin=0, vmax=vmax, rasterized=True)
    else:
        im = ax.tripcolor(tri, state.c, shading="gouraud", cmap="viridis", vmax=vmax,
                          rasterized=True)
    X = state.anode * 1e6
    bottom = (X[:, 1].min() - 0.3) if li_bottom is None else li_bottom
    ax.fill_between(X[:, 0], X[:, 1], bottom, color="0.6", lw=0)
    ax.plot(X[:, 0], X[:, 1], "k-", lw=0.8)
    if streamlines and field == "flux":
        N = li_flux(state, electrolyte)
        nx, ny = _nodal(p, t, N[0]), _nodal(p, t, N[1])
        gx = np.linspace(p[0].min(), p[0].max(), 80)
        gy = np.linspace(p[1].min(), p[1].max(), 60)
        GX, GY = np.meshgrid(gx, gy)
        U = mtri.LinearTriInterpolator(tri, nx)(GX, GY).filled(np.nan)
        V = mtri.LinearTriInterpolator(tri, ny)(GX, GY).filled(np.nan)
        ax.streamplot(gx, gy, U, V, color="w", linewidth=0.6, density=0.9, arrowsize=0.6)
    ax.set_aspect("equal")
    ax.set_xlim(p[0].min(), p[0].max())
    ax.set_ylim(bottom, p[1].max())
    return im


def plot_deposition_snapshots(runs, path, *, field="flux"):
    """Grid of snapshots (rows: electrolytes, columns: times) like Zhu et al. Fig. 4G-J.

    ``field="flux"``: |N+| colour with streamlines; ``"c"``: Li+ (salt) concentration.
    Each row shares one colour scale. Returns the path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(runs)
    times = sorted(runs[names[0]].snapshots)
    fig, axes = plt.subplots(len(names), len(times), figsize=(3.2 * len(times), 2.6 * len(names)),
                             squeeze=False, constrained_layout=True)
    for r, name in enumerate(names):
        run = runs[name]
        if field == "flux":
            vmax = max(np.linalg.norm(li_flux(s, run.electrolyte), axis=0).max()
                       for s in run.snapshots.values()) * 1e6
        else:
            vmax = run.electrolyte.c_ref
        for col, tt in enumerate(times):
            ax = axes[r, col]
            im = _panel(ax, run.snapshots[tt], run.electrolyte, field=field, vmax=vmax)
            ax.set_title(f"{name}, t = {tt / 3600:.2g} h", fontsize=9)
            ax.set_xlabel("x [µm]", fontsize=8)
            if col == 0:
                ax.set_ylabel("y [µm]", fontsize=8)
        label = "|N$_{Li^+}$| [µmol m$^{-2}$ s$^{-1}$]" if field == "flux" else "c [mol m$^{-3}$]"
        fig.colorbar(im, ax=list(axes[r]), shrink=0.9, label=label)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_deposit_profiles(runs, path):
    """Li surface at every snapshot time, one panel per electrolyte, plus the defect
    height above the far-field (wall) surface over time: constant under uniform normal
    growth, rising when the current focuses on the tip."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(runs)
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(4.2 * (len(names) + 1), 3.2),
                             constrained_layout=True)
    for ax, name in zip(axes, names):
        run = runs[name]
        for tt in sorted(run.snapshots):
            X = run.snapshots[tt].anode * 1e6
            ax.plot(X[:, 0], X[:, 1], label=f"{tt / 3600:.2g} h")
        ax.set_title(name)
        ax.set_xlabel("x [µm]")
        ax.set_ylabel("Li surface y [µm]")
        ax.set_aspect("equal")
        ax.legend(fontsize=7)
    ax = axes[-1]
    for name in names:
        h = runs[name].history
        ax.plot(h["t"] / 3600, (h["y_max"] - h["y_flat"]) * 1e6, label=name)
    ax.set_xlabel("t [h]")
    ax.set_ylabel("defect height above flat Li [µm]")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def animate_deposition(runs, path, *, fps=6):
    """GIF of the |N+| field and the growing deposit, electrolytes side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    names = list(runs)
    nframes = min(len(runs[n].frames) for n in names)
    fig, axes = plt.subplots(1, len(names), figsize=(4.0 * len(names), 3.0), squeeze=False,
                             constrained_layout=True)
    vmax = {n: max(np.linalg.norm(li_flux(s, runs[n].electrolyte), axis=0).max()
                   for s in runs[n].frames) * 1e6 for n in names}

    def draw(k):
        for ax, n in zip(axes[0], names):
            ax.clear()
            s = runs[n].frames[k]
            _panel(ax, s, runs[n].electrolyte, field="flux", vmax=vmax[n], streamlines=False)
            ax.set_title(f"{n}, t = {s.t / 60:.0f} min", fontsize=9)
        return []

    anim = FuncAnimation(fig, draw, frames=nframes, blit=False)
    anim.save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return path


def write_deposition_pvd(run, path):
    """PVD time series of the frames of one run (c, Φ, |N+|, i)."""
    from ..io.vtk import PVDWriter

    with PVDWriter(path) as pvd:
        for s in run.frames:
            N = li_flux(s, run.electrolyte)
            pvd.add(s.t, s.domain,
                    point_data={"c [mol m-3]": s.c, "phi [V]": s.phi},
                    cell_data={"N_Li [mol m-2 s-1]": N.T.copy(),
                               "|N_Li| [mol m-2 s-1]": np.linalg.norm(N, axis=0),
                               "i [A m-2]": current_density(s, run.electrolyte).T.copy()})
    return pvd.path
