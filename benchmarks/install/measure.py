"""Size of a fresh core install and the import time of ``import ntransport``.

    python benchmarks/install/measure.py [--extras pardiso]

Creates a fresh virtual environment in a temporary folder, runs ``pip install .`` (the
README's first command), and records the total size, the ten largest packages, the size
without byte-compiled caches, and the median import time (10 fresh interpreters) in
``results.json`` next to this file.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _size(path: Path, *, skip_pycache=False) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        if skip_pycache and "__pycache__" in dirnames:
            dirnames.remove("__pycache__")
        for f in filenames:
            fp = os.path.join(dirpath, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--extras", default="")
    a = ap.parse_args(argv)
    spec = str(ROOT) + (f"[{a.extras}]" if a.extras else "")
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = venv / "bin" / "python"
        t0 = time.perf_counter()
        subprocess.run([str(py), "-m", "pip", "install", "-q", spec], check=True)
        t_install = time.perf_counter() - t0
        site = next((venv / "lib").glob("python*/site-packages"))
        pkgs = sorted(((_size(p), p.name) for p in site.iterdir() if p.is_dir()), reverse=True)
        imports = []
        for _ in range(10):
            out = subprocess.run([str(py), "-c", "import time; t=time.perf_counter(); "
                                  "import ntransport; print(time.perf_counter()-t)"],
                                 capture_output=True, text=True, check=True, cwd=tmp)
            imports.append(float(out.stdout))
        res = {
            "spec": f"pip install .{'[' + a.extras + ']' if a.extras else ''}",
            "total_MB": round(_size(venv) / 2**20, 1),
            "total_without_pycache_MB": round(_size(venv, skip_pycache=True) / 2**20, 1),
            "largest_MB": {n: round(s / 2**20, 1) for s, n in pkgs[:10]},
            "shared_libs_MB": round(sum(p.stat().st_size for p in (venv / "lib").glob("*.so*"))
                                    / 2**20, 1),
            "install_wall_s": round(t_install, 1),
            "import_ntransport_s_median": round(statistics.median(imports), 4),
            "python": platform.python_version(), "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d"),
        }
    out = Path(__file__).with_name("results.json" if not a.extras else f"results_{a.extras}.json")
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
