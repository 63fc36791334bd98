"""Notebooks are executed once per test session (reduced size) and shared by the
notebook tests and the documentation build, which renders them with their outputs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


class ExecutedNotebooks:
    def __init__(self, folder: Path):
        self.folder = folder
        self.done: dict[str, tuple] = {}

    def __call__(self, path: Path):
        """``(notebook, output folder, error or None)`` for *path*, executing it once."""
        if path.name in self.done:
            return self.done[path.name]
        import nbclient
        import nbformat

        out = self.folder / path.stem
        out.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(path, as_version=4)
        env = {"NTRANSPORT_REDUCED": "1", "NTRANSPORT_OUT": str(out),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        error = None
        try:
            nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}}).execute()
        except Exception as exc:  # reported by the test that asked
            error = exc
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        nbformat.write(nb, self.folder / path.name)
        self.done[path.name] = (nb, out, error)
        return self.done[path.name]


@pytest.fixture(scope="session")
def executed_notebooks(tmp_path_factory):
    return ExecutedNotebooks(tmp_path_factory.mktemp("notebooks"))
