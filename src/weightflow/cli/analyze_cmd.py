"""``weightflow analyze``: the dynamics lab's analyses of stored runs, each a number and a picture."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("analyze")
def command():
    """Analyses of training dynamics: a picture and numbers (--json) per analysis.

    \b
    weightflow analyze implicit-bias runs/gd runs/adam
    weightflow analyze landscape runs/gd runs/adam
    weightflow analyze mean-field --out teacher.png
    """


def load(run_dir, member=None):
    """A stored run (member ``member`` of a population), with one-line errors for a bad path."""
    from ..errors import bad_input
    from ..run import load_run

    if not Path(run_dir).is_dir():
        raise bad_input("RUN_DIR", "a run directory (the --out of weightflow train)", run_dir,
                        "check the path, e.g. weightflow analyze implicit-bias runs/demo")
    run = load_run(run_dir)
    if member is not None:
        run = run.member(member)
    return run


def finish(display, numbers, out, default_out, as_json, text_lines):
    """Save the picture (``out`` or ``default_out``) and print the numbers as JSON or text lines."""
    import matplotlib

    matplotlib.use("Agg")
    path = Path(out) if out else Path(default_out)
    path.parent.mkdir(parents=True, exist_ok=True)
    display.savefig(path)
    if as_json:
        click.echo(json.dumps({**numbers, "picture": str(path)}, indent=2, allow_nan=False, default=_plain))
    else:
        for line in text_lines:
            click.echo(line)
        click.echo(f"wrote {path}")
    return 0


def _plain(value):
    import math

    import numpy as np

    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.ndim else _plain(value.item())
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


_json_option = click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
_member_option = click.option("--member", default=None, type=int, metavar="M",
                              help="For a population run: analyse member M.")


@command.command("implicit-bias")
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN_DIR [RUN_DIR...]")
@click.option("--compare", "compare", multiple=True, metavar="RUN_DIR2",
              help="Another run drawn beside the first (as a second RUN_DIR does); repeat for more.")
@click.option("--relevant", default="0,1", show_default=True, metavar="I,J",
              help="Input indices (0-based) that carry the label; the others count as irrelevant.")
@click.option("--method", default="qp", show_default=True, type=click.Choice(["qp", "svm"]),
              help="Max-margin solver: the exact QP (scipy) or a hard-margin linear SVM (scikit-learn).")
@_member_option
@_json_option
@click.option("--out", default=None, metavar="PNG", help="Picture path (default RUN_DIR/figures/implicit-bias.png).")
def implicit_bias(run_dirs, compare, relevant, method, member, as_json, out):
    """GD's direction against the max-margin separator (Soudry et al. 2018), on a linear classifier.

    \b
    Direction error to the L2 (and L-infinity) max-margin direction, normalised margin, and the
    irrelevant inputs' weights (mean |w| and share of |w|), at every frame against log step; several
    runs (GD and Adam on the same data) are drawn side by side in one picture.

    \b
    weightflow analyze implicit-bias runs/demo --relevant 0
    weightflow analyze implicit-bias runs/gd runs/adam --json
    weightflow analyze implicit-bias runs/population --member 3
    """
    from ..analysis.implicit_bias import ImplicitBias

    dirs = [*run_dirs, *compare]
    runs = [load(d, member) for d in dirs]
    display = ImplicitBias.from_run(runs[0], compare=runs[1:], relevant=relevant, method=method,
                                    labels=labels(runs, dirs, member))
    sums = display.summaries()
    lines = []
    for d, s in zip(dirs, sums):
        lines.append(f"{s['label']} ({d}): max margin {s['max_margin']:.4g}; irrelevant share of |w| at the L2 max "
                     f"margin {s['max_margin_irrelevant_share']:.3f}, at the L-inf max margin "
                     f"{s['linf_irrelevant_share']:.3f}")
        lines.append("  step        dir error  L-inf err  margin     mean|w irr|  share")
        for r in s["at"]:
            lines.append(f"  {r['step']:<10,d}  {_f(r['direction_error'])}  {_f(r['linf_direction_error'])}  "
                         f"{_f(r['margin'])}  {_f(r['irrelevant_mean_abs'])}    {_f(r['irrelevant_share'])}")
    return finish(display, {"runs": sums}, out, Path(dirs[0]) / "figures" / "implicit-bias.png", as_json, lines)


def labels(runs, dirs, member) -> list[str]:
    """Legend labels: optimizer and learning rate, with the member, and the directory where two would
    be the same."""
    from ..analysis.implicit_bias import run_label

    out = [run_label(r) + ("" if member is None else f", member {member}") for r in runs]
    return [f"{lab} ({Path(d).name})" if out.count(lab) > 1 else lab for lab, d in zip(out, dirs)]


def _f(v) -> str:
    return f"{v:<9.4g}" if v is not None else "nan      "


@command.command("mean-field")
@click.option("--width", default=20, show_default=True, type=int, help="Student neurons m.")
@click.option("--teachers", default=3, show_default=True, type=int, help="Teacher neurons m0.")
@click.option("--inputs", default=15, show_default=True, type=int, help="Inputs n on the unit circle.")
@click.option("--steps", default=10_000, show_default=True, type=int, help="Gradient-descent steps.")
@click.option("--lr", default=0.5, show_default=True, type=float, help="Step (mean-field scaling: times m).")
@click.option("--weight-decay", default=1e-3, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--sweep", default="2,4,8,16,32,64", show_default=True, metavar="M,M,...",
              help="Widths of the width sweep (empty: no sweep).")
@_json_option
@click.option("--out", default="mean-field.png", show_default=True, metavar="PNG", help="Picture path.")
def mean_field(width, teachers, inputs, steps, lr, weight_decay, seed, sweep, as_json, out):
    """Teacher-student ReLU network (Chizat & Bach): the student's neurons, as particles, gather on
    the teacher's directions; a width sweep of the long-time loss with its log-log slope.

    \b
    weightflow analyze mean-field --width 20 --steps 10000 --json
    """
    from ..analysis.mean_field import TeacherStudent, teacher_student, width_sweep
    from ..viz._common import parse_int_list

    result = teacher_student(width, teachers, inputs, steps, lr, weight_decay, seed=seed)
    widths = parse_int_list(sweep, "--sweep", "--sweep 2,4,8,16") if sweep.strip() else None
    sw = width_sweep(widths, m0=teachers, n=inputs, steps=steps, lr=lr, weight_decay=weight_decay) if widths else None
    display = TeacherStudent.from_run(result, sw)
    nums = display.numbers()
    lines = [f"{nums['width']} students, {nums['teachers']} teachers, {nums['inputs']} inputs, "
             f"{nums['steps']:,} steps: loss {nums['loss']:.4g} (fit {nums['fit']:.3g}); {nums['heavy_particles']} particles with mass, "
             f"largest angle to a teacher {nums['max_heavy_angle']:.3f} rad; mass within 0.1 rad of a teacher "
             f"{nums['mass_on_teachers']:.1%}"]
    if sw is not None:
        lines.append("width sweep: " + ", ".join(f"m={w}: {f:.3g}" for w, f in zip(sw["widths"], sw["fit"]))
                     + f"; log-log slope {sw['slope']:.2f}")
    return finish(display, nums, out, out, as_json, lines)


@command.command("landscape")
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN_DIR [RUN_DIR...]")
@click.option("--directions", default="pca", show_default=True, type=click.Choice(["pca", "random"]),
              help="Plane: top two principal directions of the frames, or random filter-normalised ones.")
@click.option("--resolution", default=41, show_default=True, type=int, help="Grid points per side.")
@_member_option
@_json_option
@click.option("--out", default=None, metavar="PNG", help="Picture path (default RUN_DIR/figures/landscape.png).")
def landscape(run_dirs, directions, resolution, member, as_json, out):
    """The loss on the plane of the recorded path's top two principal directions, the path on it.

    \b
    Several runs of the same network (optimizers, seeds) share one plane, through the first run's
    last frame; the loss is the first run's, on its training data.

    \b
    weightflow analyze landscape runs/gd runs/adam --json
    """
    from ..analysis.landscape import Landscape

    runs = [load(d, member) for d in run_dirs]
    display = Landscape.from_run(runs[0], runs[1:], directions=directions, resolution=resolution)
    nums = display.numbers()
    ev = nums["explained_variance"]
    lines = [f"plane: {directions}" + (f" (PC1 {ev[0]:.1%}, PC2 {ev[1]:.1%} of the path's variance)"
                                       if directions == "pca" else ""),
             f"loss at the centre {nums['centre_loss']:.4g}, on the plane from {nums['min_loss']:.4g} "
             f"to {nums['max_loss']:.4g}"]
    lines += [f"  {r['label']}: start ({r['start'][0]:.3g}, {r['start'][1]:.3g}) -> end ({r['end'][0]:.3g}, "
              f"{r['end'][1]:.3g})" for r in nums["runs"]]
    return finish(display, nums, out, Path(run_dirs[0]) / "figures" / "landscape.png", as_json, lines)


@command.command("svgd")
@click.option("--kernel", "kernels", default="rbf,linear", show_default=True, metavar="K[,K]",
              help="Kernels to run side by side: rbf (median bandwidth h = med^2 / log(n + 1)), linear.")
@click.option("--particles", default=100, show_default=True, type=int)
@click.option("--steps", default=1000, show_default=True, type=int)
@click.option("--step-size", default=None, type=float, help="Step (default 0.2 for rbf, 0.05 for linear).")
@click.option("--seed", default=0, show_default=True, type=int)
@_json_option
@click.option("--out", default="svgd.png", show_default=True, metavar="PNG", help="Picture path.")
def svgd(kernels, particles, steps, step_size, seed, as_json, out):
    """Stein variational gradient descent on a 2-D Gaussian: interacting particles spread over the
    target (how much of its variance they recover; the linear kernel matches mean and covariance).

    \b
    weightflow analyze svgd --kernel rbf,linear --particles 100 --json
    """
    from ..analysis.svgd import SVGDParticles, gaussian_demo
    from ..errors import bad_input

    if particles < 2 or steps < 1:
        raise bad_input("--particles/--steps", "at least 2 particles and 1 step", (particles, steps),
                        "e.g. --particles 100 --steps 1000")
    demos = [gaussian_demo(k.strip(), particles, steps, step_size, seed) for k in kernels.split(",") if k.strip()]
    display = SVGDParticles.from_run(*demos)
    nums = display.numbers()
    lines = [f"{r['kernel']}: {r['particles']} particles, {r['steps']:,} steps: mean error {r['mean_error']:.2g}, "
             f"covariance error {r['cov_error']:.2g}, variance recovered {r['variance_share']:.1%}"
             for r in nums["runs"]]
    return finish(display, nums, out, out, as_json, lines)
