"""Study kinds run from YAML case files (``ntransport run CASE.yaml``).

Each kind registers a strict schema and a runner with
:func:`~ntransport.studies.registry.register_study`; see that module to add one.
"""
from .registry import Case, StudyKind, get_study, load_case, register_study, run_case, study_kinds

__all__ = ["Case", "StudyKind", "get_study", "load_case", "register_study", "run_case",
           "study_kinds"]
