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
* a folder holding anything else (a user's own files) is refused, never overwritten;
* ``run.json`` records the inputs, the resolved parameters with their sources, the
  package versions, the git revision (if any) and the wall time.
"""
from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..errors import (ConfigError, SecurityError, check_distinct, check_safe_name,
                      safe_name_hint)

__all__ = ["check_name", "slug", "distinct_slugs", "write_result", "artifact_paths",
           "RunFolder", "run_info", "write_json", "RESERVED"]

log = logging.getLogger(__name__)

MANIFEST = ".ntransport-manifest"
PARTIAL = ".partial"
CHECKPOINTS = ".checkpoints"
LOCK = ".ntransport-lock"


def check_name(name, *, what: str = "name") -> str:
    """Return *name* if it is safe as a file name: letters, digits and ``_ . + @ = -``,
    not starting with a dot, no path separators, no ``..``, at most 120 characters;
    else raise :class:`~ntransport.errors.SecurityError` with a safe suggestion."""
    return check_safe_name(name, what=what)


def slug(name) -> str:
    """A safe file name derived from *name* (``"LPC@2%UCPBA" -> "LPC@2pcUCPBA"``,
    ``"PEO/MOF" -> "PEO-MOF"``)."""
    return safe_name_hint(name)


def distinct_slugs(names, what: str) -> dict:
    """``{name: slug(name)}`` for names that become file names (run labels and the like),
    refusing two that would name the same files -- ``"a/b"`` and ``"a-b"`` both become
    ``a-b``, and ``"PEO"`` and ``"peo"`` are one file on a case-insensitive file system:
    their runs would overwrite each other's checkpoints and outputs. *what* names the
    case-file entry for the message."""
    out, seen = {}, {}
    for name in check_distinct(names, what=what, hint="rename one of them", exc=ConfigError):
        s = slug(name)
        other = seen.get(s.casefold())
        if other is not None:
            files = (f"would both write files named {s!r}" if slug(other) == s else
                     f"would write files named {slug(other)!r} and {s!r}, the same files on a "
                     "case-insensitive file system (Windows, macOS)")
            raise ConfigError(f"{what}: {other!r} and {name!r} {files}; rename one of them.")
        seen[s.casefold()] = name
        out[name] = s
    return out


def _inside(folder: Path, path: Path) -> Path:
    folder, path = folder.resolve(), path.resolve()
    if folder != path and folder not in path.parents:
        raise SecurityError(f"refusing to write {path}: outside the output folder {folder}.")
    return path


#: file names the runner writes itself; an artifact may not take them
RESERVED = ("summary.csv", "run.json", "run.log", MANIFEST, PARTIAL, CHECKPOINTS, LOCK)


def artifact_paths(result) -> dict[str, str]:
    """File name (relative to the output folder) -> what writes it, for *result*.

    Raises :class:`~ntransport.errors.SecurityError` for an unsafe name and
    :class:`~ntransport.errors.ResultError` when two artifacts would write the same
    file (``tables["summary"]`` would overwrite ``summary.csv``; a table ``"x_history"``
    would collide with the histories of solution ``"x"``)."""
    from ..errors import ResultError

    planned: dict[str, str] = {}

    def plan(fname, what):
        key = fname.lower()  # case-insensitive file systems (macOS, Windows)
        if key in (r.lower() for r in RESERVED):
            raise ResultError(f"{what} would write {fname!r}, a file the runner writes itself; "
                              "rename the artifact.")
        if key in planned:
            raise ResultError(f"{what} and {planned[key]} would both write {fname!r}; "
                              "give them different names.")
        planned[key] = what

    for k in result.figures:
        plan(f"{check_name(k, what='figure name')}.png", f"figure {k!r}")
    for k in result.animations:
        plan(f"{check_name(k, what='animation name')}.gif", f"animation {k!r}")
    for k in result.tables:
        plan(f"{check_name(k, what='table name')}.csv", f"table {k!r}")
    for k in getattr(result, "files", {}):
        plan(check_name(k, what="file name"), f"file {k!r}")
    for k, sol in result.solutions.items():
        k = check_name(k, what="solution name")
        if sol.steady:
            plan(f"{k}.vtu", f"solution {k!r}")
        else:
            plan(f"{k}.pvd", f"solution {k!r}")
            plan(k, f"the time steps of solution {k!r}")
        if sol.histories:
            plan(f"{k}_history.csv", f"the histories of solution {k!r}")
    return planned


def write_result(result, folder, *, length_unit: str = "m") -> list[Path]:
    """Write the artifact set of *result* into *folder*; returns the written paths.

    Every name is checked first (:func:`artifact_paths`), so nothing is written when one
    artifact would land outside *folder* or overwrite another.

    The solutions' VTU/PVD files are written in a second thread while this one saves the
    figures: VTK's writers release the interpreter lock (two threads writing VTU files
    took 1.44-1.66 s against 2.84-2.95 s one after the other) and matplotlib holds it, so
    the two overlap. The full dendrite case (81 VTU files beside four PNGs and a GIF): from
    the end of the last run to the end of the run 4.01-4.23 s against 4.34-4.57 s, three
    interleaved rounds. An error in either is raised here."""
    from concurrent.futures import ThreadPoolExecutor

    from .style import save

    artifact_paths(result)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ntransport-vtk") as ex:
        solutions = ex.submit(_write_solutions, result.solutions, folder, length_unit)
        out = [result.summary.to_csv(_inside(folder, folder / "summary.csv"))]
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
        out.extend(solutions.result())
    return out


def _write_solutions(solutions, folder: Path, length_unit: str) -> list[Path]:
    """Each solution's VTU (steady) or PVD series and its histories table."""
    out = []
    for k, sol in solutions.items():
        k = check_name(k)
        if sol.steady:
            out.append(sol.to_vtu(_inside(folder, folder / f"{k}.vtu"), length_unit=length_unit))
        else:
            _inside(folder, folder / f"{k}.pvd")
            _inside(folder, folder / k)
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


#: recorded in run.json besides ntransport's own requirements (core and extras)
_ALSO = ("vtk", "mkl", "distributed")


def _requirements() -> list[str]:
    """Distribution names ntransport requires at run time (core and the run-time
    extras, not test/docs/bench tools), from its installed metadata."""
    import re
    from importlib import metadata

    try:
        reqs = metadata.requires("ntransport") or []
    except metadata.PackageNotFoundError:
        reqs = []
    out = []
    for r in reqs:
        extra = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", r)
        if extra and extra.group(1) in ("test", "docs", "bench"):
            continue
        out.append(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0])
    return out


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for p in dict.fromkeys(("ntransport", "numpy", "scipy", "scikit-fem", "gmsh", "pyvista",
                            *_requirements(), *_ALSO)):
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
        "threads": _threads(),
        "command": list(argv) if argv is not None else None,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "wall_time_s": round(float(wall_time), 3),
    }


def _threads() -> dict:
    """The thread settings a run had: the variables that set them, the cores it could use
    and the threads a row-split sparse product could use in its main process
    (``cores.kernel_threads``; runs side by side use one each). PARDISO's answers depend on
    the thread count, the AMG-CG's do not."""
    from ..cores import kernel_threads, usable_cores

    out = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
           if os.environ.get(k)}
    out.update(usable_cores=usable_cores(), kernel_threads=kernel_threads())
    return out


def write_json(path, data) -> Path:
    """Write *data* as indented UTF-8 JSON atomically."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(p)
    return p


def _remove(p: Path) -> None:
    """Remove a file, a symlink (not its target) or a folder tree."""
    if p.is_symlink() or p.is_file():
        p.unlink()
    elif p.is_dir():
        shutil.rmtree(p)


class RunFolder:
    """The output folder of one run (see the module docstring).

    Only one run may write to a folder at a time: :meth:`open` takes an exclusive lock
    (``out/.ntransport-lock``) and refuses a second run while the first is alive.

    >>> with RunFolder("out/case") as rf:                    # doctest: +SKIP
    ...     result.save(rf.partial)
    ...     rf.commit()
    """

    def __init__(self, out, *, resume: bool = False):
        self.out = Path(out)
        self.resume = bool(resume)
        self.committed = False
        self._lock = None

    @property
    def partial(self) -> Path:
        return self.out / PARTIAL

    @property
    def checkpoints(self) -> Path:
        return self.out / CHECKPOINTS

    def open(self) -> "RunFolder":
        out = self.out
        if str(out).strip() == "":
            raise ConfigError("--out is empty; give a folder path (it is created if missing).")
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {str(out)!r} is a file, not a folder; give a folder path "
                              "(it is created if missing).")
        try:
            out.mkdir(parents=True, exist_ok=True)
            probe = out / ".ntransport-write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"--out {str(out)!r} is not writable ({exc.strerror or exc}); "
                              "choose another folder.") from None
        self._refuse_foreign()  # before the lock: nothing of ours is left in a refused folder
        self._acquire()
        try:
            if self.resume and not self.checkpoints.is_dir():
                raise ConfigError(f"--resume: no checkpoints in {str(out)!r} (expected "
                                  f"{CHECKPOINTS}/ from an interrupted run of this case there).")
            self._remove_previous()
            if not self.resume and (self.checkpoints.exists() or self.checkpoints.is_symlink()):
                _remove(self.checkpoints)
            self.partial.mkdir()
            self.checkpoints.mkdir(exist_ok=True)
        except BaseException:
            self._release()
            raise
        return self

    def _acquire(self):
        """Exclusive, non-blocking lock on ``out/.ntransport-lock`` (released by the OS if
        the process dies)."""
        path = self.out / LOCK
        fh = open(path, "a+")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            self._lock = fh
            return
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            import errno

            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                log.warning("cannot lock %s (%s); running without the folder lock", path, exc)
                self._lock = fh
                return
            fh.seek(0)
            who = fh.read().strip() or "another process"
            fh.close()
            raise ConfigError(f"--out {str(self.out)!r} is in use by another ntransport run "
                              f"({who}); wait for it to finish or choose another folder.") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        self._lock = fh

    def _release(self):
        if self._lock is not None:
            self._lock.close()  # closing the descriptor releases the flock
            self._lock = None

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        try:
            if not self.committed:
                self.abandon()
        finally:
            self._release()
        return False

    def _refuse_foreign(self):
        """Refuse a folder that holds entries no ntransport run wrote: a run replaces its
        results by name (a run labelled ``notes`` writes ``notes/``, every run writes
        ``summary.csv``), so a user's own file or folder there could be overwritten or
        deleted. Ours: what the manifest lists, ``run.log`` (a failed run's), and the
        dot-entries (no artifact name starts with a dot)."""
        ours = {"run.log", *self._manifest_names()}
        foreign = sorted(p.name for p in self.out.iterdir()
                         if not p.name.startswith(".") and p.name not in ours)
        if foreign:
            more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            raise ConfigError(
                f"--out {str(self.out)!r} holds {', '.join(map(repr, foreign[:5]))}{more}, "
                "which no ntransport run wrote there; a run replaces its results by name and "
                "could overwrite them. Give a new or empty folder (the default is "
                "ntransport-out/<case name>), or move those away.")

    def _manifest_names(self) -> list[str]:
        """The names an earlier run listed in ``out/.ntransport-manifest`` (unchecked)."""
        man = self.out / MANIFEST
        if not (man.exists() or man.is_symlink()):
            return []
        try:
            names = json.loads(man.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def _remove_previous(self):
        """Delete the results an earlier run listed in the manifest (and a stale partial).

        Only plain names inside ``out`` are removed (a tampered manifest cannot delete
        anything else); a symlink is removed, never followed."""
        man = self.out / MANIFEST
        if man.exists() or man.is_symlink():
            for n in self._manifest_names():
                try:
                    check_name(n)
                except SecurityError:
                    log.warning("manifest entry %r ignored (not a plain file name)", n)
                    continue
                p = self.out / n
                try:
                    _inside(self.out, p.parent)
                    _remove(p)
                except (SecurityError, OSError) as exc:
                    log.warning("could not remove stale result %s: %s", p, exc)
            _remove(man)
        if self.partial.exists() or self.partial.is_symlink():
            _remove(self.partial)

    def commit(self) -> list[Path]:
        """Move the finished artifacts into ``out``; write the manifest; drop checkpoints."""
        names = sorted(p.name for p in self.partial.iterdir())
        # the manifest first: a kill between the moves still lets the next run clean up
        write_json(self.out / MANIFEST, names + ["run.log"])
        for n in names:
            dst = self.out / n
            if dst.exists() or dst.is_symlink():
                _remove(dst)
            (self.partial / n).replace(dst)
        _remove(self.partial)
        if self.checkpoints.exists():
            _remove(self.checkpoints)
        self.committed = True
        return [self.out / n for n in names]

    def abandon(self) -> None:
        """After a failure: remove the partial results, keep run.log and checkpoints."""
        if self.partial.exists() or self.partial.is_symlink():
            shutil.rmtree(self.partial, ignore_errors=True) if not self.partial.is_symlink() \
                else self.partial.unlink()
        if self.checkpoints.is_dir() and not self.checkpoints.is_symlink() \
                and not any(self.checkpoints.glob("*.npz")):
            shutil.rmtree(self.checkpoints, ignore_errors=True)  # nothing to resume from
