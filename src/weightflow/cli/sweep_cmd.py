"""``weightflow sweep``: a grid of populations from a TOML file or flags."""

from __future__ import annotations

import click

from .options import parse_lr, parse_numbers


@click.command("sweep")
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--data", default=None, help="Dataset (instead of a config file).")
@click.option("--hidden", default=None, help="Widths of one hidden layer to compare, e.g. 1,2,3,4.")
@click.option("--activation", default=None, help="Activations to compare, e.g. relu,tanh.")
@click.option("--lr", default=None, help="Learning rates (one program), e.g. 1e-3,1e-2.")
@click.option("--optimizer", default=None)
@click.option("--steps", default=None, type=int)
@click.option("--init-scale", default=None, help="Factors on the initial weights (one program), e.g. 0.5,1,2.")
@click.option("--population", default=None, type=int, help="Members (seeds) per grid point.")
@click.option("--test-size", default=None, type=float)
@click.option("--out", required=True, metavar="DIR", help="Folder for the runs and summary.csv.")
@click.option("--force", is_flag=True, help="Replace the earlier sweep in --out.")
@click.option("--quiet", "-q", is_flag=True)
def command(config, data, hidden, activation, lr, optimizer, steps, init_scale, population, test_size, out, force,
            quiet):
    """Train a grid of populations and summarise success rates and speed of learning.

    CONFIG is a TOML file (see experiments/); flags override or replace it.
    """
    from ..experiment import read
    from ..sweep import run_sweep

    cfg = read(config) if config else {}
    for section in ("data", "model", "train", "success"):
        cfg.setdefault(section, {})
    if data:
        cfg["data"]["name"] = data
    if test_size is not None:
        cfg["data"]["test_size"] = test_size
    if hidden:
        from .options import parse_hidden

        cfg["model"]["hidden"] = [[w] for w in parse_hidden(hidden)]
    if activation:
        cfg["model"]["activation"] = activation.split(",")
    if init_scale:
        cfg["model"]["init_scale"] = parse_numbers(init_scale, "--init-scale", "0.5")
    if lr:
        value = parse_lr(lr)
        cfg["train"]["lr"] = value if isinstance(value, list) else [value]
    for key, value in (("optimizer", optimizer), ("steps", steps), ("population", population)):
        if value is not None:
            cfg["train"][key] = value
    run_sweep(cfg, out, progress=False if quiet else None, echo=click.echo, force=force)
    click.echo(f"written to {out} (summary.csv and one population run per program)")
