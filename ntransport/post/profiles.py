r"""A nodal field along the centre line between the electrodes (pure function).

The line runs through the centre of the domain's bounding box, parallel to the
coordinate axis closest to the anode-to-cathode direction
(:func:`ntransport.post.effective.electrode_axis`), from the anode side to the
cathode side; the field is interpolated with the P1 basis
(:func:`ntransport.io.figures.sample_line`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["centre_line_profile"]


def centre_line_profile(domain, nodal_values, *, electrodes=("anode", "cathode"), n=200):
    """``(s, u)``: distance from the anode side [m] and the field at *n* points.

    Examples
    --------
    >>> s, phi = centre_line_profile(domain, result.potential,
    ...                              electrodes=result.electrodes)  # doctest: +SKIP
    """
    from ..io.figures import sample_line
    from .effective import electrode_axis

    axis, _, _ = electrode_axis(domain, electrodes)
    lo, hi = domain.bounds[:, 0], domain.bounds[:, 1]
    centre = 0.5 * (lo + hi)
    k = int(np.argmax(np.abs(axis)))
    start, end = centre.copy(), centre.copy()
    start[k], end[k] = (lo[k], hi[k]) if axis[k] > 0 else (hi[k], lo[k])
    return sample_line(domain, nodal_values, start, end, n)
