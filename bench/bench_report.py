"""Report page: how long moving the slider takes to repaint every view, in headless Chromium.

Trains seed 001's run (15 -> 1, Adam 1e-4, 30000 steps, a frame every 40: 750 frames) and a 2-16-16-1
tanh net on the 400-point spiral (3000 steps, a frame every 10: 300 frames), writes their report
pages, opens each in Debian's chromium (playwright) and, after --warmup repaints, times with
``performance.now()``:
  * ``show``: the player's repaint of every view for one frame (what the slider's input event runs),
    for every frame in order (slider dragged across the whole run) and for random frames (jumps);
  * ``animated``: one frame shown per animation frame (requestAnimationFrame), as a slider drag
    delivers them; the interval between callbacks includes Chromium's paint and raster of the
    previous frame, so a page that keeps up shows the 16.7 ms vsync.
Prints a markdown table (median, 95th percentile, max in ms; target < 16 ms) to paste into
bench/RESULTS.md.

    python bench/bench_report.py [--warmup 30]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

MEASURE = """([warmup]) => {
  const pl = weightflowPlayer.instances[0], F = pl.F;
  for (let i = 0; i < warmup; i++) pl.show(i % F);
  const drag = [], jump = [];
  for (let i = 0; i < F; i++) drag.push(pl.show(i));
  let s = 12345;
  for (let i = 0; i < F; i++) { s = (s * 1103515245 + 12345) % 2147483648; jump.push(pl.show(s % F)); }
  return {F, views: pl.views.length, drag: stats(drag), jump: stats(jump)};
}"""

# One frame per animation frame, as a slider drag delivers them: the interval between callbacks
# includes Chromium's style, paint and raster of the previous frame (at best the 16.7 ms vsync).
ANIMATED = """([n]) => new Promise(done => {
  const pl = weightflowPlayer.instances[0], F = pl.F, t = [];
  let i = 0, last = null;
  const tick = now => { if (last !== null) t.push(now - last); last = now;
    if (i >= n) { done({frames: stats(t)}); return; }
    pl.show(i++ % F); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})"""

STATS = """() => { window.stats = t => { t = t.slice().sort((a, b) => a - b);
  return [t[t.length >> 1], t[Math.floor(0.95 * (t.length - 1))], t[t.length - 1]]; }; }"""


def runs(out):
    import weightflow as wf

    seed001 = wf.train(wf.MLP([15, 1]), "linear-embedded", optimizer="adam", lr=1e-4, steps=30000,
                       record_every=40, test_size=0.2, seed=0, progress=False)
    spiral = wf.train(wf.MLP([2, 16, 16, 1], activation="tanh"), "spiral", optimizer="adam", lr=0.01,
                      steps=3000, record_every=10, test_size=0.2, seed=0, progress=False)
    from weightflow.report import write_report

    return {"seed 001 (15-1, 750 frames, 1000 points)": write_report(seed001, os.path.join(out, "seed001.html")),
            "spiral 2-16-16-1 tanh (300 frames, 400 points)": write_report(spiral, os.path.join(out, "spiral.html"))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warmup", type=int, default=30)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as out, sync_playwright() as p:
        pages = runs(out)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(f"chromium {browser.version}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores\n")
        print("| run | frames | views | show, drag: median / p95 / max ms | show, jumps: median / p95 / max ms "
              "| animated frame interval: median / p95 / max ms |")
        print("| --- | --- | --- | --- | --- | --- |")
        cell = lambda t: " / ".join(f"{v:.1f}" for v in t)  # noqa: E731
        for name, path in pages.items():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(path.resolve().as_uri())
            page.evaluate(STATS)
            r = page.evaluate(MEASURE, [args.warmup])
            a = page.evaluate(ANIMATED, [min(r["F"], 300)])
            print(f"| {name} | {r['F']} | {r['views']} | {cell(r['drag'])} | {cell(r['jump'])} | {cell(a['frames'])} |")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
