"""Command line: ``ntransport run CASE.yaml [--out DIR]``.

::

    ntransport run geometries/peo_vs_plm.yaml            # -> ntransport-out/peo_vs_plm/
    ntransport run case.yaml --out /tmp/x --reduced      # the reduced size the tests use
    ntransport run case.yaml --out /tmp/x --resume       # continue an interrupted run
    ntransport check case.yaml                           # validate and resolve, no solve
    ntransport materials [NAME]                          # parameter sets and citations
    ntransport studies                                   # list study kinds
    ntransport --version

Every run writes the same artifact set (``summary.csv``, PNGs, VTU/PVD, ``run.json``,
``run.log``) into its folder, and only when it succeeds.

Exit status: 0 on success; 2 for bad input (a case file, option or mesh the message
names, with how to fix it); 1 for a failed run (a solver that did not converge...).
Errors are one line; ``--debug`` adds the traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

log = logging.getLogger("ntransport")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(
        prog="ntransport",
        description="Finite-element ion transport in solid-state battery electrolytes.",
    )
    p.add_argument("--version", action="version", version=f"ntransport {__version__}")
    p.add_argument("--debug", action="store_true", help="print tracebacks of errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a YAML case file, writing its artifact set")
    run.add_argument("case", help="path of the YAML case file")
    run.add_argument("--out", default=None,
                     help="output folder (default: ntransport-out/<case name>)")
    run.add_argument("--reduced", action="store_true",
                     help="apply the case file's 'reduced:' overrides (smaller, faster)")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted run from the checkpoints in --out")
    run.add_argument("--length-unit", choices=("m", "um"), default="m",
                     help="coordinates of the VTU/PVD files (default m)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    run.add_argument("-v", "--verbose", action="store_true", help="debug log on stderr")
    run.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="print tracebacks")
    chk = sub.add_parser("check", help="validate a case file and resolve its inputs, no solve")
    chk.add_argument("case")
    chk.add_argument("--reduced", action="store_true")
    chk.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    mat = sub.add_parser("materials", help="list the material parameter sets, or show one")
    mat.add_argument("name", nargs="?", default=None)
    mat.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    st = sub.add_parser("studies", help="list the study kinds")
    st.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def _run(args, argv) -> int:
    from .studies.registry import load_case, run_case

    case = load_case(args.case, reduced=args.reduced)
    out = Path(args.out) if args.out else Path("ntransport-out") / case.name
    if args.verbose:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(sh)
        log.setLevel(logging.DEBUG)
    t0 = time.perf_counter()
    result = run_case(case, out, progress=not args.quiet, resume=args.resume,
                      argv=["ntransport", *argv], length_unit=args.length_unit)
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    print(f"ntransport: wrote {len(files)} files to {out}/ in {time.perf_counter() - t0:.1f} s:")
    print("  " + ", ".join(files))
    for line in _headline(result.summary):
        print("  " + line)
    return 0


def _headline(table, n: int = 8):
    """The first few summary rows, for the console."""
    rows = list(table)[:n]
    return [f"{r.case}: {r.quantity}{' (' + r.region + ')' if r.region else ''} = "
            f"{r.value:.4g} {r.unit}" for r in rows]


def _materials(name) -> int:
    from . import materials
    from .constants import F
    from .materials import Material

    if name is not None:
        m = materials.get(name)
        print(f"{name}")
        if isinstance(m, Material):
            ea = "-" if m.activation_energy is None else f"{m.activation_energy / F:.4g} eV"
            print(f"  conductivity   {m.conductivity_ref * 10:.4g} mS/cm at "
                  f"{m.T_ref - 273.15:.4g} degC")
            print(f"  activation     {ea}")
            print(f"  transference   {m.transference:.4g}")
            for f in ("concentration", "permittivity"):
                if getattr(m, f, None) is not None:
                    print(f"  {f:14s} {getattr(m, f):.4g} (SI)")
        else:
            for f in ("density", "molar_mass", "youngs_modulus", "poisson_ratio"):
                if getattr(m, f, None) is not None:
                    print(f"  {f:14s} {getattr(m, f):.4g} (SI)")
        print(f"  citation       {m.citation}")
        if getattr(m, "note", ""):
            print(f"  note           {m.note}")
        return 0
    print(f"{'name':20s} {'sigma [mS/cm]':>13s} {'at [degC]':>9s} {'Ea [eV]':>7s} "
          f"{'t+':>6s}  source")
    for n in materials.available():
        m = materials.get(n)
        src = m.citation.split(",")[0] + ", " + m.citation.split("'")[-1].strip(" ,")[:48]
        if isinstance(m, Material):
            ea = "-" if m.activation_energy is None else f"{m.activation_energy / F:.3f}"
            print(f"{n:20s} {m.conductivity_ref * 10:13.4g} {m.T_ref - 273.15:9.1f} "
                  f"{ea:>7s} {m.transference:6.3f}  {src}")
        else:
            print(f"{n:20s} {'(solid)':>13s} {'':9s} {'':7s} {'':6s}  {src}")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``ntransport`` command."""
    from .errors import ConvergenceError, NtransportError

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args, argv)
        if args.command == "check":
            from .studies.registry import check_case, load_case

            case = load_case(args.case, reduced=args.reduced)
            check_case(case)
            print(f"{args.case}: valid '{case.kind}' case ({case.name}); inputs resolved.")
            return 0
        if args.command == "materials":
            return _materials(args.name)
        if args.command == "studies":
            from .studies.registry import study_kinds

            for k in study_kinds().values():
                print(f"{k.name:20s} {k.doc}")
            return 0
    except KeyboardInterrupt:
        print("ntransport: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line, the right code; --debug for the traceback
        bad_input = isinstance(exc, (ValueError, KeyError, FileNotFoundError, TypeError)) \
            and not isinstance(exc, ConvergenceError)
        if isinstance(exc, NtransportError) and not isinstance(exc, ValueError):
            bad_input = False
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        kind = "error" if bad_input else "failed"
        print(f"ntransport: {kind}: {msg}", file=sys.stderr)
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        elif not isinstance(exc, NtransportError):
            print(f"  ({type(exc).__name__}; rerun with --debug for the traceback)",
                  file=sys.stderr)
        return 2 if bad_input else 1
    return 2  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
