"""Torch modules the layer kinds build that torch itself does not have (torch only; no shape reasoning here).

Each module is given what shape inference already worked out (in ``tui_dl.core.model.layers``), so nothing
is derived twice.
"""

from __future__ import annotations

from torch import nn


class Residual(nn.Module):
    """``y = body(x) + skip(x)``: skip is the identity, or the 1×1 conv / linear ``projection`` that shape
    inference chose (a :class:`~tui_dl.core.model.layers.structure.Projection`, or None for the identity)."""

    def __init__(self, inner: list[nn.Module], projection=None):
        super().__init__()
        self.body = nn.Sequential(*inner)
        self.proj: nn.Module | None = None
        if projection is not None:
            if projection.kind == "conv":
                self.proj = nn.Conv2d(projection.in_size, projection.out_size, 1, stride=tuple(projection.stride))
            else:
                self.proj = nn.Linear(projection.in_size, projection.out_size)

    def forward(self, x):
        return self.body(x) + (x if self.proj is None else self.proj(x))
