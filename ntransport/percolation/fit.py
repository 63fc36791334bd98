r"""Percolation power law ``sigma = sigma_0 (V_f - V_p)^n`` and the mixing rule.

Su et al. (EES Batteries 2025), eqn (2): above the threshold ``V_p`` the
electronic conductivity of a metal/insulator composite follows

.. math:: \sigma = \sigma_0 (V_f - V_p)^n ,

with universal exponents n ≈ 1.30 (2D) and n ≈ 2.0 (3D) (Stauffer & Aharony).
Their eqn (1), the parallel mixing rule ``sigma = V_f sigma_M + (1 - V_f) sigma_NM``,
ignores connectivity and is the upper Wiener bound.

`fit_power_law` fits ``log sigma = log sigma_0 + n log(V_f - V_p)`` by
nonlinear least squares (``scipy.optimize.curve_fit``) with ``V_p`` either
free or fixed (e.g. to the graph-connectivity threshold), and gives confidence
intervals from a bootstrap over realisations (each realisation resampled as a
whole, so particle-placement randomness is what the interval measures) and
from the curve_fit covariance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import curve_fit

from ..errors import ConfigError, check_positive

__all__ = ["PowerLawFit", "fit_power_law", "fit_mean_power_law", "conductivity_law",
           "mixing_rule", "DEFAULT_FIT_3D", "power_law", "linear_mixing", "check_fractions"]


@dataclass(frozen=True)
class PowerLawFit:
    """Fitted ``sigma_0``, ``V_p``, ``n`` with 95 % confidence intervals."""

    sigma0: float
    v_p: float
    n: float
    ci: dict = field(default_factory=dict)   # name -> (low, high), bootstrap 95 %
    stderr: dict = field(default_factory=dict)  # name -> curve_fit standard error
    v_p_fixed: bool = False
    dim: int | None = None

    def __call__(self, v_f, *, sigma_metal=1.0):
        return conductivity_law(v_f, fit=self, sigma_metal=sigma_metal)


#: Default law for metal in a 3D interphase: overlapping-sphere continuum threshold
#: (our graph estimate, 0.2895 = Lorenz & Ziff 2001), universal 3D exponent 2.0, and
#: sigma_0 normalised so that sigma(V_FM = 1) = sigma_M. Relative units (x sigma_M).
DEFAULT_FIT_3D = PowerLawFit(sigma0=1.0 / (1.0 - 0.2895) ** 2, v_p=0.2895, n=2.0,
                             v_p_fixed=True, dim=3)


def _model(v, logs0, vp, n):
    return logs0 + n * np.log(np.clip(v - vp, 1e-12, None))


def _fit_once(v, s, v_p):
    ls = np.log(s)
    if v_p is not None:
        f = lambda x, a, n: _model(x, a, v_p, n)  # noqa: E731
        p, cov = curve_fit(f, v, ls, p0=[ls.max(), 1.5])
        return np.array([p[0], v_p, p[1]]), np.sqrt(np.diag(cov)).tolist()[:1] + [0.0, np.sqrt(cov[1, 1])]
    vp0 = 0.9 * v.min()
    p, cov = curve_fit(_model, v, ls, p0=[ls.max(), vp0, 1.5],
                       bounds=([-np.inf, 0.0, 0.1], [np.inf, v.min() - 1e-9, 6.0]))
    return p, np.sqrt(np.diag(cov)).tolist()


def fit_power_law(volume_fraction, sigma, *, v_p=None, realisation=None,
                  n_boot=500, rng=0, dim=None) -> PowerLawFit:
    """Fit ``sigma = sigma_0 (V_f - V_p)^n`` to conducting samples.

    Parameters
    ----------
    volume_fraction, sigma : array_like
        One entry per realisation and fraction; only ``sigma > 0`` points above
        ``V_p`` (if fixed) enter.
    v_p : float, optional
        Fix the threshold (e.g. from `estimate_threshold`); free if None.
    realisation : array_like of int, optional
        Realisation id of each entry for the bootstrap (default: each entry alone).
    n_boot : int
        Bootstrap resamples for the 95 % intervals (0 to skip).
    """
    v = np.asarray(volume_fraction, float).ravel()
    s = np.asarray(sigma, float).ravel()
    if v.shape != s.shape:
        raise ConfigError(f"volume_fraction and sigma differ in length: {v.size} vs {s.size}.")
    keep = np.isfinite(s) & (s > 0)
    if v_p is not None:
        check_positive(v_p, name="v_p", exc=ConfigError)
        keep &= v > v_p
    if np.unique(v[keep]).size < 3:
        raise ConfigError(
            f"need conducting samples at >= 3 distinct volume fractions to fit, got "
            f"{np.unique(v[keep]).size}; add fractions above the threshold.")
    groups = np.arange(v.size) if realisation is None else np.asarray(realisation).ravel()
    p, se = _fit_once(v[keep], s[keep], v_p)
    rng = np.random.default_rng(rng)
    ids = np.unique(groups)
    boots = []
    for _ in range(int(n_boot)):
        pick = rng.choice(ids, size=ids.size, replace=True)
        m = np.concatenate([np.flatnonzero((groups == g) & keep) for g in pick])
        if np.unique(v[m]).size < 3:
            continue
        try:
            boots.append(_fit_once(v[m], s[m], v_p)[0])
        except (RuntimeError, ValueError):
            continue
    return _result(p, se, boots, fixed=v_p is not None, dim=dim)


def fit_mean_power_law(volume_fraction, sigma, *, v_p=None, window=None, n_boot=500,
                       rng=0, dim=None, v_p_se=0.0, skip=0.0) -> PowerLawFit:
    r"""Fit eqn (2) to the *ensemble-mean* conductivity near the threshold.

    In a finite sample each realisation either spans (sigma ~ sigma_M L^{-n/nu}) or
    not (sigma ~ sigma_NM), so single realisations carry no power law near V_p; the
    ensemble mean :math:`\langle\sigma\rangle(V)` -- what a large sample made of many
    such boxes in parallel measures -- does. The fit is
    :math:`\log\langle\sigma\rangle = \log\sigma_0 + n\log(V - V_p)` over the
    fractions with :math:`V_p < V \le V_p + \text{window}`; the 95 % intervals come
    from a bootstrap over realisations (columns resampled, means recomputed, refit).

    Parameters
    ----------
    volume_fraction : (nf,) array
        Metal fraction of each row (mean realised fraction).
    sigma : (nf, nr) array
        Conductivity of every realisation at every fraction (> 0).
    v_p : float, optional
        Fix the threshold (e.g. at the graph threshold of the same microstructures);
        free (bounded below the smallest fitted fraction) if None.
    window : float, optional
        Width of the critical region above V_p used in the fit (all points if None;
        with a free V_p the window is taken above the fixed *reference* given as
        ``window=(v_ref, width)``).
    v_p_se : float
        Standard error of a fixed V_p: each bootstrap resample also draws V_p from
        N(v_p, v_p_se), so the intervals include the threshold's uncertainty.
    skip : float
        Fractions closer than this to V_p are left out: in a box of size L the transition
        is rounded over the width of the first-spanning distribution, and the power law
        only holds for V - V_p above it.
    """
    v = np.asarray(volume_fraction, float).ravel()
    s = np.asarray(sigma, float)
    if s.ndim != 2 or s.shape[0] != v.size:
        raise ConfigError(f"sigma must have shape (n_fractions={v.size}, n_realisations), "
                          f"got {s.shape}.")
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise ConfigError("sigma must be finite and > 0 (give the insulator a finite "
                          "conductivity).")
    ref, width = (v_p, window) if not isinstance(window, tuple) else window
    sel = np.ones(v.size, bool)
    if ref is not None:
        sel &= v > ref + float(skip)
        if width is not None:
            sel &= v <= ref + width
    if sel.sum() < 3:
        raise ConfigError(f"need >= 3 fractions in the fit window, got {int(sel.sum())} "
                          f"(fractions {v.tolist()}, window above {ref!r} of {width!r}); "
                          "add fractions just above the threshold.")
    vs, ss = v[sel], s[sel]
    p, se = _fit_once(vs, ss.mean(axis=1), v_p)
    rng = np.random.default_rng(rng)
    boots = []
    for _ in range(int(n_boot)):
        cols = rng.integers(0, ss.shape[1], ss.shape[1])
        vp_b = v_p if v_p is None or not v_p_se else float(rng.normal(v_p, v_p_se))
        ok = vs > vp_b if vp_b is not None else np.ones(vs.size, bool)
        if ok.sum() < 3:
            continue
        try:
            boots.append(_fit_once(vs[ok], ss[ok][:, cols].mean(axis=1), vp_b)[0])
        except (RuntimeError, ValueError):
            continue
    return _result(p, se, boots, fixed=v_p is not None, dim=dim)


def check_fractions(v, *, name, exc=ConfigError):
    """*v* as a float array, or raise *exc* naming *name* unless all of it is in [0, 1]."""
    a = np.asarray(v, float)
    if not np.all(np.isfinite(a)) or np.any((a < 0) | (a > 1)):
        raise exc(f"{name} must lie in [0, 1], got {v!r}.")
    return a


def power_law(v, *, sigma0, v_p, n):
    r"""The bare law :math:`\sigma_0 (v - v_p)^n` for :math:`v > v_p`, 0 otherwise.

    No validation (see `conductivity_law` and
    :func:`ntransport.physics.interphase.percolation_conductivity`, which check
    their inputs); *v* is a float array, the result an array of its shape.
    """
    above = np.clip(v - v_p, 0.0, None)
    return np.where(v > v_p, sigma0 * above ** n, 0.0)


def linear_mixing(v, *, sigma_metal, sigma_insulator):
    """The parallel (upper Wiener) mixing rule ``v sigma_M + (1 - v) sigma_NM``, unchecked."""
    return v * sigma_metal + (1 - v) * sigma_insulator


def conductivity_law(v_fm, *, fit: PowerLawFit | None = None, sigma_metal: float = 1.0,
                     sigma_insulator: float = 0.0):
    r"""Electronic conductivity [S/m] of an interphase with metal fraction *v_fm*.

    .. math:: \sigma_e = \sigma_M\,\sigma_0 (V_{FM} - V_p)^n \quad (V_{FM} > V_p),
              \qquad \sigma_e = \sigma_{NM} \text{ otherwise},

    with the floor ``max(., sigma_insulator)``.

    Parameters
    ----------
    v_fm : float or array_like
        Metal volume fraction(s) in [0, 1].
    fit : PowerLawFit, optional
        Fitted to ``sigma_eff / sigma_M`` (relative units, as `fit_power_law` on
        normalised data); default `DEFAULT_FIT_3D`.
    sigma_metal : float
        Conductivity of the metal [S/m] (e.g. Li: 1.1e7 S/m); 1 gives sigma/sigma_M.
    sigma_insulator : float
        Conductivity of the non-metal phase [S/m] (floor below the threshold).

    Examples
    --------
    >>> round(conductivity_law(0.2895 + 0.1, sigma_metal=1.0), 4)
    0.0198
    """
    fit = DEFAULT_FIT_3D if fit is None else fit
    check_positive(sigma_metal, name="sigma_metal", exc=ConfigError)
    check_positive(sigma_insulator, name="sigma_insulator", allow_zero=True, exc=ConfigError)
    v = check_fractions(v_fm, name="v_fm")
    out = power_law(v, sigma0=sigma_metal * fit.sigma0, v_p=fit.v_p, n=fit.n)
    out = np.maximum(out, sigma_insulator)
    return float(out) if out.ndim == 0 else out


def mixing_rule(v_f, *, sigma_metal, sigma_insulator=0.0):
    """Su et al. eqn (1): ``V_f sigma_M + (1 - V_f) sigma_NM`` [S/m]."""
    check_positive(sigma_metal, name="sigma_metal", exc=ConfigError)
    v = check_fractions(v_f, name="v_f")
    out = linear_mixing(v, sigma_metal=sigma_metal, sigma_insulator=sigma_insulator)
    return float(out) if out.ndim == 0 else out


def _result(p, se, boots, *, fixed: bool, dim) -> PowerLawFit:
    """The fit (log sigma0, v_p, n) with standard errors *se* and the 95 % percentile
    intervals of the bootstrap fits *boots* (none if every bootstrap fit failed)."""
    ci = {}
    if boots:
        b = np.array(boots)
        for j, name in enumerate(("sigma0", "v_p", "n")):
            col = np.exp(b[:, 0]) if j == 0 else b[:, j]
            ci[name] = tuple(np.percentile(col, [2.5, 97.5]).tolist())
    stderr = {"sigma0": float(np.exp(p[0]) * se[0]), "v_p": float(se[1]), "n": float(se[2])}
    return PowerLawFit(float(np.exp(p[0])), float(p[1]), float(p[2]), ci, stderr, fixed, dim)
