"""``weightflow report RUN_DIR``: the run's self-contained HTML page with a frame player (never compiles JAX)."""

from __future__ import annotations

import click


def open_in_browser(path) -> None:
    import webbrowser
    from pathlib import Path

    webbrowser.open(Path(path).resolve().as_uri())


@click.command("report")
@click.argument("run_dir", metavar="RUN_DIR")
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              help="Where to write the page [default: RUN_DIR/report.html].")
@click.option("--open", "open_", is_flag=True, help="Open the page in the web browser.")
def command(run_dir, output, open_):
    """Write one HTML page for a run: a frame player over every recorded frame (weights, decision
    boundary, network, curves), what was run and how to run it again. It works from a file, with no
    network. A sweep folder (summary.csv) gets its summary page and one page per grid point.

    \b
    weightflow report runs/demo                    runs/demo/report.html
    weightflow report runs/xor -o xor.html --open
    weightflow report runs/xor-widths              a sweep: its table, picture and a page per run
    """
    from pathlib import Path

    from ..errors import bad_input
    from ..report import write_report, write_sweep_report
    from ..report.findings import findings_of
    from ..report.sweep_page import is_sweep_dir
    from ..run import load_run

    d = Path(run_dir)
    if is_sweep_dir(d):
        path = write_sweep_report(d, output, echo=lambda p: click.echo(f"wrote {p}"))
    elif (d / "run.json").is_file():
        run = load_run(d)
        path = write_report(run, output or d / "report.html", findings_of(run), source=str(d))
    else:
        raise bad_input("RUN_DIR", "a run directory (run.json) or a sweep directory (summary.csv)", str(d),
                        "pass the --out folder of weightflow train, demo or sweep")
    click.echo(f"report: {path}")
    if open_:
        open_in_browser(path)
    return 0
