"""Steady conduction against exact answers: layers in series and side by side.

P1 elements reproduce a piecewise-linear potential exactly, so on meshes conforming
to the layer interfaces every number below is exact up to round-off and the linear
solver tolerance; 1e-9 relative leaves a 1e4 margin over double-precision round-off
(~1e-13 observed) and is far below any discretisation error (which would be O(h^2)).
"""
import numpy as np
import pytest
import skfem

from ntransport.geometry import Domain
from ntransport.post.currents import boundary_current
from ntransport.solve.conduction import solve_conduction

TOL = 1e-9


def tensor_domain(coords, region_of):
    """Structured triangle/tet mesh on a tensor grid; anode at the bottom (last axis min)."""
    Mesh = skfem.MeshTri if len(coords) == 2 else skfem.MeshTet
    m = Mesh.init_tensor(*coords)
    cen = m.p[:, m.t].mean(axis=1)
    names = np.array([region_of(*c) for c in cen.T])
    groups = {str(n): np.nonzero(names == n)[0] for n in dict.fromkeys(names)}
    z = m.p[-1, m.facets].mean(axis=0)
    bnd = m.boundary_facets()
    lo, hi = coords[-1][0], coords[-1][-1]
    anode = bnd[np.isclose(z[bnd], lo)]
    cathode = bnd[np.isclose(z[bnd], hi)]
    sides = np.setdiff1d(bnd, np.concatenate([anode, cathode]))
    fg = {"anode": m.facets[:, anode].T, "cathode": m.facets[:, cathode].T, "sides": m.facets[:, sides].T}
    return Domain.from_arrays(m.p.T, m.t.T, groups, fg)


THICK = {"LLZO": 2e-6, "MOF": 1e-6, "PE": 5e-6}
SIGMA = {"LLZO": 0.03, "MOF": 0.3, "PE": 0.002}


def series_stack(dim):
    """Three layers stacked along the electrode axis."""
    names = list(THICK)
    zb = np.cumsum([0.0] + [THICK[n] for n in names])
    z = np.unique(np.concatenate([np.linspace(zb[i], zb[i + 1], 4) for i in range(3)]))
    lat = [np.linspace(0, 4e-6, 5)] * (dim - 1)
    return tensor_domain([*lat, z], lambda *c: names[np.searchsorted(zb, c[-1]) - 1]), zb[-1]


FRAC = {"LLZO": 0.25, "MOF": 0.5, "PE": 0.25}


def side_by_side(dim):
    """Three columns spanning anode to cathode, fractions 1/4, 1/2, 1/4 of the width."""
    names = list(FRAC)
    xb = np.array([0.0, 1e-6, 3e-6, 4e-6])
    x = np.unique(np.concatenate([np.linspace(xb[i], xb[i + 1], 3) for i in range(3)]))
    other = [np.linspace(0, 2e-6, 3)] * (dim - 2)
    z = np.linspace(0, 5e-6, 4)
    return tensor_domain([x, *other, z], lambda *c: names[np.searchsorted(xb, c[0]) - 1])


@pytest.mark.parametrize("dim", [2, 3])
def test_series_stack_effective_conductivity_and_shares(dim):
    d, L = series_stack(dim)
    res = solve_conduction(d, SIGMA, voltage=0.1)
    expected = L / sum(THICK[n] / SIGMA[n] for n in THICK)
    assert res.effective_conductivity == pytest.approx(expected, rel=TOL)
    assert sum(res.current_share.values()) == pytest.approx(1.0, rel=TOL)
    for n in THICK:
        assert res.current_share[n] == pytest.approx(THICK[n] / L, rel=TOL)
    # the same current leaves through the cathode (exact here: uniform field)
    assert boundary_current(d, res.current_density, "cathode") == pytest.approx(res.total_current, rel=TOL)
    assert boundary_current(d, res.current_density, "anode") == pytest.approx(-res.total_current, rel=TOL)


@pytest.mark.parametrize("dim", [2, 3])
def test_side_by_side_effective_conductivity_and_shares(dim):
    d = side_by_side(dim)
    res = solve_conduction(d, SIGMA, voltage=1.0)
    fs = sum(FRAC[n] * SIGMA[n] for n in FRAC)
    assert res.effective_conductivity == pytest.approx(fs, rel=TOL)
    assert sum(res.current_share.values()) == pytest.approx(1.0, rel=TOL)
    for n in FRAC:
        assert res.current_share[n] == pytest.approx(FRAC[n] * SIGMA[n] / fs, rel=TOL)


def test_series_stack_solvers_agree():
    # direct and AMG-CG reach the same answer (AMG rtol 1e-10 -> energy error ~1e-20)
    d, L = series_stack(2)
    expected = L / sum(THICK[n] / SIGMA[n] for n in THICK)
    for solver in ("direct", "amg", "cg"):
        res = solve_conduction(d, SIGMA, voltage=1.0, solver=solver)
        assert res.effective_conductivity == pytest.approx(expected, rel=TOL), solver


@pytest.mark.parametrize("dim", [2, 3])
def test_interface_conductance_adds_series_resistance(dim):
    # R = sum t/sigma + sum 1/G (area-specific): the potential jumps at each interface
    d, L = series_stack(dim)
    G = {"LLZO|MOF": 2.0e3, "PE|MOF": 5.0e4}  # order of the names does not matter
    res = solve_conduction(d, SIGMA, voltage=0.2, interface_conductance=G)
    R = sum(THICK[n] / SIGMA[n] for n in THICK) + sum(1.0 / g for g in G.values())
    assert res.effective_conductivity == pytest.approx(L / R, rel=TOL)
    for n in THICK:  # the field inside each layer is still uniform
        assert res.current_share[n] == pytest.approx(THICK[n] / L, rel=TOL)
    # potential drop in the bulk is V - I/A * sum(1/G): the jumps carry the rest
    j = res.total_current / res.area
    drop_bulk = j * sum(THICK[n] / SIGMA[n] for n in THICK)
    assert res.voltage - drop_bulk == pytest.approx(j * sum(1.0 / g for g in G.values()), rel=1e-8)


def test_interface_parallel_to_current_carries_no_jump():
    # an interface along the current sees no normal current: sigma_eff unchanged
    d = side_by_side(2)
    res = solve_conduction(d, SIGMA, voltage=1.0, interface_conductance={"LLZO|MOF": 1.0})
    assert res.effective_conductivity == pytest.approx(sum(FRAC[n] * SIGMA[n] for n in FRAC), rel=TOL)


def test_current_drive_is_the_voltage_drive_rescaled():
    d, L = series_stack(2)
    rv = solve_conduction(d, SIGMA, voltage=0.05)
    ri = solve_conduction(d, SIGMA, current=2.5)  # A per metre of depth in 2D
    assert ri.total_current == pytest.approx(2.5, rel=TOL)
    assert ri.voltage == pytest.approx(2.5 / rv.total_current * 0.05, rel=TOL)
    assert ri.effective_conductivity == pytest.approx(rv.effective_conductivity, rel=TOL)
    # sign: positive voltage -> anode at V, cathode at 0, current from anode to cathode
    anode_nodes = np.unique(d.mesh.facets[:, d.facets("anode")])
    assert np.allclose(rv.potential[anode_nodes], 0.05)
    assert rv.total_current > 0 and np.all(rv.current_density[-1] > 0)


def test_conductivity_as_material_callable_and_number():
    d, L = series_stack(2)

    class Arrhenius:  # anything with .conductivity(T) is accepted
        def conductivity(self, T=None):
            return 0.03 * np.exp(-2000.0 * (1 / (T or 298.15) - 1 / 298.15))

    res_T = solve_conduction(d, {"LLZO": Arrhenius(), "MOF": 0.3, "PE": 0.002}, voltage=1.0,
                             temperature=333.15)
    sig = dict(SIGMA, LLZO=Arrhenius().conductivity(333.15))
    assert res_T.effective_conductivity == pytest.approx(L / sum(THICK[n] / sig[n] for n in THICK), rel=TOL)
    # a callable of position, here a linear profile in x: sigma_eff is its width average
    res_x = solve_conduction(d, lambda x: 1.0 + x[0] / 4e-6, voltage=1.0)
    cen = d.mesh.p[:, d.mesh.t].mean(axis=1)
    assert res_x.conductivity == pytest.approx(1.0 + cen[0] / 4e-6)
    assert res_x.effective_conductivity == pytest.approx(1.5, rel=TOL)


def test_inputs_are_not_mutated_and_result_is_read_only():
    d, _ = series_stack(2)
    sigma = dict(SIGMA)
    G = {"LLZO|MOF": 1e3}
    p, t, region = d.mesh.p.copy(), d.mesh.t.copy(), d.region.copy()
    bnd = {k: v.copy() for k, v in d.boundaries.items()}
    res = solve_conduction(d, sigma, voltage=1.0, interface_conductance=G)
    assert sigma == SIGMA and G == {"LLZO|MOF": 1e3}
    assert np.array_equal(d.mesh.p, p) and np.array_equal(d.mesh.t, t)
    assert np.array_equal(d.region, region)
    assert all(np.array_equal(d.boundaries[k], v) for k, v in bnd.items())
    assert d.mesh.nvertices == p.shape[1]  # node splitting worked on a copy
    with pytest.raises(ValueError):
        res.potential[0] = 1.0
    with pytest.raises(TypeError):
        res.current_share["PE"] = 0.0
    with pytest.raises(AttributeError):
        res.voltage = 2.0


def test_current_density_function_matches_result():
    from ntransport.post.currents import current_density

    d, _ = series_stack(3)
    res = solve_conduction(d, SIGMA, voltage=1.0, order=1)  # the P1 gradient function
    j = current_density(d.mesh.p, d.mesh.t, np.asarray(res.potential), res.conductivity)
    assert np.allclose(j, res.current_density, rtol=1e-12, atol=1e-12 * np.abs(j).max())
    # uniform axial current I/A in every layer, no lateral current
    assert np.allclose(j[-1], res.total_current / res.area, rtol=1e-9)
    assert np.abs(j[:-1]).max() < 1e-9 * np.abs(j[-1]).max()
