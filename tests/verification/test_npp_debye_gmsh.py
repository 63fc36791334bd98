"""Poisson NPP on gmsh domains meshed from the Debye length (issue 3, item 2).

`debye_boundary_layer` computes λ_D from the species and permittivity and hands the
gmsh builders a graded boundary layer; the unstructured Delaunay mesh must then give the
Gouy--Chapman double layer as accurately as the structured strips of test_npp_poisson.
"""
import numpy as np
import pytest

from ntransport.constants import F, R
from ntransport.errors import ConfigError, GeometryError
from ntransport.geometry import layered_stack, particle_composite
from ntransport.physics.debye import debye_boundary_layer, debye_lengths
from ntransport.physics.electrode import FixedConcentration, FixedPotential
from ntransport.physics.scaling import debye_length
from ntransport.physics.species import Species, binary_salt
from ntransport.solve.npp import NPPProblem, run

T = 298.15
VT = R * T / F


def _gouy_chapman(elements_per_debye):
    """1:1 salt, wall ('anode') at phi0 = 4 V_T, bulk reservoir ('cathode') at 20 λ_D,
    on a gmsh layered_stack one λ_D wide meshed from λ_D. Returns (domain, state, λ)."""
    c0, eps = 1e-3, 10.0  # λ_D = 0.109 µm: a 2.2 µm cell, comfortable for gmsh in µm
    species = binary_salt(c0, 1e-11, 1e-11)
    bl = debye_boundary_layer(species, eps, temperature=T,
                              elements_per_debye=elements_per_debye)
    lam = debye_lengths(species, eps, temperature=T)["*"]
    Ld = 20 * lam
    d = layered_stack([("electrolyte", Ld)], width=lam, mesh_size=Ld / 20, boundary_layer=bl)
    bcs = [FixedPotential("anode", 4 * VT), FixedPotential("cathode", 0.0),
           FixedConcentration("cathode", "Li+", c0), FixedConcentration("cathode", "A-", c0)]
    pr = NPPProblem(d, species, bcs, electrostatics="poisson", permittivity=eps, temperature=T)
    tau = Ld**2 / 1e-11
    # 3 diffusion times relax the layer to equilibrium (slowest mode decays as
    # exp(-pi^2 t/(4 tau)), i.e. e^-7 at 3 tau; measured: 3 tau and 20 tau agree to 1e-4)
    for s in run(pr, t_end=3 * tau, dt=1e-2 * tau, rtol=1e-2):
        pass
    return d, s, lam, c0


def _errors(d, s, lam, c0):
    y = d.mesh.p[1]
    g = np.tanh(4 * VT / (4 * VT))
    e = np.exp(-y / lam)
    exact = 2 * VT * np.log((1 + g * e) / (1 - g * e))
    err_phi = np.max(np.abs(s.potential - exact)) / (4 * VT)
    err_c = np.max(np.abs(s.concentrations["A-"] / (c0 * np.exp(exact / VT)) - 1))
    return err_phi, err_c


def test_gouy_chapman_on_gmsh_stack_meshed_from_debye_length():
    """φ within 1 % of φ0 (measured 0.34 % with 10 elements per λ_D; about O(h²): 1.07 %
    with 5, 0.063 % with 20), counter-ion Boltzmann factor within 2 % (measured 1.5 %;
    the same bound as the structured-strip test)."""
    d, s, lam, c0 = _gouy_chapman(10)
    err_phi, err_c = _errors(d, s, lam, c0)
    assert err_phi < 0.01
    assert err_c < 0.02
    # the element-size requirement: edges within λ_D of the wall are λ_D/10 on average,
    # i.e. >= 10 elements across one Debye length (gmsh accepts 0.7x-1.4x the target)
    m = d.mesh
    e = m.facets
    length = np.linalg.norm(m.p[:, e[0]] - m.p[:, e[1]], axis=0)
    ymid = 0.5 * (m.p[1, e[0]] + m.p[1, e[1]])
    inside = ymid < lam
    assert lam / length[inside].mean() >= 10 / 1.15
    assert lam / length[inside].max() >= 10 / 1.6
    # the far field stays coarse: the layer costs elements only where it is
    assert length[np.abs(ymid - 10 * lam) < lam].mean() > 5 * length[inside].mean()


def test_error_falls_with_elements_per_debye():
    """Coarser layer, larger error: 5 elements per λ_D measured 1.07 %, 10 gives 0.34 %
    (ratio 3.1; second order would give 4, the bound 2 leaves room for mesh noise)."""
    e5 = _errors(*_gouy_chapman(5))[0]
    e10 = _errors(*_gouy_chapman(10))[0]
    assert e10 < 0.5 * e5


def test_unresolvable_debye_length_raises_and_offers_electroneutral():
    """λ_D ~ 0.08 nm (1 M salt, ε_r = 5) in a 20 µm cell: millions of elements."""
    species = binary_salt(1000.0, 1e-11, 1e-11)
    bl = debye_boundary_layer(species, 5.0)
    lam = debye_length(5.0, 1000.0, T)
    assert lam < 1e-10
    with pytest.raises(GeometryError, match=r"(?s)about .* elements.*Debye length is "
                                            r"[0-9.e-]+ m.*electrostatics='electroneutral'"):
        layered_stack([("PEO", 20e-6)], width=20e-6, boundary_layer=bl)
    with pytest.raises(GeometryError, match="electroneutral"):
        particle_composite((20e-6, 20e-6), centers=[[10e-6, 10e-6]], radii=[3e-6],
                           boundary_layer=bl)


def test_debye_lengths_per_subdomain_and_smallest_is_used():
    species = (Species("Li+", 1, 1e-11, {"PEO": 1.0, "LLZO": 100.0}),
               Species("A-", -1, 1e-11, {"PEO": 1.0, "LLZO": 100.0}))
    lam = debye_lengths(species, {"PEO": 5.0, "LLZO": 60.0})
    np.testing.assert_allclose(lam["PEO"], debye_length(5.0, 1.0), rtol=1e-12)
    np.testing.assert_allclose(lam["LLZO"], debye_length(60.0, 100.0), rtol=1e-12)
    bl = debye_boundary_layer(species, {"PEO": 5.0, "LLZO": 60.0}, elements_per_debye=4)
    np.testing.assert_allclose(bl.size, min(lam.values()) / 4, rtol=1e-12)
    assert "subdomain 'LLZO'" in bl.note


def test_bad_input():
    species = binary_salt(1.0, 1e-11, 1e-11)
    with pytest.raises(ConfigError, match="no ions"):
        debye_boundary_layer(binary_salt(0.0, 1e-11, 1e-11), 5.0)
    with pytest.raises(ConfigError, match="permittivity has no value for subdomain 'B'"):
        debye_lengths(species, {"A": 5.0}, regions=["A", "B"])
    with pytest.raises(ConfigError, match="elements_per_debye"):
        debye_boundary_layer(species, 5.0, elements_per_debye=0)
    with pytest.raises(ConfigError, match="permittivity"):
        debye_lengths(species, -1.0)
