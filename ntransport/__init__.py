"""ntransport: finite-element ion transport in solid-state battery electrolytes.

The flat API below is curated; each name lives in one small module and is imported on
first use (PEP 562), so ``import ntransport`` stays light and never loads gmsh,
pyvista or dask until a function needs them.

Examples
--------
>>> import ntransport as nt                                             # doctest: +SKIP
>>> stack = nt.layered_stack([("LLZO", 2e-6), ("PEO", 18e-6)], width=20e-6)  # doctest: +SKIP
>>> sol = nt.solve_conduction(stack, {"LLZO": 0.1, "PEO": 0.01}, voltage=0.1)  # doctest: +SKIP
>>> sol.effective_conductivity                                          # doctest: +SKIP
"""
from importlib import import_module

from . import constants
from .errors import (
    ConfigError,
    ConvergenceError,
    GeometryError,
    ResultError,
    SecurityError,
    MaterialError,
    MeshError,
    NtransportError,
)

__version__ = "0.1.0"

# public name -> (module, attribute)
_LAZY = {
    # subpackages (nt.geometry.layered_stack, nt.io.style, ...)
    "geometry": ("ntransport.geometry", None),
    "physics": ("ntransport.physics", None),
    "solve": ("ntransport.solve", None),
    "post": ("ntransport.post", None),
    "io": ("ntransport.io", None),
    # results and studies
    "Solution": ("ntransport.solution", "Solution"),
    "Frame": ("ntransport.solution", "Frame"),
    "StudyResult": ("ntransport.studies.result", "StudyResult"),
    "load_case": ("ntransport.studies.registry", "load_case"),
    "run_case": ("ntransport.studies.registry", "run_case"),
    "run_study": ("ntransport.studies.registry", "run_study"),
    # geometry and meshes
    "Domain": ("ntransport.geometry.domain", "Domain"),
    "read_mesh": ("ntransport.geometry.gmsh_io", "read_mesh"),
    "from_gmsh": ("ntransport.geometry.gmsh_io", "from_gmsh"),
    "layered_stack": ("ntransport.geometry.layers", "layered_stack"),
    "particle_composite": ("ntransport.geometry.composite", "particle_composite"),
    "ceramic_in_polymer": ("ntransport.geometry.host_guest", "ceramic_in_polymer"),
    "polymer_in_ceramic": ("ntransport.geometry.host_guest", "polymer_in_ceramic"),
    "host_guest": ("ntransport.geometry.host_guest", "host_guest"),
    "aligned_filaments": ("ntransport.geometry.filaments", "aligned_filaments"),
    "electrode_with_defect": ("ntransport.geometry.defect", "electrode_with_defect"),
    "electrolyte_above_curve": ("ntransport.geometry.defect", "electrolyte_above_curve"),
    "split_elements": ("ntransport.geometry.split", "split_elements"),
    "BoundaryLayer": ("ntransport.geometry.refinement", "BoundaryLayer"),
    "LimitError": ("ntransport.geometry.guards", "LimitError"),
    # materials
    "materials": ("ntransport.materials", None),
    "Material": ("ntransport.materials", "Material"),
    # steady conduction
    "solve_conduction": ("ntransport.solve.conduction", "solve_conduction"),
    "ConductionResult": ("ntransport.solve.conduction", "ConductionResult"),
    # electrochemical transport (Nernst-Planck-Poisson)
    "kinetics": ("ntransport.physics.kinetics", None),
    "Species": ("ntransport.physics.species", "Species"),
    "binary_salt": ("ntransport.physics.species", "binary_salt"),
    "split_anions": ("ntransport.physics.species", "split_anions"),
    "FixedPotential": ("ntransport.physics.electrode", "FixedPotential"),
    "FixedConcentration": ("ntransport.physics.electrode", "FixedConcentration"),
    "Flux": ("ntransport.physics.electrode", "Flux"),
    "Blocking": ("ntransport.physics.electrode", "Blocking"),
    "Electrode": ("ntransport.physics.electrode", "Electrode"),
    "Galvanostatic": ("ntransport.physics.electrode", "Galvanostatic"),
    "debye_length": ("ntransport.physics.scaling", "debye_length"),
    "debye_boundary_layer": ("ntransport.physics.debye", "debye_boundary_layer"),
    "NPPProblem": ("ntransport.solve.npp_problem", "NPPProblem"),
    "run_npp": ("ntransport.solve.npp", "run"),
    "solve_npp": ("ntransport.solve.npp", "solve"),
    "strip": ("ntransport.geometry.structured", "strip"),
    "layered_rectangle": ("ntransport.geometry.structured", "layered_rectangle"),
    "transport_fields": ("ntransport.post.transport", "transport_fields"),
    "line_profile": ("ntransport.post.transport", "line_profile"),
    "save_checkpoint": ("ntransport.solve.checkpoint", "save_checkpoint"),
    "load_checkpoint": ("ntransport.solve.checkpoint", "load_checkpoint"),
    # moving-interface deposition
    "electrolyte_species": ("ntransport.solve.deposition_problem", "electrolyte_species"),
    "solve_deposition": ("ntransport.solve.deposition", "solve"),
    "DepositionProblem": ("ntransport.solve.deposition", "DepositionProblem"),
    "deposit": ("ntransport.solve.deposition", "deposit"),
    # phase-field dendrites
    "PhaseFieldProblem": ("ntransport.solve.phasefield", "PhaseFieldProblem"),
    "run_phasefield": ("ntransport.solve.phasefield", "run"),
    "solve_phasefield": ("ntransport.solve.phasefield_solution", "solve"),
    "simulate_phasefield": ("ntransport.solve.phasefield", "simulate"),
    "phasefield_parameters": ("ntransport.physics.phasefield_params", "moose_normalised_parameters"),
    # Li inventory cells
    "LiCell": ("ntransport.solve.cell_cycling", "LiCell"),
    "run_cycling": ("ntransport.solve.cell_cycling", "run_cycling"),
    # segmented images: tortuosity, conductivity tensor, interphases
    "image": ("ntransport.image", None),
    "read_image": ("ntransport.image", "read_image"),
    "add_interphase": ("ntransport.image", "add_interphase"),
    "image_conductivity": ("ntransport.image", "image_conductivity"),
    "image_domain": ("ntransport.image", "image_domain"),
    "solve_voxels": ("ntransport.image", "solve_voxels"),
    # composites, percolation, sweeps
    "percolation": ("ntransport.percolation", None),
    "sweep": ("ntransport.sweep", "sweep"),
    # output
    "write_vtu": ("ntransport.io.vtk", "write_vtu"),
    "PVDWriter": ("ntransport.io.vtk", "PVDWriter"),
    "style": ("ntransport.io.style", None),
    "studies": ("ntransport.studies", None),
}

__all__ = [
    "constants",
    "NtransportError",
    "GeometryError",
    "MeshError",
    "MaterialError",
    "ConfigError",
    "ConvergenceError",
    "ResultError",
    "SecurityError",
    *_LAZY,
]


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ntransport' has no attribute {name!r}") from None
    obj = import_module(module)
    value = obj if attr is None else getattr(obj, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
