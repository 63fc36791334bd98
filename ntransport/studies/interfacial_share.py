"""LLZTO-PMA interfacial share (Li et al., Nano-Micro Lett. 2026): the inverse problem.

Li et al. measure, at 20 °C, sigma(PMA) = 0.07 mS/cm, sigma(LLZTO) = 0.016 mS/cm,
sigma(20 wt % LLZTO-PMA) = 0.266 mS/cm, and from 7Li NMR an interfacial share of
12.35 % of the conductivity (polymer bulk 87.65 %). The forward model is a
composite of LLZTO particles, each wrapped in an interphase shell of thickness
``t`` and conductivity ``sigma_i``, in the polymer; its FEM solution gives
``sigma_eff`` and the *interfacial share*, the fraction of the volume-integrated
axial current carried by the shells (`ConductionResult.current_share`).

Inverse problem: for every thickness ``t`` and particle placement (seed), find
``sigma_i`` with ``share(sigma_i) = 12.35 %`` (monotone in ``sigma_i``:
bracketed root in ``log sigma_i``); optionally also infer the polymer conductivity
inside the composite so that the model matches the measured ``sigma_eff`` (Li et
al.'s composite is 3.8x the bare polymer with only 12 % interfacial share, so the
polymer in the composite must itself be more conductive than bare PMA). The spread over
seeds is the placement uncertainty. The thickness range has a lower bound: thin
shells that do not connect saturate (current must still cross the polymer), so
below some ``t`` no ``sigma_i`` reaches the measured share (`Inference.feasible`);
the caller may further bound it by an admissible polymer conductivity
(`Inference.admissible`).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..errors import ConfigError, ConvergenceError, GeometryError, check_positive

__all__ = ["weight_to_volume_fraction", "build", "forward", "infer_interphase",
           "Inference", "LI_2026"]

log = logging.getLogger(__name__)

#: Li et al. 2026 at 20 °C, S/m (0.07 mS/cm printed "mS m-1" in the text: a typo,
#: Fig. 2a shows mS/cm); LLZTO density 5.4 g/cm3 (Ta-LLZO), PMA 1.2 g/cm3 assumed.
LI_2026 = {"sigma_polymer": 0.07e-1, "sigma_llzto": 0.016e-1, "sigma_composite": 0.266e-1,
           "share": 0.1235, "weight_fraction": 0.20, "rho_llzto": 5.4e3, "rho_pma": 1.2e3}


def weight_to_volume_fraction(w, *, rho_filler, rho_matrix):
    """Filler volume fraction from its weight fraction and the two densities."""
    if not 0 < w < 1:
        raise ConfigError(f"weight fraction must lie in (0, 1), got {w!r}.")
    vf, vm = w / rho_filler, (1 - w) / rho_matrix
    return vf / (vf + vm)


def build(seed, *, volume_fraction, radius, shell_thickness, box_radii=20.0, dim=2,
          mesh_size=None):
    """Random hard-core composite with interphase shells (one placement)."""
    from ..geometry.composite import particle_composite

    check_positive(shell_thickness, name="shell_thickness", exc=GeometryError)
    L = box_radii * radius
    return particle_composite((L,) * dim, volume_fraction=volume_fraction, radius=radius,
                              shell_thickness=shell_thickness, seed=int(seed),
                              mesh_size=mesh_size)


def forward(domain, sigma_interphase, *, sigma_matrix, sigma_particle):
    """``(sigma_eff, share)`` of one composite: FEM conduction, shell current share."""
    from ..solve.conduction import solve_conduction

    res = solve_conduction(domain, {"matrix": sigma_matrix, "particles": sigma_particle,
                                    "interphase": sigma_interphase}, voltage=1.0)
    return res.effective_conductivity, res.current_share["interphase"]


def _invert_share(domain, share, sigma_matrix, sigma_particle, bracket, xtol):
    def g(log_s):
        return forward(domain, math.exp(log_s), sigma_matrix=sigma_matrix,
                       sigma_particle=sigma_particle)[1] - share

    lo, hi = (math.log(sigma_matrix * b) for b in bracket)
    glo, ghi = g(lo), g(hi)
    if glo > 0 or ghi < 0:
        raise ConfigError(
            f"share={share!r} is outside what the interphase can carry here "
            f"({glo + share:.4f} to {ghi + share:.4f} for sigma_i in {bracket} x "
            "sigma_matrix); change shell_thickness or the bracket.")
    return math.exp(brentq(g, lo, hi, xtol=xtol))


@dataclass(frozen=True)
class Inference:
    """Per thickness and seed: inferred sigma_i, composite sigma and polymer sigma.

    NaN marks a (thickness, placement) whose shells cannot carry the share at any
    interphase conductivity in the bracket.
    """

    thickness: np.ndarray            # (nt,) m
    sigma_interphase: np.ndarray     # (nt, nseed) S/m
    sigma_composite: np.ndarray      # (nt, nseed) S/m predicted with sigma_polymer used
    sigma_polymer: np.ndarray        # (nt, nseed) S/m (given, or rescaled to the data)

    def summary(self):
        """Median and 2.5-97.5 % range over placements of sigma_i per thickness."""
        with np.errstate(all="ignore"):
            q = np.nanpercentile(self.sigma_interphase, [2.5, 50, 97.5], axis=1)
        return {"thickness [m]": self.thickness, "sigma_i median [S m-1]": q[1],
                "sigma_i low [S m-1]": q[0], "sigma_i high [S m-1]": q[2]}

    def feasible(self):
        """Thicknesses at which every placement can carry the share (a lower bound on t:
        thin, unconnected shells saturate below the measured share)."""
        return self.thickness[~np.isnan(self.sigma_interphase).any(axis=1)]

    def admissible(self, lo, hi):
        """Feasible thicknesses whose implied polymer conductivity lies in [lo, hi]."""
        with np.errstate(invalid="ignore"):
            ok = np.all((self.sigma_polymer >= lo) & (self.sigma_polymer <= hi), axis=1)
        return self.thickness[ok]


def infer_interphase(share, *, sigma_polymer, sigma_particle, thicknesses, seeds,
                     volume_fraction, radius, sigma_composite=None, box_radii=20.0,
                     dim=2, bracket=(1e-2, 1e5), xtol=1e-4, mesh_size=None):
    """Interphase conductivity explaining a measured interfacial *share*.

    Parameters
    ----------
    share : float
        Fraction of the current in the interphase (0.1235 for Li et al.).
    sigma_polymer, sigma_particle : float
        Conductivities [S/m] of the polymer and of the filler.
    thicknesses : sequence of float
        Candidate shell thicknesses [m].
    seeds : sequence of int
        Particle placements (their spread is the reported uncertainty).
    volume_fraction, radius : float
        Filler (core) volume fraction and radius [m].
    sigma_composite : float, optional
        Measured composite conductivity [S/m]: if given, the polymer conductivity
        (inside the composite) is also inferred, by a fixed point that rescales it
        until the model composite matches (0.1 %), re-inverting the share each time;
        the implied polymer conductivity is returned for each case.
    bracket : (float, float)
        Search range of sigma_i / sigma_polymer.
    xtol : float
        Tolerance on log(sigma_i) (1e-4 = 0.01 %).
    """
    if not 0 < share < 1:
        raise ConfigError(f"share must lie in (0, 1), got {share!r}.")
    check_positive(sigma_polymer, name="sigma_polymer", exc=ConfigError)
    check_positive(sigma_particle, name="sigma_particle", exc=ConfigError)
    th = np.asarray(thicknesses, float)
    last_error = None
    si = np.empty((th.size, len(seeds)))
    sc, sp = np.empty_like(si), np.empty_like(si)
    for a, t in enumerate(th):
        for b, seed in enumerate(seeds):
            dom = build(seed, volume_fraction=volume_fraction, radius=radius,
                        shell_thickness=t, box_radii=box_radii, dim=dim, mesh_size=mesh_size)
            s_p = sigma_polymer
            try:
                for _ in range(8):  # fixed point: rescale the polymer to the measured composite
                    s_i = _invert_share(dom, share, s_p, sigma_particle, bracket, xtol)
                    s_c, _ = forward(dom, s_i, sigma_matrix=s_p, sigma_particle=sigma_particle)
                    if sigma_composite is None or abs(s_c / sigma_composite - 1) < 1e-3:
                        break
                    s_p *= sigma_composite / s_c
                else:
                    raise ConvergenceError(
                        f"t={t:g} m, seed={seed}: polymer rescaling to sigma_composite="
                        f"{sigma_composite!r} did not converge in 8 steps (last {s_c:.4g}).")
            except ConfigError as exc:  # share out of reach for this thickness
                log.info("t=%g seed=%s infeasible: %s", t, seed, exc)
                last_error = exc
                s_i = s_c = s_p = np.nan
            si[a, b], sc[a, b], sp[a, b] = s_i, s_c, s_p
            log.info("t=%g seed=%s: sigma_i=%.4g S/m", t, seed, si[a, b])
    if np.isnan(si).all():
        raise last_error
    return Inference(th, si, sc, sp)


def _register():
    from ..config import ListOf, Quantity, Section, Value
    from ..io.tables import SummaryTable
    from .registry import register_study

    schema = Section({
        "title": Value(str, default="interfacial share"),
        "share": Value(float, default=LI_2026["share"]),
        "sigma_polymer": Quantity("conductivity", positive=True),
        "sigma_particle": Quantity("conductivity", positive=True),
        "sigma_composite": Quantity("conductivity", default=None),
        "weight_fraction": Value(float, default=LI_2026["weight_fraction"]),
        "density_particle": Value(float, default=5.4, doc="g/cm3"),
        "density_polymer": Value(float, default=1.2, doc="g/cm3"),
        "radius": Quantity("length", positive=True),
        "thicknesses": ListOf(Quantity("length", positive=True), min_len=1),
        "seeds": Value(int, default=3),
        "box_radii": Value(float, default=20.0),
    })

    @register_study("interfacial_share", schema=schema,
                    doc="infer interphase conductivity from an interfacial current share")
    def run(case, out_dir, *, progress=None):
        d = case.data
        vf = weight_to_volume_fraction(d["weight_fraction"], rho_filler=d["density_particle"],
                                       rho_matrix=d["density_polymer"])
        inf = infer_interphase(d["share"], sigma_polymer=d["sigma_polymer"],
                               sigma_particle=d["sigma_particle"],
                               sigma_composite=d["sigma_composite"],
                               thicknesses=d["thicknesses"], seeds=range(d["seeds"]),
                               volume_fraction=vf, radius=d["radius"],
                               box_radii=d["box_radii"])
        table = SummaryTable()
        s = inf.summary()
        for k, t in enumerate(inf.thickness):
            name = f"t={t * 1e9:.0f}nm"
            table = table.add(name, "interphase conductivity (median)",
                              s["sigma_i median [S m-1]"][k], "S/m")
            table = table.add(name, "interphase conductivity (2.5 %)",
                              s["sigma_i low [S m-1]"][k], "S/m")
            table = table.add(name, "interphase conductivity (97.5 %)",
                              s["sigma_i high [S m-1]"][k], "S/m")
            table = table.add(name, "polymer conductivity (implied, median)",
                              float(np.median(inf.sigma_polymer[k])), "S/m")
        return table


_register()
