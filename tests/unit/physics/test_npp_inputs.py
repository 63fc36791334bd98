"""Bad input raises clear errors; scaling and Bernoulli helpers."""
import numpy as np
import pytest

from ntransport.errors import ConfigError, MaterialError
from ntransport.physics.electrode import Electrode, Galvanostatic
from ntransport.physics.nernst_planck import bernoulli, bernoulli_pair, bernoulli_prime
from ntransport.physics.scaling import Scaling, debye_length
from ntransport.physics.species import Species, binary_salt
from ntransport.solve.npp import NPPProblem, run
from ntransport.geometry.structured import strip


def test_species_without_charge():
    with pytest.raises(MaterialError, match="no charge: give z"):
        Species("Li+", None, 1e-11, 1.0)


def test_negative_diffusivity():
    with pytest.raises(MaterialError, match=r"diffusivity D must be finite and >= 0, got -1e-11"):
        Species("Li+", 1, -1e-11, 1.0)


def test_bv_on_missing_boundary():
    d = strip(1e-4, n=5)
    with pytest.raises(ConfigError, match="boundary 'anod' not found. Did you mean 'anode'"):
        NPPProblem(d, binary_salt(1.0, 1e-11, 1e-11), [Electrode("anod", i0=1.0)])


def test_nonpositive_time_step():
    d = strip(1e-4, n=5)
    pr = NPPProblem(d, binary_salt(1.0, 1e-11, 1e-11),
                    [Electrode("anode", i0=1.0), Electrode("cathode", i0=1.0)])
    with pytest.raises(ValueError, match=r"dt \(time step\) \[s\] must be finite and > 0, got 0"):
        next(run(pr, t_end=1.0, dt=0.0))


def test_unknown_electrostatics_and_galvanostatic_electrode():
    d = strip(1e-4, n=5)
    sp = binary_salt(1.0, 1e-11, 1e-11)
    with pytest.raises(ConfigError, match="electrostatics 'poison' not found.*'poisson'"):
        NPPProblem(d, sp, [], electrostatics="poison")
    with pytest.raises(ConfigError, match="galvanostatic: electrode 'cathode' not found"):
        NPPProblem(d, sp, [Electrode("anode", i0=1.0)], galvanostatic=Galvanostatic("cathode", 1.0))


def test_not_electroneutral_initial_state():
    d = strip(1e-4, n=5)
    sp = [Species("Li+", 1, 1e-11, 2.0), Species("A-", -1, 1e-11, 1.0)]
    pr = NPPProblem(d, sp, [Electrode("anode", i0=1.0), Electrode("cathode", i0=1.0)])
    with pytest.raises(ConfigError, match="not electroneutral"):
        next(run(pr, t_end=1.0, dt=0.1))


def test_no_potential_reference():
    d = strip(1e-4, n=5)
    pr = NPPProblem(d, binary_salt(1.0, 1e-11, 1e-11), [Electrode("anode", i0=1.0)],
                    galvanostatic=Galvanostatic("anode", 1.0))
    with pytest.raises(ConfigError, match="potential has no reference"):
        next(run(pr, t_end=1.0, dt=0.1))


def test_scaling_roundtrip_and_debye():
    s = Scaling(1e-4, 1000.0, 1e-11, 298.15)
    assert s.time == pytest.approx(1e-8 / 1e-11)
    assert s.current == pytest.approx(96485.33212 * 1e-11 * 1000 / 1e-4)
    # λ̂² = 2 (λ_D/L)² for a 1:1 salt at c_ref
    lam = debye_length(10.0, 1000.0)
    assert s.lambda2(10.0) == pytest.approx(2 * (lam / 1e-4) ** 2)
    with pytest.raises(ValueError, match="length scale"):
        Scaling(0.0, 1.0, 1.0)


def test_bernoulli_continuity():
    x = np.array([-1e-4 * 0.999, 1e-4 * 1.001, -50.0, 50.0, 0.0])
    assert np.allclose(bernoulli(x), x / np.expm1(np.where(x == 0, 1, x)) * (x != 0) + (x == 0))
    h = 1e-6
    for x0 in (-3.0, -1e-5, 0.5, 20.0):
        fd = (bernoulli(x0 + h) - bernoulli(x0 - h)) / (2 * h)
        assert bernoulli_prime(x0) == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert bernoulli(-x[:4]) == pytest.approx(bernoulli(x[:4]) + x[:4])


def test_bernoulli_pair_equals_four_separate_evaluations():
    """B(x), B(-x), B'(x), B'(-x) from one exponential agree with the separate functions
    to round-off over the whole range: both series sides, the switch at 1e-4, large |x|
    where B(|x|) underflows towards 0 (relative accuracy kept: it is never computed as a
    difference of large numbers) and the clipped tails."""
    x = np.concatenate([np.linspace(-800.0, 800.0, 20001), np.geomspace(1e-12, 60.0, 2000),
                        -np.geomspace(1e-12, 60.0, 2000), [0.0, 1e-4, -1e-4, 0.99999e-4]])
    b, bn, db, dbn = bernoulli_pair(x)
    for got, ref in ((b, bernoulli(x)), (bn, bernoulli(-x))):
        np.testing.assert_allclose(got, ref, rtol=1e-14, atol=0)
    # B' near the series switch loses digits to cancellation in both forms (~eps/|x|)
    for got, ref in ((db, bernoulli_prime(x)), (dbn, bernoulli_prime(-x))):
        np.testing.assert_allclose(got, ref, rtol=1e-11, atol=0)
    assert np.all(b > 0) and np.all(bn > 0)  # what keeps the flux blocks M-matrices
    assert bernoulli_pair(40.0)[0] == pytest.approx(40.0 * np.exp(-40.0), rel=1e-14)


def test_inputs_not_mutated():
    d = strip(1e-4, n=5)
    p0 = d.mesh.p.copy()
    pr = NPPProblem(d, binary_salt(1.0, 1e-11, 1e-11),
                    [Electrode("anode", i0=1.0), Electrode("cathode", i0=1.0)],
                    galvanostatic=Galvanostatic("anode", 0.01))
    next(run(pr, t_end=1.0, dt=0.1))
    np.testing.assert_array_equal(d.mesh.p, p0)
