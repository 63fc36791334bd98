"""Interface highways: coated particles, the Hashin equivalent particle, host-guest.

A particle of radius ``a`` and conductivity ``sigma_c`` inside a shell (outer
radius ``b``, conductivity ``sigma_s``) acts, for the field outside, exactly
like a homogeneous particle of radius ``b`` with (Hashin 1962; Milton 2002 §7)

.. math::
   \\sigma_{eq} = \\sigma_s\\,\\frac{(\\sigma_c + (d-1)\\sigma_s) + (d-1)\\,c\\,(\\sigma_c-\\sigma_s)}
                               {(\\sigma_c + (d-1)\\sigma_s) - c\\,(\\sigma_c-\\sigma_s)},
   \\qquad c = (a/b)^d .

In the dilute limit a composite of such particles at outer volume fraction ``f``
follows Maxwell Garnett,

.. math:: \\sigma_{eff} = \\sigma_m \\frac{1 + (d-1) f \\beta}{1 - f\\beta},\\qquad
          \\beta = \\frac{\\sigma_{eq}-\\sigma_m}{\\sigma_{eq}+(d-1)\\sigma_m},

exact to O(f) for any arrangement and, for a square/cubic array, up to
O(f^{(d+2)/d} ...) Rayleigh corrections (f^4 in 2D, f^{10/3} in 3D).

`coated_cell` solves one coated particle centred in a square/cubic cell by FEM;
by mirror symmetry (insulating side faces, equipotential electrode faces) that
cell *is* the periodic array.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import GeometryError, check_positive

__all__ = ["coated_sphere_conductivity", "maxwell_garnett", "coated_cell",
           "apparent_activation_energy", "LIU_2025"]


def coated_sphere_conductivity(sigma_core, sigma_shell, core_radius, outer_radius, *, dim=3):
    """Hashin equivalent conductivity of a coated disk/sphere [S/m]."""
    for name, v in (("sigma_core", sigma_core), ("sigma_shell", sigma_shell),
                    ("core_radius", core_radius), ("outer_radius", outer_radius)):
        check_positive(v, name=name, exc=GeometryError)
    if outer_radius < core_radius:
        raise GeometryError(f"outer_radius={outer_radius!r} must be >= core_radius="
                            f"{core_radius!r}.")
    if dim not in (2, 3):
        raise GeometryError(f"dim must be 2 or 3, got {dim!r}.")
    c = (core_radius / outer_radius) ** dim
    k = dim - 1
    num = (sigma_core + k * sigma_shell) + k * c * (sigma_core - sigma_shell)
    den = (sigma_core + k * sigma_shell) - c * (sigma_core - sigma_shell)
    return sigma_shell * num / den


def maxwell_garnett(sigma_matrix, sigma_particle, fraction, *, dim=3):
    """Maxwell Garnett (Clausius-Mossotti) effective conductivity [S/m]."""
    if not 0 <= fraction < 1:
        raise GeometryError(f"fraction must lie in [0, 1), got {fraction!r}.")
    k = dim - 1
    beta = (sigma_particle - sigma_matrix) / (sigma_particle + k * sigma_matrix)
    return sigma_matrix * (1 + k * fraction * beta) / (1 - fraction * beta)


def coated_cell(cell, core_radius, shell_thickness, *, sigma_core, sigma_shell,
                sigma_matrix, dim=2, mesh_size=None):
    """FEM effective conductivity of one coated particle centred in a cell.

    Returns
    -------
    dict
        ``sigma_eff`` (FEM), ``hashin_mg`` (Hashin particle + Maxwell Garnett),
        ``fraction`` (outer), ``current_share`` (per subdomain).
    """
    from ..geometry.composite import particle_composite
    from ..solve.conduction import solve_conduction

    check_positive(cell, name="cell", exc=GeometryError)
    b = core_radius + shell_thickness
    if 2 * b >= cell:
        raise GeometryError(
            f"coated particle (outer diameter {2 * b:g} m) does not fit in cell={cell!r} m; "
            "the shell is thicker than the particle spacing allows.")
    dom = particle_composite((cell,) * dim, centers=[[cell / 2] * dim], radii=[core_radius],
                             shell_thickness=shell_thickness,
                             mesh_size=mesh_size or shell_thickness / 3)
    res = solve_conduction(dom, {"particles": sigma_core, "interphase": sigma_shell,
                                 "matrix": sigma_matrix}, voltage=1.0)
    vol = math.pi * b * b if dim == 2 else 4 / 3 * math.pi * b ** 3
    f = vol / cell ** dim
    eq = coated_sphere_conductivity(sigma_core, sigma_shell, core_radius, b, dim=dim)
    return {"sigma_eff": res.effective_conductivity,
            "hashin_mg": maxwell_garnett(sigma_matrix, eq, f, dim=dim),
            "fraction": f, "current_share": dict(res.current_share)}


# --- host-guest inversion (Liu et al., Nano-Micro Lett. 2025) -------------------------
# The two-scale model lives in `host_guest_homogenisation`; the case-file study is below.

#: Liu et al. 2025 at 25 °C [S/m]: PVH 3.7e-4 S/cm (Ea 0.22 eV), SiO2-in-PVH 5.9e-4 S/cm,
#: PVH-in-SiO2 1.32e-3 S/cm (Ea 0.17 eV, Arrhenius 30-80 °C); SiO2/PVH interfaces up to
#: 1e-2 S/cm (theory, their ref. 30).
LIU_2025 = {"sigma_pvh": 3.7e-2, "ea_pvh": 0.22, "sigma_SiO2-in-PVH": 5.9e-2,
            "sigma_PVH-in-SiO2": 1.32e-1, "ea_PVH-in-SiO2": 0.17, "sigma_interface_max": 1.0}


def _arrhenius(sigma_ref, ea_ev, T, T_ref=298.15):
    """``sigma_ref * exp(-Ea/k (1/T - 1/T_ref))`` with Ea in eV."""
    from ..constants import KB

    k_ev = KB / 1.602176634e-19
    return sigma_ref * math.exp(-ea_ev / k_ev * (1.0 / T - 1.0 / T_ref))


def apparent_activation_energy(temperatures, sigma):
    """Arrhenius fit ``sigma = A exp(-Ea / kT)``: Ea [eV] by ``np.polyfit``."""
    from ..constants import KB

    k_ev = KB / 1.602176634e-19
    slope = np.polyfit(1.0 / np.asarray(temperatures), np.log(sigma), 1)[0]
    return -slope * k_ev


def _register():
    from ..config import ListOf, Quantity, Section, Value
    from ..io.tables import SummaryTable
    from ..materials import get as material
    from . import host_guest_homogenisation as hg
    from .registry import register_study

    schema = Section({
        "title": Value(str, default="host-guest"),
        "architectures": ListOf(Value(str, choices=tuple(hg.ARCHITECTURES)),
                                default=list(hg.ARCHITECTURES), min_len=1),
        "shell_thickness": Quantity("length", default=20e-9, positive=True),
        "calibrate": Value(bool, default=True,
                           doc="fit sigma_interface to the measured PVH-in-SiO2 value"),
        "sigma_interface": Quantity("conductivity", default=1.0, positive=True,
                                    doc="used when calibrate is false"),
        "ea_interface": Value(float, default=0.128, doc="eV"),
        "temperatures": ListOf(Quantity("temperature", positive=True), default=[298.15]),
        "voltage": Quantity("voltage", default=0.1),
        "box": Quantity("length", default=18e-6, positive=True),
        "cell": Quantity("length", default=1e-6, positive=True),
        "seeds": ListOf(Value(int), default=[0, 1, 2], min_len=1),
    })

    @register_study("host_guest", schema=schema,
                    doc="SiO2-in-PVH vs PVH-in-SiO2: two-scale interface-highway model")
    def run(case, out_dir, *, progress=None):
        d = case.data
        pvh = material("PVH")
        cells = {a: hg.micro_cells(hg.ARCHITECTURES[a][1] or hg.ARCHITECTURES[a][0],
                                   shell_thickness=d["shell_thickness"], cell=d["cell"],
                                   seeds=tuple(d["seeds"]))
                 for a in hg.ARCHITECTURES}
        macro = {a: hg.macro_domain(a, box=d["box"]) for a in hg.ARCHITECTURES}
        s_i = d["sigma_interface"]
        table = SummaryTable()
        if d["calibrate"]:
            a = "PVH-in-SiO2"
            s_i = hg.calibrate_interface(LIU_2025["sigma_" + a], cells[a], macro[a],
                                         sigma_polymer=pvh.conductivity(298.15))
        table = table.add("interface", "sigma_interface at 25 degC", s_i, "S/m")
        table = table.add("interface", "sheet conductance delta*sigma", s_i * d["shell_thickness"],
                          "S")
        for arch in d["architectures"]:
            for T in d["temperatures"]:
                r = hg.two_scale(cells[arch], macro[arch], voltage=d["voltage"],
                                 sigma_interface=_arrhenius(s_i, d["ea_interface"], T),
                                 sigma_polymer=pvh.conductivity(T))
                table = table.add(arch, f"effective conductivity at {T:.2f} K",
                                  r["sigma_eff [S m-1]"], "S/m")
                if T == d["temperatures"][0]:
                    table = table.add(arch, "median |j| in interfaces",
                                      r["j_interface [mA cm-2]"], "mA/cm2")
                    table = table.add(arch, "median |j| in PVH", r["j_pvh [mA cm-2]"], "mA/cm2")
        return table


_register()
