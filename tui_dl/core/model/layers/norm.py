"""Normalisation layers: BatchNorm1d and BatchNorm2d."""

from __future__ import annotations

import math

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.layers.base import (
    Calc, LayerKind, Shape, ShapeError, _check_given, fmt, register, shape_str,
)

BN_FIELDS = (
    Field("num_features", "int", None, N_("channels or features normalised (inferred when omitted)"), min=1,
          inferred=True),
    Field("eps", "float", 1e-5, N_("added to the variance for numerical safety"), min=0, min_exclusive=True),
    Field("momentum", "float", 0.1, N_("weight of each batch in the running mean/variance"), min=0, max=1),
    Field("affine", "bool", True, N_("learn a scale γ and shift β per channel")),
    Field("track_running_stats", "bool", True, N_("keep running mean/variance for evaluation")),
)


def _infer_bn(in_shape: Shape, a: dict, name: str, dims: tuple[int, ...]) -> Calc:
    if len(in_shape) not in dims:
        text = (_("{name} needs an input [features] or [channels, length]; got {shape}. Use {other} here instead.")
                if name == "BatchNorm1d" else
                _("{name} needs an input [channels, height, width]; got {shape}. Use {other} here instead."))
        other = "BatchNorm2d" if name == "BatchNorm1d" else "BatchNorm1d"
        raise ShapeError(text.format(name=name, shape=shape_str(in_shape), other=other))
    c = in_shape[0]
    _check_given(a, "num_features", c, "channels" if len(in_shape) > 1 else "features")
    affine, track = a["affine"], a["track_running_stats"]
    params = 2 * c if affine else 0
    buffers = 2 * c + 1 if track else 0
    ptxt = (f"2·{c} = {fmt(params)} (γ, β)" if affine else "0 (affine=false)")
    if track:
        ptxt += "; " + _("buffers 2·{c}+1 = {n} (running mean, var, batch count)").format(c=c, n=fmt(buffers))
    return Calc(out_shape=tuple(in_shape), params=params, buffers=buffers, macs=math.prod(in_shape) if affine else 0,
                shape_formula=[_("shape unchanged; normalised per channel over the batch") if len(in_shape) > 1
                               else _("shape unchanged; normalised per feature over the batch")],
                param_formula=ptxt, inferred={"num_features": c})


def _build_bn(cls_name):
    def build(in_shape, a):
        from torch import nn

        return getattr(nn, cls_name)(in_shape[0], eps=a["eps"], momentum=a["momentum"], affine=a["affine"],
                                     track_running_stats=a["track_running_stats"])

    return build


register(LayerKind(
    "BatchNorm1d", "normalization", N_("normalises each feature over the batch, then scales and shifts"),
    BN_FIELDS, lambda s, a: _infer_bn(s, a, "BatchNorm1d", (1, 2)), _build_bn("BatchNorm1d"),
    math="y = γ · (x − μ_batch) / √(σ²_batch + ε) + β",
))
register(LayerKind(
    "BatchNorm2d", "normalization", N_("normalises each channel over the batch and all pixels"),
    BN_FIELDS, lambda s, a: _infer_bn(s, a, "BatchNorm2d", (3,)), _build_bn("BatchNorm2d"),
    math=N_("y = γ · (x − μ_batch) / √(σ²_batch + ε) + β   (per channel)"),
))
