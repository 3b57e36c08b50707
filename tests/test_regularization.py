"""train(l1=, l2=): Keras' kernel_regularizer penalties, checked step by step against PyTorch autograd."""

import numpy as np
import pytest
import torch

import weightflow as wf
from weightflow.errors import WeightflowError

MODEL = wf.MLP([2, 3, 1], activation="tanh")
KW = dict(optimizer="gd", lr=0.1, steps=6, record_every=1, test_size=0, progress=False, diagnose=False)


def _torch_frames(params0, X, y, l1, l2, lr, steps):
    W1, b1, W2, b2 = (torch.tensor(np.asarray(p, np.float64), requires_grad=True) for p in params0)
    X, y = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    frames = []
    for _ in range(steps):
        frames.append([p.detach().numpy().copy() for p in (W1, b1, W2, b2)])
        z = (torch.tanh(X @ W1 + b1) @ W2 + b2)[:, 0]
        data = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        penalty = sum(l1 * w.abs().sum() + l2 * (w * w).sum() for w in (W1, W2))
        (data + penalty).backward()
        with torch.no_grad():
            for p in (W1, b1, W2, b2):
                p -= lr * p.grad
                p.grad = None
    return frames


@pytest.mark.parametrize("l1, l2", [(0.0, 0.05), (0.02, 0.0), (0.01, 0.03)])
def test_each_step_equals_pytorch_with_the_penalty_in_the_loss(l1, l2):
    run = wf.train(MODEL, "xor", l1=l1, l2=l2, **KW)
    plain = wf.train(MODEL, "xor", **KW)
    ref = _torch_frames(run.initial_params, run.split.X_train, run.split.y_train, l1, l2, 0.1, 6)
    for f in range(6):
        for p, r in zip([fr[f] for fr in run.frames], ref[f]):
            np.testing.assert_allclose(p, r, rtol=1e-5, atol=1e-6)
    assert not np.allclose(run.frames[0][-1], plain.frames[0][-1])  # the penalty moved the weights
    np.testing.assert_allclose(run.history["train_loss"][0], plain.history["train_loss"][0], rtol=1e-6)  # data loss
    assert run.config.l1 == l1 and run.config.l2 == l2


def test_penalties_are_stored_and_read_back(tmp_path):
    run = wf.train(MODEL, "xor", l2=0.01, **KW)
    again = wf.load_run(run.save(tmp_path / "r"))
    assert again.config == run.config and again.config.to_dict()["regularization"] == {"l1": 0.0, "l2": 0.01}
    assert "regularization" not in wf.train(MODEL, "xor", **KW).config.to_dict()


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "x"])
def test_bad_rates_are_refused_in_one_line(bad):
    with pytest.raises(WeightflowError, match="l2") as e:
        wf.train(MODEL, "xor", l2=bad, **KW)
    assert "\n" not in str(e.value)


def test_the_cli_flags_and_experiment_files_carry_the_penalties(tmp_path):
    from weightflow.cli import main
    from weightflow.experiment import to_toml

    assert main(["train", "--data", "xor", "--hidden", "3", "--activation", "tanh", "--optimizer", "gd",
                 "--lr", "0.1", "--steps", "6", "--record-every", "1", "--test-size", "0", "--l1", "0.01",
                 "--l2", "0.03", "-q", "--out", str(tmp_path / "cli")]) == 0
    cli = wf.load_run(tmp_path / "cli")
    assert (cli.config.l1, cli.config.l2) == (0.01, 0.03)
    (tmp_path / "again.toml").write_text(to_toml(cli.config))
    assert main(["run", str(tmp_path / "again.toml"), "--out", str(tmp_path / "again")]) == 0
    again = wf.load_run(tmp_path / "again")
    np.testing.assert_array_equal(again.frames[0], cli.frames[0])
    assert (again.config.l1, again.config.l2) == (0.01, 0.03)
