"""The playground's setup checks (pure python, no server): what the page may ask for and the messages."""

from __future__ import annotations

import numpy as np
import pytest

from weightflow.errors import WeightflowError
from weightflow.serve.setup import DEFAULTS, MAX_FLOATS, plan


def test_the_default_setup_is_the_issue_net_on_moons():
    p = plan({})
    assert p.model.sizes == (2, 8, 8, 1) and p.data == "moons" and p.kwargs["data_options"] == {"n": 400}
    assert p.kwargs["population"] is None and p.pace == DEFAULTS["pace"] and p.kwargs["batch_size"] is None


def test_crossed_features_are_computed_from_x1_and_x2():
    p = plan({"data": "circle", "features": ["sin x2", "x1*x2", "x1^2"]})
    X = np.asarray(p.data.X, np.float64)
    assert p.data.feature_names == ("x1", "x2", "x1^2", "x1*x2", "sin x2")  # the playground's order
    np.testing.assert_allclose(X[:, 2], X[:, 0] ** 2, rtol=1e-6)
    np.testing.assert_allclose(X[:, 3], X[:, 0] * X[:, 1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(X[:, 4], np.sin(X[:, 1]), rtol=1e-5, atol=1e-7)
    assert p.model.sizes[0] == 5


def test_more_classes_get_softmax_and_sigmoid_is_refused_for_them():
    assert plan({"data": "digits", "hidden": [16]}).model.output == "softmax"
    with pytest.raises(WeightflowError, match="^output: expected softmax for 10 classes"):
        plan({"data": "digits", "output": "sigmoid"})


@pytest.mark.parametrize("setup, start", [
    ({"optimizer": "sgdd"}, "optimizer: expected one of gd, sgd"),
    ({"data": "../etc/passwd"}, "data: expected one of"),
    ({"data": "upload:nope"}, "data: expected an uploaded file"),
    ({"data": "digits", "features": ["x1^2"]}, "features: expected crossed features only for 2-D data"),
    ({"features": ["x1^2"], "standardize": True}, "standardise: expected off with crossed features"),
    ({"features": ["x3"]}, "features: expected a list among"),
    ({"hidden": [8] * 7}, "hidden layers: expected a list of at most 6"),
    ({"steps": 5000, "record_every": 1}, "steps per frame: expected at most 1000 frames"),
    ({"population": 257}, "population: expected a whole number of seeds in 1..256"),
    ({"seed": 1.5}, "seed: expected a whole number >= 0"),
    ({"test_size": 0.95}, "test share: expected a fraction below 0.9"),
    ({"pace": -1}, "pace: expected a number >= 0"),
    ([1, 2], "setup: expected a JSON object"),
])
def test_bad_setups_get_one_line_messages(setup, start):
    with pytest.raises(WeightflowError) as e:
        plan(setup)
    assert str(e.value).startswith(start) and "\n" not in str(e.value)


def test_a_population_is_bounded_by_the_floats_it_records():
    with pytest.raises(WeightflowError, match=f"at most {MAX_FLOATS} recorded floats"):
        plan({"population": 256, "hidden": [128, 128], "steps": 1000, "record_every": 1})


def test_regularisation_is_the_playgrounds_choice_and_rate():
    assert plan({}).kwargs["l1"] == plan({}).kwargs["l2"] == 0.0
    l2 = plan({"regularization": "l2", "reg_rate": 0.01}).kwargs
    assert (l2["l1"], l2["l2"]) == (0.0, 0.01)
    assert plan({"regularization": "l1", "reg_rate": 0.003}).kwargs["l1"] == 0.003
    with pytest.raises(WeightflowError, match="^regularization: expected one of none, l1, l2"):
        plan({"regularization": "l3"})
    with pytest.raises(WeightflowError, match="^regularization rate"):
        plan({"regularization": "l2", "reg_rate": -1})
