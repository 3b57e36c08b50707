"""bce-sum, seed 003's summed log loss: the same update as the mean with an n-times larger learning rate."""

import numpy as np

import weightflow as wf
from weightflow.analysis.landscape import numpy_loss


def test_summed_log_loss_at_lr_0001_is_the_mean_at_lr_05_on_500_points():
    model = wf.MLP([3, 4, 1], activation="sigmoid", bias=False)
    kw = dict(optimizer="gd", steps=40, record_every=4, test_size=0, progress=False, diagnose=False,
              data_options={"bias_column": True})
    summed = wf.train(model, "diamond", lr=0.001, loss="bce-sum", **kw)
    mean = wf.train(model, "diamond", lr=0.5, loss="bce", **kw)
    for a, b in zip(summed.frames, mean.frames):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(summed.history["train_loss"], 500 * mean.history["train_loss"], rtol=1e-4)
    z, _ = summed.model.forward_numpy(summed.params, summed.split.X_train)
    np.testing.assert_allclose(numpy_loss(z, summed.split.y_train, "bce-sum", "sigmoid"),
                               summed.metrics["train_loss"], rtol=1e-4)
