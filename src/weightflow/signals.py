"""How weightflow reacts to SIGINT and SIGTERM (no numpy, no jax: the CLI installs it before anything loads)."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def signals_deferred():
    """Ignore SIGINT and SIGTERM while a run is being saved: a second Ctrl-C must not leave half a run,
    and the process ends right after the save anyway. A no-op off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def terminate_as_interrupt():
    """While training, SIGTERM stops the run as Ctrl-C does (the run is kept as ``interrupted``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
