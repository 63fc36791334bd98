"""Every notebook in notebooks/ runs top to bottom at reduced size, holds no plumbing a
user should not need (numbers are asserted in tests, not in notebooks), and its closing
cells name only files that the run wrote."""
import re

import pytest

from .conftest import NOTEBOOKS

FILE = re.compile(r"[\w@+.-]+\.(?:png|gif|pvd|vtu|csv|json|tif|tiff|nc)\b")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_names_files_that_exist(path, executed_notebooks):
    nb, out, error = executed_notebooks(path)
    assert error is None, f"{path.name} failed: {error}"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*assert\b", code, re.M), "asserts belong in tests/"
    assert "matplotlib.use" not in code and "sys.path" not in code, "plumbing in a notebook"
    closing = "\n".join(c.source for c in nb.cells[-2:])
    written = {p.name for p in out.rglob("*")}
    named = set(FILE.findall(closing))
    assert named, f"{path.name}: the closing cells should name the files the study wrote"
    missing = sorted(n for n in named if n not in written)
    assert not missing, f"{path.name} names files the run did not write: {missing}"
    # users look before they read: the figures are shown, not only written (a study's
    # figures are not pyplot's, so nothing shows them unless the notebook does)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{path.name} shows no figure: call result.show() after the run"
