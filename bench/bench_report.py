"""Report page: how long moving the slider takes to repaint every view, in headless Chromium.

Trains seed 001's run (15 -> 1, Adam 1e-4, 30000 steps, a frame every 40: 750 frames) and a 2-16-16-1
tanh net on the 400-point spiral (3000 steps, a frame every 10: 300 frames), writes their report
pages, opens each in Debian's chromium (playwright) and, after --warmup repaints, times with
``performance.now()``:
  * ``show``: the player's repaint of every view for one frame (what the slider's input event runs),
    for every frame in order (slider dragged across the whole run) and for random frames (jumps);
  * ``show + flush``: the same followed by reading one pixel of every canvas, which makes Chromium
    finish drawing each of them (so deferred canvas work is counted too).
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

MEASURE = """([warmup, flush]) => {
  const pl = weightflowPlayer.instances[0], F = pl.F;
  const canvases = Array.from(pl.root.querySelectorAll("canvas")).filter(c => c.width && c.height);
  const paint = i => { const t0 = performance.now(); pl.show(i);
    if (flush) canvases.forEach(c => c.getContext("2d").getImageData(0, 0, 1, 1));
    return performance.now() - t0; };
  for (let i = 0; i < warmup; i++) paint(i % F);
  const drag = [], jump = [];
  for (let i = 0; i < F; i++) drag.push(paint(i));
  let s = 12345;
  for (let i = 0; i < F; i++) { s = (s * 1103515245 + 12345) % 2147483648; jump.push(paint(s % F)); }
  const stats = t => { t = t.slice().sort((a, b) => a - b);
    return [t[t.length >> 1], t[Math.floor(0.95 * (t.length - 1))], t[t.length - 1]]; };
  return {F, views: pl.views.length, drag: stats(drag), jump: stats(jump)};
}"""


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
        print("| run | frames | views | repaint | drag: median / p95 / max ms | jumps: median / p95 / max ms |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, path in pages.items():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(path.resolve().as_uri())
            for flush in (False, True):
                r = page.evaluate(MEASURE, [args.warmup, flush])
                cell = lambda t: " / ".join(f"{v:.1f}" for v in t)  # noqa: E731
                kind = "show + flush" if flush else "show"
                print(f"| {name} | {r['F']} | {r['views']} | {kind} | {cell(r['drag'])} | {cell(r['jump'])} |")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
