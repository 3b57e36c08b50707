# %% [markdown]
# # 004 · Problem Set 5: a 13-weight network by hand, in PyTorch, and what goes wrong
#
# The seed (Cameron Smith) downloads a CSV of points (`x1, x2, class`), draws a 2 -> 3 sigmoid -> 1
# sigmoid network with every weight labelled w1..w13 (with the `daft` package), writes out the gradient
# of E = 1/2 sum (y - y_pred)^2 for all 13 weights by hand, checks it with `scipy.optimize.check_grad`
# (error 8.5e-6), trains 100 000 epochs of gradient descent at lr 1e-4, trains the same model in
# PyTorch, and answers five troubleshooting questions in words. Here the troubleshooting list is run:
# each symptom is produced on a real run and `weightflow.diagnose(run)` names it.
#
# The course's URL cannot be reached from here; `experiments/data/ps5.csv` (made by
# `scripts/make_ps5_csv.py`) is a file of the same kind: 200 points, two overlapping classes.
#
# Full run: open it in Jupyter and run every cell, or `jupyter execute --inplace examples/004-problem-set.ipynb` (about half a minute).
# `WEIGHTFLOW_QUICK=1`: small step counts (the test suite runs it so).

# %%
# Parameters. WEIGHTFLOW_QUICK=1 in the environment: small step counts (a smoke test, not the numbers).
import os

QUICK = os.environ.get("WEIGHTFLOW_QUICK") == "1"
EPOCHS = 2_000 if QUICK else 100_000       # the notebook: gradient descent, lr 1e-4, 100 000 epochs
TORCH_EPOCHS = 500 if QUICK else 20_000    # the same loop in PyTorch (its eager loop: 100 000 take minutes)
TROUBLE_STEPS = 300 if QUICK else 2_000    # each run of the troubleshooting list (the gap case: 600)

# %%
import dataclasses

import numpy as np
import matplotlib.pyplot as plt

import weightflow as wf
from weightflow import check, experiment, reference
from weightflow.datasets import load
from weightflow.viz import DataScatter, NetworkDiagram, TrainingCurves, seed004_numbering

# %% [markdown]
# ## Question 1: the data and the network
#
# The notebook standardises the inputs and then splits the *raw* X by mistake; here the split comes
# first and the standardisation is fitted on the training part (`standardize=True`), as intended.

# %%
data = load(f"csv:{experiment.EXPERIMENTS / 'data' / 'ps5.csv'}", label="class")
data = dataclasses.replace(data, name="csv:experiments/data/ps5.csv")   # named as from the checkout's root
print(data.description.replace(f"{experiment.EXPERIMENTS.parent}/", ""))
fig, ax = plt.subplots(figsize=(5.5, 4.5))
for k, color in ((0, "r"), (1, "g")):
    ax.scatter(*data.X[data.y == k].T, c=color, s=12, label=f"class {k}")
ax.set(xlabel="$X_1$", ylabel="$X_2$"); ax.legend();

# %% [markdown]
# The 13 weights, numbered as the notebook numbers them: w1..w3 the hidden biases, w4..w6 from `x1`,
# w7..w9 from `x2`, w10 the output bias, w11..w13 from the hidden units. The notebook draws them
# N(0, 1) (seed 2); so do we, in that order.

# %%
model = wf.MLP([2, 3, 1], activation="sigmoid")
w = np.random.default_rng(2).standard_normal(13).astype(np.float32)
W_init = [w[3:9].reshape(2, 3), w[0:3], w[10:13].reshape(3, 1), w[9:10]]   # Keras order: W1, b1, W2, b2
w_numbers, b_numbers = seed004_numbering(model.sizes)
print("W1 numbers", w_numbers[0].tolist(), " b1", b_numbers[0].tolist(), " W2", w_numbers[1].ravel().tolist(),
      " b2", b_numbers[1].tolist())

# %% [markdown]
# ## Question 2: the gradient by hand, checked; 100 000 epochs of gradient descent
#
# `loss="sse"` is the notebook's E = 1/2 sum_i (y_i - y_pred,i)^2 (summed, not averaged).
# `weightflow.reference` is the delta rule written out in numpy; its 13 derivatives, in the notebook's
# numbering, at the initial weights:

# %%
run = wf.train(model, data, optimizer="gd", lr=1e-4, epochs=EPOCHS, loss="sse", standardize=True,
               test_size=0.2, init=W_init)
X, y = run.split.X_train, run.split.y_train
grads = reference.gradients([np.asarray(p, np.float64) for p in W_init], X.astype(np.float64), y,
                            ["sigmoid", "sigmoid"], "sse")
by_number = {}
for g, nums in zip(grads, [w_numbers[0], b_numbers[0], w_numbers[1], b_numbers[1]]):
    by_number.update(zip(np.ravel(nums).tolist(), np.ravel(g).tolist()))
print("  ".join(f"dE/dw{k} {by_number[k]:+.3f}" for k in sorted(by_number)))

# %% [markdown]
# `check_grad` compares a gradient with forward differences in float64 and returns the norm of the
# difference (8.5e-6 in the notebook, at random weights). `weightflow.check.gradients` compares the
# engine's autodiff gradient with central differences *and* with the textbook, per parameter:

# %%
rng = np.random.default_rng(0)
random_weights = [rng.standard_normal(shape).astype(np.float32) for shape in model.param_shapes]
result = check.gradients(model, (X, y), random_weights, loss="sse")
print(result.table())
assert result.ok

# %% [markdown]
# The network, drawn with its trained weights (edge colour by sign, width by size; `labels="names"`
# writes w1..w13 instead), and the training: the notebook prints the loss every 1000 epochs and
# reports an initial loss of 1.6e1 (train) and 4.2e0 (test), and 6.7 / 1.9 after 100 000 epochs.

# %%
NetworkDiagram.from_run(run, labels="both").plot();

# %%
h = run.history
for st, tr, te in zip(run.steps, h["train_loss"], h["test_loss"]):
    if st % (EPOCHS // 10) == 0:
        print(f"Epoch: {st:>6}, Training loss: {tr:.1e}, Test loss: {te:.1e}")
print(f"end: training loss {run.metrics['train_loss']:.2f}, test loss {run.metrics['test_loss']:.2f}; "
      f"accuracy {run.metrics['train_accuracy']:.3f} / {run.metrics['test_accuracy']:.3f}; "
      f"{run.metrics['seconds']:.1f} s for {EPOCHS} epochs")

# %%
fig, axs = plt.subplots(1, 2, figsize=(14, 4.5))
ok = np.isfinite(h["test_loss"])
for ax, col, title, mask in ((axs[0], "train_loss", "Training loss", slice(None)), (axs[1], "test_loss", "Test loss", ok)):
    ax.plot(run.steps[mask], h[col][mask], c="k")
    ax.set(xlabel="Epoch", ylabel="Loss (1/2 sum of squares)", title=title)
fig.tight_layout()

# %% [markdown]
# The train set has 160 points and the test set 40, so the summed losses differ by about 4 for the same
# per-point error. `TrainingCurves` draws both on one axis (and the accuracy):

# %%
TrainingCurves.from_run(run).plot();

# %% [markdown]
# ## Question 3: the same model in PyTorch
#
# `run.to_torch()` is an `nn.Sequential` with the trained weights (for raw inputs: it starts with the
# standardisation): it gives the same loss. Then the notebook's PyTorch loop (`MSELoss(reduction='sum')`
# / 2, plain gradient descent) from the same initial weights on the same standardised data, against
# weightflow's curve.

# %%
import torch

torch.set_num_threads(1)  # matrices this small run fastest on one thread
net = run.to_torch()      # takes raw inputs: its first module standardises with the training statistics
raw = torch.tensor(data.X[run.split.train_index])
xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.float32).reshape(-1, 1)
with torch.no_grad():
    print(f"trained weights in torch: E = {0.5 * ((net(raw) - yt) ** 2).sum().item():.5f}; "
          f"weightflow: {run.metrics['train_loss']:.5f}")

torch_net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1), torch.nn.Sigmoid())
with torch.no_grad():
    for layer, (Wl, bl) in zip((torch_net[0], torch_net[2]), ((W_init[0], W_init[1]), (W_init[2], W_init[3]))):
        layer.weight.copy_(torch.tensor(Wl.T)); layer.bias.copy_(torch.tensor(bl))
torch_losses = []
for epoch in range(TORCH_EPOCHS):
    loss = 0.5 * ((torch_net(xt) - yt) ** 2).sum()
    torch_net.zero_grad(); loss.backward()
    with torch.no_grad():
        for p in torch_net.parameters():
            p -= 1e-4 * p.grad
    torch_losses.append(loss.item())
same = run.history["train_loss"][run.steps < TORCH_EPOCHS]
print(f"PyTorch after {TORCH_EPOCHS} epochs: {torch_losses[-1]:.5f}; weightflow's loss at its last recorded "
      f"step before that: {same[-1]:.5f}; largest difference on the recorded steps: "
      f"{np.abs(np.array(torch_losses)[run.steps[run.steps < TORCH_EPOCHS]] - same).max():.1e}")

# %%
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(np.arange(TORCH_EPOCHS), torch_losses, c="k", lw=3, alpha=0.35, label="PyTorch loop")
seen = run.steps < TORCH_EPOCHS
ax.plot(run.steps[seen], run.history["train_loss"][seen], c="C1", label="weightflow (recorded steps)")
ax.set(xlabel="Epoch", ylabel="Training loss", title="the same model, loss and steps in both"); ax.legend();

# %% [markdown]
# The two agree to float32 rounding: the same model, the same loss and the same steps. (The notebook's
# PyTorch run ends at a different loss, 1.4e1, because its PyTorch model starts from PyTorch's own random
# weights, not the numpy ones.)
#
# ## Question 4: the troubleshooting list, on real runs
#
# The notebook answers five "what if" questions in words. Each one below is a run that shows the
# symptom, and the findings `weightflow.diagnose(run)` returns for it (root cause first).

# %%
moons = load("moons", n=400, noise=0.15)
cases = {
    "1. train loss falls, test loss flat or rising (overfitting)":
        (wf.MLP([2, 128, 128, 1], activation="relu"), load("moons", n=40, noise=0.3), dict(lr=0.01, test_size=0.5)),
    "2. the loss falls, but too slowly (learning rate too small)":
        (wf.MLP([2, 16, 1], activation="tanh"), moons, dict(lr=3e-5)),
    "3. train and test loss rising (learning rate too high)":
        (wf.MLP([2, 8, 1], activation="tanh", output="linear"), moons,
         dict(optimizer="gd", lr=5.0, loss="mse", record_every=1)),
    "4. the loss is exactly flat (dead neurons: the initialisation)":
        (wf.MLP([2, 16, 1], activation="relu", bias_init=-5), moons, dict(lr=0.01)),
    "4b. the same question, saturated neurons (the initialisation)":
        (wf.MLP([2, 16, 1], activation="tanh", init="normal:30"), moons, dict(lr=0.01)),
    "5. the test loss falls less than the train loss (generalisation gap)":
        (wf.MLP([2, 64, 1], activation="tanh"), load("moons", n=100, noise=0.35),
         dict(lr=0.003, test_size=0.5, steps=min(600, TROUBLE_STEPS))),
}
trouble = {}
for symptom, (net_, ds, opts) in cases.items():
    opts = {"test_size": 0.3, "optimizer": "adam", "steps": TROUBLE_STEPS, "record_every": 10, **opts}
    trouble[symptom] = r = wf.train(net_, ds, standardize=True, diagnose=False, **opts)
    print(f"\n{symptom}  [{r.status}, train acc {r.metrics.get('train_accuracy', float('nan')):.2f}, "
          f"test acc {r.metrics.get('test_accuracy', float('nan')):.2f}]")
    for f in wf.diagnose(r)[:3]:
        print(f"  [{f.severity}] {f.name}: {f.message}\n      -> {f.advice}")

# %%
fig, axes = plt.subplots(2, 3, figsize=(16, 7.5))
for ax, (symptom, r) in zip(axes.ravel(), trouble.items()):
    ax.plot(r.steps, r.history["train_loss"], label="train")
    ok = np.isfinite(r.history["test_loss"])
    ax.plot(r.steps[ok], r.history["test_loss"][ok], label="test")
    ax.set(title=symptom.split(" (")[0], xlabel="step", yscale="log")
    ax.title.set_fontsize(9)
axes[0, 0].legend(frameon=False)
fig.tight_layout()

# %% [markdown]
# What the diagnosis reads in each (see docs/diagnosis.md for the statistics):
#
# 1. **Overfitting**: the test loss has a turning step (the minimum of its running median) after which
#    it rises with a Mann-Kendall trend while the train loss keeps falling; the advice is the notebook's
#    (a smaller model, more data, regularisation) plus early stopping at that step.
# 2. **Too slow**: the loss is still falling steadily, and at its current rate it would need several times
#    the planned steps: raise the learning rate first, then smaller batches, a smaller model.
# 3. **Rising loss**: with gradient descent at lr 5 the loss blows up within a few steps; the run stops
#    as `diverged` at the step named, keeping the last finite weights: lower the learning rate.
# 4. **Flat loss**: hidden biases of -5 put every ReLU unit below zero on every input, so all 16 are
#    dead from step 0: only the output bias learns, the loss settles at ln 2 = 0.6931 (answering 0.5
#    everywhere on balanced classes) and stays there to the fourth decimal. `dead_units` names the units
#    and `chance_accuracy` the consequence; the advice is the notebook's: inspect the initialisation.
#    4b: weights drawn with std 30 put every tanh unit in its flat tails (slope < 0.01) from the start
#    (`saturated_units`, named per unit); here Adam still drags the loss down, slowly.
# 5. **Generalisation gap**: both losses fall, the test loss less (and it starts to turn up at the end);
#    train accuracy is ahead of test accuracy by more than 0.1 and two standard errors: more data or
#    augmentation, regularisation, a smaller model.
#
# In 1 and 5 the diagnosis also reports what it sees besides the symptom asked about (dead ReLU units in
# the big net, saturating tanh units): it lists every finding, the root cause first.
#
# And the problem set's own run:

# %%
for f in wf.diagnose(run):
    print(f"[{f.severity}] {f.name}: {f.message}\n    -> {f.advice}")

# %%
run
