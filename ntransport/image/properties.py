r"""Effective properties of a voxel image: conductivity tensor, tortuosity, MacMullin.

Definitions (per direction *k*; :math:`\varepsilon_i` volume fractions):

* **tensor** :math:`\sigma_{\mathrm{eff},kl}`: with sealed (or periodic) sides and
  electrodes on the faces normal to *k*, the diagonal :math:`\sigma_{kk} = I L/(V A)`;
  with ``boundary="periodic"`` the full symmetric tensor of the periodic cell problem.
* **per conducting phase p** (only p conducts, every other phase insulating):
  :math:`\sigma_{\mathrm{eff},p}`, tortuosity factor
  :math:`\tau_p = \varepsilon_p\sigma_p/\sigma_{\mathrm{eff},p}` and MacMullin number
  :math:`N_{M,p} = \sigma_p/\sigma_{\mathrm{eff},p} = \tau_p/\varepsilon_p` (the
  definitions TauFactor and PuMA use for one phase).
* **overall** (every phase at its conductivity): :math:`\tau = \bar\sigma/\sigma_\mathrm{eff}`
  with :math:`\bar\sigma = \sum_i\varepsilon_i\sigma_i` (TauFactor's multi-phase
  definition: 1 for any laminate along its layers) and
  :math:`N_M = \sigma_\mathrm{ref}/\sigma_\mathrm{eff}` relative to a reference phase
  (default: the conducting phase of largest volume fraction, the host).
* **current share** of each phase (interphase included) along *k*.

A phase with no cluster joining the electrodes has :math:`\sigma_{\mathrm{eff},p} = 0`:
reported as 0 with ``percolates = False``; its tortuosity and MacMullin number are
``inf`` (and left out of summary tables), never NaN.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .assembly import phase_conductivities
from .solve import VoxelConduction, check_axis, solve_periodic, solve_voxels
from .voxel_image import AXES, ImageError, VoxelImage

__all__ = ["ImageProperties", "image_conductivity", "BOUNDARIES"]

BOUNDARIES = ("sealed", "periodic_sides", "periodic")


def _ratio(num, den):
    return math.inf if den <= 0 else float(num / den)


@dataclass(frozen=True, eq=False)
class ImageProperties:
    """Result of :func:`image_conductivity` (SI units; keys are direction names)."""

    image: VoxelImage
    boundary: str
    sigma_phase: MappingProxyType
    fractions: MappingProxyType
    tensor: np.ndarray
    sigma_eff: MappingProxyType          # axis -> S/m
    tortuosity: MappingProxyType         # axis -> tau (overall)
    macmullin: MappingProxyType          # axis -> N_M (overall)
    reference: str
    current_share: MappingProxyType      # axis -> {phase: share}
    phase_sigma_eff: MappingProxyType    # phase -> {axis: S/m}
    phase_tortuosity: MappingProxyType   # phase -> {axis: tau_p}
    phase_macmullin: MappingProxyType    # phase -> {axis: N_M,p}
    percolates: MappingProxyType         # phase (and "all") -> {axis: bool}
    solutions: MappingProxyType          # axis -> VoxelConduction
    info: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def sigma_mean(self) -> float:
        """Volume-weighted mean conductivity :math:`\\sum\\varepsilon_i\\sigma_i` [S/m]."""
        return float(sum(self.fractions[p] * self.sigma_phase[p] for p in self.fractions))

    def anisotropy(self) -> float:
        """(max - min) / mean of the diagonal of the tensor."""
        d = np.array([self.sigma_eff[a] for a in self.sigma_eff])
        return float((d.max() - d.min()) / d.mean()) if d.mean() > 0 else 0.0

    def summary(self, case: str = "image"):
        """Rows for ``summary.csv`` (mS/cm for conductivities, 1 for ratios)."""
        from ..io.tables import SummaryTable

        t = SummaryTable()
        for p, f in self.fractions.items():
            t = t.add(case, "volume_fraction", f, "1", p)
            t = t.add_si(case, "conductivity", self.sigma_phase[p], "S/m", p)
        for a, s in self.sigma_eff.items():
            t = t.add_si(case, f"sigma_eff_{a}", s, "S/m")
            if math.isfinite(self.tortuosity[a]):
                t = t.add(case, f"tortuosity_{a}", self.tortuosity[a], "1")
                t = t.add(case, f"macmullin_{a}", self.macmullin[a], "1", self.reference)
            for p, sh in self.current_share[a].items():
                t = t.add(case, f"current_share_{a}", sh, "1", p)
        if self.tensor.shape[0] and self.boundary == "periodic":
            for k in range(self.tensor.shape[0]):
                for l in range(k + 1, self.tensor.shape[0]):
                    t = t.add_si(case, f"sigma_eff_{AXES[k]}{AXES[l]}", self.tensor[k, l], "S/m")
        for p, d in self.phase_sigma_eff.items():
            for a, s in d.items():
                t = t.add_si(case, f"phase_sigma_eff_{a}", s, "S/m", p)
                t = t.add(case, f"percolates_{a}", float(self.percolates[p][a]), "1", p)
                if math.isfinite(self.phase_tortuosity[p][a]):
                    t = t.add(case, f"tortuosity_{a}", self.phase_tortuosity[p][a], "1", p)
                    t = t.add(case, f"macmullin_{a}", self.phase_macmullin[p][a], "1", p)
        return t


def _solve(image, cond, ax, boundary, solver) -> VoxelConduction:
    if boundary == "periodic":
        return solve_periodic(image, cond, axis=ax, solver=solver)
    return solve_voxels(image, cond, axis=ax, sides="sealed" if boundary == "sealed" else
                        "periodic", solver=solver)


def image_conductivity(image: VoxelImage, conductivity, *, boundary: str = "sealed",
                       axes=None, phases=None, reference: str | None = None,
                       solver="auto") -> ImageProperties:
    """Conductivity tensor, tortuosity factors, MacMullin numbers and current shares.

    Parameters
    ----------
    image : VoxelImage
    conductivity : mapping phase -> S/m
        Every phase of ``image.all_phases`` (0 for pores/insulators).
    boundary : {"sealed", "periodic_sides", "periodic"}
        Electrodes with sealed or periodic sides (diagonal tensor), or the fully
        periodic cell problem (full tensor).
    axes : sequence of axes, optional
        Directions to solve (default all; the tensor needs all).
    phases : sequence of str, optional
        Conducting voxel phases to analyse alone (default: every voxel phase with
        sigma > 0; ``[]`` skips the per-phase solves).
    reference : str, optional
        Phase whose conductivity defines the overall MacMullin number.
    solver : see :func:`ntransport.solve.linear.make_solver`

    Returns
    -------
    ImageProperties
    """
    if not isinstance(image, VoxelImage):
        raise ImageError(f"image must be a VoxelImage (see read_image), got "
                         f"{type(image).__name__}.")
    if boundary not in BOUNDARIES:
        raise ImageError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}.")
    sig = phase_conductivities(image, conductivity)
    names = image.all_phases
    sp = dict(zip(names, (float(v) for v in sig)))
    if not any(v > 0 for v in sp.values()):
        raise ImageError("every phase has zero conductivity; nothing conducts.")
    fr = image.fractions()
    dim = image.dim
    axs = list(range(dim)) if axes is None else sorted({check_axis(a, dim) for a in axes})
    if reference is None:
        cands = [p for p in image.phases if sp[p] > 0]
        reference = max(cands, key=lambda p: fr[p]) if cands else names[0]
    elif reference not in names:
        raise ImageError(f"reference phase {reference!r} not in {list(names)}.")
    sig_mean = sum(fr[p] * sp[p] for p in names)
    tensor = np.zeros((dim, dim))
    sols, s_eff, tau, nm, share = {}, {}, {}, {}, {}
    perc = {"all": {}}
    for ax in axs:
        a = AXES[ax]
        sol = _solve(image, sp, ax, boundary, solver)
        sols[a] = sol
        tensor[:, ax] = sol.mean_current_density if boundary == "periodic" else 0.0
        tensor[ax, ax] = sol.effective_conductivity
        s_eff[a] = sol.effective_conductivity
        tau[a] = _ratio(sig_mean, sol.effective_conductivity)
        nm[a] = _ratio(sp[reference], sol.effective_conductivity)
        share[a] = MappingProxyType(dict(sol.current_share))
        perc["all"][a] = sol.percolates
    if boundary == "periodic" and len(axs) == dim:
        tensor = 0.5 * (tensor + tensor.T)  # symmetric to solver tolerance
    if phases is None:
        phases = [p for p in image.phases if sp[p] > 0]
    p_eff, p_tau, p_nm = {}, {}, {}
    for p in phases:
        if p not in image.phases:
            raise ImageError(f"phases: {p!r} is not a voxel phase of the image "
                             f"{list(image.phases)} (sub-voxel layers cannot conduct alone).")
        if sp[p] <= 0:
            raise ImageError(f"phases: {p!r} has zero conductivity; it cannot be analysed alone.")
        alone = {q: (sp[q] if q == p else 0.0) for q in names}
        img_p = image.replace(thin=()) if image.thin else image
        alone = {q: alone[q] for q in img_p.all_phases}
        p_eff[p], p_tau[p], p_nm[p], perc[p] = {}, {}, {}, {}
        for ax in axs:
            a = AXES[ax]
            sol = _solve(img_p, alone, ax, boundary, solver)
            p_eff[p][a] = sol.effective_conductivity
            p_tau[p][a] = _ratio(fr[p] * sp[p], sol.effective_conductivity)
            p_nm[p][a] = _ratio(sp[p], sol.effective_conductivity)
            perc[p][a] = sol.percolates
    mp = MappingProxyType
    return ImageProperties(
        image=image, boundary=boundary, sigma_phase=mp(sp), fractions=mp(fr), tensor=tensor,
        sigma_eff=mp(s_eff), tortuosity=mp(tau), macmullin=mp(nm), reference=reference,
        current_share=mp(share), phase_sigma_eff=mp({k: mp(v) for k, v in p_eff.items()}),
        phase_tortuosity=mp({k: mp(v) for k, v in p_tau.items()}),
        phase_macmullin=mp({k: mp(v) for k, v in p_nm.items()}),
        percolates=mp({k: mp(v) for k, v in perc.items()}), solutions=mp(sols),
        info=mp({"axes": [AXES[a] for a in axs]}))
