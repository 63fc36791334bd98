"""read_image, VoxelImage operations and add_interphase: inputs, outputs, errors."""
import numpy as np
import pytest

import ntransport.image as ni
from ntransport.image import ImageError, read_image


def test_array_and_tiff_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    lab = rng.integers(0, 3, size=(6, 5, 4)).astype(np.uint8) * 2  # labels 0, 2, 4
    img = read_image(lab, voxel_size=[1e-6, 2e-6, 3e-6], phases={0: "A", 2: "B", 4: "C"})
    assert img.phases == ("A", "B", "C") and img.shape == (6, 5, 4)
    assert np.array_equal(img.labels, lab // 2)
    np.testing.assert_allclose(img.extent, [6e-6, 10e-6, 12e-6])
    p = tmp_path / "stack.tif"
    p.write_bytes(ni.tiff_bytes(lab, voxel_size=1e-6))
    back = read_image(p, voxel_size=1e-6, phases={0: "A", 2: "B", 4: "C"})
    assert np.array_equal(back.labels, img.labels)
    assert read_image(lab[:, :, 0] > 0, voxel_size=1e-6, phases={0: "x", 1: "y"}).dim == 2


def test_inputs_are_not_modified_and_images_are_read_only():
    lab = np.zeros((4, 4), np.uint8)
    img = read_image(lab, voxel_size=1e-6, phases={0: "A"})
    with pytest.raises(ValueError):
        img.labels[0, 0] = 1
    lab[0, 0] = 7
    assert img.labels[0, 0] == 0


def test_crop_and_downsample():
    lab = np.zeros((8, 8, 8), np.uint8)
    lab[:4] = 1
    img = read_image(lab, voxel_size=1e-6, phases={0: "A", 1: "B"}, crop=[(2, 6), None, (0, 4)])
    assert img.shape == (4, 8, 4)
    assert img.fractions()["B"] == pytest.approx(0.5)
    ds = img.downsample(2)
    assert ds.shape == (2, 4, 2) and np.allclose(ds.voxel_size, 2e-6)
    assert ds.fractions()["B"] == pytest.approx(0.5)
    with pytest.raises(ImageError, match="empty"):
        img.crop((3, 3), None, None)
    with pytest.raises(ImageError, match="integers >= 1"):
        img.downsample(0)


@pytest.mark.parametrize("arr, match", [
    (np.random.default_rng(0).random((4, 4)), "floating-point"),
    (np.zeros((0, 4), np.uint8), "empty"),
    (np.zeros((4, 4, 4, 3), np.uint8), "RGB"),
    (np.zeros(5, np.uint8), "2D or 3D"),
    (np.array([["a", "b"]]), "integer label"),
])
def test_bad_images_raise(arr, match):
    with pytest.raises(ImageError, match=match):
        read_image(arr, voxel_size=1e-6, phases={0: "A"})


def test_unlabelled_phase_names_the_label_and_count():
    lab = np.array([[0, 1], [3, 3]], np.uint8)
    with pytest.raises(ImageError, match=r"label value\(s\) 3 \(2 voxels\)"):
        read_image(lab, voxel_size=1e-6, phases={0: "A", 1: "B"})


@pytest.mark.parametrize("vs, match", [(-1e-6, "voxel_size"), ([1e-6, 2e-6, 3e-6], "voxel_size"),
                                       (float("nan"), "voxel_size")])
def test_bad_voxel_size(vs, match):
    with pytest.raises(ImageError, match=match):
        read_image(np.zeros((3, 3), np.uint8), voxel_size=vs, phases={0: "A"})


def test_missing_file_and_bad_phases(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        read_image(tmp_path / "nope.tif", voxel_size=1e-6, phases={0: "A"})
    with pytest.raises(ImageError, match="distinct"):
        read_image(np.zeros((2, 2), np.uint8), voxel_size=1e-6, phases={0: "A", 1: "A"})
    with pytest.raises(ImageError, match="map each label"):
        read_image(np.zeros((2, 2), np.uint8), voxel_size=1e-6, phases=["A"])


def test_interphase_voxels_round_to_whole_layers_and_sheet_below_half_a_voxel():
    lab = np.zeros((20, 6, 6), np.uint8)
    lab[8:12] = 1  # a slab, faces normal to x
    img = read_image(lab, voxel_size=1e-6, phases={0: "H", 1: "P"})
    two = ni.add_interphase(img, around="P", thickness=2.2e-6)
    assert two.info["interphases"][0]["voxel layers"] == 2
    assert two.fractions()["interphase"] == pytest.approx(4 / 20)
    thin = ni.add_interphase(img, around="P", thickness=0.3e-6)
    assert thin.info["interphases"][0]["mode"] == "sheet" and thin.shape == img.shape
    assert thin.fractions()["interphase"] == pytest.approx(2 * 0.3 / 20)
    assert sum(thin.fractions().values()) == pytest.approx(1.0)
    with pytest.raises(ImageError, match="at most half a voxel"):
        ni.add_interphase(img, around="P", thickness=0.8e-6, mode="sheet")
    with pytest.raises(ImageError, match="not in the image"):
        ni.add_interphase(img, around="LLZO", thickness=1e-6)
    with pytest.raises(ImageError, match="thickness"):
        ni.add_interphase(img, around="P", thickness=-1.0)
