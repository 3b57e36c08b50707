"""A Run in a real Jupyter kernel (nbclient): the cell's output is the compact player, self-contained."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def _execute(source: str, tmp_path, client=NotebookClient):
    """Run a one-cell notebook holding ``source`` in a real python3 kernel; returns (the cell, the client)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    runner = client(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    runner.execute()
    return nb.cells[0], runner


def test_a_run_shows_itself_as_the_player_in_a_notebook(tmp_path):
    cell, _ = _execute("import weightflow as wf\n"
                       "run = wf.train(wf.MLP([2, 3, 1], activation='tanh'), 'xor', lr=0.05, steps=60, record_every=10,\n"
                       "               test_size=0, progress=False, diagnose=False)\n"
                       "run", tmp_path)
    outputs = cell.outputs
    html = next(o["data"]["text/html"] for o in outputs if o.get("output_type") == "execute_result")
    assert "weightflowPlayer" in html and "application/json" in html  # the player and its data, inline
    assert "<script src=" not in html and "http://" not in html and "https://" not in html  # nothing fetched


class _Recording(NotebookClient):
    """Keeps every message the kernel sent, in order (nbclient folds display updates into the outputs)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def process_message(self, msg, cell, cell_index):
        self.seen.append((msg["msg_type"], msg.get("content", {})))
        return super().process_message(msg, cell, cell_index)


def test_training_in_a_notebook_shows_a_bar_that_moves(tmp_path):
    cell, client = _execute("import weightflow as wf\n"
                            "run = wf.train(wf.MLP([2, 3, 1], activation='tanh'), 'xor', lr=0.05, steps=400,\n"
                            "               record_every=10, test_size=0, diagnose=False, chunk_steps=100)\n"
                            "print(run.status)", tmp_path, _Recording)
    bars = [(t, c["data"].get("text/html", "")) for t, c in client.seen if t in ("display_data", "update_display_data")]
    assert bars[0][0] == "display_data" and 'value="0" max="400"' in bars[0][1]
    moved = [h for t, h in bars if t == "update_display_data" and "<progress" in h]
    assert [f'value="{v}"' in h for v, h in zip((100, 200, 300, 400), moved)] == [True] * 4
    assert bars[-1] == ("update_display_data", "")  # gone at the end, as rich's transient bar
    assert "completed" in "".join(o.get("text", "") for o in cell.outputs)


def test_a_picture_at_the_end_of_a_cell_shows_once(tmp_path):
    cell, _ = _execute("%matplotlib inline\nimport weightflow as wf\n"
                       "run = wf.train(wf.MLP([2, 3, 1], activation='tanh'), 'xor', lr=0.05, steps=60,\n"
                       "               record_every=10, test_size=0, progress=False, diagnose=False)\n"
                       "from weightflow.viz.curves import TrainingCurves\n"
                       "TrainingCurves.from_run(run)", tmp_path)
    images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
