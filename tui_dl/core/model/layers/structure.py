"""Structure layers: Flatten, and the Residual block (the one container kind: it holds inner layers)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui_dl.core.config.fields import Field
from tui_dl.core.model.layers.base import (
    Calc, Fix, Inner, LayerKind, Shape, ShapeError, fmt, register, shape_str,
)
from tui_dl.core.model.spec import LayerSpec

FLATTEN_FIELDS = (Field("start_dim", "int", 1, "first dimension to flatten (1 = right after the batch)"),
                  Field("end_dim", "int", -1, "last dimension to flatten"))
RESIDUAL_FIELDS = (Field("projection", "choice", "auto", "skip path when shapes differ: auto (1×1 conv or linear), "
                         "none, conv, linear", choices=("auto", "none", "conv", "linear")),)


def infer_flatten(in_shape: Shape, a: dict) -> Calc:
    full = (None,) + tuple(in_shape)  # batch dim first
    nd = len(full)
    s, e = a["start_dim"], a["end_dim"]
    s2, e2 = (s + nd if s < 0 else s), (e + nd if e < 0 else e)
    if not (0 <= s2 < nd and 0 <= e2 < nd):
        raise ShapeError(f"start_dim={s}/end_dim={e} are outside the {nd}-dimensional batch tensor.",
                         field="start_dim", fix=Fix("use the defaults (start_dim 1, end_dim -1)",
                                                    set_params={"start_dim": 1, "end_dim": -1}))
    if s2 == 0:
        raise ShapeError("start_dim=0 would flatten the batch dimension into the features. Use start_dim=1.",
                         field="start_dim", fix=Fix("set start_dim to 1", set_params={"start_dim": 1}))
    if s2 > e2:
        raise ShapeError(f"start_dim ({s}) comes after end_dim ({e}).", field="end_dim")
    dims = in_shape[s2 - 1:e2]
    n = math.prod(dims)
    out = tuple(in_shape[: s2 - 1]) + (n,) + tuple(in_shape[e2:])
    text = f"{'·'.join(map(str, dims))} = {fmt(n)}" if len(dims) > 1 else f"{n} (nothing to flatten)"
    return Calc(out_shape=out, shape_formula=[f"features: {text}"], param_formula="0")


def build_flatten(in_shape, a):
    from torch import nn

    return nn.Flatten(a["start_dim"], a["end_dim"])


@dataclass(frozen=True)
class Projection:
    """The skip path's projection, as shape inference worked it out: a 1×1 strided Conv2d or a Linear."""

    kind: str  # "conv" or "linear"
    in_size: int  # channels or features
    out_size: int
    stride: tuple[int, int] = (1, 1)
    params: int = 0
    macs: int = 0
    formula: str = ""


def _projection_for(in_shape: Shape, out_shape: Shape, mode: str) -> Projection | None:
    """The skip connection's projection: None (identity) or the :class:`Projection` that bridges the shapes."""
    if tuple(in_shape) == tuple(out_shape) and mode in ("auto", "none"):
        return None
    if mode == "none":
        raise ShapeError(
            f"the block turns {shape_str(in_shape)} into {shape_str(out_shape)}, so its output cannot be "
            f"added to its input. Make the inner layers keep the shape, or set projection: auto to add a "
            f"1×1 convolution on the skip path.",
            field="projection", fix=Fix("set projection to auto", set_params={"projection": "auto"}),
        )
    if len(in_shape) == 3 and len(out_shape) == 3 and mode in ("auto", "conv"):
        (ci, h, w), (co, oh, ow) = in_shape, out_shape
        strides = []
        for n, o in ((h, oh), (w, ow)):
            hit = next((s for s in range(1, n + 1) if (n - 1) // s + 1 == o), None)
            if hit is None:
                raise ShapeError(
                    f"the block turns {shape_str(in_shape)} into {shape_str(out_shape)}: no 1×1 strided "
                    f"convolution maps {n} to {o} on the skip path. Make the block keep the size, or "
                    f"shrink it by a whole factor (e.g. a stride-2 convolution).", field="projection")
            strides.append(hit)
        params = co * ci + co
        formula = f"skip: 1×1 Conv2d {ci}→{co}, stride {strides[0] if strides[0] == strides[1] else tuple(strides)}: " \
                  f"{co}·({ci}·1·1)+{co} = {fmt(params)}"
        return Projection("conv", ci, co, tuple(strides), params, co * oh * ow * ci, formula)
    if len(in_shape) == 1 and len(out_shape) == 1 and mode in ("auto", "linear"):
        (fi,), (fo,) = in_shape, out_shape
        params = fo * fi + fo
        return Projection("linear", fi, fo, params=params, macs=fo * fi,
                          formula=f"skip: Linear {fi}→{fo}: {fo}·{fi}+{fo} = {fmt(params)}")
    raise ShapeError(
        f"the block turns {shape_str(in_shape)} into {shape_str(out_shape)}; "
        f"projection '{mode}' cannot bridge that. Keep the block's output the same kind of shape as its input.",
        field="projection")


def infer_residual(in_shape: Shape, a: dict, inner: Inner) -> Calc:
    body_out = tuple(inner.out_shape) if inner.out_shape is not None else tuple(in_shape)
    proj = _projection_for(tuple(in_shape), body_out, a["projection"])
    params, macs = inner.params, inner.macs
    formula = [f"out = F(x) + {'x' if proj is None else 'P(x)'}: {shape_str(body_out)}"]
    ptxt = f"Σ inner layers = {fmt(inner.params)}"
    if proj is not None:
        params += proj.params
        macs += proj.macs
        formula.append(proj.formula)
        ptxt += f"; + {proj.formula.split(': ', 1)[1]}; total {fmt(params)}"
    warnings = [] if inner.count else ["empty block: the output is x + x = 2x"]
    return Calc(out_shape=body_out, params=params, buffers=inner.buffers, macs=macs, shape_formula=formula,
                param_formula=ptxt, warnings=warnings, build_args={"projection": proj})


def build_residual(in_shape: Shape, a: dict, inner_modules=(), projection: Projection | None = None):
    from tui_dl.core.model.modules import Residual

    return Residual(list(inner_modules), projection)


def label_residual(layer: LayerSpec, inf: dict) -> str:
    n = len(layer.layers)
    return f"Residual ({n} layer{'s' if n != 1 else ''})"


def starter_residual(in_shape: Shape | None):
    """A block that keeps the shape: conv → batch norm → ReLU for images, linear → ReLU for vectors."""
    if in_shape is not None and len(in_shape) == 3:
        body = (LayerSpec("Conv2d", {"out_channels": in_shape[0], "kernel_size": 3, "padding": 1}),
                LayerSpec("BatchNorm2d"), LayerSpec("ReLU"))
    else:
        feats = in_shape[0] if in_shape else 64
        body = (LayerSpec("Linear", {"out_features": feats}), LayerSpec("ReLU"))
    return {}, body


register(LayerKind(
    "Flatten", "structure", "reshapes [C, H, W] into one vector of C·H·W features", FLATTEN_FIELDS,
    infer_flatten, build_flatten, math="[C, H, W] → [C·H·W]",
))
register(LayerKind(
    "Residual", "structure", "a block whose output is added to its input (skip connection)", RESIDUAL_FIELDS,
    infer_residual, build_residual, math="y = F(x) + x   (or F(x) + P(x) with a projection P)", container=True,
    label=label_residual, starter=starter_residual,
))
