"""``weightflow serve``: the live playground in the web browser (a local server on 127.0.0.1)."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--runs", "runs", default="runs", show_default=True, metavar="DIR",
              help="Folder for kept runs and uploads (the server writes nowhere else).")
@click.option("--max-trainings", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Trainings at once; play answers with a message when all are busy.")
@click.option("--open", "open_", is_flag=True, help="Open the page in the web browser.")
@click.option("--no-warm", is_flag=True, help="Do not compile the default setup's program at start.")
def command(port, runs, max_trainings, open_, no_warm):
    """Start the live playground: pick data, shape a network, press play and watch the boundary, the
    units and the weights move; rewind, branch, train a population, keep a run as a run directory.
    It listens on 127.0.0.1 only (never another machine).

    \b
    weightflow serve --open
    weightflow serve --port 9000 --runs runs/playground
    """
    from ..serve import serve

    try:
        serve(port, runs, open_browser=open_, max_trainings=max_trainings, echo=click.echo, warm=not no_warm)
    except OSError as e:
        from ..errors import bad_input

        raise bad_input("--port", "a free port on 127.0.0.1", port, f"pick another with --port ({e.strerror})")
    # The server is done and its trainings stopped. Leave now: the interpreter's finalisation would stop
    # daemon threads (HTTP handlers, jax's own) that may sit inside XLA's C++, which aborts the process
    # ("terminate called ...") instead of exiting with 0.
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
