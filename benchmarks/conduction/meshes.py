"""Build (once) and cache the composite meshes the conduction benchmarks use.

A composite is meshed by ``ntransport.geometry.particle_composite`` and stored as plain
arrays in ``<workdir>/composite_<dim>d_<size>_s<seed>.npz`` (points in metres, cells,
region id per cell, named boundary facets) so that both codes start every timed repeat
from the *same* in-memory arrays, and as a gmsh 2.2 ``.msh`` for file-reading tests.

    python benchmarks/conduction/meshes.py --dims 2 3 --size full --seeds 0 1
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

CASES = {
    2: {
        "small": dict(box=(50e-6, 50e-6), volume_fraction=0.3, n=100, mesh_size=0.3e-6),
        "full": dict(box=(100e-6, 100e-6), volume_fraction=0.3, n=1000, mesh_size=0.165e-6),
    },
    3: {
        "small": dict(box=(20e-6,) * 3, volume_fraction=0.2, n=30, mesh_size=0.75e-6),
        "full": dict(box=(20e-6,) * 3, volume_fraction=0.2, n=200, mesh_size=0.325e-6),
        # ~10 M tetrahedra (item 6 of issue 15): same composite, h / 10^(1/3)
        "10M": dict(box=(20e-6,) * 3, volume_fraction=0.2, n=200, mesh_size=0.151e-6),
    },
}
DEFAULT_WORKDIR = Path("/tmp/ntransport-bench")


def radius_for(box, fraction, n):
    """Radius giving *n* equal particles at *fraction* of the box."""
    vol = float(np.prod(box))
    if len(box) == 2:
        return float(np.sqrt(fraction * vol / (n * np.pi)))
    return float((3 * fraction * vol / (4 * n * np.pi)) ** (1 / 3))


def path_for(dim, size, seed, workdir=DEFAULT_WORKDIR, suffix=".npz"):
    return Path(workdir) / f"composite_{dim}d_{size}_s{seed}{suffix}"


def build(dim, size, seed, *, threads=1, algorithm=None):
    """Mesh one composite; returns (domain, seconds)."""
    from ntransport.geometry.composite import particle_composite

    c = CASES[dim][size]
    r = radius_for(c["box"], c["volume_fraction"], c["n"])
    t0 = time.perf_counter()
    d = particle_composite(c["box"], volume_fraction=c["volume_fraction"], radius=r, seed=seed,
                           mesh_size=c["mesh_size"], threads=threads, algorithm=algorithm)
    return d, time.perf_counter() - t0


def to_arrays(domain) -> dict:
    """Plain arrays of a Domain: what a mesh generator hands to a solver."""
    out = dict(points=domain.mesh.p.T.copy(), cells=domain.mesh.t.T.astype(np.int64),
               region=np.asarray(domain.region), region_names=np.array(domain.region_names))
    for b in ("anode", "cathode", "sides"):
        if b in domain.boundaries:
            out[f"facets_{b}"] = domain.mesh.facets[:, domain.facets(b)].T.astype(np.int64)
    return out


def load(dim, size, seed, workdir=DEFAULT_WORKDIR) -> dict:
    """The cached arrays (build them first with `ensure`)."""
    with np.load(path_for(dim, size, seed, workdir)) as z:
        return {k: z[k] for k in z.files}


def ensure(dim, size, seed, workdir=DEFAULT_WORKDIR, *, msh=False) -> dict:
    """Build and cache the mesh if missing; return its meshing record."""
    p = path_for(dim, size, seed, workdir)
    if p.exists() and (not msh or path_for(dim, size, seed, workdir, ".msh").exists()):
        return {}
    Path(workdir).mkdir(parents=True, exist_ok=True)
    d, secs = build(dim, size, seed)
    arrays = to_arrays(d)
    np.savez(p, **arrays)
    if msh:
        write_msh(path_for(dim, size, seed, workdir, ".msh"), d)
    rec = dict(dim=dim, size=size, seed=seed, elements=int(d.mesh.nelements),
               nodes=int(d.mesh.nvertices), mesh_seconds=secs,
               timings=dict(d.info.get("timings", {})))
    print(rec, flush=True)
    return rec


def write_msh(path, domain):
    """gmsh 2.2 ASCII file with physical names (readable by gmsh, meshio and netgen)."""
    import meshio

    dim = domain.dim
    cell_type, facet_type = ("triangle", "line") if dim == 2 else ("tetra", "triangle")
    cells = [(cell_type, domain.mesh.t.T)]
    phys = [domain.region + 1]
    field = {n: np.array([k + 1, dim]) for k, n in enumerate(domain.region_names)}
    tag = len(domain.region_names)
    for bname in ("anode", "cathode", "sides"):
        if bname not in domain.boundaries:
            continue
        tag += 1
        f = domain.facets(bname)
        cells.append((facet_type, domain.mesh.facets[:, f].T))
        phys.append(np.full(f.size, tag))
        field[bname] = np.array([tag, dim - 1])
    pts = np.zeros((domain.mesh.nvertices, 3))
    pts[:, :dim] = domain.mesh.p.T * 1e6  # micrometres (gmsh tolerance ~1e-8)
    m = meshio.Mesh(pts, cells, cell_data={"gmsh:physical": phys, "gmsh:geometrical": phys},
                    field_data=field)
    meshio.write(path, m, file_format="gmsh22", binary=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--size", default="full")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--workdir", default=str(DEFAULT_WORKDIR))
    ap.add_argument("--msh", action="store_true", help="also write a .msh file")
    args = ap.parse_args(argv)
    for dim in args.dims:
        for seed in args.seeds:
            ensure(dim, args.size, seed, args.workdir, msh=args.msh)


if __name__ == "__main__":
    main()
