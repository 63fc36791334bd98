r"""Two-scale (homogenised) model of SiO2/PVH host-guest electrolytes (Liu et al. 2025).

Why two scales. In PVH-in-SiO2 the continuous "SiO2 host" is itself a packing of
158 nm Stöber SiO2 nanoparticles with polymer between them, so the SiO2/PVH interfaces
form a percolating network *inside* the host, at a scale (~0.1 µm) ~100x below the
18 µm domain of the paper's FEM model. Resolving it directly needs ~10^4 particles; a
coarse shell around the 2.9 µm PVH spheres misses it (and ranks the architectures the
wrong way). Standard first-order homogenisation separates the scales:

1. **Micro** (`micro_cells`, `micro_response`): square cells of side ``cell`` with
   SiO2 disks (radius ``radius``, hard-core, surface gap ``gap``) at the host's SiO2
   area fraction, each wrapped in an interphase of thickness :math:`\delta`
   (conductivity :math:`\sigma_i`); neighbouring shells overlap and fuse into a network
   when ``gap < 2 delta``. PVH (:math:`\sigma_p(T)`) fills the rest, SiO2 is nearly
   insulating. Solving :math:`-\nabla\cdot(\sigma\nabla\phi)=0` with a unit mean field
   and averaging over seeds gives :math:`\sigma_{host}`.
2. **Macro** (`two_scale`): the 18 µm x 18 µm `polymer_in_ceramic` domain with
   :math:`\sigma_{host}` in the SiO2 host and :math:`\sigma_p` in the PVH spheres gives
   :math:`\sigma_{eff}` and :math:`j(x)`. The interface current density is recovered from
   the micro cell: :math:`|j_i| \approx q\,|E_{macro}|`, with
   :math:`q = \mathrm{median}_{interphase}|j| / \bar E` of the cell (S/m).

SiO2-in-PVH (14 vol % SiO2) has no SiO2-rich host: the nanoparticles are dispersed in
the polymer, the macro domain is homogeneous, and :math:`\sigma_{eff}` *is* the micro
cell value at 14 % (shells do not percolate there).

Everything is 2D (disks, not spheres): a stated approximation. In 2D, random hard-core
placement jams at 0.547, so the host's local SiO2 fraction is 0.45 (default) and the
PVH sphere fraction follows from the total SiO2 fraction by
:math:`(1-f_{guest})\,\phi_{host} = \phi_{SiO_2}`. Micro cells use the same boundary
conditions as the macro problem (equipotential faces normal to the field, insulating
sides), not periodic ones; 1 µm cells agree with a 3 µm cell within 2 %.

Results (δ = 20 nm, 3 seeds, 25 °C): calibrating σ_i on PVH-in-SiO2 = 1.32 mS/cm gives
σ_i ≈ 1.95 S/m (δσ_i ≈ 3.9e-8 S); the same interface predicts SiO2-in-PVH = 0.56 mS/cm
(measured 0.59). An interface activation energy of 0.128 eV reproduces the apparent
0.17 eV of PVH-in-SiO2 (30-80 °C). See notebooks/interface_highways.ipynb.

Examples
--------
>>> from ntransport.materials import get                              # doctest: +SKIP
>>> cells = micro_cells(0.45, shell_thickness=20e-9)                  # doctest: +SKIP
>>> macro = macro_domain("PVH-in-SiO2")                               # doctest: +SKIP
>>> s_pvh = get("PVH").conductivity(298.15)                          # doctest: +SKIP
>>> s_i = calibrate_interface(0.132, cells, macro, sigma_polymer=s_pvh)  # doctest: +SKIP
>>> r = two_scale(cells, macro, sigma_interface=s_i, sigma_polymer=s_pvh)  # doctest: +SKIP
>>> round(r["sigma_eff [S m-1]"], 3)                                  # doctest: +SKIP
0.132
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError, MaterialError, check_positive, check_range

__all__ = ["sio2_volume_fraction", "ARCHITECTURES", "micro_cells", "micro_response",
           "MicroResponse", "macro_domain", "two_scale", "calibrate_interface",
           "calibrate_interface_activation", "arrhenius_curve"]

log = logging.getLogger(__name__)

SIO2_RADIUS = 79e-9            # 158 nm Stöber SiO2 (Liu et al. 2025, Fig. 2c)
PVH_SPHERE_RADIUS = 1.45e-6    # 2.9 µm PVH spheres (Fig. 2d)
SIGMA_SIO2 = 1e-8              # S/m: SiO2 is a passive (non Li+-conducting) ceramic
RHO = {"SiO2": 2.2, "PVH": 1.78}   # g/cm3 (amorphous silica; PVDF-HFP), not in the paper


def sio2_volume_fraction(weight_ratio: float) -> float:
    """SiO2 volume fraction of a SiO2/PVH mix of ``weight_ratio`` (g SiO2 per g PVH).

    Salt (LiTFSI) volume is not counted; with LiTFSI/PVH = 100/100 wt in the polymer
    phase the fractions would be about half (a stated assumption).
    """
    check_positive(weight_ratio, name="weight_ratio", exc=GeometryError)
    v = weight_ratio / RHO["SiO2"]
    return v / (v + 1.0 / RHO["PVH"])


#: name -> (total SiO2 fraction, local SiO2 fraction of the host or None if dispersed)
ARCHITECTURES = {"SiO2-in-PVH": (sio2_volume_fraction(0.2), None),
                 "PVH-in-SiO2": (sio2_volume_fraction(0.7), 0.45)}


def micro_cells(fraction, *, shell_thickness=20e-9, radius=SIO2_RADIUS, gap=None,
                cell=1e-6, seeds=(0, 1, 2), mesh_size=None):
    """Meshed micro cells: coated SiO2 disks at area ``fraction`` (one per seed).

    ``gap`` (default ``0.05 * radius``) is the smallest SiO2 surface separation; shells
    of neighbours closer than ``2 * shell_thickness`` fuse. Returns a tuple of Domains
    with subdomains ``matrix`` (PVH), ``particles`` (SiO2), ``interphase``.
    """
    from ..geometry.composite import particle_composite
    from ..geometry.placement import place_particles

    check_range(fraction, (1e-3, 0.55), name="fraction", exc=GeometryError)
    for name, v in (("shell_thickness", shell_thickness), ("radius", radius), ("cell", cell)):
        check_positive(v, name=name, exc=GeometryError)
    if cell < 4 * radius:
        raise GeometryError(f"cell={cell!r} m holds too few particles of radius={radius!r} m;"
                            " use cell >= 4 * radius (ideally >= 10 * radius).")
    if not seeds:
        raise GeometryError("seeds must name at least one realisation, got an empty list.")
    gap = 0.05 * radius if gap is None else gap
    h = mesh_size or min(radius / 3, max(shell_thickness, radius / 8))
    out = []
    for s in seeds:
        p = place_particles((cell, cell), volume_fraction=fraction, radius=radius, seed=s,
                            gap=gap)
        # overlap=True only lifts the shell-spacing check: cores stay hard-core (gap)
        out.append(particle_composite((cell, cell), centers=p.centers, radii=p.radii,
                                      shell_thickness=shell_thickness, overlap=True,
                                      mesh_size=h))
    return tuple(out)


@dataclass(frozen=True)
class MicroResponse:
    """Homogenised micro-cell response.

    sigma, sigma_std : seed mean and standard deviation of sigma_host [S/m].
    q_interface, q_polymer : median |j| in the interphase / PVH per unit mean field [S/m]
        (so |j| = q |E| at the macro scale).
    interface_share : fraction of the axial current carried by the interphase.
    """

    sigma: float
    sigma_std: float
    q_interface: float
    q_polymer: float
    interface_share: float


def micro_response(cells, *, sigma_interface, sigma_polymer, sigma_ceramic=SIGMA_SIO2):
    """Solve every cell at a unit mean field and average (see `MicroResponse`)."""
    from ..solve.conduction import solve_conduction

    for name, v in (("sigma_interface", sigma_interface), ("sigma_polymer", sigma_polymer),
                    ("sigma_ceramic", sigma_ceramic)):
        check_positive(v, name=name, exc=MaterialError)
    sig, qi, qp, share = [], [], [], []
    for d in cells:
        L = float(np.ptp(d.mesh.p[-1]))  # electrode separation
        r = solve_conduction(d, {"matrix": sigma_polymer, "interphase": sigma_interface,
                                 "particles": sigma_ceramic}, voltage=L)  # mean field 1 V/m
        jm = np.linalg.norm(r.current_density, axis=0)
        sig.append(r.effective_conductivity)
        qi.append(np.median(jm[d.elements("interphase")]))
        qp.append(np.median(jm[d.elements("matrix")]))
        share.append(r.current_share.get("interphase", 0.0))
    return MicroResponse(float(np.mean(sig)), float(np.std(sig)), float(np.mean(qi)),
                         float(np.mean(qp)), float(np.mean(share)))


def macro_domain(architecture="PVH-in-SiO2", *, box=18e-6, seed=0, mesh_size=None):
    """Macro domain: PVH spheres (guests) in the homogenised SiO2 host, or None.

    None for SiO2-in-PVH, whose macro domain is homogeneous (see module docstring).
    """
    from ..geometry.host_guest import polymer_in_ceramic

    total, host = _architecture(architecture)
    if host is None:
        return None
    guest = 1.0 - total / host
    return polymer_in_ceramic((box, box), volume_fraction=guest, radius=PVH_SPHERE_RADIUS,
                              seed=seed, mesh_size=mesh_size or PVH_SPHERE_RADIUS / 6)


def _architecture(name):
    if name not in ARCHITECTURES:
        from ..errors import unknown_name
        raise unknown_name("architecture", name, ARCHITECTURES, exc=GeometryError)
    return ARCHITECTURES[name]


def two_scale(cells, macro, *, sigma_interface, sigma_polymer, voltage=0.1, length=18e-6,
              sigma_ceramic=SIGMA_SIO2, return_result=False):
    """Effective conductivity and current densities of one architecture at one T.

    ``cells`` from `micro_cells` at the host's SiO2 fraction, ``macro`` from
    `macro_domain` (None: homogeneous macro scale, sigma_eff = sigma_host). Applied
    conditions: ``voltage`` [V] between the faces y = 0 and y = L of the macro domain
    (``length`` = L [m] is used only when *macro* is None).

    Returns
    -------
    dict
        ``sigma_eff [S m-1]``, ``sigma_host [S m-1]``, ``micro`` (MicroResponse),
        ``field [V m-1]`` (mean), ``j_interface [mA cm-2]`` / ``j_pvh [mA cm-2]``
        (medians; micro-scale interface currents recovered as q |E|), ``result``.
    """
    from ..solve.conduction import solve_conduction

    if not (math.isfinite(voltage) and voltage != 0):
        raise MaterialError(f"voltage must be finite and non-zero [V], got {voltage!r}.")
    check_positive(length, name="length", exc=GeometryError)
    m = micro_response(cells, sigma_interface=sigma_interface, sigma_polymer=sigma_polymer,
                       sigma_ceramic=sigma_ceramic)
    out = {"sigma_host [S m-1]": m.sigma, "micro": m}
    if macro is None:
        e = abs(voltage) / length
        out.update({"sigma_eff [S m-1]": m.sigma, "field [V m-1]": e,
                    "j_interface [mA cm-2]": 0.1 * m.q_interface * e,
                    "j_pvh [mA cm-2]": 0.1 * m.q_polymer * e})
        return out
    res = solve_conduction(macro, {"SiO2": m.sigma, "PVH": sigma_polymer}, voltage=voltage)
    jm = np.linalg.norm(res.current_density, axis=0)
    host = macro.elements("SiO2")
    e_host = jm[host] / m.sigma                        # macro field in the host [V/m]
    j_int = 0.1 * m.q_interface * e_host               # A/m2 -> mA/cm2
    j_pvh = 0.1 * np.concatenate([jm[macro.elements("PVH")], m.q_polymer * e_host])
    out.update({"sigma_eff [S m-1]": res.effective_conductivity,
                "field [V m-1]": abs(voltage) / res.length,
                "j_interface [mA cm-2]": float(np.median(j_int)),
                "j_pvh [mA cm-2]": float(np.median(j_pvh))})
    if return_result:
        out["result"] = res
    return out


def calibrate_interface(target, cells, macro, *, sigma_polymer, bracket=(1e-3, 1e2),
                        rtol=1e-3):
    """sigma_interface [S/m] (at the cells' shell thickness) giving sigma_eff = target.

    sigma_eff increases monotonically with sigma_interface, so a bracketed root
    (Brent, on log sigma_interface) is unique. Raises if *target* is outside what the
    bracket can reach.
    """
    from scipy.optimize import brentq

    check_positive(target, name="target", exc=MaterialError)

    def f(log_s):
        s = two_scale(cells, macro, sigma_interface=math.exp(log_s),
                      sigma_polymer=sigma_polymer)["sigma_eff [S m-1]"]
        return math.log(s / target)

    lo, hi = (math.log(b) for b in bracket)
    flo, fhi = f(lo), f(hi)
    if flo * fhi > 0:
        raise MaterialError(
            f"target={target!r} S/m is not reachable with sigma_interface in {bracket} S/m "
            f"(sigma_eff spans {target * math.exp(flo):.3g}..{target * math.exp(fhi):.3g} "
            "S/m); widen the bracket or change the shell thickness.")
    s = math.exp(brentq(f, lo, hi, xtol=rtol / 3))
    log.info("calibrate_interface: sigma_interface = %.4g S/m for target %.4g S/m", s, target)
    return s


def calibrate_interface_activation(target_ea, cells, macro, *, sigma_interface, material,
                                   temperatures=(303.15, 323.15, 353.15), bracket=(0.0, 0.5)):
    """Interface activation energy [eV] that makes the composite's apparent Ea = target.

    sigma_i(T) = sigma_interface exp(-Ea_i/k (1/T - 1/298.15)); PVH from *material*.
    """
    from scipy.optimize import brentq

    from .highways import apparent_activation_energy

    def ea_app(ea_i):
        return apparent_activation_energy(temperatures, arrhenius_curve(
            cells, macro, sigma_interface=sigma_interface, ea_interface=ea_i,
            material=material, temperatures=temperatures))

    lo, hi = bracket
    flo, fhi = ea_app(lo) - target_ea, ea_app(hi) - target_ea
    if flo * fhi > 0:
        raise MaterialError(f"target_ea={target_ea!r} eV is not reachable with interface "
                            f"activation energies in {bracket} eV.")
    return brentq(lambda e: ea_app(e) - target_ea, lo, hi, xtol=1e-4)


def arrhenius_curve(cells, macro, *, sigma_interface, ea_interface, material, temperatures):
    """sigma_eff(T) [S/m] with PVH from *material* and an Arrhenius interface."""
    from .highways import _arrhenius

    return np.array([two_scale(cells, macro,
                               sigma_interface=_arrhenius(sigma_interface, ea_interface, T),
                               sigma_polymer=material.conductivity(T))["sigma_eff [S m-1]"]
                     for T in temperatures])
