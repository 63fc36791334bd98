"""Shared checks for the geometry builder tests."""
import numpy as np
import pytest


def _assert_conforming(domain):
    """Every facet with one element is on a named outer boundary (no hanging nodes,
    no cracks), and every named interface facet is shared by two elements of
    different subdomains."""
    f2t = domain.mesh.f2t
    outer = np.nonzero(f2t[1] < 0)[0]
    named = np.concatenate([domain.facets(n) for n in ("anode", "cathode", "sides")])
    assert np.setdiff1d(outer, named).size == 0
    assert np.unique(named).size == named.size  # anode/cathode/sides are disjoint
    for name in domain.interfaces:
        f = domain.facets(name)
        assert f.size > 0
        assert np.all(f2t[1, f] >= 0)
        assert np.all(domain.region[f2t[0, f]] != domain.region[f2t[1, f]])


@pytest.fixture
def assert_conforming():
    return _assert_conforming
