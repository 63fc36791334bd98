"""One disk centred in a square cell with insulated sides = a square array of cylinders.

Reference: Perrins, McKenzie & McPhedran, Proc. R. Soc. Lond. A 369, 207 (1979),
Table 1: area fraction 0.3, sigma_p/sigma_m = 10 -> sigma_eff/sigma_m = 1.652036
(multipole solution, quoted to 7 digits). By symmetry, the insulated-side unit cell
with electrodes on two opposite faces is exactly the periodic array.
"""
import numpy as np

from ntransport.geometry import from_gmsh, gmsh_session
from ntransport.solve.conduction import solve_conduction

PERRINS = 1.652036


def disk_cell(fraction, h):
    """Unit cell [-0.5, 0.5]^2 (um) with a centred disk; size h far away, h/4 at the disk."""
    r = np.sqrt(fraction / np.pi)
    with gmsh_session() as gmsh:
        occ = gmsh.model.occ
        sq = occ.addRectangle(-0.5, -0.5, 0, 1, 1)
        dk = occ.addDisk(0, 0, 0, r, r)
        occ.fragment([(2, sq)], [(2, dk)])
        occ.synchronize()
        surfs = [e[1] for e in gmsh.model.getEntities(2)]
        disk = [s for s in surfs if abs(occ.getMass(2, s) - np.pi * r * r) < 1e-6]
        mat = [s for s in surfs if s not in disk]
        gmsh.model.addPhysicalGroup(2, disk, name="particles")
        gmsh.model.addPhysicalGroup(2, mat, name="matrix")
        for name, y in (("anode", -0.5), ("cathode", 0.5)):
            cs = [c for _, c in gmsh.model.getEntities(1)
                  if abs(occ.getCenterOfMass(1, c)[1] - y) < 1e-6]
            gmsh.model.addPhysicalGroup(1, cs, name=name)
        circle = [c for _, c in gmsh.model.getBoundary([(2, s) for s in disk], oriented=False)]
        f = gmsh.model.mesh.field
        dist = f.add("Distance")
        f.setNumbers(dist, "CurvesList", circle)
        f.setNumber(dist, "Sampling", 400)
        th = f.add("Threshold")
        f.setNumber(th, "InField", dist)
        f.setNumber(th, "SizeMin", h / 4)
        f.setNumber(th, "SizeMax", h)
        f.setNumber(th, "DistMin", 0.02)
        f.setNumber(th, "DistMax", 0.2)
        f.setAsBackgroundMesh(th)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.model.mesh.generate(2)
        return from_gmsh(unit="um")


def test_square_array_of_cylinders_matches_perrins_and_converges():
    hs = np.array([0.1, 0.05, 0.025])
    errs = []
    for h in hs:
        d = disk_cell(0.3, h)
        res = solve_conduction(d, {"matrix": 1.0, "particles": 10.0}, voltage=1.0)
        errs.append(abs(res.effective_conductivity / PERRINS - 1.0))
    errs = np.array(errs)
    # the spec's 0.5 % is met by every mesh; the finest is within 2e-4 (measured 1.0e-4)
    assert np.all(errs < 5e-3)
    assert errs[-1] < 2e-4
    # P1 energy error and the polygonal approximation of the circle are both O(h^2);
    # measured slope 1.90 (errors 1.4e-3, 3.9e-4, 1.0e-4), so demand > 1.6
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert slope > 1.6, (slope, errs)


def test_nested_split_meshes_converge_at_second_order():
    """One gmsh mesh (h = 0.08 um, ~19 segments on the circle), split 1-3 times
    (`particle_composite(split=k)`, new circle nodes on the circle): nested meshes whose
    error against Perrins falls by 4 per split, O(h^2) for P1 with the exact geometry
    (measured 4.29, 4.11, 4.04). Split without the projector the polygon stays the coarse
    one and the error stalls at its geometric error (5e-3)."""
    from ntransport.geometry import particle_composite, split_elements

    r = np.sqrt(0.3 / np.pi) * 1e-6
    kw = dict(centers=[[0.5e-6, 0.5e-6]], radii=[r])
    h = 0.08e-6
    coarse = particle_composite((1e-6, 1e-6), mesh_size=h, **kw)

    def err(d):
        res = solve_conduction(d, {"matrix": 1.0, "particles": 10.0}, voltage=1.0, order=1)
        return abs(res.effective_conductivity / PERRINS - 1.0)

    errs = [err(coarse)] + [err(particle_composite((1e-6, 1e-6), mesh_size=h / 2 ** k,
                                                   split=k, **kw)) for k in (1, 2, 3)]
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all((ratios > 3.7) & (ratios < 4.7)), ratios
    assert errs[-1] < 1e-5
    chords = err(split_elements(coarse, 3))
    assert chords > 100 * errs[-1]
