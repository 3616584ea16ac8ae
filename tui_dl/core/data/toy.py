"""The seeded 2-D toy sets (spirals, moons, circles, xor, gaussians): 2 balanced classes each."""

from __future__ import annotations

import math

import torch

from tui_dl.core.data.base import TOY_DATASETS, DataError
from tui_dl.core.i18n import _


def make_toy(kind: str, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` seeded noisy 2-D points (float32 (n, 2), roughly within [-1.5, 1.5]) with 2 balanced
    classes, shuffled."""
    g = torch.Generator().manual_seed(int(seed))
    n1 = n // 2
    y = torch.cat([torch.zeros(n - n1, dtype=torch.int64), torch.ones(n1, dtype=torch.int64)])
    yf = y.to(torch.float32)
    u = torch.rand(n, generator=g)
    eps = torch.randn(n, 2, generator=g)
    if kind == "spirals":
        t = 0.08 + 0.92 * u
        theta = 3.0 * math.pi * t + math.pi * yf
        x = torch.stack([t * torch.cos(theta), t * torch.sin(theta)], 1) * 1.2 + 0.05 * eps
    elif kind == "moons":
        theta = math.pi * u
        upper = torch.stack([torch.cos(theta), torch.sin(theta)], 1)
        lower = torch.stack([1 - torch.cos(theta), 0.5 - torch.sin(theta)], 1)
        x = torch.where(y[:, None] == 0, upper, lower) - torch.tensor([0.5, 0.25]) + 0.1 * eps
    elif kind == "circles":
        theta = 2 * math.pi * u
        r = 1.0 - 0.5 * yf
        x = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1) + 0.08 * eps
    elif kind == "xor":
        pts = torch.rand(n, 2, generator=g) * 2 - 1
        quadrant = ((pts[:, 0] > 0) != (pts[:, 1] > 0)).to(torch.int64)  # 1 = 2nd/4th quadrant
        # reorder so the classes stay balanced: points whose quadrant matches the wanted label
        # are kept, the others are mirrored over the x axis (which flips the quadrant class)
        flip = quadrant != y
        pts[flip, 1] = -pts[flip, 1]
        x = pts + 0.05 * eps
    elif kind == "gaussians":
        centre = torch.tensor([[-0.6, -0.4], [0.6, 0.4]])
        x = centre[y] + 0.4 * eps
    else:  # pragma: no cover - callers pass TOY_DATASETS names
        raise DataError(_("Unknown toy dataset {name}; valid: {names}.").format(name=repr(kind),
                                                                                names=', '.join(TOY_DATASETS)))
    perm = torch.randperm(n, generator=g)
    return x[perm].to(torch.float32).contiguous(), y[perm].contiguous()
