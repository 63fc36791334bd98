"""Conservative field transfer at a remesh."""
import numpy as np
import pytest

from ntransport.geometry.remesh import anode_profile, mesh_electrolyte_above_curve
from ntransport.solve.transfer import evaluate_p1, p1_content, transfer_fields

W, H = 2e-6, 1.5e-6


@pytest.fixture(scope="module")
def meshes():
    curve = anode_profile(W, height=H, defect_height=0.4e-6, defect_width=0.6e-6,
                          spacing=0.05e-6)
    a = mesh_electrolyte_above_curve(curve, width=W, y_top=H, h_anode=0.05e-6, h_max=0.2e-6)
    b = mesh_electrolyte_above_curve(curve, width=W, y_top=H, h_anode=0.05e-6, h_max=0.12e-6,
                                     algorithm=5)
    return a.mesh, b.mesh


def test_content_conserved_per_species(meshes):
    a, b = meshes
    x, y = a.p
    fields = {"c_Li": 1000 + 50 * np.sin(3e6 * x) * np.exp(-y / 0.5e-6),
              "c_X": 20 * np.cos(2e6 * x) * y / H - 3.0}  # changes sign: additive fix
    out, reports = transfer_fields(a.p, a.t, b.p, b.t, fields)
    for r in reports:
        # spec: 1e-8 relative; measured: round-off (~1e-16)
        assert r.conservation_error < 1e-12, r
        assert r.projection_error < 1e-3  # the bare projection is already close
        assert p1_content(b.p, b.t, out[r.name]) == pytest.approx(r.content_old, rel=1e-12)
    assert set(out) == {"c_Li", "c_X"}


def test_linear_field_transferred_exactly(meshes):
    a, b = meshes
    f = 3.0 + 2e6 * a.p[0] - 5e5 * a.p[1]
    out, _ = transfer_fields(a.p, a.t, b.p, b.t, {"u": f})
    np.testing.assert_allclose(out["u"], 3.0 + 2e6 * b.p[0] - 5e5 * b.p[1], rtol=1e-9)


def test_smooth_field_accuracy_and_inputs_untouched(meshes):
    a, b = meshes
    f = np.sin(2e6 * a.p[0]) * np.cos(1e6 * a.p[1])
    f0 = f.copy()
    out, _ = transfer_fields(a.p, a.t, b.p, b.t, {"u": f})
    exact = np.sin(2e6 * b.p[0]) * np.cos(1e6 * b.p[1])
    assert np.abs(out["u"] - exact).max() < 2e-2  # O(h²) interpolation error, h ~ 0.2 µm
    np.testing.assert_array_equal(f, f0)


def test_evaluate_p1_at_nodes(meshes):
    a, _ = meshes
    f = a.p[0] * 1e6
    np.testing.assert_allclose(evaluate_p1(a.p, a.t, f, a.p), f, atol=1e-12)
