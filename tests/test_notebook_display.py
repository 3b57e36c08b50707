"""A Run in a real Jupyter kernel (nbclient): the cell's output is the compact player, self-contained."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def test_a_run_shows_itself_as_the_player_in_a_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import weightflow as wf\n"
        "run = wf.train(wf.MLP([2, 3, 1], activation='tanh'), 'xor', lr=0.05, steps=60, record_every=10,\n"
        "               test_size=0, progress=False, diagnose=False)\n"
        "run")]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    html = next(o["data"]["text/html"] for o in outputs if o.get("output_type") == "execute_result")
    assert "weightflowPlayer" in html and "application/json" in html  # the player and its data, inline
    assert "<script src=" not in html and "http://" not in html and "https://" not in html  # nothing fetched
