"""Click options shared by the commands that build a model and train it."""

from __future__ import annotations

import click

from ..errors import bad_input


def parse_hidden(text: str) -> list[int]:
    """``"4,4"`` -> [4, 4]; ``"none"`` or ``""`` -> [] (logistic regression)."""
    text = text.strip().lower()
    if text in ("", "none", "0"):
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) <= 0:
            raise bad_input("--hidden", "positive integers separated by commas, or 'none'", text,
                            "e.g. --hidden 4,4 (two hidden layers of 4) or --hidden none")
        sizes.append(int(part))
    return sizes


def parse_numbers(text: str, flag: str, example: str) -> float | list[float]:
    """``"1e-3"`` -> 0.001; ``"1e-3,1e-2"`` -> [0.001, 0.01] (a grid, for populations)."""
    try:
        values = [float(v) for v in str(text).split(",")]
    except ValueError:
        raise bad_input(flag, "a number > 0, or a comma list of them with --population", text,
                        f"e.g. {flag} {example} or {flag} {example},{example}0 --population 64") from None
    return values[0] if len(values) == 1 else values


def parse_lr(text: str) -> float | list[float]:
    """``"1e-3"`` -> 0.001; ``"1e-3,1e-2"`` -> [0.001, 0.01] (a grid, for populations)."""
    return parse_numbers(text, "--lr", "1e-3")


def _test_size(ctx, param, value):
    """``--test-size``: None (the default), ``given``, or a number (checked by the split)."""
    if value is None:
        return None
    if value.strip().lower() == "given":
        return "given"
    try:
        return float(value)
    except ValueError:
        raise bad_input("--test-size", "a fraction in [0, 1) or 'given'", value, "e.g. --test-size 0.2") from None


def model_options(f):
    """Dataset and model flags: --data, --data-option, --label, --hidden, --activation, ..."""
    decorators = [
        click.option("--data", "data", required=True, metavar="NAME",
                     help="Dataset name (see 'weightflow datasets') or csv:PATH."),
        click.option("--data-option", "data_options", multiple=True, metavar="KEY=VALUE",
                     help="Dataset option, repeatable (e.g. --data-option n=500)."),
        click.option("--label", default=None, metavar="COL", help="CSV label column, name or index (default: last)."),
        click.option("--hidden", default="none", show_default=True,
                     help="Hidden layer widths, e.g. 4,4; 'none' is logistic regression."),
        click.option("--activation", default="tanh", show_default=True,
                     help="Hidden activation: sigmoid, tanh, relu, leaky-relu, linear."),
        click.option("--output", default=None, help="Output: sigmoid (binary), softmax, linear [default: by classes]."),
        click.option("--loss", default=None, help="bce, ce, mse, sse (1/2 sum of squares) or bce-sum (seed 003's summed log loss) [default: by output]."),
        click.option("--init", default="glorot-uniform", show_default=True,
                     help="glorot-uniform, glorot-normal, he, he-uniform, uniform:A, normal:S, lattice:ETA, zeros."),
        click.option("--bias-init", default=0.0, show_default=True, type=float, help="Constant initial bias."),
        click.option("--no-bias", is_flag=True, help="Layers without biases."),
        click.option("--test-size", default=None, callback=_test_size, metavar="FRACTION|given",
                     help="Held-out fraction (stratified; 0 trains on everything) or 'given' [default: the "
                          "dataset's own test set (mnist, mnist1d), else 0.2]."),
        click.option("--standardize", is_flag=True, help="Standardise inputs with training-set mean and std."),
        click.option("--seed", default=0, show_default=True, type=int, help="Seed for data, init and order."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def load_dataset(data: str, data_options: tuple[str, ...], label: str | None):
    """Build the Dataset the flags describe."""
    from ..datasets import load, parse_options

    options = parse_options(data, list(data_options))
    if label is not None:
        if not data.startswith("csv:"):
            raise bad_input("--label", "a csv:PATH dataset", data, "drop --label, or use --data csv:PATH")
        options["label"] = label
    return load(data, **options)


def build_model(dataset, hidden: str, activation: str, output: str | None, init: str, bias_init: float,
                no_bias: bool):
    """The MLP for ``dataset``: its inputs, the hidden widths, 1 output for 2 classes else K."""
    from ..model import MLP

    n_out = 1 if dataset.n_classes == 2 and output != "softmax" else dataset.n_classes
    return MLP([dataset.n_features, *parse_hidden(hidden), n_out], activation=activation, output=output,
               bias=not no_bias, init=init, bias_init=bias_init)


def load_engine():
    """``weightflow.training.train``, with jax loaded and its devices started while Ctrl-C and SIGTERM
    are held (see ``signals.interrupts_held``): an interrupt then stops the command cleanly."""
    from ..signals import interrupts_held

    with interrupts_held():
        import jax

        from ..training import train

        jax.devices()
    return train
