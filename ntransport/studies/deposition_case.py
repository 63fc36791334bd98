"""The "deposition_defect" study kind: `ntransport check/run` for the Li-deposition study.

Case file (``geometries/deposition_defect.yaml``)::

    study: deposition_defect
    width: 5 um
    height: 3 um
    defect_height: 0.5 um
    defect_width: 0.5 um
    temperature: 318 K
    current_density: 0.3 mA/cm^2        # plating
    exchange_current_density: 1 mA/cm^2
    duration: 2 h
    electrolytes: [LPC, LPC@2%UCPBA]
    h_anode: 0.05 um
    h_max: 0.3 um
    snapshots: [2 min, 40 min, 80 min, 2 h]
    reduced:                            # used when the environment variable CI is set
      h_anode: 0.1 um

The physics lives in :mod:`ntransport.studies.deposition` (H8's facade over
:func:`ntransport.solve.deposition.deposit`); this module only declares the schema (so
unknown keys and wrong units fail at ``ntransport check``) and the runner, which writes
``summary.csv``, ``history_<electrolyte>.csv`` and ``<electrolyte>_final.vtu`` into the
output directory and returns the summary (defect height, tip/flat current ratio, mean
advance and its Faraday balance, wall time) per electrolyte.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ..config import ListOf, MapOf, Quantity, Section, Value
from ..io.tables import Row, SummaryTable
from .registry import register_study

__all__ = ["SCHEMA", "run"]

log = logging.getLogger(__name__)


def _fields(optional: bool) -> dict:
    """The case keys; with *optional* every default is None (the ``reduced:`` block)."""
    def q(kind, default=None, **kw):
        return Quantity(kind, default=None if optional else default, **kw)

    def v(t, default=None, **kw):
        return Value(t, default=None if optional else default, **kw)

    from ..config import REQUIRED

    R = REQUIRED
    return {
        "width": q("length", R, positive=True),
        "height": q("length", R, positive=True),
        "defect_height": q("length", R, nonnegative=True),
        "defect_width": q("length", R, positive=True),
        "defect_shape": v(str, "ellipse", choices=("ellipse", "cosine")),
        "temperature": q("temperature", R, positive=True),
        "current_density": q("current_density", R, positive=True,
                             doc="plating current density at the Li electrode"),
        "exchange_current_density": q("current_density", R, positive=True),
        "alpha_a": v(float, 0.5),
        "alpha_c": v(float, 0.5),
        "duration": q("time", R, positive=True),
        "electrolytes": ListOf(Value(str), default=None if optional else R, min_len=1),
        "follow_front": v(bool, True),
        "h_anode": q("length", R, positive=True),
        "h_max": q("length", R, positive=True),
        "snapshots": ListOf(Quantity("time", nonnegative=True),
                            default=None if optional else R),
        "frames": v(int, 25),
        "li_thickness": q("length", 20e-6, positive=True),
        "cfl": v(float, 0.3),
        "dt_max": q("time", 120.0, positive=True),
        "electrolyte_overrides": MapOf(Section({
            "conductivity": Quantity("conductivity", default=None, positive=True),
            "transference": Value(float, default=None),
            "c_ref": Quantity("concentration", default=None, positive=True),
        }), default=None if optional else {}),
    }


SCHEMA = Section({
    **_fields(False),
    "citation": Value(str, default=""),
    "notes": Value(str, default=""),
    "reduced": Section(_fields(True), default=None,
                       doc="overrides used when the environment variable CI is set"),
})


def _deposition_case(data: dict, *, reduced: bool):
    """Validated SI data -> :class:`ntransport.studies.deposition.DepositionCase`."""
    from .deposition import DepositionCase

    d = {k: v for k, v in data.items() if k not in ("citation", "notes", "reduced")}
    if reduced and data.get("reduced"):
        d.update({k: v for k, v in data["reduced"].items() if v is not None})
    d["snapshots"] = tuple(d["snapshots"])
    d["electrolytes"] = tuple(d["electrolytes"])
    d["electrolyte_overrides"] = {
        name: {k: v for k, v in ov.items() if v is not None}
        for name, ov in (d.get("electrolyte_overrides") or {}).items()}
    return DepositionCase(**d)


@register_study("deposition_defect", schema=SCHEMA,
                doc="Li deposition from an electrode defect (moving boundary, ALE)")
def run(case, out_dir, *, progress=None):
    """Runner of the ``deposition_defect`` kind; with ``CI`` set, the ``reduced:`` block."""
    from ..errors import ConfigError
    from .deposition import run_case

    data = dict(case.data if hasattr(case, "data") else case)
    reduced = bool(os.environ.get("CI"))
    if reduced:
        log.info("CI is set: using the case's reduced block")
    dc = _deposition_case(data, reduced=reduced)
    from .. import materials

    known = materials.available()
    for name in dc.electrolytes:
        if name not in known:
            from ..errors import suggest

            raise ConfigError(f"electrolytes: unknown material {name!r}.{suggest(name, known)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    n = len(dc.electrolytes)
    for k, name in enumerate(dc.electrolytes):
        if progress:
            progress(k, n, f"deposition: {name}")
        r = run_case(dc, name)
        _write_history(out / f"history_{_tag(name)}.csv", r.history)
        _write_final(out / f"{_tag(name)}_final.vtu", r)
        rows += _rows(name, r.summary())
    if progress:
        progress(n, n, "done")
    table = SummaryTable(rows)
    table.to_csv(out / "summary.csv")
    return table


_UNITS = {"wall_time_s": "s", "steps": "1", "remeshes": "1", "defect_height_um_start": "um",
          "defect_height_um_end": "um", "mean_advance_um": "um",
          "tip_to_flat_current_ratio_end": "1", "c_min_over_c_ref": "1",
          "volume_balance_rel_error": "1", "faraday_shift_rel": "1"}


def _rows(name, summary: dict) -> list[Row]:
    return [Row(name, k, float(v), _UNITS.get(k, ""))
            for k, v in summary.items() if k != "electrolyte"]


def _tag(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)


def _write_history(path: Path, hist: dict) -> None:
    keys = list(hist)
    arr = np.column_stack([np.asarray(hist[k], float) for k in keys])
    np.savetxt(path, arr, delimiter=",", header=",".join(keys), comments="")


def _write_final(path: Path, run) -> None:
    from ..io.vtk import write_vtu

    t = max(run.snapshots)
    s = run.snapshots[t]
    write_vtu(path, s.domain, point_data={"c [mol m-3]": np.asarray(s.c),
                                          "phi [V]": np.asarray(s.phi)})
