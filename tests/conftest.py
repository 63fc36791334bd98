"""Test-wide settings: headless plotting, one BLAS thread (CI has 2 cores)."""
import os
import sys

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")


@pytest.fixture(autouse=True, scope="module")
def _close_figures():
    """Figures of studies a module runs but never saves (saving closes them) are closed
    after the module, so a test worker does not accumulate them."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
