"""Command line: ``ntransport run CASE.yaml [--out DIR]``.

::

    ntransport run geometries/peo_vs_plm.yaml            # -> ntransport-out/peo_vs_plm/
    ntransport run case.yaml --out /tmp/x --quiet
    ntransport check case.yaml                           # validate only
    ntransport materials                                 # list parameter sets
    ntransport studies                                   # list study kinds

Exit status: 0 on success, 2 for a bad case file or option (the message names the
key and how to fix it), 1 for a failed run (e.g. a solver that did not converge).
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
    p = argparse.ArgumentParser(
        prog="ntransport",
        description="Finite-element ion transport in solid-state battery electrolytes.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a YAML case file, writing VTU, PNG and CSV")
    run.add_argument("case", help="path of the YAML case file")
    run.add_argument("--out", default=None,
                     help="output folder (default: ntransport-out/<case file name>)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("-v", "--verbose", action="store_true", help="debug log on stderr")
    chk = sub.add_parser("check", help="validate a case file without running it")
    chk.add_argument("case")
    sub.add_parser("materials", help="list the material parameter sets")
    sub.add_parser("studies", help="list the study kinds")
    return p


def _progress_bar(quiet: bool):
    """A progress callback drawing a tqdm bar on stderr (None when quiet)."""
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=1, unit="step", file=sys.stderr, leave=True, dynamic_ncols=True,
               disable=None)  # off when stderr is not a terminal

    def progress(done, total, message):
        bar.total = total
        bar.n = done
        bar.set_description(message[:60])
        bar.refresh()

    return progress, bar.close


def _log_to(path: Path, verbose: bool):
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    fh = logging.FileHandler(path, mode="w", encoding="utf-8")
    fh.setFormatter(fmt)
    fh.setLevel(logging.INFO)
    root = logging.getLogger("ntransport")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.addHandler(fh)
    handlers = [fh]
    if verbose:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(fmt)
        root.addHandler(sh)
        handlers.append(sh)
    return handlers


def _run(args) -> int:
    from .studies.registry import load_case, run_case

    case = load_case(args.case)
    out = Path(args.out) if args.out else Path("ntransport-out") / Path(args.case).stem
    out.mkdir(parents=True, exist_ok=True)
    handlers = _log_to(out / "run.log", args.verbose)
    progress, close = _progress_bar(args.quiet)
    t0 = time.perf_counter()
    try:
        log.info("case %s (study %s) -> %s", Path(args.case).resolve(), case.kind, out.resolve())
        table = run_case(case, out, progress=progress)
        log.info("finished in %.1f s\n%s", time.perf_counter() - t0, table.to_markdown())
    finally:
        close()
        root = logging.getLogger("ntransport")
        for h in handlers:
            root.removeHandler(h)
            h.close()
    files = sorted(p.name for p in out.iterdir())
    print(f"ntransport: wrote {len(files)} files to {out}/ in {time.perf_counter() - t0:.1f} s:")
    print("  " + ", ".join(files))
    _print_headline(table)
    return 0


def _print_headline(table):
    rows = [r for r in table if r.quantity in ("effective_conductivity",
                                                "area_specific_resistance")]
    cases = list(dict.fromkeys(r.case for r in rows))
    for c in cases:
        s = table.value(c, "effective_conductivity")
        asr = table.value(c, "area_specific_resistance")
        print(f"  {c}: sigma_eff = {s * 10:.4g} mS/cm, ASR = {asr * 1e4:.4g} ohm cm2")


def main(argv=None) -> int:
    """Entry point of the ``ntransport`` command."""
    from .errors import ConfigError, GeometryError, MaterialError, MeshError, NtransportError

    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            from .studies.registry import load_case

            case = load_case(args.case)
            print(f"{args.case}: valid '{case.kind}' case.")
            return 0
        if args.command == "materials":
            from . import materials

            from .constants import F
            from .materials import Material

            print(f"{'name':20s} {'sigma [mS/cm]':>13s} {'at [degC]':>9s} {'Ea [eV]':>7s} "
                  f"{'t+':>6s}  source")
            for name in materials.available():
                m = materials.get(name)
                src = m.citation.split(",")[0] + ", " + m.citation.split("'")[-1].strip(" ,")[:48]
                if isinstance(m, Material):
                    ea = "-" if m.activation_energy is None else f"{m.activation_energy / F:.3f}"
                    print(f"{name:20s} {m.conductivity_ref * 10:13.4g} {m.T_ref - 273.15:9.1f} "
                          f"{ea:>7s} {m.transference:6.3f}  {src}")
                else:
                    print(f"{name:20s} {'(solid)':>13s} {'':9s} {'':7s} {'':6s}  {src}")
            return 0
        if args.command == "studies":
            from .studies.registry import study_kinds

            for k in study_kinds().values():
                print(f"{k.name:16s} {k.doc}")
            return 0
    except (ConfigError, MaterialError, GeometryError, MeshError, KeyError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"ntransport: error: {msg}", file=sys.stderr)
        return 2
    except NtransportError as exc:  # ConvergenceError and other run failures
        print(f"ntransport: failed: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
