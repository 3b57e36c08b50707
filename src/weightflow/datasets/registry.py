"""The dataset registry: ``load(name, **options)``, ``names()`` and ``describe_all()``.

A dataset is a generator function taking keyword options only; its options and their defaults are
read from its signature, so the CLI can list and type them (see ``options.parse_options``).
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from weightflow.datasets import notebooks, playground
from weightflow.datasets.mnist import mnist
from weightflow.datasets.mnist1d import mnist1d
from weightflow.datasets.checks import fail
from weightflow.datasets.csvfile import load_csv
from weightflow.datasets.dataset import Dataset

CSV_FORM = "csv:PATH"


@dataclass(frozen=True)
class Entry:
    """One registered dataset: its name, its generator and a one-line description with its rule."""

    name: str
    make: Callable[..., Dataset]
    summary: str

    def defaults(self) -> dict:
        """{option: default} from the generator's signature."""
        return {
            p.name: p.default
            for p in inspect.signature(self.make).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }


_ENTRIES = [
    Entry(
        "linear-embedded",
        notebooks.linear_embedded,
        "2-D Gaussian points (x 10), label a*x1+b*x2 >= c (default x1 >= 0; seed 000: x1+2*x2 >= 10), "
        "embedded in 15-D with 13 noise coordinates (seeds 000/001)",
    ),
    Entry(
        "sine-boundary",
        notebooks.sine_boundary,
        "2-D Gaussian points (x 10), label a*x1+b*x2 >= A*sin(x2)+c, 13 noise coordinates; "
        "variant 001: x1 >= 5 sin(x2), n 400; variant 000: x1+2*x2 >= sin(x2)+5, n 800 (seeds 001/000)",
    ),
    Entry("xor", notebooks.xor, "the 4 XOR patterns (+-1, +-1), label 1 where x1 != x2 (seed 002)"),
    Entry(
        "diamond", notebooks.diamond, "500 points uniform in [-1,1]^2, label 1 where |x1|+|x2| < 1 (seed 003)"
    ),
    Entry(
        "circle",
        notebooks.circle,
        "500 points uniform in [-1,1]^2, label 1 where sqrt(x1^2+x2^2) < 0.75 (seed 003)",
    ),
    Entry(
        "square",
        notebooks.square,
        "500 points uniform in [-1,1]^2, label 1 where max(|x1|,|x2|) < 0.5 (seed 003)",
    ),
    Entry(
        "thick-right-angle",
        notebooks.thick_right_angle,
        "500 points uniform in [-1,1]^2, label 1 where -0.5 < max(x1,x2) < 0.5 (seed 003)",
    ),
    Entry(
        "thin-right-angle",
        notebooks.thin_right_angle,
        "500 points uniform in [-1,1]^2, label 1 where 0 < max(x1,x2) < 0.5 (seed 003)",
    ),
    Entry(
        "spiral", playground.spiral, "two interleaved spirals, r up to 5, 1.75 turns (TensorFlow Playground)"
    ),
    Entry(
        "gaussian",
        playground.gaussian,
        "two Gaussian blobs centred at (2,2) (label 1) and (-2,-2) (label 0), variance 0.5+7*noise "
        "(TensorFlow Playground)",
    ),
    Entry(
        "rings",
        playground.rings,
        "a disc r < 2.5 (label 1) inside a ring 3.5 < r < 5 (label 0) (TensorFlow Playground 'circle')",
    ),
    Entry(
        "quadrants",
        playground.quadrants,
        "400 points in [-5,5]^2 kept 0.3 off the axes, label 1 where x1*x2 >= 0 (TensorFlow Playground's xor)",
    ),
    Entry(
        "moons",
        playground.moons,
        "two interleaving half circles with Gaussian noise (scikit-learn make_moons)",
    ),
    Entry(
        "digits",
        notebooks.digits,
        "1797 8x8 handwritten digits, 64 pixels in [0,1], 10 classes "
        "(scikit-learn, no download; a small MNIST)",
    ),
    Entry(
        "mnist",
        mnist,
        "MNIST 28x28 digits, 784 pixels in [0,1], 10 classes, its own 60000/10000 split, read from the IDX "
        "files (.gz or not) or mnist.npz in path or $WEIGHTFLOW_DATA (never downloaded; see docs/datasets.md)",
    ),
    Entry(
        "mnist1d",
        mnist1d,
        "MNIST-1D (Greydanus 2020): 40-point 1-D signals, 10 classes, its own 4000/1000 split, generated "
        "locally by the mnist1d package (default arguments, seed 42) and cached",
    ),
]
REGISTRY: dict[str, Entry] = {e.name: e for e in _ENTRIES}
CSV_ENTRY = Entry(
    CSV_FORM,
    load_csv,
    "a CSV file: a header row (optional), numeric feature columns and a label column "
    "(default the last; numbers or text)",
)


def names() -> list[str]:
    """The registered dataset names, then the form "csv:PATH"."""
    return [*REGISTRY, CSV_FORM]


def describe_all() -> list[tuple[str, str, dict]]:
    """(name, one-line description, {option: default}) for every dataset, "csv:PATH" last."""
    return [(e.name, e.summary, e.defaults()) for e in (*REGISTRY.values(), CSV_ENTRY)]


def entry(name: str) -> Entry:
    """The registry entry for ``name`` (any "csv:..." name gives the CSV entry)."""
    if not isinstance(name, str):
        raise fail("dataset name", "a string", repr(name), f"pass one of {', '.join(names())}")
    if name.startswith("csv:"):
        if not name[4:].strip():
            raise fail(
                "dataset name", "csv:PATH with a file path", repr(name), "write e.g. csv:data/points.csv"
            )
        return CSV_ENTRY
    if name in REGISTRY:
        return REGISTRY[name]
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in REGISTRY:
        return REGISTRY[key]
    close = difflib.get_close_matches(key, list(REGISTRY), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    if name.endswith((".csv", ".tsv", ".txt")):
        hint = f"for a file write csv:{name}; "
    raise fail("dataset", f"one of {', '.join(names())}", repr(name), f"{hint}see `weightflow datasets`")


def check_options(e: Entry, options: dict, what: str | None = None) -> None:
    """Raise when ``options`` holds a key that ``e``'s generator does not take.

    ``what`` names the key in the message (default "dataset NAME option KEY")."""
    known = e.defaults()
    for key in options:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            listing = ", ".join(f"{k}={v!r}" for k, v in known.items())
            raise fail(
                what or f"dataset {e.name!r} option {key!r}",
                f"one of the options of {e.name!r} ({listing})",
                "an unknown option",
                f"{hint}drop it or use one of those",
            )


def load(name: str, **options) -> Dataset:
    """Make or read the dataset ``name`` with keyword ``options``; see ``describe_all()``.

    Registered names (e.g. "linear-embedded", "xor", "spiral", "digits") call their generator,
    seeded by ``seed`` (default 0); "csv:PATH" reads a file (options ``label``, ``delimiter``).
    Returns a Dataset with X (n, d) float32 and y (n,) int64.
    """
    e = entry(name)
    check_options(e, options)
    if e is CSV_ENTRY:
        return load_csv(name[4:], **options)
    return e.make(**options)
