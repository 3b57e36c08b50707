"""``weightflow reproduce``: every experiment file once, the notebook's numbers beside ours, as a page."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("reproduce")
@click.option("--quick", is_flag=True, help="The quick variants ([quick] of each file): seconds, not judged.")
@click.option("--only", multiple=True, metavar="NAME", help="Only these experiments (repeatable, or a comma list).")
@click.option("--out", default=None, metavar="DOCFILE",
              help="The page to write [default: docs/REPRODUCTION.md; with --quick RUNS/REPRODUCTION-quick.md].")
@click.option("--runs", default="runs/reproduce", show_default=True, metavar="DIR",
              help="Where the runs go, one folder per experiment (an earlier reproduction there is replaced).")
def command(quick, only, out, runs):
    """Run every experiment of experiments/ (or --only some) and write the reproduction page: per
    experiment the notebook's figure, ours, the threshold, pass or FAIL, and the time it took here.
    Exit code 1 when an experiment misses its threshold.

    \b
    weightflow reproduce                         all of them, into docs/REPRODUCTION.md
    weightflow reproduce --quick                 every file still trains (seconds each)
    weightflow reproduce --only patterns --only xor-tanh --out /tmp/r.md
    """
    from ..reproduce import failed, markdown, run_all

    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    outcomes = run_all(names or None, quick=quick, runs=runs, echo=click.echo)
    page = Path(out or (Path(runs) / "REPRODUCTION-quick.md" if quick else "docs/REPRODUCTION.md"))
    page.parent.mkdir(parents=True, exist_ok=True)
    part = page.with_name(f".{page.name}.partial")
    part.write_text(markdown(outcomes, quick))
    part.replace(page)
    click.echo(f"written to {page}")
    bad = failed(outcomes)
    if bad:
        click.echo(f"below the threshold: {', '.join(bad)}", err=True)
    return 1 if bad else 0
