"""The one table of pictures: name -> (which runs it applies to, how it renders into files).

``render_all``, ``applicable``, ``parse_what`` and the CLI's ``--what`` help all read :data:`TABLE`, so a
new picture is one row here. Rendering imports the Display classes (and so matplotlib) only when called;
the predicates are plain numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import WeightflowError, bad_input
from .confusion import applies as confusion_applies
from .images import inputs_apply, unit_weights_apply

FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class Options:
    """What ``weightflow plot`` lets a user choose (see ``render_all``)."""

    fmt: str = "png"
    frame: int = -1
    inputs: tuple | None = None
    weights: tuple | None = None
    log: bool = False
    labels: str = "auto"
    fps: float | None = None
    movie_formats: tuple = ("gif", "mp4")

    @property
    def inputs2(self):
        """The plane of the 2-D pictures: the first two of three given inputs."""
        i = self.inputs
        return tuple(i[:2]) if isinstance(i, (list, tuple)) and len(i) == 3 else i

    @property
    def inputs3(self):
        i = self.inputs
        return tuple(i) if isinstance(i, (list, tuple)) and len(i) == 3 else None


class Writer:
    """Saves pictures into ``out`` and remembers (and echoes) every path written."""

    def __init__(self, out: Path, fmt: str, echo=None):
        self.out, self.fmt, self.echo, self.written = out, fmt, echo, []

    def added(self, path: Path) -> None:
        self.written.append(path)
        if self.echo:
            self.echo(path)

    def still(self, display, name: str) -> None:
        """Draw ``display`` and save it as ``NAME.FMT``, closing its figure."""
        from ._common import pyplot

        path = self.out / f"{name}.{self.fmt}"
        try:
            display.plot().savefig(path)
        finally:
            if display.figure_ is not None:
                pyplot().close(display.figure_)
        self.added(path)


# --- which runs -------------------------------------------------------------------------------------

def _classifier(run) -> bool:
    return run.model.output in ("sigmoid", "softmax")


def _plane(run) -> bool:
    """Data to draw on a plane of inputs: 2 to 16 inputs."""
    return run.split is not None and 2 <= run.model.sizes[0] <= 16


def _boundary(run) -> bool:
    return _plane(run) and _classifier(run)


# --- how they render --------------------------------------------------------------------------------

def _movie(run, o: Options, w: Writer) -> None:
    from .movie import WeightMovie, has_ffmpeg

    movie = WeightMovie.from_run(run)
    for ext in o.movie_formats:
        if ext != "mp4" or has_ffmpeg():
            w.added(movie.save(w.out / f"weights.{ext}", fps=o.fps))


def _trajectories(run, o: Options, w: Writer) -> None:
    from .trajectories import GroupedTrajectories, WeightTrajectories

    w.still(WeightTrajectories.from_run(run), "trajectories")
    if o.weights is not None or int(run.frames[0][0].size) >= 3:
        grouped = GroupedTrajectories.from_run(run, run.model.param_names[0], weights=o.weights or (0, 1))
        w.still(grouped, "trajectories-grouped")
    if run.model.bias:
        w.still(WeightTrajectories.from_run(run, biases=True), "trajectories-bias")


def _curves(run, o: Options, w: Writer) -> None:
    from .curves import TrainingCurves

    w.still(TrainingCurves.from_run(run, log=o.log), "curves")


def _decision_boundary(run, o: Options, w: Writer) -> None:
    from .boundary import BoundaryPanels, DecisionBoundary

    w.still(DecisionBoundary.from_run(run, frame=o.frame, inputs=o.inputs2), "boundary")
    w.still(BoundaryPanels.from_run(run, frames=(0, o.frame), inputs=o.inputs2), "boundary-before-after")


def _mistakes(run, o: Options, w: Writer) -> None:
    from .mistakes import Mistakes

    w.still(Mistakes.from_run(run, frame=o.frame, inputs=o.inputs2), "mistakes")


def _diagram(run, o: Options, w: Writer) -> None:
    from .diagram import NetworkDiagram

    w.still(NetworkDiagram.from_run(run, frame=o.frame, labels=o.labels), "diagram")


def _data(run, o: Options, w: Writer) -> None:
    from .data import DataScatter, DataScatter3D

    w.still(DataScatter.from_run(run, inputs=o.inputs2), "data")
    if run.model.sizes[0] >= 3:
        w.still(DataScatter3D.from_run(run, inputs=o.inputs3), "data-3d")
        w.still(DataScatter3D.from_run(run, inputs=o.inputs3, equal=True), "data-3d-equal")


def _confusion(run, o: Options, w: Writer) -> None:
    from .confusion import ConfusionMatrix, default_split

    w.still(ConfusionMatrix.from_run(run, frame=o.frame, split=default_split(run)), "confusion")


def _inputs(run, o: Options, w: Writer) -> None:
    from .images import InputImages

    w.still(InputImages.from_run(run, frame=o.frame), "inputs")


def _unit_weights(run, o: Options, w: Writer) -> None:
    from .images import UnitWeightImages
    from .movie import has_ffmpeg

    images = UnitWeightImages.from_run(run, frame=o.frame)
    w.still(images, "unit-weights")
    for ext in o.movie_formats:
        if ext != "mp4" or has_ffmpeg():
            w.added(images.save(w.out / f"unit-weights.{ext}", fps=o.fps))


def _population_curves(run, o: Options, w: Writer) -> None:
    from .population import PopulationCurves

    cols = "all" if "train_accuracy" in run.history else "train_loss"
    w.still(PopulationCurves.from_run(run, column=cols, log=o.log), "population-curves")


def _weight_distribution(run, o: Options, w: Writer) -> None:
    from .population import WeightDistribution

    if o.weights is not None:
        w.still(WeightDistribution.from_run(run, run.model.param_names[0], entries=o.weights), "weight-distribution")
    else:
        w.still(WeightDistribution.from_run(run, "W"), "weight-distribution")


def _boundaries(run, o: Options, w: Writer) -> None:
    from .population import BoundaryOverlay

    w.still(BoundaryOverlay.from_run(run, frame=o.frame, inputs=o.inputs2), "boundaries")


def _success(run, o: Options, w: Writer) -> None:
    from .population import SuccessRate

    w.still(SuccessRate.from_run(run), "success")


def _particles(run, o: Options, w: Writer) -> None:
    from .particles import Particles

    kw = {"inputs": o.inputs2} if o.inputs2 is not None and run.model.sizes[0] > 2 else {}
    particles = Particles.from_run(run, **kw)
    w.still(particles, "particles")
    w.added(particles.save(w.out / "particles.gif", fps=o.fps))


@dataclass(frozen=True)
class Picture:
    """A picture ``weightflow plot`` can draw: for single runs, populations or both (``kind``);
    ``applies(run)`` says whether it is drawn by default; ``render(run, options, writer)`` draws it."""

    name: str
    kind: str  # "single", "population" or "both"
    applies: Callable
    render: Callable
    help: str


TABLE: tuple[Picture, ...] = (
    Picture("movie", "single", lambda run: True, _movie, "weight heat-map movie (GIF, MP4)"),
    Picture("trajectories", "single", lambda run: True, _trajectories, "every weight against the step"),
    Picture("curves", "single", lambda run: True, _curves, "loss and accuracy"),
    Picture("boundary", "single", _boundary, _decision_boundary, "decision boundary, before and after"),
    Picture("mistakes", "single", _boundary, _mistakes, "truth against prediction"),
    Picture("diagram", "single", lambda run: sum(run.model.sizes) <= 40, _diagram, "network diagram"),
    Picture("data", "single", _plane, _data, "the data"),
    Picture("confusion", "single", lambda run: confusion_applies(run) and run.model.sizes[-1] > 2, _confusion,
            "confusion matrix and per-class accuracy (drawn by default for 3 classes or more)"),
    Picture("inputs", "single", inputs_apply, _inputs, "example inputs as images"),
    Picture("unit-weights", "single", unit_weights_apply, _unit_weights,
            "each unit's first-layer weights as an image (and their movie)"),
    Picture("population-curves", "population", lambda run: True, _population_curves, "median and quantile bands"),
    Picture("weight-distribution", "population", lambda run: True, _weight_distribution,
            "every weight's distribution"),
    Picture("boundaries", "population", _boundary, _boundaries, "members' boundaries overlaid"),
    Picture("success", "population", lambda run: _classifier(run) and "train_accuracy" in run.member_metrics,
            _success, "success rate"),
    Picture("particles", "both", lambda run: run.model.n_layers >= 2, _particles, "neurons as particles"),
)
BY_NAME = {p.name: p for p in TABLE}
PICTURES = tuple(p.name for p in TABLE if p.kind == "single")
POPULATION_PICTURES = tuple(p.name for p in TABLE if p.kind != "single")


def _fits(picture: Picture, population: bool) -> bool:
    return picture.kind == "both" or (picture.kind == "population") == population


def _default_for(picture: Picture, population: bool) -> bool:
    """Particles are drawn by default for populations; a single run draws them only when asked."""
    return picture.kind == ("population" if population else "single") or (picture.kind == "both" and population)


def applicable(run) -> list[str]:
    """The pictures that make sense for this run (what ``weightflow plot`` draws by default)."""
    population = run.population is not None
    return [p.name for p in TABLE if _default_for(p, population) and p.applies(run)]


def parse_what(what) -> list[str] | None:
    """``"movie,curves"`` / a list -> checked names; ``None`` or ``"all"`` -> ``None`` (every one that applies)."""
    if what is None:
        return None
    items = what.replace(" ", "").split(",") if isinstance(what, str) else list(what)
    items = [w for w in items if w]
    if items == ["all"]:
        return None
    bad = [w for w in items if w not in BY_NAME]
    if bad or not items:
        raise bad_input("--what", "names from " + ",".join(BY_NAME) + " (comma-separated) or all",
                        ",".join(bad) if bad else what, "e.g. --what movie,curves")
    return list(dict.fromkeys(items))


def check_kinds(run, names: list[str]) -> None:
    """Refuse single-run pictures for a population and population pictures for a single run."""
    population = run.population is not None
    wrong = [n for n in names if not _fits(BY_NAME[n], population)]
    if wrong and population:
        raise WeightflowError(f"{','.join(wrong)}: expected a single run, got a population of {run.population} "
                              "members; pass --member M (e.g. --member 0) to draw one member, or ask for "
                              + ", ".join(POPULATION_PICTURES))
    if wrong:
        raise WeightflowError(f"{','.join(wrong)}: expected a population run, got a single run; train with "
                              "--population P, or ask for " + ", ".join(PICTURES + ("particles",)))


def render_all(run, out_dir, what=None, fmt="png", *, frame=-1, inputs=None, weights=None, log=False,
               labels="auto", fps=None, movie_formats=("gif", "mp4"), member=None, echo=None) -> list[Path]:
    """Write pictures of ``run`` into ``out_dir`` (created); returns the paths written.

    what: names from the TABLE (list or comma-separated); default every one that ``applicable`` gives.
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
    names = parse_what(what)
    if fmt not in FORMATS:
        raise bad_input("--format", "one of " + ", ".join(FORMATS), fmt, "e.g. --format svg")
    if member is not None:
        if run.population is None:
            raise bad_input("--member", "a population run", "a single run", "leave --member out")
        run = run.member(member)
    chosen = applicable(run) if names is None else names
    check_kinds(run, chosen)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    options = Options(fmt, frame, inputs, weights, log, labels, fps, tuple(movie_formats))
    writer = Writer(out, fmt, echo)
    for name in chosen:
        BY_NAME[name].render(run, options, writer)
    return writer.written
