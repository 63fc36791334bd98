"""Bad input to `solve_conduction`: every error names the argument, value and fix."""
import numpy as np
import pytest
import skfem

from ntransport.errors import ConfigError, ConvergenceError, MaterialError
from ntransport.geometry import Domain
from ntransport.solve.conduction import solve_conduction
from ntransport.solve.linear import AMGSolver, CGSolver


@pytest.fixture(scope="module")
def stack():
    """Two layers 'PEO' (bottom) and 'LLZO' (top) on a 6 x 8 structured grid."""
    m = skfem.MeshTri.init_tensor(np.linspace(0, 1e-6, 7), np.linspace(0, 2e-6, 9))
    cy = m.p[1, m.t].mean(axis=0)
    groups = {"PEO": np.nonzero(cy < 1e-6)[0], "LLZO": np.nonzero(cy >= 1e-6)[0]}
    y = m.p[1, m.facets].mean(axis=0)
    b = m.boundary_facets()
    x = m.p[0, m.facets].mean(axis=0)
    fg = {"anode": m.facets[:, b[np.isclose(y[b], 0)]].T,
          "cathode": m.facets[:, b[np.isclose(y[b], 2e-6)]].T,
          "left": m.facets[:, b[np.isclose(x[b], 0)]].T}
    return Domain.from_arrays(m.p.T, m.t.T, groups, fg)


OK = {"PEO": 0.01, "LLZO": 0.1}


def test_unknown_subdomain_is_named_with_suggestion(stack):
    with pytest.raises(KeyError, match=r"subdomain 'PEO2' not found.*Did you mean 'PEO'"):
        solve_conduction(stack, {"PEO2": 0.01, "LLZO": 0.1}, voltage=1.0)


def test_missing_subdomain(stack):
    with pytest.raises(MaterialError, match=r"missing for subdomain\(s\) \['LLZO'\]"):
        solve_conduction(stack, {"PEO": 0.01}, voltage=1.0)


@pytest.mark.parametrize("bad", [0.0, -1e-3, float("nan"), float("inf")])
def test_non_positive_or_non_finite_conductivity(stack, bad):
    with pytest.raises(MaterialError, match=r"conductivity of subdomain 'LLZO' must be finite and > 0"):
        solve_conduction(stack, {"PEO": 0.01, "LLZO": bad}, voltage=1.0)


def test_callable_conductivity_checked_pointwise(stack):
    with pytest.raises(MaterialError, match=r"subdomain 'PEO' must be finite and > 0 S/m, got -"):
        solve_conduction(stack, {"PEO": lambda x: 0.5e-6 - x[0], "LLZO": 0.1}, voltage=1.0)
    with pytest.raises(MaterialError, match="the domain must be finite"):
        solve_conduction(stack, lambda x: x[0] - 0.5e-6, voltage=1.0)


def test_wrong_conductivity_type(stack):
    with pytest.raises(MaterialError, match="must be a number .* got str '0.36 mS/cm'"):
        solve_conduction(stack, {"PEO": "0.36 mS/cm", "LLZO": 0.1}, voltage=1.0)


@pytest.mark.parametrize("kw", [{}, {"voltage": 1.0, "current": 1.0}])
def test_exactly_one_of_voltage_and_current(stack, kw):
    with pytest.raises(ConfigError, match="give exactly one of voltage .* or current"):
        solve_conduction(stack, OK, **kw)


@pytest.mark.parametrize("kw", [{"voltage": 0.0}, {"current": float("nan")}])
def test_zero_or_nan_drive(stack, kw):
    with pytest.raises(ConfigError, match="must be finite and non-zero"):
        solve_conduction(stack, OK, **kw)


def test_electrode_not_a_boundary_suggests(stack):
    with pytest.raises(KeyError, match=r"electrode boundary 'cathod' not found.*Did you mean 'cathode'"):
        solve_conduction(stack, OK, voltage=1.0, electrodes=("anode", "cathod"))


@pytest.mark.parametrize("electrodes", ["anode", ("anode", "anode"), ("anode",)])
def test_electrodes_must_be_two_names(stack, electrodes):
    with pytest.raises(ConfigError, match="electrodes must be two different boundary names"):
        solve_conduction(stack, OK, voltage=1.0, electrodes=electrodes)


def test_unknown_interface_and_bad_conductance(stack):
    with pytest.raises(KeyError, match=r"interface 'LLZO\|PE' not found.*'LLZO\|PEO'"):
        solve_conduction(stack, OK, voltage=1.0, interface_conductance={"LLZO|PE": 1e3})
    with pytest.raises(MaterialError, match=r"interface_conductance of 'LLZO\|PEO' must be finite and > 0"):
        solve_conduction(stack, OK, voltage=1.0, interface_conductance={"PEO|LLZO": -1.0})


def test_unknown_solver_name(stack):
    with pytest.raises(ConfigError, match=r"solver must be .* got 'amgg'.*Did you mean 'amg'"):
        solve_conduction(stack, OK, voltage=1.0, solver="amgg")


# max_coarse=10: two levels, so one iteration is not an exact solve (63 nodes would
# otherwise be one dense Cholesky, converged after a single iteration)
@pytest.mark.parametrize("solver", [AMGSolver(rtol=1e-14, maxiter=1, max_coarse=10),
                                    CGSolver(rtol=1e-12, maxiter=2)])
def test_solver_non_convergence_raises_with_residual(stack, solver):
    with pytest.raises(ConvergenceError, match=r"did not converge: relative residual .* after \d+ iterations"):
        solve_conduction(stack, OK, voltage=1.0, solver=solver)


def test_touching_electrodes(stack):
    with pytest.raises(ConfigError, match="electrodes 'anode' and 'left' share nodes"):
        solve_conduction(stack, OK, voltage=1.0, electrodes=("anode", "left"))
