"""Percolation of metal in an interphase (Su et al., EES Batteries 2025): FEM + graph.

One realisation = one random microstructure of overlapping conducting particles
(``particle_composite(..., overlap=True)``) in an insulating matrix, its
anode-to-cathode connectivity from the particle contact graph, and its FEM
effective electronic conductivity (``solve_conduction``) with
``sigma_M`` in the particles and ``sigma_NM`` in the matrix. Over an ensemble
and a range of metal fractions, `fit_power_law` gives
``sigma = sigma_0 (V_f - V_p)^n``; the mixing rule (Su et al. eqn 1) is the
comparison that fails below and near the threshold.

Lengths are given in particle radii (``box_radii``); the electrode axis is the
last coordinate, as in `particle_composite`.
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
                           voltage=1.0)
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


# --- threshold scans and the case-file kind ------------------------------------------

def threshold_scan(*, dim=3, shape="sphere", aspect_ratios=(1.0,), box_radii=(8, 12, 16),
                   realisations=50, gap=0.0, shell=0.0, seed=0):
    """Graph-connectivity threshold vs aspect ratio (and box size, i.e. particle size).

    For a fixed interphase thickness, ``box_radii = thickness / radius``: fewer
    radii per box = larger particles. Returns a list of dict rows with the per-size
    mean critical density and metal fraction, and (several sizes, penetrable
    particles) the finite-size extrapolation as a row with ``box = inf``; with one
    size or hard shells, the median over realisations and the share ``blocked`` of
    realisations that never span (at 94 % of RSA jamming).
    """
    from ..percolation import Rod, estimate_threshold
    from ..percolation.threshold import critical_densities

    rows = []
    rng = np.random.default_rng(seed)
    for ar in aspect_ratios:
        if shape == "rod":
            s = Rod(1.0, ar, dim=dim)
        elif ar == 1.0 and shape == "sphere":
            s = Sphere(1.0, dim=dim)
        else:
            s = Spheroid(1.0, ar, dim=dim)
        exclusion = 1.0 + shell if shell > 0 else None
        lengths = [float(L) * max(1.0, ar if shape != "sphere" else 1.0) for L in box_radii]
        if exclusion is None and len(lengths) >= 2:
            est = estimate_threshold(s, lengths, realisations, rng=rng, gap=gap)
            for L, m, e in zip(est.lengths, est.mean, est.sem):
                rows.append({"aspect_ratio": ar, "box [radii]": L, "eta_mean": m,
                             "eta_sem": e, "phi_mean": 1 - np.exp(-m)})
            rows.append({"aspect_ratio": ar, "box [radii]": np.inf, "eta_mean": est.eta_c,
                         "eta_sem": est.eta_c_se, "phi_mean": est.fraction})
        else:
            for L in lengths:
                try:
                    e = critical_densities(s, L, realisations, rng=rng, gap=gap,
                                           exclusion_radius=exclusion)
                except GeometryError:  # no realisation spans: the shells block it
                    e = np.full(realisations, np.inf)
                fin = e[np.isfinite(e)]
                eta = float(np.median(fin)) if fin.size else np.inf
                # hard cores do not overlap: covered fraction = reduced density
                phi = eta if exclusion is not None else 1.0 - np.exp(-eta)
                rows.append({"aspect_ratio": ar, "box [radii]": L, "eta_mean": eta,
                             "eta_sem": float(fin.std() / np.sqrt(fin.size)) if fin.size
                             else np.nan, "phi_mean": phi, "blocked": float(np.isinf(e).mean())})
    return rows


def _register():
    from ..config import ListOf, Section, Value
    from ..io.tables import SummaryTable
    from .registry import register_study

    schema = Section({
        "title": Value(str, default="percolation"),
        "dim": Value(int, default=3, choices=(2, 3)),
        "shape": Value(str, default="sphere", choices=("sphere", "spheroid", "rod")),
        "aspect_ratios": ListOf(Value(float), default=[1.0], min_len=1),
        "box_radii": ListOf(Value(float), default=[8.0, 12.0, 16.0], min_len=1,
                            doc="box edge / particle radius (interphase thickness / r)"),
        "realisations": Value(int, default=50),
        "tunnelling_gap": Value(float, default=0.0, doc="in particle radii"),
        "shell": Value(float, default=0.0, doc="insulating shell thickness in radii"),
        "seed": Value(int, default=0),
    })

    @register_study("percolation", schema=schema,
                    doc="percolation threshold of metal particles (graph connectivity)")
    def run(case, out_dir, *, progress=None):
        d = case.data
        rows = threshold_scan(dim=d["dim"], shape=d["shape"], aspect_ratios=d["aspect_ratios"],
                              box_radii=d["box_radii"], realisations=d["realisations"],
                              gap=d["tunnelling_gap"], shell=d["shell"], seed=d["seed"])
        table = SummaryTable()
        for r in rows:
            name = f"AR{r['aspect_ratio']:g}_L{r['box [radii]']:g}"
            table = table.add(name, "reduced density at threshold", r["eta_mean"], "1")
            table = table.add(name, "metal fraction at threshold", r["phi_mean"], "1")
        return table


_register()
