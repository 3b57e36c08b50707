"""Load a labelled CSV file (``csv:PATH``) into a Dataset, with a clear error for every bad file.

Rules:
- the first row is a header when some cell in it is not a number and at least one of those cells'
  columns holds a number in the second row (so a header-less file whose label column holds
  strings is still read as data); without a header the columns are named c0, c1, ...;
- blank lines are skipped; every other row needs one cell per column;
- the label column is ``label`` (a column name, or a 0-based index as an int or a string of digits,
  negative counting from the end; default the last column). A name is matched before an index;
- every other column is a feature and every feature cell must be a finite number;
- labels that are all numbers become classes in increasing numeric order (names printed without a
  trailing ".0"); otherwise labels are text, classes in sorted order. At least 2 classes are needed;
- a label column that looks like a measurement rather than a class is refused: numbers that are not
  whole (0.37), or more distinct values than a classification makes sense for (more than
  MAX_CLASSES, or more than 10 with fewer than two rows per class on average);
- column names must be distinct (an empty header cell is named c<index>).
Line numbers in messages are the file's own (1-based, the header is line 1).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re

import numpy as np

from weightflow.datasets.checks import fail
from weightflow.datasets.dataset import Dataset, label_text
from weightflow.errors import bad_input

_INT = re.compile(r"^-?\d+$")
MAX_CLASSES = 50
FLOAT32_MAX = float(np.finfo(np.float32).max)
LABEL_FLAG = "--label"


def _number(cell: str) -> float | None:
    """The cell as a float, or None when it is not a number (NaN and inf count as numbers)."""
    try:
        return float(cell)
    except ValueError:
        return None


def _delimiter(value: object) -> str:
    named = {"\\t": "\t", "tab": "\t", "\t": "\t", "space": " ", "comma": ",", "semicolon": ";"}
    if isinstance(value, str) and value in named:
        return named[value]
    if not isinstance(value, str) or len(value) != 1 or value in '"\r\n':
        raise bad_input(
            "csv option delimiter",
            "one character (or 'tab')",
            value,
            "pass e.g. --data-option delimiter=';' (delimiter=';' in Python)",
        )
    return value


def _read_rows(path: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of the file as (line number, cells)."""
    where = f"csv file {path!r}"
    if not os.path.exists(path):
        raise fail(
            where,
            "a file that exists",
            "no such file",
            "check the path (csv:PATH, relative to the current directory)",
        )
    if os.path.isdir(path):
        raise fail(
            where,
            "a file",
            "a directory",
            "name a .csv file inside it, e.g. csv:" + os.path.join(path, "data.csv"),
        )
    rows = []
    line = 1
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
        if "\0" in text:  # the csv module would drop it silently
            at = text[: text.index("\0")].count("\n") + 1
            raise fail(where, "a text file", f"a NUL byte on line {at}", "save it as UTF-8 CSV (is it a binary file?)")
        # skipinitialspace: `1, "a, b"` quotes a cell after ", " as people write it by hand
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True)
        for cells in reader:
            if cells and any(c.strip() for c in cells) or len(cells) > 1:
                rows.append((line, [c.strip() for c in cells]))
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise fail(
            where,
            "a UTF-8 text file",
            "bytes that are not UTF-8 text",
            "save it as UTF-8 CSV (is it a spreadsheet or a binary file?)",
        ) from None
    except csv.Error as err:
        raise fail(
            where,
            "well-formed CSV",
            f"a malformed row near line {line} ({err})",
            "check the quoting on that line",
        ) from None
    except OSError as err:
        raise fail(
            where,
            "a readable file",
            f"{type(err).__name__}: {err.strerror or err}",
            "check the file's permissions",
        ) from None
    return rows


def _has_header(rows: list[tuple[int, list[str]]]) -> bool:
    first = rows[0][1]
    text_cols = [j for j, c in enumerate(first) if _number(c) is None]
    if not text_cols:
        return False
    if len(rows) == 1:
        return True
    second = rows[1][1]
    return any(j < len(second) and _number(second[j]) is not None for j in text_cols)


def _label_index(label: object, columns: list[str], where: str) -> int:
    d = len(columns)
    listing = ", ".join(repr(c) for c in columns)
    fix = f"pass {LABEL_FLAG} NAME or a 0-based index; the columns are {listing}"
    if label is None:
        return d - 1
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        index = int(label)
    elif isinstance(label, str):
        if label in columns:
            return columns.index(label)
        if label.strip() in columns:
            return columns.index(label.strip())
        if not _INT.match(label.strip()):
            raise fail(
                f"{where} label column",
                "the name or 0-based index of a column",
                f"{label!r}, which is not a column",
                fix,
            )
        index = int(label.strip())
    else:
        raise bad_input(f"{where} label column", "a column name or 0-based index", label, fix)
    if not -d <= index < d:
        raise fail(f"{where} label column", f"an index in 0..{d - 1}", f"{index}", fix)
    return index % d


def _header(rows: list[tuple[int, list[str]]], where: str) -> tuple[list[str], list[tuple[int, list[str]]], bool]:
    """(column names, data rows, whether there was a header): the header's names, or c0, c1, ..."""
    if not _has_header(rows):
        return [f"c{j}" for j in range(len(rows[0][1]))], rows, False
    columns = [c if c else f"c{j}" for j, c in enumerate(rows[0][1])]
    seen: dict[str, int] = {}
    for j, name in enumerate(columns):
        if name in seen:
            raise fail(
                f"{where} header",
                "distinct column names",
                f"{name!r} twice (columns {seen[name]} and {j}, 0-based)",
                "rename one of them so that every column can be named (e.g. with --label)",
            )
        seen[name] = j
    if len(rows) == 1:
        raise fail(
            where,
            "at least one row of data after the header",
            "only the header",
            "add one row per sample below the header",
        )
    return columns, rows[1:], True


def _feature_value(cell: str, line: int, column: str, where: str) -> float:
    """One feature cell as a float that float32 holds (finite, |x| <= 3.4e38)."""
    at = f"{where} line {line}, column {column!r}"
    if cell == "":
        raise fail(at, "a number", "an empty cell", "fill in the missing value or drop the row")
    value = _number(cell)
    if value is None:
        raise fail(
            at,
            "a number",
            repr(cell),
            f"feature columns must hold numbers; pass {LABEL_FLAG} NAME if this is the label column",
        )
    if not math.isfinite(value):
        raise fail(at, "a finite number", repr(cell), "fill in the missing value or drop the row")
    if abs(value) > FLOAT32_MAX:
        raise fail(at, "a number within float32's range (|x| <= 3.4e38)", repr(cell), "rescale that column")
    return value


def _classes(labels: list[str], lines: list[int], column: str, where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """(class index per row (n,), class names) from the label cells, refusing what is not a class."""
    at = f"{where} label column {column!r}"
    numbers = [_number(c) for c in labels]
    if all(v is not None for v in numbers):
        bad = next((i for i, v in enumerate(numbers) if not math.isfinite(v)), None)  # type: ignore[arg-type]
        if bad is not None:
            raise fail(f"{where} line {lines[bad]}, label column {column!r}", "a finite label",
                       repr(labels[bad]), "give every row a proper label")
        values = np.asarray(numbers, dtype=np.float64)
        fractional = np.flatnonzero(values != np.round(values))
        if fractional.size:
            i = int(fractional[0])
            raise fail(
                at,
                "class labels (whole numbers or text)",
                f"numbers that are not whole, e.g. {labels[i]!r} on line {lines[i]} "
                f"({fractional.size} of {len(labels)} rows): a measurement, not a class",
                f"weightflow trains classifiers: name the class column with {LABEL_FLAG} NAME, "
                "or round/bin this column into classes first",
            )
        uniques, y = np.unique(values, return_inverse=True)
        names = tuple(label_text(v) for v in uniques.tolist())
    else:
        uniques, y = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        names = tuple(str(v) for v in uniques.tolist())
    k, n = len(names), len(labels)
    if k > MAX_CLASSES or (k > 10 and k > n / 2):
        raise fail(
            at,
            f"a class label (at most {MAX_CLASSES} distinct values, and on average at least 2 rows per class)",
            f"{k} distinct values in {n} rows, e.g. {', '.join(map(repr, names[:3]))}: an id or a measurement, "
            "not a class",
            f"name the class column with {LABEL_FLAG} NAME",
        )
    return y.reshape(-1).astype(np.int64), names


def load_csv(path: str, *, label: str | int | None = None, delimiter: str = ",", seed: int = 0) -> Dataset:
    """Read ``path`` into a Dataset: X (n, d) float32 from every column but the label, y (n,) int64.

    ``label`` (the CLI's ``--label``): the label column's name or 0-based index (default: the last
    column). ``delimiter``: one character; "tab" or "\\t" for tab-separated files.
    ``seed``: accepted (so every dataset takes one) and ignored.
    """
    path = os.fspath(path)
    where = f"csv file {path!r}"
    delimiter = _delimiter(delimiter)
    columns, data = _table(path, delimiter, where)
    li = _label_index(label, columns, where)
    feature_cols = [j for j in range(len(columns)) if j != li]
    X, labels = _values(data, columns, feature_cols, li, where)
    y, class_names = _classes(labels, [line for line, _ in data], columns[li], where)
    if len(class_names) < 2:
        raise fail(
            f"{where} label column {columns[li]!r}",
            "at least 2 classes",
            f"only {class_names[0]!r}",
            f"check the file, or pick the label column with {LABEL_FLAG} NAME "
            f"(columns: {', '.join(map(repr, columns))})",
        )
    features = tuple(columns[j] for j in feature_cols)
    return Dataset(
        X.astype(np.float32),
        y,
        feature_names=features,
        class_names=class_names,
        description=_description(path, len(data), features, columns[li], class_names),
        name=f"csv:{path}",
        options=dict(label=columns[li], delimiter=delimiter, seed=seed),
    )


def _table(path: str, delimiter: str, where: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The column names and the data rows ``(line, cells)``, every row as wide as the header."""
    rows = _read_rows(path, delimiter)
    if not rows:
        raise fail(
            where,
            "a header and at least one row of data",
            "an empty file",
            "write one row per sample, e.g. x1,x2,class",
        )
    columns, data, header = _header(rows, where)
    d = len(columns)
    shape_from = "the header" if header else "the first row"
    for line, cells in data:
        if len(cells) != d:
            raise fail(
                f"{where} line {line}",
                f"{d} cells like {shape_from}",
                f"{len(cells)}",
                "give every row one value per column "
                "(is a value missing, or a delimiter inside a value unquoted?)",
            )
    if d < 2:
        raise fail(
            where,
            "at least 2 columns (features and a label)",
            f"{d} column",
            f"separate the values with {delimiter!r} or pass --data-option delimiter=CHAR",
        )
    return columns, data


def _values(data, columns: list[str], feature_cols: list[int], li: int, where: str) -> tuple[np.ndarray, list[str]]:
    """The features (n, d) float64 and the label cells (n,), each cell checked."""
    X = np.empty((len(data), len(feature_cols)), dtype=np.float64)
    labels: list[str] = []
    for i, (line, cells) in enumerate(data):
        for k, j in enumerate(feature_cols):
            X[i, k] = _feature_value(cells[j], line, columns[j], where)
        cell = cells[li]
        if cell == "" or cell.lower() == "nan":
            raise fail(
                f"{where} line {line}, label column {columns[li]!r}",
                "a label",
                repr(cell) if cell else "an empty cell",
                "give every row a label or drop the row",
            )
        labels.append(cell)
    return X, labels


def _description(path: str, n: int, features: tuple[str, ...], label: str, class_names) -> str:
    shown = ", ".join(features[:6]) + (", ..." if len(features) > 6 else "")
    classes = ", ".join(class_names[:6]) + (", ..." if len(class_names) > 6 else "")
    return (f"csv:{path}: {n} samples, {len(features)} features ({shown}), "
            f"label column {label!r} with {len(class_names)} classes ({classes})")
