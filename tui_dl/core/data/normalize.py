"""Turning uint8 image batches into network input: per-channel ``(x / 255 - mean) / std``.

The trainer calls :func:`normalize_batch` on every batch (datasets stay uint8 in memory); the loader
uses :func:`_channel_stats` to work out mean and std for datasets that do not come with them.
"""

from __future__ import annotations

import functools
from typing import Sequence

import torch

from tui_dl.core.i18n import _


def normalize_batch(xb: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Turn a batch into float32 network input.

    uint8 (N, C, H, W) -> ``(x / 255 - mean[c]) / std[c]`` per channel (``x / 255`` when mean is
    empty). Float input is returned as float32 unchanged when mean is empty, otherwise
    ``(x - mean[c]) / std[c]`` along dim 1 (no /255). Works on any device; one new tensor, the
    arithmetic is done in place on it.
    """
    if xb.dtype == torch.uint8:
        out = xb.to(torch.float32)
        if not mean:
            return out.mul_(1.0 / 255.0)
        div = 255.0
    else:
        out = xb.to(torch.float32)
        if not mean:
            return out
        if out is xb:
            out = out.clone()
        div = 1.0
    if len(mean) != len(std):
        raise ValueError(_("mean has {n} values but std has {m}").format(n=len(mean), m=len(std)))
    if len(mean) == 1:
        s = float(std[0])
        return out.mul_(1.0 / (div * s)).sub_(float(mean[0]) / s)
    if out.dim() < 2 or out.shape[1] != len(mean):
        raise ValueError(_("batch of shape {shape} does not have {n} channels in dim 1").format(
            shape=tuple(out.shape), n=len(mean)))
    scale, shift = _channel_affine(tuple(float(v) for v in mean), tuple(float(v) for v in std), div,
                                   out.device, out.dim())
    return out.mul_(scale).sub_(shift)


@functools.lru_cache(maxsize=16)
def _channel_affine(mean: tuple[float, ...], std: tuple[float, ...], div: float, device: torch.device,
                    ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel 1/(div*std) and mean/std shaped (1, C, 1, ...), made once per device."""
    view = (1, len(mean)) + (1,) * (ndim - 2)
    scale = torch.tensor([1.0 / (div * s) for s in std], dtype=torch.float32).view(view)
    shift = torch.tensor([m / s for m, s in zip(mean, std)], dtype=torch.float32).view(view)
    return scale.to(device), shift.to(device)


def _channel_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean/std of uint8 images after /255, computed in float64 chunks."""
    c = x.shape[1]
    total = torch.zeros(c, dtype=torch.float64)
    total_sq = torch.zeros(c, dtype=torch.float64)
    count = 0
    rows = max(1, (1 << 22) // max(1, x[0].numel() * 8))  # ~4 MiB of float64 at a time (4096 rows were 75 MiB)
    for start in range(0, x.shape[0], rows):
        chunk = x[start:start + rows].to(torch.float64).div_(255.0)
        total += chunk.sum(dim=(0, 2, 3))
        total_sq += chunk.square_().sum(dim=(0, 2, 3))
        count += chunk.shape[0] * chunk.shape[2] * chunk.shape[3]
    mean = total / count
    std = (total_sq / count - mean.square()).clamp_min(0).sqrt().clamp_min(1e-3)
    return tuple(round(float(v), 6) for v in mean), tuple(round(float(v), 6) for v in std)
