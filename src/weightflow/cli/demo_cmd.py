"""``weightflow demo``: seed 001's experiment, the README's main job."""

from __future__ import annotations

import click
import numpy as np

from .options import load_engine
from .train_cmd import exit_code, print_summary


@click.command("demo")
@click.option("--out", default="runs/demo", show_default=True, metavar="DIR", help="Run directory.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--open", "open_", is_flag=True, help="Open the report page in the web browser.")
def command(out, seed, quiet, open_):
    """Seed 001: logistic regression on 2-D data hidden in 15-D, Adam lr 1e-4, 30000 steps.

    The label depends on x1 only. Training pushes W[0] (x1) up and W[1] (x2) to about 0. The 13
    noise coordinates are tiny (std 0.01), so their weights hardly change the output and do not
    shrink: Adam's per-weight steps make them drift and grow (mean |w| from about 0.3 to about
    1.8) while contributing almost nothing, the "mass shuffling" of the notebook. Writes the run directory and its report
    page (OUT/report.html) and prints the page's path.
    """
    from ..datasets import load
    from ..model import MLP
    train = load_engine()

    data = load("linear-embedded", seed=seed)
    click.echo(f"data: {data.description}")
    run = train(MLP([data.n_features, 1]), data, optimizer="adam", lr=1e-4, steps=30000, record_every=40,
                test_size=0.2, seed=seed, progress=False if quiet else None, out=out, force=True)
    print_summary(run, out)
    w = np.asarray(run.params[0])[:, 0]
    w0 = np.asarray(run.initial_params[0])[:, 0]
    rest = np.abs(w[1:])
    click.echo(f"weights: W[0] (x1) {w0[0]:+.3f} -> {w[0]:+.3f}; W[1] (x2) {w0[1]:+.3f} -> {w[1]:+.3f}; "
               f"13 noise weights mean |w| {np.abs(w0[2:]).mean():.3f} -> {rest[1:].mean():.3f}; "
               f"bias {run.params[1][0]:+.3f}")
    from ..report import write_report
    from ..report.findings import findings_of
    from .report_cmd import open_in_browser

    page = write_report(run, f"{out}/report.html", findings_of(run), source=out)
    click.echo(f"report: {page}")
    if open_:
        open_in_browser(page)
    return exit_code(run)
