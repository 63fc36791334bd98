"""`StudyResult`: what every study's ``run(case)`` returns, and what every run writes.

A study returns its solutions, a tidy summary table, figures, data tables (profiles,
histories, sweeps), animations, the parameters it resolved (each with its source) and
notes (assumptions, findings). :meth:`StudyResult.save` writes the one artifact set every
study kind produces, through :mod:`ntransport.io.artifacts`:

* ``summary.csv`` -- ``case, quantity, region, value, unit`` in quoted units;
* one PNG per figure (a matplotlib figure, or one rendered already:
  :class:`ntransport.io.style.PNG`), one GIF per animation;
* one CSV per data table (headers ``name [unit]``);
* one file per entry of ``files`` (name with its extension -> bytes: e.g. the TIFF stack
  a study made), written as given;
* one ``.vtu`` per steady solution, one ``.pvd`` time series per transient solution;
* ``run.json`` (written by the runner: inputs, parameters, versions, wall time) and
  ``run.log``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ResultError
from ..io.tables import DataTable, SummaryTable

__all__ = ["StudyResult"]


@dataclass
class StudyResult:
    """The outcome of one study run (see the module docstring)."""

    name: str
    summary: SummaryTable
    solutions: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    animations: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    files: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.summary, SummaryTable):
            raise ResultError(f"StudyResult.summary must be a SummaryTable, got "
                              f"{type(self.summary).__name__}.")
        for k, t in self.tables.items():
            if not isinstance(t, DataTable):
                raise ResultError(f"StudyResult.tables[{k!r}] must be a DataTable.")
        for k, v in self.files.items():
            if not isinstance(v, (bytes, bytearray)):
                raise ResultError(f"StudyResult.files[{k!r}] must be bytes, got "
                                  f"{type(v).__name__}.")
        for k in (*self.figures, *self.tables, *self.solutions, *self.animations, *self.files):
            from ..io.artifacts import check_name

            check_name(k, what="StudyResult artifact name")

    def __repr__(self):
        return (f"StudyResult({self.name!r}: {len(self.summary)} summary rows, "
                f"{len(self.solutions)} solution(s), figures {sorted(self.figures)}, "
                f"tables {sorted(self.tables)})")

    def value(self, case: str, quantity: str, region: str = "") -> float:
        return self.summary.value(case, quantity, region)

    def save(self, folder, *, length_unit: str = "m") -> list[Path]:
        """Write the artifact set into *folder* (see the module docstring); returns the
        written paths. Figures are closed after saving."""
        from ..io.artifacts import write_result

        return write_result(self, folder, length_unit=length_unit)

    def show(self):
        """Display the figures inline (notebooks)."""
        try:
            from IPython.display import Image, display
        except ImportError:  # pragma: no cover
            return
        import io

        from ..io.style import PNG

        for fig in self.figures.values():
            if isinstance(fig, PNG):  # rendered already
                display(Image(bytes(fig)))
                continue
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
            display(Image(buf.getvalue()))


def merge(name: str, results: Mapping[str, StudyResult]) -> StudyResult:
    """One result from several (prefixing artifact names with the sub-study key)."""
    out = StudyResult(name, SummaryTable())
    for key, r in results.items():
        out.summary = out.summary + r.summary
        for attr in ("solutions", "figures", "tables", "animations", "files"):
            for k, v in getattr(r, attr).items():
                getattr(out, attr)[f"{key}_{k}"] = v
        out.parameters.update({f"{key}.{k}": v for k, v in r.parameters.items()})
        out.notes.extend(r.notes)
    return out
