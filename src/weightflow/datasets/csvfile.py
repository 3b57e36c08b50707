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
  trailing ".0"); otherwise labels are text, classes in sorted order. At least 2 classes are needed.
Line numbers in messages are the file's own (1-based, the header is line 1).
"""

from __future__ import annotations

import csv
import math
import os
import re

import numpy as np

from weightflow.datasets.checks import fail
from weightflow.datasets.dataset import Dataset, label_text
from weightflow.errors import bad_input

_INT = re.compile(r"^-?\d+$")


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
            "pass e.g. delimiter=',' or delimiter=';'",
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
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            line = 1
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
    fix = f"pass label=NAME or a 0-based index; the columns are {listing}"
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


def load_csv(path: str, *, label: str | int | None = None, delimiter: str = ",", seed: int = 0) -> Dataset:
    """Read ``path`` into a Dataset: X (n, d) float32 from every column but the label, y (n,) int64.

    ``label``: the label column's name or 0-based index (default: the last column).
    ``delimiter``: one character; "tab" or "\\t" for tab-separated files.
    ``seed``: accepted (so every dataset takes one) and ignored.
    """
    path = os.fspath(path)
    where = f"csv file {path!r}"
    delimiter = _delimiter(delimiter)
    rows = _read_rows(path, delimiter)
    if not rows:
        raise fail(
            where,
            "a header and at least one row of data",
            "an empty file",
            "write one row per sample, e.g. x1,x2,class",
        )
    header = _has_header(rows)
    if header:
        head_line, head = rows[0]
        columns = [c if c else f"c{j}" for j, c in enumerate(head)]
        data = rows[1:]
        if not data:
            raise fail(
                where,
                "at least one row of data after the header",
                "only the header",
                "add one row per sample below the header",
            )
    else:
        columns = [f"c{j}" for j in range(len(rows[0][1]))]
        data = rows
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
            f"separate the values with {delimiter!r} or pass delimiter=CHAR",
        )
    li = _label_index(label, columns, where)
    feature_cols = [j for j in range(d) if j != li]
    X = np.empty((len(data), len(feature_cols)), dtype=np.float64)
    labels: list[str] = []
    for i, (line, cells) in enumerate(data):
        for k, j in enumerate(feature_cols):
            cell = cells[j]
            if cell == "":
                raise fail(
                    f"{where} line {line}, column {columns[j]!r}",
                    "a number",
                    "an empty cell",
                    "fill in the missing value or drop the row",
                )
            value = _number(cell)
            if value is None:
                raise fail(
                    f"{where} line {line}, column {columns[j]!r}",
                    "a number",
                    repr(cell),
                    "feature columns must hold numbers; pass label=NAME if this is the label column",
                )
            if not math.isfinite(value):
                raise fail(
                    f"{where} line {line}, column {columns[j]!r}",
                    "a finite number",
                    repr(cell),
                    "fill in the missing value or drop the row",
                )
            X[i, k] = value
        cell = cells[li]
        if cell == "" or cell.lower() == "nan":
            raise fail(
                f"{where} line {line}, label column {columns[li]!r}",
                "a label",
                repr(cell) if cell else "an empty cell",
                "give every row a label or drop the row",
            )
        labels.append(cell)
    numbers = [_number(c) for c in labels]
    if all(v is not None for v in numbers):
        if not all(math.isfinite(v) for v in numbers):  # type: ignore[arg-type]
            line = data[next(i for i, v in enumerate(numbers) if not math.isfinite(v))][0]  # type: ignore[arg-type]
            raise fail(
                f"{where} line {line}, label column {columns[li]!r}",
                "a finite label",
                "inf",
                "give every row a proper label",
            )
        uniques, y = np.unique(np.asarray(numbers, dtype=np.float64), return_inverse=True)
        class_names = tuple(label_text(v) for v in uniques.tolist())
    else:
        uniques, y = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        class_names = tuple(str(v) for v in uniques.tolist())
    if len(class_names) < 2:
        raise fail(
            f"{where} label column {columns[li]!r}",
            "at least 2 classes",
            f"only {class_names[0]!r}",
            "check the file, or pick the label column with label=NAME "
            f"(columns: {', '.join(map(repr, columns))})",
        )
    features = tuple(columns[j] for j in feature_cols)
    shown = ", ".join(features[:6]) + (", ..." if len(features) > 6 else "")
    classes = ", ".join(class_names[:6]) + (", ..." if len(class_names) > 6 else "")
    description = (
        f"csv:{path}: {len(data)} samples, {len(features)} features ({shown}), "
        f"label column {columns[li]!r} with {len(class_names)} classes ({classes})"
    )
    return Dataset(
        X.astype(np.float32),
        y.reshape(-1).astype(np.int64),
        feature_names=features,
        class_names=class_names,
        description=description,
        name=f"csv:{path}",
        options=dict(label=columns[li], delimiter=delimiter, seed=seed),
    )
