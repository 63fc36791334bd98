"""One mechanism per job: one module factorises, one Newton, one time-step controller,
one module draws figures (CONTRIBUTING.md)."""
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[3] / "ntransport"


def _grep(pattern, *, allow):
    hits = []
    rx = re.compile(pattern)
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG).as_posix()
        if rel in allow:
            continue
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if rx.search(code):
                hits.append(f"{rel}:{i}: {line.strip()}")
    return hits


def test_only_the_linear_layer_factorises():
    hits = _grep(r"\b(spsolve|splu|spilu|factorized|cholesky|pypardiso|linalg\.solve)\b",
                 allow={"solve/linear.py"})
    assert hits == [], "sparse factorisations outside solve/linear.py:\n" + "\n".join(hits)


def test_one_newton_and_one_time_step_controller():
    newtons = _grep(r"def _?newton\b", allow={"solve/newton.py"})
    assert newtons == [], "\n".join(newtons)
    loops = _grep(r"def (bdf_steps|_?time_loop|_?integrate)\b", allow={"solve/stepping.py"})
    assert loops == [], "\n".join(loops)


def test_only_the_style_module_chooses_a_backend_or_renders():
    hits = _grep(r"matplotlib\.use\(|pv\.Plotter\(|pyvista\.Plotter\(|off_screen",
                 allow={"io/style.py"})
    assert hits == [], "\n".join(hits)
