"""The closed-form simplex determinant behind element volumes and the mesh checks."""
import numpy as np
import pytest

from ntransport.geometry.mesh_checks import simplex_det


@pytest.mark.parametrize("dim", [2, 3])
def test_simplex_det_equals_the_lu_determinant_with_its_sign(dim):
    rng = np.random.default_rng(dim)
    p = rng.normal(size=(dim, 50))
    t = np.stack([rng.permutation(50)[: dim + 1] for _ in range(200)], axis=1)
    J = np.stack([p[:, t[i + 1]] - p[:, t[0]] for i in range(dim)], axis=0)
    ref = np.linalg.det(np.moveaxis(J, -1, 0))
    got = simplex_det(p, t)
    assert np.allclose(got, ref, rtol=1e-12, atol=1e-14)
    assert np.array_equal(np.sign(got), np.sign(ref))  # orientation kept


def test_simplex_det_of_the_unit_simplices():
    assert simplex_det(np.array([[0.0, 1, 0], [0, 0, 1]]), np.array([[0], [1], [2]]))[0] == 1.0
    p = np.array([[0.0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert simplex_det(p, np.array([[0], [1], [2], [3]]))[0] == 1.0
    assert simplex_det(p, np.array([[0], [2], [1], [3]]))[0] == -1.0
