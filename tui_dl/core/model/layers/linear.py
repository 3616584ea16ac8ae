"""The fully connected layer: Linear."""

from __future__ import annotations

import math

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.layers.base import (
    Calc, Fix, LayerKind, Shape, ShapeError, _check_given, fmt, register, shape_str,
)
from tui_dl.core.model.spec import LayerSpec


LINEAR_FIELDS = (
    Field("in_features", "int", None, N_("input features (inferred when omitted)"), min=1, inferred=True),
    Field("out_features", "int", None, N_("number of outputs (neurons)"), min=1, max=1_000_000, required=True),
    Field("bias", "bool", True, N_("add a learned bias per output")),
)


def infer_linear(in_shape: Shape, a: dict) -> Calc:
    if len(in_shape) != 1:
        n = math.prod(in_shape)
        raise ShapeError(
            _("Linear needs a flat vector, but a {shape} tensor arrives. Insert a Flatten "
              "before it (that gives {product} = {n} features).").format(
                shape=shape_str(in_shape), product='·'.join(map(str, in_shape)), n=fmt(n)),
            fix=Fix(_("insert a Flatten before this layer"), insert_before=LayerSpec("Flatten")),
        )
    (f,) = in_shape
    _check_given(a, "in_features", f, "features")
    o = a["out_features"]
    params = o * f + (o if a["bias"] else 0)
    ptxt = f"{o}·{f}" + (f"+{o}" if a["bias"] else "") + f" = {fmt(params)}"
    return Calc(out_shape=(o,), params=params, macs=o * f, shape_formula=[_("features: out_features = {o}").format(o=o)],
                param_formula=ptxt, inferred={"in_features": f})


def build_linear(in_shape, a):
    from torch import nn

    return nn.Linear(in_shape[0], a["out_features"], bias=a["bias"])


def label_linear(layer, inf: dict) -> str:
    p = layer.params
    return f"Linear {p.get('in_features', inf.get('in_features', '?'))}→{p.get('out_features', '?')}"


register(LayerKind(
    "Linear", "linear", N_("fully connected: every output is a weighted sum of all inputs plus a bias"),
    LINEAR_FIELDS, infer_linear, build_linear, math=N_("y = W·x + b   (W: out×in, b: out)"),
    label=label_linear, starter=lambda in_shape: ({"out_features": 64}, ()),
))
