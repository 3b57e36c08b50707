"""``weightflow runs [FOLDER]``: the runs in a folder, one line each; ``--show RUN_DIR``: one run's summary."""

from __future__ import annotations

from pathlib import Path

import click


def _line(path: Path) -> str:
    """``NAME  STATUS  MODEL  STEPS  ACCURACY`` for a run that loads, or what is wrong with it."""
    from ..errors import WeightflowError
    from ..run import load_run

    try:
        run = load_run(path)
    except WeightflowError as e:
        return f"{path.name:<32} damaged: {e}"
    acc = run.metrics.get("train_accuracy")
    acc_text = "-" if acc is None or acc != acc else f"{acc:.4f}"
    members = f" x{run.population}" if run.population is not None else ""
    resumable = "  (resumable: --resume)" if (path / "checkpoint").is_dir() else ""
    return (f"{path.name:<32} {run.status:<11} {str(run.model) + members:<48} {run.metrics.get('steps')} steps  "
            f"train accuracy {acc_text}{resumable}")


@click.command("runs")
@click.argument("folder", default="runs", metavar="[FOLDER]")
@click.option("--show", "show", default=None, metavar="RUN_DIR", help="Show one run's summary again.")
def command(folder, show):
    """List the runs in FOLDER (default runs/): status, model, steps, final train accuracy; killed runs that
    left a checkpoint are listed as resumable."""
    from ..errors import bad_input

    if show is not None:
        from ..run import load_run
        from .train_cmd import print_summary

        print_summary(load_run(show), show)
        return 0
    root = Path(folder)
    if not root.is_dir():
        raise bad_input("FOLDER", "a folder of runs", folder, "e.g. weightflow runs runs/")
    found = 0
    for path in sorted(p for p in root.iterdir() if p.is_dir()):
        if (path / "run.json").is_file():
            click.echo(_line(path))
            found += 1
        elif path.name.startswith(".") and ".partial-" in path.name and (path / "checkpoint" / "state.npz").is_file():
            dest = path.name[1:].split(".partial-")[0]
            click.echo(f"{dest:<32} killed      (resumable: weightflow train --resume {root / dest})")
            found += 1
    if not found:
        click.echo(f"no runs in {root}")
    return 0
