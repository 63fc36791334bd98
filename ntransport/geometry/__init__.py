"""Geometry: gmsh builders and mesh readers that return named `Domain` objects.

gmsh and pygmsh (GPL) are imported only inside this subpackage, inside functions.
"""
from .domain import Domain, interface_name
from .gmsh_io import from_gmsh, gmsh_session, read_mesh

__all__ = ["Domain", "interface_name", "from_gmsh", "gmsh_session", "read_mesh"]
