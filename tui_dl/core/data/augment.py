"""Data augmentation on the training device, one whole batch at a time: ``data.augment: [crop, flip, affine]``.

Each training batch (already normalised, ``N×C×H×W``) gets, per image, a fresh random draw of

- ``crop``: a random crop with zero padding (the classic CIFAR "pad 4, crop 32"): a shift of up to
  ``pad = max(1, round(H / 8))`` pixels in each direction, the uncovered border filled with 0 (the mean colour,
  since the batch is normalised);
- ``flip``: a horizontal mirror with probability 1/2 (not for digits or letters: a mirrored 2 is no 2);
- ``affine``: a small rotation (±10°) and scale (0.9 to 1.1).

All the chosen transforms are folded into one 2×3 matrix per image and applied by a single ``grid_sample`` call
on the device: no per-sample Python loop, no copy to the CPU. Integer shifts and the mirror land exactly on pixel
centres, so ``crop`` and ``flip`` alone move pixels without blurring them. Validation and test batches are never
augmented.

The draws come from the augmenter's own generator, seeded from ``train.seed`` and the number of batches augmented
so far, so the same seed gives the same augmented batches (and a resumed run continues the sequence from its step).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from tui_dl.core.i18n import _

__all__ = ["AUGMENTS", "Augmenter", "augment_batch", "augment_problem", "with_augment"]

AUGMENTS = ("crop", "flip", "affine")
MAX_DEGREES = 10.0
SCALE = (0.9, 1.1)


def _pad(h: int) -> int:
    return max(1, round(h / 8))


def augment_batch(x: torch.Tensor, ops: Sequence[str], generator: torch.Generator) -> torch.Tensor:
    """``x`` (``N×C×H×W`` float) with ``ops`` applied, each image its own draw from ``generator`` (which lives on
    ``x``'s device)."""
    n, _c, h, w = x.shape
    dev = x.device
    opts = {"generator": generator, "device": dev, "dtype": torch.float32}
    a = torch.ones(n, device=dev)  # the x scale (−1: mirrored)
    theta = torch.zeros(n, 2, 3, device=dev, dtype=torch.float32)
    cos = torch.ones(n, device=dev)
    sin = torch.zeros(n, device=dev)
    scale = torch.ones(n, device=dev)
    if "affine" in ops:
        ang = (torch.rand(n, **opts) * 2 - 1) * math.radians(MAX_DEGREES)
        cos, sin = torch.cos(ang), torch.sin(ang)
        scale = SCALE[0] + torch.rand(n, **opts) * (SCALE[1] - SCALE[0])
    if "flip" in ops:
        a = torch.where(torch.rand(n, **opts) < 0.5, -1.0, 1.0)
    tx = torch.zeros(n, device=dev)
    ty = torch.zeros(n, device=dev)
    if "crop" in ops:
        p = _pad(h)
        # integer shifts in pixels, −p..p, as normalised coordinates (a pixel is 2/W wide)
        tx = torch.randint(-p, p + 1, (n,), generator=generator, device=dev).to(torch.float32) * (2.0 / w)
        ty = torch.randint(-p, p + 1, (n,), generator=generator, device=dev).to(torch.float32) * (2.0 / h)
    # output pixel → input pixel: rotate/scale, mirror x, then shift
    theta[:, 0, 0] = a * cos / scale
    theta[:, 0, 1] = -a * sin / scale * (h / w)
    theta[:, 1, 0] = sin / scale * (w / h)
    theta[:, 1, 1] = cos / scale
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, [n, x.shape[1], h, w], align_corners=False)
    mode = "bilinear" if "affine" in ops else "nearest"  # shifts and mirrors hit pixel centres exactly
    out = F.grid_sample(x.contiguous(), grid, mode=mode, padding_mode="zeros", align_corners=False)
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        out = out.contiguous(memory_format=torch.channels_last)
    return out


class Augmenter:
    """``prep`` followed by :func:`augment_batch`: the training batches' preparation when ``data.augment`` is on.
    Batch ``k`` (counted from ``start``) draws from a generator seeded with ``(seed, k)``."""

    def __init__(self, prep: Callable[[torch.Tensor], torch.Tensor], ops: Sequence[str], seed: int,
                 device: torch.device, start: int = 0):
        self.prep, self.ops = prep, tuple(ops)
        self.seed, self.count = int(seed), int(start)
        self.generator = torch.Generator(device=device)

    def __call__(self, xb: torch.Tensor) -> torch.Tensor:
        out = self.prep(xb)
        self.generator.manual_seed((self.seed * 1_000_003 + self.count) % (2**63 - 1))
        self.count += 1
        return augment_batch(out, self.ops, self.generator)


def augment_problem(ops, input_shape) -> str | None:
    """Why ``data.augment`` cannot work on samples of ``input_shape`` (they are not ``C×H×W`` images), or None.
    The run plan asks it too, so ``--dry-run`` says what the run would refuse."""
    if ops and len(tuple(input_shape)) != 3:
        return _("data.augment ({ops}) works on images (channels × height × width); this dataset's samples are "
                 "{shape}. Remove data.augment.").format(ops=', '.join(ops), shape=list(input_shape))
    return None


def with_augment(prep, ops, seed: int, device, input_shape, start: int = 0):
    """``prep`` unchanged when ``ops`` is empty, else an :class:`Augmenter`; ValueError when the samples are not
    images (augmentation needs ``C×H×W``)."""
    if not ops:
        return prep
    problem = augment_problem(ops, input_shape)
    if problem:
        raise ValueError(problem)
    return Augmenter(prep, ops, seed, torch.device(device), start)
