r"""Cross-check: sharp-interface ALE deposition vs the phase-field model, same defect.

One cell -- a cosine bump of height :math:`h_d` and width :math:`w_d` at the centre of a
flat Li surface, an electrolyte layer of thickness `height` above it, the bulk (c = c0,
applied current) at the top -- is run with

(a) the sharp-interface ALE model (:func:`ntransport.solve.deposition.run`), and
(b) the phase-field model (:func:`ntransport.solve.phasefield.simulate`), a Li foil of
    thickness `foil` below y = 0 and :math:`\xi_0 = \tfrac12[1-\tanh(d/\ell)]` with
    `d` the signed distance to the same curve,

both galvanostatic with the same plating current density `i` [A/m²] for the same time,
entering through the same fixed top boundary (ALE ``follow_front=False``).

Matched inputs (normalised MOOSE set, :math:`l_0 = 1` µm, :math:`t_0 = 1` s):

* electrolyte: :math:`\sigma_l`, c0, T of the phase-field set; its
  :math:`\sigma_l = F^2 D_l c_0/RT` is the Nernst--Einstein conductivity of Li+ alone,
  i.e. a single-ion conductor, so the ALE electrolyte has t+ = 1 and D = D_l;
* kinetics: the phase-field rate :math:`L_\eta h'(\xi)\{\dots\}` integrated across the
  interface (:math:`\int h'\,dn = 1`) is a Butler--Volmer current with
  :math:`i_0 = L_\eta F c_s l_0/t_0` (7.4 A/m²), :math:`\alpha = 0.5`;
* metal: :math:`c_s = \rho/M` in both (the same Li molar volume).

Remaining differences (not removable): the phase-field interface is diffuse (10--90 %
width 1.1 µm here, comparable to the bump), carries an interfacial energy
(:math:`\kappa`, W) so curvature (Gibbs--Thomson) flattens the bump, and its
overpotential is the local :math:`\phi` inside the diffuse zone; the ALE model has no
surface energy and a sharp Butler--Volmer boundary; the phase-field c is transported by
diffusion + migration of Li+ only (c varies slightly), the ALE salt with t+ = 1 stays
uniform.

Metrics at matched times: mean front advance (deposited area / width; both must equal
the Faraday thickness :math:`i t M/(F\rho)`), the flat-part front position (ALE anode
and phase-field :math:`\xi = 1/2` contour far from the bump), and the bump height above
the flat front.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..constants import F, R
from ..errors import ConfigError, check_positive
from ..geometry.remesh import anode_profile
from ..physics.phasefield_params import (LI_MOLAR_DENSITY, interface_length, interface_width,
                                         moose_normalised_parameters)
from ..post.phasefield import deposit_area, interface_points
from ..solve.deposition import (DepositionProblem, MeshOptions, electrolyte_species,
                                         initial_state, run)
from ..solve.phasefield import PhaseFieldProblem, simulate
from ..solve.phasefield_meshes import graded_rectangle

__all__ = ["CrossCheckCase", "Snapshot", "CrossCheckResult", "run_crosscheck",
           "ale_electrolyte", "ale_temperature", "faraday_thickness", "front_metrics", "capillary_relaxation_rate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrossCheckCase:
    """Geometry, loading and resolution of the cross-check (SI unless stated).

    `current_density` > 0 plates Li [A/m²]; `times` are the snapshot times [s];
    `foil` is the phase-field Li thickness below y = 0; `h_fine` the phase-field element
    size in the interface band [m] (its longest edge must stay below width/4 of the
    diffuse interface; the solver checks it); `h_anode`, `h_max` the ALE mesh sizes.
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


@dataclass(frozen=True)
class CrossCheckResult:
    case: CrossCheckCase
    initial_curve: np.ndarray  # (2, n) [m]
    snapshots: tuple
    pf_mesh: object  # skfem mesh in scaled units (x l0 = metres), foil below y = foil
    pf_xi: np.ndarray  # last phase-field xi
    interface_width: float  # phase-field 10-90 % width [m]
    pf_length: float  # l0 [m] of the phase-field mesh

    @property
    def times(self):
        return np.array([s.t for s in self.snapshots])

    def faraday(self):
        """Faraday thickness at the snapshot times [m]."""
        return faraday_thickness(self.case.current_density, self.times)


def faraday_thickness(current_density, t):
    r"""Mean plated thickness :math:`i t M/(F\rho) = i t/(F c_s)` [m]."""
    return np.asarray(current_density) * np.asarray(t) / (F * LI_MOLAR_DENSITY)


def capillary_relaxation_rate(params, wavelength):
    r"""Allen--Cahn decay rate :math:`L_\sigma\kappa_0 k^2` [1/s] of an interface
    undulation of `wavelength` [m] (:math:`k = 2\pi/\lambda`), from the linearised
    :math:`\partial_t\xi = -L_\sigma[g'(\xi) - \kappa\nabla^2\xi]` (normal velocity
    :math:`-L_\sigma\kappa\,\mathcal{K}` with curvature :math:`\mathcal{K}`). Compare it
    with the plating rate to see whether the phase field can keep a bump at all.

    A sharp-interface estimate only: for the default case (interface 1.1 µm wide, as
    wide as the bump) the measured phase-field bump decays 0.5 -> 0.21 -> 0.024 µm at
    t = 0.1, 1 s, i.e. at 2--8 /s, below the 30 /s of the 1.5 µm scale and the 4.6 /s of
    the 4 µm domain mode, but still ~1e4 x faster than the ALE bump changes."""
    k = 2 * np.pi / (check_positive(wavelength, name="wavelength") / params.length)
    return params.L_sigma * params.kappa0 * k ** 2 / params.time


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


def _pf_setup(case, params, curve):
    l0 = params.length
    H = (case.foil + case.height) / l0
    band = min(H, (case.foil + case.bump_height) / l0 + 2.0)
    m = graded_rectangle(case.width / l0, H, h_fine=case.h_fine / l0, band=band)
    x, y = m.p
    d = _signed_distance(curve / l0, x, y - case.foil / l0)
    xi0 = 0.5 * (1 - np.tanh(d / interface_length(params)))
    # inward current at the top (scaled sigma0 V / l0), c = c0 there; no potential BC:
    # the whole current is absorbed by deposition (sigma grad phi balance)
    i_s = case.current_density * l0 / params.conductivity
    prob = PhaseFieldProblem(m, params, current={"electrolyte": i_s},
                             concentration={"electrolyte": 1.0})
    return m, xi0, prob


def run_crosscheck(case: CrossCheckCase, /, *, params=None) -> CrossCheckResult:
    """Run both models on `case` and return snapshots at ``case.times``."""
    params = moose_normalised_parameters() if params is None else params
    l0 = params.length
    _check_fits(case, params)
    curve = anode_profile(case.width, height=case.height, defect_height=case.bump_height,
                          defect_width=case.bump_width, spacing=case.h_anode, shape="cosine")
    # ALE
    el = ale_electrolyte(params)
    i0 = params.L_eta / params.time * F * params.cs_c0 * params.c0 * l0
    prob = DepositionProblem(el, i0=i0, current_density=-case.current_density,
                             width=case.width, height=case.height,
                             temperature=ale_temperature(params), follow_front=False)
    mesh = MeshOptions(h_anode=case.h_anode, h_max=case.h_max, dt_max=60.0)
    state = initial_state(prob, curve, mesh=mesh)
    # phase field
    m, xi, pf = _pf_setup(case, params, curve)
    a0 = deposit_area(m, xi)
    c, phi = 1.0, -0.1
    W_s = case.width / l0
    snaps, t_prev = [], 0.0
    kw = dict(width=case.width, bump_width=case.bump_width, flat_margin=case.flat_margin)
    for t in case.times:
        for state in run(prob, state, t_end=float(t), mesh=mesh):
            pass
        *_, s = simulate(pf, xi, c0=c, phi0=phi, t_end=(t - t_prev) / params.time,
                         dt=1.0 / params.time, target_dxi=0.05)
        xi, c, phi, t_prev = s.xi, s.c, s.phi, float(t)
        pts = interface_points(m, xi) * l0
        pts[1] -= case.foil
        ale = state.anode.T.copy()
        af, ab = front_metrics(ale, **kw)
        pfl, pb = front_metrics(pts, **kw)
        snaps.append(Snapshot(float(t), ale, pts, state.deposited_area / case.width,
                              (deposit_area(m, xi) - a0) / W_s * l0, af, pfl, ab, pb))
        log.info("t = %.4g s: mean advance ALE %.4g µm, PF %.4g µm; bump ALE %.4g, PF %.4g µm",
                 t, snaps[-1].ale_mean_advance * 1e6, snaps[-1].pf_mean_advance * 1e6,
                 ab * 1e6, pb * 1e6)
    return CrossCheckResult(case, curve.T.copy(), tuple(snaps), m, xi,
                            interface_width(params) * l0, l0)
