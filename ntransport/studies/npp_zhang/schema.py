"""The case-file schema of the ``npp_zhang`` study and the names it uses throughout.

``comparison`` picks one of :data:`COMPARISONS`; ``electrolytes`` maps a name to its layers
from the cathode (bottom) up; ``readings`` picks the driving conditions of
:data:`READINGS` (see the package docstring for both readings).
"""
from __future__ import annotations

from ...config import ListOf, MapOf, Quantity, Section, Value
from ..conduction_case import MATERIAL

__all__ = ["SCHEMA", "LAYER", "COMPARISONS", "READINGS", "LI", "FREE", "FIXED"]

COMPARISONS = ("peo_vs_peomof", "peo_vs_plm", "full_cell")
READINGS = ("voltage", "flux")
#: species names: Li+, the free anions and the immobilised anions (a fixed charge)
LI, FREE, FIXED = "Li+", "A-", "A- immobilised"

LAYER = Section({"name": Value(str), "thickness": Quantity("length", positive=True),
                 "material": MATERIAL})

SCHEMA = Section({
    "comparison": Value(str, choices=COMPARISONS),
    "title": Value(str, default=""),
    "temperature": Quantity("temperature", positive=True,
                            doc="one temperature for every layer (e.g. 60 degC)"),
    "host_transference": Value(float, default=0.22, doc="t0 of the host (PEO/LiTFSI)"),
    "salt_concentration": Quantity("concentration", default=1000.0, positive=True),
    "concentrations": Value(str, default="donnan", choices=("salt", "donnan")),
    "width": Quantity("length", positive=True),
    "electrolytes": MapOf(ListOf(LAYER, min_len=1), min_len=1,
                          doc="name -> layers from the cathode (bottom) up"),
    "readings": ListOf(Value(str, choices=READINGS), default=list(READINGS)),
    "voltage": Quantity("voltage", default=0.01, positive=True),
    "flux": Value(float, default=0.01, doc="Li+ flux [mol m-2 s-1]"),
    "exchange_current": Quantity("current_density", default=1e4, positive=True,
                                 doc="i0 of both Li electrodes, reading 'voltage'"),
    "depletion_fraction": Value(float, default=0.01),
    "steady_tolerance": Value(float, default=1e-6),
    "flux_frames": ListOf(Value(float), default=[0.1, 0.3, 0.6, 0.9],
                          doc="frame times of the flux reading, in Sand times of the host"),
    "max_step": Quantity("time", default=None, positive=True),
    "poisson": Section({"electrolyte": Value(str),
                        "debye_resolution": Value(float, default=4.0, positive=True)}, default=None),
    "full_cell": Section({
        "c_rate": Value(float),
        "one_c_current": Quantity("current_density", positive=True),
        "cathode_potential": Quantity("voltage", doc="LFP equilibrium potential vs Li"),
        "i0_anode": Quantity("current_density", positive=True),
        "i0_cathode": Quantity("current_density", positive=True),
    }, default=None),
    "mesh": Section({"nx": Value(int, default=10),
                     "elements_across": Value(int, default=60),
                     "h0": Quantity("length", default=5e-9, positive=True),
                     "growth": Value(float, default=1.2)}, default={}),
})
