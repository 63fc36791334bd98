"""Figures, animation and ParaView series of dendrite runs (matplotlib imported lazily).

* :func:`plot_maps` -- xi, c (electrolyte only) and phi for several runs side by side.
* :func:`plot_histories` -- dendrite length, tip velocity, deposited area vs time.
* :func:`animate` -- GIF of xi for several runs (matplotlib PillowWriter).
* :func:`write_pvd` -- ParaView time series through ``ntransport.io.vtk.PVDWriter``.

Runs are :class:`ntransport.studies.dendrites.DendriteRun`-like objects with ``label``,
``mesh`` (um), ``skeleton``, ``t``, ``length``, ``tip_velocity``, ``area``,
``snapshots`` = ((t, xi, c, phi), ...). Times are shown in ms; `time_unit` is the
scaled time unit in seconds (t0 = 1 s for the normalised MOOSE set).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_maps", "plot_histories", "animate", "write_pvd"]


def _tri(mesh):
    import matplotlib.tri as mtri

    return mtri.Triangulation(mesh.p[0], mesh.p[1], mesh.t.T)


def _skeleton_outline(ax, run):
    if run.skeleton is None:
        return
    m = run.mesh
    tri = m.t[:, run.skeleton]
    ax.tripcolor(m.p[0], m.p[1], tri.T, np.ones(tri.shape[1]), cmap="Greys", vmin=0, vmax=3,
                 alpha=0.35, edgecolors="none")


def plot_maps(runs, path, *, time_unit: float = 1.0, index: int = -1):
    """Save a grid: one row per run, columns xi, c/c0, phi (and the hydrostatic stress
    sigma_h [MPa] when the runs carry it: mechanics on), at snapshot `index`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncol = 4 if all(len(getattr(r, "stress", ())) for r in runs) else 3
    fig, axes = plt.subplots(len(runs), ncol, figsize=(4 * ncol, 3.8 * len(runs)),
                             squeeze=False)
    for row, run in zip(axes, runs):
        t, xi, c, phi = run.snapshots[index]
        tri = _tri(run.mesh)
        cm = np.where(xi < 0.5, c, np.nan)  # c inside the metal has no meaning
        panels = [(row[0], xi, "xi (Li metal = 1)", "viridis"),
                  (row[1], cm, "c / c0 (electrolyte)", "magma"),
                  (row[2], phi, "phi [V]", "coolwarm")]
        if ncol == 4:
            panels.append((row[3], run.stress[index] / 1e6, "sigma_h [MPa]", "PuOr"))
        for ax, val, name, cmap in panels:
            im = ax.tripcolor(tri, np.nan_to_num(val, nan=np.nanmin(val)), shading="gouraud",
                              cmap=cmap)
            ax.tricontour(tri, xi, levels=[0.5], colors="w", linewidths=0.8)
            _skeleton_outline(ax, run)
            ax.set_aspect("equal")
            ax.set_title(f"{run.label}: {name}, t = {t * time_unit * 1e3:.0f} ms", fontsize=9)
            ax.set_xlabel("x [um]")
            ax.set_ylabel("y [um]")
            fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_histories(runs, path, *, time_unit: float = 1.0):
    """Save dendrite length, tip velocity and deposited area vs time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    for run in runs:
        ts = run.t * time_unit * 1e3
        ax[0].plot(ts, run.length, label=run.label)
        ax[1].plot(ts, run.tip_velocity / (time_unit * 1e3), label=run.label)
        ax[2].plot(ts, run.area - run.area[0], label=run.label)
    for a, lab in zip(ax, ("dendrite length [um]", "tip velocity [um/ms]",
                           "deposited area [um2]")):
        a.set_xlabel("t [ms]")
        a.set_ylabel(lab)
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def animate(runs, path, *, time_unit: float = 1.0, fps: int = 4):
    """GIF of xi for the runs side by side (same number of snapshots not required)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    n = max(len(r.snapshots) for r in runs)
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.2), squeeze=False)
    axes = axes[0]

    def draw(k):
        for ax, run in zip(axes, runs):
            ax.clear()
            t, xi, _, _ = run.snapshots[min(k, len(run.snapshots) - 1)]
            ax.tripcolor(_tri(run.mesh), xi, shading="gouraud", cmap="viridis", vmin=0, vmax=1)
            _skeleton_outline(ax, run)
            ax.set_aspect("equal")
            ax.set_title(f"{run.label}, t = {t * time_unit * 1e3:.0f} ms", fontsize=9)
        return []

    anim = FuncAnimation(fig, draw, frames=n)
    anim.save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return Path(path)


def write_pvd(run, path, *, time_unit: float = 1.0, c0: float = 1000.0):
    """ParaView series of a run (SI: metres, seconds, mol m-3, V)."""
    from ..geometry import Domain
    from ..io.vtk import PVDWriter

    m = run.mesh
    skel = np.zeros(m.nelements, bool) if run.skeleton is None else run.skeleton
    groups = {"electrolyte": np.nonzero(~skel)[0]}
    if skel.any():
        groups["filaments"] = np.nonzero(skel)[0]
    dom = Domain.from_arrays(m.p.T, m.t.T, groups, scale=1e-6)
    with PVDWriter(path) as pvd:
        for t, xi, c, phi in run.snapshots:
            pvd.add(t * time_unit, dom, point_data={"xi [-]": xi, "c_Li [mol m-3]": c * c0,
                                                    "phi [V]": phi})
    return Path(path)
