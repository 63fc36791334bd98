"""Weak forms, one physical term per function. Never imports gmsh, meshio or pyvista."""
