"""Case files and mesh of the dendrite skeleton study."""
from pathlib import Path

import numpy as np
import pytest

from ntransport.errors import ConfigError
from ntransport.physics.phasefield_params import interface_width, moose_normalised_parameters
from ntransport.solve.phasefield import element_size
from ntransport.studies.dendrites import DendriteCase, build_mesh, initial_field, load_case

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("name", ["dendrite_skeleton.yaml", "dendrite_slow_skeleton.yaml"])
def test_case_files_load(name):
    case = load_case(ROOT / "geometries" / name)
    assert case.height == 12.6 and case.applied_potential == -0.45


def test_unknown_key_is_rejected(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("widht: 3.0\n")
    with pytest.raises(ConfigError, match="unknown key 'widht'. Did you mean 'width'"):
        load_case(f)
    with pytest.raises(ConfigError, match=r"band \(20.0\) must not exceed height \(12.6\)"):
        DendriteCase(band=20.0)


def test_reduced_mesh_resolves_interface_in_band_and_marks_filaments():
    case = DendriteCase().reduced()
    mesh, skel = build_mesh(case)
    p = moose_normalised_parameters(delta=case.delta)
    yc = mesh.p[1, mesh.t].mean(axis=0)
    band = yc < case.band - 0.5
    assert element_size(mesh)[band].max() <= interface_width(p) / 4
    # filaments: a fraction ~ n d / width of the elements above the gap
    frac = skel.sum() / np.sum(yc > case.gap_anode)
    assert 0.5 * case.filament_diameter / case.width < frac < 2 * case.filament_diameter / case.width
    xi0 = initial_field(mesh, case, 0.5)
    assert 0.0 <= xi0.min() and xi0.max() <= 1.0
