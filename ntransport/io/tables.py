"""Tidy summary tables: one row per (case, quantity, region) with its unit.

A :class:`SummaryTable` is immutable; ``+`` concatenates. CSV columns are
``case, quantity, region, value, unit`` (``region`` empty for whole-domain values), so a
spreadsheet or ``pandas.read_csv`` pivots it directly.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Row", "SummaryTable"]

COLUMNS = ("case", "quantity", "region", "value", "unit")


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
    """An immutable list of :class:`Row`."""

    rows: tuple[Row, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "rows", tuple(self.rows))
        for r in self.rows:
            if not isinstance(r.value, (int, float)) or not math.isfinite(r.value):
                raise ValueError(f"non-finite value in summary row {r}.")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __add__(self, other: "SummaryTable") -> "SummaryTable":
        return SummaryTable(self.rows + tuple(other.rows))

    def add(self, case, quantity, value, unit, region="") -> "SummaryTable":
        """A new table with one more row."""
        return SummaryTable(self.rows + (Row(case, quantity, float(value), unit, region),))

    def select(self, *, case=None, quantity=None, region=None) -> "SummaryTable":
        """Rows matching every given field."""
        keep = [r for r in self.rows
                if (case is None or r.case == case)
                and (quantity is None or r.quantity == quantity)
                and (region is None or r.region == region)]
        return SummaryTable(keep)

    def value(self, case: str, quantity: str, region: str = "") -> float:
        """The single value of (*case*, *quantity*, *region*); KeyError if absent."""
        hits = self.select(case=case, quantity=quantity, region=region).rows
        if len(hits) != 1:
            have = sorted({(r.case, r.quantity) for r in self.rows})
            raise KeyError(f"{len(hits)} rows for {(case, quantity, region)}; have {have}")
        return hits[0].value

    def to_csv(self, path) -> Path:
        """Write the table as CSV (full float precision); return the path."""
        p = Path(path)
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for r in self.rows:
                w.writerow([r.case, r.quantity, r.region, repr(float(r.value)), r.unit])
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
