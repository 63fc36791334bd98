"""What every run of the study records before it solves: the resolved parameters with their
sources (``run.json``), the notes on the modelling choices, and the per-layer rows of each
electrolyte (``summary.csv``, converted by :meth:`SummaryTable.add_si`).
"""
from __future__ import annotations

__all__ = ["record_inputs", "sources"]


def record_inputs(res, data, setup_tables):
    """Parameters, the general notes and the per-layer rows of every electrolyte;
    *setup_tables*: electrolyte name -> the table of
    :func:`~ntransport.studies.npp_zhang.electrolytes.electrolyte_species`."""
    T = data["temperature"]
    res.parameters["temperature [K]"] = T
    res.parameters["host_transference t0 [1]"] = data["host_transference"]
    res.parameters["salt_concentration [mol m-3]"] = data["salt_concentration"]
    res.parameters["concentrations"] = data["concentrations"]
    res.parameters["sources"] = sources(data)
    res.notes.append(
        f"One temperature for every layer: {T - 273.15:.1f} degC; each layer's sigma is taken "
        "there by its activation energy (materials without one are used at their T_ref only).")
    res.notes.append(
        "The paper sets both 'an overpotential difference of 0.01 V' and 'a Li+ flux of 0.01 mol "
        "m-2 s-1'. Together they over-determine an electroneutral cell; with Poisson they can "
        "only coexist by placing the ohmic drop of the flux (~2 V across 20 um of PEO at 965 "
        "A/m2) in nanometre double layers. They are run here as two readings side by side.")
    res.notes.append(
        "Anions split by t+ (the paper's 'according to the Li+ transference number'): free "
        f"anions keep the host's normal diffusivity D- = D+(1-t0)/t0 with t0 = "
        f"{data['host_transference']:g}; the rest is immobilised (D = 0). D+ from "
        "Nernst-Einstein on the mobile ions at the run's temperature. This split is an "
        "assumption (the paper gives no formula).")
    for name, table in setup_tables.items():
        res.parameters[f"electrolyte {name}"] = table
        for lay, row in table.items():
            res.summary = (res.summary
                           .add_si(name, "conductivity", row["sigma [S/m]"], "S/m", lay)
                           .add(name, "transference_number", row["t+ [1]"], "1", lay)
                           .add_si(name, "c_Li+", row["c_Li+ [mol m-3]"], "mol m-3", lay)
                           .add_si(name, "c_A-_immobilised", row["c_A- immobilised [mol m-3]"],
                                   "mol m-3", lay)
                           .add_si(name, "D_Li+", row["D_Li+ [m2 s-1]"], "m2/s", lay))


def sources(data) -> dict:
    """Where every driving and model parameter comes from (run.json)."""
    fc = data["full_cell"]
    out = {
        "temperature [K]": (data["temperature"], "assumption: the SI cycles its LFP cells at "
                            "60 degC; one temperature for every layer"),
        "width [m]": (data["width"], "paper (100 x 20 um and 20 x 5.6 um domains)"
                      if data["comparison"] != "full_cell" else "assumption (2D strip)"),
        "layer thicknesses": ("see electrolytes", "paper for the totals (20 um, 5.6 um, 12.6 um); "
                              "the split into layers is an assumption (case file)"),
        "voltage [V]": (data["voltage"], "paper: 'overpotential difference ... 0.01 V'"),
        "flux [mol m-2 s-1]": (data["flux"], "paper: 'Li+ flux on the boundary ... 0.01'"),
        "exchange_current [A m-2]": (data["exchange_current"], "assumption: reversible Li "
                                     "electrodes for the 0.01 V reading (no kinetics in the paper)"),
        "host_transference t0 [1]": (data["host_transference"], "t+ of PEO/LiTFSI (library, "
                                     "literature): the 'normal' anion diffusivity"),
        "salt_concentration [mol m-3]": (data["salt_concentration"], "literature (EO:Li ~ 20), "
                                         "see `ntransport materials PEO/LiTFSI`"),
        "anion split": ("free/immobilised by t+", "assumption: free anions keep D- = D+(1-t0)/t0"),
        "depletion_fraction [1]": (data["depletion_fraction"], "definition of 'depleted' (choice)"),
        "permittivity": ("per material", "typical literature values (material notes)"),
    }
    if fc is not None:
        out["full_cell"] = {
            "c_rate [1]": (fc["c_rate"], "paper: cycling at 0.5 C and 60 degC (Figs. S30-S31)"),
            "one_c_current [A m-2]": (fc["one_c_current"], "paper's loading 2.0 mg/cm2 x 170 "
                                      "mAh/g (LiFePO4 theoretical capacity)"),
            "cathode_potential [V]": (fc["cathode_potential"], "literature: LiFePO4 plateau "
                                      "(Padhi et al., J. Electrochem. Soc. 144, 1188 (1997))"),
            "i0_anode [A m-2]": (fc["i0_anode"], "assumption (~30 ohm cm2 charge transfer)"),
            "i0_cathode [A m-2]": (fc["i0_cathode"], "assumption"),
        }
    return out
