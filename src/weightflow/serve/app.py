"""The playground's HTTP server: the standard library's ThreadingHTTPServer, JSON requests, and
Server-Sent Events carrying each training's new frames to its page.

Routes (every one checked by :mod:`weightflow.serve.guard`; POST needs the page's token):

- ``GET /``: the page; ``GET /static/NAME``: its script and style, and the report's player.
- ``GET /api/options``: datasets, optimizers, activations, limits; ``GET /api/status``: trainings now.
- ``POST /api/upload[?label=COL]``: a CSV body, checked by the CSV loader; its id for the setup.
- ``POST /api/sessions`` ``{setup, action: play|step}``: start a training (409 when every slot is busy).
- ``GET /api/sessions/ID/events?token=``: the event stream (``init``, ``frames``, ``status``).
- ``GET /api/sessions/ID/history``: its curves (for comparing runs).
- ``POST /api/sessions/ID/control`` ``{action: play|pause|step|stop}``; ``.../branch`` ``{frame, lr}``;
  ``.../keep``: the run directory and its downloads, ``GET /runs/NAME/FILE``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..errors import WeightflowError, bad_input
from . import guard, keep as keeping
from .live import payload
from .session import Full, Sessions
from .setup import plan

STATIC = Path(__file__).with_name("static")
REPORT_STATIC = Path(__file__).resolve().parents[1] / "report" / "static"
FILES = {"serve.js": (STATIC, "text/javascript"), "serve.css": (STATIC, "text/css"),
         "player.js": (REPORT_STATIC, "text/javascript"), "player.css": (REPORT_STATIC, "text/css")}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
MAX_JSON = 64 * 1024
MAX_UPLOADS = 32  # files kept in RUNS/.uploads
MIN_INTERVAL = 0.02  # at most 50 frame messages a second per stream (new frames are merged)
SESSION_PATH = re.compile(r"/api/sessions/(s[0-9]+)(/[a-z]+)?")


class Server(ThreadingHTTPServer):
    """The playground on 127.0.0.1:``port`` (0: a free port), writing only under ``runs``."""

    daemon_threads = True

    def __init__(self, port: int = 8765, runs: str | Path = "runs", *, max_trainings: int = 4, grace: float = 3.0,
                 max_upload_bytes: int = 2_000_000, max_rows: int = 20_000, quiet: bool = True, warming: bool = False):
        super().__init__(("127.0.0.1", port), Handler)
        self.runs = Path(runs).resolve()
        self.runs.mkdir(parents=True, exist_ok=True)
        self.sessions = Sessions(max_trainings, grace)
        if not warming:
            self.sessions.ready.set()
        self.tokens = guard.Tokens()
        self.uploads: dict[str, str] = {}
        self.lock = threading.Lock()
        self.max_upload_bytes, self.max_rows, self.quiet = max_upload_bytes, max_rows, quiet
        self.closing = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        """Stop every training, end the event streams, stop serving."""
        self.closing.set()
        self.sessions.close()
        self.shutdown()
        self.server_close()


class Reply(Exception):
    """An HTTP answer other than 200: status and message (sent as JSON ``{"error": message}``)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "weightflow-serve"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 (the base class' name)
        if not self.server.quiet:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ dispatch
    def do_GET(self):
        self._handle(self._get)

    def do_POST(self):
        self._handle(self._post)

    def _handle(self, route) -> None:
        try:
            why = guard.allowed(self.headers, self.server.port)
            if why:
                raise Reply(403, f"refused: {why}")
            url = urlsplit(self.path)
            route(url.path, parse_qs(url.query))
        except Reply as r:
            self._json({"error": str(r)}, r.status)
        except Full as e:
            self._json({"error": str(e), "full": True}, 409)
        except WeightflowError as e:
            self._json({"error": str(e)}, 400)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # a bad request must never stop the server
            self._json({"error": f"server error: {type(e).__name__}: {e}"}, 500)

    def _get(self, path: str, query: dict) -> None:
        if path in ("/", "/index.html"):
            return self._index()
        if path.startswith("/static/"):
            return self._static(path[8:])
        if path == "/api/options":
            return self._json(options())
        if path == "/api/status":
            s = self.server.sessions
            return self._json({"training": s.busy(), "max_trainings": s.max_trainings})
        if path.startswith("/runs/"):
            return self._download(path[6:])
        m = SESSION_PATH.fullmatch(path)
        if m:
            return self._session_get(m.group(1), m.group(2) or "", query)
        raise Reply(404, f"no such page: {path[:80]!r}")

    def _post(self, path: str, query: dict) -> None:
        token = self.headers.get(guard.TOKEN_HEADER)
        if not self.server.tokens.valid(token):
            raise Reply(403, "refused: this request needs the page's token (reload the page)")
        if path == "/api/upload":
            return self._json(self._upload(query))
        body = self._body()
        if path == "/api/sessions":
            return self._json(self._start(token, body))
        m = SESSION_PATH.fullmatch(path)
        if not m or not m.group(2):
            raise Reply(404, f"no such action: {path[:80]!r}")
        s = self._owned(m.group(1), token)
        return self._json(self._act(s, m.group(2)[1:], body, token))

    # ------------------------------------------------------------------ answers
    def _send(self, body: bytes, ctype: str, status: int = 200, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in {**security_headers(), **(extra or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value, status: int = 200) -> None:
        self._send(json.dumps(value, allow_nan=False).encode(), "application/json", status)

    def _index(self) -> None:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        self._send(html.replace("{{TOKEN}}", self.server.tokens.new()).encode(), "text/html; charset=utf-8")

    def _static(self, name: str) -> None:
        if name not in FILES:
            raise Reply(404, f"no such file: {name[:80]!r}")
        folder, ctype = FILES[name]
        self._send((folder / name).read_bytes(), f"{ctype}; charset=utf-8")

    def _body(self) -> dict:
        n = self._length(MAX_JSON)
        try:
            value = json.loads(self.rfile.read(n) or b"{}")
        except (ValueError, UnicodeDecodeError) as e:
            raise Reply(400, f"request body: expected JSON, got text that does not parse ({e})") from None
        if not isinstance(value, dict):
            raise Reply(400, f"request body: expected a JSON object, got {type(value).__name__}")
        return value

    def _length(self, limit: int) -> int:
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise Reply(400, "Content-Length: expected a whole number") from None
        if n < 0 or n > limit:
            raise Reply(413, f"request body: expected at most {limit} bytes, got {n}")
        return n

    def _owned(self, sid: str, token: str | None):
        s = self.server.sessions.get(sid)
        if s is None:
            raise Reply(404, f"no such training: {sid} (it ended long ago or the server restarted)")
        if token is not None and s.owner != token:
            raise Reply(403, "refused: this training belongs to another page")
        return s

    # ------------------------------------------------------------------ trainings
    def _start(self, token: str, body: dict) -> dict:
        action = body.get("action", "play")
        if action not in ("play", "step"):
            raise bad_input("action", "play or step", action, "press play or step")
        p = plan(body.get("setup"), self.server.uploads)
        s = self.server.sessions.create(token, p, paused=action == "step")
        return s.status()

    def _act(self, s, action: str, body: dict, token: str) -> dict:
        if action == "control":
            what = body.get("action")
            if what not in ("play", "pause", "step", "stop"):
                raise bad_input("action", "play, pause, step or stop", what, "use the page's buttons")
            s.control(what)
            return s.status()
        if action == "branch":
            return self._branch(s, body, token)
        if action == "keep":
            return keeping.keep(s, self.server.runs)
        raise Reply(404, f"no such action: {action!r}")

    def _branch(self, s, body: dict, token: str) -> dict:
        """A new training from frame ``frame`` of ``s`` (its parameters as the initial ones), with the
        setup's learning rate, or ``lr``."""
        from ..validate import index

        if s.rec is None or s.plan.kwargs["population"] is not None:
            raise bad_input("branch", "a single run that has recorded frames", "a population or no frames",
                            "branch from a single run (population 1)")
        f = index(body.get("frame"), s.rec.kept, "frame", f"a recorded frame 0..{s.rec.kept - 1}", "drag the slider")
        setup = dict(s.plan.setup)
        if body.get("lr") is not None:
            setup["lr"] = body["lr"]
        p = plan(setup, self.server.uploads)
        step = int(s.rec.history["step"][f]) + s.offset
        child = self.server.sessions.create(token, p, init=s.rec.frame_params(f), parent=s.id, offset=step)
        return child.status()

    def _session_get(self, sid: str, what: str, query: dict) -> None:
        token = (query.get("token") or [None])[0]
        s = self._owned(sid, token if what == "/events" else None)
        if what == "":
            return self._json(s.status())
        if what == "/history":
            return self._json(curves(s))
        if what == "/events":
            if not self.server.tokens.valid(token):
                raise Reply(403, "refused: the event stream needs the page's token")
            return self._events(s)
        raise Reply(404, f"no such page: {what!r}")

    # ------------------------------------------------------------------ the event stream
    def _event(self, name: str, value) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(value, allow_nan=False)}\n\n".encode())
        self.wfile.flush()

    def _events(self, s) -> None:
        """Send the frames so far (``init``), then each new batch of frames and every state change,
        until the page goes (a comment every second notices a closed tab) or the server stops."""
        self.send_response(200)
        for k, v in {"Content-Type": "text/event-stream", **security_headers()}.items():
            self.send_header(k, v)
        self.end_headers()
        s.attach()
        try:
            self._stream(s)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        finally:
            s.detach()

    def _stream(self, s) -> None:
        sent, seen, last = 0, -1, 0.0
        while not self.server.closing.is_set():
            version = s.wait_change(seen, 1.0)
            if version == seen:
                self.wfile.write(b": ping\n\n")
                self.wfile.flush()
                continue
            seen, kept = version, s.rec.kept if s.rec else 0
            if kept > sent:
                time.sleep(max(0.0, last + MIN_INTERVAL - time.perf_counter()))
                kept = s.rec.kept  # whatever arrived while waiting goes too
                self._event("init" if sent == 0 else "frames", payload(s.rec, sent, kept, sent == 0))
                sent, last = kept, time.perf_counter()
            self._event("status", s.status())

    # ------------------------------------------------------------------ files
    def _upload(self, query: dict) -> dict:
        """Store a CSV body under RUNS/.uploads and read it with the CSV loader (its messages)."""
        from ..datasets.csvfile import load_csv

        srv = self.server
        n = self._length(srv.max_upload_bytes)
        body = self.rfile.read(n)
        rows = body.count(b"\n") + (not body.endswith(b"\n"))
        if rows > srv.max_rows + 1:
            raise Reply(413, f"upload: expected at most {srv.max_rows} rows, got {rows}; use fewer rows")
        folder = srv.runs / ".uploads"
        folder.mkdir(exist_ok=True)
        uid = uuid.uuid4().hex
        path = folder / f"{uid}.csv"
        path.write_bytes(body)
        label = (query.get("label") or [None])[0]
        try:
            ds = load_csv(str(path), label=label)
        except WeightflowError as e:
            path.unlink()
            raise WeightflowError(str(e).replace(str(path), "the uploaded file")) from None
        with srv.lock:
            srv.uploads[uid] = str(path)
            while len(srv.uploads) > MAX_UPLOADS:  # the oldest upload goes (dict order is arrival order)
                Path(srv.uploads.pop(next(iter(srv.uploads)))).unlink(missing_ok=True)
        return {"id": f"upload:{uid}", "rows": ds.n_samples, "features": list(ds.feature_names),
                "classes": list(ds.class_names), "label": ds.options["label"]}

    def _download(self, rest: str) -> None:
        name, _, file = rest.partition("/")
        found = keeping.download(self.server.runs, name, file)
        if found is None:
            raise Reply(404, "no such kept file")
        path, ctype = found
        self._send(path.read_bytes(), ctype, extra={"Content-Disposition": f'attachment; filename="{file}"'})


def security_headers() -> dict:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin"}


def options() -> dict:
    """What the page offers: datasets, optimizers (with their options), activations, limits, defaults."""
    from .. import optim
    from ..activations import NAMES
    from ..datasets.registry import REGISTRY
    from . import setup

    data = [{"name": e.name, "summary": e.summary, "options": {k: v for k, v in e.defaults().items()
                                                                if k in ("n", "noise")}} for e in REGISTRY.values()]
    return {"datasets": data, "optimizers": [{"name": n, "lr": optim.uses_lr(n)} for n in optim.names()],
            "activations": list(NAMES), "outputs": list(setup.OUTPUTS), "inits": list(setup.INITS),
            "features": list(setup.CROSSES), "defaults": setup.DEFAULTS,
            "limits": {"layers": setup.MAX_LAYERS, "width": setup.MAX_WIDTH, "steps": setup.MAX_STEPS,
                       "frames": setup.MAX_FRAMES, "population": setup.MAX_POPULATION}}


def curves(s, points: int = 400) -> dict:
    """A session's train and test loss (median for a population) at up to ``points`` steps, its
    steps shifted by where it branched off."""
    import warnings

    import numpy as np

    rec = s.rec
    if rec is None or not rec.kept:
        return {"id": s.id, "label": label(s), "steps": [], "train_loss": [], "test_loss": []}
    with rec.lock:
        h = {c: np.asarray(v)[..., :rec.kept] for c, v in rec.history.items()}
    idx = np.unique(np.linspace(0, rec.kept - 1, min(points, rec.kept)).astype(int))
    out = {"id": s.id, "steps": (h["step"][idx] + s.offset).tolist(), "label": label(s)}
    for c in ("train_loss", "test_loss"):
        v = h.get(c)
        with warnings.catch_warnings():  # no test set: all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            v = None if v is None or not v.size else (v if v.ndim == 1 else np.nanmedian(v, axis=0))
        out[c] = [] if v is None else [None if not np.isfinite(x) else float(x) for x in v[idx]]
    return out


def label(s) -> str:
    st = s.plan.setup
    pop = f", {st['population']} seeds" if st["population"] > 1 else ""
    branch = f", from {s.parent} at step {s.offset}" if s.parent else ""
    return f"{s.id}: {st['optimizer']} lr {st['lr']:g}{pop}{branch}"
