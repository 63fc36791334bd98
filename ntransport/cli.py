"""Command line: ``ntransport run CASE.yaml [--out DIR]``.

::

    ntransport run geometries/peo_vs_plm.yaml            # -> ntransport-out/peo_vs_plm/
    ntransport run case.yaml --out /tmp/x --reduced      # the reduced size the tests use
    ntransport run case.yaml --out /tmp/x --resume       # continue an interrupted run
    ntransport run case.yaml --allow-geo                 # let the case mesh .geo files
    ntransport check case.yaml                           # validate and resolve, no solve
    ntransport materials [NAME]                          # parameter sets and citations
    ntransport studies                                   # list study kinds
    ntransport --version

Every run writes the same artifact set (``summary.csv``, PNGs, VTU/PVD, ``run.json``,
``run.log``) into its folder, and only when it succeeds.

Exit status: 0 on success; 2 for bad input (a case file, option, mesh file or output
folder the message names, with how to fix it; a request above a size limit); 1 for a
failed run (a solver that did not converge, a NaN in a result, out of memory...); 130
when interrupted. Errors are one line on stderr; ``--debug`` adds the traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser", "exit_code"]

log = logging.getLogger("ntransport")


def _workers(text: str) -> int:
    """``--workers``: the text as a worker count (studies.concurrent.check_workers)."""
    from .errors import ConfigError
    from .studies.concurrent import check_workers

    try:
        return check_workers(int(text))
    except (ValueError, ConfigError):
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None


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
                     help="output folder: new, empty, or an earlier run's (default: "
                          "ntransport-out/<case name>)")
    run.add_argument("--reduced", action="store_true",
                     help="apply the case file's 'reduced:' overrides (smaller, faster)")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted run from the checkpoints in --out")
    run.add_argument("--length-unit", choices=("m", "um"), default="m",
                     help="coordinates of the VTU/PVD files (default m)")
    run.add_argument("--workers", type=_workers, default=None, metavar="N",
                     help="run at most N of a study's independent runs at once (default: one "
                          "per core; 1: one after the other)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    run.add_argument("-v", "--verbose", action="store_true", help="debug log on stderr")
    run.add_argument("--allow-geo", action="store_true",
                     help="mesh .geo files the case names (a .geo is a gmsh script; without "
                          "this flag it is refused: mesh it yourself and give the .msh)")
    run.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="print tracebacks")
    chk = sub.add_parser("check", help="validate a case file and resolve its inputs, no solve")
    chk.add_argument("case")
    chk.add_argument("--reduced", action="store_true")
    chk.add_argument("--allow-geo", action="store_true", help="mesh .geo files the case names")
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
                      argv=["ntransport", *argv], length_unit=args.length_unit,
                      allow_geo=args.allow_geo, workers=args.workers)
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    print(f"ntransport: wrote {len(files)} files to {out}/ in {time.perf_counter() - t0:.1f} s:")
    print("  " + ", ".join(files))
    for line in _headline(result.summary):
        print("  " + line)
    return 0


def _headline(table, n: int = 10):
    """The first few summary rows for the console (mesh-size bookkeeping left out)."""
    rows = [r for r in table if not r.quantity.startswith("n_")]
    lines = [f"{r.case}: {r.quantity}{' (' + r.region + ')' if r.region else ''} = "
             f"{r.value:.4g}{'' if r.unit == '1' else ' ' + r.unit}" for r in rows[:n]]
    if len(table) > len(lines):
        lines.append(f"... {len(table) - len(lines)} more rows in summary.csv")
    return lines


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


def exit_code(exc: BaseException) -> int:
    """2 for bad input, 1 for a failed run, 130 for an interrupt (see the module doc)."""
    from .errors import NtransportError, ResultError

    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, ResultError):  # a computed NaN: the run failed, the input was fine
        return 1
    if isinstance(exc, NtransportError):
        return 2 if isinstance(exc, ValueError) else 1
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError,
                        PermissionError)):
        return 2  # a path the user gave
    if isinstance(exc, (ValueError, KeyError)) and not isinstance(exc, UnicodeError):
        return 2  # inputs are checked with ValueError / KeyError (unknown names)
    return 1


def _one_line(exc: BaseException) -> str:
    msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    if isinstance(exc, MemoryError):
        msg = ("out of memory" + (f" ({exc})" if str(exc) else "") +
               "; use a coarser mesh or a smaller problem")
    text = " ".join(str(msg).split()) or type(exc).__name__
    if isinstance(exc, OSError) and getattr(exc, "filename", None) and exc.filename not in text:
        text += f": {exc.filename}"
    return text


def main(argv=None) -> int:
    """Entry point of the ``ntransport`` command."""
    from .errors import NtransportError

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args, argv)
        if args.command == "check":
            from .studies.registry import check_case, load_case

            case = load_case(args.case, reduced=args.reduced)
            check_case(case, allow_geo=args.allow_geo)
            print(f"{args.case}: valid '{case.kind}' case ({case.name}); inputs resolved.")
            return 0
        if args.command == "materials":
            return _materials(args.name)
        if args.command == "studies":
            from .studies.registry import study_kinds

            for k in study_kinds().values():
                print(f"{k.name:20s} {k.doc}")
            return 0
    except BaseException as exc:  # one line, the right code; --debug for the traceback
        if isinstance(exc, SystemExit):
            raise
        code = exit_code(exc)
        if code == 130:
            print("ntransport: interrupted", file=sys.stderr)
            return 130
        kind = "error" if code == 2 else "failed"
        debug = getattr(args, "debug", False)
        tail = "" if isinstance(exc, NtransportError) or debug else \
            f" ({type(exc).__name__}; rerun with --debug for the traceback)"
        print(f"ntransport: {kind}: {_one_line(exc)}{tail}", file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exc()
        return code
    return 2  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
