"""``weightflow demo``: seed 001's experiment, the README's main job."""

from __future__ import annotations

import click
import numpy as np

from .train_cmd import exit_code, print_summary


@click.command("demo")
@click.option("--out", default="runs/demo", show_default=True, metavar="DIR", help="Run directory.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def command(out, seed, quiet):
    """Seed 001: logistic regression on 2-D data hidden in 15-D, Adam lr 1e-4, 30000 steps.

    The label depends on x1 only, so training should push W[0] up and shrink the 14 others
    (x2 and 13 noise coordinates) towards 0: the "mass shuffling" of the notebook.
    """
    from ..datasets import load
    from ..model import MLP
    from ..training import train

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
    return exit_code(run)
