"""Cited parameter sets. Each function returns a new object and says where each number
comes from; values not in the cited paper are flagged in `note`.

Temperatures: "RT" in a paper is taken as 25 degC. Salt concentrations are rarely
reported for polymer electrolytes; where missing, a nominal 1000 mol/m3 is used (it
only enters the Nernst–Einstein split into D+ and D-, never the conductivity).
Relative permittivities are typical literature values (they enter only Poisson's
equation in Nernst–Planck–Poisson studies), flagged in each note.
"""
from __future__ import annotations

from .material import (
    MS_PER_CM,
    NOMINAL_SALT,
    T20,
    T25,
    T30,
    T60,
    Material,
    Solid,
    ev_to_j_per_mol,
    register,
)

__all__ = ["LLZTO_PMA_INTERFACIAL_SHARE", "plm_stack", "peo_stack"]

ZHU_2023 = (
    "Zhu et al., 'Uncoordinated chemistry enables highly conductive and stable "
    "electrolyte/filler interfaces for solid-state lithium-sulfur batteries', PNAS (2023), "
    "doi:10.1073/pnas.2300197120"
)
LIU_2025 = (
    "Liu et al., 'Host-guest inversion engineering induced superionic composite solid "
    "electrolytes for high-rate solid-state alkali metal batteries', Nano-Micro Lett. 17:190 "
    "(2025), doi:10.1007/s40820-025-01691-7"
)
LI_2026 = (
    "Li et al., 'Li7La3Zr2O12/polymethacrylate-based composite electrolyte with hybrid solid "
    "electrolyte interphase for ultra-stable solid-state lithium batteries', Nano-Micro Lett. "
    "18:189 (2026)"
)
ZHANG_SI = (
    "Zhang et al., '12.6 um-thick asymmetric composite electrolyte with superior interfacial "
    "stability for solid-state lithium-metal batteries', Supporting Information"
)
PERMITTIVITY_NOTE = "Relative permittivity is a typical literature value, not from the paper."
NOMINAL_SALT_NOTE = (
    f"Salt concentration not reported: nominal {NOMINAL_SALT:g} mol/m3 (affects only D+/D-)."
)

#: Share of the LLZTO-PMA conductivity carried by the LLZTO/PMA interfaces (7Li NMR
#: quantification, Li et al. 2026, Sect. 3.2); the bulk polymer carries 87.65 %.
LLZTO_PMA_INTERFACIAL_SHARE = 0.1235


def _unreported_salt(name, sigma, *, T_ref, Ea_eV, t_plus, permittivity, citation, note,
                     permittivity_source=""):
    """An electrolyte whose paper gives sigma and t+ (Ea if *Ea_eV* is not None) but
    neither its salt concentration (nominal, `NOMINAL_SALT_NOTE`) nor its permittivity
    (typical value, `PERMITTIVITY_NOTE`); *note* says where the rest comes from."""
    return Material(
        name, sigma, T_ref=T_ref,
        activation_energy=None if Ea_eV is None else ev_to_j_per_mol(Ea_eV),
        transference=t_plus, permittivity=permittivity, citation=citation,
        note=f"{note} {NOMINAL_SALT_NOTE} {PERMITTIVITY_NOTE}{permittivity_source}",
    )


# ------------------------------------------------------------ Zhu et al. 2023
@register("LPC")
def lpc() -> Material:
    """LiTFSI/PVDF-HFP (1:1 by mass), filler-free, Zhu et al. 2023."""
    return _unreported_salt(
        "LPC", 0.12 * MS_PER_CM, T_ref=T25, Ea_eV=None, t_plus=0.42,
        permittivity=8.4, citation=ZHU_2023, permittivity_source=" (PVDF-HFP ~8-11)",
        note="sigma: text says LPC@2%UCPBA (0.36 mS/cm) is 'approximately three times' LPC, "
        "so ~0.12 mS/cm at RT (25 degC assumed). t+ = 0.42 (Fig. 3, SI Fig. S12). Ea of LPC "
        "not given individually (CPEs span 0.24-0.33 eV).",
    )


@register("LPC@2%UCPBA")
def lpc_ucpba() -> Material:
    """LPC with 2 wt% unsaturated-coordination Prussian blue analogue, Zhu et al. 2023."""
    return _unreported_salt(
        "LPC@2%UCPBA", 0.36 * MS_PER_CM, T_ref=T25, Ea_eV=0.24, t_plus=0.60,
        permittivity=8.4, citation=ZHU_2023,
        note="0.36 mS/cm at RT (25 degC assumed), Ea 0.24 eV (Fig. 3C-D), t+ 0.6.",
    )


@register("LPC@2%SCPBA")
def lpc_scpba() -> Material:
    """LPC with 2 wt% saturated-coordination Prussian blue analogue, Zhu et al. 2023."""
    return _unreported_salt(
        "LPC@2%SCPBA", 0.029 * MS_PER_CM, T_ref=T25, Ea_eV=None, t_plus=0.27,
        permittivity=8.4, citation=ZHU_2023,
        note="0.29e-4 S/cm at RT (25 degC assumed; ionic resistance 325 ohm cm2), t+ 0.27. "
        "Ea not given individually.",
    )


# ------------------------------------------------------------ Liu et al. 2025
@register("PVH")
def pvh() -> Material:
    """PVDF-HFP/LiTFSI microspheres without SiO2, Liu et al. 2025."""
    return _unreported_salt(
        "PVH", 0.37 * MS_PER_CM, T_ref=T25, Ea_eV=0.22, t_plus=0.46 / 2.4,
        permittivity=8.4, citation=LIU_2025,
        note="3.7e-4 S/cm at 25 degC, Ea 0.22 eV; t+ = 0.46/2.4 since PVH-in-SiO2's 0.46 is "
        "'approximately 2.4 times' PVH's.",
    )


@register("SiO2-in-PVH")
def sio2_in_pvh() -> Material:
    """Conventional ceramic-in-polymer composite (SiO2 guests in PVH host), Liu et al. 2025."""
    return _unreported_salt(
        "SiO2-in-PVH", 0.59 * MS_PER_CM, T_ref=T25, Ea_eV=None, t_plus=0.46 / 1.4,
        permittivity=8.4, citation=LIU_2025,
        note="5.9e-4 S/cm at 25 degC; t+ = 0.46/1.4 (PVH-in-SiO2's 0.46 is ~1.4 times it). "
        "Ea not given in the text.",
    )


@register("PVH-in-SiO2")
def pvh_in_sio2() -> Material:
    """Inverted polymer-in-ceramic composite (PVH guests in SiO2 host), Liu et al. 2025."""
    return _unreported_salt(
        "PVH-in-SiO2", 1.32 * MS_PER_CM, T_ref=T25, Ea_eV=0.17, t_plus=0.46,
        permittivity=8.4, citation=LIU_2025,
        note="1.32e-3 S/cm at 25 degC, Ea 0.17 eV, t+ 0.46.",
    )


@register("SiO2/PVH interface")
def sio2_pvh_interface() -> Material:
    """Ceramic/polymer interfacial conduction channel, upper bound quoted by Liu et al."""
    return _unreported_salt(
        "SiO2/PVH interface", 1e-2 * 1e2, T_ref=T30, Ea_eV=0.26, t_plus=0.46,
        permittivity=8.4, citation=LIU_2025 + " (quoting their ref. [30])",
        note="'up to 1e-2 S/cm (at 30 degC)': a theoretical value for the interfacial layer "
        "(their ref. 30), not a measurement; the host_guest study keeps it as a bound and "
        "calibrates the interphase conductivity on PVH-in-SiO2 instead. Ea = 0.26 eV is the "
        "DFT Li+ migration barrier at SiO2/PVH interfaces (Fig. 3g); the host_guest study uses "
        "this value as the interphase activation energy (an assumption; the 0.17 eV of "
        "PVH-in-SiO2 would need ~0.13 eV, reported there as a second fit). "
        "t+ assumed equal to PVH-in-SiO2 (0.46).",
    )


# ------------------------------------------------------------- Li et al. 2026
@register("PMA")
def pma() -> Material:
    """Polymethacrylate-based polymer electrolyte, Li et al. 2026."""
    return _unreported_salt(
        "PMA", 0.07 * MS_PER_CM, T_ref=T20, Ea_eV=0.501, t_plus=0.435,
        permittivity=4.0, citation=LI_2026,
        note="0.07 mS/cm at 20 degC (the text prints 'mS m-1', a typo given Fig. 2a), "
        "Ea 0.501 eV, t+ 0.435.",
    )


@register("LLZTO")
def llzto() -> Material:
    """Bare Ta-doped LLZO electrolyte as measured by Li et al. 2026 (not dense LLZO)."""
    return _unreported_salt(
        "LLZTO", 0.016 * MS_PER_CM, T_ref=T20, Ea_eV=0.369, t_plus=0.520,
        permittivity=50.0, citation=LI_2026,
        permittivity_source=" (garnet ~50, order of magnitude)",
        note="0.016 mS/cm at 20 degC, Ea 0.369 eV, t+ 0.520 for the paper's bare LLZTO "
        "electrolyte (an apparent value including grain boundaries/contacts).",
    )


@register("LLZTO-PMA")
def llzto_pma() -> Material:
    """20 wt% LLZTO in PMA, Li et al. 2026; 12.35 % of its conductivity is interfacial."""
    return _unreported_salt(
        "LLZTO-PMA", 0.266 * MS_PER_CM, T_ref=T20, Ea_eV=0.331, t_plus=0.621,
        permittivity=4.0, citation=LI_2026,
        note="0.266 mS/cm at 20 degC, Ea 0.331 eV; t+ 0.621 (highlights, Fig. 1a) vs 0.632 "
        "(Sect. 3.2, Fig. 2c). Interfacial share 12.35 % (LLZTO_PMA_INTERFACIAL_SHARE).",
    )


# ------------------------------------------------------------ Zhang et al. SI
@register("PEO/LiTFSI")
def peo_litfsi() -> Material:
    """PEO/LiTFSI solid polymer electrolyte at 60 degC (literature value)."""
    return Material(
        "PEO/LiTFSI", 1e-4 * 1e2, T_ref=T60, activation_energy=None, transference=0.22,
        salt_concentration=1000.0, permittivity=5.0, citation=ZHANG_SI,
        note="The SI gives no PEO numbers (Figs. S12-S13 are plots). sigma ~1e-4 S/cm at "
        "60 degC and t+ ~0.2 are typical of PEO/LiTFSI at EO:Li ~ 16-20 (e.g. Xue, He & Xie, "
        "J. Mater. Chem. A 3, 19218 (2015)); c ~1000 mol/m3 follows from EO:Li = 20 at "
        "1.2 g/cm3. Ea left unknown: below the ~60 degC melting point PEO is not Arrhenius. "
        + PERMITTIVITY_NOTE,
    )


@register("PEO/MOF")
def peo_mof() -> Material:
    """PEO/LiTFSI filled with Lewis-acidic MOF particles (anions partly immobilised)."""
    peo = peo_litfsi()
    return peo.with_(
        name="PEO/MOF", transference=0.35, citation=ZHANG_SI,
        note="The SI compares PEO and PEO/MOFs (100 x 20 um NPP model) but gives no numbers. "
        "Assumption: the conductivity of PEO/LiTFSI (the filler changes t+, not sigma, in "
        "this comparison) and t+ = 0.35, the value assumed for the Li-IL@MOF layer "
        "(open-metal-site MOFs anchor TFSI-; t+ of MOF-filled PEO is typically 0.3-0.5). "
        "The immobilised anion fraction follows from t+ (ntransport.physics.species."
        "free_anion_fraction). " + PERMITTIVITY_NOTE,
    )


@register("PE/PEO")
def pe_separator() -> Material:
    """PE separator whose pores are filled with PEO/LiTFSI, as one effective layer."""
    porosity = 0.40
    peo = peo_litfsi()
    return peo.with_(
        name="PE/PEO",
        conductivity_ref=peo.conductivity_ref * porosity**1.5,
        citation=ZHANG_SI,
        note="Effective layer: PEO/LiTFSI in a PE separator of porosity 0.40 (typical of PE "
        "separators, Arora & Zhang, Chem. Rev. 104, 4419 (2004)), Bruggeman "
        "sigma = eps^1.5 sigma_PEO. The SI gives no separator numbers. " + PERMITTIVITY_NOTE,
    )


@register("LLZO")
def llzo() -> Material:
    """Garnet LLZO layer (literature value; a single-ion conductor)."""
    li_sites = 7 * 5.1e6 / 839.7  # 7 Li per formula unit, 5.1 g/cm3, 839.7 g/mol
    return Material(
        "LLZO", 1e-3 * 1e2, T_ref=T25, activation_energy=ev_to_j_per_mol(0.32),
        transference=0.99, salt_concentration=li_sites, permittivity=50.0, citation=ZHANG_SI,
        note="The SI gives no LLZO conductivity. ~1e-3 S/cm at 25 degC is typical of doped "
        "cubic LLZO; Ea = 0.32 eV taken as typical of cubic garnet (~0.3 eV, e.g. Murugan, "
        "Thangadurai & Weppner, Angew. Chem. Int. Ed. 46, 7778 (2007)). LLZO is a single-ion conductor (t+ = 1): modelled "
        "as t+ = 0.99 so D- stays finite. c = Li site density (7 Li per formula unit). "
        + PERMITTIVITY_NOTE,
    )


@register("Li-IL@MOF")
def li_il_mof() -> Material:
    """Cu-BTC MOF filled with 2 M LiTFSI/EMIMTFSI (Li-IL@MOF layer)."""
    return Material(
        "Li-IL@MOF", 3e-4 * 1e2, T_ref=T25, activation_energy=ev_to_j_per_mol(0.25),
        transference=0.35, salt_concentration=2000.0, permittivity=12.0, citation=ZHANG_SI,
        note="c = 2 M LiTFSI/EMIMTFSI from the SI recipe. sigma ~3e-4 S/cm at 25 degC as "
        "reported for Li-IL@MOF by Wang et al., Adv. Mater. 30, 1704436 (2018) (ref. S3 of "
        "the SI); Ea 0.25 eV and t+ 0.35 are assumptions (IL-based conductors). "
        "Permittivity ~12 is that of EMIM-TFSI.",
    )


# -------------------------------------------------------------- solids
@register("Li")
def lithium() -> Solid:
    """Lithium metal anode."""
    return Solid(
        "Li", molar_mass=6.941e-3, density=534.0, youngs_modulus=4.9e9,
        electronic_conductivity=1e7, citation=ZHANG_SI + ", Table S1",
        note="E = 4.9 GPa and electrode conductivity 1e7 S/m from Table S1; M and rho are "
        "handbook values.",
    )


@register("PEO (mechanical)")
def peo_solid() -> Solid:
    """PEO electrolyte as an elastic solid (phase-field mechanics)."""
    return Solid(
        "PEO (mechanical)", youngs_modulus=12.6e6, citation=ZHANG_SI + ", Table S1",
    )


# -------------------------------------------------------------- stacks
def plm_stack() -> list[tuple[str, float, str]]:
    """The 12.6 um PLM electrolyte, anode upwards: (layer, thickness [m], material).

    Only the 12.6 um total is given (SI Table S4). The split is an assumption: a ~7 um
    PE separator coated with Li-IL@MOF on the Li side (uniform Li deposition) and LLZO
    on the cathode side.
    """
    return [("MOF", 3.0e-6, "Li-IL@MOF"), ("PE", 7.0e-6, "PE/PEO"), ("LLZO", 2.6e-6, "LLZO")]


def peo_stack(thickness: float = 12.6e-6) -> list[tuple[str, float, str]]:
    """A single PEO/LiTFSI layer (thickness-matched to the PLM stack by default)."""
    return [("PEO", thickness, "PEO/LiTFSI")]
