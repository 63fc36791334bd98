"""Geometry: gmsh builders and mesh readers that return named `Domain` objects.

gmsh and pygmsh (GPL) are imported only inside this subpackage, inside functions.
"""
from .composite import particle_composite
from .defect import defect_profile, electrode_with_defect, electrolyte_above_curve
from .domain import Domain, interface_name
from .filaments import aligned_filaments
from .gmsh_io import from_gmsh, gmsh_session, read_mesh
from .host_guest import ceramic_in_polymer, host_guest, polymer_in_ceramic
from .layers import layered_stack
from .placement import Particles, place_particles
from .split import split_elements
from .structured import graded_points, layered_rectangle, strip

__all__ = [
    "Domain", "interface_name", "from_gmsh", "gmsh_session", "read_mesh",
    "layered_stack", "particle_composite", "ceramic_in_polymer", "polymer_in_ceramic",
    "host_guest", "aligned_filaments", "electrode_with_defect", "electrolyte_above_curve",
    "defect_profile", "place_particles", "Particles", "strip", "layered_rectangle",
    "graded_points", "split_elements",
]
