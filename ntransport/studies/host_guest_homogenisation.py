r"""Resolved-interphase model of SiO2/PVH host-guest electrolytes (Liu et al. 2025).

Microstructure (Liu et al., Fig. 2d-f): PVH (PVDF-HFP + LiTFSI) forms 2.9 um spheres
that touch ("interconnected"); 158 nm Stoeber SiO2 fills the space between them and
covers their surfaces. The model:

* **Composition** -- SiO2 : PVDF-HFP : LiTFSI = 70 : 100 : 100 (PVH-in-SiO2) or
  20 : 100 : 100 (SiO2-in-PVH) by weight, with the salt's volume counted
  (`volume_fractions`, densities in `RHO`, each cited): SiO2 0.195 / 0.065 by volume.
* **Geometry** -- a jammed-like packing of touching PVH spheres (neighbours overlap by
  <= 5 % of a diameter, :func:`~ntransport.geometry.host_guest.sphere_packing`); the
  rest is the SiO2 host: a packing of Stoeber spheres at packing fraction
  :math:`\phi_{pk} = \phi_{SiO_2}/(1-\phi_{PVH})` whose pores hold the polymer
  electrolyte. With the salt counted, 0.195 / 0.36 = 0.54 -- a random loose packing;
  without it the SiO2 (0.36) would have to fill the voids completely, which no
  nanoparticle packing (<= 0.64) can do (`host_state` reports it as infeasible).
* **Conductivities** -- PVH spheres: the measured PVH film (0.37 mS/cm, Ea 0.22 eV).
  Interphase: a layer of thickness :math:`\delta` at *every* SiO2/PVH contact, with
  :math:`\sigma_i(T) = \sigma_{i,25}\exp[-E_{a,i}/k(1/T - 1/T_{25})]`,
  :math:`E_{a,i}` = 0.26 eV (the paper's DFT barrier, `materials` entry
  "SiO2/PVH interface"). It lines (a) the PVH spheres -- resolved -- and (b) each
  158 nm SiO2 particle inside the host -- homogenised: a SiO2 sphere of radius a with
  that shell is, for the field outside, a sphere of conductivity
  :math:`\sigma_{eq}` (Hashin 1962; :math:`\approx 2\delta\sigma_i/a` for a thin shell
  on an insulating core), and the host is the symmetric Bruggeman medium of
  :math:`\phi_{pk}` such spheres in the polymer electrolyte of its pores
  (`nanoparticle_host`): the SiO2 particles' shells form connected highways only above
  :math:`\phi_{pk}` = 1/3. Where the SiO2 covers only part of a PVH surface
  (SiO2-in-PVH) the sphere's interphase is a patchy sheet of coverage
  :math:`\theta = \min(1, \phi_{pk}/\phi_{full})` (:math:`\phi_{full}` = 0.55: a random
  packing touching a wall everywhere), its conductivity the 2D symmetric effective
  medium of :math:`\sigma_i` and the host (`ema_2d`; connected above
  :math:`\theta` = 1/2).
* **One calibrated parameter** -- :math:`\sigma_{i,25}` from the measured
  PVH-in-SiO2 (1.32 mS/cm at 25 degC). Predicted out of sample: SiO2-in-PVH
  (0.59 mS/cm) and the apparent activation energies (PVH 0.22 -> PVH-in-SiO2 0.17 eV).

3D numerics: a voxel grid (mixed FEM, :mod:`ntransport.percolation.voxel`); the
interphase is the one-voxel layer of host next to PVH with the *sheet* conductance of
the physical layer, :math:`\sigma_{layer} = [\delta\sigma_i + (h-\delta)\sigma_{host}]/h`
(a layer that is thin and much more conductive than its surroundings carries current
along itself as a sheet of conductance :math:`\delta\sigma_i`; its thickness enters only
through that product). Because every conductivity scales with :math:`\sigma_{PVH}`,
:math:`\sigma_{eff} = \sigma_{PVH} F(\sigma_i/\sigma_{PVH})` with one response function
per architecture, tabulated once (`Response`) and used for the calibration, the
prediction and every temperature. The 2D section of the paper's Fig. S22 is a
conforming mesh with the layer resolved at its true thickness
(:func:`~ntransport.geometry.host_guest.section_composite`).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, GeometryError, MaterialError, check_positive

__all__ = ["RHO", "WEIGHTS", "LIU_2025", "volume_fractions", "pore_conductivity", "ema_2d",
           "ema_3d", "nanoparticle_host", "Host", "host_state", "VoxelHostGuest", "Response",
           "layer_conductivity", "arrhenius", "apparent_activation_energy", "SIO2_RADIUS"]

log = logging.getLogger(__name__)

#: densities [g/cm3] with their sources
RHO = {
    "SiO2": (2.20, "amorphous (fused) silica, CRC Handbook of Chemistry and Physics"),
    "PVH": (1.78, "PVDF-HFP (Kynar Flex 2801 / Sigma-Aldrich 427187 data sheet)"),
    "LiTFSI": (1.33, "LiTFSI, Sigma-Aldrich 544094 data sheet"),
}
#: weight ratios of Liu et al. 2025 (Fig. 2b: LiTFSI/PVH = 100/100 in all samples)
WEIGHTS = {"SiO2-in-PVH": {"SiO2": 20.0, "PVH": 100.0, "LiTFSI": 100.0},
           "PVH-in-SiO2": {"SiO2": 70.0, "PVH": 100.0, "LiTFSI": 100.0}}
#: Liu et al. 2025 at 25 degC [S/m]; activation energies [eV] from 30-80 degC
LIU_2025 = {"sigma_PVH": 3.7e-2, "Ea_PVH": 0.22, "sigma_SiO2-in-PVH": 5.9e-2,
            "sigma_PVH-in-SiO2": 1.32e-1, "Ea_PVH-in-SiO2": 0.17,
            "sigma_interface_bound": 1.0, "T_arrhenius": (303.15, 323.15, 353.15)}
SIO2_RADIUS = 79e-9  #: 158 nm Stoeber SiO2 (Liu et al. 2025, Fig. 2c)
SIGMA_SIO2 = 1e-8    #: S/m, passive (non Li+-conducting) ceramic
PACK_MAX = 0.64   #: random close packing of equal spheres (Scott & Kilgour 1969)
PACK_FULL = 0.55  #: packing that touches a wall everywhere (random loose packing)
T25 = 298.15
_K_EV = 8.617333262e-5  # Boltzmann constant [eV/K]


def volume_fractions(weights, *, densities=None, count_salt: bool = True) -> dict:
    """Volume fractions of SiO2 and of the polymer phase from weights.

    >>> round(volume_fractions(WEIGHTS["PVH-in-SiO2"])["SiO2"], 4)
    0.1951
    """
    rho = {k: v[0] for k, v in (densities or RHO).items()}
    missing = [k for k in weights if k not in rho]
    if missing:
        raise ConfigError(f"densities: no density for {missing}; give e.g. "
                          "{SiO2: 2.2, PVH: 1.78, LiTFSI: 1.33} (g/cm3).")
    vol = {k: w / rho[k] for k, w in weights.items() if count_salt or k != "LiTFSI"}
    tot = sum(vol.values())
    s = vol.get("SiO2", 0.0) / tot
    return {"SiO2": s, "polymer": 1.0 - s}


def pore_conductivity(sigma, solid_fraction):
    r"""Bruggeman: electrolyte in the pores of a packing, :math:`\sigma(1-\phi)^{3/2}`."""
    if not 0.0 <= solid_fraction < 1.0:
        raise MaterialError(f"solid_fraction must lie in [0, 1), got {solid_fraction!r}.")
    return sigma * (1.0 - solid_fraction) ** 1.5


def ema_2d(theta, s_a, s_b):
    r"""Symmetric Bruggeman effective medium in 2D: fraction *theta* of :math:`s_a` in
    :math:`s_b`; :math:`\sum_k f_k (s_k - s)/(s_k + s) = 0`, percolation at 1/2."""
    th = float(theta)
    if not 0.0 <= th <= 1.0:
        raise MaterialError(f"coverage must lie in [0, 1], got {theta!r}.")
    # (2 th - 1)(s_a - s_b) + sqrt(((2 th - 1)(s_a - s_b))^2 + 4 s_a s_b), halved
    b = (2.0 * th - 1.0) * (s_a - s_b)
    return 0.5 * (b + np.sqrt(b * b + 4.0 * s_a * s_b))


def ema_3d(f, s_a, s_b):
    r"""Symmetric Bruggeman effective medium in 3D: fraction *f* of :math:`s_a` in
    :math:`s_b`, :math:`\sum_k f_k (s_k - s)/(s_k + 2s) = 0`; percolation at 1/3."""
    b = (3.0 * f - 1.0) * s_a + (2.0 - 3.0 * f) * s_b
    return 0.25 * (b + np.sqrt(b * b + 8.0 * s_a * s_b))


def nanoparticle_host(sigma_i, sigma_polymer, packing, delta, *, radius=SIO2_RADIUS):
    """Host conductivity: SiO2 spheres of *radius* with an interphase shell *delta*
    (Hashin equivalent sphere) at *packing* in the polymer electrolyte (3D EMA)."""
    from ..post.effective import coated_sphere_conductivity

    s_eq = coated_sphere_conductivity(max(SIGMA_SIO2, 1e-12 * sigma_i), sigma_i, radius,
                                      radius + delta, dim=3)
    return ema_3d(packing, s_eq, sigma_polymer)


@dataclass(frozen=True)
class Host:
    """State of the SiO2 host of one architecture in a given PVH packing."""

    name: str
    sio2_fraction: float     # of the film
    pvh_fraction: float      # PVH spheres (measured on the geometry)
    packing: float           # SiO2 packing fraction inside the host region
    coverage: float          # share of the PVH surface touched by SiO2
    feasible: bool
    note: str = ""

    def host_conductivity(self, sigma_i, sigma_pvh, delta):
        """sigma of the host region [S/m] (see `nanoparticle_host`)."""
        return nanoparticle_host(sigma_i, sigma_pvh, self.packing, delta)

    def sheet_conductivity(self, sigma_i, sigma_host):
        """Conductivity of the (patchy) interphase on the PVH spheres [S/m]."""
        return ema_2d(self.coverage, sigma_i, sigma_host)


def host_state(name, sio2_fraction, pvh_fraction) -> Host:
    """SiO2 packing, coverage and host conductivity factor (see the module docstring)."""
    host = 1.0 - pvh_fraction
    if host <= 0:
        raise GeometryError(f"pvh_fraction must be < 1, got {pvh_fraction!r}.")
    pk = sio2_fraction / host
    if pk > PACK_MAX:
        return Host(name, sio2_fraction, pvh_fraction, pk, 1.0, False,
                    f"SiO2 ({sio2_fraction:.3f}) cannot fit in the {host:.3f} of the volume "
                    f"left by the PVH spheres: it would need a packing of {pk:.2f} > "
                    f"{PACK_MAX} (random close packing)")
    return Host(name, sio2_fraction, pvh_fraction, pk, min(1.0, pk / PACK_FULL), True)


def layer_conductivity(sigma_sheet, sigma_host, delta, h):
    """Voxel-layer conductivity carrying the sheet conductance of a layer of thickness
    *delta* (conductivity *sigma_sheet*) plus host over the rest of the voxel *h*."""
    if not 0 < delta <= h:
        raise GeometryError(f"interphase thickness {delta!r} m must lie in (0, voxel = {h!r} m]"
                            "; use a smaller thickness or larger voxels.")
    return (delta * sigma_sheet + (h - delta) * sigma_host) / h


def arrhenius(sigma_ref, ea_ev, T, T_ref=T25):
    """``sigma_ref * exp(-Ea/k (1/T - 1/T_ref))`` with Ea in eV."""
    return sigma_ref * np.exp(-ea_ev / _K_EV * (1.0 / np.asarray(T) - 1.0 / T_ref))


def apparent_activation_energy(temperatures, sigma):
    """Arrhenius fit ``sigma = A exp(-Ea/kT)``: Ea [eV] by ``np.polyfit``."""
    slope = np.polyfit(1.0 / np.asarray(temperatures, float), np.log(sigma), 1)[0]
    return float(-slope * _K_EV)


class VoxelHostGuest:
    """3D voxel model of a PVH packing: PVH, one-voxel interphase sheet, SiO2 host.

    Parameters
    ----------
    parts : Particles
        The PVH spheres (metres), e.g. from `sphere_packing`.
    voxel : float
        Voxel edge h [m].

    The electrode axis is the last coordinate (anode z = 0), as in the geometry
    builders; the grid solver's axis 0 is mapped to it.
    """

    def __init__(self, parts, voxel: float):
        check_positive(voxel, name="voxel", exc=GeometryError)
        box = np.asarray(parts.box, float)
        n = np.maximum(2, np.round(box / voxel).astype(int))
        if not np.allclose(n * voxel, box, rtol=1e-6):
            raise GeometryError(f"the box {box.tolist()} m is not a whole number of voxels of "
                                f"{voxel!r} m; choose a voxel that divides it.")
        self.h, self.shape, self.box = float(voxel), tuple(int(x) for x in n), box
        g = [(np.arange(k) + 0.5) * voxel for k in n]
        pvh = np.zeros(tuple(n), bool)
        for c, r in zip(parts.centers, parts.radii):  # each sphere marks its bounding box
            lo = np.maximum(0, np.floor((c - r) / voxel).astype(int))
            hi = np.minimum(n, np.ceil((c + r) / voxel).astype(int) + 1)
            if np.any(hi <= lo):
                continue
            sl = tuple(slice(a, b) for a, b in zip(lo, hi))
            d2 = sum(((g[a][sl[a]] - c[a]) ** 2).reshape([-1 if b == a else 1 for b in range(3)])
                     for a in range(3))
            pvh[sl] |= d2 <= r * r
        inside = pvh.ravel()
        pvh = inside.reshape(self.shape)
        near = np.zeros_like(pvh)
        for ax in range(3):
            for sh in (1, -1):
                near |= np.roll(pvh, sh, axis=ax) & ~_edge(self.shape, ax, sh)
        self.pvh, self.layer = pvh, near & ~pvh
        self.host = ~(self.pvh | self.layer)

    @property
    def fractions(self) -> dict:
        """Voxel fractions; the one-voxel interphase layer is host except for delta."""
        n = self.pvh.size
        return {"PVH": self.pvh.sum() / n, "interphase layer voxels": self.layer.sum() / n,
                "host (incl. layer voxels)": 1.0 - self.pvh.sum() / n}

    def sigma(self, s_pvh, s_host, s_layer):
        out = np.where(self.pvh, s_pvh, np.where(self.layer, s_layer, s_host))
        return np.moveaxis(out, 2, 0)  # electrode axis first for the grid solver

    def solve(self, s_pvh, s_host, s_layer):
        """GridSolution (unit voltage per voxel scale; ``sigma_eff`` in S/m)."""
        from ..percolation.voxel import grid_solution

        return grid_solution(self.sigma(s_pvh, s_host, s_layer))

    def conductivities(self, host: Host, delta, s_pvh, s_int):
        """(sigma_PVH, sigma_host, sigma_layer) of the voxel model [S/m]."""
        s_host = host.host_conductivity(s_int, s_pvh, delta)
        s_sheet = host.sheet_conductivity(s_int, s_host)
        return s_pvh, s_host, layer_conductivity(s_sheet, s_host, delta, self.h)

    def response(self, host: Host, delta: float, xs, *, progress=None) -> "Response":
        """Tabulate F(x) = sigma_eff / sigma_PVH for x = sigma_i / sigma_PVH."""
        xs = np.asarray(xs, float)
        F = []
        for x in xs:
            F.append(self.solve(*self.conductivities(host, delta, 1.0, x)).sigma_eff)
            if progress is not None:
                progress()
        return Response(xs, np.array(F))

    def solution(self, host: Host, delta, s_pvh, s_int, *, current_density=None):
        """Steady Solution on the voxel mesh (regions PVH / interphase / SiO2 host)."""
        from ..geometry.domain import Domain
        from ..percolation.fem import voxel_mesh
        from ..solution import Frame, Solution

        s_pvh, s_host, s_layer = self.conductivities(host, delta, s_pvh, s_int)
        g = self.solve(s_pvh, s_host, s_layer)
        nz = self.shape[2]
        V = 1.0 if current_density is None else current_density * self.box[2] / g.sigma_eff
        pts, t, k, facets = voxel_mesh(self.shape[0], self.box[0], dim=3)
        if len(set(self.shape)) != 1:
            raise GeometryError("the voxel Solution needs a cubic box.")
        del nz
        to_dom = lambda a: np.repeat(np.moveaxis(a, 0, 2).reshape((-1,) + a.shape[3:]),  # noqa
                                     k, axis=0)
        region = to_dom(np.moveaxis(np.where(self.pvh, 0, np.where(self.layer, 1, 2)), 2, 0))
        names = ("PVH", "interphase", "SiO2 host")
        dom = Domain.from_arrays(pts, t, {nm: np.flatnonzero(region == i)
                                          for i, nm in enumerate(names)}, facets)
        j = g.flux * V / self.h
        j = np.roll(j, -1, axis=-1)
        sig = self.sigma(s_pvh, s_host, s_layer)
        cell = {"phi [V]": to_dom(g.phi * V), "j [A m-2]": to_dom(j),
                "|j| [A m-2]": to_dom(np.linalg.norm(j, axis=-1)), "sigma [S/m]": to_dom(sig)}
        return Solution([Frame(0.0, dom, {}, cell)], scalars={"sigma_eff [S/m]": g.sigma_eff},
                        model="host-guest voxel conduction")


def _edge(shape, ax, sh):
    """Cells whose rolled neighbour wrapped around the box (to be ignored)."""
    m = np.zeros(shape, bool)
    idx = [slice(None)] * 3
    idx[ax] = 0 if sh == 1 else -1
    m[tuple(idx)] = True
    return m


@dataclass(frozen=True)
class Response:
    """sigma_eff / sigma_PVH as a function of x = sigma_i / sigma_PVH (tabulated)."""

    x: np.ndarray
    F: np.ndarray

    def __post_init__(self):
        if np.any(np.diff(self.F) < -1e-12 * self.F[:-1]):
            raise GeometryError("the response is not monotone in the interphase conductivity "
                                f"({self.F.tolist()}); refine the table.")

    def __call__(self, x):
        from scipy.interpolate import PchipInterpolator

        lx = np.log(np.asarray(x, float))
        if np.any(lx < np.log(self.x[0]) - 1e-9) or np.any(lx > np.log(self.x[-1]) + 1e-9):
            raise ConfigError(f"x = {np.exp(lx)} outside the tabulated range "
                              f"[{self.x[0]:g}, {self.x[-1]:g}] of sigma_i / sigma_PVH.")
        return np.exp(PchipInterpolator(np.log(self.x), np.log(self.F))(lx))

    def inverse(self, F_target) -> float:
        """x with F(x) = F_target (raises if out of reach)."""
        from scipy.optimize import brentq

        if not self.F[0] <= F_target <= self.F[-1]:
            raise MaterialError(
                f"sigma_eff / sigma_PVH = {F_target:.4g} is out of reach: the interphase moves "
                f"it only from {self.F[0]:.4g} to {self.F[-1]:.4g} for sigma_i / sigma_PVH in "
                f"[{self.x[0]:g}, {self.x[-1]:g}].")
        return math.exp(brentq(lambda lx: math.log(float(self(math.exp(lx))) / F_target),
                               math.log(self.x[0]), math.log(self.x[-1]), xtol=1e-12))
