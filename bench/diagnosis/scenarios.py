"""The benchmark's recorded runs: clean configurations per dataset and injected faults at several
strengths. Each scenario trains as one population (many seeds in one compiled program).

A scenario is (name, fault, strength, data maker, model kwargs, train kwargs). ``fault`` is the
ground truth (None for a clean run); ACCEPT lists the finding names that count as naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ACCEPT = {
    "lr_too_high": ("diverging", "oscillating"),
    "oscillation": ("oscillating",),
    "lr_too_low": ("too_slow", "stuck"),
    "stuck": ("stuck",),
    "overfitting": ("overfitting", "generalisation_gap"),
    "dead_relu": ("dead_units",),
    "saturation": ("saturated_units",),
    "symmetric_init": ("symmetric_units",),
    "vanishing_gradients": ("vanishing_gradients",),
    "exploding_gradients": ("exploding_gradients",),
    "random_labels": ("chance_accuracy",),
    "class_imbalance": ("class_imbalance",),
    "unstandardised": ("unstandardised_inputs",),
    "noise_inputs": ("ignored_inputs",),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str | None
    strength: str
    data: tuple          # (dataset name, options, transform name, transform argument)
    model: dict
    train: dict = field(default_factory=dict)


def make_data(spec: tuple):
    """(X (n, d) float32, y (n,) int) for a scenario's data spec, transformed if asked."""
    import weightflow.datasets as wds

    name, options, transform, arg = spec
    ds = wds.load(name, **options)
    X, y = np.asarray(ds.X, np.float64), np.asarray(ds.y)
    rng = np.random.default_rng(123)
    if transform == "shuffle":
        y = rng.permutation(y)
    elif transform == "imbalance":  # keep only `arg` of class 1's share
        keep = (y != 1) | (rng.random(len(y)) < arg)
        X, y = X[keep], y[keep]
    elif transform == "scale":  # x * a + b
        X = X * arg[0] + arg[1]
    elif transform == "noise":  # append arg[0] columns of noise with std arg[1]
        X = np.concatenate([(X - X.mean(0)) / X.std(0), arg[1] * rng.standard_normal((len(y), arg[0]))], axis=1)
    elif transform == "standardise":
        X = (X - X.mean(0)) / X.std(0)
    return X.astype(np.float32), y


def _std(name, **options):
    return (name, options, "standardise", None)


MOONS, CIRCLE, SPIRAL = _std("moons", n=400, noise=0.15), _std("circle", n=500), _std("spiral", n=400, noise=0.1)
XOR, DIGITS, MNIST1D = ("xor", {}, None, None), ("digits", {}, None, None), ("mnist1d", {}, None, None)
MNIST1D_RELU = {"sizes": [40, 32, 10], "activation": "relu"}
MNIST1D_TRAIN = {"lr": 3e-3, "steps": 400, "batch_size": 128}  # short: an MLP's gap on mnist1d grows past 0.1 later


def _clean() -> list[Scenario]:
    tanh16 = {"sizes": [2, 16, 1], "activation": "tanh"}
    return [
        Scenario("clean-xor-tanh", None, "-", XOR, {"sizes": [2, 8, 1], "activation": "tanh"},
                 {"lr": 0.05, "steps": 600, "test_size": 0}),
        Scenario("clean-xor-relu", None, "-", XOR, {"sizes": [2, 8, 1], "activation": "relu", "bias_init": 0.1},
                 {"lr": 0.05, "steps": 600, "test_size": 0}),
        Scenario("clean-moons-tanh", None, "-", MOONS, tanh16, {"lr": 0.02, "steps": 2000}),
        Scenario("clean-moons-relu-sgd", None, "-", MOONS, {"sizes": [2, 16, 1], "activation": "relu"},
                 {"optimizer": "sgd", "lr": 0.1, "epochs": 100, "batch_size": 32}),
        Scenario("clean-circle-relu", None, "-", CIRCLE, {"sizes": [2, 16, 1], "activation": "relu"},
                 {"lr": 0.02, "steps": 2000}),
        Scenario("clean-circle-sigmoid", None, "-", CIRCLE, {"sizes": [2, 8, 1], "activation": "sigmoid"},
                 {"lr": 0.05, "steps": 3000}),
        Scenario("clean-spiral-tanh", None, "-", SPIRAL, {"sizes": [2, 32, 32, 1], "activation": "tanh"},
                 {"lr": 0.01, "steps": 3000}),
        Scenario("clean-digits-relu", None, "-", DIGITS, {"sizes": [64, 32, 10], "activation": "relu"},
                 {"lr": 0.005, "steps": 600}),
        Scenario("clean-mnist1d-relu", None, "-", MNIST1D, MNIST1D_RELU, MNIST1D_TRAIN),
    ]


def _faults() -> list[Scenario]:
    relu16 = {"sizes": [2, 16, 1], "activation": "relu"}
    tanh16 = {"sizes": [2, 16, 1], "activation": "tanh"}
    out = []
    for lr in (50.0, 200.0):
        out.append(Scenario(f"lr-high-moons-gd-{lr:g}", "lr_too_high", f"gd lr {lr:g}", MOONS, relu16,
                            {"optimizer": "gd", "lr": lr, "steps": 1000}))
    out.append(Scenario("lr-high-digits-gd-30", "lr_too_high", "gd lr 30", DIGITS,
                        {"sizes": [64, 32, 10], "activation": "tanh"}, {"optimizer": "gd", "lr": 30.0, "steps": 600}))
    for lr in (1e-5, 3e-5):
        out.append(Scenario(f"lr-low-moons-{lr:g}", "lr_too_low", f"adam lr {lr:g}", MOONS, tanh16,
                            {"lr": lr, "steps": 2000}))
    out.append(Scenario("lr-low-spiral-gd", "lr_too_low", "gd lr 1e-3", SPIRAL,
                        {"sizes": [2, 32, 32, 1], "activation": "tanh"}, {"optimizer": "gd", "lr": 1e-3, "steps": 3000}))
    for noise, width in ((0.3, 128), (0.4, 256)):
        out.append(Scenario(f"overfit-moons-{noise}", "overfitting", f"40 points noise {noise} width {width}",
                            _std("moons", n=40, noise=noise), {"sizes": [2, width, width, 1], "activation": "relu"},
                            {"lr": 0.01, "steps": 3000, "test_size": 0.5}))
    out.append(Scenario("overfit-spiral", "overfitting", "80 points noise 0.5 width 128", _std("spiral", n=80, noise=0.5),
                        {"sizes": [2, 128, 128, 1], "activation": "relu"}, {"lr": 0.01, "steps": 2000, "test_size": 0.5}))
    for b in (-2.0, -5.0):
        out.append(Scenario(f"dead-moons-{b:g}", "dead_relu", f"bias init {b:g}", MOONS, {**relu16, "bias_init": b},
                            {"lr": 0.01, "steps": 1000}))
    out.append(Scenario("dead-circle-3", "dead_relu", "bias init -3", CIRCLE, {**relu16, "bias_init": -3.0},
                        {"lr": 0.01, "steps": 1000}))
    for s in ("normal:10", "normal:50"):
        out.append(Scenario(f"sat-moons-{s}", "saturation", f"init {s}", MOONS, {**tanh16, "init": s},
                            {"lr": 0.01, "steps": 1000}))
    out.append(Scenario("sat-circle-sigmoid", "saturation", "init normal:20", CIRCLE,
                        {"sizes": [2, 16, 1], "activation": "sigmoid", "init": "normal:20"}, {"lr": 0.01, "steps": 1000}))
    out.append(Scenario("sym-moons-sigmoid", "symmetric_init", "zeros, sigmoid", MOONS,
                        {"sizes": [2, 16, 1], "activation": "sigmoid", "init": "zeros"}, {"lr": 0.01, "steps": 1000}))
    out.append(Scenario("sym-circle-tanh", "symmetric_init", "zeros, tanh, bias 0.5", CIRCLE,
                        {**tanh16, "init": "zeros", "bias_init": 0.5}, {"lr": 0.01, "steps": 1000}))
    for depth in (6, 9):
        out.append(Scenario(f"vanish-circle-{depth}", "vanishing_gradients", f"{depth} sigmoid layers", CIRCLE,
                            {"sizes": [2] + [16] * depth + [1], "activation": "sigmoid"},
                            {"optimizer": "sgd", "lr": 0.1, "steps": 1000}))
    for data in (MOONS, CIRCLE):
        out.append(Scenario(f"labels-{data[0]}", "random_labels", "shuffled labels", (data[0], data[1], "shuffle", None),
                            tanh16, {"lr": 0.01, "steps": 1000}))
    for keep in (0.05, 0.15):
        out.append(Scenario(f"imbalance-moons-{keep}", "class_imbalance", f"class 1 kept {keep:.0%}",
                            ("moons", {"n": 800, "noise": 0.15}, "imbalance", keep), tanh16, {"lr": 0.02, "steps": 1500}))
    for a, b in ((100.0, 0.0), (30.0, 300.0)):
        out.append(Scenario(f"scale-moons-{a:g}-{b:g}", "unstandardised", f"x*{a:g}+{b:g}",
                            ("moons", {"n": 400, "noise": 0.15}, "scale", (a, b)), tanh16,
                            {"optimizer": "sgd", "lr": 0.01, "steps": 1000}))
    for k, s in ((5, 0.01), (13, 0.01)):
        out.append(Scenario(f"noise-inputs-moons-{k}", "noise_inputs", f"{k} noise inputs, std {s:g}",
                            ("moons", {"n": 400, "noise": 0.15}, "noise", (k, s)),
                            {"sizes": [2 + k, 16, 1], "activation": "tanh"}, {"lr": 0.02, "steps": 1500}))
    return out


def _oscillating() -> list[Scenario]:
    """A step that makes the loss climb back again and again without diverging: momentum 0.999
    (heavy-ball rings for ~1000 steps), or Adam at lr 0.5 on minibatches."""
    mom = {"optimizer": "sgd", "steps": 1000}
    lin = {"sizes": [2, 16, 1], "activation": "tanh", "output": "linear"}
    return [
        Scenario("osc-moons-momentum", "oscillation", "sgd lr 0.05 momentum 0.999", MOONS,
                 {"sizes": [2, 16, 1], "activation": "tanh"}, {**mom, "lr": 0.05, "optimizer_options": {"momentum": 0.999}}),
        Scenario("osc-circle-mse-momentum", "oscillation", "mse, sgd lr 0.01 momentum 0.999", CIRCLE, lin,
                 {**mom, "lr": 0.01, "loss": "mse", "optimizer_options": {"momentum": 0.999}}),
        Scenario("osc-circle-mse-momentum-0.05", "oscillation", "mse, sgd lr 0.05 momentum 0.999", CIRCLE, lin,
                 {**mom, "lr": 0.05, "loss": "mse", "optimizer_options": {"momentum": 0.999}}),
        Scenario("osc-moons-adam", "oscillation", "adam lr 0.5, batch 32", MOONS, {"sizes": [2, 16, 1], "activation": "relu"},
                 {"lr": 0.5, "steps": 1000, "batch_size": 32}),
    ]


def _stuck() -> list[Scenario]:
    """A loss flat from the start: a step so small that nothing moves in the run's length."""
    return [
        Scenario("stuck-moons-adam-1e-7", "stuck", "adam lr 1e-7", MOONS, {"sizes": [2, 16, 1], "activation": "tanh"},
                 {"lr": 1e-7, "steps": 1000}),
        Scenario("stuck-circle-adam-3e-7", "stuck", "adam lr 3e-7", CIRCLE, {"sizes": [2, 16, 1], "activation": "relu"},
                 {"lr": 3e-7, "steps": 1000}),
        Scenario("stuck-circle-gd-1e-5", "stuck", "gd lr 1e-5", CIRCLE, {"sizes": [2, 16, 1], "activation": "relu"},
                 {"optimizer": "gd", "lr": 1e-5, "steps": 1000}),
    ]


def _exploding() -> list[Scenario]:
    """Deep ReLU nets drawn too large (N(0, s^2) weights, gain s * sqrt(fan-in / 2) > 1 per layer):
    the error grows layer by layer on its way back."""
    out = []
    for data, depth, s, opt, lr in ((CIRCLE, 6, 0.5, "adam", 0.01), (CIRCLE, 8, 0.6, "adam", 0.01),
                                    (MOONS, 6, 1.0, "sgd", 1e-4)):
        out.append(Scenario(f"explode-{data[0]}-{depth}x32-{s:g}", "exploding_gradients",
                            f"{depth} relu layers of 32, init normal:{s:g}, {opt} {lr:g}", data,
                            {"sizes": [2] + [32] * depth + [1], "activation": "relu", "init": f"normal:{s:g}"},
                            {"optimizer": opt, "lr": lr, "steps": 1000}))
    return out


def _mnist1d() -> list[Scenario]:
    """Faults on MNIST-1D (40-point signals, 10 classes), each against the clean 40-32-10 run."""
    return [
        Scenario("lr-high-mnist1d-gd-30", "lr_too_high", "gd lr 30", MNIST1D, MNIST1D_RELU,
                 {**MNIST1D_TRAIN, "optimizer": "gd", "lr": 30.0, "batch_size": None}),
        Scenario("dead-mnist1d-3", "dead_relu", "bias init -3", MNIST1D, {**MNIST1D_RELU, "bias_init": -3.0}, MNIST1D_TRAIN),
        Scenario("explode-mnist1d-4x64-0.4", "exploding_gradients", "4 relu layers of 64, init normal:0.4", MNIST1D,
                 {"sizes": [40] + [64] * 4 + [10], "activation": "relu", "init": "normal:0.4"}, {**MNIST1D_TRAIN, "lr": 1e-3}),
        Scenario("lr-low-mnist1d", "lr_too_low", "adam lr 1e-5", MNIST1D, MNIST1D_RELU, {**MNIST1D_TRAIN, "lr": 1e-5}),
    ]


def all_scenarios() -> list[Scenario]:
    return _clean() + _faults() + _oscillating() + _stuck() + _exploding() + _mnist1d()
