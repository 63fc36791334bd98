"""The curated flat API: every advertised name resolves, and importing is light."""
import subprocess
import sys

import ntransport as nt


def test_every_public_name_resolves():
    for name in nt.__all__:
        assert getattr(nt, name) is not None, name


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'solve_conductivity'"):
        nt.solve_conductivity  # noqa: B018


def test_import_does_not_load_heavy_or_gpl_modules():
    code = ("import sys, ntransport; "
            "print(sorted(m for m in ('gmsh', 'pyvista', 'dask', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
