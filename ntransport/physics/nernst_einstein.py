r"""The Nernst--Einstein relation for a 1:1 salt: the one place it is written down.

.. math:: \sigma = \frac{F^2 c}{RT}(D_+ + D_-), \qquad t_+ = \frac{D_+}{D_+ + D_-},

so :math:`D_\pm = t_\pm\,\sigma RT/(F^2 c)`. Pure arithmetic, no validation: callers
check their inputs and raise with their own argument names. Imports only constants, so
the leaf data module :mod:`ntransport.materials` may use it.
"""

from __future__ import annotations

from ..constants import F, R

__all__ = ["nernst_einstein_sum", "nernst_einstein_split"]


def nernst_einstein_sum(sigma, c, T):
    r""":math:`D_+ + D_- = \sigma RT/(F^2 c)` [m2/s] from conductivity *sigma* [S/m],
    salt concentration *c* [mol/m3] and temperature *T* [K].

    Examples
    --------
    >>> round(nernst_einstein_sum(0.1, 1000.0, 298.15) * 1e11, 3)
    2.663
    """
    return sigma * R * T / (F**2 * c)


def nernst_einstein_split(sigma, t_plus, c, T):
    r"""(:math:`D_+`, :math:`D_-`) [m2/s] = (:math:`t_+`, :math:`1-t_+`) times
    :func:`nernst_einstein_sum`."""
    total = nernst_einstein_sum(sigma, c, T)
    return t_plus * total, (1 - t_plus) * total
