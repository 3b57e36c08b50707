"""Pictures of population runs and sweeps (issue 5): content checks on small stored populations."""

from __future__ import annotations

import csv

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import weightflow as wf
from weightflow import viz
from weightflow.cli import main
from weightflow.errors import WeightflowError

MODEL = dict(optimizer="adam", steps=200, record_every=10, test_size=0, population=16, seed=0, progress=False)


@pytest.fixture(scope="module")
def pop_dirs(tmp_path_factory):
    """A 16-member population (lr 0.1) and a 2 x 16 learning-rate grid, stored and reloaded."""
    base = tmp_path_factory.mktemp("pop")
    one, grid = base / "one", base / "grid"
    wf.train(wf.MLP([2, 4, 1], activation="tanh"), "xor", lr=0.1, out=one, **MODEL)
    wf.train(wf.MLP([2, 4, 1], activation="tanh"), "xor", lr=[0.01, 0.1], out=grid, **MODEL)
    return one, grid


@pytest.fixture(scope="module")
def pop(pop_dirs):
    return wf.load_run(pop_dirs[0])


@pytest.fixture(scope="module")
def grid(pop_dirs):
    return wf.load_run(pop_dirs[1])


@pytest.fixture(scope="module")
def eta_grid(tmp_path_factory):
    """A random walk over a 2-axis grid, eta [0.5, 1] x init_scale [1, 2], 6 seeds each (24 members), reloaded."""
    out = tmp_path_factory.mktemp("grid") / "eta"
    wf.train(wf.MLP([2, 2, 1], activation="tanh", init="lattice:1"), "xor", optimizer="random-walk", population=6,
             steps=40, record_every=4, test_size=0, optimizer_options={"eta": [0.5, 1.0]}, init_scale=[1.0, 2.0],
             seed=0, progress=False, out=out)
    return wf.load_run(out)


@pytest.fixture(scope="module")
def lr_scale_grid(tmp_path_factory):
    """Gradient descent over lr [0.05, 0.5] x init_scale [0.5, 2], 4 seeds each (16 members), reloaded."""
    out = tmp_path_factory.mktemp("grid") / "lr-scale"
    wf.train(wf.MLP([2, 2, 1], activation="tanh"), "xor", optimizer="gd", population=4, steps=40, record_every=4,
             test_size=0, lr=[0.05, 0.5], init_scale=[0.5, 2.0], seed=0, progress=False, out=out)
    return wf.load_run(out)


# grid points of eta_grid in member order (first axis slowest), written out by hand
ETA_POINTS = [{"eta": 0.5, "init_scale": 1.0}, {"eta": 0.5, "init_scale": 2.0}, {"eta": 1.0, "init_scale": 1.0},
              {"eta": 1.0, "init_scale": 2.0}]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -------------------------------------------------------------------------------------- curves
def test_population_curves_median_and_bands_are_the_member_statistics(grid):
    c = viz.PopulationCurves.from_run(grid, column="train_loss").plot()
    h = grid.history["train_loss"]
    for g, part in enumerate((slice(0, 16), slice(16, 32))):
        np.testing.assert_allclose(c.columns["train_loss"][g]["median"], np.median(h[part], axis=0))
        for q in (0.1, 0.25, 0.75, 0.9):
            np.testing.assert_allclose(c.columns["train_loss"][g]["quantiles"][q], np.quantile(h[part], q, axis=0))
        np.testing.assert_allclose(c.lines_[("train_loss", g)].get_ydata(), np.median(h[part], axis=0))
    assert c.groups == [({"lr": 0.01}, slice(0, 16)), ({"lr": 0.1}, slice(16, 32))]
    assert c.labels == ["lr 0.01", "lr 0.1"] and c.title.endswith("2 learning rates x 16 members")
    assert "test_loss" not in c.columns  # test_size=0: never evaluated
    both = viz.PopulationCurves.from_run(grid, column="all").plot()
    assert both.panels == ["train_loss", "train_accuracy"] and len(both.axes_) == 2


def test_population_curves_bad_choices(pop, grid):
    with pytest.raises(WeightflowError, match="population curves column: expected history columns"):
        viz.PopulationCurves.from_run(pop, column="nope")
    with pytest.raises(WeightflowError, match="quantiles: expected an even number"):
        viz.PopulationCurves.from_run(pop, quantiles=(0.1, 0.5, 0.9))
    with pytest.raises(WeightflowError, match="lr: expected a learning rate of the run"):
        viz.PopulationCurves.from_run(grid, lr=0.5)
    with pytest.raises(WeightflowError, match="expected a population run"):
        viz.PopulationCurves.from_run(pop.member(0))


def test_population_curves_group_by_grid_point(eta_grid, pop):
    c = viz.PopulationCurves.from_run(eta_grid, column="all").plot()
    assert c.groups == [(pt, slice(6 * g, 6 * g + 6)) for g, pt in enumerate(ETA_POINTS)]
    assert c.labels == ["eta 0.5, init scale 1", "eta 0.5, init scale 2", "eta 1, init scale 1", "eta 1, init scale 2"]
    for col in ("train_loss", "train_accuracy"):
        h = np.asarray(eta_grid.history[col], float)
        for g in range(4):
            part = h[6 * g:6 * g + 6]
            np.testing.assert_allclose(c.columns[col][g]["median"], np.median(part, axis=0))
            np.testing.assert_allclose(c.columns[col][g]["quantiles"][0.25], np.quantile(part, 0.25, axis=0))
            assert c.columns[col][g]["members"] == 6
            np.testing.assert_allclose(c.lines_[(col, g)].get_ydata(), np.median(part, axis=0))
    assert c.title.endswith("2 eta values x 2 init scale values x 6 members")
    legend = [t.get_text() for t in c.axes_[0].get_legend().get_texts()]
    assert "eta 1, init scale 2, train median of 6" in legend
    # no grid: one group of every member, the title names the single learning rate
    one = viz.PopulationCurves.from_run(pop)
    assert one.groups == [({}, slice(0, 16))] and one.title.endswith("16 members, lr 0.1")


def test_grid_point_selector_by_index_rate_or_axis_values(eta_grid, lr_scale_grid):
    c = viz.PopulationCurves.from_run(eta_grid, lr=2)
    assert c.groups == [(ETA_POINTS[2], slice(12, 18))] and c.title.endswith("6 members, eta 1, init scale 1")
    h = np.asarray(eta_grid.history["train_loss"], float)
    np.testing.assert_allclose(c.columns["train_loss"][0]["median"], np.median(h[12:18], axis=0))
    # a learning rate picks every point with it; a dict picks by any axes
    by_lr = viz.PopulationCurves.from_run(lr_scale_grid, lr=0.5)
    assert [part for _, part in by_lr.groups] == [slice(8, 12), slice(12, 16)]
    assert by_lr.title.endswith("8 members, lr 0.5 (2 grid points)")
    by_scale = viz.PopulationCurves.from_run(eta_grid, lr={"init_scale": 2.0})
    assert [pt for pt, _ in by_scale.groups] == [ETA_POINTS[1], ETA_POINTS[3]]
    # the distribution pools exactly the chosen members
    d = viz.WeightDistribution.from_run(eta_grid, "W1", lr=3)
    (label,) = d.labels
    W1 = np.asarray(eta_grid.frames[0], float)[18:24]  # (6, frames, 2, 2)
    assert d.members == 6 and (d.counts[label].sum(axis=1) == 6 * 4).all()
    np.testing.assert_allclose(d.median[label], np.median(W1.reshape(6, W1.shape[1], -1).transpose(1, 0, 2)
                                                          .reshape(W1.shape[1], -1), axis=1))
    p = viz.Particles.from_run(eta_grid, member="all", lr=1, max_frames=4)
    assert sorted(set(p.owner.tolist())) == list(range(6, 12)) and "eta 0.5, init scale 2" in p.who
    assert viz.Particles.from_run(eta_grid, member="all", max_frames=4).who == "all 24 members (4 grid points)"
    # the old helper still answers per grid point
    from weightflow.viz.population import lr_groups

    assert lr_groups(lr_scale_grid) == [(0.05, slice(0, 4)), (0.05, slice(4, 8)), (0.5, slice(8, 12)),
                                        (0.5, slice(12, 16))]


def test_bad_grid_point_selector_is_one_line_error(eta_grid, lr_scale_grid, pop):
    for bad in (4, 0.3, True, "eta", {"temperature": 1.0}, {"eta": 0.7}):
        with pytest.raises(WeightflowError) as err:
            viz.PopulationCurves.from_run(eta_grid, lr=bad)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith("population curves lr: expected a grid point index from 0 to 3")
        assert f"got {bad!r}" in msg and "leave it out for all members" in msg
    with pytest.raises(WeightflowError, match=r"weight distribution lr: expected a learning rate of the run "
                                               r"\(0.05, 0.5\), a grid point index from 0 to 3 .* "
                                               r"or a dict of axis values, got 0.1; "):
        viz.WeightDistribution.from_run(lr_scale_grid, "W1", lr=0.1)
    with pytest.raises(WeightflowError, match=r"particles lr: expected the run's learning rate \(0.1\) or 0"):
        viz.Particles.from_run(pop, member="all", lr=2)


def test_boundary_overlay_colours_by_grid_point(eta_grid):
    o = viz.BoundaryOverlay.from_run(eta_grid, members=[0, 7, 13, 23], resolution=30).plot()
    assert list(o.group) == [0, 1, 2, 3] and o.grid_points == ETA_POINTS
    legend = [t.get_text() for t in o.ax_.get_legend().get_texts()]
    assert "eta 1, init scale 2" in legend


# -------------------------------------------------------------------------------- distribution
def test_weight_distribution_counts_sum_to_members_times_entries(pop):
    d = viz.WeightDistribution.from_run(pop, "W1").plot()
    (label,) = d.labels
    counts = d.counts[label]
    frames = np.asarray(pop.frames[0])  # (members, frames, 2, 4)
    assert counts.shape[0] == len(pop.steps)
    assert (counts.sum(axis=1) == 16 * 8).all()
    np.testing.assert_allclose(d.median[label], np.median(frames.reshape(16, len(pop.steps), -1).transpose(1, 0, 2)
                                                          .reshape(len(pop.steps), -1), axis=1))
    np.testing.assert_allclose(d.lines_[label].get_ydata(), d.median[label])
    each = viz.WeightDistribution.from_run(pop, "W1", entries=(0, 3), bins=20)
    assert len(each.labels) == 2
    for lab in each.labels:
        assert each.counts[lab].shape[1] == 20 and (each.counts[lab].sum(axis=1) == 16).all()
    # the first frame's histogram is the histogram of entry 0 over members
    lab0 = each.labels[0]
    expect, _ = np.histogram(frames[:, 0, 0, 0], bins=each.edges[lab0])
    np.testing.assert_array_equal(each.counts[lab0][0], expect)
    assert len(viz.WeightDistribution.from_run(pop, "W").labels) == 2  # W1 and W2 pooled
    with pytest.raises(WeightflowError, match="weight distribution entries: expected"):
        viz.WeightDistribution.from_run(pop, "W1", entries=(9,))
    with pytest.raises(WeightflowError, match="weight distribution param"):
        viz.WeightDistribution.from_run(pop, "W7")


# ------------------------------------------------------------------------------------- overlay
def test_boundary_overlay_one_contour_set_per_member(pop, grid):
    o = viz.BoundaryOverlay.from_run(pop, resolution=60).plot()
    assert len(o.contours_) == 16 and o.proba.shape == (16, 60, 60)
    m = pop.member(5)
    _, out = m.model.forward_numpy([f[-1] for f in m.frames], o.points)  # the last recorded frame
    np.testing.assert_allclose(o.proba[5].ravel(), out[:, 0], rtol=1e-6)
    np.testing.assert_array_equal(o.solved, pop.history["train_accuracy"][:, -1] >= 1)
    some = viz.BoundaryOverlay.from_run(grid, members=[0, 20, 31], frame=0, resolution=40).plot()
    assert len(some.contours_) == 3 and list(some.group) == [0, 1, 1] and some.step == 0
    with pytest.raises(WeightflowError, match="boundaries members: expected member indices from 0 to 15"):
        viz.BoundaryOverlay.from_run(pop, members=[16])


# ------------------------------------------------------------------------------------- success
def test_success_rate_from_run_is_the_fraction_of_members(grid):
    s = viz.SuccessRate.from_run(grid, metric="train_accuracy", threshold=1.0).plot()
    (line,) = s.lines.values()
    acc = grid.member_metrics["train_accuracy"]
    expect = [np.mean(acc[:16] >= 1.0), np.mean(acc[16:] >= 1.0)]
    np.testing.assert_allclose(line["rate"], expect)
    np.testing.assert_allclose(line["se"], np.sqrt(np.multiply(expect, 1 - np.asarray(expect)) / 16))
    np.testing.assert_allclose(line["x"], [0.01, 0.1])
    assert s.ax_.get_xscale() == "log"
    low = viz.SuccessRate.from_run(grid, metric="train_loss", threshold=0.05)  # loss >= 0.05 "succeeds"
    np.testing.assert_allclose(next(iter(low.lines.values()))["rate"],
                               [np.mean(grid.member_metrics["train_loss"][p] >= 0.05) for p in (slice(0, 16), slice(16, 32))])
    with pytest.raises(WeightflowError, match="success rate metric: expected one of"):
        viz.SuccessRate.from_run(grid, metric="nope")


def test_success_rate_against_a_grid_axis(eta_grid, lr_scale_grid):
    acc = np.asarray(eta_grid.member_metrics["train_accuracy"], float).reshape(2, 2, 6)  # eta, init_scale, seed
    hand = (acc >= 1.0).mean(axis=2)
    s = viz.SuccessRate.from_run(eta_grid, metric="train_accuracy", threshold=1.0).plot()  # x: the first axis
    assert s.x_kind == "eta" and list(s.lines) == ["init scale 1", "init scale 2"]
    for k, label in enumerate(s.lines):
        np.testing.assert_allclose(s.lines[label]["x"], [0.5, 1.0])
        np.testing.assert_allclose(s.lines[label]["rate"], hand[:, k])
        np.testing.assert_allclose(s.lines[label]["se"], np.sqrt(hand[:, k] * (1 - hand[:, k]) / 6))
        assert list(s.lines[label]["n"]) == [6, 6]
    assert s.ax_.get_xscale() == "linear" and s.ax_.get_xlabel() == "eta"
    t = viz.SuccessRate.from_run(eta_grid, threshold=0.75, x="init_scale")
    assert t.x_kind == "init_scale" and list(t.lines) == ["eta 0.5", "eta 1"]
    np.testing.assert_allclose(t.lines["eta 1"]["rate"], (acc[1] >= 0.75).mean(axis=1))
    u = viz.SuccessRate.from_run(lr_scale_grid).plot()
    assert u.x_kind == "lr" and u.log and u.ax_.get_xscale() == "log"
    acc2 = np.asarray(lr_scale_grid.member_metrics["train_accuracy"], float).reshape(2, 2, 4)
    np.testing.assert_allclose(u.lines["init scale 2"]["rate"], (acc2[:, 1] >= 1.0).mean(axis=1))
    with pytest.raises(WeightflowError, match=r"success rate x: expected an axis of the run's grid: eta, init_scale, "
                                               r"got 'lr'; e.g. x='eta'") as err:
        viz.SuccessRate.from_run(eta_grid, x="lr")
    assert "\n" not in str(err.value)


def test_success_rate_log_axis_rule():
    log = viz.SuccessRate._log_axis
    assert log("lr", [0.5, 1.0]) and log("temperature", [1e-3, 1e-1]) and not log("eta", [0.5, 4.0])
    assert not log("init_scale", [0.0, 100.0]) and not log("b1", [-1.0, 100.0])


def test_success_rate_from_sweep_tolerates_extra_axis_columns(tmp_path):
    folder = tmp_path / "sw"
    folder.mkdir()
    with open(folder / "summary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["run", "activation", "hidden", "lr", "eta", "members", "success_rate (train_accuracy >= 1)",
                    "median_final_train_accuracy", "something_new"])
        for hidden, eta, rate in (("1", 0.5, 0.25), ("2", 0.5, 0.5), ("1", 1.0, 0.75), ("2", 1.0, 1.0)):
            w.writerow([f"tanh-{hidden}", "tanh", hidden, 0.1, eta, 16, rate, 1.0, "x"])
    s = viz.SuccessRate.from_sweep(folder).plot()
    assert s.x_kind == "width" and set(s.lines) == {"tanh, eta 0.5", "tanh, eta 1"}
    np.testing.assert_allclose(s.lines["tanh, eta 1"]["rate"], [0.75, 1.0])
    np.testing.assert_allclose(s.lines["tanh, eta 0.5"]["x"], [1, 2])


def _fake_sweep(folder):
    rows = [("tanh-1", "tanh", "1", 0.1, 32, 0.0), ("tanh-2", "tanh", "2", 0.1, 32, 0.5625),
            ("relu-1", "relu", "1", 0.1, 32, 0.0), ("relu-2", "relu", "2", 0.1, 32, 0.375),
            ("tanh-4", "tanh", "4", 0.1, 32, 0.96875), ("relu-4", "relu", "4", 0.1, 32, 0.71875)]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "summary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["run", "activation", "hidden", "lr", "members", "success_rate (train_accuracy >= 1)",
                    "median_final_train_accuracy", "median_steps_to_0.9"])
        for r in rows:
            w.writerow([*r, 1.0, "never"])
    return rows


def test_success_rate_from_sweep_reads_summary(tmp_path):
    rows = _fake_sweep(tmp_path / "sweep")
    s = viz.SuccessRate.from_sweep(tmp_path / "sweep").plot()
    assert s.x_kind == "width" and set(s.lines) == {"tanh", "relu"}
    np.testing.assert_allclose(s.lines["tanh"]["x"], [1, 2, 4])
    np.testing.assert_allclose(s.lines["tanh"]["rate"], [r[5] for r in rows if r[1] == "tanh"])
    np.testing.assert_allclose(s.lines["relu"]["rate"], [0.0, 0.375, 0.71875])
    np.testing.assert_allclose(s.lines["relu"]["se"], np.sqrt([0, 0.375 * 0.625 / 32, 0.71875 * 0.28125 / 32]))
    assert s.metric == "train_accuracy" and s.threshold == "1"
    by_lr = viz.SuccessRate.from_sweep(tmp_path / "sweep", x="lr")
    assert set(by_lr.lines) == {"tanh, hidden 1", "tanh, hidden 2", "tanh, hidden 4", "relu, hidden 1",
                                "relu, hidden 2", "relu, hidden 4"}
    with pytest.raises(WeightflowError, match="success rate: expected a sweep folder with summary.csv"):
        viz.SuccessRate.from_sweep(tmp_path / "nowhere")
    with pytest.raises(WeightflowError, match="success rate x: expected width, lr or auto"):
        viz.SuccessRate.from_sweep(tmp_path / "sweep", x="depth")


# ----------------------------------------------------------------------------------- particles
def test_particles_of_one_member(pop):
    m = pop.member(2)
    p = viz.Particles.from_run(m).plot()
    W1, W2 = np.asarray(m.frames[0][-1]), np.asarray(m.frames[2][-1])  # the last recorded frame
    np.testing.assert_allclose(p.positions[:, -1], W1.T)  # neuron j at (W1[0, j], W1[1, j])
    np.testing.assert_allclose(p.scatter_.get_offsets(), W1.T)
    ratio = p.sizes[:, -1] / np.abs(W2[:, 0])
    np.testing.assert_allclose(ratio, ratio[0])
    np.testing.assert_array_equal(p.sign[:, -1], np.sign(W2[:, 0]))
    assert p.positions.shape == (4, len(m.steps), 2)
    assert (p.trail_lengths_ == len(p.frames)).all()
    assert len(p.trails_.get_segments()) == 4 * (len(p.frames) - 1)
    # the same member picked from the population
    q = viz.Particles.from_run(pop, member=2)
    np.testing.assert_allclose(q.positions, p.positions)
    few = viz.Particles.from_run(m, frames=slice(0, 5)).plot()
    assert few.positions.shape[1] == 5 and (few.trail_lengths_ == 5).all()


def test_particles_of_the_whole_population_and_gif(pop, tmp_path):
    p = viz.Particles.from_run(pop, member="all", max_frames=8).plot()
    W1 = np.asarray(pop.frames[0][:, -1])  # (members, 2, 4) at the last frame
    W2 = np.asarray(pop.frames[2][:, -1])  # (members, 4, 1)
    np.testing.assert_allclose(p.positions[:, -1], W1.transpose(0, 2, 1).reshape(-1, 2))
    strength = np.abs(W2[..., 0]).reshape(-1)
    np.testing.assert_allclose(p.sizes[:, -1] / strength, (p.sizes[:, -1] / strength)[0])
    assert len(p.frames) == 8 and p.frames[0] == 0 and p.frames[-1] == len(pop.steps) - 1
    assert list(p.owner[:5]) == [0, 0, 0, 0, 1]
    path = p.save(tmp_path / "p.gif", fps=10)
    from PIL import Image

    with Image.open(path) as im:
        assert im.n_frames == 8
    with pytest.raises(WeightflowError, match="particles movie file: expected a name ending in .gif"):
        p.save(tmp_path / "p.mp4")
    with pytest.raises(WeightflowError, match="particles layer: expected a hidden layer from 1 to 1"):
        viz.Particles.from_run(pop, layer=2)


def test_particles_pca_for_many_inputs_and_errors():
    # a hand-made single run with 3 inputs (no training needed: pictures read stored arrays)
    from weightflow.config import DataConfig, OptimizerConfig, RunConfig, Schedule
    from weightflow.run import Run

    def config(model):
        return RunConfig(model=model, loss="bce", optimizer=OptimizerConfig("gd", 0.1),
                         schedule=Schedule(60, 10, 10, None, 1), data=DataConfig("hand-made"))

    rng = np.random.default_rng(0)
    model = wf.MLP([3, 5, 1], activation="tanh")
    frames = [rng.normal(size=(6, *s)).astype("float32") for s in model.param_shapes]
    run = Run(model=model, params=[f[-1] for f in frames], frames=frames, steps=np.arange(6) * 10, history={},
              metrics={}, status="completed", config=config(model))
    p = viz.Particles.from_run(run)
    assert p.positions.shape == (5, 6, 2) and p.explained is not None and p.xlabel.startswith("PC1")
    # the PCA projection is linear and keeps 0 at 0: positions are W1 columns times two unit axes
    W1 = frames[0][-1].T.astype(float)
    axes = np.linalg.lstsq(W1, p.positions[:, -1], rcond=None)[0]
    np.testing.assert_allclose(np.linalg.norm(axes, axis=0), 1, rtol=1e-5)
    q = viz.Particles.from_run(run, inputs=(0, 2))
    np.testing.assert_allclose(q.positions[:, -1], frames[0][-1][[0, 2]].T)
    with pytest.raises(WeightflowError, match="particles: expected a network with a hidden layer"):
        viz.Particles.from_run(Run(model=wf.MLP([3, 1]), params=[], frames=[], steps=np.arange(1), history={},
                                   metrics={}, status="completed", config=config(wf.MLP([3, 1]))))


# ------------------------------------------------------------------------------------------ CLI
def test_plot_population_run_writes_the_population_pictures(pop_dirs, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["plot", str(pop_dirs[1]), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["population-curves.png", "weight-distribution.png", "boundaries.png", "success.png",
                            "particles.png", "particles.gif"])
    assert capsys.readouterr().out.count("wrote ") == 6
    from PIL import Image

    with Image.open(out / "boundaries.png") as im:
        assert im.size[0] > 300 and im.size[1] > 300


def test_plot_population_member_and_errors(pop_dirs, tmp_path, capsys):
    assert main(["plot", str(pop_dirs[0]), "--member", "3", "--what", "curves,particles", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"curves.png", "particles.png", "particles.gif"}
    capsys.readouterr()
    code = main(["plot", str(pop_dirs[0]), "--what", "movie"])
    err = capsys.readouterr().err
    assert code == 2 and "movie: expected a single run, got a population of 16 members" in err and err.count("\n") == 1
    code = main(["plot", str(pop_dirs[0]), "--member", "40"])
    err = capsys.readouterr().err
    assert code == 2 and "member: expected an index in [0, 16)" in err


def test_plot_sweep_folder_draws_success(tmp_path, capsys):
    _fake_sweep(tmp_path / "sw")
    assert main(["plot", str(tmp_path / "sw"), "--what", "success"]) == 0
    assert (tmp_path / "sw" / "figures" / "success.png").exists()
    capsys.readouterr()
    code = main(["plot", str(tmp_path / "sw"), "--what", "curves"])
    err = capsys.readouterr().err
    assert code == 2 and "--what: expected success for a sweep folder" in err


def test_single_run_rejects_population_pictures(pop, tmp_path):
    with pytest.raises(WeightflowError, match="population-curves: expected a population run, got a single run"):
        viz.render_all(pop.member(0), tmp_path, "population-curves")


def test_plot_population_never_imports_jax(pop_dirs, tmp_path):
    import json
    import os
    import subprocess
    import sys

    code = ("import sys, json\nfrom weightflow.cli import main\n"
            f"rc = main(['plot', {str(pop_dirs[0])!r}, '--what', 'population-curves,particles', '--out', {str(tmp_path)!r}])\n"
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'optax'))]))")
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.abspath(src), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [0, []]


def test_population_displays_take_explicit_keyword_only_arguments(grid):
    from test_viz import _constructor_lists_every_attribute

    for display in (viz.PopulationCurves.from_run(grid), viz.WeightDistribution.from_run(grid),
                    viz.BoundaryOverlay.from_run(grid, members=(0, 20), resolution=20),
                    viz.SuccessRate.from_run(grid)):
        _constructor_lists_every_attribute(display)
