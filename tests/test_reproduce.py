"""``weightflow reproduce``: the experiments run, judged against their thresholds, written as one page."""

from __future__ import annotations

import math

import numpy as np
import pytest

import weightflow as wf
from weightflow import experiment as ex
from weightflow import reproduce as rp
from weightflow.cli import main
from weightflow.errors import WeightflowError
from weightflow.sweep import point_metrics, run_sweep

FILES = sorted(ex.EXPERIMENTS.glob("*.toml"))


@pytest.mark.parametrize("value, want, ok", [(0.99, 0.98, True), (0.97, 0.98, False), (0.98, 0.98, True),
                                             (0.31, [0.29, 0.35], True), (0.36, [0.29, 0.35], False),
                                             (0.28, [0.29, 0.35], False), (None, 0.5, None),
                                             (math.nan, 0.5, None)])
def test_judge_reads_a_minimum_or_a_range(value, want, ok):
    assert rp.judge(value, want) is ok


def test_verdict():
    checks = {"a": 0.9, "b": [0.1, 0.2]}
    assert rp.verdict({"a": 0.95, "b": 0.15}, checks, quick=False) == rp.PASS
    assert rp.verdict({"a": 0.95}, checks, quick=False) == rp.FAIL  # a missing number does not pass
    assert rp.verdict({"a": 0.5, "b": 0.15}, checks, quick=True) == rp.QUICK
    assert rp.verdict({"a": 0.5}, {}, quick=False) == rp.NO_THRESHOLD


# the "must show", as each file's [notebook] pass table has to say it
MUST = {"mass-shuffle-adam": {"train_accuracy": 0.99, "test_accuracy": 0.98},
        "random-walk": {"train_accuracy": 0.98, "test_accuracy": 0.98},
        "xor-tanh": {"train_accuracy": 1.0},
        "patterns": {"diamond/median_final_train_accuracy": 0.9},
        "digits-tanh": {"test_accuracy": 0.97}, "digits-relu": {"test_accuracy": 0.97},
        "mnist1d-logistic": {"test_accuracy": [0.29, 0.35]}, "mnist1d-mlp": {"test_accuracy": 0.66},
        "mnist-tanh": {"test_accuracy": 0.98}, "mnist-relu": {"test_accuracy": 0.98}}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_file_says_what_the_notebook_reports_and_has_a_quick_variant(path):
    cfg = ex.read(path)
    nb = cfg["notebook"]
    assert nb["source"] and nb["figure"]
    for key, want in MUST.get(path.stem, {}).items():
        assert nb["pass"][key] == want
    q = ex.quick(cfg)
    tr = q["train"]
    assert cfg["quick"] and (tr.get("steps") or 0) <= 200 and (tr.get("epochs") or 0) <= 200
    assert (tr.get("steps") is None) != (tr.get("epochs") is None)  # one length, the quick one


@pytest.mark.parametrize("text, match", [
    ("[notebook]\nfigur = 'x'\n", r"\[notebook\]: expected keys among"),
    ("[notebook]\npass = {test_accuracy = [0.4, 0.3]}\n", r"pass test_accuracy: expected a minimum or a \[low, high\]"),
    ("[notebook]\nexpected = {test_accuracy = 'high'}\n", r"expected: expected a table of numbers"),
    ("[notebook]\nsource = 1\n", r"source: expected text"),
    ("[quick]\nstepz = 3\n", r"\[quick\]: expected \[train\] or \[model\] keys"),
])
def test_bad_notebook_and_quick_tables_are_refused(text, match, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[data]\nname = 'xor'\n" + text)
    with pytest.raises(WeightflowError, match=match):
        ex.read(path)


def test_quick_replaces_the_length_and_merges_model_keys():
    cfg = ex.quick(ex.read(ex.locate("xor-smallest-network")))
    assert cfg["model"]["hidden"] == [[2]] and cfg["model"]["activation"] == ["relu", "tanh"]
    assert cfg["train"]["steps"] == 100 and cfg["train"]["population"] == 8
    cfg = ex.quick(ex.read(ex.locate("digits-tanh")))
    assert cfg["train"]["epochs"] == 2 and cfg["train"]["steps"] is None


@pytest.fixture(scope="module")
def quick_page(tmp_path_factory):
    """``weightflow reproduce --quick`` over a few experiments of different kinds (a single run, a sweep
    over datasets, a gradient-free rule, MNIST without its files)."""
    tmp = tmp_path_factory.mktemp("quick")
    mp = pytest.MonkeyPatch()
    mp.setenv("WEIGHTFLOW_DATA", str(tmp))
    mp.setenv("HOME", str(tmp))
    try:
        code = main(["reproduce", "--quick", "--only", "xor-tanh,patterns", "--only", "random-walk",
                     "--only", "mnist-logistic", "--runs", str(tmp / "runs"), "--out", str(tmp / "R.md")])
    finally:
        mp.undo()
    return code, (tmp / "R.md").read_text(), tmp / "runs"


def test_quick_reproduction_writes_the_page(quick_page):
    code, page, runs = quick_page
    assert code == 0
    for name in ("xor-tanh", "patterns", "random-walk", "mnist-logistic"):
        assert f"## {name}" in page and ex.read(ex.locate(name))["notebook"]["figure"] in page
    # the notebooks' order: seed 000 first, then 002 (xor-tanh, mnist), then 003
    assert page.index("## random-walk") < page.index("## xor-tanh") < page.index("## patterns")
    assert "not judged (quick)" in page and "| pass |" not in page
    assert f"{rp.NEEDS_MNIST}" in page and "`WEIGHTFLOW_DATA=FOLDER weightflow run mnist-logistic --quick`" in page
    assert not (runs / "mnist-logistic").exists()
    ours = wf.load_run(runs / "xor-tanh").metrics["train_accuracy"]
    assert f"| train_accuracy | 1 | {ours:.4g} | >= 1 | - |" in page
    assert "| rank | data |" in page  # the patterns' difficulty table


def test_a_full_run_is_judged_pass_or_fail(tmp_path, capsys):
    bad = tmp_path / "random-walk-strict.toml"
    text = ex.locate("random-walk").read_text()
    bad.write_text(text.replace("pass = {train_accuracy = 0.98, test_accuracy = 0.98}",
                                "pass = {train_accuracy = [0.0, 0.5]}"))
    code = main(["reproduce", "--only", "random-walk", "--only", str(bad), "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "R.md")])
    out = capsys.readouterr()
    assert code == 1 and "below the threshold: random-walk-strict" in out.err
    page = (tmp_path / "R.md").read_text()
    run = wf.load_run(tmp_path / "runs" / "random-walk")
    assert run.metrics["train_accuracy"] >= 0.98  # seed 000's figure, full length
    assert "| [random-walk](#random-walk) | seed 000 |" in page and "| pass |" in page
    assert "| train_accuracy | 1 |" in page and "0 to 0.5 | FAIL |" in page


def test_the_patterns_sweep_ranks_the_datasets(tmp_path):
    """A sweep over datasets (seed 003's patterns, few steps): one program per dataset, a data column, a
    difficulty table ordered by the median steps to 0.9, and POINT/COLUMN metrics that match the runs."""
    cfg = ex.quick(ex.read(ex.locate("patterns")))
    cfg = ex.with_length({**cfg, "train": {**cfg["train"], "lr": 8.0}}, steps=300)
    rows = run_sweep(cfg, tmp_path / "p", progress=False, echo=lambda *_: None)
    names = cfg["data"]["name"]
    assert [r["data"] for r in rows] == names and len(names) == 5
    table = (tmp_path / "p" / "difficulty.md").read_text().splitlines()[2:]
    steps = [float("inf") if ln.split("|")[-2].strip() == "never" else float(ln.split("|")[-2]) for ln in table]
    assert steps == sorted(steps) and len(table) == 5
    metrics = point_metrics(rows)
    for name in names:
        run = wf.load_run(tmp_path / "p" / f"{name}-sigmoid-4")
        acc = run.member_metrics["train_accuracy"]
        assert metrics[f"{name}/median_final_train_accuracy"] == pytest.approx(np.median(acc))
        assert metrics[f"{name}/success_rate"] == pytest.approx(np.mean(acc >= 0.9))
        assert metrics[f"{name}/median_final_train_loss"] == pytest.approx(np.median(run.member_metrics["train_loss"]))


def test_diamond_reaches_the_notebooks_accuracy_in_5000_steps(tmp_path, capsys):
    """Seed 003: the notebook's update (lr 0.001 on the summed loss = lr 0.5 on the mean over 500 points),
    5000 steps: the median of 8 seeds reaches 0.9 (the notebook's one run: 0.954)."""
    cfg = ex.read(ex.locate("patterns"))
    cfg = {**cfg, "data": {**cfg["data"], "name": ["diamond"]}, "train": {**cfg["train"], "population": 8}}
    rows = run_sweep(cfg, tmp_path / "d", progress=False, echo=lambda *_: None)
    assert rows[0]["median_final_train_accuracy"] >= 0.9
    assert wf.load_run(tmp_path / "d" / "diamond-sigmoid-4").config.schedule.steps == 5000
