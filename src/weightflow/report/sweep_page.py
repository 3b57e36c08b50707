"""The page of a sweep directory (``weightflow sweep --out DIR``): its success table and picture, and a
link to each grid point's run page (written next to it as ``LABEL/report.html``)."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from urllib.parse import quote

from ..errors import bad_input
from .page import _static, _template, write_report


def is_sweep_dir(path) -> bool:
    return (Path(path) / "summary.csv").is_file()


def _success_png(sweep_dir: Path) -> str | None:
    """The sweep's success-rate picture as a data: URI (matplotlib, Agg), or None when it cannot be drawn."""
    import matplotlib

    matplotlib.use("Agg")
    from ..errors import WeightflowError
    from ..viz import SuccessRate
    from ..viz._common import pyplot

    try:
        display = SuccessRate.from_sweep(sweep_dir).plot()
    except (WeightflowError, ValueError, KeyError):
        return None
    buf = io.BytesIO()
    display.figure_.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    pyplot().close(display.figure_)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt(cell: str) -> str:
    try:
        v = float(cell)
    except ValueError:
        return cell
    return f"{v:.4g}"


def build_sweep_report(sweep_dir, links: dict | None = None) -> str:
    """The sweep page as HTML. links: run label -> relative href of its page (default LABEL/report.html)."""
    sweep_dir = Path(sweep_dir)
    if not is_sweep_dir(sweep_dir):
        raise bad_input("report", "a run directory or a sweep directory with summary.csv", str(sweep_dir),
                        "pass the --out folder of weightflow train or weightflow sweep")
    with open(sweep_dir / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = list(rows[0]) if rows else []
    links = links if links is not None else {r["run"]: quote(r["run"]) + "/report.html" for r in rows
                                             if (sweep_dir / r["run"]).is_dir()}
    table = [[(_fmt(r[c]), links.get(r[c]) if c == "run" else None) for c in columns] for r in rows]
    sweep = {"title": sweep_dir.resolve().name, "columns": columns, "rows": table,
             "picture": _success_png(sweep_dir), "css": _static("player.css")}
    return _template().environment.get_template("sweep.html.j2").render(s=sweep)


def write_sweep_report(sweep_dir, path=None, *, echo=None) -> Path:
    """Write each grid point's run page and the sweep page (default ``SWEEP_DIR/report.html``)."""
    from ..run import load_run

    sweep_dir = Path(sweep_dir)
    html = build_sweep_report(sweep_dir)
    with open(sweep_dir / "summary.csv", newline="") as fh:
        labels = list(dict.fromkeys(r["run"] for r in csv.DictReader(fh)))
    for label in labels:
        if (sweep_dir / label / "run.json").is_file():
            page = write_report(load_run(sweep_dir / label), sweep_dir / label / "report.html",
                                source=str(sweep_dir / label))
            if echo:
                echo(page)
    out = Path(path) if path is not None else sweep_dir / "report.html"
    out.write_text(html, encoding="utf-8")
    return out
