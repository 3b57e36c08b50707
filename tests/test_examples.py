"""The example notebooks (examples/*.ipynb): each runs top to bottom in quick mode in a real Jupyter
kernel, shows its figures and its run inline, and is committed stripped and built from its source."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
SEEDS = ("000", "001", "002", "003", "004")


def _build_module():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import build
    finally:
        sys.path.remove(str(EXAMPLES))
    return build


def test_there_is_one_notebook_per_seed():
    assert [p.name[:3] for p in NOTEBOOKS] == list(SEEDS)
    assert all((EXAMPLES / "source" / f"{p.stem}.py").is_file() for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_stripped_and_built_from_its_source(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert all(not c.metadata for c in nb.cells)  # no execution timings or widget state left behind
    built = _build_module().notebook_of(EXAMPLES / "source" / f"{path.stem}.py")
    assert [(c.cell_type, c.source) for c in built.cells] == [(c.cell_type, c.source) for c in nb.cells], \
        "rebuild it: python examples/build.py"
    assert "QUICK" in code[0].source and "WEIGHTFLOW_QUICK" in code[0].source  # the parameter cell first


def _fake_mnist(folder: Path) -> Path:
    """A tiny mnist.npz (Keras' layout) of random digits, so the cells guarded by the files run too."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    images = lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)  # noqa: E731
    np.savez(folder / "mnist.npz", x_train=images(200), y_train=np.arange(200) % 10,
             x_test=images(50), y_test=np.arange(50) % 10)
    return folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_in_quick_mode(path, tmp_path, monkeypatch):
    monkeypatch.setenv("WEIGHTFLOW_QUICK", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # whatever a notebook writes to a temporary folder
    monkeypatch.setenv("WEIGHTFLOW_DATA", str(_fake_mnist(tmp_path / "data")))  # 002's real-MNIST cells run
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises on any failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    movies = [o for o in outputs if "image/gif" in o.get("data", {})]
    assert len(images) >= 5, "the figures render inline"
    if path.name[:3] in ("000", "001"):
        assert movies, "run.animate() plays inline"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    if path.name[:3] == "002":
        assert "no MNIST here" not in text and "mnist-logistic: validation" in text  # the guarded cells ran
    last = nb.cells[-1]
    html = next(o["data"]["text/html"] for o in last.outputs if "text/html" in o.get("data", {}))
    assert "weightflowPlayer" in html  # the run shows itself as the compact player
