"""The "npp_zhang" study kind: the source study's Nernst-Planck cases from a YAML file.

Case file::

    study: npp_zhang
    comparison: peo_vs_plm        # or peo_vs_peomof
    flux: 0.01                    # Li+ reaction flux [mol m-2 s-1] (no unit string)
    t_end: 1 ms
    temperature: 298.15 K
    ny: 80                        # elements across the thickness (graded at electrodes)

Writes ``<case>.vtu`` (c of every species, phi, fluxes split into diffusion and
migration, current density, space charge), ``potential_axis.png``/``.csv`` (potential
along the central axis, the paper's Fig. S27) and returns the summary (cell voltage,
voltage per layer, wall time, steps, Newton iterations, conservation error).
"""
from __future__ import annotations

import numpy as np

from ..config import Quantity, Section, Value
from ..io.tables import Row, SummaryTable
from . import npp_zhang
from .registry import register_study

SCHEMA = Section({
    "comparison": Value(str, choices=("peo_vs_plm", "peo_vs_peomof")),
    "flux": Value(float, default=0.01),
    "t_end": Quantity("time", default=1e-3, positive=True),
    "temperature": Quantity("temperature", default=298.15, positive=True),
    "ny": Value(int, default=80),
})


@register_study("npp_zhang", schema=SCHEMA, doc="Zhang et al. NPP: PEO vs PEO/MOF, PEO vs PLM")
def run_npp_zhang(case, out_dir, *, progress=None):
    from ..io.figures import plot_profile
    from ..io.vtk import write_vtu
    from ..post.transport import line_profile, transport_fields

    study = getattr(npp_zhang, case["comparison"])
    results = study(flux=case["flux"], t_end=case["t_end"], T=case["temperature"], ny=case["ny"])
    rows, profiles = [], {}
    for name, (pr, st, info) in results.items():
        fields = transport_fields(pr, st)
        point = {k: v for k, v in fields.items() if np.ndim(v) == 1}
        cell = {k: v for k, v in fields.items() if np.ndim(v) == 2}
        tag = name.replace("/", "-")
        write_vtu(out_dir / f"{tag}.vtu", pr.domain, point_data=point, cell_data=cell)
        d = pr.domain
        xm = 0.5 * (d.mesh.p[0].min() + d.mesh.p[0].max())
        s, v = line_profile(d, st.potential, [xm, d.mesh.p[1].min()], [xm, d.mesh.p[1].max()])
        profiles[name] = (s * 1e6, v)
        for k, val in info.items():
            rows.append(Row(name, k, float(val), ""))
        layers = [(r, 0) for r in d.region_names]
        thick = {r: float(np.ptp(d.mesh.p[1][np.unique(d.mesh.t[:, d.elements(r)])])) for r in d.region_names}
        lay = [(r, thick[r]) for r in sorted(d.region_names, key=lambda r: d.mesh.p[1][d.mesh.t[:, d.elements(r)]].mean())]
        for r, dv in npp_zhang.voltage_per_layer(pr, st, lay).items():
            rows.append(Row(name, "voltage_loss", dv, "V", r))
        del layers
    plot_profile(profiles, out_dir / "potential_axis.png", xlabel="distance from cathode [um]",
                 ylabel="potential [V]")
    with open(out_dir / "potential_axis.csv", "w") as f:
        f.write("case,s_um,phi_V\n")
        for name, (s, v) in profiles.items():
            for a, b in zip(s, v):
                f.write(f"{name},{a:.6g},{b:.8g}\n")
    return SummaryTable(rows)
