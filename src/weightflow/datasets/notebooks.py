"""The datasets of the source notebooks (seeds 000-003), plus scikit-learn's bundled digits.

Every generator takes keyword options only, draws from ``np.random.default_rng(seed)`` and returns a
:class:`~weightflow.datasets.dataset.Dataset` with X float32 (n, d) and y int64 (n,) in {0, .., K-1}.
"""

from __future__ import annotations

import numpy as np

from weightflow.datasets.checks import check_bool, check_float, check_int, check_pair, check_seed, fail
from weightflow.datasets.dataset import Dataset, generated

BINARY = ("0", "1")


def _fmt(v: float) -> str:
    return f"{v:g}"


def _boundary(coef: tuple[float, float]) -> str:
    """'x1 + 2*x2' for (1, 2); zero terms dropped."""
    terms = []
    for c, x in zip(coef, ("x1", "x2"), strict=True):
        if c == 0:
            continue
        mag = "" if abs(c) == 1 else f"{_fmt(abs(c))}*"
        sign = "-" if c < 0 else "+"
        terms.append(f"{'-' if c < 0 else ''}{mag}{x}" if not terms else f" {sign} {mag}{x}")
    return "".join(terms) or "0"


def _sine_rhs(amplitude: float, threshold: float) -> str:
    """'5*sin(x2)', 'sin(x2) + 5', '-sin(x2) - 1' ..."""
    if amplitude == 0:
        return _fmt(threshold)
    mag = "" if abs(amplitude) == 1 else f"{_fmt(abs(amplitude))}*"
    text = f"{'-' if amplitude < 0 else ''}{mag}sin(x2)"
    if threshold:
        text += f" {'-' if threshold < 0 else '+'} {_fmt(abs(threshold))}"
    return text


def _noise_text(noise_dims: int, noise_scale: float) -> str:
    if noise_dims == 0:
        return ""
    cols = "x3" if noise_dims == 1 else f"x3..x{2 + noise_dims}"
    return f", {cols} noise {_fmt(noise_scale)}*randn"


def _gaussian_plane(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 2) points 10 * N(0, I), the seeds' ``X = 10*randn``, rounded to float32 (held as float64)
    so that labels computed from them hold exactly for the stored float32 X."""
    return (10.0 * rng.standard_normal((n, 2))).astype(np.float32).astype(np.float64)


def _embed(rng: np.random.Generator, x: np.ndarray, noise_dims: int, noise_scale: float) -> np.ndarray:
    """Append ``noise_dims`` columns of ``noise_scale * randn`` to x (n, 2) -> (n, 2 + noise_dims) float32."""
    noise = noise_scale * rng.standard_normal((x.shape[0], noise_dims))
    return np.concatenate([x, noise], axis=1).astype(np.float32)


def _embedded(name: str, X: np.ndarray, y: np.ndarray, description: str, options: dict) -> Dataset:
    """A binary dataset of 2-D points embedded in more dimensions: features x1..xd."""
    return generated(name, X, y, feature_names=[f"x{i + 1}" for i in range(X.shape[1])], class_names=BINARY,
                     description=description, options=options)


def linear_embedded(
    *,
    n: int = 1000,
    noise_dims: int = 13,
    noise_scale: float = 0.01,
    coef: tuple[float, float] = (1.0, 0.0),
    threshold: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """Seeds 001/000: x = 10*randn(n, 2), y = [coef[0]*x1 + coef[1]*x2 >= threshold], embedded in
    2 + noise_dims dimensions with noise_scale*randn coordinates.

    Returns X (n, 2 + noise_dims) float32, y (n,) in {0, 1}. Seed 001: the defaults; seed 000:
    ``coef=(1, 2), threshold=10``.
    """
    where = "linear-embedded option"
    n = check_int(f"{where} n", n, low=1, example=1000)
    noise_dims = check_int(f"{where} noise_dims", noise_dims, low=0, example=13)
    noise_scale = check_float(f"{where} noise_scale", noise_scale, low=0.0, example=0.01)
    coef = check_pair(f"{where} coef", coef)
    threshold = check_float(f"{where} threshold", threshold, example=0)
    seed = check_seed(f"{where} seed", seed)
    rng = np.random.default_rng(seed)
    x = _gaussian_plane(rng, n)
    y = (coef[0] * x[:, 0] + coef[1] * x[:, 1] >= threshold).astype(np.int64)
    X = _embed(rng, x, noise_dims, noise_scale)
    d = X.shape[1]
    options = dict(
        n=n, noise_dims=noise_dims, noise_scale=noise_scale, coef=coef, threshold=threshold, seed=seed
    )
    noise_text = _noise_text(noise_dims, noise_scale)
    description = (
        f"linear-embedded: {n} samples, {d} features (x1, x2 ~ 10*randn{noise_text}), "
        f"label 1 where {_boundary(coef)} >= {_fmt(threshold)}, seed {seed}"
    )
    return _embedded("linear-embedded", X, y, description, options)


SINE_VARIANTS = {
    # seed 001: y = x1 >= 5 sin(x2); seed 000: y = x1 + 2 x2 >= sin(x2) + 5
    "001": dict(n=400, coef=(1.0, 0.0), amplitude=5.0, threshold=0.0, noise_scale=0.1),
    "000": dict(n=800, coef=(1.0, 2.0), amplitude=1.0, threshold=5.0, noise_scale=0.1),
}


def sine_boundary(
    *,
    variant: str = "001",
    n: int | None = None,
    noise_dims: int = 13,
    noise_scale: float | None = None,
    coef: tuple[float, float] | None = None,
    amplitude: float | None = None,
    threshold: float | None = None,
    seed: int = 0,
) -> Dataset:
    """Seeds 001/000, non-linear: x = 10*randn(n, 2),
    y = [coef[0]*x1 + coef[1]*x2 >= amplitude*sin(x2) + threshold], plus noise_dims noise columns.

    ``variant`` "001" (n 400, x1 >= 5 sin x2) or "000" (n 800, x1 + 2 x2 >= sin x2 + 5) fills every
    option left as None. Returns X (n, 2 + noise_dims) float32, y (n,) in {0, 1}.
    """
    o = _sine_options(variant, n=n, noise_dims=noise_dims, noise_scale=noise_scale, coef=coef,
                      amplitude=amplitude, threshold=threshold, seed=seed)
    coef, amplitude, threshold = o["coef"], o["amplitude"], o["threshold"]
    rng = np.random.default_rng(o["seed"])
    x = _gaussian_plane(rng, o["n"])
    lhs = coef[0] * x[:, 0] + coef[1] * x[:, 1]
    y = (lhs >= amplitude * np.sin(x[:, 1]) + threshold).astype(np.int64)
    X = _embed(rng, x, o["noise_dims"], o["noise_scale"])
    d = X.shape[1]
    noise_text = _noise_text(o["noise_dims"], o["noise_scale"])
    description = (
        f"sine-boundary (variant {o['variant']}): {o['n']} samples, {d} features (x1, x2 ~ 10*randn{noise_text}), "
        f"label 1 where {_boundary(coef)} >= {_sine_rhs(amplitude, threshold)}, seed {o['seed']}"
    )
    return _embedded("sine-boundary", X, y, description, o)


def _sine_options(variant, *, n, noise_dims, noise_scale, coef, amplitude, threshold, seed) -> dict:
    """``sine_boundary``'s options, checked, with every None filled from ``variant``'s defaults."""
    where = "sine-boundary option"
    key = str(variant).strip()
    if key.isdigit():
        key = key.zfill(3)
    if key not in SINE_VARIANTS:
        raise fail(
            f"{where} variant",
            f"one of {', '.join(map(repr, SINE_VARIANTS))}",
            repr(variant),
            "pass variant='001' (seed 001) or variant='000' (seed 000)",
        )
    base = SINE_VARIANTS[key]
    return dict(
        variant=key,
        n=check_int(f"{where} n", base["n"] if n is None else n, low=1, example=base["n"]),
        noise_dims=check_int(f"{where} noise_dims", noise_dims, low=0, example=13),
        noise_scale=check_float(
            f"{where} noise_scale",
            base["noise_scale"] if noise_scale is None else noise_scale,
            low=0.0,
            example=0.1,
        ),
        coef=check_pair(f"{where} coef", base["coef"] if coef is None else coef),
        amplitude=check_float(f"{where} amplitude", base["amplitude"] if amplitude is None else amplitude),
        threshold=check_float(f"{where} threshold", base["threshold"] if threshold is None else threshold),
        seed=check_seed(f"{where} seed", seed),
    )


def xor(*, seed: int = 0) -> Dataset:
    """Seed 002: the four XOR patterns, X (4, 2) = [[-1,-1],[-1,1],[1,-1],[1,1]], y = [0,1,1,0].

    Nothing is random; ``seed`` is accepted (so every dataset takes one) and ignored.
    """
    check_seed("xor option seed", seed)
    X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return generated(
        "xor",
        X,
        y,
        feature_names=("x1", "x2"),
        class_names=BINARY,
        description="xor: the 4 patterns (+-1, +-1), label 1 where x1 != x2 (seed 002)",
        options=dict(seed=seed),
    )


# Seed 003: label 1 inside the shape, for (x1, x2) uniform in [-1, 1]^2.
PATTERNS = {
    "diamond": ("|x1| + |x2| < 1", lambda a, b: np.abs(a) + np.abs(b) < 1.0),
    "circle": ("sqrt(x1^2 + x2^2) < 0.75", lambda a, b: np.sqrt(a**2 + b**2) < 0.75),
    "square": ("max(|x1|, |x2|) < 0.5", lambda a, b: np.maximum(np.abs(a), np.abs(b)) < 0.5),
    "thick-right-angle": (
        "-0.5 < max(x1, x2) < 0.5",
        lambda a, b: (np.maximum(a, b) > -0.5) & (np.maximum(a, b) < 0.5),
    ),
    "thin-right-angle": (
        "0 < max(x1, x2) < 0.5",
        lambda a, b: (np.maximum(a, b) > 0.0) & (np.maximum(a, b) < 0.5),
    ),
}


def pattern(name: str, *, n: int = 500, bias_column: bool = False, seed: int = 0) -> Dataset:
    """Seed 003: n points uniform in [-1, 1]^2 labelled 1 inside the pattern ``name`` (see PATTERNS).

    Returns X (n, 2) float32, or (n, 3) with a last column of ones named "bias" when
    ``bias_column`` (the notebook's 3 inputs); y (n,) in {0, 1}.
    """
    where = f"{name} option"
    n = check_int(f"{where} n", n, low=1, example=500)
    bias_column = check_bool(f"{where} bias_column", bias_column)
    seed = check_seed(f"{where} seed", seed)
    rule_text, rule = PATTERNS[name]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2)).astype(np.float32).astype(np.float64)  # label the stored values
    y = rule(x[:, 0], x[:, 1]).astype(np.int64)
    names = ["x1", "x2"]
    if bias_column:
        x = np.concatenate([x, np.ones((n, 1))], axis=1)
        names.append("bias")
    bias_text = ", plus a bias column of ones" if bias_column else ""
    description = f"{name}: {n} points uniform in [-1,1]^2{bias_text}, label 1 where {rule_text}, seed {seed}"
    return generated(
        name,
        x.astype(np.float32),
        y,
        feature_names=names,
        class_names=BINARY,
        description=description,
        options=dict(n=n, bias_column=bias_column, seed=seed),
    )


def _pattern_maker(name: str):
    def make(*, n: int = 500, bias_column: bool = False, seed: int = 0) -> Dataset:
        return pattern(name, n=n, bias_column=bias_column, seed=seed)

    make.__name__ = name.replace("-", "_")
    make.__doc__ = f"Seed 003 '{name}': label 1 where {PATTERNS[name][0]}; see :func:`pattern`."
    return make


diamond = _pattern_maker("diamond")
circle = _pattern_maker("circle")
square = _pattern_maker("square")
thick_right_angle = _pattern_maker("thick-right-angle")
thin_right_angle = _pattern_maker("thin-right-angle")


def digits(*, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits (no download): X (1797, 64) = pixels / 16 in [0, 1],
    features "px0".."px63" (row-major), y (1797,) in 0..9. A small offline stand-in for seed 002's MNIST.

    ``seed`` is accepted and ignored.
    """
    check_seed("digits option seed", seed)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (np.asarray(bunch.data, dtype=np.float64) / 16.0).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    return generated(
        "digits",
        X,
        y,
        feature_names=[f"px{i}" for i in range(64)],
        class_names=tuple(str(k) for k in range(10)),
        description=(
            f"digits: {X.shape[0]} 8x8 handwritten digits (scikit-learn), 64 pixels / 16 in [0,1], 10 classes"
        ),
        options=dict(seed=seed),
    )
