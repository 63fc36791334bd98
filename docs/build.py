"""Build the documentation site: executed notebooks + API reference.

    python docs/build.py --site DIR [--executed DIR_WITH_EXECUTED_NOTEBOOKS]

Copies docs/ to a scratch folder, puts the notebooks (executed copies if given, so the
site shows their outputs), README and CONTRIBUTING there, and runs ``mkdocs build``.
The test suite calls :func:`build` with the notebooks it has just executed.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(site: Path, executed: Path | None = None, *, work: Path | None = None) -> Path:
    work = Path(work or tempfile.mkdtemp(prefix="ntransport-docs-"))
    src = work / "docs"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT / "docs", src, ignore=shutil.ignore_patterns("site", "build.py"))
    nbdir = src / "pages" / "notebooks"
    nbdir.mkdir(parents=True, exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        done = executed / nb.name if executed is not None else None
        shutil.copy(done if done is not None and done.exists() else nb, nbdir / nb.name)
    shutil.copy(ROOT / "CONTRIBUTING.md", src / "pages" / "guide" / "contract.md")
    bench = ROOT / "benchmarks" / "README.md"
    if bench.exists():
        shutil.copy(bench, src / "pages" / "guide" / "benchmarks.md")
    site = Path(site).resolve()
    cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(src / "mkdocs.yml"),
           "-d", str(site)]
    subprocess.run(cmd, check=True, cwd=work)
    return site


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--site", default=str(ROOT / "docs" / "site"))
    p.add_argument("--executed", default=None)
    a = p.parse_args(argv)
    print(build(Path(a.site), Path(a.executed) if a.executed else None))


if __name__ == "__main__":
    main()
