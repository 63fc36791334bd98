"""Continuum percolation of conducting particles (metal in an interphase).

Pure numpy/scipy: sampling of overlapping or hard-core disks/spheres, ellipses /
spheroids and rods (`sampling`), exact overlap tests (`overlap`), anode-to-cathode
spanning from the contact graph (`connectivity`), threshold estimation with a
finite-size extrapolation (`threshold`), and the conductivity power law
``sigma = sigma_0 (V_f - V_p)^n`` with confidence intervals (`fit`).
"""
from .connectivity import Connectivity, connectivity, critical_count
from .fit import DEFAULT_FIT_3D, PowerLawFit, conductivity_law, fit_power_law, mixing_rule
from .overlap import contacts
from .sampling import Cell, Particles, sample_hard_core, sample_overlapping
from .shapes import Rod, Sphere, Spheroid
from .voxel import voxel_conductivity
from .threshold import (ThresholdEstimate, critical_densities, crossing_probability,
                        estimate_threshold)

__all__ = ["Sphere", "Spheroid", "Rod", "Cell", "Particles", "sample_overlapping",
           "sample_hard_core", "contacts", "Connectivity", "connectivity",
           "critical_count", "critical_densities", "crossing_probability",
           "ThresholdEstimate", "estimate_threshold", "PowerLawFit", "fit_power_law",
           "conductivity_law", "mixing_rule", "DEFAULT_FIT_3D", "voxel_conductivity"]
