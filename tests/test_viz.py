"""Pictures of a stored run (weightflow.viz, weightflow plot): each checked for what it shows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import weightflow as wf  # noqa: E402
from weightflow.cli import main  # noqa: E402
from weightflow.errors import WeightflowError  # noqa: E402
from weightflow import viz  # noqa: E402

SRC = os.path.join(os.path.dirname(__file__), os.pardir, "src")


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A small stored run: 2-3-1 tanh on the diamond, 60 Adam steps, a frame every 5 (12 frames)."""
    run = wf.train(wf.MLP([2, 3, 1], activation="tanh"), "diamond", optimizer="adam", lr=0.05, steps=60,
                   record_every=5, progress=False)
    return run.save(tmp_path_factory.mktemp("runs") / "diamond")


@pytest.fixture(scope="session")
def run(run_dir):
    return wf.load_run(run_dir)


@pytest.fixture(scope="session")
def run3_dir(tmp_path_factory):
    """Logistic regression on 3 inputs (x1, x2 and a noise coordinate), for the plane and the 3-D views."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=300), rng.normal(size=300), 0.01 * rng.normal(size=300)]).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    run = wf.train(wf.MLP([3, 1]), (X, y), optimizer="adam", lr=0.05, steps=60, record_every=5, progress=False)
    return run.save(tmp_path_factory.mktemp("runs") / "three")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------------------------- movie
def test_movie_gif_has_one_frame_per_recorded_frame(run, tmp_path):
    from PIL import Image, ImageSequence

    movie = viz.WeightMovie.from_run(run)
    path = movie.save(tmp_path / "w.gif")
    with Image.open(path) as im:
        frames = [f.copy() for f in ImageSequence.Iterator(im)]
    assert len(frames) == len(run.steps) == 12
    assert frames[0].size == frames[-1].size
    assert not np.array_equal(np.asarray(frames[0].convert("RGB")), np.asarray(frames[-1].convert("RGB")))


def test_movie_mp4_has_one_frame_per_recorded_frame(run, tmp_path):
    import imageio_ffmpeg

    path = viz.WeightMovie.from_run(run).save(tmp_path / "w.mp4", fps=10)
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert n_frames == len(run.steps)


def test_movie_colour_scale_is_fixed_symmetric_and_the_same_in_every_frame(run):
    movie = viz.WeightMovie.from_run(run)
    assert movie.names == run.model.param_names
    for k, name in enumerate(run.model.param_names):
        assert movie.vmax[name] == pytest.approx(float(np.abs(np.asarray(run.frames[k])).max()))
    seen = []
    for i in range(len(movie)):
        movie.plot(frame=i)
        images = [a.images[0] for a in movie.axes_ if a.images]
        assert len(images) == len(movie.names)
        seen.append([(im.norm.vmin, im.norm.vmax) for im in images])
        # the heat map shows this frame's weights (W transposed: one row per unit)
        np.testing.assert_array_equal(images[0].get_array(), np.asarray(run.frames[0][i]).T)
        assert f"step {run.steps[i]:,}" in movie.figure_.texts[1].get_text()
        plt.close(movie.figure_)
    assert all(s == seen[0] for s in seen)
    assert all(vmin == -vmax for vmin, vmax in seen[0])


def test_movie_fast_frames_paint_the_colormap_colours(run):
    """The blitted GIF frames paint each cell with exactly the colour matplotlib's norm + cmap give."""
    from matplotlib import colormaps

    movie = viz.WeightMovie.from_run(run, params=["W1"], annotate=False)
    frames = list(movie.iter_frames(dpi=60))
    assert len(frames) == len(run.steps)
    ax = movie.figure_.axes[0]
    box = ax.get_window_extent()
    h = frames[0].shape[0]
    norm = movie.norms_["W1"]
    for i in (0, len(frames) - 1):
        m = movie.matrices["W1"][i]
        rows, cols = m.shape
        for r in range(rows):
            for c in range(cols):
                x = int(box.x0 + (c + 0.5) * box.width / cols)
                y = int(h - (box.y1 - (r + 0.5) * box.height / rows))
                want = np.round(np.asarray(colormaps["RdBu_r"](norm(m[r, c]))[:3]) * 255)
                np.testing.assert_allclose(frames[i][y, x], want, atol=1)


def test_movie_seed_style_options_and_bad_input(run):
    movie = viz.WeightMovie.from_run(run, cmap="hot", vmax=1)
    assert set(movie.vmax.values()) == {1.0}
    shared = viz.WeightMovie.from_run(run, share=True)
    assert len(set(shared.vmax.values())) == 1
    assert len(viz.WeightMovie.from_run(run, every=5)) == 3
    with pytest.raises(WeightflowError, match="movie params: expected names from W1"):
        viz.WeightMovie.from_run(run, params=["W9"])
    with pytest.raises(WeightflowError, match="movie file: expected a name ending in .gif or .mp4"):
        movie.save("w.avi")


def test_animate_gives_something_a_notebook_shows(run):
    anim = run.animate()
    try:
        from IPython.display import Image
    except ImportError:
        from matplotlib.animation import FuncAnimation

        assert isinstance(anim, FuncAnimation)
    else:
        assert isinstance(anim, Image) and anim.data[:6] in (b"GIF89a", b"GIF87a")


# ------------------------------------------------------------------------------------------ curves
def test_curves_plot_the_history_columns(run):
    curves = viz.TrainingCurves.from_run(run, log=True).plot()
    for col in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        line = curves.lines_[col]
        y = run.history[col]
        ok = np.isfinite(y)
        np.testing.assert_array_equal(line.get_ydata(), y[ok])
        np.testing.assert_array_equal(line.get_xdata(), run.steps[ok])
    assert curves.axes_[0].get_yscale() == "log" and curves.axes_[1].get_yscale() == "linear"


# ---------------------------------------------------------------------------------------- boundary
@pytest.mark.parametrize("frame", [0, 5, -1])
def test_boundary_grid_classes_equal_the_model_predictions(run, frame):
    b = viz.DecisionBoundary.from_run(run, frame=frame, resolution=40)
    params = [np.asarray(f[frame]) for f in run.frames]
    np.testing.assert_array_equal(b.classes.ravel(), run.model.predict(params, b.points))
    assert b.classes.shape == (40, 40) and b.step == run.steps[frame]
    np.testing.assert_array_equal(b.points[:, 0], b.xx.ravel())
    X = np.concatenate([run.split.X_train, run.split.X_test])
    assert b.xx.min() < X[:, 0].min() and b.xx.max() > X[:, 0].max()
    b.plot()


def test_boundary_before_after_and_the_plane_of_two_inputs(run, run3_dir):
    panels = viz.BoundaryPanels.from_run(run, resolution=30).plot()
    assert [p.frame for p in panels.panels] == [0, len(run.steps) - 1]
    np.testing.assert_array_equal(panels.panels[0].classes.ravel(),
                                  run.model.predict(run.initial_params, panels.panels[0].points))
    run3 = wf.load_run(run3_dir)
    b = viz.DecisionBoundary.from_run(run3, inputs=(0, 2), resolution=25)
    np.testing.assert_allclose(b.points[:, 1], run3.split.X_train[:, 1].mean())  # held at its mean
    np.testing.assert_array_equal(b.classes.ravel(), run3.model.predict(
        [np.asarray(f[-1]) for f in run3.frames], b.points))
    with pytest.raises(WeightflowError, match=r"boundary inputs: expected 2 different input indices from 0 to 2"):
        viz.DecisionBoundary.from_run(run3, inputs=(0, 0))


def test_pictures_that_need_data_say_so_for_runs_stored_without_it(run_dir, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    (old / "data.npz").unlink()
    run = wf.load_run(old)
    with pytest.raises(WeightflowError, match="boundary: expected a run stored with its data"):
        viz.DecisionBoundary.from_run(run)
    assert "boundary" not in viz.applicable(run) and "movie" in viz.applicable(run)


# ---------------------------------------------------------------------------------------- mistakes
def test_mistakes_count_false_positives_and_negatives(run):
    m = viz.Mistakes.from_run(run, subset="test").plot()
    X, y = run.split.X_test, run.split.y_test
    pred = run.model.predict([np.asarray(f[-1]) for f in run.frames], X)
    assert m.n_false_positive == int(((pred == 1) & (y == 0)).sum())
    assert m.n_false_negative == int(((pred == 0) & (y == 1)).sum())
    assert m.n_false_positive + m.n_false_negative == int((pred != y).sum())
    labels = [t.get_text() for t in m.axes_[1].get_legend().get_texts()]
    assert f"false positive ({m.n_false_positive})" in labels


# ----------------------------------------------------------------------------------------- diagram
def test_diagram_has_one_edge_per_weight_coloured_by_sign(run):
    d = viz.NetworkDiagram.from_run(run, labels="names").plot()
    n_w = sum(np.asarray(f[-1]).size for n, f in zip(run.param_names, run.frames) if n.startswith("W"))
    assert len(d.weight_edges_.get_segments()) == n_w == 9
    assert len(d.bias_edges_.get_segments()) == 4
    w = np.concatenate([np.asarray(f[-1]).ravel() for n, f in zip(run.param_names, run.frames) if n.startswith("W")])
    widths = np.asarray(d.weight_edges_.get_linewidths())
    assert np.all(np.diff(widths[np.argsort(np.abs(w))]) >= -1e-12)  # wider for larger |w|
    colors = d.weight_edges_.get_colors()
    from matplotlib.colors import to_rgba

    for wi, c in zip(w, colors):
        assert tuple(c[:3]) == to_rgba(viz.diagram.POSITIVE if wi >= 0 else viz.diagram.NEGATIVE)[:3]
    texts = {t.get_text() for t in d.ax_.texts}
    assert {f"w{i}" for i in range(1, 14)} <= texts


def test_diagram_numbering_is_seed_004s():
    w, b = viz.seed004_numbering((2, 3, 1))
    np.testing.assert_array_equal(b[0], [1, 2, 3])
    np.testing.assert_array_equal(w[0], [[4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(b[1], [10])
    np.testing.assert_array_equal(w[1], [[11], [12], [13]])


# ----------------------------------------------------------------------------- trajectories, data
def test_trajectories_draw_every_weight_and_the_grouped_view(run, run3_dir):
    t = viz.WeightTrajectories.from_run(run).plot()
    assert [len(t.lines_[p]) for p in ("W1", "W2")] == [6, 3]
    np.testing.assert_array_equal(t.lines_["W1"][4].get_ydata(), np.asarray(run.frames[0])[:, 1, 1])
    bias = viz.WeightTrajectories.from_run(run, biases=True).plot()
    assert list(bias.series) == ["b1", "b2"]
    run3 = wf.load_run(run3_dir)
    g = viz.GroupedTrajectories.from_run(run3, weights=(0,)).plot()
    frames = np.asarray(run3.frames[0])[:, :, 0]
    np.testing.assert_allclose(g.lines_["rest"].get_ydata(), frames[:, 1:].mean(axis=1))
    np.testing.assert_array_equal(g.lines_[0].get_ydata(), frames[:, 0])
    with pytest.raises(WeightflowError, match="trajectories weights: expected different entry indices from 0 to 2"):
        viz.GroupedTrajectories.from_run(run3, weights=(0, 7))


def test_data_scatter_2d_and_3d_with_equal_scale(run3_dir):
    run3 = wf.load_run(run3_dir)
    s = viz.DataScatter.from_run(run3).plot()
    n = sum(len(c.get_offsets()) for c in s.ax_.collections)
    assert n == len(run3.split.y_train) + len(run3.split.y_test)
    eq = viz.DataScatter3D.from_run(run3, equal=True).plot()
    spans = [hi - lo for lo, hi in eq.limits_]
    assert spans[0] == pytest.approx(spans[1]) == pytest.approx(spans[2])
    free = viz.DataScatter3D.from_run(run3).plot()
    assert free.limits_[2][1] - free.limits_[2][0] < spans[2] / 10  # the noise axis is flat


# --------------------------------------------------------------------------------------------- CLI
def test_plot_writes_every_picture_that_applies(run_dir, tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["plot", str(run_dir), "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["weights.gif", "weights.mp4", "trajectories.png", "trajectories-grouped.png",
                            "trajectories-bias.png", "curves.png", "boundary.png", "boundary-before-after.png",
                            "mistakes.png", "diagram.png", "data.png"])
    assert stdout.count("wrote ") == len(names)
    from PIL import Image

    with Image.open(out / "boundary.png") as im:
        assert im.size[0] > 300 and im.size[1] > 300


def test_plot_chosen_pictures_and_format(run_dir, capsys):
    code = main(["plot", str(run_dir), "--what", "curves,diagram", "--format", "svg", "--frame", "0"])
    assert code == 0
    assert (run_dir / "figures" / "curves.svg").read_text().lstrip().startswith("<?xml")
    assert (run_dir / "figures" / "diagram.svg").exists()


@pytest.mark.parametrize("args, message", [
    (["--what", "movie,pictures"], "--what: expected names from movie,trajectories"),
    (["--format", "gif"], "--format: expected one of png, svg, pdf, got 'gif'"),
    (["--what", "boundary", "--inputs", "0,5"], "boundary inputs: expected 2 different input indices from 0 to 1"),
    (["--what", "boundary", "--frame", "40"], "frame: expected an index from -12 to 11"),
    (["--what", "diagram", "--labels", "greek"], "diagram labels: expected one of names"),
])
def test_plot_bad_input_is_one_line_and_exit_2(run_dir, args, message, capsys):
    code = main(["plot", str(run_dir), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1


def test_plot_missing_run_dir(tmp_path, capsys):
    code = main(["plot", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2 and "RUN_DIR: expected a run directory" in err


def test_plot_never_imports_jax(run_dir, tmp_path):
    code = ("import sys, json\nfrom weightflow.cli import main\n"
            f"rc = main(['plot', {str(run_dir)!r}, '--what', 'movie,curves,boundary,diagram', '--out', {str(tmp_path)!r}])\n"
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'optax'))]))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.abspath(SRC), os.environ.get("PYTHONPATH", "")]))
    env.pop("MPLBACKEND", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rc, jax_modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rc == 0 and jax_modules == []


def _constructor_lists_every_attribute(display):
    """The display's constructor is keyword-only and names every attribute it holds (scikit-learn's
    displays): rebuilding it from its own attributes gives the same attributes."""
    import inspect

    params = inspect.signature(type(display).__init__).parameters
    kinds = {p.kind for name, p in params.items() if name != "self"}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}, type(display).__name__
    held = {k: v for k, v in vars(display).items() if not k.endswith("_")}
    assert set(held) == set(params) - {"self"}, type(display).__name__
    again = type(display)(**held)
    assert {k: v for k, v in vars(again).items() if not k.endswith("_")}.keys() == held.keys()
    assert all(vars(again)[k] is v for k, v in held.items())
    with pytest.raises(TypeError):
        type(display)(*held.values())


def test_displays_take_explicit_keyword_only_arguments(run, run3_dir):
    from weightflow.viz.boundary import DecisionBoundary
    from weightflow.viz.data import DataScatter, DataScatter3D
    from weightflow.viz.diagram import NetworkDiagram
    from weightflow.viz.mistakes import Mistakes
    from weightflow.viz.particles import Particles
    from weightflow.viz.trajectories import GroupedTrajectories

    run3 = wf.load_run(run3_dir)
    for display in (DecisionBoundary.from_run(run, resolution=20), DataScatter.from_run(run),
                    DataScatter3D.from_run(run3), NetworkDiagram.from_run(run), Mistakes.from_run(run),
                    Particles.from_run(run), GroupedTrajectories.from_run(run3)):
        _constructor_lists_every_attribute(display)


def test_cell_numbers_are_written_in_the_ink_that_reads_on_their_cell(run):
    """White cells (hot's top, and anything past vmax) get black numbers, dark cells white ones."""
    from weightflow.viz import WeightMovie

    hot = WeightMovie.from_run(run, cmap="hot", vmax=1, annotate=True)
    frame = next(hot.iter_frames())  # builds the colour scales
    assert frame.ndim == 3
    assert hot._ink("W1", 5.0) == "black" and hot._ink("W1", -1.0) == "white"
    diverging = WeightMovie.from_run(run, annotate=True)
    next(diverging.iter_frames())
    vmax = diverging.vmax["W1"]
    assert diverging._ink("W1", 0.0) == "black" and diverging._ink("W1", vmax) == "white"
