"""Normalisation layers: BatchNorm1d and BatchNorm2d."""

from __future__ import annotations

import math

from tui_dl.core.config.fields import Field
from tui_dl.core.model.layers.base import (
    Calc, LayerKind, Shape, ShapeError, _check_given, fmt, register, shape_str,
)

BN_FIELDS = (
    Field("num_features", "int", None, "channels or features normalised (inferred when omitted)", min=1,
          inferred=True),
    Field("eps", "float", 1e-5, "added to the variance for numerical safety", min=0, min_exclusive=True),
    Field("momentum", "float", 0.1, "weight of each batch in the running mean/variance", min=0, max=1),
    Field("affine", "bool", True, "learn a scale γ and shift β per channel"),
    Field("track_running_stats", "bool", True, "keep running mean/variance for evaluation"),
)


def _infer_bn(in_shape: Shape, a: dict, name: str, dims: tuple[int, ...]) -> Calc:
    if len(in_shape) not in dims:
        want = "[features] or [channels, length]" if name == "BatchNorm1d" else "[channels, height, width]"
        other = "BatchNorm2d" if name == "BatchNorm1d" else "BatchNorm1d"
        raise ShapeError(f"{name} needs an input {want}; got {shape_str(in_shape)}. Use {other} here instead.")
    c = in_shape[0]
    _check_given(a, "num_features", c, "channels" if len(in_shape) > 1 else "features")
    affine, track = a["affine"], a["track_running_stats"]
    params = 2 * c if affine else 0
    buffers = 2 * c + 1 if track else 0
    ptxt = (f"2·{c} = {fmt(params)} (γ, β)" if affine else "0 (affine=false)")
    if track:
        ptxt += f"; buffers 2·{c}+1 = {fmt(buffers)} (running mean, var, batch count)"
    return Calc(out_shape=tuple(in_shape), params=params, buffers=buffers, macs=math.prod(in_shape) if affine else 0,
                shape_formula=[f"shape unchanged; normalised per {'channel' if len(in_shape) > 1 else 'feature'} "
                               f"over the batch"],
                param_formula=ptxt, inferred={"num_features": c})


def _build_bn(cls_name):
    def build(in_shape, a):
        from torch import nn

        return getattr(nn, cls_name)(in_shape[0], eps=a["eps"], momentum=a["momentum"], affine=a["affine"],
                                     track_running_stats=a["track_running_stats"])

    return build


register(LayerKind(
    "BatchNorm1d", "normalization", "normalises each feature over the batch, then scales and shifts",
    BN_FIELDS, lambda s, a: _infer_bn(s, a, "BatchNorm1d", (1, 2)), _build_bn("BatchNorm1d"),
    math="y = γ · (x − μ_batch) / √(σ²_batch + ε) + β",
))
register(LayerKind(
    "BatchNorm2d", "normalization", "normalises each channel over the batch and all pixels",
    BN_FIELDS, lambda s, a: _infer_bn(s, a, "BatchNorm2d", (3,)), _build_bn("BatchNorm2d"),
    math="y = γ · (x − μ_batch) / √(σ²_batch + ε) + β   (per channel)",
))
