"""The trainer's input normalisation as a module, for a network used outside the trainer: images in [0, 1]
(pixels / 255) in, ``(x − mean[c]) / std[c]`` out, computed as the float path of
:func:`~tui_dl.core.data.normalize.normalize_batch` does it (``x · (1/std) − mean/std``), so a trained network
wrapped in :class:`WithPreprocessing` gives what it gave in training, bit for bit.

One module serves both uses: every export (torchscript, onnx, py) wraps the network in it, and looking inside a
model (gallery, feature maps, attacks) does too, so that the gradient with respect to the input is a gradient with
respect to pixels and an attack's ε is in pixel units.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from tui_dl.core.i18n import _

__all__ = ["Preprocess", "WithPreprocessing"]


class Preprocess(nn.Module):
    """``(x - mean[c]) / std[c]`` per channel for a batch of samples with ``sample_dims`` dimensions (3 for
    images: C, H, W). Identity when there is no mean/std (features used as they are)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], sample_dims: int = 3):
        super().__init__()
        mean, std = tuple(mean or ()), tuple(std or ())
        if len(mean) != len(std):
            raise ValueError(_("mean has {n} values but std has {m}").format(n=len(mean), m=len(std)))
        view = (1, len(mean)) + (1,) * max(0, sample_dims - 1)
        self.enabled = bool(mean)
        m = torch.tensor([float(v) for v in mean] or [0.0], dtype=torch.float32)
        s = torch.tensor([float(v) for v in std] or [1.0], dtype=torch.float32)
        self.register_buffer("scale", (1.0 / s).view(view if mean else (1,)), persistent=False)
        self.register_buffer("shift", (m / s).view(view if mean else (1,)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x
        return x * self.scale - self.shift


class WithPreprocessing(nn.Module):
    """``net(preprocess(x))``: images in [0, 1] (or features as they are) in, the network's outputs out.
    ``net`` is the trained network itself (its layers are what feature maps hook)."""

    def __init__(self, net: nn.Module, mean: Sequence[float], std: Sequence[float], sample_dims: int = 3):
        super().__init__()
        self.preprocess = Preprocess(mean, std, sample_dims)
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.preprocess(x))
