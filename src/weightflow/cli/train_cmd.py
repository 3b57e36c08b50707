"""``weightflow train``: train one model and write its run directory.

Exit codes: 0 completed, 1 diverged, 2 bad input (one line on stderr), 130 interrupted (Ctrl-C or
SIGTERM; the run directory is still written, with status ``interrupted``)."""

from __future__ import annotations

import time

import click
import numpy as np

from .options import build_model, load_dataset, load_engine, model_options, parse_lr, parse_numbers
from .rule_options import rule_option_values, rule_options


def _data_optional(cmd):
    """--data is required unless --resume is given (checked in the command)."""
    for p in cmd.params:
        if p.name == "data":
            p.required = False
    return cmd


@_data_optional
@click.command("train")
@model_options
@click.option("--optimizer", default="adam", show_default=True, help="gd, sgd, adam, nadam, rmsprop; gradient-free: random-walk, metropolis, langevin (see docs/gradient-free.md).")
@click.option("--lr", default="1e-3", show_default=True,
              help="Learning rate; with --population, a comma list is a grid (one program).")
@click.option("--momentum", default=None, type=float, help="Momentum for sgd / rmsprop.")
@click.option("--nesterov", is_flag=True, help="Nesterov momentum for sgd.")
@click.option("--steps", default=None, type=int, help="Optimizer steps [default: 1000].")
@click.option("--epochs", default=None, type=int, help="Passes over the training data (instead of --steps).")
@click.option("--batch-size", default=None, type=int, help="Minibatch size [default: full batch].")
@click.option("--record-every", default=None, type=int, help="Steps between recorded frames [default: ~500 frames].")
@click.option("--eval-every", default=None, type=int, help="Steps between test evaluations [default: record-every].")
@click.option("--out", default=None, metavar="DIR", help="Run directory [default: runs/DATA-TIME, made unique].")
@click.option("--force", is_flag=True, help="Replace the earlier run in --out.")
@click.option("--resume", default=None, metavar="DIR",
              help="Continue the interrupted or killed run meant for DIR from its checkpoint (other flags ignored).")
@click.option("--population", default=None, type=int,
              help="Train P members at once (seeds SEED..SEED+P-1) in one compiled program.")
@click.option("--init-scale", default="1", show_default=True,
              help="Factor on every initial weight matrix; with --population, a comma list is a grid.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, summary only.")
@rule_options
def command(data, data_options, label, hidden, activation, output, loss, init, bias_init, no_bias, test_size,
            standardize, seed, optimizer, lr, momentum, nesterov, steps, epochs, batch_size, record_every,
            eval_every, out, force, resume, population, init_scale, quiet, **rule_flags):
    """Train a model and record every weight as it goes."""
    if resume is not None:
        run = load_engine()(None, None, resume=resume, progress=False if quiet else None)
        print_summary(run, resume)
        return exit_code(run)
    if data is None:
        raise click.UsageError("Missing option '--data' (or --resume DIR).")
    train = load_engine()

    lr = parse_lr(lr)
    init_scale = parse_numbers(init_scale, "--init-scale", "0.5")
    dataset = load_dataset(data, data_options, label)
    model = build_model(dataset, hidden, activation, output, init, bias_init, no_bias)
    opt_options = {}
    if momentum is not None:
        opt_options["momentum"] = momentum
    if nesterov:
        opt_options["nesterov"] = True
    opt_options.update(rule_option_values(optimizer, rule_flags))
    if out is None:  # a new folder, reserved now: two runs started in the same second never share one
        from ..record import reserve_new

        out = reserve_new(f"runs/{dataset.name.replace(':', '-').replace('/', '_')}-{time.strftime('%Y%m%d-%H%M%S')}")
    run = train(model, dataset, optimizer=optimizer, lr=lr, steps=steps, epochs=epochs, batch_size=batch_size,
                record_every=record_every, eval_every=eval_every, test_size=test_size, seed=seed, loss=loss,
                standardize=standardize, progress=False if quiet else None, optimizer_options=opt_options,
                population=population, init_scale=init_scale, out=out, force=force)
    print_summary(run, out)
    return exit_code(run)


def exit_code(run) -> int:
    """0 completed, 1 diverged, 130 interrupted (as a shell reports Ctrl-C)."""
    return {"completed": 0, "interrupted": 130}.get(run.status, 1)



def print_summary(run, path) -> None:
    """A few lines: model, status, steps and time, final metrics, where the run went."""
    m = run.metrics

    def fmt(v):
        return "-" if v is None or v != v else f"{v:.4f}"

    axes = run.config.axes()
    grid_text = f"; grid {' x '.join(f'{k} {v}' for k, v in axes.items())}" if axes else ""
    from ..optim import uses_lr

    lr_text = "" if "lr" in axes or not uses_lr(run.config.optimizer.name) else f" lr {run.config.optimizer.lr}"
    click.echo(f"{run.model}  {run.config.optimizer.name}{lr_text}{grid_text}")
    click.echo(f"status {run.status}: {m['steps']} steps in {m['seconds']:.2f} s, {len(run.steps)} frame{'s' * (len(run.steps) != 1)}")
    if run.population is not None:
        acc = run.member_metrics["train_accuracy"]
        diverged = sum(s == "diverged" for s in run.member_status)
        per, seed = run.config.population, run.config.seed
        points = f" = {run.population // per} grid points x {per}" if run.population != per else ""
        click.echo(f"population of {run.population}{points} (seeds {seed}..{seed + per - 1}"
                   f"{', sharded over %d devices' % run.config.devices if run.config.devices > 1 else ''}): "
                   f"medians below; {np.mean(acc >= 1.0):.0%} reach train accuracy 1.0, {diverged} diverged")
    click.echo(f"train loss {fmt(m['train_loss'])}  accuracy {fmt(m['train_accuracy'])}")
    click.echo(f"test  loss {fmt(m['test_loss'])}  accuracy {fmt(m['test_accuracy'])}")
    if run.status == "diverged" and run.population is None:
        from ..training import EXPLODED

        at = m.get("diverged_at_step")
        click.echo(f"the loss diverged (NaN/inf, or {EXPLODED:g} x its start) at step {at}: try a smaller --lr; "
                   "the frames before it are kept and the final weights are the last finite ones", err=True)
    elif run.status == "diverged":
        click.echo("every member diverged: try a smaller --lr", err=True)
    if run.status == "interrupted":
        click.echo(f"interrupted after {m['steps']} steps: the run so far is kept", err=True)
    click.echo(f"written to {path}")
