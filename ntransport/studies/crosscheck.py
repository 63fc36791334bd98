r"""Cross-check: sharp-interface ALE deposition vs the phase-field model, same defect.

One cell -- a cosine bump of height :math:`h_d` and width :math:`w_d` at the centre of a
flat Li surface, an electrolyte layer of thickness `height` above it, the bulk (c = c0,
applied current) at the top -- is run with

(a) the sharp-interface ALE model (:func:`ntransport.solve.deposition.run`), and
(b) the phase-field model (:func:`ntransport.solve.phasefield.solve`) on a box with a
    Li foil of thickness `foil` below y = 0 and
    :math:`\xi_0 = \tfrac12[1-\tanh(d/\ell)]`, `d` the signed distance to the same curve,

both galvanostatic with the same plating current density `i` [A/m²] for the same time,
entering through the same fixed top boundary (ALE ``follow_front=False``).

Matched inputs (normalised MOOSE set, :math:`l_0 = 1` µm, :math:`t_0 = 1` s):

* electrolyte: the set's :math:`\sigma_l = F^2 D_l c_0/RT` is the Nernst--Einstein
  conductivity of Li+ alone: a single-ion conductor (t+ = 1) in both models, D = D_l;
* kinetics: the phase-field rate :math:`L_\eta h'(\xi)B` integrated across the interface
  (:math:`\int h'\,dn = 2.5\ell` for the tanh profile) is a Butler--Volmer current with
  :math:`i_0 = 2.5\,\ell L_\eta F c_s` (9.3 A/m²), :math:`\alpha = 0.5`, used by the ALE;
* metal: :math:`c_s = \rho/M` in both.
* **interface energy** (:func:`comparable_capillarity`): the sharp ALE interface has no
  surface energy term; a Li surface energy :math:`\gamma` = 0.5 J/m² would shift its
  equilibrium potential by :math:`\gamma V_m\mathcal K/F` = 0.09 mV on the 1.5 µm bump,
  nothing at this drive. The MOOSE set's Allen--Cahn mobility relaxes curvature at
  :math:`L_\sigma\kappa_0\mathcal K` (1.9 µm²/s), 5.8e5 times faster than that
  Gibbs--Thomson effect would: it flattens the bump in a second (the first version of
  this cross-check). Here :math:`L_\sigma` is set so that the phase field's curvature
  velocity equals the Gibbs--Thomson velocity of :math:`\gamma` through its own
  kinetics, :math:`L_\sigma\kappa_0 = 2.5\ell L_\eta f\gamma V_m/F`: both models then
  carry the same (physically small) interface energy.

Remaining differences (not removable): the phase-field interface is diffuse (10--90 %
width 1.1 µm, comparable to the bump) and its overpotential is taken inside that zone;
the ALE interface is sharp.

Metrics at matched times: mean front advance (deposited area / width; both must equal
the Faraday thickness :math:`i t M/(F\rho)`), the flat-part front position, the bump height
above the flat front, and the **shape**: the mean and largest vertical distance between
the ALE anode and (i) the phase-field :math:`\xi = 1/2` contour, (ii) its equivalent
sharp interface :math:`\int\xi\,dy` per column (:func:`column_heights`). With the small
capillarity the diffuse profile is not relaxed back to its tanh shape while it plates
(its relaxation time :math:`1/(L_\sigma W)` is hours), so it broadens on the electrolyte
side and the :math:`\xi = 1/2` level moves ahead of the deposited amount; the column
integral is the position that carries the Li.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..constants import F, R
from ..errors import ConfigError, check_positive
from ..geometry.boxes import box
from ..geometry.remesh import anode_profile
from ..physics.phasefield_mechanics import LI_MOLAR_VOLUME
from ..physics.phasefield_params import (LI_MOLAR_DENSITY, interface_length, interface_width,
                                         moose_normalised_parameters)
from ..solve.deposition import (DepositionProblem, MeshOptions, electrolyte_species,
                                 initial_state, run)
from ..solve.phasefield import PhaseFieldProblem, deposit_area, interface_points, solve

__all__ = ["CrossCheckCase", "Snapshot", "CrossCheckResult", "run_crosscheck",
           "ale_electrolyte", "faraday_thickness", "front_metrics", "capillary_relaxation_rate",
           "comparable_capillarity", "exchange_current", "shape_distance", "column_heights",
           "LI_SURFACE_ENERGY", "ale_temperature"]

log = logging.getLogger(__name__)

#: surface energy of Li metal [J/m2] (0.46-0.52 J/m2 for the low-index faces, Tran et al.,
#: Sci. Data 3 (2016) 160080)
LI_SURFACE_ENERGY = 0.5


@dataclass(frozen=True)
class CrossCheckCase:
    """Geometry, loading and resolution of the cross-check (SI unless stated).

    `current_density` > 0 plates Li [A/m²]; `times` are the snapshot times [s];
    `foil` is the phase-field Li thickness below y = 0; `h_fine` the phase-field grid
    spacing [m] (its triangles' longest edge must stay below width/4 of the diffuse
    interface; the solver checks it); `h_anode`, `h_max` the ALE mesh sizes.
    """

    width: float = 4e-6
    height: float = 3e-6
    bump_height: float = 0.5e-6
    bump_width: float = 1.5e-6
    current_density: float = 3.0
    times: tuple = (300.0, 600.0, 900.0, 1200.0)
    foil: float = 1.5e-6
    h_fine: float = 0.15e-6
    h_anode: float = 0.1e-6
    h_max: float = 0.4e-6
    flat_margin: float = 0.5e-6

    def __post_init__(self):
        for name in ("width", "height", "bump_height", "bump_width", "current_density",
                     "foil", "h_fine", "h_anode", "h_max", "flat_margin"):
            check_positive(getattr(self, name), name=name, exc=ConfigError)
        t = np.asarray(self.times, float)
        if t.ndim != 1 or t.size == 0 or np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise ConfigError(f"times must be a non-empty increasing tuple of positive "
                              f"times [s], got {self.times!r}.")
        if self.bump_height >= self.height / 2:
            raise ConfigError(
                f"bump_height = {self.bump_height * 1e6:.3g} µm must be below half the "
                f"electrolyte height = {self.height * 1e6:.3g} µm (the deposit must stay "
                "clear of the bulk boundary); lower the bump or raise height.")
        if self.bump_width + 2 * self.flat_margin >= self.width:
            raise ConfigError(
                f"bump_width + 2*flat_margin = {(self.bump_width + 2 * self.flat_margin) * 1e6:.3g}"
                f" µm must be < width = {self.width * 1e6:.3g} µm: no flat part is left to "
                "compare; widen the domain or narrow the bump.")


@dataclass(frozen=True)
class Snapshot:
    """Both interfaces at one time: curves (2, n) [m] and metrics [m]."""

    t: float
    ale_curve: np.ndarray
    pf_points: np.ndarray
    ale_mean_advance: float
    pf_mean_advance: float
    ale_flat: float
    pf_flat: float
    ale_bump: float
    pf_bump: float
    shape_mean: float
    shape_max: float
    pf_columns: np.ndarray  # (2, n) equivalent sharp interface of the phase field [m]
    column_mean: float
    column_max: float
    column_bump: float


@dataclass(frozen=True)
class CrossCheckResult:
    case: CrossCheckCase
    initial_curve: np.ndarray  # (2, n) [m]
    snapshots: tuple
    pf_domain: object  # Domain in metres, the foil below y = foil
    pf_xi: np.ndarray  # last phase-field xi
    interface_width: float  # phase-field 10-90 % width [m]
    params: object  # the phase-field set used

    @property
    def times(self):
        return np.array([s.t for s in self.snapshots])

    def faraday(self):
        """Faraday thickness at the snapshot times [m]."""
        return faraday_thickness(self.case.current_density, self.times)


def faraday_thickness(current_density, t):
    r"""Mean plated thickness :math:`i t M/(F\rho) = i t/(F c_s)` [m]."""
    return np.asarray(current_density) * np.asarray(t) / (F * LI_MOLAR_DENSITY)


def exchange_current(params) -> float:
    r"""Butler--Volmer exchange current of the phase-field reaction term [A/m²]:
    :math:`i_0 = L_\eta F c_s\int h'(\xi)\,dn = 2.5\,\ell\,L_\eta F c_s` (tanh profile)."""
    ell = interface_length(params) * params.length
    return 2.5 * ell * params.L_eta / params.time * F * params.cs_c0 * params.c0


def capillary_relaxation_rate(params, wavelength):
    r"""Allen--Cahn decay rate :math:`L_\sigma\kappa_0 k^2` [1/s] of an interface
    undulation of `wavelength` [m] (:math:`k = 2\pi/\lambda`), from the linearised
    :math:`\partial_t\xi = -L_\sigma[g'(\xi) - \kappa\nabla^2\xi]` (normal velocity
    :math:`-L_\sigma\kappa\,\mathcal{K}` with curvature :math:`\mathcal{K}`). Compare it
    with the plating rate to see whether the phase field can keep a bump at all."""
    k = 2 * np.pi / (check_positive(wavelength, name="wavelength") / params.length)
    return params.L_sigma * params.kappa0 * k ** 2 / params.time


def comparable_capillarity(params, *, gamma: float = LI_SURFACE_ENERGY,
                           molar_volume: float = LI_MOLAR_VOLUME):
    r"""*params* with :math:`L_\sigma` such that the phase field relaxes curvature as fast
    as a surface energy `gamma` [J/m²] would through its own kinetics (Gibbs--Thomson):
    :math:`L_\sigma\kappa_0 = 2.5\,\ell\,L_\eta f\gamma V_m/F` (linear Butler--Volmer with
    :math:`i_0` of :func:`exchange_current`, overpotential :math:`\gamma V_m\mathcal K/F`)."""
    check_positive(gamma, name="gamma")
    ell = interface_length(params) * params.length
    mob_si = 2.5 * ell * params.L_eta / params.time * params.f * gamma * molar_volume / F
    mob = mob_si / params.length ** 2 * params.time  # scaled L_sigma kappa0
    return params.with_(L_sigma=mob / params.kappa0)


def ale_temperature(params):
    """The temperature of the phase-field set [K] (from its F/RT)."""
    return F / (R * params.f)


def ale_electrolyte(params):
    """The single-ion (t+ = 1) electrolyte species (Li+ mobile, the anion an immobilised
    background charge) with the phase-field sigma_l, c0, T."""
    return electrolyte_species(params.sigma_l * params.conductivity, 1.0, c_ref=params.c0,
                               T=ale_temperature(params))


def front_metrics(points, *, width, bump_width, flat_margin):
    """(flat front y, bump height above it) of interface points (2, n) [any length unit].

    The flat front is the mean y of points farther than ``bump_width/2 + flat_margin``
    from the centre; the bump height is max y minus it.
    """
    pts = np.asarray(points)
    far = np.abs(pts[0] - 0.5 * width) > 0.5 * bump_width + flat_margin
    if not far.any():
        raise ConfigError("no interface point lies on the flat part; lower flat_margin.")
    flat = float(pts[1, far].mean())
    return flat, float(pts[1].max() - flat)


def shape_distance(curve, points, *, width, n=200):
    """(mean, max) vertical distance [m] between a curve (2, m) sorted in x and interface
    points (2, k) (the highest point of each x bin), over ``n`` columns of the cell."""
    xs = np.linspace(0.0, width, n + 1)
    xc = 0.5 * (xs[1:] + xs[:-1])
    idx = np.clip(np.searchsorted(xs, points[0]) - 1, 0, n - 1)
    top = np.full(n, -np.inf)
    np.maximum.at(top, idx, points[1])
    ok = np.isfinite(top)
    o = np.argsort(curve[0])
    ya = np.interp(xc[ok], curve[0, o], curve[1, o])
    d = np.abs(top[ok] - ya)
    return float(d.mean()), float(d.max())


def column_heights(domain, xi, *, foil: float):
    r"""Equivalent sharp interface of a diffuse field on a tensor-grid box: at every grid
    column x, :math:`y_{eq}(x) = \int_0^H \xi\,dy - \text{foil}` [m] (area-preserving:
    its mean is the mean deposit thickness). Returns (2, ncolumns)."""
    p = domain.mesh.p
    xs = np.unique(np.round(p[0] / max(float(np.ptp(p[0])), 1e-300), 12))
    out = []
    for xv in xs:
        sel = np.nonzero(np.isclose(p[0] / np.ptp(p[0]), xv, atol=1e-9))[0]
        o = np.argsort(p[1, sel])
        yy, xx = p[1, sel][o], np.asarray(xi)[sel][o]
        out.append((xv * np.ptp(p[0]), np.trapezoid(xx, yy) - foil))
    return np.array(out).T


def _signed_distance(curve, x, y):
    """Distance of (x, y) to the polyline `curve` (n, 2), > 0 above it."""
    seg = np.linspace(0, 1, 20)[:, None, None]
    dense = (curve[:-1] + seg * (curve[1:] - curve[:-1])[None]).reshape(-1, 2)
    d, _ = cKDTree(dense).query(np.column_stack([x, y]))
    above = y > np.interp(x, curve[:, 0], curve[:, 1])
    return np.where(above, d, -d)


def _check_fits(case, params):
    """The diffuse profile must fit: >= 3 l (xi > 0.997) of foil below y = 0 and of
    electrolyte above the final tip."""
    ell = interface_length(params) * params.length
    if case.foil < 3 * ell:
        raise ConfigError(f"foil = {case.foil * 1e6:.3g} µm is thinner than 3 interface "
                          f"lengths (3 x {ell * 1e6:.3g} µm) of the phase field: the Li "
                          f"side of the tanh profile is cut; use foil >= {3 * ell * 1e6:.3g} µm.")
    top = case.bump_height + float(faraday_thickness(case.current_density, case.times[-1]))
    if case.height - top < 3 * ell:
        raise ConfigError(
            f"height = {case.height * 1e6:.3g} µm leaves less than 3 interface lengths "
            f"({3 * ell * 1e6:.3g} µm) of electrolyte above the bump after the plated "
            f"{(top - case.bump_height) * 1e6:.3g} µm; raise height or shorten times.")


def _pf_problem(case, params, curve):
    d = box(case.width, case.foil + case.height, h_fine=case.h_fine)
    x, y = d.mesh.p
    ell = interface_length(params) * params.length
    xi0 = 0.5 * (1 - np.tanh(_signed_distance(curve, x, y - case.foil) / ell))
    # inward ionic current at the top, c = c0 there; the metal is the potential reference
    prob = PhaseFieldProblem(d, params, current={"cathode": case.current_density},
                             concentration={"cathode": params.c0})
    return d, xi0, prob


def run_crosscheck(case: CrossCheckCase, /, *, params=None) -> CrossCheckResult:
    """Run both models on `case` and return snapshots at ``case.times``.

    `params` default: the MOOSE set, single-ion (t+ = 1), with the capillarity of a
    0.5 J/m² Li surface (:func:`comparable_capillarity`)."""
    params = (comparable_capillarity(moose_normalised_parameters(t_plus=1.0))
              if params is None else params)
    _check_fits(case, params)
    curve = anode_profile(case.width, height=case.height, defect_height=case.bump_height,
                          defect_width=case.bump_width, spacing=case.h_anode, shape="cosine")
    # ALE
    prob = DepositionProblem(ale_electrolyte(params), i0=exchange_current(params),
                             current_density=-case.current_density, width=case.width,
                             height=case.height, temperature=ale_temperature(params),
                             follow_front=False)
    mesh = MeshOptions(h_anode=case.h_anode, h_max=case.h_max, dt_max=60.0)
    state = initial_state(prob, curve, mesh=mesh)
    # phase field: one run, frames at the snapshot times
    d, xi0, pf = _pf_problem(case, params, curve)
    sol = solve(pf, xi0, t_end=float(case.times[-1]), dt=1.0, stop_times=case.times, atol=0.02)
    a0 = deposit_area(d, xi0)
    kw = dict(width=case.width, bump_width=case.bump_width, flat_margin=case.flat_margin)
    snaps = []
    for t in case.times:
        for state in run(prob, state, t_end=float(t), mesh=mesh):
            pass
        fr = sol.at(float(t))
        xi = fr["xi [1]"]
        pts = interface_points(fr.domain, xi)
        pts[1] -= case.foil
        ale = state.anode.T.copy()
        af, ab = front_metrics(ale, **kw)
        pfl, pb = front_metrics(pts, **kw)
        sm, sx = shape_distance(ale, pts, width=case.width)
        cols = column_heights(fr.domain, xi, foil=case.foil)
        o = np.argsort(ale[0])
        dc = np.abs(cols[1] - np.interp(cols[0], ale[0, o], ale[1, o]))
        _, cb = front_metrics(cols, **kw)
        snaps.append(Snapshot(float(t), ale, pts, state.deposited_area / case.width,
                              (deposit_area(fr.domain, xi) - a0) / case.width, af, pfl, ab, pb,
                              sm, sx, cols, float(dc.mean()), float(dc.max()), cb))
        log.info("t = %.4g s: mean advance ALE %.4g µm, PF %.4g µm; bump ALE %.4g, PF %.4g µm;"
                 " shape distance mean %.3g, max %.3g µm", t, snaps[-1].ale_mean_advance * 1e6,
                 snaps[-1].pf_mean_advance * 1e6, ab * 1e6, pb * 1e6, sm * 1e6, sx * 1e6)
    last = sol.at(float(case.times[-1]))
    return CrossCheckResult(case, curve.T.copy(), tuple(snaps), last.domain, last["xi [1]"],
                            interface_width(params) * params.length, params)
