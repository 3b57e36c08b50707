"""``weightflow plot RUN_DIR``: every picture of a stored run into ``RUN_DIR/figures`` (never compiles JAX).

A population run gets the population pictures; a sweep folder (summary.csv) its success rates."""

from __future__ import annotations

import click

from ..viz.pictures import PICTURES, POPULATION_PICTURES


@click.command("plot")
@click.argument("run_dir", metavar="RUN_DIR")
@click.option("--what", default="all", show_default=True, metavar="LIST",
              help=f"Comma-separated pictures: {','.join(PICTURES)}; for a population run "
                   f"{','.join(POPULATION_PICTURES)} "
                   "(default: all that apply to the run).")
@click.option("--format", "fmt", default="png", show_default=True, metavar="FMT",
              help="Still pictures as png, svg or pdf (the movie is always GIF and MP4).")
@click.option("--out", default=None, metavar="DIR", help="Output folder (default RUN_DIR/figures).")
@click.option("--frame", default=-1, show_default=True, type=int,
              help="Frame for the boundary, boundaries, mistakes and diagram (0 = initial weights, -1 = last).")
@click.option("--inputs", default=None, metavar="I,J",
              help="Input indices (0-based) spanning the boundary/mistakes/data plane; others held at their mean.")
@click.option("--weights", default=None, metavar="I,J",
              help="Entries of W1 drawn alone in the grouped trajectories (the rest averaged; default 0,1); "
                   "for a population, the W1 entries of the weight distribution (default: each W pooled).")
@click.option("--log", is_flag=True, help="Loss curves on a log scale.")
@click.option("--labels", default="auto", show_default=True, metavar="KIND",
              help="Diagram labels: names (w1..wn, seed 004's numbering), values, both, none, auto.")
@click.option("--fps", default=None, type=float, help="Movie frames per second (default: about 12 s of movie).")
@click.option("--member", default=None, type=int, metavar="M",
              help="For a population run: draw member M's single-run pictures (into RUN_DIR/figures/member-M).")
def command(run_dir, what, fmt, out, frame, inputs, weights, log, labels, fps, member):
    """Draw the pictures of a stored run: weight movie, trajectories, curves, decision boundary,
    mistakes, network diagram, data. A population run gets population curves, weight distributions,
    overlaid boundaries, success rate and neurons as particles; a sweep folder its success rates.

    \b
    weightflow plot runs/demo                              everything that applies
    weightflow plot runs/xor --what boundary --frame 0     the boundary before training
    weightflow plot runs/demo --what trajectories --weights 0,1 --format svg
    weightflow plot runs/xor-pop                           a population's pictures
    weightflow plot runs/xor-pop --member 3                member 3 as a single run
    weightflow plot runs/xor-widths --what success         a sweep's success rates
    """
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")  # files only; chosen here, never when the library is imported

    from ..errors import bad_input
    from ..run import load_run
    from ..viz import FORMATS, parse_what, render_all, render_sweep
    from ..viz._common import parse_int_list

    names = parse_what(what)  # bad names fail before the run is read
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise bad_input("--format", "one of " + ", ".join(FORMATS), fmt, "e.g. --format svg")
    if not Path(run_dir).is_dir():
        raise bad_input("RUN_DIR", "a run directory (the --out of weightflow train)", run_dir,
                        "check the path, e.g. weightflow plot runs/demo")
    if (Path(run_dir) / "summary.csv").is_file() and not (Path(run_dir) / "run.json").exists():
        if member is not None:
            raise bad_input("--member", "a population run folder", "a sweep folder", "plot one of its run folders")
        render_sweep(run_dir, Path(out) if out else None, names, fmt, echo=lambda p: click.echo(f"wrote {p}"))
        return 0
    run = load_run(run_dir)
    inputs = parse_int_list(inputs, "--inputs", "--inputs 0,1")
    weights = parse_int_list(weights, "--weights", "--weights 0,1")
    target = Path(out) if out else Path(run_dir) / "figures" / (f"member-{member}" if member is not None else "")
    written = render_all(run, target, names, fmt, frame=frame, inputs=inputs, weights=weights, log=log,
                         labels=labels, fps=fps, member=member, echo=lambda p: click.echo(f"wrote {p}"))
    if not written:
        click.echo("nothing to draw")
    return 0
