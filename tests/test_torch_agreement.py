"""The engine against PyTorch (an independent implementation): the same nets from the same initial
weights give the same outputs, losses, gradients, and parameters after 100 steps of SGD and Adam.

The torch nets here are built by hand (not by ``weightflow.export``), so they check the engine
and the export independently; a last test checks ``export.to_torch`` against the engine.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import weightflow as wf  # noqa: E402
from weightflow import losses  # noqa: E402
from weightflow.datasets import load  # noqa: E402
from conftest import XOR_INIT  # noqa: E402

RTOL = 1e-5
ATOL = 1e-6  # for entries that are ~0 (a relative error means nothing there)
STEPS = 100


def _init(sizes, seed):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32))
        params.append((0.1 * rng.normal(size=fan_out)).astype(np.float32))
    return params


def _seed004():
    """Seed 004: 2 -> 3 sigmoid -> 1 sigmoid, E = 1/2 sum (y - y_pred)^2, standardised 2-D data of 400 points."""
    ds = load("moons", n=400, noise=0.2, seed=4)
    X = (ds.X - ds.X.mean(axis=0)) / ds.X.std(axis=0)
    return dict(sizes=[2, 3, 1], activation="sigmoid", output="sigmoid", loss="sse", X=X.astype(np.float32),
                y=ds.y, init=_init([2, 3, 1], 4), sgd_lr=1e-3, adam_lr=2e-3)


def _xor():
    ds = load("xor")
    # The notebook's weights give symmetric outputs (p and 1 - p), so the output bias's gradient is
    # exactly 0; Adam's m / (sqrt(v) + eps) turns float32 roundoff there into whole steps that float64
    # torch does not take. A small output bias breaks the symmetry and keeps the comparison meaningful.
    init = [p.copy() for p in XOR_INIT]
    init[3] = np.array([0.05], np.float32)
    return dict(sizes=[2, 2, 1], activation="tanh", output="sigmoid", loss="bce", X=ds.X, y=ds.y,
                init=init, sgd_lr=0.1, adam_lr=2e-3)


def _softmax_relu():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = np.argmax(X[:, :3] + 0.3 * rng.normal(size=(60, 3)), axis=1)
    return dict(sizes=[4, 5, 3], activation="relu", output="softmax", loss="ce", X=X, y=y,
                init=_init([4, 5, 3], 1), sgd_lr=0.1, adam_lr=2e-3)


def _deep_tanh_mse():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(np.int64)
    return dict(sizes=[3, 4, 4, 1], activation="tanh", output="sigmoid", loss="mse", X=X, y=y,
                init=_init([3, 4, 4, 1], 2), sgd_lr=0.5, adam_lr=2e-3)


CASES = {"seed004-2-3-1-sigmoid-sse": _seed004, "xor-2-2-1-tanh-bce": _xor,
         "4-5-3-relu-softmax-ce": _softmax_relu, "3-4-4-1-tanh-mse": _deep_tanh_mse}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    return CASES[request.param]()


# --- the torch side, written out by hand ---------------------------------------------------------

_TORCH_ACT = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}


def torch_net(c, dtype=torch.float64):
    """nn.Sequential of Linear layers (weight = W.T) with the hidden activations between: logits out."""
    mods = []
    ws = c["init"]
    n_layers = len(c["sizes"]) - 1
    for i in range(n_layers):
        lin = torch.nn.Linear(c["sizes"][i], c["sizes"][i + 1], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(ws[2 * i].T, dtype=dtype))
            lin.bias.copy_(torch.as_tensor(ws[2 * i + 1], dtype=dtype))
        mods.append(lin)
        if i < n_layers - 1:
            mods.append(_TORCH_ACT[c["activation"]]())
    return torch.nn.Sequential(*mods)


def torch_output(c, logits):
    return {"sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, dim=1),
            "linear": lambda z: z}[c["output"]](logits)


def torch_loss(c, logits, y):
    """The four losses as PyTorch spells them."""
    if c["loss"] == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
    if c["loss"] == "ce":
        return torch.nn.functional.cross_entropy(logits, y)
    out = torch_output(c, logits)
    t = y.to(out.dtype)[:, None] if out.shape[1] == 1 else torch.nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
    if c["loss"] == "mse":
        return torch.nn.functional.mse_loss(out, t)
    return 0.5 * ((out - t) ** 2).sum()  # seed 004's E = 1/2 sum (y - y_pred)^2


def torch_params(net):
    """Keras order [W1 (in, out), b1, ...] as float64 numpy."""
    out = []
    for m in net:
        if isinstance(m, torch.nn.Linear):
            out += [m.weight.detach().numpy().T.astype(np.float64), m.bias.detach().numpy().astype(np.float64)]
    return out


def torch_train(c, optimizer, steps=STEPS):
    net = torch_net(c)
    x, y = torch.as_tensor(c["X"], dtype=torch.float64), torch.as_tensor(c["y"], dtype=torch.int64)
    opt = (torch.optim.SGD(net.parameters(), lr=c["sgd_lr"]) if optimizer == "sgd"
           else torch.optim.Adam(net.parameters(), lr=c["adam_lr"], betas=(0.9, 0.999), eps=1e-8))
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(c, net(x), y).backward()
        opt.step()
    return torch_params(net)


def model_of(c):
    return wf.MLP(c["sizes"], activation=c["activation"], output=c["output"])


def assert_close(got, want, what):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=RTOL, atol=ATOL, err_msg=what)


# --- the tests ----------------------------------------------------------------------------------

def test_forward_loss_and_gradients_agree(case):
    import jax
    import jax.numpy as jnp

    c = case
    model = model_of(c)
    net = torch_net(c)
    x, y = torch.as_tensor(c["X"], dtype=torch.float64), torch.as_tensor(c["y"], dtype=torch.int64)
    logits = net(x)
    value = torch_loss(c, logits, y)
    value.backward()
    t_grads = []
    for m in net:
        if isinstance(m, torch.nn.Linear):
            t_grads += [m.weight.grad.numpy().T, m.bias.grad.numpy()]

    params = [jnp.asarray(p) for p in c["init"]]
    xt, yj = jnp.asarray(c["X"].T), jnp.asarray(c["y"], jnp.int32)

    @jax.jit
    def engine(ps):  # the engine's forward pass, loss and autodiff gradient, compiled once
        def objective(ps):
            return losses.loss_value(model.forward_t(ps, xt), yj, c["loss"], model.output)

        z = model.forward_t(ps, xt)
        return losses.output_activation(z, model.output).T, *jax.value_and_grad(objective)(ps)

    e_out, e_value, e_grads = engine(params)
    assert_close(e_out, torch_output(c, logits).detach().numpy(), "forward")
    assert_close(e_value, value.item(), "loss")
    for name, g, t in zip(model.param_names, e_grads, t_grads):
        assert_close(g, t, f"gradient of {name}")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_parameters_after_100_steps_agree(case, optimizer):
    c = case
    lr = c["sgd_lr"] if optimizer == "sgd" else c["adam_lr"]
    run = wf.train(model_of(c), (c["X"], c["y"]), optimizer=optimizer, lr=lr, steps=STEPS, record_every=STEPS,
                   test_size=0, init=c["init"], loss=c["loss"], progress=False)
    assert run.status == "completed"
    want = torch_train(c, optimizer)
    moved = max(float(np.max(np.abs(w - p))) for w, p in zip(want, c["init"]))
    assert moved > 1e-3  # the comparison is not of nets that stood still
    for name, got, w in zip(run.param_names, run.params, want):
        assert_close(got, w, f"{name} after {STEPS} {optimizer} steps")


def test_export_to_torch_gives_the_engine_outputs(case):
    from weightflow import export

    c = case
    run = wf.train(model_of(c), (c["X"], c["y"]), optimizer="sgd", lr=c["sgd_lr"], steps=STEPS,
                   record_every=STEPS, test_size=0, init=c["init"], loss=c["loss"], progress=False)
    seq = export.to_torch(run)
    with torch.no_grad():
        out = seq(torch.as_tensor(c["X"])).numpy()
        logits = export.to_torch(run, logits=True)(torch.as_tensor(c["X"])).numpy()
    np.testing.assert_allclose(out, run.predict_proba(c["X"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logits, run.model.forward_numpy(run.params, c["X"])[0], rtol=1e-5, atol=1e-5)


def test_export_command_writes_torch_and_npz(tmp_path, capsys):
    from weightflow import export
    from weightflow.cli import main

    c = _xor()
    run = wf.train(model_of(c), (c["X"], c["y"]), optimizer="sgd", lr=c["sgd_lr"], steps=STEPS,
                   record_every=STEPS, test_size=0, init=c["init"], loss=c["loss"], progress=False)
    run_dir = run.save(tmp_path / "run")
    assert main(["export", str(run_dir)]) == 0
    pt = run_dir / "export" / "model.pt"
    assert f"written to {pt}" in capsys.readouterr().out
    seq = export.to_torch(wf.MLP([2, 2, 1], activation="tanh"), [np.zeros(s, np.float32) for s in
                                                                  run.model.param_shapes])
    seq.load_state_dict(torch.load(pt))
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.as_tensor(c["X"])).numpy(), run.predict_proba(c["X"]), rtol=1e-6)
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Sigmoid"]

    out = tmp_path / "w.npz"
    assert main(["export", str(run_dir), "--format", "npz", "--out", str(out)]) == 0
    with np.load(out) as z:
        assert z.files == ["W1", "b1", "W2", "b2"]
        for name, p in zip(run.param_names, run.params):
            np.testing.assert_array_equal(z[name], p)
    assert [p.shape for p in export.read_npz(out, run.model)] == run.model.param_shapes
    capsys.readouterr()
    assert main(["export", str(tmp_path / "nowhere")]) == 2
    assert "error: run directory" in capsys.readouterr().err


def test_export_without_torch_is_a_clear_error(monkeypatch):
    import builtins

    from weightflow import export

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    model = wf.MLP([2, 1])
    with pytest.raises(wf.WeightflowError, match="expected PyTorch to be installed.*--format npz"):
        export.to_torch(model, [np.zeros((2, 1)), np.zeros(1)])


def test_leaky_relu_softmax_and_no_bias_layers():
    from weightflow import export

    model = wf.MLP([3, 4, 3], activation="leaky-relu", output="softmax", bias=False)
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s).astype(np.float32) for s in model.param_shapes]
    X = rng.normal(size=(7, 3)).astype(np.float32)
    seq = export.to_torch(model, params)
    assert [type(m).__name__ for m in seq] == ["Linear", "LeakyReLU", "Linear", "Softmax"]
    assert seq[0].bias is None and seq[1].negative_slope == 0.01
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.as_tensor(X)).numpy(), model.forward_numpy(params, X)[1], rtol=1e-5,
                                   atol=1e-7)
