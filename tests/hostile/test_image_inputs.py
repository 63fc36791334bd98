"""Hostile segmented images: sizes are checked on the declared shape, before any voxel is
read, and broken files are clear ImageErrors (never a MemoryError, a hang or a crash)."""
import io

import numpy as np
import pytest
import tifffile

from ntransport.errors import LimitError
from ntransport.geometry.guards import limits
from ntransport.image import read_image
from ntransport.image.voxel_image import ImageError

PH = {0: "PEO", 1: "LLZO"}


def test_compressed_tiff_bomb_is_refused_from_its_header(tmp_path):
    # 512^3 = 134 M voxels of zeros: ~130 kB compressed, 134 MB (uint8) to 1 GB (int64
    # labels) in memory, ~64 GB to solve. Refused above the default 3e7 voxel limit.
    path = tmp_path / "bomb.tif"
    tifffile.imwrite(path, np.zeros((512, 512, 512), np.uint8), compression="zlib")
    assert path.stat().st_size < 5e6
    with pytest.raises(LimitError, match=r"\(512, 512, 512\) = 1\.34e\+08 voxels.*NTRANSPORT_MAX_VOXELS"):
        read_image(path, voxel_size=1e-6, phases=PH)


def test_voxel_limit_applies_to_arrays_and_npy(tmp_path):
    a = np.zeros((20, 20, 20), np.uint8)
    np.save(tmp_path / "a.npy", a)
    with limits(voxels=1000):
        for src in (a, tmp_path / "a.npy"):
            with pytest.raises(LimitError, match=r"\(20, 20, 20\) = 8e\+03 voxels.*limit of "
                                                  r"1e\+03"):
                read_image(src, voxel_size=1e-6, phases=PH)
    assert read_image(tmp_path / "a.npy", voxel_size=1e-6, phases=PH).shape == (20, 20, 20)


@pytest.mark.parametrize("data", [b"II*\x00garbage", b"not a tiff at all", b""])
def test_broken_tiff_bytes_are_image_errors(data, tmp_path):
    with pytest.raises(ImageError):
        read_image(data, voxel_size=1e-6, phases=PH)
    path = tmp_path / "broken.tif"
    path.write_bytes(data)
    with pytest.raises(ImageError, match="broken.tif"):
        read_image(path, voxel_size=1e-6, phases=PH)


def test_npy_declaring_more_than_it_holds_is_an_image_error(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.zeros((4, 4, 4), np.uint8))
    raw = buf.getvalue().replace(b"(4, 4, 4)", b"(9000, 9, 9)")  # header lies; data short
    (tmp_path / "short.npy").write_bytes(raw)
    with pytest.raises(ImageError, match="short.npy"):
        read_image(tmp_path / "short.npy", voxel_size=1e-6, phases=PH)
