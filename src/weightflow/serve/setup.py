"""What the playground page asks for, checked and turned into ``train``'s arguments (numpy only).

The page posts one JSON object (the "setup"): data (a registered name or an uploaded CSV, its noise, the
test share), input features (x1, x2 and the playground's crosses), the network (hidden widths,
activation, output, initialiser) and training (optimizer, learning rate, batch size, steps, steps per
frame, seed, population, pace). Every field goes through :mod:`weightflow.validate`; bad input is one
``WeightflowError`` line the page shows as it is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import optim, validate
from ..activations import NAMES as ACTIVATIONS
from ..datasets import Dataset, load
from ..datasets.registry import REGISTRY
from ..errors import bad_input
from ..model import MLP

# the playground's input features, each a function of the first two columns (x1, x2)
CROSSES = {
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin x1": lambda a, b: np.sin(a),
    "sin x2": lambda a, b: np.sin(b),
}
OUTPUTS = ("auto", "sigmoid", "softmax")
INITS = ("glorot-uniform", "glorot-normal", "he", "he-uniform", "uniform:1", "normal:0.1", "lattice:1", "zeros")
MAX_LAYERS, MAX_WIDTH = 6, 128
MAX_STEPS, MAX_FRAMES, MAX_POPULATION = 100_000, 1000, 256
MAX_FLOATS = 1 << 25  # population x frames x parameters the server keeps for one run (128 MB)
DEFAULTS = {"data": "moons", "noise": None, "n": 400, "test_size": 0.2, "label": None, "features": [],
            "hidden": [8, 8], "activation": "tanh", "output": "auto", "init": "glorot-uniform",
            "optimizer": "adam", "lr": 0.03, "batch_size": 0, "steps": 5000, "record_every": 10, "seed": 0,
            "population": 1, "pace": 40, "standardize": False, "regularization": "none", "reg_rate": 0.001}
REGULARIZATIONS = ("none", "l1", "l2")  # as TensorFlow Playground: a penalty on the weights and its rate


class Plan(NamedTuple):
    """A checked setup: the model, the data argument of ``train`` and its other keyword arguments;
    ``pace``: frames per second to show (0: as fast as it trains); ``setup``: the setup with defaults."""

    model: MLP
    data: object
    kwargs: dict
    pace: float
    setup: dict


def plan(setup: object, uploads: dict | None = None) -> Plan:
    """Check the page's setup (a dict; unknown keys refused) and plan the training it asks for.
    ``uploads``: upload id -> path of a CSV the server accepted."""
    if not isinstance(setup, dict):
        raise bad_input("setup", "a JSON object", type(setup).__name__, "post the page's form")
    unknown = sorted(set(setup) - set(DEFAULTS))
    if unknown:
        raise bad_input("setup", f"keys among {', '.join(DEFAULTS)}", unknown, "drop the unknown keys")
    s = {**DEFAULTS, **{k: v for k, v in setup.items() if v is not None or k in ("noise", "label")}}
    data, d, k = _data(s, uploads or {})
    model = _model(s, d, k)
    steps = validate.whole_in(s["steps"], 1, MAX_STEPS, "steps", f"a whole number of steps in 1..{MAX_STEPS}",
                              "e.g. 5000")
    every = validate.whole_in(s["record_every"], 1, steps, "steps per frame", f"a whole number in 1..{steps}",
                              "e.g. 10")
    frames = -(-steps // every)
    if frames > MAX_FRAMES:
        raise bad_input("steps per frame", f"at most {MAX_FRAMES} frames (steps / steps per frame)", frames,
                        f"use {-(-steps // MAX_FRAMES)} steps per frame or more")
    members = validate.whole_in(s["population"], 1, MAX_POPULATION, "population",
                                f"a whole number of seeds in 1..{MAX_POPULATION}", "e.g. 64")
    if members * frames * model.n_params > MAX_FLOATS:
        raise bad_input("population", f"at most {MAX_FLOATS} recorded floats (members x frames x weights)",
                        members * frames * model.n_params, "use fewer members, fewer frames or a smaller network")
    kwargs = {"steps": steps, "record_every": every, **_training(s), "population": None if members == 1 else members}
    if isinstance(data, str):
        kwargs["data_options"] = _data_options(s)
    pace = validate.finite("pace", s["pace"], 0.0, 40)
    return Plan(model, data, kwargs, pace, s)


def _data_options(s: dict) -> dict:
    """The generator's options the page sets (``n`` and ``noise`` where the generator takes them)."""
    if s["data"].startswith("upload:"):
        return {} if s["label"] is None else {"label": str(s["label"])}
    known, out = REGISTRY[s["data"]].defaults(), {}
    if "n" in known and s["n"] is not None:
        out["n"] = validate.whole_in(s["n"], 4, 20000, "points", "a whole number in 4..20000", "e.g. 400")
    if "noise" in known and s["noise"] is not None:
        out["noise"] = validate.finite("noise", s["noise"], 0.0, 0.1)
    return out


def _data(s: dict, uploads: dict) -> tuple[object, int, int]:
    """``train``'s data argument (a name, or a Dataset with crossed features), its inputs and classes."""
    name = s["data"]
    if not isinstance(name, str):
        raise bad_input("data", "a dataset name", name, "pick one in the list")
    if name.startswith("upload:"):
        path = uploads.get(name[7:])
        if path is None:
            raise bad_input("data", "an uploaded file of this server", name, "upload the CSV again")
        arg = f"csv:{path}"
    elif name in REGISTRY:
        arg = name
    else:
        raise bad_input("data", f"one of {', '.join(REGISTRY)} or an upload", name, "pick one in the list")
    ds = load(arg, **_data_options(s))
    features = _features(s["features"], ds)
    if features and s["standardize"] is True:
        raise bad_input("standardise", "off with crossed features (they are computed from the raw x1, x2)", True,
                        "untick standardise inputs or the crossed features")
    if features:
        ds = _crossed(ds, features)
        arg = ds
    return arg, ds.n_features, ds.n_classes


def _features(value, ds: Dataset) -> list[str]:
    if not isinstance(value, list) or any(f not in CROSSES for f in value):
        raise bad_input("features", f"a list among {', '.join(CROSSES)}", value, "tick the features in the list")
    if value and ds.n_features != 2:
        raise bad_input("features", "crossed features only for 2-D data", f"{ds.n_features}-D data",
                        "untick the crossed features")
    return [f for f in CROSSES if f in value]


def _crossed(ds: Dataset, features: list[str]) -> Dataset:
    """``ds`` (2-D) with the crossed features after x1, x2 (so the boundary's plane stays x1, x2)."""
    a, b = ds.X[:, 0].astype(np.float64), ds.X[:, 1].astype(np.float64)
    X = np.column_stack([a, b, *(CROSSES[f](a, b) for f in features)])
    names = (*(ds.feature_names or ("x1", "x2")), *features)
    return Dataset(X, ds.y, feature_names=names, class_names=ds.class_names,
                   description=f"{ds.description}; inputs x1, x2, {', '.join(features)}")


def _model(s: dict, d: int, k: int) -> MLP:
    hidden = s["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise bad_input("hidden layers", f"a list of at most {MAX_LAYERS} widths", hidden, "e.g. [8, 8]")
    widths = [validate.whole_in(h, 1, MAX_WIDTH, "layer width", f"a whole number in 1..{MAX_WIDTH}", "e.g. 8")
              for h in hidden]
    act = validate.choice(s["activation"], ACTIVATIONS, "activation", "tanh")
    out = validate.choice(s["output"], OUTPUTS, "output", "auto")
    init = validate.choice(s["init"], INITS, "initialisation", "glorot-uniform")
    classes = 1 if k == 2 and out != "softmax" else k
    if out == "sigmoid" and k > 2:
        raise bad_input("output", f"softmax for {k} classes", "sigmoid", "choose softmax (or auto)")
    return MLP([d, *widths, classes], activation=act, output=None if out == "auto" else out, init=init)


def _training(s: dict) -> dict:
    opt = validate.choice(s["optimizer"], tuple(optim.names()), "optimizer", "adam")
    lr = validate.positive(s["lr"], "learning rate", "0.03")
    batch = validate.whole_in(s["batch_size"], 0, 100_000, "batch size", "a whole number (0: full batch)", "e.g. 32")
    test = s["test_size"]
    if test != "given":
        test = validate.finite("test share", test, 0.0, 0.2)
        if test >= 0.9:
            raise bad_input("test share", "a fraction below 0.9", test, "e.g. 0.2")
    kind = validate.choice(s["regularization"], REGULARIZATIONS, "regularization", "l2")
    rate = validate.finite("regularization rate", s["reg_rate"], 0.0, 0.001)
    return {"optimizer": opt, "lr": lr, "batch_size": batch or None, "test_size": test,
            "seed": validate.seed(s["seed"], "seed"), "standardize": validate.boolean("standardize", s["standardize"]),
            "l1": rate if kind == "l1" else 0.0, "l2": rate if kind == "l2" else 0.0}
