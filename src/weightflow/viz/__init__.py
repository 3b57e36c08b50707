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

from ..errors import bad_input
from .boundary import BoundaryPanels, DecisionBoundary
from .confusion import ConfusionMatrix
from .curves import TrainingCurves
from .data import DataScatter, DataScatter3D
from .diagram import NetworkDiagram, seed004_numbering
from .images import InputImages, UnitWeightImages
from .mistakes import Mistakes
from .movie import WeightMovie, write_gif, write_mp4
from .particles import Particles
from .pictures import FORMATS, PICTURES, POPULATION_PICTURES, TABLE, applicable, parse_what, render_all
from .population import BoundaryOverlay, PopulationCurves, SuccessRate, WeightDistribution
from .trajectories import GroupedTrajectories, WeightTrajectories

__all__ = ["WeightMovie", "WeightTrajectories", "GroupedTrajectories", "TrainingCurves", "DecisionBoundary",
           "BoundaryPanels", "Mistakes", "NetworkDiagram", "DataScatter", "DataScatter3D", "animate",
           "render_all", "render_sweep", "applicable", "PICTURES", "POPULATION_PICTURES", "TABLE", "FORMATS",
           "seed004_numbering", "write_gif", "write_mp4", "PopulationCurves", "WeightDistribution",
           "BoundaryOverlay", "SuccessRate", "Particles", "ConfusionMatrix", "InputImages", "UnitWeightImages"]

MOVIE_FRAMES_PER_NOTEBOOK = 300  # animate() keeps at most about this many frames


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
