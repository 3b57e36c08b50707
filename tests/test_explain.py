"""``weightflow explain``: one step laid out as seed 002 lays it out, with the engine's numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

import weightflow as wf
from weightflow import explain
from weightflow.cli import main
from conftest import XOR_INIT

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")

# SEEDS.md / the notebook (Out[8] .. In [21]): section title -> the numbers it prints
NOTEBOOK = {
    "Layer 2 (output, sigmoid)": [0.222117, 0.419674, 0.580326, 0.777883],
    "Loss per pattern": [0.25118, 0.868278, 0.544165, 1.50455, 0.792043],
    "Output deltas": [0.222117, -0.580326, -0.419674, 0.777882],
    "Hidden deltas, layer 1": [-0.00904025, -0.0158805, 0.394472, 0.277364, 0.28527, 0.200581, -0.0316601,
                               -0.0556155],
    "Weight updates: W1, b1": [0.00329555, 0.00291295, -0.00216456, -0.000926205, -0.015976, -0.0101612],
    "Weight updates: W2, b2": [0.0135519, 0.0150604],
    "New weights (the engine's step): W1, b1": [-1.049549, -1.142759, -1.035094, -0.60749, -0.015976, -0.010161],
    "New weights (the engine's step): W2, b2": [-0.66646, -0.615784, 0.0],
}


def sections(text):
    """Title line -> the numbers printed in its table (the lines after the '---' underline)."""
    out = {}
    for block in text.split("\n\n")[1:]:
        lines = block.splitlines()
        body = [line for line in lines[2:] if not line.startswith(("rows:", "net", "delta", "binary", "W +",
                                                                  "out0", "pattern", "from"))]
        out[lines[0]] = [float(x) for line in body for x in NUMBER.findall(line.split(None, 1)[1]
                                                                          if " " in line else "")]
    return out


@pytest.fixture(scope="module")
def xor_step():
    return explain.one_step(wf.MLP([2, 2, 1], activation="tanh"), "xor", XOR_INIT, lr=0.1)


def test_explain_prints_the_notebooks_numbers(xor_step):
    printed = sections(xor_step.render("text"))
    for title, want in NOTEBOOK.items():
        (key,) = [k for k in printed if k.startswith(title)]
        got = printed[key]
        # XOR_INIT is the notebook's weights rounded to 6 digits, and 6 digits are printed
        for w in want:
            assert min(abs(g - w) for g in got) < 1.5e-5, (title, w, got)


def test_explain_numbers_are_the_engines(xor_step):
    v = xor_step.values
    assert v["max_difference"] < 1e-6  # textbook step == the engine's step
    for ref, new in zip(v["reference_params"], v["new_params"]):
        np.testing.assert_allclose(ref, new, atol=1e-6)
    assert v["loss"] == pytest.approx(v["engine_loss"], rel=1e-6)
    run = wf.train(wf.MLP([2, 2, 1], activation="tanh"), "xor", optimizer="sgd", lr=0.1, steps=1, record_every=1,
                   test_size=0, init=XOR_INIT, progress=False)
    for a, b in zip(run.params, v["new_params"]):
        np.testing.assert_array_equal(a.astype(np.float64), b)
    assert [t.key for t in xor_step.tables] == ["weights1", "weights2", "inputs", "layer1", "layer2", "loss", "delta2",
                                                "delta1", "update1", "update2", "new1", "new2"]


def test_deeper_softmax_net_and_a_sum_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    y = np.arange(30) % 3
    model = wf.MLP([3, 4, 4, 3], activation="relu", output="softmax")
    e = explain.one_step(model, (X, y), lr=0.05, loss="sse", seed=1, max_patterns=5)
    assert e.values["max_difference"] < 1e-6
    assert "the first 5 of 30 patterns" in e.table("delta3").title
    assert len(e.table("delta1").rows) == 5 and e.table("delta1").header[1] == "delta h1_1"
    assert e.table("loss").rows[-1][0] == "E (sum)"


def test_markdown_and_html(xor_step):
    md = xor_step.render("markdown")
    assert md.startswith("# One training step of MLP(2-2-1")
    assert "| pattern | delta o1 |" in md and "|---|---:|" in md
    page = xor_step.render("html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<table>") == len(xor_step.tables)
    assert "<script" not in page and "http" not in page  # self-contained
    hostile = explain.Explanation("<b>x</b>", ["a & b"], [explain.Table("<t>", ["<h>"], [["<c>"]], "<n>", "k")])
    page = hostile.render("html")
    assert "<b>" not in page and "&lt;b&gt;" in page and "&lt;c&gt;" in page and "a &amp; b" in page
    with pytest.raises(wf.WeightflowError, match="--format"):
        xor_step.render("pdf")


def test_explain_command(tmp_path, capsys):
    params = tmp_path / "xor002.npz"
    np.savez(params, W1=XOR_INIT[0], b1=XOR_INIT[1], W2=XOR_INIT[2], b2=XOR_INIT[3])
    args = ["explain", "--data", "xor", "--hidden", "2", "--activation", "tanh", "--params", params, "--lr", "0.1"]
    code = main([str(a) for a in args])
    out = capsys.readouterr().out
    assert code == 0
    assert "0.792043" in out and "Hidden deltas, layer 1 (tanh)" in out
    page = tmp_path / "step.html"
    assert main([str(a) for a in [*args, "--format", "html", "--out", page]]) == 0
    assert "<table>" in page.read_text()
    capsys.readouterr()
    code = main(["explain", "--data", "xor", "--hidden", "2", "--params", str(tmp_path / "missing.npz")])
    assert code == 2 and "error: --params" in capsys.readouterr().err
