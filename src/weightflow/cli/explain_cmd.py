"""``weightflow explain``: one training step, laid out as seed 002 lays it out."""

from __future__ import annotations

from pathlib import Path

import click

from .options import model_options


@click.command("explain")
@model_options
@click.option("--lr", default=0.1, show_default=True, type=float, help="Learning rate of the step.")
@click.option("--params", "params_path", default=None, metavar="FILE.npz",
              help="Start from these parameters (keys W1, b1, ...; e.g. a run's initial.npz).")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "markdown", "html"]), help="Output format.")
@click.option("--max-patterns", default=20, show_default=True, type=int,
              help="Patterns listed in the per-pattern tables (0: all); the step uses all of them.")
@click.option("--out", default=None, metavar="FILE", help="Write to FILE instead of printing.")
def command(data, data_options, label, hidden, activation, output, loss, init, bias_init, no_bias, test_size,
            standardize, seed, lr, params_path, fmt, max_patterns, out):
    """One full-batch gradient-descent step, every number on the way.

    \b
    Inputs, net inputs and activations per layer, loss per pattern, output deltas, hidden deltas,
    every weight update and the new weights (taken by the engine, compared with the textbook).
    The starting weights are those 'weightflow train' draws with the same flags and --seed.

    \b
    weightflow explain --data xor --hidden 2 --activation tanh --params xor.npz --lr 0.1
    """
    from ..errors import bad_input
    from ..explain import one_step
    from .gradcheck_cmd import setup

    if max_patterns < 0:
        raise bad_input("--max-patterns", "a whole number >= 0", max_patterns, "use 0 for all patterns")
    model, X, y, params, dataset = setup(data, data_options, label, hidden, activation, output, init, bias_init,
                                         no_bias, test_size, standardize, seed, params_path)
    text = one_step(model, (X, y), params, lr=lr, loss=loss, seed=seed, max_patterns=max_patterns or None,
                    feature_names=dataset.feature_names).render(fmt)
    if out is None:
        click.echo(text, nl=False)
    else:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"written to {path}")
    return 0


for _p in command.params:  # explain every pattern by default
    if _p.name == "test_size":
        _p.default = 0.0
