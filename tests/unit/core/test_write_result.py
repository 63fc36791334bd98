"""write_result: the artifact set, with the solutions' VTK files written beside the figures."""
import numpy as np
import pytest

import ntransport as nt
from ntransport.io.artifacts import write_result
from ntransport.io.tables import SummaryTable
from ntransport.solution import Frame, Solution
from ntransport.studies.result import StudyResult


def _result():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = nt.geometry.layered_stack([("LLZO", 1e-6), ("PEO", 4e-6)], width=4e-6)
    x = d.mesh.p[0]
    frames = [Frame(t, d, {"phi [V]": t * x}) for t in (0.0, 0.5, 1.0)]
    sol = Solution(frames, histories={"t [s]": np.array([0.0, 0.5, 1.0]),
                                      "V [V]": np.array([0.0, 0.1, 0.2])}, model="npp")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return StudyResult("c", SummaryTable(), figures={"line": fig}, solutions={"run": sol})


def test_figures_and_solution_series_are_all_written(tmp_path):
    out = write_result(_result(), tmp_path)
    names = [p.name for p in out]
    assert names == ["summary.csv", "line.png", "run.pvd", "run_history.csv"]
    assert all(p.exists() for p in out)
    assert len(list((tmp_path / "run").glob("*.vtu"))) == 3
    assert (tmp_path / "line.png").stat().st_size > 0


def test_an_error_while_writing_a_solution_reaches_the_caller(tmp_path, monkeypatch):
    """The VTK files are written in a second thread; its failure is not swallowed."""
    res = _result()

    def broken(self, *a, **k):
        raise OSError("disk full (test)")

    monkeypatch.setattr(Solution, "to_pvd", broken)
    with pytest.raises(OSError, match="disk full"):
        write_result(res, tmp_path)
