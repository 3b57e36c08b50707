# %% [markdown]
# # 000 · Mass shuffling without gradients: a random walk on a lattice
#
# The seed notebook (Rafael Monteiro, 2019) trains the logistic regression of notebook 001 with no
# gradient at all: the weights live on a lattice, each step proposes a random move, and a move is kept
# only when it lowers the cost. In TensorFlow 1 this took a hand-written session loop around
# `tfp.distributions.Categorical`; here it is the training rule `random-walk`, compiled like any optimizer.
#
# The notebook's questions: how does the mass move when nothing tells it which way to go, why does the
# average of the irrelevant weights not converge to zero, and what does `b` do ("sometimes you see b
# overshooting")? Run it a few times, it says: here the "few times" are a population of 64 seeds
# trained at once.
#
# Full run: open it in Jupyter and run every cell, or `jupyter execute --inplace examples/000-random-walk.ipynb` (about half a
# minute on a quiet 2-core machine). `WEIGHTFLOW_QUICK=1` makes every step count small (the test suite runs it so).

# %%
# Parameters. WEIGHTFLOW_QUICK=1 in the environment: small step counts (a smoke test, not the numbers).
import os

QUICK = os.environ.get("WEIGHTFLOW_QUICK") == "1"
STEPS = 40 if QUICK else 200         # the notebook: eta = 1, 200 steps, a frame every 2 steps
SINE_STEPS = 40 if QUICK else 400    # the non-linear variant: eta = 5, 400 steps
POPULATION = 8 if QUICK else 64      # seeds trained together for the statistics

# %%
import numpy as np
import matplotlib.pyplot as plt

import weightflow as wf
from weightflow import experiment
from weightflow.datasets import load, split
from weightflow.viz import (DataScatter, DataScatter3D, GroupedTrajectories, TrainingCurves,
                            WeightDistribution, WeightTrajectories)

# %% [markdown]
# ## 1. The data
#
# As in 001, N = 1000 points `10 randn` in the plane plus 13 noise coordinates `0.01 randn`, but the
# label is `y = (x1 + 2 x2 >= 10)` (the notebook's text still says `x1 >= 0`; its code, and this
# dataset, use the line). The line `x1 + 2 x2 = 10` is exactly `W = (1, 2, 0, ..., 0)`, `b = -10`: a
# point of the lattice.

# %%
data = load("linear-embedded", coef=(1, 2), threshold=10)
s = split(data, test_size=0.2, seed=0)
print(data.description)
print(f"proportion of y = 1: whole {data.y.mean():.4f}, train {s.y_train.mean():.4f}, test {s.y_test.mean():.4f}")

# %% [markdown]
# ## 2. The rule: `optimizer="random-walk"`
#
# - **Initialisation** (`init="lattice:1"`): every W entry drawn from {-eta, 0, +eta} with probability
#   1/3 each, b = 0.
# - **Proposal**: W~ = W + an independent {-eta, 0, +eta} step per entry (`p_w = 1/3, 1/3, 1/3`);
#   b~ = b +- 2 with probability 1/2 each (the text says +-1, the code moves by 2: `bias_step = 2`).
# - **Acceptance**: the costs of (W~, b), (W~, b~) and (W, b~) are compared with the current one, in
#   that order, each kept when it is lower: in effect the cheapest of the three is taken if it lowers
#   the cost, else nothing moves.
#
# `experiments/random-walk.toml` holds it; `weightflow run random-walk` is the same run from the shell.

# %%
run = experiment.train("random-walk", steps=STEPS)
for st, c in zip(run.steps, run.history["train_loss"]):
    if st % 20 == 0:
        print(f"cost at step {st:>4}: {c:.4f}")
m = run.metrics
print(f"cost {run.history['train_loss'][0]:.4f} -> {m['train_loss']:.4f} (the notebook: 3.69 -> 0.0295)")
print(f"train accuracy {m['train_accuracy']:.4f}, test accuracy {m['test_accuracy']:.4f} (the notebook: 1.0 and 1.0)")
print(f"accepted steps: {m['acceptance_rate']:.1%}; final W = {run.params[0][:, 0].round(0)}, b = {run.params[1]}")

# %%
fig = plt.figure(figsize=(15, 4.5))
DataScatter.from_run(run).plot(ax=fig.add_subplot(1, 3, 1))
DataScatter3D.from_run(run).plot(ax=fig.add_subplot(1, 3, 2, projection="3d"))
DataScatter3D.from_run(run, equal=True).plot(ax=fig.add_subplot(1, 3, 3, projection="3d"))
fig.tight_layout()

# %%
TrainingCurves.from_run(run, log=True).plot();

# %% [markdown]
# ## 3. The movie, the trajectories and `b`
#
# The notebook's movie (`cmap='hot'`, -1..1), then the default colours with the values in the cells:
# on a lattice every weight is a whole number of eta, so the cells read like a counter.

# %%
run.animate(cmap="hot", vmax=1, annotate=False)   # the notebook's look: white is >= 1

# %%
run.animate()

# %%
WeightTrajectories.from_run(run).plot();

# %%
GroupedTrajectories.from_run(run, weights=(0, 1)).plot();

# %% [markdown]
# The notebook's averaged movie (`W[0]`, `W[1]`, the mean of the rest) in one picture, and the bias,
# which "doesn't take too long to find the right value".

# %%
W, b = run.frames[0][:, :, 0], run.frames[1][:, 0]
strip = np.stack([W[:, 0], W[:, 1], W[:, 2:].mean(axis=1)])
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(12, 4.5), height_ratios=(1, 1.4), sharex=True)
v = np.abs(strip).max()
im = ax1.imshow(strip, cmap="hot", vmin=-v, vmax=v, aspect="auto", interpolation="nearest",
                extent=(run.steps[0], run.steps[-1], 2.5, -0.5))
ax1.set_yticks([0, 1, 2], ["W[0]", "W[1]", "mean W[2:]"])
fig.colorbar(im, ax=ax1)
ax2.plot(run.steps, b, drawstyle="steps-post")
ax2.axhline(-10, color="gray", ls=":", label="b = -10 (the true shift)")
ax2.set(xlabel="step", ylabel="b", xlim=(run.steps[0], run.steps[-1])); ax2.legend(frameon=False)
fig.tight_layout()

# %% [markdown]
# ## 4. Why the average of the irrelevant weights does not go to zero
#
# Nothing in this rule pulls a weight towards zero. A proposal moves all 15 weights at once, and
# whether it is kept is decided almost entirely by `W[0]`, `W[1]` and `b`: a noise weight's step of 1
# changes a logit by about 0.01 (its input's size), a step of `W[0]` by about 10. So the 13 noise
# weights ride along: each accepted move of W moves each of them by -1, 0 or +1 with probability 1/3,
# whatever the data says. They do a **free random walk**, one step per accepted move, and the mean
# square of a free walk grows: after k moves, E[w^2] = 2/3 (the start) + 2/3 k.
#
# Test that on a population: 64 seeds in one program, recording every step so that the accepted moves
# of W can be counted.

# %%
pop = experiment.train("random-walk", steps=STEPS, record_every=1, population=POPULATION, diagnose=False)
Wp = pop.frames[0][:, :, :, 0]                              # (members, frames, 15)
moves = (np.diff(Wp, axis=1) != 0).any(axis=2).sum(axis=1)  # accepted moves of W per member
noise_sq = (Wp[:, -1, 2:] ** 2).mean(axis=1)                # mean square of the 13 noise weights at the end
predicted = 2 / 3 * (1 + moves)
print(f"accepted moves of W per member: median {np.median(moves):.0f} (of {STEPS} steps)")
print(f"mean square of the noise weights at the end: {noise_sq.mean():.2f} over the members; "
      f"a free random walk predicts {predicted.mean():.2f}")
print(f"correlation over members between moves and the noise weights' mean square: "
      f"{np.corrcoef(moves, noise_sq)[0, 1]:.2f}")
print(f"members that end at train accuracy 1: {(pop.member_metrics['train_accuracy'] == 1).sum()} of {POPULATION}")

relevant = np.concatenate([Wp[:, :, :2], pop.frames[1]], axis=2)       # W[0], W[1], b: (members, frames, 3)
changed = np.diff(relevant, axis=1).any(axis=2)
settled = np.array([np.flatnonzero(c).max() + 1 if c.any() else 0 for c in changed])   # last change of W[0], W[1], b
late = np.array([(np.diff(Wp[m], axis=0)[settled[m]:] != 0).any(axis=1).sum() for m in range(POPULATION)])
loss = pop.history["train_loss"]
drop = np.array([loss[m, settled[m]] - loss[m, -1] for m in range(POPULATION)])
print(f"W[0], W[1] and b stop moving at step {np.median(settled):.0f} (median); after that {late.sum()} of the "
      f"{moves.sum()} accepted moves of W still happen ({late.mean():.1f} per member), each moving only noise "
      f"weights, and together they lower the cost by {np.median(drop):.4f} (median)")

# %% [markdown]
# Two things happen, in two phases (full-mode numbers in docs/notebooks.md):
#
# - **While the walk looks for the line** (the first ~20 steps), the noise weights ride along: members
#   with more accepted moves have larger noise weights (correlation about 0.6 over the members), and their
#   size is of the order of the free walk's prediction.
# - **After `W[0]`, `W[1]` and `b` have settled** (on the lattice point of the true line, `(1, 2)` and
#   `-10`, in the run above), the walk keeps accepting moves, two thirds of all its accepted moves in full
#   mode, and every one of them moves only noise weights: a move is kept only when it lowers
#   the cost, so these are moves in which the noise coordinates *add margin* (the training points closest
#   to the line get pushed a little further out). That is why the measured mean square ends above the free
#   walk's: the walk, like Adam in 001, uses the noise to widen the margin, by selection instead of by
#   gradient.
#
# Either way the average of the 13 noise weights has mean 0 over seeds but a spread of about
# sqrt(E[w^2] / 13), well above zero for any one run: what the notebook saw. `weightflow.analysis.implicit_bias`
# measures the result the same way as in 001: the share of |w| on the irrelevant inputs grows and ends
# near the L2 max-margin separator's (which on this training set also leans heavily on the noise).

# %%
from weightflow.analysis.implicit_bias import ImplicitBias

ib = ImplicitBias.from_run(run, relevant=(0, 1))
t = ib.traces[0]
print(f"share of |w| on the 13 irrelevant inputs: start {t['irrelevant_share'][0]:.2f}, "
      f"end {t['irrelevant_share'][-1]:.2f}; the L2 max-margin separator's {t['max_margin_irrelevant_share']:.2f}")
ib.plot();

# %% [markdown]
# **And b?** The population shows what "run the code a few times" shows: the distribution of every
# member's `b` at every step. Some members overshoot below -10 and climb back.

# %%
bp = pop.frames[1][:, :, 0]                                  # (members, frames)
over = (bp.min(axis=1) < bp[:, -1]).sum()
print(f"members whose b went below its final value and came back: {over} of {POPULATION}; "
      f"final b: median {np.median(bp[:, -1]):.0f}, range {bp[:, -1].min():.0f} .. {bp[:, -1].max():.0f}")
WeightDistribution.from_run(pop, "b1", bins=23, value_range=(-21, 2)).plot();   # one bin per lattice value

# %% [markdown]
# ## 5. A non-linear boundary: `x1 + 2 x2 >= sin(x2) + 5`
#
# N = 800, noise `0.1 randn`, lattice step eta = 5, 400 steps (`experiments/random-walk-sine.toml`).
# The notebook reports train 0.989 and test 0.994.

# %%
sine = experiment.train("random-walk-sine", steps=SINE_STEPS)
m = sine.metrics
print(f"cost {sine.history['train_loss'][0]:.3f} -> {m['train_loss']:.4f} (the notebook: 36.9 -> ...)")
print(f"train accuracy {m['train_accuracy']:.4f}, test accuracy {m['test_accuracy']:.4f} (the notebook: 0.989 and 0.994)")
DataScatter3D.from_run(sine, equal=True).plot();

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 4))
GroupedTrajectories.from_run(sine, weights=(0, 1)).plot(ax=a1)
WeightTrajectories.from_run(sine, biases=True).plot(ax=a2)
fig.tight_layout()

# %%
sine.animate()

# %% [markdown]
# ## 6. Gradients against no gradients
#
# "Notice that we are not at all using any information about the local structure of the model." The
# same data, the same number of steps, with the other gradient-free rules in weightflow and with Adam:

# %%
rules = {"random-walk": dict(optimizer="random-walk", lr=1.0, optimizer_options={"eta": 1, "bias_step": 2}),
         "metropolis": dict(optimizer="metropolis", optimizer_options={"temperature": 0.01}),
         "one-plus-one-es": dict(optimizer="one-plus-one-es", optimizer_options={"sigma0": 1.0}),
         "es": dict(optimizer="es", lr=0.5, optimizer_options={"sigma": 0.5, "pairs": 16}),
         "adam (gradients)": dict(optimizer="adam", lr=0.1)}
for name, opts in rules.items():
    init = "lattice:1" if name in ("random-walk", "metropolis") else "glorot-uniform"
    r = wf.train(wf.MLP([15, 1], init=init), data, steps=STEPS, test_size=0.2, diagnose=False, **opts)
    print(f"{name:>17}: train loss {r.metrics['train_loss']:.4f}, train accuracy {r.metrics['train_accuracy']:.4f}, "
          f"test accuracy {r.metrics['test_accuracy']:.4f}")

# %% [markdown]
# With the same 200 steps the lattice walk and Adam (with gradients, lr 0.1) both end near 0.998 train
# accuracy; Metropolis and the evolution strategies a little lower (0.975 to 0.985 in full mode). The
# walk does well because its moves of 1 are already the right size for weights of this scale; the
# evolution strategies spend their first steps finding that size (docs/gradient-free.md). Gradients
# are not needed for a 16-parameter linear model; they are what makes the networks of 002 trainable.
#
# The run as a page: the compact player (one cursor moves the heat maps, the boundary and the curves).

# %%
run
