"""weightflow.datasets: generators obey their rules, CSV files load or fail clearly, splits stratify."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weightflow.datasets import Dataset, Split, describe_all, load, names, parse_options, split
from weightflow.errors import WeightflowError


class one_line_error:
    """``pytest.raises(WeightflowError, match=...)`` that also checks the message is one line."""

    def __init__(self, match: str):
        self.ctx = pytest.raises(WeightflowError, match=match)

    def __enter__(self):
        self.info = self.ctx.__enter__()
        return self.info

    def __exit__(self, *exc):
        handled = self.ctx.__exit__(*exc)
        message = str(self.info.value)
        assert "\n" not in message, message
        assert "expected" in message and "got" in message, message
        return handled


def check_types(ds: Dataset) -> None:
    assert ds.X.dtype == np.float32 and ds.X.ndim == 2
    assert ds.y.dtype == np.int64 and ds.y.shape == (ds.X.shape[0],)
    assert ds.y.min() >= 0 and ds.y.max() < ds.n_classes
    assert len(ds.feature_names) == ds.n_features and len(ds.class_names) == ds.n_classes
    assert "\n" not in ds.description and ds.description


# ---------------------------------------------------------------- Dataset


def test_dataset_wraps_arrays_with_defaults():
    ds = Dataset([[0, 1], [2, 3], [4, 5]], [0, 1, 1])
    check_types(ds)
    assert ds.feature_names == ("x1", "x2") and ds.class_names == ("0", "1")
    assert (ds.n_samples, ds.n_features, ds.n_classes) == (3, 2, 2)
    assert ds.name == "arrays" and ds.options == {}
    assert ds.description == "arrays: 3 samples, 2 features, 2 classes"
    np.testing.assert_array_equal(ds.X, [[0, 1], [2, 3], [4, 5]])


def test_dataset_maps_string_and_signed_labels():
    ds = Dataset(np.zeros((4, 1)), ["dog", "cat", "dog", "bird"])
    assert ds.class_names == ("bird", "cat", "dog")
    np.testing.assert_array_equal(ds.y, [2, 1, 2, 0])
    ds = Dataset(np.zeros((3, 1)), np.array([-1, 1, 1]))
    assert ds.class_names == ("-1", "1") and ds.y.tolist() == [0, 1, 1]
    ds = Dataset(np.zeros((3, 1)), [0.0, 1.0, 1.0])
    assert ds.class_names == ("0", "1")
    ds = Dataset(np.zeros((3, 1)), np.array([[0], [1], [1]]))  # (n, 1) column of labels
    assert ds.y.tolist() == [0, 1, 1]


def test_dataset_keeps_indices_when_class_names_given():
    ds = Dataset(np.zeros((3, 1)), [0, 2, 2], class_names=("a", "b", "c"))
    assert ds.n_classes == 3 and ds.y.tolist() == [0, 2, 2]
    ds = Dataset(np.zeros((3, 1)), ["c", "a", "c"], class_names=("a", "b", "c"))
    assert ds.y.tolist() == [2, 0, 2]
    with one_line_error(r"class indices 0\.\.2"):
        Dataset(np.zeros((2, 1)), [0, 3], class_names=("a", "b", "c"))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "zz"]), min_size=2, max_size=30).filter(
        lambda v: len(set(v)) > 1
    )
)
def test_dataset_label_mapping_round_trips(labels):
    ds = Dataset(np.arange(len(labels), dtype=float).reshape(-1, 1), labels)
    assert [ds.class_names[k] for k in ds.y] == labels
    assert list(ds.class_names) == sorted(set(labels))


def test_converted_gathered_and_standardised_features_start_on_64_byte_boundaries():
    """What weightflow copies anyway it copies into 64-byte aligned memory (jax's CPU device then takes
    it without another copy): float64 or integer X converted, a split's gathered and standardised rows,
    the device's sample-major training data. A float32 array is used as given (a view)."""
    import jax

    from weightflow import program

    rng = np.random.default_rng(0)
    X64 = rng.normal(size=(101, 7))
    y = np.arange(101) % 3

    def aligned(a):
        return a.ctypes.data % 64 == 0 and a.flags.c_contiguous and a.dtype == np.float32

    for X in (X64, (X64 * 10).astype(np.int32), X64[:, ::2]):
        ds = Dataset(X, y)
        assert aligned(ds.X)
        np.testing.assert_array_equal(ds.X, np.asarray(X, np.float32))
    given = X64.astype(np.float32)
    assert np.shares_memory(Dataset(given, y).X, given)
    ds = Dataset(X64, y)
    sp = split(ds, test_size=0.3, seed=1)
    assert aligned(sp.X_train) and aligned(sp.X_test)
    np.testing.assert_array_equal(sp.X_train, ds.X[sp.train_index])
    st = split(ds, test_size=0.3, seed=1, standardize=True)
    assert aligned(st.X_train) and aligned(st.X_test)
    np.testing.assert_array_equal(st.X_test, ((ds.X[st.test_index] - st.mean) / st.std).astype(np.float32))
    data = program.train_data(sp, rows_major=True, sample=np.array([0, 5, 9]))
    np.testing.assert_array_equal(np.asarray(data.xt), sp.X_train)
    np.testing.assert_array_equal(np.asarray(data.xt_sample), sp.X_train[[0, 5, 9]])
    assert isinstance(data.xt, jax.Array)


def test_dataset_is_frozen():
    ds = Dataset([[0.0], [1.0]], [0, 1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]


def test_dataset_rejects_bad_arrays():
    with one_line_error(r"reshape"):
        Dataset([1.0, 2.0, 3.0], [0, 1, 0])
    with one_line_error(r"1 NaN/inf value \(first nan at X\[1, 0\]\)"):
        Dataset([[1.0], [np.nan], [3.0]], [0, 1, 0])
    with one_line_error(r"2 NaN/inf values \(first inf at X\[0, 1\]\)"):
        Dataset([[1.0, np.inf], [2.0, -np.inf]], [0, 1])
    with one_line_error(r"X with 3 rows and y with 2 labels"):
        Dataset([[1.0], [2.0], [3.0]], [0, 1])
    with one_line_error(r"at least 2 classes, got only class '0'"):
        Dataset([[1.0], [2.0]], [0, 0])
    with one_line_error(r"ragged"):
        Dataset([[1.0, 2.0], [3.0]], [0, 1])
    with one_line_error(r"not numbers"):
        Dataset([["a"], ["b"]], [0, 1])
    with one_line_error(r"2 names"):
        Dataset([[1.0, 2.0], [3.0, 4.0]], [0, 1], feature_names=("a",))


# ---------------------------------------------------------------- notebook datasets


def test_linear_embedded_defaults_follow_seed_001():
    ds = load("linear-embedded")
    check_types(ds)
    assert ds.X.shape == (1000, 15) and ds.name == "linear-embedded"
    x = ds.X.astype(np.float64)
    np.testing.assert_array_equal(ds.y, (x[:, 0] >= 0).astype(int))
    assert 9.0 < x[:, :2].std() < 11.0  # 10 * randn
    noise_std = x[:, 2:].std(axis=0)
    assert np.all(np.abs(noise_std - 0.01) < 0.001), noise_std
    assert "1000 samples, 15 features" in ds.description and "x1 >= 0" in ds.description
    assert ds.options["noise_dims"] == 13 and ds.options["seed"] == 0


def test_linear_embedded_options_and_seed_000_boundary():
    ds = load("linear-embedded", n=300, noise_dims=3, noise_scale=0.5, coef=(1, 2), threshold=10, seed=4)
    assert ds.X.shape == (300, 5)
    x = ds.X.astype(np.float64)
    np.testing.assert_array_equal(ds.y, (x[:, 0] + 2 * x[:, 1] >= 10).astype(int))
    assert np.all(np.abs(x[:, 2:].std(axis=0) - 0.5) < 0.05)
    assert "300 samples, 5 features" in ds.description and "x1 + 2*x2 >= 10" in ds.description


def test_seeding_is_reproducible():
    for name in ["linear-embedded", "sine-boundary", "diamond", "spiral", "gaussian", "rings", "moons"]:
        noisy = {"noise": 0.1} if name in ("spiral", "rings") else {}
        a, b, c = (load(name, seed=s, **noisy) for s in (1, 1, 2))
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.array_equal(a.X, c.X), name


@pytest.mark.parametrize(
    "variant, n, rule",
    [
        ("001", 400, lambda x1, x2: x1 >= 5 * np.sin(x2)),
        ("000", 800, lambda x1, x2: x1 + 2 * x2 >= np.sin(x2) + 5),
    ],
)
def test_sine_boundary_variants(variant, n, rule):
    ds = load("sine-boundary", variant=variant)
    check_types(ds)
    assert ds.X.shape == (n, 15)
    x = ds.X.astype(np.float64)
    np.testing.assert_array_equal(ds.y, rule(x[:, 0], x[:, 1]).astype(int))
    assert np.all(np.abs(x[:, 2:].std(axis=0) - 0.1) < 0.015)
    assert ds.options["variant"] == variant and ds.options["n"] == n


def test_sine_boundary_explicit_options_override_variant():
    ds = load("sine-boundary", variant="000", n=200, amplitude=3, threshold=-1, noise_dims=0)
    assert ds.X.shape == (200, 2)
    x = ds.X.astype(np.float64)
    np.testing.assert_array_equal(ds.y, (x[:, 0] + 2 * x[:, 1] >= 3 * np.sin(x[:, 1]) - 1).astype(int))
    with one_line_error(r"variant: expected one of '001', '000', got '002'"):
        load("sine-boundary", variant="002")


def test_xor_is_the_four_patterns():
    ds = load("xor", seed=5)
    check_types(ds)
    np.testing.assert_array_equal(ds.X, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])


PATTERN_RULES = {
    "diamond": (lambda a, b: np.abs(a) + np.abs(b) < 1, 0.5),
    "circle": (lambda a, b: np.sqrt(a**2 + b**2) < 0.75, np.pi * 0.75**2 / 4),
    "square": (lambda a, b: np.maximum(np.abs(a), np.abs(b)) < 0.5, 0.25),
    "thick-right-angle": (lambda a, b: (-0.5 < np.maximum(a, b)) & (np.maximum(a, b) < 0.5), 0.5),
    "thin-right-angle": (lambda a, b: (0 < np.maximum(a, b)) & (np.maximum(a, b) < 0.5), 0.3125),
}


@pytest.mark.parametrize("name", sorted(PATTERN_RULES))
def test_seed_003_patterns(name):
    rule, inside = PATTERN_RULES[name]
    ds = load(name)
    check_types(ds)
    assert ds.X.shape == (500, 2) and np.abs(ds.X).max() <= 1
    x = ds.X.astype(np.float64)
    np.testing.assert_array_equal(ds.y, rule(x[:, 0], x[:, 1]).astype(int))
    big = load(name, n=4000, seed=3)
    assert abs(big.y.mean() - inside) < 0.04, big.y.mean()  # the shape's share of the square


@pytest.mark.parametrize("name", sorted(PATTERN_RULES))
def test_bias_column_is_last_and_ones(name):
    ds = load(name, bias_column=True, n=100)
    assert ds.X.shape == (100, 3) and ds.feature_names == ("x1", "x2", "bias")
    np.testing.assert_array_equal(ds.X[:, 2], 1.0)
    plain = load(name, n=100)
    np.testing.assert_array_equal(ds.X[:, :2], plain.X)
    np.testing.assert_array_equal(ds.y, plain.y)


def test_digits():
    ds = load("digits")
    check_types(ds)
    assert ds.X.shape == (1797, 64) and ds.n_classes == 10
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    assert ds.feature_names[0] == "px0" and ds.feature_names[-1] == "px63"
    assert ds.class_names == tuple(str(k) for k in range(10))


# ---------------------------------------------------------------- playground datasets


def test_spiral_points_lie_on_two_interleaved_spirals():
    ds = load("spiral", n=400)
    check_types(ds)
    assert ds.X.shape == (400, 2) and np.bincount(ds.y).tolist() == [200, 200]
    x = ds.X.astype(np.float64)
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() < 5
    t = 1.75 * 2 * np.pi * r / 5 + np.where(ds.y == 1, 0.0, np.pi)
    np.testing.assert_allclose(x, np.stack([r * np.sin(t), r * np.cos(t)], axis=1), atol=1e-4)
    noisy = load("spiral", n=400, noise=0.3)
    assert 0 < np.abs(np.sort(noisy.X, axis=0) - np.sort(ds.X, axis=0)).max() <= 0.3 * np.sqrt(2) + 1e-3


def test_gaussian_blobs():
    ds = load("gaussian", n=4000)
    check_types(ds)
    x = ds.X.astype(np.float64)
    np.testing.assert_allclose(x[ds.y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(x[ds.y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(x[ds.y == 1].var(axis=0), [0.5, 0.5], rtol=0.1)
    wide = load("gaussian", n=4000, noise=0.5).X[load("gaussian", n=4000, noise=0.5).y == 0]
    np.testing.assert_allclose(wide.var(axis=0), [4, 4], rtol=0.1)


def test_rings_inner_disc_and_outer_ring():
    ds = load("rings", n=400)
    check_types(ds)
    r = np.hypot(*ds.X.astype(np.float64).T)
    np.testing.assert_array_equal(ds.y, (r < 2.5).astype(int))
    assert r[ds.y == 0].min() >= 3.5 - 1e-5 and r.max() <= 5 + 1e-5
    assert np.bincount(ds.y).tolist() == [200, 200]
    noisy = load("rings", n=2000, noise=0.5)  # labels of moved points: some flip
    assert (noisy.y != (np.hypot(*noisy.X.T) < 2.5)).any()


def test_moons_is_sklearn_make_moons():
    from sklearn.datasets import make_moons

    ds = load("moons", n=100, noise=0.2, seed=7)
    X, y = make_moons(n_samples=100, noise=0.2, random_state=7)
    np.testing.assert_allclose(ds.X, X.astype(np.float32))
    np.testing.assert_array_equal(ds.y, y)


# ---------------------------------------------------------------- registry


def test_names_and_describe_all_agree_and_load():
    listed = names()
    assert listed[-1] == "csv:PATH"
    described = describe_all()
    assert [d[0] for d in described] == listed
    for name, description, defaults in described:
        assert description and "\n" not in description
        assert "seed" in defaults
        if name not in ("csv:PATH", "mnist", "mnist1d"):  # files / generation: tests/test_mnist.py
            check_types(load(name, **{k: v for k, v in defaults.items() if v is not None}))
    linear = dict((n, (d, o)) for n, d, o in described)["linear-embedded"]
    assert "a*x1+b*x2 >= c" in linear[0] and linear[1]["noise_dims"] == 13


def test_import_is_light():
    code = "import sys, weightflow.datasets; print('sklearn' in sys.modules, 'jax' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_names_and_options():
    with one_line_error(r"got 'linear-embeded'; did you mean 'linear-embedded'\?") as info:
        load("linear-embeded")
    assert "csv:PATH" in str(info.value) and "xor" in str(info.value)
    with one_line_error(r"for a file write csv:points.csv"):
        load("points.csv")
    with one_line_error(r"option 'noise_dim'.*noise_dims=13.*did you mean 'noise_dims'"):
        load("linear-embedded", noise_dim=3)
    with one_line_error(r"option 'n'.*options of 'xor' \(seed=0\)"):
        load("xor", n=10)


def test_bad_option_values():
    with one_line_error(r"linear-embedded option n: expected an integer >= 1, got -5"):
        load("linear-embedded", n=-5)
    with one_line_error(r"option noise_scale: expected a number, got 'big'"):
        load("linear-embedded", noise_scale="big")
    with one_line_error(r"option coef: expected two finite numbers"):
        load("linear-embedded", coef=(1, 2, 3))
    with one_line_error(r"option bias_column: expected True or False"):
        load("circle", bias_column="maybe")
    with one_line_error(r"none of class '1'; use a larger n or change the options"):
        load("linear-embedded", threshold=1e6)


# ---------------------------------------------------------------- CSV


def write(path, text: str):
    path.write_text(text)
    return f"csv:{path}"


def test_csv_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)).round(4)
    y = (X[:, 0] > 0).astype(int)
    y[:2] = [0, 1]
    lines = ["x1,x2,class"] + [f"{a},{b},{c}" for (a, b), c in zip(X, y, strict=True)]
    name = write(tmp_path / "points.csv", "\n".join(lines) + "\n")
    ds = load(name)
    check_types(ds)
    np.testing.assert_allclose(ds.X, X.astype(np.float32))
    np.testing.assert_array_equal(ds.y, y)
    assert ds.feature_names == ("x1", "x2") and ds.class_names == ("0", "1")
    assert ds.name == name and ds.options["label"] == "class"
    assert "20 samples, 2 features" in ds.description


def test_csv_label_by_name_and_index(tmp_path):
    name = write(tmp_path / "d.csv", "kind,a,b\n1,0.5,1.5\n0,2.5,3.5\n1,4,5\n")
    for label in ("kind", 0, "0"):
        ds = load(name, label=label)
        assert ds.feature_names == ("a", "b") and ds.y.tolist() == [1, 0, 1]
        np.testing.assert_array_equal(ds.X, [[0.5, 1.5], [2.5, 3.5], [4, 5]])
    ds = load(name, label=-3)  # negative index counts from the end
    assert ds.feature_names == ("a", "b") and ds.class_names == ("0", "1")
    with one_line_error(r"label column 'b': expected class labels \(whole numbers or text\), got numbers"):
        load(name, label=-1)  # 1.5, 3.5, 5: a measurement, refused (tests/test_csv_labels.py)


def test_csv_string_labels_headerless_and_tabs(tmp_path):
    ds = load(write(tmp_path / "s.csv", "x,y,animal\n1,2,dog\n3,4,cat\n5,6,dog\n\n"))
    assert ds.class_names == ("cat", "dog") and ds.y.tolist() == [1, 0, 1]
    ds = load(write(tmp_path / "h.csv", "1,2,dog\n3,4,cat\n"))  # no header, text labels
    assert ds.feature_names == ("c0", "c1") and ds.n_samples == 2 and ds.class_names == ("cat", "dog")
    ds = load(write(tmp_path / "n.csv", "1,2,0\n3,4,1.0\n5,6,2\n"))  # no header, numeric labels
    assert ds.class_names == ("0", "1", "2") and ds.X.shape == (3, 2)
    ds = load(write(tmp_path / "t.tsv", "a\tb\tc\n1\t2\tx\n3\t4\ty\n"), delimiter="\\t")
    assert ds.feature_names == ("a", "b") and ds.y.tolist() == [0, 1]


def test_csv_errors(tmp_path):
    with one_line_error(
        r"csv file '.*nothere.csv': expected a file that exists, got no such file; check the path"
    ):
        load(f"csv:{tmp_path / 'nothere.csv'}")
    with one_line_error(r"expected a file, got a directory"):
        load(f"csv:{tmp_path}")
    with one_line_error(r"got an empty file"):
        load(write(tmp_path / "e.csv", ""))
    with one_line_error(r"at least one row of data after the header, got only the header"):
        load(write(tmp_path / "h.csv", "x1,x2,class\n"))
    with one_line_error(r"line 3, column 'x2': expected a number, got 'abc'"):
        load(write(tmp_path / "t.csv", "x1,x2,class\n1,2,0\n3,abc,1\n"))
    with one_line_error(r"line 2, column 'x1': expected a number, got an empty cell"):
        load(write(tmp_path / "m.csv", "x1,x2,class\n,2,0\n3,4,1\n"))
    with one_line_error(r"line 3, column 'x2': expected a finite number, got 'nan'"):
        load(write(tmp_path / "n.csv", "x1,x2,class\n1,2,0\n3,nan,1\n"))
    with one_line_error(r"line 3, label column 'class': expected a label, got an empty cell"):
        load(write(tmp_path / "l.csv", "x1,x2,class\n1,2,0\n3,4,\n"))
    with one_line_error(r"line 3: expected 3 cells like the header, got 2"):
        load(write(tmp_path / "r.csv", "x1,x2,class\n1,2,0\n3,4\n"))
    with one_line_error(
        r"label column: expected the name or 0-based index of a column, got 'klass'.*'x1', 'x2', 'class'"
    ):
        load(write(tmp_path / "k.csv", "x1,x2,class\n1,2,0\n3,4,1\n"), label="klass")
    with one_line_error(r"label column: expected an index in 0..2, got 7"):
        load(write(tmp_path / "k2.csv", "x1,x2,class\n1,2,0\n3,4,1\n"), label=7)
    with one_line_error(r"label column 'class': expected at least 2 classes, got only '1'"):
        load(write(tmp_path / "o.csv", "x1,x2,class\n1,2,1\n3,4,1\n"))
    with one_line_error(r"at least 2 columns"):
        load(write(tmp_path / "semi.csv", "x1;x2;class\n1;2;0\n3;4;1\n"))
    with one_line_error(r"a UTF-8 text file"):
        (tmp_path / "b.csv").write_bytes(b"\xff\xfe\x00\x81binary")
        load(f"csv:{tmp_path / 'b.csv'}")
    with one_line_error(r"option delimiter: expected one character"):
        load(write(tmp_path / "d.csv", "a,b\n1,0\n2,1\n"), delimiter=";;")
    with one_line_error(r"csv:PATH with a file path"):
        load("csv:")


def test_csv_semicolon_delimiter(tmp_path):
    ds = load(write(tmp_path / "semi.csv", "x1;x2;class\n1;2;0\n3;4;1\n"), delimiter=";")
    assert ds.X.shape == (2, 2) and ds.options["delimiter"] == ";"


# ---------------------------------------------------------------- parse_options


def test_parse_options_coerces_by_default_type():
    got = parse_options(
        "linear-embedded", ["n=200", "noise-dims=3", "noise_scale=1e-2", "coef=1,2", "threshold=10", "seed=4"]
    )
    assert got == {
        "n": 200,
        "noise_dims": 3,
        "noise_scale": 0.01,
        "coef": (1.0, 2.0),
        "threshold": 10.0,
        "seed": 4,
    }
    assert type(got["threshold"]) is float and type(got["n"]) is int
    assert load("linear-embedded", **got).X.shape == (200, 5)
    for text, value in [
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("no", False),
        ("0", False),
    ]:
        assert parse_options("square", [f"bias_column={text}"]) == {"bias_column": value}
    # None defaults: int, else float, else tuple, else str
    got = parse_options("sine-boundary", ["n=50", "amplitude=2.5", "coef=(1, 2)", "variant=000"])
    assert got == {"n": 50, "amplitude": 2.5, "coef": (1.0, 2.0), "variant": "000"}
    assert type(got["n"]) is int
    assert parse_options("xor", []) == {}


def test_parse_options_csv_keeps_label_a_string(tmp_path):
    got = parse_options("csv:data.csv", ["label=0", "delimiter=;"])
    assert got == {"label": "0", "delimiter": ";"}
    name = write(tmp_path / "c.csv", "y,a\n1,0.5\n0,1.5\n")
    assert load(name, **parse_options(name, ["label=0"])).feature_names == ("a",)
    assert load(name, **parse_options(name, ["label=y"])).y.tolist() == [1, 0]


def test_parse_options_errors():
    with one_line_error(
        r"^--data-option noise_dims: expected an integer, got 'abc'; e\.g\. --data-option noise_dims=13$"
    ):
        parse_options("linear-embedded", ["noise_dims=abc"])
    with one_line_error(
        r"^--data-option: expected KEY=VALUE, got 'noise_dims'; e\.g\. --data-option n=1000$"
    ):
        parse_options("linear-embedded", ["noise_dims"])
    with one_line_error(r"--data-option noise-dim: .*noise_dims=13.*did you mean 'noise_dims'"):
        parse_options("linear-embedded", ["noise-dim=3"])
    with one_line_error(r"--data-option noise_scale: expected a finite number, got 'inf'"):
        parse_options("linear-embedded", ["noise_scale=inf"])
    with one_line_error(
        r"--data-option coef: expected 2 comma-separated numbers, got '1'; e\.g\. --data-option coef=1,0"
    ):
        parse_options("linear-embedded", ["coef=1"])
    with one_line_error(r"--data-option bias_column: expected true or false, got 'maybe'"):
        parse_options("diamond", ["bias_column=maybe"])
    with one_line_error(r"did you mean 'spiral'"):
        parse_options("spiarl", ["n=3"])


# ---------------------------------------------------------------- split


def test_split_is_stratified_disjoint_and_covering():
    ds = load("linear-embedded", coef=(1, 2), threshold=10)  # unbalanced: ~24% positives
    parts = split(ds, test_size=0.2, seed=0)
    assert isinstance(parts, Split)
    assert parts.X_train.shape == (800, 15) and parts.X_test.shape == (200, 15)
    assert parts.X_train.dtype == np.float32 and parts.y_test.dtype == np.int64
    whole = ds.y.mean()
    assert abs(parts.y_train.mean() - whole) <= 0.02 and abs(parts.y_test.mean() - whole) <= 0.02
    both = np.concatenate([parts.train_index, parts.test_index])
    assert np.array_equal(np.sort(both), np.arange(1000))
    np.testing.assert_array_equal(parts.X_train, ds.X[parts.train_index])
    np.testing.assert_array_equal(parts.y_test, ds.y[parts.test_index])
    np.testing.assert_array_equal(parts.mean, 0)
    np.testing.assert_array_equal(parts.std, 1)


def test_split_is_deterministic_per_seed():
    ds = load("moons", n=200)
    a, b, c = split(ds, seed=3), split(ds, seed=3), split(ds, seed=4)
    np.testing.assert_array_equal(a.test_index, b.test_index)
    assert not np.array_equal(np.sort(a.test_index), np.sort(c.test_index))


def test_split_standardises_with_training_statistics():
    ds = load("linear-embedded", n=500, noise_dims=2, seed=2)
    parts = split(ds, test_size=0.3, seed=1, standardize=True)
    raw_train, raw_test = (
        ds.X[parts.train_index].astype(np.float64),
        ds.X[parts.test_index].astype(np.float64),
    )
    np.testing.assert_allclose(parts.mean, raw_train.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(parts.std, raw_train.std(axis=0), rtol=1e-5)
    np.testing.assert_allclose(parts.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(parts.X_train.std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(parts.X_test, (raw_test - parts.mean) / parts.std, rtol=1e-5, atol=1e-5)
    assert not np.allclose(parts.X_test.mean(axis=0), 0, atol=1e-6)  # not refitted on the test part
    np.testing.assert_allclose(parts.standardize_X(ds.X[:5]), (ds.X[:5] - parts.mean) / parts.std, rtol=1e-6)
    with one_line_error(r"standardize_X: expected an array with 4 features"):
        parts.standardize_X(np.zeros((2, 3)))


def test_split_keeps_constant_bias_column():
    parts = split(load("diamond", bias_column=True), standardize=True)
    assert parts.mean[2] == 0 and parts.std[2] == 1
    np.testing.assert_array_equal(parts.X_train[:, 2], 1)
    np.testing.assert_array_equal(parts.X_test[:, 2], 1)


def test_split_with_no_test_part():
    ds = load("xor")
    parts = split(ds, test_size=0, standardize=True)
    assert parts.X_train.shape == (4, 2) and parts.X_test.shape == (0, 2) and parts.y_test.shape == (0,)
    np.testing.assert_array_equal(parts.train_index, np.arange(4))


def test_split_errors():
    with one_line_error(r"split of 'xor' \(4 samples, 2 classes\) with test_size 0\.2: .*--test-size 0"):
        split(load("xor"), test_size=0.2)
    with one_line_error(r"1 sample of class 'b'.*--test-size 0"):
        split(Dataset(np.zeros((5, 1)), ["a", "a", "a", "a", "b"]))
    for bad in (1, 1.5, -0.1, "0.2", True):
        with one_line_error(r"test_size: expected a fraction in \[0, 1\)"):
            split(load("xor"), test_size=bad)
    with one_line_error(r"split: expected a weightflow Dataset"):
        split(np.zeros((3, 2)))


def test_quadrants_is_playgrounds_exclusive_or():
    ds = load("quadrants", n=400)
    check_types(ds)
    x = ds.X.astype(np.float64)
    np.testing.assert_array_equal(ds.y, (x[:, 0] * x[:, 1] >= 0).astype(int))
    assert np.abs(x).min() >= 0.3 - 1e-6 and np.abs(x).max() <= 5.3 + 1e-5  # kept off the axes
    assert 150 < ds.y.sum() < 250
    noisy = load("quadrants", n=2000, noise=0.5)
    assert np.abs(noisy.X).min() < 0.3 and (noisy.y == (noisy.X[:, 0] * noisy.X[:, 1] >= 0)).all()
