"""Build the example notebooks from their sources: ``python examples/build.py``.

Each ``examples/source/NAME.py`` is a notebook written as a script in the "percent" format: a line
``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines are comments (``# text``).
The notebooks ``examples/NAME.ipynb`` are written without outputs or execution counts, which is how
they are committed (tests/test_examples.py checks both).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "source"
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def cells_of(text: str) -> list:
    """The notebook cells of a percent-format script (the text before the first marker is dropped)."""
    cells, kind, lines = [], None, []

    def close():
        body = "\n".join(lines).strip("\n")
        if kind == "code" and body:
            cells.append(nbformat.v4.new_code_cell(body))
        elif kind == "markdown" and body:
            md = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in body.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(md))

    for line in text.splitlines():
        if line.startswith("# %%"):
            close()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    close()
    return cells


def notebook_of(path: Path):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    nb.cells = cells_of(path.read_text())
    for i, cell in enumerate(nb.cells):  # stable ids, so a rebuild without changes is byte-identical
        cell["id"] = f"{path.stem[:3]}-{i:02d}"
    return nb


def build(out: Path = HERE) -> list[Path]:
    written = []
    for src in sorted(SOURCES.glob("*.py")):
        target = out / f"{src.stem}.ipynb"
        nbformat.write(notebook_of(src), target)
        written.append(target)
    return written


if __name__ == "__main__":
    for p in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
