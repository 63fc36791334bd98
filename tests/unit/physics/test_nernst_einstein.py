"""The single Nernst--Einstein implementation and the three places that use it."""
import pytest

from ntransport.constants import F, R
from ntransport.materials import get
from ntransport.physics.nernst_einstein import nernst_einstein_split, nernst_einstein_sum
from ntransport.physics.species import nernst_einstein_diffusivities
from ntransport.solve.deposition_problem import electrolyte_species


def test_split_inverts_to_the_measured_conductivity_and_transference():
    sigma, t, c, T = 0.036, 0.42, 1000.0, 298.15
    dp, dm = nernst_einstein_split(sigma, t, c, T)
    # sigma = F^2 c (D+ + D-)/(RT) and t+ = D+/(D+ + D-) by definition: exact up to rounding
    assert F**2 * c * (dp + dm) / (R * T) == pytest.approx(sigma, rel=1e-14)
    assert dp / (dp + dm) == pytest.approx(t, rel=1e-14)
    assert nernst_einstein_sum(sigma, c, T) == pytest.approx(dp + dm, rel=1e-15)


def test_every_caller_gives_the_same_numbers():
    m = get("PVH-in-SiO2")
    T = 320.0
    ref = nernst_einstein_split(m.conductivity(T), m.transference, m.salt_concentration, T)
    li, anion = electrolyte_species(m.conductivity(T), m.transference,
                                    c_ref=m.salt_concentration, T=T)
    for got in (m.diffusivities(T), (li.D, anion.D),
                nernst_einstein_diffusivities(m.conductivity(T), m.transference,
                                              m.salt_concentration, T)):
        assert got == pytest.approx(ref, rel=1e-15)
