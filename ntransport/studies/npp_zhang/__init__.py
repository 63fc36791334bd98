r"""The "npp_zhang" study: Nernst--Planck maps of Zhang et al. (SI, "Simulation of Li+
concentration, electric potential, anion concentration distribution", Figs. S26, S27, S35).

One ``run(case)`` for three comparisons (``comparison:`` in the case file):

* ``peo_vs_peomof`` -- PEO vs PEO/MOF in a 100 x 20 um cell;
* ``peo_vs_plm`` -- PEO vs the layered PLM (LLZO | PE | MOF) in a 20 x 5.6 um cell, with the
  zero-current equilibrium check and the potential along the central axis (Fig. S27);
* ``full_cell`` -- the electrolyte of an LFP | electrolyte | Li cell at a C-rate (Fig. S35).

**Electrolytes.** Each layer has a conductivity :math:`\sigma` (taken to the run's one
temperature by its activation energy) and a Li+ transference number :math:`t_+`. "According
to the Li+ transference number, anions were divided into two sets": free anions with the
normal diffusivity of the host, :math:`D_- = D_+(1-t_0)/t_0` (:math:`t_0` =
``host_transference``, PEO/LiTFSI), and immobilised anions (:math:`D=0`, a fixed charge)
-- a fraction :math:`\theta` with :math:`1-\theta = t_0(1-t_+)/((1-t_0)t_+)`;
:math:`D_+ = t_+\sigma RT/(F^2c_{Li})` (Nernst--Einstein on the mobile ions,
:func:`ntransport.physics.species.transference_split`). Li+ concentrations:
``concentrations: salt`` gives every layer the salt concentration; ``donnan`` the one in
Donnan equilibrium with a host layer at the salt concentration
(:func:`~ntransport.physics.species.donnan_concentration`), so a layered cell starts in
equilibrium (Donnan potentials at the interfaces; at zero current nothing moves).

**Two readings of the paper's driving condition** (the paper sets both "an overpotential
difference of 0.01 V" and "a Li+ flux of 0.01 mol m-2 s-1"; together they over-determine an
electroneutral cell):

* ``voltage`` -- 0.01 V between two reversible Li electrodes (Butler--Volmer with a large
  exchange current, concentration-dependent), run to steady state; the steady
  :math:`\Delta c` is checked against :func:`ntransport.physics.polarisation.steady_polarisation`;
* ``flux`` -- the Li+ flux in at the anode (top) and out at the cathode (bottom), anions
  blocked, until the electrolyte depletes somewhere (``depletion_fraction`` of the initial
  concentration of a mobile species): the depletion time is reported with
  :math:`\sqrt{Dt}` at that time against the thickness.

Optionally the full Poisson model (Debye layers resolved by a graded mesh, permittivity of
the material) runs next to electroneutrality for the ``flux`` reading of one electrolyte,
and the difference outside the Debye layers is reported.

Meshes are structured (:func:`ntransport.geometry.structured.layered_rectangle`, every
rectangle cut along the same diagonal): the 1D problems stay uniform along x to round-off.
Every transient run checkpoints to the study's CheckpointStore and resumes from it.

Modules: :mod:`.schema` (the case schema), :mod:`.electrolytes` (layers, materials, the
species split), :mod:`.cells` (mesh, NPP problem of each reading, Donnan equilibrium),
:mod:`.transient` (checkpointed runs, steady and depletion events), :mod:`.profiles`
(profiles at the nodes of the axis), :mod:`.readings` (the two readings),
:mod:`.layers` (zero-current check, voltage per layer), :mod:`.poisson` (Poisson against
electroneutrality), :mod:`.full_cell` (Fig. S35), :mod:`.figures` (every figure, through
:mod:`ntransport.io.style`), :mod:`.summary` (parameters with sources, general notes, the
per-layer rows). This module registers the study (:func:`run`, :func:`check`).
"""
from __future__ import annotations

from ...errors import ConfigError
from ...io.artifacts import distinct_slugs
from ...io.tables import SummaryTable
from ..registry import register_study
from .cells import build_cell, problem_for
from .electrolytes import electrolyte_species, resolve_electrolytes
from .figures import FIELDS  # noqa: F401 - importable from here as before
from .layers import zero_current_check
from .poisson import poisson_debye_length
from .profiles import axis
from .schema import COMPARISONS, FIXED, FREE, LAYER, LI, READINGS, SCHEMA  # noqa: F401

__all__ = ["SCHEMA", "run", "check", "electrolyte_species", "build_cell", "problem_for",
           "zero_current_check", "axis"]


def check(case):
    """Resolve materials (at the temperature) and the species split, without solving."""
    data = case.data
    if data["comparison"] == "full_cell" and data["full_cell"] is None:
        raise ConfigError("comparison: full_cell needs a 'full_cell' section (c_rate, "
                          "one_c_current, cathode_potential, i0_anode, i0_cathode).")
    if data["comparison"] != "full_cell" and not data["readings"]:  # [] drew 0 panels
        raise ConfigError(f"readings: the {data['comparison']!r} comparison needs at least one "
                          f"of {list(READINGS)}, got [].")
    if not 0 < data["depletion_fraction"] < 1:
        raise ConfigError(f"depletion_fraction must lie in (0, 1), got {data['depletion_fraction']!r}.")
    if not data["flux"] > 0:
        raise ConfigError(f"flux: the Li+ flux must be > 0 mol m-2 s-1, got {data['flux']!r}.")
    els = resolve_electrolytes(data)
    distinct_slugs(els, "electrolytes")  # their names name the runs' files
    if data["poisson"] is not None and data["poisson"]["electrolyte"] not in els:
        from ...errors import unknown_name

        raise unknown_name("poisson.electrolyte", data["poisson"]["electrolyte"], list(els),
                           exc=ConfigError)
    for name, layers in els.items():
        sp, _ = electrolyte_species(layers, T=data["temperature"], t0=data["host_transference"],
                                    c_salt=data["salt_concentration"],
                                    concentrations=data["concentrations"])
        if data["poisson"] is not None and name == data["poisson"]["electrolyte"]:
            poisson_debye_length(data, layers, sp)  # a layer with a bulk to compare
    return els


@register_study("npp_zhang", schema=SCHEMA, check=check,
                doc="Zhang et al. NPP maps: PEO vs PEO/MOF, PEO vs PLM, full cell")
def run(case, *, progress=True, checkpoints=None):
    """Nernst--Planck maps, profiles and numbers of one comparison (package docstring)."""
    from ..result import StudyResult
    from .full_cell import full_cell
    from .layers import equilibrium_checks, layer_voltages
    from .poisson import poisson_comparison
    from .readings import run_reading
    from .summary import record_inputs

    data = case.data
    els = check(case)
    res = StudyResult(case.name, SummaryTable())
    setup, tables = {}, {}
    for name, layers in els.items():
        sp, tables[name] = electrolyte_species(layers, T=data["temperature"],
                                               t0=data["host_transference"],
                                               c_salt=data["salt_concentration"],
                                               concentrations=data["concentrations"])
        setup[name] = (layers, sp)
    record_inputs(res, data, tables)
    if data["comparison"] == "full_cell":
        full_cell(res, data, setup, checkpoints=checkpoints, progress=progress)
        return res
    if data["comparison"] == "peo_vs_plm":
        equilibrium_checks(res, data, setup)
    finals = {reading: run_reading(res, reading, data, setup, checkpoints=checkpoints,
                                   progress=progress)
              for reading in data["readings"]}
    if data["comparison"] == "peo_vs_plm":
        layer_voltages(res, data, setup, finals)
    if data["poisson"] is not None:
        poisson_comparison(res, data, setup, finals.get("flux"), checkpoints=checkpoints,
                           progress=progress)
    return res
