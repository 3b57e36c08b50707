"""The CSV loader: label columns that are not classes are refused, and (hypothesis) every input either loads
exactly what it says or is refused with one line; no other exception type ever escapes."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from weightflow.datasets import load
from weightflow.datasets.dataset import label_text
from weightflow.errors import WeightflowError


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return f"csv:{path}"


def refused(name, match, **options):
    with pytest.raises(WeightflowError, match=match) as info:
        load(name, **options)
    message = str(info.value)
    assert "\n" not in message and "expected" in message and "got" in message
    return message


def test_non_integer_float_labels_are_refused(tmp_path):
    rows = [f"{i},{i * 0.37:.2f}" for i in range(40)]
    name = write(tmp_path, "x,y\n" + "\n".join(rows) + "\n")
    message = refused(name, r"label column 'y': expected class labels \(whole numbers or text\), got numbers that "
                            r"are not whole, e.g. '0.37' on line 3 \(39 of 40 rows\)")
    assert "--label NAME" in message and "label=" not in message


def test_whole_floats_are_classes(tmp_path):
    ds = load(write(tmp_path, "a,b\n1,0.0\n2,1.0\n3,1\n4,-0\n"))
    assert ds.class_names == ("0", "1") and ds.y.tolist() == [0, 1, 1, 0]


def test_too_many_distinct_labels_are_refused(tmp_path):
    ids = "\n".join(f"{i % 7},{i}" for i in range(60))  # an id column: 60 values in 60 rows
    refused(write(tmp_path, "a,id\n" + ids + "\n"), r"label column 'id': expected a class label \(at most 50 "
                                                    r"distinct values.*got 60 distinct values in 60 rows")
    few = "\n".join(f"{i},k{i}" for i in range(12))  # 12 text labels in 12 rows: one row per class
    refused(write(tmp_path, "a,name\n" + few + "\n", "t.csv"), r"got 12 distinct values in 12 rows")
    ten = "\n".join(f"{i},{i % 10}" for i in range(30))  # ten digits, three rows each: a classification
    assert load(write(tmp_path, "a,digit\n" + ten + "\n", "ok.csv")).n_classes == 10
    tiny = load(write(tmp_path, "a,c\n1,0\n2,1\n3,2\n", "tiny.csv"))  # a toy file of 3 classes stays allowed
    assert tiny.n_classes == 3


def test_duplicate_column_names_are_refused(tmp_path):
    refused(write(tmp_path, "x,x,class\n1,2,0\n3,4,1\n"),
            r"header: expected distinct column names, got 'x' twice \(columns 0 and 1, 0-based\)")
    refused(write(tmp_path, "c1,,class\n1,2,0\n3,4,1\n", "e.csv"), r"got 'c1' twice")  # an empty cell is c1


def test_messages_name_the_cli_flag(tmp_path):
    name = write(tmp_path, "x1,x2,class\n1,2,0\n3,abc,1\n")
    assert "--label NAME" in refused(name, r"column 'x2': expected a number")
    assert "--label NAME" in refused(name, r"expected the name or 0-based index of a column", label="klass")
    assert "--data-option delimiter" in refused(name, r"delimiter: expected one character", delimiter=";;")


def test_cli_refuses_a_measurement_label_with_exit_2(tmp_path, capsys):
    from weightflow.cli import main

    rows = "\n".join(f"{i},{i % 2},{i * 0.5 + 0.25}" for i in range(20))
    path = tmp_path / "m.csv"
    path.write_text("a,kind,size\n" + rows + "\n")
    assert main(["train", "--data", f"csv:{path}", "--label", "size", "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "label column 'size'" in err and "--label" in err


def test_huge_numbers_are_refused_on_their_line(tmp_path):
    refused(write(tmp_path, "a,c\n1,0\n1e39,1\n"), r"line 3, column 'a': expected a number within float32's range")
    refused(write(tmp_path, "a,c\n1,0\n1e400,1\n", "i.csv"), r"line 3, column 'a': expected a finite number")
    refused(write(tmp_path, "a,c\n1,0\n2,1e400\n", "l.csv"), r"line 3, label column 'c': expected a finite label")
    big = load(write(tmp_path, "a,c\n3e38,0\n-3e38,1\n", "ok.csv"))
    np.testing.assert_array_equal(big.X[:, 0], np.float32([3e38, -3e38]))


# ------------------------------------------------------------------------------------------ fuzzing
def load_or_refuse(tmp_path, data: bytes, **options):
    """The Dataset, or None when refused with a one-line WeightflowError; anything else fails the test."""
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        return load(f"csv:{path}", **options)
    except WeightflowError as err:
        message = str(err)
        assert "\n" not in message and "\r" not in message, message
        assert "expected" in message and "got" in message, message
        return None


def naive_rows(text: str, delimiter: str) -> list[list[str]]:
    """An independent reading of quote-free CSV text: split lines and cells, strip, drop blank lines."""
    rows = []
    for line in re.split(r"\r\n|\r|\n", text):
        cells = [c.strip() for c in line.split(delimiter)]
        if len(cells) > 1 or cells[0]:
            rows.append(cells)
    return rows


def check_against_naive(ds, data: bytes, delimiter=","):
    """A loaded quote-free file holds what a naive split says: its last rows, label last."""
    text = data.decode("utf-8-sig")
    if '"' in text:
        return
    rows = naive_rows(text, delimiter)[-ds.n_samples :]
    assert len(rows) == ds.n_samples
    for i, cells in enumerate(rows):
        np.testing.assert_array_equal(ds.X[i], np.float32([float(c) for c in cells[:-1]]))
        want = label_text(float(cells[-1])) if _is_number(cells[-1]) else cells[-1]
        assert ds.class_names[ds.y[i]] == want


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CSV_CHARS = st.sampled_from(list("0123456789.,;\t\n\r\" -+eE") + ["nan", "inf", "1e39", "\ufeff", "é", "١", "x"])


@FUZZ
@given(data=st.binary(max_size=200))
@example(data=b"\xef\xbb\xbfa,b\n1,0\n2,1\n")
@example(data=b"a,b\n1,0\x00\n2,1\n")
@example(data=b"\xff\xfe,\x00\n")
def test_random_bytes_load_or_are_refused(tmp_path, data):
    ds = load_or_refuse(tmp_path, data)
    if ds is not None:
        check_against_naive(ds, data)


@FUZZ
@given(text=st.lists(CSV_CHARS, max_size=60).map("".join) | st.text(max_size=80),
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
@example(text="x1,x2,class\n1,2,0\n3,4,1\n", delimiter=",")
@example(text='a,b\n"1,5",0\n2,1\n', delimiter=",")
@example(text="a;b\n1;0\n1;\n", delimiter=";")
def test_random_text_loads_or_is_refused(tmp_path, text, delimiter):
    data = text.encode("utf-8")
    ds = load_or_refuse(tmp_path, data, delimiter=delimiter)
    if ds is not None:
        check_against_naive(ds, data, delimiter)


number_text = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3e}"),
    st.floats(-1e38, 1e38, allow_nan=False).map(lambda v: f"{v:.6g}"),
)


@st.composite
def tables(draw):
    """A table and how to write it: (rows of feature texts, label texts, options)."""
    n = draw(st.integers(2, 25))
    d = draw(st.integers(1, 4))
    text_labels = draw(st.booleans())
    pool = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=4).map(lambda s: "k" + s) if text_labels
                         else st.integers(-3, 9).map(str), min_size=2, max_size=5, unique=True))
    labels = [pool[0], pool[1]] + draw(st.lists(st.sampled_from(pool), min_size=n - 2, max_size=n - 2))
    features = draw(st.lists(st.lists(number_text, min_size=d, max_size=d), min_size=n, max_size=n))
    return features, labels, dict(
        delimiter=draw(st.sampled_from([",", ";", "\t", "|"])),
        header=draw(st.booleans()),
        bom=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        quote=draw(st.booleans()),
        pad=draw(st.sampled_from(["", " ", "  "])),
        blank_every=draw(st.sampled_from([0, 2, 5])),
        label_at=draw(st.integers(0, d)),
        damage=draw(st.sampled_from([None, None, "empty", "ragged"])),
        damaged_row=draw(st.integers(1, n - 1)),  # row 0 of a header-less file could pass as a header
    )


def render(features, labels, o):
    """(file text, file line number of each data row)."""
    lines, numbers = [], []

    def cell(text):
        return f'{o["pad"]}"{text}"' if o["quote"] else f"{o['pad']}{text}{o['pad']}"  # `, "a"` is CSV

    def emit(cells):
        lines.append(o["delimiter"].join(cell(c) for c in cells))

    d = len(features[0])
    if o["header"]:
        names = [f"f{j}" for j in range(d)]
        names.insert(o["label_at"], "label")
        emit(names)
    for i, (row, label) in enumerate(zip(features, labels)):
        if o["blank_every"] and i % o["blank_every"] == 0:
            lines.append("")
        cells = list(row)
        cells.insert(o["label_at"], label)
        if o["damage"] and i == o["damaged_row"]:
            feature_at = 1 if o["label_at"] == 0 else 0
            if o["damage"] == "empty":
                cells[feature_at] = ""
            else:
                del cells[feature_at]
        emit(cells)
        numbers.append(len(lines))
    return ("\ufeff" if o["bom"] else "") + o["newline"].join(lines) + o["newline"], numbers


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_generated_tables_load_exactly_or_name_the_damaged_line(tmp_path, table):
    features, labels, o = table
    text, line_of = render(features, labels, o)
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    name, options = f"csv:{path}", dict(delimiter=o["delimiter"], label=o["label_at"])
    if o["damage"]:
        assume(len(features[0]) > 1 or o["damage"] == "empty")  # a 1-feature ragged row has just a label
        line = line_of[o["damaged_row"]]
        want = "an empty cell" if o["damage"] == "empty" else "cells like"
        with pytest.raises(WeightflowError, match=rf"line {line}\b.*{want}") as info:
            load(name, **options)
        assert "\n" not in str(info.value)
        return
    ds = load(name, **options)
    assert ds.n_samples == len(labels) and ds.n_features == len(features[0])
    np.testing.assert_array_equal(ds.X, np.float32([[float(v) for v in row] for row in features]))
    want = [label_text(float(v)) if not v.startswith("k") else v for v in labels]
    assert [ds.class_names[k] for k in ds.y] == want
    if o["header"]:
        assert ds.feature_names == tuple(f"f{j}" for j in range(len(features[0])))


def test_ps5_csv_is_the_scripts_output(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "ps5.csv"
    subprocess.run([sys.executable, "scripts/make_ps5_csv.py", str(out)], check=True, capture_output=True)
    assert out.read_text() == open("experiments/data/ps5.csv").read()  # fixed seed: the shipped file
    ds = load("csv:experiments/data/ps5.csv", label="class")
    assert ds.feature_names == ("x1", "x2") and ds.class_names == ("0", "1") and ds.n_samples == 200
    x1, x2 = ds.X[:, 0].astype(np.float64), ds.X[:, 1].astype(np.float64)
    np.testing.assert_array_equal(ds.y, (x2 > 4 * (x1 - 5) ** 2 - 20).astype(int))  # the parabola it documents


def test_a_quoted_newline_in_a_label_stays_out_of_the_message(tmp_path):
    rows = "\n".join(f'{i},"line\nbreak {i}"' for i in range(60))
    message = refused(write(tmp_path, "a,b\n" + rows + "\n"), r"got 60 distinct values in 60 rows")
    assert "\n" not in message
