"""Pictures of a stored run, drawn with matplotlib and numpy only (never jax).

Every picture is a Display-style object: ``X.from_run(run, ...)`` computes what is drawn,
``.plot(ax=None)`` draws it and returns the object, which then holds ``figure_``; ``.savefig(path)``
writes it. The same object serves a notebook, a script and the report.

    from weightflow import load_run
    from weightflow.viz import DecisionBoundary, WeightMovie
    run = load_run("runs/xor")
    DecisionBoundary.from_run(run, frame=0).plot()
    WeightMovie.from_run(run).save("weights.gif")

``render_all`` writes every picture that applies to a run (``weightflow plot`` uses it) and
``animate`` shows the weight movie inline in a notebook (``run.animate()``). A population run gets
its own pictures (``PopulationCurves``, ``WeightDistribution``, ``BoundaryOverlay``, ``SuccessRate``,
``Particles``); ``render_sweep`` draws a sweep's success rates from its summary.csv.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import WeightflowError, bad_input
from .boundary import BoundaryPanels, DecisionBoundary
from .curves import TrainingCurves
from .data import DataScatter, DataScatter3D
from .diagram import NetworkDiagram, seed004_numbering
from .mistakes import Mistakes
from .movie import WeightMovie, write_gif, write_mp4
from .particles import Particles
from .population import BoundaryOverlay, PopulationCurves, SuccessRate, WeightDistribution
from .trajectories import GroupedTrajectories, WeightTrajectories

__all__ = ["WeightMovie", "WeightTrajectories", "GroupedTrajectories", "TrainingCurves", "DecisionBoundary",
           "BoundaryPanels", "Mistakes", "NetworkDiagram", "DataScatter", "DataScatter3D", "animate",
           "render_all", "render_sweep", "applicable", "PICTURES", "POPULATION_PICTURES", "FORMATS",
           "seed004_numbering", "write_gif", "write_mp4", "PopulationCurves", "WeightDistribution",
           "BoundaryOverlay", "SuccessRate", "Particles"]

PICTURES = ("movie", "trajectories", "curves", "boundary", "mistakes", "diagram", "data")
# Pictures of a population run (particles also draws a single run, by name).
POPULATION_PICTURES = ("population-curves", "weight-distribution", "boundaries", "success", "particles")
FORMATS = ("png", "svg", "pdf")
MOVIE_FRAMES_PER_NOTEBOOK = 300  # animate() keeps at most about this many frames


def applicable(run) -> list[str]:
    """The pictures that make sense for this run (what ``weightflow plot`` draws by default)."""
    d = run.model.sizes[0]
    has_data = run.split is not None
    classifier = run.model.output in ("sigmoid", "softmax")
    if run.population is not None:
        out = ["population-curves", "weight-distribution"]
        if has_data and classifier and 2 <= d <= 16:
            out.append("boundaries")
        if classifier and "train_accuracy" in run.member_metrics:
            out.append("success")
        if run.model.n_layers >= 2:
            out.append("particles")
        return out
    out = ["movie", "trajectories", "curves"]
    if has_data and classifier and 2 <= d <= 16:
        out += ["boundary", "mistakes"]
    if sum(run.model.sizes) <= 40:
        out.append("diagram")
    if has_data and 2 <= d <= 16:
        out.append("data")
    return out


def parse_what(what) -> list[str] | None:
    """``"movie,curves"`` / a list -> checked names; ``None`` or ``"all"`` -> ``None`` (every one that applies)."""
    if what is None:
        return None
    items = what.replace(" ", "").split(",") if isinstance(what, str) else list(what)
    items = [w for w in items if w]
    if items == ["all"]:
        return None
    bad = [w for w in items if w not in PICTURES + POPULATION_PICTURES]
    if bad or not items:
        raise bad_input("--what", "names from " + ",".join(PICTURES + POPULATION_PICTURES) + " (comma-separated) or all",
                        ",".join(bad) if bad else what, "e.g. --what movie,curves")
    return list(dict.fromkeys(items))


def render_all(run, out_dir, what=None, fmt="png", *, frame=-1, inputs=None, weights=None, log=False,
               labels="auto", fps=None, movie_formats=("gif", "mp4"), member=None, echo=None) -> list[Path]:
    """Write pictures of ``run`` into ``out_dir`` (created); returns the paths written.

    what: names from PICTURES (list or comma-separated); default every one that ``applicable`` gives.
    fmt: ``png``, ``svg`` or ``pdf`` for the still pictures; the movie is GIF and MP4.
    frame: frame for the boundary, mistakes and diagram (negative counts from the end; default last).
    inputs: two input indices for the boundary, mistakes and data plane (three for the 3-D scatter
        when given as three). weights: entries drawn alone in the grouped trajectories (default 0,1).
    log: loss on a log scale. labels: diagram labels (names, values, both, none, auto).
    member: for a population run, draw member ``member`` as a single run (its pictures).
    echo: called with each path as it is written (the CLI prints them).

    A population run gets POPULATION_PICTURES (population-curves, weight-distribution, boundaries,
    success, particles: the still picture and particles.gif); single-run pictures need ``member``.
    """
    from ._common import pyplot

    names = parse_what(what)
    if fmt not in FORMATS:
        raise bad_input("--format", "one of " + ", ".join(FORMATS), fmt, "e.g. --format svg")
    if member is not None:
        if run.population is None:
            raise bad_input("--member", "a population run", "a single run", "leave --member out")
        run = run.member(member)
    chosen = applicable(run) if names is None else names
    population = run.population is not None
    if population:
        single = [n for n in chosen if n in PICTURES]
        if single:
            raise WeightflowError(f"{','.join(single)}: expected a single run, got a population of {run.population} "
                                  "members; pass --member M (e.g. --member 0) to draw one member, or ask for "
                                  + ", ".join(POPULATION_PICTURES))
    else:
        pop_only = [n for n in chosen if n in POPULATION_PICTURES and n != "particles"]
        if pop_only:
            raise WeightflowError(f"{','.join(pop_only)}: expected a population run, got a single run; train with "
                                  "--population P, or ask for " + ", ".join(PICTURES + ("particles",)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plt = pyplot()

    def save(display, name):
        path = out / f"{name}.{fmt}"
        try:
            display.savefig(path)
        finally:
            if display.figure_ is not None:
                plt.close(display.figure_)
        written.append(path)
        if echo:
            echo(path)

    inputs2 = inputs[:2] if isinstance(inputs, (list, tuple)) and len(inputs) == 3 else inputs
    for name in chosen:
        if name == "movie":
            movie = WeightMovie.from_run(run)
            for ext in movie_formats:
                if ext == "mp4" and not _has_ffmpeg():
                    continue
                path = movie.save(out / f"weights.{ext}", fps=fps)
                written.append(path)
                if echo:
                    echo(path)
        elif name == "trajectories":
            shows = [(WeightTrajectories.from_run(run), "trajectories")]
            n_entries = int(run.frames[0][0].size)
            if weights is not None or n_entries >= 3:
                chosen_w = weights if weights is not None else (0, 1)
                shows.append((GroupedTrajectories.from_run(run, run.model.param_names[0], weights=chosen_w),
                              "trajectories-grouped"))
            if run.model.bias:
                shows.append((WeightTrajectories.from_run(run, biases=True), "trajectories-bias"))
            for display, file in shows:
                save(display.plot(), file)
        elif name == "curves":
            save(TrainingCurves.from_run(run, log=log).plot(), "curves")
        elif name == "boundary":
            one = DecisionBoundary.from_run(run, frame=frame, inputs=inputs2)
            both = BoundaryPanels.from_run(run, frames=(0, frame), inputs=inputs2)
            save(one.plot(), "boundary")
            save(both.plot(), "boundary-before-after")
        elif name == "mistakes":
            save(Mistakes.from_run(run, frame=frame, inputs=inputs2).plot(), "mistakes")
        elif name == "diagram":
            save(NetworkDiagram.from_run(run, frame=frame, labels=labels).plot(), "diagram")
        elif name == "population-curves":
            cols = "all" if "train_accuracy" in run.history else "train_loss"
            save(PopulationCurves.from_run(run, column=cols, log=log).plot(), "population-curves")
        elif name == "weight-distribution":
            if weights is not None:
                display = WeightDistribution.from_run(run, run.model.param_names[0], entries=weights)
            else:
                display = WeightDistribution.from_run(run, "W")
            save(display.plot(), "weight-distribution")
        elif name == "boundaries":
            save(BoundaryOverlay.from_run(run, frame=frame, inputs=inputs2).plot(), "boundaries")
        elif name == "success":
            save(SuccessRate.from_run(run).plot(), "success")
        elif name == "particles":
            d = run.model.sizes[0]
            kw = {"inputs": inputs2} if inputs2 is not None and d > 2 else {}
            particles = Particles.from_run(run, **kw)
            save(particles.plot(), "particles")
            path = particles.save(out / "particles.gif", fps=fps)
            written.append(path)
            if echo:
                echo(path)
        elif name == "data":
            save(DataScatter.from_run(run, inputs=inputs2).plot(), "data")
            if run.model.sizes[0] >= 3:
                inputs3 = inputs if isinstance(inputs, (list, tuple)) and len(inputs) == 3 else None
                save(DataScatter3D.from_run(run, inputs=inputs3).plot(), "data-3d")
                save(DataScatter3D.from_run(run, inputs=inputs3, equal=True).plot(), "data-3d-equal")
    return written


def render_sweep(sweep_dir, out_dir=None, what=None, fmt="png", *, echo=None) -> list[Path]:
    """Pictures of a finished sweep (a folder with summary.csv): ``success`` (success rate against
    width or learning rate). Writes into ``out_dir`` (default ``sweep_dir/figures``); returns the paths."""
    from ._common import pyplot

    names = parse_what(what)
    if names is not None and names != ["success"]:
        others = [n for n in names if n != "success"]
        raise bad_input("--what", "success for a sweep folder (summary.csv)", ",".join(others),
                        "use --what success, or plot one of its run folders")
    if fmt not in FORMATS:
        raise bad_input("--format", "one of " + ", ".join(FORMATS), fmt, "e.g. --format svg")
    display = SuccessRate.from_sweep(sweep_dir).plot()
    out = Path(out_dir) if out_dir is not None else Path(sweep_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"success.{fmt}"
    try:
        display.savefig(path)
    finally:
        pyplot().close(display.figure_)
    if echo:
        echo(path)
    return [path]


def _has_ffmpeg() -> bool:
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
        return True
    except Exception:  # not installed, or no binary for this platform
        return False


def animate(run, *, fps=None, dpi=80, every=None, **options):
    """The weight movie for a notebook: an inline GIF (``IPython.display.Image``) when IPython is there,
    else a matplotlib ``FuncAnimation``.

    options go to ``WeightMovie.from_run`` (params, cmap, vmax, share, annotate); ``every`` keeps
    every k-th frame (default: at most about 300 frames, so the notebook stays light).
    """
    if every is None:
        every = max(1, -(-len(run.steps) // MOVIE_FRAMES_PER_NOTEBOOK))
    movie = WeightMovie.from_run(run, every=every, **options)
    try:
        from IPython.display import Image
    except ImportError:
        return movie.animation()
    return Image(data=movie.to_gif_bytes(fps=fps, dpi=dpi), format="gif")
