"""PyTorch modules of exported models; imported only by ``weightflow.export`` once torch is needed."""

from __future__ import annotations

import torch


class Standardize(torch.nn.Module):
    """``(x - mean) / std`` per feature: the standardisation a run was trained with (``--standardize``).

    ``mean`` and ``std`` (d,) are buffers, so they travel in the ``state_dict`` with the weights.
    """

    def __init__(self, mean, std, dtype=torch.float32):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=dtype).clone())
        self.register_buffer("std", torch.as_tensor(std, dtype=dtype).clone())

    def forward(self, x):
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"features={self.mean.shape[0]}"
