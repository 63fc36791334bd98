"""The documentation site builds (MkDocs + mkdocstrings + mkdocs-jupyter): API reference
from the docstrings and the notebooks rendered with their outputs."""
import importlib.util
import sys
from pathlib import Path

import pytest

from .conftest import NOTEBOOKS, ROOT


def test_docs_site_builds_with_api_and_executed_notebooks(executed_notebooks, tmp_path,
                                                          monkeypatch):
    for mod in ("mkdocs", "mkdocstrings", "mkdocs_jupyter"):
        assert importlib.util.find_spec(mod), f"{mod} missing: install ntransport[test]"
    for nb in NOTEBOOKS:
        executed_notebooks(nb)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from build import build
    finally:
        sys.path.pop(0)
    site = build(tmp_path / "site", executed_notebooks.folder, work=tmp_path / "work")
    assert (site / "index.html").exists()
    api = (site / "api" / "results" / "index.html").read_text(encoding="utf-8")
    assert "Solution" in api and "to_xarray" in api
    for nb in NOTEBOOKS:
        page = site / "notebooks" / nb.stem / "index.html"
        assert page.exists(), page
        html = page.read_text(encoding="utf-8")
        assert "data:image/png" in html or "<img" in html, f"{nb.stem}: no figure output"
