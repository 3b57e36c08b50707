"""The ``weightflow`` command line: a thin click layer over the library.

Each command lives in its own module and imports the heavy parts (jax, matplotlib) inside its
function, so ``weightflow --help`` answers at once. Every user error ends as one line
``error: ...`` on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys

import click

from .._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="weightflow")
def cli():
    """Build, train and watch small neural networks.

    \b
    weightflow demo                  reproduce seed 001 (logistic regression, 15-D, Adam) and its report
    weightflow datasets              list the datasets
    weightflow train --data xor --hidden 8 --activation tanh --steps 2000 --out runs/xor
    weightflow report runs/xor       one HTML page with a frame player (--open to open it)
    """


def _register():
    """Add every ``cli/*_cmd.py`` module's ``command``: a new command is a new file, nothing else."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            cli.add_command(importlib.import_module(f"{__name__}.{info.name}").command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every user error into one line and exit code 2."""
    from ..errors import WeightflowError
    from ..signals import terminate_as_interrupt

    try:
        with terminate_as_interrupt():  # SIGTERM stops a command as Ctrl-C does, from the start
            rv = cli.main(args=argv, prog_name="weightflow", standalone_mode=False)
    except WeightflowError as e:
        click.echo(f"error: {e}", err=True)
        return 2
    except click.UsageError as e:
        sub = e.ctx.command_path.partition(" ")[2] if e.ctx else ""  # "" for the group itself
        where = f" (see 'weightflow {sub + ' ' if sub else ''}--help')"
        click.echo(f"error: {e.format_message()}{where}", err=True)
        return 2
    except click.ClickException as e:
        click.echo(f"error: {e.format_message()}", err=True)
        return e.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return 130
    return rv if isinstance(rv, int) else 0


def entry() -> None:
    """The console script: run ``main`` and leave with its code. Once jax is loaded, leave without the
    interpreter's finalisation (everything is written and closed by then): tearing down XLA's
    client, thread pools and programs takes 0.1-0.5 s the operating system does for free, and after
    a Ctrl-C that landed while jax was importing, XLA is half-built and the teardown can crash
    (seen as SIGSEGV)."""
    code = main()
    if "jax" in sys.modules or code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
