"""The output folder of a run and the artifact set every study writes.

:func:`write_result` writes a :class:`~ntransport.studies.result.StudyResult`:
``summary.csv``, PNGs, GIFs, data CSVs, VTU (steady) or PVD (transient) per solution.
:class:`RunFolder` makes a run's folder trustworthy:

* every path a run writes is inside ``out`` (names are checked by :func:`check_name`);
* results are written into ``out/.partial/`` and moved into place only when the run
  succeeds -- a failed or killed run leaves ``run.log`` (with the error) and its
  checkpoints, nothing that looks complete;
* results of an earlier run in the same folder (listed in ``out/.ntransport-manifest``)
  are removed when a new run starts, so a failed rerun never leaves stale tables;
* ``run.json`` records the inputs, the resolved parameters with their sources, the
  package versions, the git revision (if any) and the wall time.
"""
from __future__ import annotations

import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..errors import ConfigError, SecurityError

__all__ = ["check_name", "slug", "write_result", "RunFolder", "run_info", "write_json"]

log = logging.getLogger(__name__)

_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+@=-]{0,119}$")
MANIFEST = ".ntransport-manifest"
PARTIAL = ".partial"
CHECKPOINTS = ".checkpoints"


def check_name(name, *, what: str = "name") -> str:
    """Return *name* if it is safe as a file name: letters, digits and ``_ . + @ = -``,
    not starting with a dot, no path separators, no ``..``, at most 120 characters."""
    s = str(name)
    if not _SAFE.match(s) or ".." in s:
        raise SecurityError(
            f"{what} {s!r} cannot be used as a file name: use letters, digits and "
            "'_ . + @ = -' only (no '/', '\\', '..', spaces or a leading dot), at most 120 "
            f"characters -- e.g. {slug(s)!r}.")
    return s


def slug(name) -> str:
    """A safe file name derived from *name* (``"LPC@2%UCPBA" -> "LPC@2pcUCPBA"``,
    ``"PEO/MOF" -> "PEO-MOF"``)."""
    s = str(name).replace("%", "pc").replace("/", "-").replace("\\", "-")
    s = re.sub(r"[^A-Za-z0-9_.+@=-]+", "_", s).strip("._-") or "x"
    s = s.replace("..", ".")
    return s[:120]


def _inside(folder: Path, path: Path) -> Path:
    folder, path = folder.resolve(), path.resolve()
    if folder != path and folder not in path.parents:
        raise SecurityError(f"refusing to write {path}: outside the output folder {folder}.")
    return path


def write_result(result, folder, *, length_unit: str = "m") -> list[Path]:
    """Write the artifact set of *result* into *folder*; returns the written paths."""
    from .style import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    out.append(result.summary.to_csv(_inside(folder, folder / "summary.csv")))
    for k, fig in result.figures.items():
        out.append(save(fig, _inside(folder, folder / f"{check_name(k)}.png")))
    for k, data in result.animations.items():
        p = _inside(folder, folder / f"{check_name(k)}.gif")
        p.write_bytes(data)
        out.append(p)
    for k, table in result.tables.items():
        out.append(table.to_csv(_inside(folder, folder / f"{check_name(k)}.csv")))
    for k, data in getattr(result, "files", {}).items():
        p = _inside(folder, folder / check_name(k))
        p.write_bytes(bytes(data))
        out.append(p)
    for k, sol in result.solutions.items():
        k = check_name(k)
        if sol.steady:
            out.append(sol.to_vtu(_inside(folder, folder / f"{k}.vtu"), length_unit=length_unit))
        else:
            _inside(folder, folder / f"{k}.pvd")
            out.append(sol.to_pvd(folder, name=k, length_unit=length_unit))
        if sol.histories:
            from .tables import DataTable

            out.append(DataTable(dict(sol.histories)).to_csv(
                _inside(folder, folder / f"{k}_history.csv")))
    return out


def _git_revision() -> str | None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "-uno"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty else "")


_PACKAGES = ("numpy", "scipy", "scikit-fem", "gmsh", "meshio", "pyvista", "vtk", "pyamg",
             "matplotlib", "xarray", "pypardiso", "mkl", "dask")


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for p in ("ntransport", *_PACKAGES):
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def run_info(case, result, *, wall_time: float, started: float, files=(), argv=None) -> dict:
    """The content of ``run.json`` for a finished run."""
    from ..solution import _jsonable

    return {
        "status": "ok",
        "case": {"name": case.name, "study": case.kind,
                 "source": None if case.source is None else str(case.source),
                 "reduced": bool(case.reduced), "input": _jsonable(dict(case.raw or {})),
                 "resolved_SI": _jsonable(dict(case.data))},
        "parameters": _jsonable(result.parameters),
        "notes": list(result.notes),
        "summary_rows": len(result.summary),
        "files": sorted(str(f) for f in files),
        "versions": _versions(),
        "git_revision": _git_revision(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
                    if os.environ.get(k)},
        "command": list(argv) if argv is not None else None,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "wall_time_s": round(float(wall_time), 3),
    }


def write_json(path, data) -> Path:
    """Write *data* as indented UTF-8 JSON atomically."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(p)
    return p


class RunFolder:
    """The output folder of one run (see the module docstring).

    >>> with RunFolder("out/case") as rf:                    # doctest: +SKIP
    ...     result.save(rf.partial)
    ...     rf.commit()
    """

    def __init__(self, out, *, resume: bool = False):
        self.out = Path(out)
        self.resume = bool(resume)
        self.committed = False

    @property
    def partial(self) -> Path:
        return self.out / PARTIAL

    @property
    def checkpoints(self) -> Path:
        return self.out / CHECKPOINTS

    def open(self) -> "RunFolder":
        out = self.out
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {str(out)!r} is a file, not a folder; give a folder path "
                              "(it is created if missing).")
        try:
            out.mkdir(parents=True, exist_ok=True)
            probe = out / ".ntransport-write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"--out {str(out)!r} is not writable ({exc.strerror}); choose "
                              "another folder.") from None
        if self.resume and not self.checkpoints.is_dir():
            raise ConfigError(f"--resume: no checkpoints in {str(out)!r} (expected "
                              f"{CHECKPOINTS}/ from an interrupted run of this case there).")
        self._remove_previous()
        if not self.resume and self.checkpoints.exists():
            shutil.rmtree(self.checkpoints)
        self.partial.mkdir()
        self.checkpoints.mkdir(exist_ok=True)
        return self

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        if not self.committed:
            self.abandon()
        return False

    def _remove_previous(self):
        """Delete the results an earlier run listed in the manifest (and a stale partial)."""
        man = self.out / MANIFEST
        if man.exists():
            try:
                names = json.loads(man.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                names = []
            for n in names:
                p = self.out / n
                try:
                    _inside(self.out, p)
                except SecurityError:
                    continue
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                elif p.exists():
                    p.unlink()
            man.unlink()
        if self.partial.exists():
            shutil.rmtree(self.partial)

    def commit(self) -> list[Path]:
        """Move the finished artifacts into ``out``; write the manifest; drop checkpoints."""
        names = sorted(p.name for p in self.partial.iterdir())
        for n in names:
            dst = self.out / n
            if dst.is_dir():
                shutil.rmtree(dst)
            elif dst.exists():
                dst.unlink()
            (self.partial / n).replace(dst)
        shutil.rmtree(self.partial, ignore_errors=True)
        shutil.rmtree(self.checkpoints, ignore_errors=True)
        write_json(self.out / MANIFEST, names + ["run.log"])
        self.committed = True
        return [self.out / n for n in names]

    def abandon(self) -> None:
        """After a failure: remove the partial results, keep run.log and checkpoints."""
        shutil.rmtree(self.partial, ignore_errors=True)
        if self.checkpoints.exists() and not any(self.checkpoints.iterdir()):
            self.checkpoints.rmdir()
