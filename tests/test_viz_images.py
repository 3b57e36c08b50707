"""Confusion matrix, input images and unit-weight images on short real trainings (digits 8x8, a tiny MNIST)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import weightflow as wf  # noqa: E402
from weightflow.datasets import load  # noqa: E402
from weightflow.errors import WeightflowError  # noqa: E402
from weightflow.viz import confusion, images  # noqa: E402
from weightflow.viz._common import pyplot  # noqa: E402
from weightflow.viz.confusion import ConfusionMatrix  # noqa: E402
from weightflow.viz.images import InputImages, UnitWeightImages  # noqa: E402


@pytest.fixture(scope="module")
def digits_run():
    """Logistic regression on digits (64 -> 10 softmax), standardised, a frame every 5 of 60 steps."""
    return wf.train(wf.MLP([64, 10], output="softmax"), "digits", optimizer="adam", lr=0.02, steps=60,
                    record_every=5, standardize=True, progress=False)


@pytest.fixture(scope="module")
def ps5_run():
    return wf.train(wf.MLP([2, 3, 1], activation="sigmoid"), "csv:experiments/data/ps5.csv", lr=0.05, steps=60,
                    record_every=5, standardize=True, progress=False)


def numpy_predict(W, b, X):
    return np.argmax(np.asarray(X, np.float64) @ W + b, axis=1)


def test_confusion_matrix_counts_and_per_class_accuracy(digits_run, tmp_path):
    from sklearn.metrics import confusion_matrix, recall_score

    run = digits_run
    cm = ConfusionMatrix.from_run(run, frame=-1, split="test")
    W, b = (np.asarray(f[-1], np.float64) for f in run.frames)  # the last frame's weights, not the final ones
    pred = numpy_predict(W, b, run.split.X_test)
    np.testing.assert_array_equal(cm.counts, confusion_matrix(run.split.y_test, pred, labels=range(10)))
    np.testing.assert_allclose(cm.per_class_accuracy, recall_score(run.split.y_test, pred, average=None))
    assert cm.counts.sum() == len(run.split.y_test) == 360 and cm.class_names == list("0123456789")
    assert cm.accuracy == pytest.approx(np.mean(pred == run.split.y_test))
    assert cm.step == run.steps[-1] == 55
    first = ConfusionMatrix.from_run(run, frame=0, split="train")
    assert first.accuracy < cm.accuracy and first.counts.sum() == len(run.split.y_train)
    cm.savefig(tmp_path / "confusion.png")
    pyplot().close(cm.figure_)
    assert (tmp_path / "confusion.png").stat().st_size > 10_000


def test_confusion_matrix_of_a_binary_sigmoid_net(ps5_run):
    cm = ConfusionMatrix.from_run(ps5_run, split="all")
    pred = ps5_run.model.predict([np.asarray(f[-1]) for f in ps5_run.frames],
                                 np.concatenate([ps5_run.split.X_train, ps5_run.split.X_test]))
    y = np.concatenate([ps5_run.split.y_train, ps5_run.split.y_test])
    assert cm.counts.shape == (2, 2) and cm.counts[1, 0] == np.sum((y == 1) & (pred == 0))
    assert confusion.applies(ps5_run) and confusion.default_split(ps5_run) == "test"
    with pytest.raises(WeightflowError, match=r"subset: expected train, test or all"):
        ConfusionMatrix.from_run(ps5_run, split="validation")


def test_input_images_show_the_raw_pixels(digits_run, tmp_path):
    run = digits_run
    raw = load("digits")
    shown = InputImages.from_run(run, per_class=4)
    assert shown.images.shape == (10, 4, 8, 8) and shown.labels == list("0123456789")
    train_y = run.split.y_train
    for k in (0, 7):
        rows = run.split.train_index[np.flatnonzero(train_y == k)[:4]]
        np.testing.assert_allclose(shown.images[k], raw.X[rows].reshape(4, 8, 8), atol=1e-5)  # standardisation undone
    W, b = (np.asarray(f[-1], np.float64) for f in run.frames)
    first_sevens = run.split.X_train[np.flatnonzero(train_y == 7)[:4]]
    np.testing.assert_array_equal(shown.predicted[7], numpy_predict(W, b, first_sevens))
    shown.savefig(tmp_path / "inputs.png")
    pyplot().close(shown.figure_)
    assert images.inputs_apply(run) and images.unit_weights_apply(run)


def test_unit_weight_images_are_the_first_layer_columns(digits_run, tmp_path):
    run = digits_run
    units = UnitWeightImages.from_run(run, frame=-1, layer=0)
    W = np.asarray(run.frames[0])  # (F, 64, 10)
    assert units.weights.shape == (len(run.steps), 10, 8, 8) and units.unit_names == list("0123456789")
    np.testing.assert_array_equal(units.weights[-1, 3], W[-1][:, 3].reshape(8, 8))
    np.testing.assert_array_equal(units.weights[0, 9], W[0][:, 9].reshape(8, 8))
    assert units.vmax == pytest.approx(np.abs(W).max())
    np.testing.assert_array_equal(units.steps, run.steps)
    units.savefig(tmp_path / "units.png")
    pyplot().close(units.figure_)
    path = units.save(tmp_path / "units.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == len(run.steps)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB"))
    assert first.shape == last.shape and np.abs(first.astype(int) - last.astype(int)).sum() > 0
    sparse = UnitWeightImages.from_run(run, frame=3, every=5)
    assert sparse.frame_numbers.tolist() == [0, 3, 5, 10, 11] and sparse.frame == 1
    with pytest.raises(WeightflowError, match=r"layer: expected 0 \(the first layer"):
        UnitWeightImages.from_run(run, layer=1)
    with pytest.raises(WeightflowError, match=r"expected a name ending in \.gif or \.mp4"):
        units.save(tmp_path / "units.avi")


def test_pictures_refuse_inputs_that_are_not_images(ps5_run):
    assert not images.inputs_apply(ps5_run) and not images.unit_weights_apply(ps5_run)
    for make in (InputImages.from_run, UnitWeightImages.from_run):
        with pytest.raises(WeightflowError, match=r"expected a run whose inputs are image pixels") as info:
            make(ps5_run)
        assert "\n" not in str(info.value)


def test_mnist_shaped_inputs_give_28x28_templates(tmp_path, monkeypatch):
    """Logistic regression on a tiny MNIST written as IDX files: ten 28x28 templates (a Run built by hand)."""
    from test_mnist import digits_arrays, write_idx_folder

    from weightflow.config import DataConfig, OptimizerConfig, RunConfig, Schedule
    from weightflow.datasets import split
    from weightflow.run import Run

    monkeypatch.delenv("WEIGHTFLOW_DATA", raising=False)
    ds = load("mnist", path=str(write_idx_folder(tmp_path / "mnist", digits_arrays(), gz=True)))
    rng = np.random.default_rng(0)
    frames = [rng.normal(size=(3, 784, 10)).astype(np.float32), np.zeros((3, 10), np.float32)]
    model = wf.MLP([784, 10], output="softmax")
    config = RunConfig(model=model, loss="ce", optimizer=OptimizerConfig("adam", 1e-3), schedule=Schedule(6, 2, 2, None, 1),
                       data=DataConfig("mnist", feature_names=tuple(ds.feature_names), class_names=tuple(ds.class_names)))
    run = Run(model=model, params=[f[-1] for f in frames], frames=frames,
              steps=np.array([0, 2, 4]), history={"step": np.array([0, 2, 4])}, metrics={}, status="completed",
              config=config, split=split(ds, test_size="given"))
    assert images.inputs_apply(run) and images.unit_weights_apply(run)
    units = UnitWeightImages.from_run(run)
    assert units.weights.shape == (3, 10, 28, 28)
    np.testing.assert_array_equal(units.weights[-1, 4], frames[0][-1][:, 4].reshape(28, 28))
    np.testing.assert_array_equal(units.weights[1, 0].ravel(), frames[0][1][:, 0])  # row-major px_R_C
    shown = InputImages.from_run(run, per_class=1)
    np.testing.assert_allclose(shown.images[0, 0], digits_arrays()["train_images"][0] / 255.0, rtol=1e-6)
    units.save(tmp_path / "t.gif")
    units.plot().savefig(tmp_path / "t.png")
    pyplot().close(units.figure_)


def test_population_runs_are_refused_with_the_member_hint(digits_run):
    from types import SimpleNamespace

    pop = SimpleNamespace(population=2, model=digits_run.model, split=digits_run.split, config=digits_run.config)
    assert not images.inputs_apply(pop) and not images.unit_weights_apply(pop) and not confusion.applies(pop)
    for make in (ConfusionMatrix.from_run, InputImages.from_run, UnitWeightImages.from_run):
        with pytest.raises(WeightflowError, match=r"expected a single run, got a population of 2 members.*member"):
            make(pop)
