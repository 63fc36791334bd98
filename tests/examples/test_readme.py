"""The README's Python examples run as written (the documentation must not rot)."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102
    if "sol" in namespace:  # the conduction example: series stack, exact answer
        sol = namespace["sol"]
        assert sol.current_share["LLZO"] == pytest.approx(0.05, rel=1e-9)
        assert (tmp_path / "stack.vtu").exists()
    if "domain" in namespace:
        assert set(namespace["domain"].boundaries) == {"anode", "cathode", "LLZO|PEO"}
    if "state" in namespace:
        assert max(namespace["state"].conservation.values()) < 1e-8
    if "props" in namespace:  # the image example: a slab, exact parallel / series values
        props = namespace["props"]
        assert props.sigma_eff["x"] == pytest.approx(0.055, rel=1e-6)
        assert props.sigma_eff["z"] == pytest.approx(1 / 55, rel=1e-6)
