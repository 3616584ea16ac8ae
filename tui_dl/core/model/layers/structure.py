"""Structure layers: Flatten, and the Residual block (the one container kind: it holds inner layers)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _, ngettext
from tui_dl.core.model.layers.base import (
    Calc, Fix, Inner, LayerKind, Shape, ShapeError, fmt, register, shape_str,
)
from tui_dl.core.model.spec import LayerSpec

FLATTEN_FIELDS = (Field("start_dim", "int", 1, N_("first dimension to flatten (1 = right after the batch)")),
                  Field("end_dim", "int", -1, N_("last dimension to flatten")))
RESIDUAL_FIELDS = (Field("projection", "choice", "auto", N_("skip path when shapes differ: auto (1×1 conv or linear), "
                         "none, conv, linear"), choices=("auto", "none", "conv", "linear")),)


def infer_flatten(in_shape: Shape, a: dict) -> Calc:
    full = (None,) + tuple(in_shape)  # batch dim first
    nd = len(full)
    s, e = a["start_dim"], a["end_dim"]
    s2, e2 = (s + nd if s < 0 else s), (e + nd if e < 0 else e)
    if not (0 <= s2 < nd and 0 <= e2 < nd):
        raise ShapeError(_("start_dim={start}/end_dim={end} are outside the {nd}-dimensional batch tensor.").format(
            start=s, end=e, nd=nd), field="start_dim", fix=Fix(_("use the defaults (start_dim 1, end_dim -1)"),
                                                              set_params={"start_dim": 1, "end_dim": -1}))
    if s2 == 0:
        raise ShapeError(_("start_dim=0 would flatten the batch dimension into the features. Use start_dim=1."),
                         field="start_dim",
                         fix=Fix(_("set {name} to {value}").format(name="start_dim", value=1),
                                 set_params={"start_dim": 1}))
    if s2 > e2:
        raise ShapeError(_("start_dim ({start}) comes after end_dim ({end}).").format(start=s, end=e),
                         field="end_dim")
    dims = in_shape[s2 - 1:e2]
    n = math.prod(dims)
    out = tuple(in_shape[: s2 - 1]) + (n,) + tuple(in_shape[e2:])
    text = (_("features: {product} = {n}").format(product='·'.join(map(str, dims)), n=fmt(n)) if len(dims) > 1
            else _("features: {n} (nothing to flatten)").format(n=n))
    return Calc(out_shape=out, shape_formula=[text], param_formula="0")


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
            _("the block turns {shape} into {out}, so its output cannot be added to its input. Make the inner "
              "layers keep the shape, or set projection: auto to add a 1×1 convolution on the skip path.").format(
                  shape=shape_str(in_shape), out=shape_str(out_shape)),
            field="projection",
            fix=Fix(_("set {name} to {value}").format(name="projection", value="auto"),
                    set_params={"projection": "auto"}),
        )
    if len(in_shape) == 3 and len(out_shape) == 3 and mode in ("auto", "conv"):
        (ci, h, w), (co, oh, ow) = in_shape, out_shape
        strides = []
        for n, o in ((h, oh), (w, ow)):
            hit = next((s for s in range(1, n + 1) if (n - 1) // s + 1 == o), None)
            if hit is None:
                raise ShapeError(
                    _("the block turns {shape} into {out}: no 1×1 strided convolution maps {n} to {o} on the "
                      "skip path. Make the block keep the size, or shrink it by a whole factor (e.g. a stride-2 "
                      "convolution).").format(shape=shape_str(in_shape), out=shape_str(out_shape), n=n, o=o),
                    field="projection")
            strides.append(hit)
        params = co * ci + co
        formula = _("skip: 1×1 Conv2d {ci}→{co}, stride {stride}: {co}·({ci}·1·1)+{co} = {params}").format(
            ci=ci, co=co, stride=strides[0] if strides[0] == strides[1] else tuple(strides), params=fmt(params))
        return Projection("conv", ci, co, tuple(strides), params, co * oh * ow * ci, formula)
    if len(in_shape) == 1 and len(out_shape) == 1 and mode in ("auto", "linear"):
        (fi,), (fo,) = in_shape, out_shape
        params = fo * fi + fo
        return Projection("linear", fi, fo, params=params, macs=fo * fi,
                          formula=_("skip: Linear {fi}→{fo}: {fo}·{fi}+{fo} = {params}").format(
                              fi=fi, fo=fo, params=fmt(params)))
    raise ShapeError(
        _("the block turns {shape} into {out}; projection '{mode}' cannot bridge that. Keep the block's output the "
          "same kind of shape as its input.").format(shape=shape_str(in_shape), out=shape_str(out_shape), mode=mode),
        field="projection")


def infer_residual(in_shape: Shape, a: dict, inner: Inner) -> Calc:
    body_out = tuple(inner.out_shape) if inner.out_shape is not None else tuple(in_shape)
    proj = _projection_for(tuple(in_shape), body_out, a["projection"])
    params, macs = inner.params, inner.macs
    formula = [f"out = F(x) + {'x' if proj is None else 'P(x)'}: {shape_str(body_out)}"]
    ptxt = _("Σ inner layers = {n}").format(n=fmt(inner.params))
    if proj is not None:
        params += proj.params
        macs += proj.macs
        formula.append(proj.formula)
        ptxt += "; " + _("+ {projection}; total {n}").format(projection=proj.formula.split(': ', 1)[-1], n=fmt(params))
    warnings = [] if inner.count else [_("empty block: the output is x + x = 2x")]
    return Calc(out_shape=body_out, params=params, buffers=inner.buffers, macs=macs, shape_formula=formula,
                param_formula=ptxt, warnings=warnings, build_args={"projection": proj})


def build_residual(in_shape: Shape, a: dict, inner_modules=(), projection: Projection | None = None):
    from tui_dl.core.model.modules import Residual

    return Residual(list(inner_modules), projection)


def label_residual(layer: LayerSpec, inf: dict) -> str:
    n = len(layer.layers)
    return ngettext("Residual ({n} layer)", "Residual ({n} layers)", n).format(n=n)


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
    "Flatten", "structure", N_("reshapes [C, H, W] into one vector of C·H·W features"), FLATTEN_FIELDS,
    infer_flatten, build_flatten, math="[C, H, W] → [C·H·W]",
))
register(LayerKind(
    "Residual", "structure", N_("a block whose output is added to its input (skip connection)"), RESIDUAL_FIELDS,
    infer_residual, build_residual, math=N_("y = F(x) + x   (or F(x) + P(x) with a projection P)"), container=True,
    label=label_residual, starter=starter_residual,
))
