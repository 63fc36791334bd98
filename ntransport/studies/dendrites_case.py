"""The "dendrites" study kind: `ntransport check/run` for the phase-field skeleton study.

Case file (``geometries/dendrite_skeleton.yaml``): ``study: dendrites`` plus the fields
of :class:`ntransport.studies.dendrites.DendriteCase` (lengths in um, times in s,
potential in V — the units of the normalised MOOSE parameter set). With ``CI`` set in
the environment the case's :meth:`~DendriteCase.reduced` version runs.

The physics lives in :mod:`ntransport.studies.dendrites`; this module only declares the
schema (derived from the dataclass, so the two cannot drift apart) and the runner, which
writes ``summary.csv``, ``dendrite_maps.png``, ``dendrite_histories.png``,
``dendrites.gif`` and one PVD series per case.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import typing

from ..config import Section, Value
from ..io.tables import SummaryTable
from .registry import register_study

__all__ = ["SCHEMA", "run"]

log = logging.getLogger(__name__)

_PLAIN = {float: float, int: int, str: str, bool: bool}


def _schema() -> Section:
    from .dendrites import DendriteCase

    hints = typing.get_type_hints(DendriteCase)
    fields = {}
    for f in dataclasses.fields(DendriteCase):
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        base = hint if hint in _PLAIN else (args[0] if len(args) == 1 else None)
        if base not in _PLAIN:
            continue  # structured options (mechanics) are set via load_case or Python
        fields[f.name] = Value(base, default=f.default, doc=f"DendriteCase.{f.name}")
    return Section(fields)


SCHEMA = _schema()


@register_study("dendrites", schema=SCHEMA,
                doc="phase-field Li dendrites: PEO vs PEO with a PE skeleton")
def run(case, out_dir, *, progress=None):
    """Run both cases (PEO, PEO + PE) and write figures, PVD series and a summary table."""
    from ..post.phasefield_figures import animate, plot_histories, plot_maps, write_pvd
    from .dendrites import DendriteCase, run_study

    dc = DendriteCase(**dict(case.data))
    if os.environ.get("CI"):
        log.info("CI is set: running the reduced case")
        dc = dc.reduced()
    results = run_study(dc)
    runs = list(results.values())
    plot_maps(runs, out_dir / "dendrite_maps.png")
    plot_histories(runs, out_dir / "dendrite_histories.png")
    animate(runs, out_dir / "dendrites.gif")
    table = SummaryTable()
    for key, r in results.items():
        write_pvd(r, out_dir / f"{key.replace('+', '_')}.pvd")
        s = r.summary()
        for quantity, value, unit in (
                ("final_length", s["final_length_um"] * 1e-6, "m"),
                ("deposited_area_per_depth", s["deposited_area_um2"] * 1e-12, "m2"),
                ("mean_tip_velocity", s["mean_tip_velocity_um_per_s"] * 1e-6, "m/s"),
                ("final_time", s["final_time"], "s"),
                ("steps", s["steps"], "1")):
            table = table.add(key, quantity, value, unit)
    table.to_csv(out_dir / "summary.csv")
    return table
