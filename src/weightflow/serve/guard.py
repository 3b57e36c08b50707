"""Who may talk to the playground server: its own origin only, and a page's token for every change.

The server listens on 127.0.0.1 only; a request whose Host (or Origin, when sent) is not the server's
own address is refused, so a web page elsewhere cannot reach it through DNS rebinding. Every page the
server sends gets a fresh random token; requests that change something (POST) must carry one in the
``X-Weightflow-Token`` header, and a session obeys only the token of the page that started it.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

TOKEN_HEADER = "X-Weightflow-Token"
MAX_TOKENS = 10_000  # pages remembered; the one used least recently is forgotten first


def own_hosts(port: int) -> set[str]:
    """The Host values of this server (with and without the port, for 127.0.0.1 and localhost)."""
    return {f"{h}:{port}" for h in ("127.0.0.1", "localhost")}


def allowed(headers, port: int) -> str | None:
    """None when the request comes from this server's own origin, else why it is refused."""
    hosts = own_hosts(port)
    host = headers.get("Host", "")
    if host not in hosts:
        return f"Host {host!r} is not this server ({', '.join(sorted(hosts))})"
    origin = headers.get("Origin")
    if origin is not None and origin not in {f"http://{h}" for h in hosts}:
        return f"Origin {origin!r} is not this server"
    return None


class Tokens:
    """The tokens of the pages served (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.known: OrderedDict[str, None] = OrderedDict()

    def new(self) -> str:
        token = secrets.token_hex(16)
        with self.lock:
            self.known[token] = None
            while len(self.known) > MAX_TOKENS:
                self.known.popitem(last=False)
        return token

    def valid(self, token: object) -> bool:
        with self.lock:
            if not isinstance(token, str) or token not in self.known:
                return False
            self.known.move_to_end(token)
            return True
