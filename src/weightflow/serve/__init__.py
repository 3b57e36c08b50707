"""``weightflow serve``: the live playground, a local web app training on the real engine.

``serve(port, runs)`` runs it until Ctrl-C; :class:`Server` is the server itself (tests start it on a
free port). See docs/playground.md.
"""

from __future__ import annotations

from pathlib import Path

from .app import Server

__all__ = ["Server", "serve"]


def serve(port: int = 8765, runs: str | Path = "runs", *, open_browser: bool = False, max_trainings: int = 4,
          echo=print, warm: bool = True) -> bool:
    """Serve the playground on http://127.0.0.1:PORT/ until Ctrl-C or SIGTERM; kept runs go to ``runs``.
    ``warm``: compile the default setup's program first, so the first play shows frames at once.
    Returns whether every training thread ended (one still compiling ends only when its compile does)."""
    import threading

    from .. import training  # noqa: F401  (jax loads here, in the main thread, before any training thread)

    server = Server(port, runs, max_trainings=max_trainings, warming=warm)
    warmer = threading.Thread(target=_warm, args=(server.sessions.ready,), daemon=True) if warm else None
    if warmer is not None:
        warmer.start()
    else:
        server.sessions.ready.set()
    echo(f"weightflow playground: {server.url}  (kept runs go to {server.runs}; Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.closing.set()
        ended = server.sessions.close()
        server.server_close()
        if warmer is not None:
            warmer.join(10)
            ended = ended and not warmer.is_alive()
    if not ended:
        echo("a training was still compiling; stopped without waiting for it")
    return ended


def _warm(done) -> None:
    """Train the page's default setup for one chunk (compiles and caches its program), then set ``done``."""
    from ..training import train
    from .setup import plan

    p = plan({})
    try:
        train(p.model, p.data, p.kwargs["optimizer"], p.kwargs["lr"], steps=p.kwargs["steps"],
              record_every=p.kwargs["record_every"], test_size=p.kwargs["test_size"], seed=0,
              data_options=p.kwargs.get("data_options"), progress=False, diagnose=False,
              on_chunk=lambda r: True, chunk_steps=p.kwargs["record_every"])
    finally:
        done.set()
