# %% [markdown]
# # 003 · Backpropagation on five patterns
#
# The seed is a from-scratch exercise: a 3 -> 4 sigmoid -> 1 sigmoid network (the third input is a
# column of ones that carries the biases), weights uniform in [-1, 1], log loss, plain gradient descent
# written out in numpy, 5000 iterations, on five patterns of 500 points in [-1, 1]^2. It reports one
# run on the diamond (accuracy 0.954, log loss 0.15) and asks: **which patterns are learned quickly and
# which take longer? Which learning rates and numbers of iterations work?** One run cannot answer
# that; 64 seeds per pattern and learning rate can, and they train as one compiled program per pattern.
#
# Full run: open it in Jupyter and run every cell, or `jupyter execute --inplace examples/003-backprop-patterns.ipynb` (about half a
# minute on a quiet 2-core machine). `WEIGHTFLOW_QUICK=1`: small step counts (the test suite runs it so).

# %%
# Parameters. WEIGHTFLOW_QUICK=1 in the environment: small step counts (a smoke test, not the numbers).
import os

QUICK = os.environ.get("WEIGHTFLOW_QUICK") == "1"
STEPS = 300 if QUICK else 5000             # the notebook: 5000 iterations
POPULATION = 4 if QUICK else 64            # seeds per pattern and learning rate
LRS = [0.5, 8.0] if QUICK else [0.05, 0.5, 2.0, 8.0, 32.0]   # 0.5 is the notebook's 0.001 (see below)
TARGET = 0.9                               # "learned": train accuracy >= 0.9

# %%
import numpy as np
import matplotlib.pyplot as plt

import weightflow as wf
from weightflow import check
from weightflow.datasets import load
from weightflow.sweep import first_reach
from weightflow.viz import DecisionBoundary, Mistakes, SuccessRate, TrainingCurves

PATTERNS = ["diamond", "circle", "square", "thick-right-angle", "thin-right-angle"]

# %% [markdown]
# ## 1. The five patterns
#
# 500 points uniform in [-1, 1]^2 plus a bias column of ones (`bias_column=True`):
# diamond `|x1| + |x2| < 1`; circle `sqrt(x1^2 + x2^2) < 0.75`; centred square `max(|x1|, |x2|) < 0.5`;
# thick and thin right angle `lo < max(x1, x2) < 0.5` with lo = -0.5 and 0. (The notebook writes `> 5`
# for the thick one, which makes every label 0; the band is what it meant.)

# %%
data = {p: load(p, bias_column=True) for p in PATTERNS}
fig, axes = plt.subplots(1, 5, figsize=(19, 4))
for ax, (name, ds) in zip(axes, data.items()):
    one = ds.y == 1
    ax.plot(ds.X[one, 0], ds.X[one, 1], "o", color="darkslateblue", ms=3, label="class 1")
    ax.plot(ds.X[~one, 0], ds.X[~one, 1], "x", color="chocolate", ms=3, label="class 0")
    ax.set(title=f"{name} ({one.mean():.0%} class 1)", aspect="equal")
axes[0].legend(loc="lower left", fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## 2. The network and one run on the diamond
#
# `MLP([3, 4, 1], activation="sigmoid", init="uniform:1", bias=False)`: no separate biases, the ones
# column carries them. The notebook's gradient is that of the log loss **summed** over the 500 points,
# with lr 0.001; weightflow's `bce` is the mean, so lr 0.5 takes exactly the notebook's steps. It trains
# on all 500 points (`test_size=0`), as the notebook does, and prints every 200 iterations.

# %%
model = wf.MLP([3, 4, 1], activation="sigmoid", init="uniform:1", bias=False)
run = wf.train(model, data["diamond"], optimizer="gd", lr=0.5, steps=STEPS, record_every=10, test_size=0)
for st, loss, acc in zip(run.steps, run.history["train_loss"], run.history["train_accuracy"]):
    if st % 200 == 0 and st >= 400:
        print(f"iteration {st}, log loss is {loss:.4f}, accuracy is {acc:.3f}")
print(f"after {STEPS}: log loss {run.metrics['train_loss']:.4f}, accuracy {run.metrics['train_accuracy']:.3f}"
      "  (the notebook: 0.15 and 0.954)")

# %% [markdown]
# The notebook derives the gradient by hand (`J_W_1_grad`, `J_W_2_grad`). `weightflow.check` compares the
# engine's autodiff gradient with central finite differences and with the textbook delta rule
# (`weightflow.reference`, plain numpy, commented like lecture notes), in float64, at the run's start:

# %%
print(check.gradients(model, (run.split.X_train, run.split.y_train), run.initial_params).table())

# %% [markdown]
# The notebook's two figures: log loss and accuracy against the iteration, side by side, and the
# predictions with the mistakes (false positives and false negatives) marked.

# %%
TrainingCurves.from_run(run).plot();

# %%
Mistakes.from_run(run, inputs=(0, 1)).plot();

# %%
DecisionBoundary.from_run(run, inputs=(0, 1)).plot();

# %% [markdown]
# ## 3. Which patterns are quick, and which learning rates work
#
# Every pattern, 64 seeds for each of five learning rates from a tenth of the notebook's to 64 times
# it: one program of 320 members per pattern (`lr=[...]` is a grid axis of the population). A member
# has *learned* its pattern when its train accuracy reaches 0.9; "steps" is the first recorded step
# where it does. (`experiments/seed003-*.toml` hold the same as sweep files, with a test split.)

# %%
pops, table = {}, {}
for name in PATTERNS:
    pop = wf.train(model, data[name], optimizer="gd", lr=LRS, steps=STEPS, record_every=50, test_size=0,
                   population=POPULATION, diagnose=False)
    pops[name] = pop
    final = pop.member_metrics["train_accuracy"]
    reached = first_reach(pop.history, "train_accuracy", TARGET)
    table[name] = [(float(np.mean(final[part] >= TARGET)), float(np.median(reached[part])),
                    float(np.median(final[part]))) for _, part in pop.grid_points()]

head = "".join(f"{'lr ' + format(lr, 'g'):>22}" for lr in LRS)
print(f"success (final train accuracy >= {TARGET}) / median steps to reach it / median final accuracy\n"
      f"{'pattern':>18}{head}")
for name, cells in table.items():
    print(f"{name:>18}" + "".join(f"{rate:>8.0%} {('never' if not np.isfinite(st) else f'{st:.0f}'):>6} {acc:>6.3f}"
                                 for rate, st, acc in cells))

# %%
sr = SuccessRate.from_run(pops["diamond"], metric="train_accuracy", threshold=TARGET)
sr.lines = {name: next(iter(SuccessRate.from_run(p, metric="train_accuracy", threshold=TARGET).lines.values()))
            for name, p in pops.items()}
sr.title = f"seed 003 patterns: 3 -> 4 sigmoid -> 1, full-batch GD, {STEPS} steps"
sr.plot();

# %% [markdown]
# **Which patterns are hard, and why.** With 4 sigmoid units the network's boundary is made of at most
# 4 softened lines, so a pattern is easy when a few lines get most points right and hard when it needs
# all four, placed precisely and made steep. The cell below measures that on the data: how much a
# constant answer gets, and how much the two-line rule `max(x1, x2) < 0.5` gets (the outer corner of the
# right angles).

# %%
for name, ds in data.items():
    x1, x2, y = ds.X[:, 0], ds.X[:, 1], ds.y
    two_lines = ((np.maximum(x1, x2) < 0.5) == y).mean()
    print(f"{name:>18}: class 1 share {y.mean():.2f}, constant answer {max(y.mean(), 1 - y.mean()):.2f}, "
          f"'max(x1, x2) < 0.5' (two lines) {two_lines:.2f}")

# %% [markdown]
# Reading the tables (full mode; the values this notebook printed are in docs/notebooks.md):
#
# - **The thick right angle is the quickest** at every working rate. Two axis-aligned lines (the outer
#   corner) already classify over 90 % of its points, because the inner corner it also needs holds only
#   about 6 % of them; two units find two lines fast.
# - **The thin right angle is the slowest and the least reliable**: its band is only 0.5 wide, the inner
#   corner now holds a quarter of the points, so the net needs all four units as two corners and steep
#   sigmoids (large weights) to fit a narrow band. Large weights take many small steps.
# - The **circle** is curved: four lines make a polygon that never fits it exactly, but 0.9 comes early.
#   The **diamond** and the **square** each need four lines (tilted and axis-aligned) and sit in between;
#   the square has only 25 % class 1, so a constant answer already scores 0.75 and a net can sit near
#   it for a while.
#
# **Which learning rates and iteration counts work.** A tenth of the notebook's rate (lr 0.05) is too
# slow: no member gets to 0.9 in 5000 steps (for the circle, the square and the thin right angle the
# median final accuracy is the constant answer's). The notebook's rate works, but its median member
# needs 1000 to 3800 of the 5000 steps and not every seed makes it (55 % for the thin right angle):
# 5000 iterations is enough for a typical seed, not for every seed. Four times the notebook's rate (lr 2
# here) is the most reliable (95 to 100 %) and about four times quicker; 16 times (lr 8) is the fastest
# (100 to 525 steps) and loses a few seeds; 64 times (lr 32) fails. It does not blow up; what happens
# instead is in the diagnosis of one lr-32 member:

# %%
last = len(LRS) - 1
part = pops["diamond"].grid_points()[last][1]
statuses = {st for p in pops.values() for st in p.member_status}
print(f"member statuses over every pattern and rate: {statuses}")
for f in wf.diagnose(pops["diamond"].member(part.start)):
    print(f"[{f.severity}] {f.name}: {f.message}")

# %% [markdown]
# Every member completes (none diverges), but at lr 32 the first few steps throw the hidden units' net
# inputs far into the sigmoid's flat tails: all four are saturated (|net| > 5, slope < 0.01, on most
# points) within a few hundred steps, the gradient that would bring them back is tiny, and the net is
# left answering at chance.

# %% [markdown]
#
# The boundary of one member per pattern at the notebook's rate. The thick right angle's member has
# learned the outer corner and let the inner one go (few points are there); the thin right angle's has
# found one arm of the L and not yet the other.

# %%
fig, axes = plt.subplots(1, 5, figsize=(20, 4))
lr_index = LRS.index(0.5)
for ax, (name, pop) in zip(axes, pops.items()):
    part = pop.grid_points()[lr_index][1]
    DecisionBoundary.from_run(pop.member(part.start), inputs=(0, 1), resolution=100).plot(ax=ax)
    ax.set_title(f"{name}: train accuracy {pop.member_metrics['train_accuracy'][part.start]:.3f}", fontsize=9)
fig.tight_layout()

# %% [markdown]
# The diamond run as a page: the compact player (one cursor moves the weights, the boundary and the curves).

# %%
run
