"""Material library: electrolyte phases (`Material`), solids (`Solid`), cited sets.

>>> from ntransport import materials
>>> round(materials.get("PVH-in-SiO2").conductivity(), 6)   # S/m at 25 degC
0.132
>>> materials.get("pvh-in-sio")                          # doctest: +SKIP
MaterialError: material 'pvh-in-sio' not found. Did you mean 'PVH-in-SiO2'?
"""
from . import library
from .library import LLZTO_PMA_INTERFACIAL_SHARE, peo_stack, plm_stack
from .material import Material, Solid, available, ev_to_j_per_mol, get, register

__all__ = [
    "Material",
    "Solid",
    "available",
    "ev_to_j_per_mol",
    "get",
    "register",
    "library",
    "plm_stack",
    "peo_stack",
    "LLZTO_PMA_INTERFACIAL_SHARE",
]
