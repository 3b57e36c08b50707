"""``weightflow run EXPERIMENT``: a notebook's experiment from its TOML file, in one command."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("run")
@click.argument("experiment", required=False, metavar="[EXPERIMENT]")
@click.option("--out", default=None, metavar="DIR", help="Run directory [default: runs/NAME].")
@click.option("--steps", default=None, type=int, help="Override the file's step count (e.g. a quick try).")
@click.option("--quick", is_flag=True, help="The file's quick variant ([quick]: a few steps, a small population).")
@click.option("--force", is_flag=True, help="Replace the earlier run in --out.")
@click.option("--list", "list_", is_flag=True, help="List the project's experiments.")
@click.option("--from", "from_", default=None, metavar="RUN_DIR", help="Print RUN_DIR's config as an experiment file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def command(experiment, out, steps, quick, force, list_, from_, quiet):
    """Train an experiment file (or one of experiments/ by name), write its run and report page, and
    print our numbers beside the notebook's ([notebook] expected).

    \b
    weightflow run --list
    weightflow run mass-shuffle-adam                 seed 001, into runs/mass-shuffle-adam
    weightflow run experiments/xor-tanh.toml --steps 200
    weightflow run --from runs/xor > xor.toml        any run as a file that makes it again
    """
    from .. import experiment as ex

    if list_:
        for name, note in ex.names():
            click.echo(f"{name:<28} {note}")
        return 0
    if from_ is not None:
        from ..run import load_run

        click.echo(ex.to_toml(load_run(from_).config, Path(from_).name), nl=False)
        return 0
    if experiment is None:
        raise click.UsageError("Missing EXPERIMENT (a TOML file or a name from --list).")
    path = ex.locate(experiment)
    cfg = ex.read(path)
    cfg = ex.with_length(ex.quick(cfg) if quick else cfg, steps)
    out = out or f"runs/{cfg.get('name', path.stem)}"
    if ex.is_sweep(cfg):
        from ..sweep import point_metrics, run_sweep

        rows = run_sweep(cfg, out, progress=False if quiet else None, echo=click.echo, force=force)
        _beside_notebook(cfg, point_metrics(rows))
        click.echo(f"written to {out} (summary.csv and one population run per program)")
        return 0
    return _single(ex, cfg, out, force, quiet)


def _single(ex, cfg: dict, out: str, force: bool, quiet: bool) -> int:
    from ..model import MLP
    from ..report import write_report
    from ..report.findings import findings_of
    from .options import load_engine
    from .train_cmd import exit_code, print_summary

    train = load_engine()
    mlp, kw = ex.train_kwargs(cfg)
    run = train(MLP(**mlp), kw.pop("data"), out=out, force=force, progress=False if quiet else None,
                **{k: v for k, v in kw.items() if v is not None})
    print_summary(run, out)
    _beside_notebook(cfg, run.metrics)
    click.echo(f"report: {write_report(run, f'{out}/report.html', findings_of(run), source=out)}")
    return exit_code(run)


def _beside_notebook(cfg: dict, metrics: dict) -> None:
    for key, want in cfg.get("notebook", {}).get("expected", {}).items():
        got = metrics.get(key)
        click.echo(f"{key}: {'-' if got is None else f'{got:.4f}'} (the notebook reports {want:g})")
