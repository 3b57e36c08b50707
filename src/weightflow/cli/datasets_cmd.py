"""``weightflow datasets``: list every dataset with its description and options."""

from __future__ import annotations

import click


@click.command("datasets")
def command():
    """List the datasets, their descriptions and their --data-option settings."""
    from ..datasets import describe_all

    rows = describe_all()
    width = max(len(name) for name, _, _ in rows)
    for name, description, options in rows:
        click.echo(f"{name:<{width}}  {description}")
        if options:
            opts = " ".join(f"{k}={_show(v)}" for k, v in options.items())
            click.echo(f"{'':<{width}}  options: {opts}")


def _show(value) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)
