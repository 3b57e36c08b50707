"""The progress bar of a training run: rich's in a terminal, an HTML bar updated in place in a
Jupyter notebook (through IPython's display handles, so no widget library is needed).

A bar has ``update(done, info)``, ``echo(text)`` (a line above it) and ``stop()``.
"""

from __future__ import annotations

import html
import sys


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython with a kernel, not a terminal IPython)."""
    shell = sys.modules.get("IPython") and getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    return shell is not None and getattr(shell, "kernel", None) is not None


def make_bar(enabled: bool | None, total: int):
    """A bar over ``total`` steps, or None. ``enabled`` None: on in a terminal or a notebook."""
    notebook = in_notebook()
    if enabled is None:
        enabled = notebook or sys.stderr.isatty()
    if not enabled:
        return None
    return NotebookBar(total) if notebook else TerminalBar(total)


class TerminalBar:
    def __init__(self, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                             TimeRemainingColumn(), TextColumn("{task.fields[info]}"), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("train", total=total, info="")

    def update(self, done: int, info: str) -> None:
        self._bar.update(self._task, completed=done, info=info)

    def echo(self, text: str) -> None:
        self._bar.console.print(text)

    def stop(self) -> None:
        self._bar.stop()


class NotebookBar:
    """An HTML ``<progress>`` in the cell's output, replaced in place as training goes."""

    def __init__(self, total: int):
        from IPython.display import HTML, display

        self._html, self.total, self.done, self.info = HTML, total, 0, ""
        self._handle = display(self._render(), display_id=True)

    def _render(self):
        share = self.done / max(self.total, 1)
        return self._html(
            f'<div class="weightflow-progress"><progress value="{self.done}" max="{self.total}" '
            f'style="width:60%"></progress> <span>training {self.done:,} / {self.total:,} steps '
            f"({share:.0%}) {html.escape(self.info)}</span></div>")

    def update(self, done: int, info: str) -> None:
        self.done, self.info = done, info
        self._handle.update(self._render())

    def echo(self, text: str) -> None:
        print(text, file=sys.stderr)

    def stop(self) -> None:
        self._handle.update(self._html(""))  # like rich's transient bar: the summary stays, the bar goes
