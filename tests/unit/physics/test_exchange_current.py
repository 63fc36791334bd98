"""i0 from a symmetric cell's overpotential (physics.kinetics)."""
import math

import pytest

from ntransport.constants import F, R
from ntransport.physics.kinetics import butler_volmer, exchange_current_from_overpotential


def test_the_exchange_current_carries_the_current_and_has_the_linear_limit():
    i0 = exchange_current_from_overpotential(0.06, 1.0, T=298.15)
    assert float(butler_volmer(0.06, i0=i0, T=298.15).i) == pytest.approx(1.0, rel=1e-12)
    small = exchange_current_from_overpotential(1e-6, 2.0, T=298.15)
    assert small == pytest.approx(R * 298.15 * 2.0 / (F * 1e-6), rel=1e-6)


def test_an_overpotential_beyond_floating_point_is_named_not_an_i0_of_zero():
    """6e7 mV (a case file's 60 mV x 1e6) gave i0 = 0 through an overflowing exp, and the
    deposition study failed later with 'i0 must be finite and > 0, got 0.0'."""
    with pytest.raises(ValueError, match=r"overpotential of 3e\+04 V at 1 A/m2 implies an "
                                          r"exchange current density of 0 A/m2"):
        exchange_current_from_overpotential(3e4, 1.0)
    assert math.isfinite(exchange_current_from_overpotential(1.0, 1.0))
