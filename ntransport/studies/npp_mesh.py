"""Moved: the structured meshes live in :mod:`ntransport.geometry.structured`.

This module only re-exports them for code written against the old location
(``from ntransport.studies.npp_mesh import strip``); import from
``ntransport.geometry.structured`` instead.
"""
from ..geometry.structured import graded_points, layered_rectangle, strip

__all__ = ["graded_points", "layered_rectangle", "strip"]
