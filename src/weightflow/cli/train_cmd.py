"""``weightflow train``: train one model and write its run directory.

Exit codes: 0 completed, 1 diverged, 2 bad input (one line on stderr), 130 interrupted (Ctrl-C or
SIGTERM; the run directory is still written, with status ``interrupted``)."""

from __future__ import annotations

import time

import click
import numpy as np
from click.core import ParameterSource

from ..errors import bad_input
from .options import load_engine, model_options, parse_hidden, parse_lr, parse_numbers
from .rule_options import rule_option_values, rule_options

# flag -> (experiment file section, key, how the flag's text becomes the file's value)
_FLAG_KEYS = {
    "test_size": ("data", "test_size", None), "standardize": ("data", "standardize", None),
    "validation_split": ("data", "validation_split", None),
    "hidden": ("model", "hidden", parse_hidden), "activation": ("model", "activation", None),
    "output": ("model", "output", None), "loss": ("model", "loss", None), "init": ("model", "init", None),
    "bias_init": ("model", "bias_init", None), "no_bias": ("model", "bias", lambda v: not v),
    "init_scale": ("model", "init_scale", lambda v: parse_numbers(v, "--init-scale", "0.5")),
    "optimizer": ("train", "optimizer", None), "lr": ("train", "lr", parse_lr), "steps": ("train", "steps", None),
    "epochs": ("train", "epochs", None), "batch_size": ("train", "batch_size", None),
    "record_every": ("train", "record_every", None), "eval_every": ("train", "eval_every", None),
    "population": ("train", "population", None), "seed": ("train", "seed", None),
    "l1": ("train", "l1", None), "l2": ("train", "l2", None),
}


def _data_optional(cmd):
    """--data is required unless --resume is given (checked in the command)."""
    for p in cmd.params:
        if p.name == "data":
            p.required = False
    return cmd


@_data_optional
@click.command("train")
@model_options
@click.option("--optimizer", default="adam", show_default=True, help="gd, sgd, adam, nadam, rmsprop; gradient-free: random-walk, metropolis, langevin, es, one-plus-one-es; particles: svgd (with --population; see docs/gradient-free.md, docs/dynamics.md).")
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
@click.option("--validation-split", default=None, type=float, metavar="F",
              help="Carve this fraction of the training set off for validation (as Keras' fit; history gets "
                   "val_loss and val_accuracy).")
@click.option("--l1", default=None, type=float, metavar="RATE",
              help="Add RATE * sum |W| over the weight matrices to the loss (Keras' l1 kernel_regularizer).")
@click.option("--l2", default=None, type=float, metavar="RATE",
              help="Add RATE * sum W^2 over the weight matrices to the loss (Keras' l2 kernel_regularizer).")
@click.option("--config", default=None, metavar="FILE",
              help="An experiment file (or a name from 'weightflow run --list'); flags given here override it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, summary only.")
@click.option("--verbose", "-v", is_flag=True, help="Also say where the settings came from and how many "
                                                    "programs were compiled.")
@rule_options
@click.pass_context
def command(ctx, data, resume, out, force, quiet, verbose, config, **flags):
    """Train a model and record every weight as it goes.

    \b
    weightflow train --data moons --hidden 8 --steps 2000
    weightflow train --config experiments/xor-tanh.toml --lr 0.05     the file, with lr 0.05
    """
    if resume is not None:
        run = load_engine()(None, None, resume=resume, progress=False if quiet else None)
        print_summary(run, resume)
        return exit_code(run)
    if data is None and config is None:
        raise click.UsageError("Missing option '--data' (or --config FILE, or --resume DIR).")
    given = given_flags(ctx)
    cfg = flag_config({**flags, "data": data}, given, _file_config(config) if config else None)
    if verbose and config is not None:
        click.echo(f"settings from {config}; overridden here: {', '.join(_flag_names(given)) or 'none'}")
    from .. import experiment as ex

    mlp, kw = ex.train_kwargs(cfg)
    dataset = kw.pop("data")
    if out is None:  # a new folder, reserved now: two runs started in the same second never share one
        from ..record import reserve_new

        stem = cfg.get("name") or dataset.name.replace(":", "-").replace("/", "_")
        out = reserve_new(f"runs/{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    from ..model import MLP

    train = load_engine()
    run = train(MLP(**mlp), dataset, progress=False if quiet else None, out=out, force=force,
                **{k: v for k, v in kw.items() if v is not None})
    print_summary(run, out)
    if verbose and "compiled_programs" in run.metrics:
        cached = run.metrics.get("programs_from_cache", 0)
        click.echo(f"compiled programs: {run.metrics['compiled_programs']}" + (f" ({cached} from the cache)" if cached else ""))
    return exit_code(run)


_UNSET = (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
_NOT_SETTINGS = {"resume", "out", "force", "quiet", "verbose", "config"}


def given_flags(ctx) -> set[str]:
    """The settings given on the command line (or the environment), not left at their defaults."""
    return {n for n in ctx.params if n not in _NOT_SETTINGS and ctx.get_parameter_source(n) not in _UNSET}


def _flag_names(names) -> list[str]:
    return sorted("--" + n.replace("_", "-") for n in names)


def _file_config(config: str) -> dict:
    from .. import experiment as ex

    cfg = ex.read(ex.locate(config))
    if ex.is_sweep(cfg):
        raise bad_input("--config", "an experiment of one configuration", config,
                        f"it is a sweep: run it with weightflow run {config}")
    return cfg


def flag_config(values: dict, given: set[str], cfg: dict | None = None) -> dict:
    """The experiment configuration (sections data, model, train) of ``train``'s flags: ``cfg`` (an
    experiment file's) with the ``given`` flags replacing its values, or, without a file, every flag's
    value (defaults included). A new --data drops the file's dataset options, a new --optimizer its
    optimizer options; --steps replaces the file's --epochs and the other way round."""
    if cfg is None:
        cfg, given = {}, set(values)
    cfg = {**cfg, **{k: dict(cfg.get(k, {})) for k in ("data", "model", "train")}}
    for name, (section, key, convert) in _FLAG_KEYS.items():
        if name in given:
            cfg[section][key] = values[name] if convert is None else convert(values[name])
    told = {k for k in ("steps", "epochs") if k in given and values[k] is not None}
    if len(told) == 1:  # a length given replaces the file's other one (both given: train() refuses)
        cfg["train"][({"steps", "epochs"} - told).pop()] = None
    _data_flags(cfg["data"], values, given)
    options = {} if "optimizer" in given else dict(cfg["train"].get("options") or {})
    if "momentum" in given and values["momentum"] is not None:
        options["momentum"] = values["momentum"]
    if "nesterov" in given and values["nesterov"]:
        options["nesterov"] = True
    options.update(rule_option_values(cfg["train"].get("optimizer", "adam"), values))
    cfg["train"]["options"] = options
    return cfg


def _data_flags(data: dict, values: dict, given: set[str]) -> None:
    from ..datasets import parse_options

    if "data" in given:
        data["name"], data["options"] = values["data"], {}
    options = dict(data.get("options", {}))
    if "data_options" in given:
        options.update(parse_options(data["name"], list(values["data_options"])))
    if "label" in given and values["label"] is not None:
        if not data["name"].startswith("csv:"):
            raise bad_input("--label", "a csv:PATH dataset", data["name"], "drop --label, or use --data csv:PATH")
        options["label"] = values["label"]
    data["options"] = options


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
    if "val_loss" in m:
        click.echo(f"val   loss {fmt(m['val_loss'])}  accuracy {fmt(m['val_accuracy'])}")
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
