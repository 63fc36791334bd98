"""ntransport: finite-element ion transport in solid-state battery electrolytes."""
from . import constants
from .errors import (
    ConfigError,
    ConvergenceError,
    GeometryError,
    MaterialError,
    MeshError,
    NtransportError,
)
from .geometry import Domain, from_gmsh, read_mesh

__version__ = "0.1.0"

__all__ = [
    "constants",
    "Domain",
    "from_gmsh",
    "read_mesh",
    "NtransportError",
    "GeometryError",
    "MeshError",
    "MaterialError",
    "ConfigError",
    "ConvergenceError",
]
