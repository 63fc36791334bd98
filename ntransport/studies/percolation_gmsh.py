"""The gmsh route to percolation conductivity (Su et al., EES Batteries 2025).

One realisation = one random microstructure of overlapping conducting particles
meshed conformally by gmsh (``particle_composite(..., overlap=True)``), its
anode-to-cathode connectivity from the particle contact graph, and its FEM effective
electronic conductivity (``solve_conduction``, P1) with ``sigma_M`` in the particles
and ``sigma_NM`` in the matrix. Exact geometry, but the mesher costs seconds (2D) to
tens of seconds (3D) per realisation (benchmarks/percolation/RESULTS.md), so the
percolation study uses the voxel mixed-FEM route (`ntransport.percolation.fem`) for
its ensembles and this route for cross-checks (tests/verification/test_percolation_fem.py).

Lengths are given in particle radii (``box_radii``); the electrode axis is the last
coordinate, as in `particle_composite`.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..errors import GeometryError, check_positive
from ..percolation import Particles, Sphere, Spheroid, connectivity
from ..percolation.sampling import Cell

__all__ = ["realisation", "particles_of", "conductivity_ensemble"]

log = logging.getLogger(__name__)


def particles_of(domain) -> Particles:
    """Graph-ready `Particles` of a `particle_composite` domain (cubic box).

    The builder's electrode axis (last coordinate) becomes the percolation
    x-axis; the transverse faces are walls (no periodic images).
    """
    info = domain.info
    lo, hi = np.asarray(domain.bounds)[:, 0], np.asarray(domain.bounds)[:, 1]
    edge = hi - lo
    if not np.allclose(edge, edge[0], rtol=1e-9):
        raise GeometryError(f"particles_of needs a square/cubic box, got edges {edge}.")
    c = np.roll(np.asarray(info["centers"], float) - lo, 1, axis=1)
    radii = np.asarray(info["radii"], float)
    if not np.allclose(radii, radii[0]):
        raise GeometryError("particles_of supports equal radii only.")
    ar = float(info.get("aspect_ratio", 1.0))
    if info.get("shape", "ellipsoid") != "ellipsoid":
        raise GeometryError(f"particles_of supports ellipsoids, got {info['shape']!r}.")
    shape = Sphere(radii[0], dim=domain.dim) if ar == 1.0 else Spheroid(radii[0], ar, dim=domain.dim)
    axes = None if ar == 1.0 else np.roll(np.asarray(info["directions"], float), 1, axis=1)
    cell = Cell(float(edge[0]), domain.dim, shape.bounding_radius, periodic=False)
    return Particles(shape, cell, c, axes)


def realisation(volume_fraction, *, seed, dim=2, box_radii=16.0, radius=1e-6,
                aspect_ratio=1.0, sigma_metal=1.0, sigma_insulator=1e-6,
                mesh_size=None):
    """FEM conductivity and graph spanning of one random overlapping microstructure.

    Parameters
    ----------
    volume_fraction : float
        Target metal volume fraction (the realised one is returned).
    seed : int
    dim : {2, 3}
    box_radii : float
        Box edge in particle (short) radii.
    radius : float
        Particle (short semi-axis) radius [m].
    aspect_ratio : float
        Long/short semi-axis (ellipses / prolate spheroids).
    sigma_metal, sigma_insulator : float
        Conductivities of particles and matrix [S/m].
    mesh_size : float, optional
        Element size [m] (builder default radius/3).

    Returns
    -------
    dict
        ``volume_fraction`` (realised, from the mesh), ``sigma_eff [S m-1]``,
        ``sigma_rel`` (= sigma_eff / sigma_M), ``spans`` (1/0, graph), ``n_particles``,
        ``t_mesh [s]``, ``t_solve [s]``, ``n_elements``.
    """
    from ..geometry.composite import particle_composite
    from ..solve.conduction import solve_conduction

    check_positive(box_radii, name="box_radii", exc=GeometryError)
    L = box_radii * radius
    t0 = time.perf_counter()
    dom = particle_composite((L,) * dim, volume_fraction=volume_fraction, radius=radius,
                             seed=int(seed), overlap=True, aspect_ratio=aspect_ratio,
                             mesh_size=mesh_size)
    t1 = time.perf_counter()
    res = solve_conduction(dom, {"particles": sigma_metal, "matrix": sigma_insulator},
                           voltage=1.0, order=1)  # P1, as the ensemble was sized and verified
    t2 = time.perf_counter()
    spans = connectivity(particles_of(dom)).spans
    return {"volume_fraction": float(dom.info["volume_fraction"]),
            "sigma_eff [S m-1]": float(res.effective_conductivity),
            "sigma_rel": float(res.effective_conductivity / sigma_metal),
            "spans": float(spans), "n_particles": float(len(dom.info["radii"])),
            "n_elements": float(dom.mesh.t.shape[1]),
            "t_mesh [s]": t1 - t0, "t_solve [s]": t2 - t1}


def conductivity_ensemble(fractions, n_realisations, *, store, seed=0,
                          scheduler=None, n_workers=None, progress=True, **options):
    """`realisation` over *fractions* x *n_realisations* with `ntransport.sweep`.

    Returns the sweep's ``xarray.Dataset`` (dims ``volume_fraction_target``,
    ``realisation``); ``options`` go to `realisation` (dim, box_radii, ...).
    """
    from functools import partial

    from ..sweep import sweep

    study = partial(_realisation_target, **options)
    return sweep(study, {"target": list(fractions)}, store=store,
                 realisations=n_realisations, seed=seed, scheduler=scheduler,
                 n_workers=n_workers, progress=progress)


def _realisation_target(target, seed, **options):
    return realisation(target, seed=seed, **options)
