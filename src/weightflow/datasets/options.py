"""``parse_options``: CLI strings "KEY=VALUE" -> typed keyword options for ``load(name, ...)``."""

from __future__ import annotations

import math

from weightflow.datasets.checks import fail
from weightflow.datasets.registry import CSV_ENTRY, check_options, entry
from weightflow.errors import bad_input

FLAG = "--data-option"
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def _example(key: str, default: object) -> str:
    if isinstance(default, bool):
        text = "true" if default else "false"
    elif isinstance(default, tuple):
        text = ",".join(f"{v:g}" for v in default)
    elif default is None:
        text = "VALUE"
    else:
        text = str(default)
    return f"e.g. {FLAG} {key}={text}"


def _to_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _to_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _to_tuple(text: str) -> tuple[float, ...] | None:
    inner = text.strip().strip("()[]")
    parts = [p.strip() for p in inner.split(",")]
    if len(parts) < 2:
        return None
    values = [_to_float(p) for p in parts]
    if any(v is None for v in values):
        return None
    return tuple(values)  # type: ignore[arg-type]


def coerce(key: str, text: str, default: object) -> object:
    """``text`` as the type of ``default`` (None: int, else float, else tuple, else the string)."""
    what, example = f"{FLAG} {key}", _example(key, default)
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise bad_input(what, "true or false", text, example)
    if isinstance(default, int):
        value = _to_int(text.strip())
        if value is None:
            raise bad_input(what, "an integer", text, example)
        return value
    if isinstance(default, float):
        value = _to_float(text.strip())
        if value is None:
            raise bad_input(what, "a finite number", text, example)
        return value
    if isinstance(default, tuple):
        value = _to_tuple(text)
        if value is None or len(value) != len(default):
            raise bad_input(what, f"{len(default)} comma-separated numbers", text, example)
        return value
    if default is None:
        stripped = text.strip()
        for convert in (_to_int, _to_float, _to_tuple):
            value = convert(stripped)
            if value is not None:
                return value
        return text
    return text


def parse_options(name: str, pairs: list[str] | tuple[str, ...]) -> dict:
    """Turn ["KEY=VALUE", ...] into keyword options for ``load(name, **options)``.

    Values are typed after the option's default in the generator's signature: int, float, bool
    (true/false/1/0/yes/no), tuples of numbers ("1,2"), str; options defaulting to None take an
    int, else a float, else a tuple, else the string. '-' in a key means '_' (noise-dims=3).
    For csv:PATH the options are label and delimiter (and seed); label stays a string (a column
    name, or an all-digit string meaning a 0-based column index). A later KEY overrides an earlier one.
    """
    e = entry(name)
    defaults = e.defaults()
    out: dict = {}
    for pair in pairs:
        if not isinstance(pair, str) or "=" not in pair:
            first = next(iter(defaults), "KEY")
            raise bad_input(FLAG, "KEY=VALUE", pair, _example(first, defaults.get(first)))
        raw_key, text = pair.split("=", 1)
        key = raw_key.strip().replace("-", "_")
        if not key:
            raise bad_input(
                FLAG,
                "KEY=VALUE with a key",
                pair,
                _example(next(iter(defaults)), defaults[next(iter(defaults))]),
            )
        if key not in defaults:
            check_options(
                e, {key: None}, what=f"{FLAG} {raw_key.strip()}"
            )  # raises, listing the dataset's options
        if e is CSV_ENTRY and key in ("label", "delimiter"):
            if key == "label" and not text.strip():
                raise fail(
                    f"{FLAG} label", "a column name or 0-based index", "nothing", f"{FLAG} label=class"
                )
            out[key] = text if key == "delimiter" else text.strip()
            continue
        out[key] = coerce(key, text, defaults[key])
    return out
