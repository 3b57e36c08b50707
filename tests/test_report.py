"""The HTML report: payload encoding (pure python) and the page driven by a real headless Chromium.

One module-scoped browser; each page is opened from a file:// URL with every request recorded, so a
network request of any kind, a console error or an uncaught exception fails the test.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import weightflow as wf
from weightflow.cli import main
from weightflow.report import build_report, repr_html, write_report
from weightflow.report.encoding import decode, encode, even_indices
from weightflow.report.page import script_json
from weightflow.report.payload import build_payload

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


# ------------------------------------------------------------------------------------- pure python
def test_float16_encoding_error_is_bounded_and_stated():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 3, (50, 4, 5)).astype(np.float32)
    blob, err = encode(a, "float16")
    back = decode(blob)
    assert back.shape == a.shape
    true_err = np.max(np.abs(back - a.astype(np.float64)))
    assert true_err == pytest.approx(err)
    # float16 keeps 11 significant bits: relative error at most 2^-11 of the value
    assert np.all(np.abs(back - a) <= np.abs(a) * 2.0 ** -11 + 1e-7)
    blob32, err32 = encode(a, "float32")
    assert err32 == 0.0 and np.array_equal(decode(blob32), a)


def test_even_indices_spread_evenly_and_keep_the_ends():
    idx = even_indices(750, 100)
    assert idx[0] == 0 and idx[-1] == 749 and len(idx) <= 100 and len(idx) >= 99
    gaps = np.diff(idx)
    assert gaps.max() - gaps.min() <= 1
    assert np.array_equal(even_indices(10, 100), np.arange(10))


def test_script_json_cannot_end_its_script_block():
    text = script_json({"name": "</script><!-- <script>alert(1)</script>", "x": [1.5, None]})
    assert "<" not in text and ">" not in text
    assert json.loads(text)["name"] == "</script><!-- <script>alert(1)</script>"


# ------------------------------------------------------------------------------------------ runs
@pytest.fixture(scope="module")
def moons_run():
    """2-8-1 tanh on moons, 25 frames: the page's everyday case."""
    return wf.train(wf.MLP([2, 8, 1], activation="tanh"), "moons", optimizer="adam", lr=0.05, steps=50,
                    record_every=2, test_size=0.2, seed=0, progress=False)


def test_payload_subsamples_evenly_when_over_budget_and_says_so(moons_run):
    n_values = sum(int(np.prod(s)) for s in moons_run.model.param_shapes)  # 33 per frame
    budget = n_values * 2 * 10  # ten float16 frames
    p = build_payload(moons_run, budget_bytes=budget)
    fr = p["frames"]
    assert fr["dtype"] == "float16" and fr["count"] == 10 and fr["recorded"] == 25
    assert fr["kept"][0] == 0 and fr["kept"][-1] == 24
    assert p["steps"] == [int(moons_run.steps[i]) for i in fr["kept"]]
    assert len(p["history"]["train_loss"]) == 10
    assert any("holds 10 of them" in n for n in p["notes"]) and any("float16" in n for n in p["notes"])
    W1 = decode(fr["params"]["W1"])
    assert W1.shape == (10, 2, 8)
    assert np.max(np.abs(W1 - moons_run.frames[0][fr["kept"]])) <= fr["max_error"] + 1e-12
    full = build_payload(moons_run)
    assert full["frames"]["dtype"] == "float32" and full["frames"]["kept"] is None and not full["notes"]


# -------------------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/install.sh --test"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Opened:
    """A page opened from a file with its console errors, exceptions, dialogs and requests recorded."""

    def __init__(self, browser, path, width=1280, player=True):
        self.problems, self.requests, self.dialogs = [], [], []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                        else route.abort())
        self.page.goto(Path(path).resolve().as_uri())
        if player:
            self.page.wait_for_function("window.weightflowPlayer && weightflowPlayer.instances.length > 0")

    def check_clean(self):
        assert self.problems == [], self.problems
        assert self.dialogs == [], self.dialogs
        foreign = [u for u in self.requests if not u.startswith(("file://", "data:", "about:"))]
        assert foreign == [], foreign

    def pixels(self, selector):
        return self.page.evaluate("s => document.querySelector(s).toDataURL()", selector)

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)


@pytest.fixture(scope="module")
def moons_page(browser, moons_run, tmp_path_factory):
    path = write_report(moons_run, tmp_path_factory.mktemp("moons") / "report.html",
                        findings=[{"name": "too slow", "severity": "warning", "step": 60, "message": "loss <falls>"}])
    opened = Opened(browser, path)
    yield opened
    opened.page.close()


def test_slider_moves_every_view_to_the_last_frame(moons_page, moons_run):
    pg = moons_page
    views = ("canvas[data-param='W1']", ".wf-boundary", ".wf-diagram", ".wf-unit", ".wf-hist")
    before = {v: pg.pixels(v) for v in views}
    label0 = pg.page.text_content(".wf-label")
    assert label0.startswith("step 0 ")
    last = len(moons_run.steps) - 1
    slider = pg.page.locator(".wf-slider")
    slider.focus()
    slider.press("End")
    assert pg.js("weightflowPlayer.instances[0].frame") == last
    label = pg.page.text_content(".wf-label")
    assert f"step {int(moons_run.steps[-1])} " in label and f"frame {last + 1} / {last + 1}" in label
    assert f"loss {moons_run.history['train_loss'][-1]:.4g}"[:10] in label
    for v in views:
        assert pg.pixels(v) != before[v], f"{v} did not change with the slider"
    pg.page.keyboard.press("ArrowLeft")
    assert pg.js("weightflowPlayer.instances[0].frame") == last - 1
    pg.check_clean()


def test_clicking_the_loss_curve_moves_the_cursor(moons_page, moons_run):
    pg = moons_page
    pg.js("weightflowPlayer.instances[0].show(0)")
    curve = pg.page.locator("canvas[data-curve='loss']")
    box, cw = curve.bounding_box(), curve.evaluate("c => c.width")
    # the plot spans [46, width - 8] in canvas pixels (46 px left pad for the labels, 8 right)
    x = box["x"] + box["width"] * (46 + 0.5 * (cw - 54)) / cw
    pg.page.mouse.click(x, box["y"] + box["height"] / 2)
    frame = pg.js("weightflowPlayer.instances[0].frame")
    mid = int(np.argmin(np.abs(moons_run.steps - 0.5 * (moons_run.steps[0] + moons_run.steps[-1]))))
    assert abs(frame - mid) <= 1
    assert pg.page.locator(".wf-slider").input_value() == str(frame)
    pg.check_clean()


def test_hovering_a_weight_shows_its_name_value_and_trajectory(moons_page, moons_run):
    pg = moons_page
    pg.js("weightflowPlayer.instances[0].show(3)")
    box = pg.page.locator("canvas[data-param='W1']").bounding_box()
    pg.page.mouse.move(box["x"] + 2, box["y"] + 2)  # cell (0, 0): W1[x1 -> h1,1]
    tip = pg.page.locator(".wf-tooltip")
    assert tip.is_visible()
    text = tip.text_content()
    assert text.startswith("W1[x1 \u2192 h1,1] = ")
    assert float(text.split("= ")[1]) == pytest.approx(float(moons_run.frames[0][3, 0, 0]), rel=1e-3, abs=1e-4)
    assert pg.page.locator(".wf-spark").is_visible()
    pg.check_clean()


def test_findings_are_listed_and_marked_on_the_time_axis(moons_page, moons_run):
    pg = moons_page
    assert pg.page.locator(".wf-marks .wf-mark").count() == 1
    assert "loss <falls>" in pg.page.text_content(".wf-findings")
    pg.page.locator(".wf-findings li").click()
    assert pg.js("weightflowPlayer.instances[0].frame") == int(np.argmin(np.abs(moons_run.steps - 60)))
    pg.check_clean()


@pytest.mark.parametrize("activation,output", [("tanh", "sigmoid"), ("sigmoid", "sigmoid"), ("relu", "sigmoid"),
                                               ("leaky-relu", "linear"), ("linear", "sigmoid")])
def test_js_forward_pass_equals_predict_proba(browser, moons_run, tmp_path, activation, output):
    """The same recorded weights read through every hidden activation and output (no retraining)."""
    model = wf.MLP([2, 8, 1], activation=activation, output=output)
    run = dataclasses.replace(moons_run, model=model)
    path = write_report(run, tmp_path / "r.html", dtype="float32")
    g = np.linspace(-3, 3, 15)
    grid = np.array([[a, b] for a in g for b in g])
    pg = Opened(browser, path)
    for f in (0, 12, len(run.steps) - 1):
        got = np.array(pg.js("([f, pts]) => weightflowPlayer.forward(f, pts)", [f, grid.tolist()]))
        frame = dataclasses.replace(run, params=[np.asarray(a[f]) for a in run.frames])
        np.testing.assert_allclose(got, frame.predict_proba(grid), atol=1e-5, rtol=0)
    pg.check_clean()
    pg.page.close()


def test_landscape_view_marker_follows_the_cursor_and_the_projection(moons_page, moons_run):
    """The landscape panel exists; its marker sits at the frame's projection on the plane (computed here
    with analysis.landscape from the run's own frames) and moves when the cursor moves."""
    from weightflow.analysis import landscape as ls

    pg = moons_page
    assert pg.page.locator("canvas.wf-landscape").count() == 1
    assert "PC1" in pg.page.text_content(".wf-landscape + .wf-caption")
    centre, D, _ = ls.plane([moons_run])
    expected = ls.project(moons_run, centre, D)
    marker = lambda: [float(v) for v in pg.page.get_attribute("canvas.wf-landscape", "data-marker").split(",")]
    seen = {}
    for f in (0, 7, len(moons_run.steps) - 1):
        pg.js(f"weightflowPlayer.instances[0].show({f})")
        got = np.array(marker())
        scale = np.abs(expected).max()
        # the sign of a principal direction is arbitrary: compare up to a sign per axis
        np.testing.assert_allclose(np.abs(got), np.abs(expected[f]), atol=1e-4 * scale)
        seen[f] = pg.pixels("canvas.wf-landscape")
    assert np.allclose(marker(), 0.0, atol=1e-5)  # the plane passes through the last frame
    assert len(set(seen.values())) == 3
    pg.page.locator(".wf-slider").focus()
    pg.page.keyboard.press("Home")
    assert pg.pixels("canvas.wf-landscape") == seen[0]  # the slider drives it as show() does
    pg.check_clean()


def test_landscape_payload_is_the_loss_on_the_plane(moons_run):
    """A grid value of the payload equals the run's loss at that point of the plane (model.forward_numpy)."""
    from weightflow.analysis.landscape import numpy_loss, pca_plane
    from weightflow.report.payload import landscape

    keep = np.arange(0, len(moons_run.steps), 2)
    land = landscape(moons_run, keep)
    loss, paths = decode(land["loss"]), decode(land["paths"])
    R = len(land["alphas"])
    assert loss.shape == (R, R) and paths.shape == (1, len(keep), 2) and land["points"] == land["n_train"]
    flat = np.hstack([np.asarray(f[keep], np.float64).reshape(len(keep), -1) for f in moons_run.frames])
    centre, D, explained = pca_plane([flat])
    assert sum(land["explained"]) == pytest.approx(sum(explained)) and sum(explained) <= 1 + 1e-9
    i, j = 5, 30
    theta = centre + land["alphas"][j] * D[0] + land["betas"][i] * D[1]
    shapes, at, params = moons_run.model.param_shapes, 0, []
    for sh in shapes:
        params.append(theta[at:at + int(np.prod(sh))].reshape(sh))
        at += int(np.prod(sh))
    X, y = moons_run.split.X_train, moons_run.split.y_train
    z = moons_run.model.forward_numpy(params, X)[0]
    assert loss[i, j] == pytest.approx(numpy_loss(z, y, "bce", "sigmoid"), rel=1e-5)
    assert np.allclose(paths[0, -1], 0.0, atol=1e-5)
    still = dataclasses.replace(moons_run, frames=[np.repeat(f[:1], len(moons_run.steps), 0) for f in moons_run.frames])
    assert landscape(still, keep) is None  # weights that never move have no plane


def test_population_landscape_draws_the_chosen_member(browser, population_run, tmp_path):
    pg = Opened(browser, write_report(population_run, tmp_path / "pop-land.html"))
    assert "the 8 members' paths" in pg.page.text_content(".wf-report")
    pg.js("weightflowPlayer.instances[0].show(5)")
    first = pg.page.get_attribute("canvas.wf-landscape", "data-marker")
    pg.page.select_option(".wf-member", "3")
    assert pg.page.get_attribute("canvas.wf-landscape", "data-marker") != first
    pg.check_clean()
    pg.page.close()


@pytest.fixture(scope="module")
def digits_run(moons_run):
    """A 64-8-10 softmax run on the digits split whose frames are a numpy random walk (no compiling:
    the page only reads frames, so any weights test its forward pass, confusion matrix and images)."""
    from weightflow.config import DataConfig
    from weightflow.datasets import load, split

    data = load("digits")
    model = wf.MLP([64, 8, 10], activation="relu")
    rng = np.random.default_rng(0)
    frames = [np.cumsum(rng.normal(0, 0.1, (12, *s)), axis=0).astype(np.float32) for s in model.param_shapes]
    cfg = moons_run.config.replace(model=model, data=DataConfig("digits", feature_names=tuple(data.feature_names),
                                                                class_names=tuple(data.class_names),
                                                                description=data.description))
    return dataclasses.replace(moons_run, model=model, frames=frames, params=[f[-1] for f in frames],
                               steps=np.arange(12) * 2, history={"step": np.arange(12) * 2}, config=cfg,
                               split=split(data, test_size=0.2, seed=0))


def test_multiclass_image_page_confusion_matrix_and_unit_images(browser, digits_run, tmp_path):
    pg = Opened(browser, write_report(digits_run, tmp_path / "d.html", dtype="float32"))
    X = digits_run.split.X_test[:20].astype(np.float64)
    got = np.array(pg.js("([f, pts]) => weightflowPlayer.forward(f, pts)", [5, X.tolist()]))
    frame = dataclasses.replace(digits_run, params=[np.asarray(a[5]) for a in digits_run.frames])
    np.testing.assert_allclose(got, frame.predict_proba(X), atol=1e-5, rtol=0)
    cells = pg.page.locator(".wf-confusion td")
    assert cells.count() == 100
    pg.page.locator(".wf-slider").focus()
    pg.page.keyboard.press("End")
    counts = np.array([int(t) for t in cells.all_text_contents()]).reshape(10, 10)
    final = dataclasses.replace(digits_run, params=[np.asarray(a[-1]) for a in digits_run.frames])
    pred = final.predict(digits_run.split.X_test)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (digits_run.split.y_test, pred), 1)
    assert np.array_equal(counts, expected)
    assert pg.page.locator(".wf-unitimg").count() == 8 + 10  # 8 units' weights, one sample per class
    assert pg.page.locator(".wf-boundary").count() == 0  # a plane of two pixels says nothing
    pg.check_clean()
    pg.page.close()


def test_hostile_csv_column_names_never_run(browser, tmp_path):
    names = ['<script>window.pwned=1</script>', 'q"uo\'te</script><!--<script>alert(2)</script>', "label"]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))  # the moons run's shapes, so the engine's compiled program is reused
    lines = [",".join(names)] + [f"{a:.4f},{b:.4f},{int(a > 0)}" for a, b in X]
    csv_path = tmp_path / "evil.csv"
    csv_path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "<img src=x onerror=alert(3)>"
    assert main(["train", "--data", f"csv:{csv_path}", "--label", "label", "--hidden", "8", "--activation", "tanh",
                 "--lr", "0.05", "--steps", "50", "--record-every", "2", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "<script>window.pwned" not in html and "<img src=x" not in html
    pg = Opened(browser, out / "report.html")
    assert pg.js("window.pwned === undefined")
    assert pg.page.locator("script").count() == 2  # the data block and the player, nothing else
    assert names[0] in pg.page.text_content(".wf-report")  # shown as text
    pg.page.locator(".wf-slider").focus()
    pg.page.keyboard.press("End")
    pg.check_clean()
    pg.page.close()


def test_seed001_page_is_small_and_shows_every_frame_on_a_plane(browser, seed001_run, tmp_path):
    path = write_report(seed001_run, tmp_path / "seed001.html")
    assert path.stat().st_size < 5_000_000
    pg = Opened(browser, path)
    assert pg.js("weightflowPlayer.instances[0].F") == 750
    assert "every other input is held at its training mean" in pg.page.text_content(".wf-report")
    before = pg.pixels(".wf-boundary")
    pg.page.select_option(".wf-plane select >> nth=1", "5")  # y axis: noise input x6
    assert pg.pixels(".wf-boundary") != before
    pg.check_clean()
    pg.page.close()


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A one-point sweep: xor 2-2-1 tanh trained as a population of 8."""
    from weightflow.sweep import run_sweep

    out = tmp_path_factory.mktemp("sweep") / "sw"
    cfg = {"data": {"name": "xor", "test_size": 0}, "model": {"hidden": [[2]], "activation": "tanh"},
           "train": {"steps": 40, "population": 8, "lr": 0.1, "record_every": 2}}
    run_sweep(cfg, out, progress=False, echo=lambda *_: None)
    return out


@pytest.fixture(scope="module")
def population_run(sweep_dir):
    return wf.load_run(sweep_dir / "tanh-2")


def test_population_page_bands_members_and_success(browser, population_run, tmp_path):
    pg = Opened(browser, write_report(population_run, tmp_path / "pop.html"))
    text = pg.page.text_content(".wf-report")
    assert "median" in text and "success rate" in text and "boundaries of 8 members" in text
    assert pg.page.locator("canvas[data-curve='success']").count() == 1
    before = pg.pixels(".wf-hist")
    pg.page.select_option(".wf-panel select", "1")  # another weight across the members
    pg.page.locator(".wf-slider").focus()
    pg.page.keyboard.press("End")
    assert pg.pixels(".wf-hist") != before
    heat = pg.pixels("canvas[data-param='W1']")
    pg.page.select_option(".wf-member", "3")  # the single-member views follow the member chosen in the bar
    assert pg.pixels("canvas[data-param='W1']") != heat
    pg.check_clean()
    pg.page.close()


def test_sweep_page_links_each_grid_point(browser, sweep_dir):
    assert main(["report", str(sweep_dir)]) == 0
    pg = Opened(browser, sweep_dir / "report.html", player=False)
    links = pg.page.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert links == ["tanh-2/report.html"]
    assert (sweep_dir / "tanh-2" / "report.html").is_file()
    assert pg.page.locator("img.wf-picture").count() == 1
    pg.check_clean()
    pg.page.close()


def test_repr_html_is_a_working_fragment(browser, moons_run):
    html = repr_html(moons_run)
    assert "<html" not in html and "wf-player" in html
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_content("<div>notebook cell</div>" + html + html)  # two outputs in one notebook
    assert page.evaluate("weightflowPlayer.instances.length") == 2
    assert page.locator(".wf-panel").count() == 2 * 3  # curves, boundary, weights
    assert problems == []
    page.close()


def test_report_command_paths_and_errors(moons_run, tmp_path, capsys):
    moons_run.save(tmp_path / "run")
    assert main(["report", str(tmp_path / "run"), "-o", str(tmp_path / "x" / "page.html")]) == 0
    assert (tmp_path / "x" / "page.html").is_file()
    assert "page.html" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "run directory" in capsys.readouterr().err
    assert "<!DOCTYPE html>" in build_report(moons_run)[:20]


def test_report_command_never_imports_jax(moons_run, tmp_path):
    import subprocess
    import sys

    moons_run.save(tmp_path / "run")
    code = ("import sys; from weightflow.cli import main; rc = main(['report', sys.argv[1]]); "
            "bad = [m for m in ('jax', 'jaxlib', 'optax') if m in sys.modules]; print(rc, bad)")
    src = str(Path(wf.__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run")], capture_output=True, text=True,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert out.strip().endswith("0 []"), out
    assert (tmp_path / "run" / "report.html").is_file()


def test_player_module_alone_builds_the_views_asked_for(browser, moons_run):
    """player.js by itself (as the live playground will load it): create() on any element with a payload."""
    from weightflow.report.page import _static

    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_content("<div id='r' class='wf-report'></div>")
    page.add_script_tag(content=_static("player.js"))
    payload = build_payload(moons_run)
    n = page.evaluate("""p => { const pl = weightflowPlayer.create(document.getElementById('r'), p,
                                 {views: ['heatmaps', 'curves']});
                               return [pl.views.length, typeof pl.show(pl.F - 1), pl.frame]; }""", payload)
    assert n == [2, "number", len(moons_run.steps) - 1]
    assert page.locator(".wf-panel").count() == 2 and page.locator(".wf-boundary").count() == 0
    assert problems == []
    page.close()


def test_reproduce_command_trains_the_same_run(moons_run, tmp_path):
    import shlex

    from weightflow.report.repro import command

    line = command(moons_run.config)
    args = shlex.split(line)
    assert args[:2] == ["weightflow", "train"]
    assert main(args[1:] + ["--out", str(tmp_path / "again"), "--quiet"]) == 0
    again = wf.load_run(tmp_path / "again")
    for a, b in zip(again.params, moons_run.params):
        np.testing.assert_array_equal(a, b)


def test_diverged_run_page_says_where_and_still_plays(browser, moons_run, tmp_path):
    """NaN from frame 20 on (as a diverged run keeps them): the page names the step and draws the rest."""
    frames = [f.copy() for f in moons_run.frames]
    frames[0][20:] = np.nan
    history = {k: v.copy() for k, v in moons_run.history.items()}
    history["train_loss"][20:] = np.nan
    metrics = {**moons_run.metrics, "diverged_at_step": int(moons_run.steps[20])}
    run = dataclasses.replace(moons_run, frames=frames, history=history, status="diverged", metrics=metrics)
    pg = Opened(browser, write_report(run, tmp_path / "div.html"))
    assert f"diverged (NaN/inf, or 10000 times its start) at step {int(moons_run.steps[20])}" in \
        pg.page.text_content(".wf-report")
    pg.page.locator(".wf-slider").focus()
    pg.page.keyboard.press("End")
    assert pg.js("weightflowPlayer.instances[0].frame") == len(moons_run.steps) - 1
    pg.check_clean()
    pg.page.close()
