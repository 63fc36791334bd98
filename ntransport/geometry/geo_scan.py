"""Is a mesh file safe to hand to gmsh? Checks made in Python before gmsh parses it.

A ``.geo`` file is a gmsh *program*: besides geometry it can run shell commands
(``SystemCall``), write files (``Printf(...) > "f"``, ``Save``, ``Print``,
``CreateDir``), end the Python process (``Exit``: measured, gmsh 4.15 exits with code
0 from inside ``gmsh.open``) or stall it (``Sleep``). :func:`scan_geo` tokenises the
file as gmsh's lexer does (comments, strings, identifiers; gmsh ``Parser/Gmsh.l``) and
refuses every such directive (:data:`GEO_REFUSED`, taken from the ``Command`` rule of
``Parser/Gmsh.y``), following ``Include``/``Merge`` of other ``.geo`` files; a file
directive with a computed name is refused, since it cannot be checked.

:func:`check_msh_header` refuses a ``.msh`` that is not one, or whose ASCII sections
declare more entries than the file can hold (gmsh would try to allocate for them).
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import MeshError, SecurityError

__all__ = ["GEO_REFUSED", "GEO_GENERAL_OK", "scan_geo", "check_msh_header", "how_to_mesh"]

#: .geo directives refused before gmsh parses a file (gmsh 4.15 grammar, Parser/Gmsh.y:
#: the ``Command`` rule and the lexer keywords), with what each would do
GEO_REFUSED = {
    "SystemCall": "runs a shell command",
    "NonBlockingSystemCall": "runs a shell command",
    "System": "runs a shell command",
    "Shell": "runs a shell command",
    "OnelabRun": "starts an external program",
    "OnelabAction": "drives external ONELAB programs",
    "Plugin": "runs a gmsh plugin (some write files)",
    "Save": "writes a file",
    "Print": "writes a file",
    "CreateDir": "creates a folder",
    "SendToServer": "sends data to a server",
    "Exit": "ends the Python process",
    "Sleep": "stalls the run",
    "SetNumber": "sets ONELAB/solver parameters",
    "SetString": "sets ONELAB/solver parameters",
    "Solver": "configures external solver programs",
}
#: General.* options a .geo may set (others can change where gmsh writes or how it exits)
GEO_GENERAL_OK = {"Terminal", "Verbosity", "NumThreads", "ExpertMode", "Tolerance"}
_GEO_FILE_DIRECTIVES = ("Include", "Merge", "MergeWithBoundingBox", "ShapeFromFile",
                        "ListFromFile")
_GEO_TOKENS = re.compile(r"""
    (?P<ws>\s+) | (?P<line>//[^\n]*) | (?P<block>/\*.*?\*/) | (?P<open>/\*) |
    (?P<str>"[^"]*"|'[^']*') | (?P<bad_str>["']) |
    (?P<id>[A-Za-z_][A-Za-z0-9_]*) | (?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?) |
    (?P<op>>>|.)""", re.S | re.X)


def how_to_mesh(path: Path) -> str:
    return (f"check the file and mesh it yourself -- gmsh {path.name} -2 (or -3) -format msh4 "
            f"-o {path.stem}.msh -- then give the .msh instead")


def _geo_tokens(text: str, path: Path):
    line = 1
    for m in _GEO_TOKENS.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind in ("open", "bad_str"):
            raise MeshError(f"{path.name} line {line}: unterminated "
                            f"{'comment' if kind == 'open' else 'string'}; not a valid .geo file.")
        if kind not in ("ws", "line", "block"):
            yield kind, tok, line
        line += tok.count("\n")


def scan_geo(path, *, _depth: int = 0) -> list[Path]:
    """Refuse a ``.geo`` file (and the ``.geo`` files it includes) that could run a
    command, write a file, end or stall the process (:data:`GEO_REFUSED`, ``Printf``
    into a file, ``General.*`` options other than :data:`GEO_GENERAL_OK`, a file
    directive whose path is not a plain string). Returns the files scanned.

    Raises
    ------
    SecurityError
        Naming the file, the line, the directive, what it would do and how to mesh the
        file yourself.
    """
    path = Path(path)
    if _depth > 16:
        raise SecurityError(f"{path.name}: .geo files include each other more than 16 levels "
                            "deep (a cycle?).")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MeshError(f"cannot read {str(path)!r}: {exc.strerror or exc}.") from None
    toks = list(_geo_tokens(text, path))
    scanned = [path]

    def refuse(line, what):
        raise SecurityError(
            f"{path.name} line {line}: {what}. ntransport does not let a mesh file run "
            f"commands or write files; {how_to_mesh(path)}.")

    for i, (kind, tok, line) in enumerate(toks):
        if kind != "id":
            continue
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if tok in GEO_REFUSED:
            refuse(line, f"{tok!r} {GEO_REFUSED[tok]}")
        if tok == "General" and nxt == ".":
            opt = toks[i + 2][1] if i + 2 < len(toks) else ""
            if opt not in GEO_GENERAL_OK:
                refuse(line, f"option 'General.{opt}' can change where gmsh writes or how it "
                             "exits")
        if tok == "Printf":  # Printf(...) > "file" / >> "file" writes a file
            depth, j = 0, i + 1
            while j < len(toks) and toks[j][1] != ";":
                depth += toks[j][1] == "("
                depth -= toks[j][1] == ")"
                if depth == 0 and toks[j][1] in (">", ">>"):
                    refuse(line, "'Printf(...) > file' writes a file")
                j += 1
        if tok in _GEO_FILE_DIRECTIVES:
            j = i + 1
            while j < len(toks) and toks[j][1] == "(":
                j += 1
            arg = toks[j] if j < len(toks) else None
            end = toks[j + 1][1] if j + 1 < len(toks) else ""
            if arg is None or arg[0] != "str" or end not in (";", ")"):
                refuse(line, f"{tok!r} with a computed file name (only a plain \"file\" "
                             "string can be checked)")
            target = (path.parent / arg[1][1:-1])
            if target.suffix.lower() == ".geo" or tok == "Include":
                if not target.is_file():
                    raise MeshError(f"{path.name} line {line}: {tok} {arg[1]}: file not found "
                                    f"({target}).")
                scanned += scan_geo(target, _depth=_depth + 1)
    return scanned


def check_msh_header(path: Path) -> None:
    """Cheap sanity check of a gmsh ``.msh`` file before gmsh allocates for it: an ASCII
    file must declare no more nodes/elements than its size can hold."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.lstrip().startswith(b"$MeshFormat"):
        raise MeshError(f"{path.name}: not a gmsh .msh file (it does not start with "
                        "$MeshFormat); export the mesh from gmsh as .msh v2 or v4.")
    try:
        fmt = head.split(b"\n")[1].split()
        binary = int(fmt[1]) == 1
        v4 = fmt[0].startswith(b"4")
    except (IndexError, ValueError):
        raise MeshError(f"{path.name}: unreadable $MeshFormat line; export the mesh from "
                        "gmsh as .msh v2 or v4.") from None
    if binary:
        return
    for section in (b"$Nodes", b"$Elements"):
        k = head.find(section + b"\n")
        if k < 0:
            continue
        line = head[k + len(section) + 1:].split(b"\n")[0].split()
        try:  # v4: numEntityBlocks numEntries minTag maxTag; v2: numEntries
            declared = float(line[1] if v4 else line[0]) if line else 0.0
        except (ValueError, IndexError):
            raise MeshError(f"{path.name}: malformed {section.decode()} header "
                            f"{line!r}.") from None
        if declared > size / 2:  # every ASCII entry takes more than 2 bytes
            raise MeshError(f"{path.name}: the {section.decode()} section declares "
                            f"{declared:.3g} entries, more than a file of {size} bytes can "
                            "hold; the file is truncated or corrupt.")


