"""``weightflow serve``: the live playground, started in a subprocess on a free port and driven by a real
headless Chromium (one browser for the module), and its HTTP API hit directly (security, limits, fuzz,
load). Every page records its requests and console: a request leaving 127.0.0.1, a console error or an
uncaught exception fails the test.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from weightflow.run import load_run

SRC = Path(__file__).resolve().parents[1] / "src"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
MAX_TRAININGS = 3


class Srv:
    def __init__(self, url: str, root: Path, proc: subprocess.Popen):
        self.url, self.root, self.runs, self.proc = url, root, root / "runs", proc
        self.port = int(url.rsplit(":", 1)[1].strip("/"))

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        return self.request("GET", path, None, headers)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            conn.close()

    def token(self) -> str:
        _, html, _ = self.get("/")
        return re.search(rb'name="wf-token" content="([0-9a-f]+)"', html).group(1).decode()

    def post(self, path: str, value, token: str | None, raw: bool = False) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Weightflow-Token"] = token
        status, body, _ = self.request("POST", path, value if raw else json.dumps(value).encode(), headers)
        return status, json.loads(body)

    def status(self) -> dict:
        return json.loads(self.get("/api/status")[1])

    def idle(self, timeout: float = 15.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.status()["training"] == 0:
                return True
            time.sleep(0.2)
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "weightflow", "serve", "--port", "0", "--runs", str(root / "runs"),
                             "--max-trainings", str(MAX_TRAININGS)], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert found, (line, proc.stderr.read() if proc.poll() is not None else "")
    srv = Srv(found.group(0), root, proc)
    yield srv
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0, proc.stderr.read()


@pytest.fixture(scope="module")
def browser():
    pw = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium at /usr/bin/chromium (scripts/install.sh --test installs it)")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page of the playground with its console errors, requests and dialogs recorded."""

    def __init__(self, browser, srv: Srv, hash_: str = "", width: int = 1280):
        self.srv, self.errors, self.requests, self.dialogs = srv, [], [], []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(srv.url + ("#" + hash_ if hash_ else ""))
        self.page.wait_for_selector("body[data-ready]")

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)  # functions only: the page's CSP forbids eval

    def wait(self, expr: str, timeout: float = 30_000):
        self.page.wait_for_function(expr, timeout=timeout)

    def wait_state(self, *states: str, timeout: float = 30_000):
        self.page.wait_for_function("s => s.includes(document.getElementById('play').getAttribute('data-state'))",
                                    arg=list(states), timeout=timeout)

    def close(self):
        self.page.close()
        assert not self.errors, self.errors
        assert not self.dialogs, self.dialogs
        assert self.requests and all(u.startswith(self.srv.url) for u in self.requests), self.requests


BOUNDARY = "() => document.querySelector('.wf-boundary').toDataURL()"
LIVE = "() => { const l = wfServe.live(); return l && { kept: l.kept, loss: l.history.train_loss, frame: l.player.frame }; }"


def _params_at(page: Page, f: int) -> list[list[float]]:
    return page.js("f => { const l = wfServe.live(); return l.params.map((a, p) => Array.from(a.subarray(f * l.sizes[p], "
                   "(f + 1) * l.sizes[p]))); }", f)


def _keep(page: Page) -> Path:
    page.page.click("#keep")
    page.page.wait_for_selector("#kept a")
    text = page.js("() => document.getElementById('kept').textContent")
    return Path(re.search(r"kept in (\S+):", text).group(1))


# ------------------------------------------------------------------------------------------ browser
def test_play_pause_rewind_keep_and_branch(server, browser):
    page = Page(browser, server, "pace=40")
    page.page.click("#play")
    page.wait("() => wfServe.live() && wfServe.live().kept >= 3")
    before = page.js(BOUNDARY)
    page.wait("() => wfServe.live().kept >= 40")
    live = page.js(LIVE)
    losses = [v for v in live["loss"][:live["kept"]] if v is not None]
    assert losses[-1] < 0.5 * losses[0]  # the loss shown falls
    assert page.js(BOUNDARY) != before  # and the boundary moved
    assert "loss" in page.js("() => document.getElementById('status').textContent")

    page.page.click("#play")  # pause
    page.wait_state("paused")
    kept = page.js(LIVE)["kept"]
    time.sleep(0.4)
    assert page.js(LIVE)["kept"] == kept  # paused means no new frames
    page.page.locator(".wf-slider").fill("5")
    assert page.js(LIVE)["frame"] == 5
    assert "step 50 " in page.js("() => document.querySelector('.wf-label').textContent")
    shown = _params_at(page, 5)
    grid = [[x, y] for x in np.linspace(-1.5, 2.5, 7) for y in np.linspace(-1, 1.5, 7)]
    js_out = np.array(page.js("g => wfServe.live().player.forward(5, g)", grid))[:, 0]

    where = _keep(page)  # the paused run ends as a run directory on disk
    run = load_run(where)
    assert run.status == "interrupted" and len(run.steps) >= kept
    for f_js, f_run in zip(shown, run.frames):  # the view at frame 5 is the recorded frame 5
        np.testing.assert_array_equal(np.asarray(f_js, np.float32), np.asarray(f_run[5]).ravel())
    ref = run.model.forward_numpy([np.asarray(f[5]) for f in run.frames], np.asarray(grid))[1][:, 0]
    np.testing.assert_allclose(js_out, ref, atol=1e-5)
    _check_downloads(page, run)

    page.page.fill("#branch-lr", "0.1")  # same initialisation as frame 10, other learning rate
    page.page.locator(".wf-slider").fill("10")
    page.page.click("#branch")
    page.wait("() => wfServe.state.runs.length === 2 && wfServe.live() && wfServe.live().kept >= 2")
    st, first = page.js("() => [wfServe.state.status, wfServe.state.runs[0].id]")
    assert st["parent"] == first and st["id"] != first
    assert st["offset"] == 100 and st["setup"]["lr"] == 0.1
    for f_js, f_run in zip(_params_at(page, 0), run.frames):  # the branch starts from the frame chosen
        np.testing.assert_array_equal(np.asarray(f_js, np.float32), np.asarray(f_run[10]).ravel())
    page.page.locator("#runs input[type=checkbox]").first.check()  # compare with the parent run
    page.wait("() => (wfServe.state.others || []).length === 1")
    page.page.click("#reset")
    page.close()


def _check_downloads(page: Page, run) -> None:
    links = page.js("() => Array.from(document.querySelectorAll('#kept a')).map(a => a.getAttribute('href'))")
    assert {Path(h).name for h in links} == {"report.html", "experiment.toml", "model.npz"}
    for href in links:
        r = page.page.request.get(page.srv.url.rstrip("/") + href)
        assert r.status == 200 and "attachment" in r.headers["content-disposition"]
        body = r.body()
        if href.endswith("report.html"):
            assert b"weightflowPlayer" in body
        elif href.endswith(".toml"):
            assert b"[train]" in body and b'optimizer = "adam"' in body
        else:
            npz = page.srv.runs / Path(href).parts[2] / "export" / "model.npz"
            with np.load(npz) as z:
                np.testing.assert_array_equal(z["W1"], run.params[0])


def test_a_population_shows_its_success_fraction(server, browser):
    page = Page(browser, server, "population=16&pace=0&steps=2000&record_every=20&data=xor&hidden=2&lr=0.1"
                                 "&test_size=0")
    page.page.click("#play")
    page.wait_state("completed", timeout=60_000)
    page.page.wait_for_selector("#success:not([hidden])")
    share = float(page.js("() => document.getElementById('success').getAttribute('data-success')"))
    text = page.js("() => document.getElementById('success').textContent")
    assert 0 <= share <= 1 and f"{round(100 * share)}%" in text and "of 16 seeds" in text
    assert page.js("() => wfServe.live().M") == 16  # every member's boundary is drawn over the map
    where = _keep(page)
    acc = np.asarray(load_run(where).history["train_accuracy"])[:, -1]
    assert share == pytest.approx(np.mean(acc >= 1.0))
    page.close()


def test_an_uploaded_csv_with_markup_in_its_names_trains_and_runs_nothing(server, browser, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    head = '"<script>window.__pwned=1</script>","<img src=x onerror=window.__pwned=2>",label'
    rows = "\n".join(f"{a:.4f},{b:.4f},{'yes' if c else '<b>no</b>'}" for (a, b), c in zip(X, y))
    page = Page(browser, server, "pace=0&steps=300&record_every=10&hidden=4")
    page.page.set_input_files("#upload", files=[{"name": "evil.csv", "mimeType": "text/csv",
                                                 "buffer": (head + "\n" + rows + "\n").encode()}])
    page.wait("() => document.getElementById('upload-info').textContent.includes('rows')")
    info = page.js("() => document.getElementById('upload-info').textContent")
    assert "<script>window.__pwned=1</script>" in info and "<b>no</b>" in info  # shown as text
    page.page.click("#play")
    page.wait_state("completed", timeout=60_000)
    assert page.js("() => window.__pwned === undefined")
    assert page.js("() => document.scripts.length") == 2 and page.js("() => document.images.length") == 0
    page.close()


def test_a_closed_tab_stops_its_training(server, browser):
    assert server.idle()
    page = Page(browser, server, "pace=10")
    page.page.click("#step")  # one chunk (one frame here), then paused
    page.wait_state("paused")
    assert page.js(LIVE)["kept"] == 1
    page.page.click("#step")
    page.wait("() => wfServe.live().kept === 2")
    page.page.locator(".wf-player").press("End")  # the keys stay within the frames recorded
    assert page.js(LIVE)["frame"] == 1
    page.page.click("#play")
    page.wait("() => wfServe.live().kept >= 4")
    assert server.status()["training"] == 1
    page.close()
    assert server.idle(10)


def test_desktop_and_tablet_screenshots(server, browser, tmp_path):
    for width in (1280, 820):
        page = Page(browser, server, "pace=0", width=width)
        page.page.click("#play")
        page.wait_state("completed", timeout=60_000)
        assert page.js("() => document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
        page.page.screenshot(path=str(tmp_path / f"playground-{width}.png"), full_page=True)
        page.close()


# ------------------------------------------------------------------------------------------ HTTP
def test_foreign_host_or_origin_and_missing_tokens_are_refused(server):
    token = server.token()
    assert server.get("/", {"Host": f"evil.example:{server.port}"})[0] == 403
    assert server.get("/api/options", {"Origin": "http://evil.example"})[0] == 403
    code, body, _ = server.request("POST", "/api/sessions", b"{}", {"X-Weightflow-Token": token,
                                                                   "Origin": "http://evil.example"})
    assert code == 403 and b"Origin" in body
    assert server.post("/api/sessions", {"setup": {}}, None)[0] == 403
    assert server.post("/api/sessions", {"setup": {}}, "0" * 32)[0] == 403
    code, headers = server.get("/")[0], server.get("/")[2]
    assert code == 200 and "script-src 'self'" in headers["Content-Security-Policy"]


def test_bad_setups_get_one_line_messages(server):
    token = server.token()
    code, v = server.post("/api/sessions", {"setup": {"lr": -1}}, token)
    assert code == 400 and v["error"].startswith("learning rate: expected a number > 0, got -1")
    code, v = server.post("/api/sessions", {"setup": {"hidden": [8, 1000]}}, token)
    assert code == 400 and "layer width" in v["error"] and "\n" not in v["error"]
    code, v = server.post("/api/sessions", {"setup": {"evil": 1}}, token)
    assert code == 400 and "evil" in v["error"]
    code, v = server.post("/api/sessions", b"{not json", token, raw=True)
    assert code == 400 and "JSON" in v["error"]


def test_uploads_are_bounded_in_size_and_rows(server):
    token = server.token()
    many = b"x1,x2,label\n" + b"1,2,0\n3,4,1\n" * 15_000
    assert server.post("/api/upload", many, token, raw=True)[0] == 413
    code, v = server.post("/api/upload", b"a,b\n1,2\n", token, raw=True)
    assert code == 400 and "the uploaded file" in v["error"] and str(server.runs) not in v["error"]
    big = b"0" * 2_000_001
    assert server.post("/api/upload", big, token, raw=True)[0] == 413


def test_at_most_n_trainings_then_a_clear_message(server):
    assert server.idle()
    token = server.token()
    ids = []
    for _ in range(MAX_TRAININGS):
        code, st = server.post("/api/sessions", {"setup": {"pace": 5}}, token)
        assert code == 200
        ids.append(st["id"])
    code, v = server.post("/api/sessions", {"setup": {"pace": 5}}, token)
    assert code == 409 and v["full"] and f"at most {MAX_TRAININGS} runs at once" in v["error"]
    other = server.token()  # another page cannot stop them
    assert server.post(f"/api/sessions/{ids[0]}/control", {"action": "stop"}, other)[0] == 403
    for sid in ids:
        assert server.post(f"/api/sessions/{sid}/control", {"action": "stop"}, token)[0] == 200
    assert server.idle()


def test_the_api_survives_fuzzing_and_writes_nowhere_else(server):
    token = server.token()
    rng = random.Random(0)
    paths = ["/", "/api/options", "/api/sessions", "/api/sessions/s1/control", "/api/sessions/s999/keep",
             "/api/sessions/s1/branch", "/api/sessions/s1/events", "/api/upload", "/static/../app.py",
             "/static/%2e%2e/setup.py", "/runs/../../etc/passwd", "/runs/playground-s1-20260101-000000/../../x",
             "/api/sessions/s1/history", "/%00", "/api/sessions/" + "9" * 400]
    junk = [b"", b"{}", b"[]", b"null", b'{"setup": 5}', b'{"setup": {"hidden": "x"}}', b'{"action": []}',
            b'{"frame": 1e308}', b'{"setup": {"steps": 1e400}}', b"\xff\xfe", bytes(rng.randrange(256) for _ in range(300))]
    for _ in range(250):
        method = rng.choice(["GET", "POST", "PUT", "DELETE"])
        path = rng.choice(paths) + rng.choice(["", "?token=" + token, "?label=../../x", "/" + "a" * rng.randrange(50)])
        headers = {"X-Weightflow-Token": token} if rng.random() < 0.7 else {}
        code = server.request(method, path, rng.choice(junk) if method != "GET" else None, headers)[0]
        assert code in (200, 400, 403, 404, 409, 413, 501), (method, path, code)
    assert server.get("/api/options")[0] == 200
    assert sorted(p.name for p in server.root.iterdir()) == ["runs"]
    assert {p.name for p in server.runs.iterdir()} <= {".uploads"} | {p.name for p in server.runs.glob("playground-*")}
    assert server.idle()


def test_twenty_clients_for_a_few_seconds_are_all_served(server):
    """The in-suite load test (bench/bench_serve.py runs 20 clients for 30 s)."""
    rss0 = _rss(server.proc.pid)
    failures, answered, stop = [], [0], time.monotonic() + 4.0

    def client(k: int):
        token = server.token()
        while time.monotonic() < stop:
            for path in ("/", "/api/options", "/api/status"):
                code = server.get(path)[0]
                if code != 200:
                    failures.append((path, code))
            code, st = server.post("/api/sessions", {"setup": {"pace": 20, "seed": k}}, token)
            if code not in (200, 409):
                failures.append(("play", code, st))
            elif code == 200:
                _read_events(server, st["id"], token, 0.5)
            answered[0] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures and answered[0] >= 20
    assert server.idle(15)  # every training stopped once its stream closed
    assert _rss(server.proc.pid) < rss0 + 400e6


def _read_events(server: Srv, sid: str, token: str, seconds: float) -> None:
    end = time.monotonic() + seconds
    with urllib.request.urlopen(f"{server.url}api/sessions/{sid}/events?token={token}", timeout=10) as r:
        while time.monotonic() < end and r.readline():
            pass


def _rss(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return float(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) * 1024


def test_crossed_features_are_drawn_on_the_plane_of_x1_and_x2(server, browser):
    """circle with x1^2 and x2^2 is linear in them: logistic regression separates it, and the map's plane
    holds the crosses computed from x1, x2 (not at their mean)."""
    page = Page(browser, server, "data=circle&features=x1%5E2,x2%5E2&hidden=&pace=0&steps=2000&record_every=20"
                                 "&lr=0.1")
    page.page.click("#play")
    page.wait_state("completed", timeout=60_000)
    grid = np.array(page.js("() => Array.from(wfServe.live().player.views.find(v => v.grid && v.setPlane).grid)"))
    grid = grid.reshape(-1, 4)
    np.testing.assert_allclose(grid[:, 2:], grid[:, :2] ** 2, rtol=1e-12)
    centre, corner = page.js("() => wfServe.live().player.forward(wfServe.live().kept - 1, [[0, 0, 0, 0], [1, 1, 1, 1]])")
    assert centre[0] > 0.5 > corner[0]  # inside the circle is class 1
    assert page.js("() => wfServe.live().history.train_accuracy[wfServe.live().kept - 1]") > 0.9
    page.close()


def test_the_command_refuses_a_busy_port_in_one_line(capsys):
    import socket

    from weightflow.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", "--port", str(busy.getsockname()[1]), "--no-warm"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --port: expected a free port on 127.0.0.1") and "\n" not in err
