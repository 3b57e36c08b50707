"""The live playground under load: time from play to the first frame, updates per second, and 20 clients.

Starts ``weightflow serve --port 0`` in a subprocess (it compiles the default setup, 2 -> 8 -> 8 -> 1 tanh
on moons, at start) and measures:

  * play -> first frame (the ``init`` event) over HTTP for a shape seen before (other seed, other lr);
  * the frame messages per second one event stream carries while the run trains as fast as it can;
  * in headless Chromium (when playwright and /usr/bin/chromium are there): play -> first frame painted,
    and the updates per second the page paints while training 2 -> 8 -> 8 -> 1 on 400 points
    (test share 0), at the default pace (40 frames/s) and at 20;
  * the load test: ``--clients`` clients for ``--seconds`` seconds, each loading the page, its options
    and the status, pressing play (answered 200, or 409 when every slot is busy) and reading the event
    stream for a second; every answer counted, the server's memory sampled, then the server must end
    with no training left and exit 0 on Ctrl-C.

    python bench/bench_serve.py [--clients 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
SETUP = {"test_size": 0, "n": 400}


def start(runs: Path, max_trainings: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "weightflow", "serve", "--port", "0", "--runs", str(runs),
                             "--max-trainings", str(max_trainings)], env=env, stdout=subprocess.PIPE, text=True)
    url = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline()).group(0)
    return proc, url


def call(url: str, method: str, path: str, value=None, token: str | None = None) -> tuple[int, bytes]:
    host, port = url[7:].strip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Content-Type": "application/json", **({"X-Weightflow-Token": token} if token else {})}
    try:
        conn.request(method, path, None if value is None else json.dumps(value).encode(), headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def token(url: str) -> str:
    return re.search(rb'content="([0-9a-f]{32})"', call(url, "GET", "/")[1]).group(1).decode()


def first_frame(url: str, setup: dict) -> float:
    """Seconds from the play request to the ``init`` event of its stream."""
    tok = token(url)
    t0 = time.perf_counter()
    code, body = call(url, "POST", "/api/sessions", {"setup": setup}, tok)
    assert code == 200, body
    sid = json.loads(body)["id"]
    with urllib.request.urlopen(f"{url}api/sessions/{sid}/events?token={tok}", timeout=60) as r:
        for line in r:
            if line.startswith(b"event: init"):
                seconds = time.perf_counter() - t0
                call(url, "POST", f"/api/sessions/{sid}/control", {"action": "stop"}, tok)
                return seconds
    raise RuntimeError("the stream ended before its first frame")


def stream_rate(url: str, setup: dict) -> tuple[float, int]:
    """Frame messages per second one stream gets while a run trains as fast as it can, and their count."""
    tok = token(url)
    code, body = call(url, "POST", "/api/sessions", {"setup": setup}, tok)
    sid, n, t0 = json.loads(body)["id"], 0, None
    with urllib.request.urlopen(f"{url}api/sessions/{sid}/events?token={tok}", timeout=60) as r:
        for line in r:
            if line.startswith(b"event: init"):
                t0 = time.perf_counter()
            elif line.startswith(b"event: frames"):
                n += 1
            elif line.startswith(b"data:") and b'"state": "completed"' in line:
                return n / (time.perf_counter() - t0), n
    raise RuntimeError("the stream ended before the run")


def browser(url: str) -> dict:
    """Play -> first frame painted, and updates painted per second, in headless Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if not Path("/usr/bin/chromium").exists():
        return {}
    out = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for pace in (40, 20):
            page = b.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}#test_size=0&n=400&pace={pace}&seed={pace}")
            page.wait_for_selector("body[data-ready]")
            page.click("#play")
            page.wait_for_function("() => wfServe.stats.firstFrameMs !== null", timeout=60_000)
            t0, n0 = time.perf_counter(), page.evaluate("() => wfServe.stats.painted")
            page.wait_for_function("() => ['completed', 'diverged'].includes(wfServe.state.status.state) || "
                                   "wfServe.stats.painted > 400", timeout=120_000)
            seconds, painted = time.perf_counter() - t0, page.evaluate("() => wfServe.stats.painted") - n0
            out[pace] = {"first_frame_ms": page.evaluate("() => wfServe.stats.firstFrameMs"),
                         "updates_per_s": painted / seconds, "seconds": seconds}
            page.close()
        b.close()
    return out


def rss(pid: int) -> float:
    return float(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def load(url: str, pid: int, clients: int, seconds: float) -> dict:
    codes, latency, peak, stop = Counter(), [], [rss(pid)], time.monotonic() + seconds

    def client(k: int) -> None:
        tok = token(url)
        while time.monotonic() < stop:
            for path in ("/", "/api/options", "/api/status"):
                t0 = time.perf_counter()
                codes[call(url, "GET", path)[0]] += 1
                latency.append(time.perf_counter() - t0)
            code, body = call(url, "POST", "/api/sessions", {"setup": {**SETUP, "pace": 20, "seed": k}}, tok)
            codes[code] += 1
            if code == 200:
                sid, end = json.loads(body)["id"], time.monotonic() + 1.0
                with urllib.request.urlopen(f"{url}api/sessions/{sid}/events?token={tok}", timeout=30) as r:
                    while time.monotonic() < end and r.readline():
                        pass

    def sample() -> None:
        while time.monotonic() < stop:
            peak.append(rss(pid))
            time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)] + [threading.Thread(target=sample)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t0 = time.monotonic()
    while json.loads(call(url, "GET", "/api/status")[1])["training"] and time.monotonic() - t0 < 30:
        time.sleep(0.2)
    left = json.loads(call(url, "GET", "/api/status")[1])["training"]
    latency.sort()
    return {"answers": dict(codes), "p50_ms": 1e3 * statistics.median(latency),
            "p95_ms": 1e3 * latency[int(0.95 * len(latency))], "rss_start_mb": peak[0], "rss_peak_mb": max(peak),
            "rss_end_mb": rss(pid), "training_left": left, "idle_after_s": time.monotonic() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--max-trainings", type=int, default=4)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start(Path(tmp) / "runs", a.max_trainings)
        try:
            first_frame(url, {**SETUP, "pace": 0})  # waits for the warm-up compile
            seen = [first_frame(url, {**SETUP, "pace": 0, "seed": s, "lr": lr})
                    for s, lr in [(1, 0.01), (2, 0.1), (3, 0.03), (4, 0.3), (5, 0.003)]]
            print(f"play -> first frame, seen shape (HTTP, 5 plays): median {1e3 * statistics.median(seen):.0f} ms, "
                  f"max {1e3 * max(seen):.0f} ms")
            rate, n = stream_rate(url, {**SETUP, "pace": 0, "seed": 9})
            print(f"as fast as it trains (5000 steps, 500 frames): {rate:.0f} frame messages/s on one stream ({n})")
            for pace, r in browser(url).items():
                print(f"browser, pace {pace} frames/s: first frame {r['first_frame_ms']:.0f} ms, "
                      f"{r['updates_per_s']:.1f} updates/s painted over {r['seconds']:.1f} s")
            res = load(url, proc.pid, a.clients, a.seconds)
            print(f"load, {a.clients} clients x {a.seconds:.0f} s: answers {res['answers']}, latency p50 "
                  f"{res['p50_ms']:.1f} ms / p95 {res['p95_ms']:.1f} ms; memory {res['rss_start_mb']:.0f} MB at start, "
                  f"{res['rss_peak_mb']:.0f} MB peak, {res['rss_end_mb']:.0f} MB after; trainings left "
                  f"{res['training_left']} ({res['idle_after_s']:.1f} s after the clients left)")
        finally:
            proc.send_signal(signal.SIGINT)
            t0 = time.perf_counter()
            rc = proc.wait(60)
            print(f"server exit code {rc} after {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
