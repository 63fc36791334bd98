"""Tidy tables: the study summary (one row per case, quantity, region) and data tables
(profiles, histories, sweeps) whose column headers carry their units.

:class:`SummaryTable` is immutable; ``+`` concatenates. Its CSV columns are
``case, quantity, region, value, unit`` in the units researchers quote (mS/cm, Ω cm²,
mA/cm², µm, h, V): :meth:`SummaryTable.add_si` converts an SI value once, with
:func:`display_unit`. Values are written with 10 significant digits (no float noise such
as ``9.999999999999999e-05``).

:class:`DataTable` holds columns named ``"name [unit]"`` (one convention for every CSV
ntransport writes) plus optional text columns (``case``, ``region``).
"""
from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Row", "SummaryTable", "DataTable", "display_unit", "format_value"]

COLUMNS = ("case", "quantity", "region", "value", "unit")

#: SI unit -> (unit researchers quote, factor from SI)
_DISPLAY = {
    "S/m": ("mS/cm", 10.0),
    "S m-1": ("mS/cm", 10.0),
    "ohm m2": ("Ω cm²", 1e4),
    "ohm m^2": ("Ω cm²", 1e4),
    "A/m2": ("mA/cm²", 0.1),
    "A m-2": ("mA/cm²", 0.1),
    "m": ("µm", 1e6),
    "mol m-3": ("mol/L", 1e-3),
    "m2/s": ("cm²/s", 1e4),
    "m2 s-1": ("cm²/s", 1e4),
    "J/mol": ("eV", 1.0 / 96485.33212),
    "C m-2": ("mAh/cm²", 1.0 / 36000.0),
}


def display_unit(si_unit: str) -> tuple[str, float]:
    """``(unit, factor)`` to quote an SI value in; unknown units are kept as they are."""
    return _DISPLAY.get(si_unit, (si_unit, 1.0))


def format_value(v: float) -> str:
    """10 significant digits, shortest form: ``1e-05`` rather than ``9.999999999999999e-06``."""
    return f"{float(v):.10g}"


@dataclass(frozen=True)
class Row:
    """One tidy value: *quantity* of *region* in *case*, in *unit*."""

    case: str
    quantity: str
    value: float
    unit: str
    region: str = ""


@dataclass(frozen=True)
class SummaryTable:
    """An immutable list of :class:`Row`; every row has a finite value and a unit."""

    rows: tuple[Row, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "rows", tuple(self.rows))
        for r in self.rows:
            if isinstance(r.value, bool) or not isinstance(r.value, (int, float)) \
                    or not math.isfinite(r.value):
                raise ValueError(f"non-finite or non-numeric value in summary row {r}: a "
                                 "study must report a quantity it cannot compute as a note, "
                                 "not as NaN.")
            if not isinstance(r.unit, str) or not r.unit:
                raise ValueError(f"summary row {r} has no unit; use '1' for a dimensionless "
                                 "number.")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __add__(self, other: "SummaryTable") -> "SummaryTable":
        return SummaryTable(self.rows + tuple(other.rows))

    def add(self, case, quantity, value, unit, region="") -> "SummaryTable":
        """A new table with one more row (value taken as given, in *unit*)."""
        return SummaryTable(self.rows + (Row(str(case), str(quantity), float(value), str(unit),
                                             str(region)),))

    def add_si(self, case, quantity, value, si_unit, region="") -> "SummaryTable":
        """A new table with one more row, converted from *si_unit* to the quoted unit."""
        unit, f = display_unit(si_unit)
        return self.add(case, quantity, float(value) * f, unit, region)

    def select(self, *, case=None, quantity=None, region=None) -> "SummaryTable":
        """Rows matching every given field."""
        keep = [r for r in self.rows
                if (case is None or r.case == case)
                and (quantity is None or r.quantity == quantity)
                and (region is None or r.region == region)]
        return SummaryTable(keep)

    def row(self, case: str, quantity: str, region: str = "") -> Row:
        hits = self.select(case=case, quantity=quantity, region=region).rows
        if len(hits) != 1:
            have = sorted({(r.case, r.quantity, r.region) for r in self.rows})
            raise KeyError(f"{len(hits)} rows for {(case, quantity, region)}; have {have}")
        return hits[0]

    def value(self, case: str, quantity: str, region: str = "") -> float:
        """The single value of (*case*, *quantity*, *region*) in its table unit."""
        return self.row(case, quantity, region).value

    def to_csv(self, path) -> Path:
        """Write the table as CSV; return the path."""
        p = Path(path)
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for r in self.rows:
                w.writerow([r.case, r.quantity, r.region, format_value(r.value), r.unit])
        return p

    @classmethod
    def from_csv(cls, path) -> "SummaryTable":
        with Path(path).open(newline="", encoding="utf-8") as fh:
            rd = csv.DictReader(fh)
            return cls([Row(d["case"], d["quantity"], float(d["value"]), d["unit"], d["region"])
                        for d in rd])

    def to_markdown(self, *, quantities: Iterable[str] | None = None) -> str:
        """A Markdown table (4 significant digits) for logs and READMEs."""
        rows = [r for r in self.rows if quantities is None or r.quantity in set(quantities)]
        out = ["| case | quantity | region | value | unit |", "|---|---|---|---:|---|"]
        out += [f"| {r.case} | {r.quantity} | {r.region} | {r.value:.4g} | {r.unit} |"
                for r in rows]
        return "\n".join(out)

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame([r.__dict__ for r in self.rows], columns=list(COLUMNS))


@dataclass(frozen=True)
class DataTable:
    """Columns of equal length; numeric columns are named ``"name [unit]"``.

    >>> DataTable({"case": ["PEO"] * 3, "x [µm]": [0, 1, 2], "phi [V]": [0, .1, .2]})  # doctest: +SKIP
    """

    columns: Mapping

    def __post_init__(self):
        from ..solution import check_finite, split_key

        cols, n = {}, None
        for k, v in dict(self.columns).items():
            a = np.asarray(v)
            if a.ndim != 1:
                raise ValueError(f"DataTable column {k!r} must be 1D, got shape {a.shape}.")
            if n is not None and a.size != n:
                raise ValueError(f"DataTable column {k!r} has {a.size} values, others {n}.")
            n = a.size
            if a.dtype.kind in "fiu":
                split_key(k)
                a = check_finite(k, a, where="table column ")
            cols[k] = a
        object.__setattr__(self, "columns", cols)

    def __len__(self):
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, key):
        return self.columns[key]

    def to_csv(self, path) -> Path:
        p = Path(path)
        keys = list(self.columns)
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(keys)
            for i in range(len(self)):
                w.writerow([format_value(self.columns[k][i]) if self.columns[k].dtype.kind in "fiu"
                            else str(self.columns[k][i]) for k in keys])
        return p

    @classmethod
    def concat(cls, tables: Iterable["DataTable"]) -> "DataTable":
        tables = list(tables)
        keys = list(tables[0].columns)
        return cls({k: np.concatenate([t.columns[k] for t in tables]) for k in keys})
