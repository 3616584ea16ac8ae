"""Pooling layers: MaxPool2d, AvgPool2d and the adaptive pools."""

from __future__ import annotations

from tui_dl.core.config.fields import Field, pair
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.layers.base import (
    Calc, Fix, LayerKind, Shape, ShapeError, _dims_text, _leftover_warning, _need_image, _window_out, register, show,
)

_KS = Field("kernel_size", "int2", None, N_("window size: an integer or [height, width]"), min=1, required=True)
_STRIDE = Field("stride", "int2", None, N_("step of the window (defaults to kernel_size)"), min=1, nullable=True,
                default_text="kernel_size")
_PAD_POOL = Field("padding", "int2", 0, N_("zeros added on each side (at most half the window)"), min=0)
_CEIL = Field("ceil_mode", "bool", False, N_("round the output size up (⌈⌉) instead of down (⌊⌋)"))
MAXPOOL_FIELDS = (_KS, _STRIDE, _PAD_POOL, Field("dilation", "int2", 1, N_("spacing between window elements"), min=1),
                  _CEIL)
AVGPOOL_FIELDS = (_KS, _STRIDE, _PAD_POOL, _CEIL,
                  Field("count_include_pad", "bool", True, N_("count padded zeros in the average")))
_OUTPUT_SIZE = Field("output_size", "int2", 1, N_("output height and width"), min=1)


def _pool_common(in_shape: Shape, a: dict, name: str, dilation: tuple[int, int]) -> Calc:
    _need_image(in_shape, name)
    c, h, w = in_shape
    kh, kw = pair(a["kernel_size"])
    stride = a.get("stride")
    sh, sw = pair(stride) if stride is not None else (kh, kw)
    ph, pw = pair(a["padding"])
    dh, dw = dilation
    for p, k, axis in ((ph, kh, "height"), (pw, kw, "width")):
        if p > k // 2:  # torch: "pad should be smaller than or equal to half of kernel size"
            text = (_("padding {p} is more than half the {k}-wide window (height); torch allows at most {most}.")
                    if axis == "height" else
                    _("padding {p} is more than half the {k}-wide window (width); torch allows at most {most}."))
            raise ShapeError(
                text.format(p=p, k=k, most=k // 2), field="padding",
                fix=Fix(_("set {name} to {value}").format(name="padding", value=k // 2),
                        set_params={"padding": k // 2}),
            )
    oh, th, lh = _window_out(h, kh, sh, ph, ph, dh, a["ceil_mode"])
    ow, tw, lw = _window_out(w, kw, sw, pw, pw, dw, a["ceil_mode"])
    if oh < 1 or ow < 1:
        raise ShapeError(
            _("the {h}×{w} input is too small for a {kh}×{kw} window: the output would be {oh}×{ow}. "
              "Remove this pooling layer, use a smaller kernel_size, or pad earlier layers.").format(
                  h=h, w=w, kh=kh, kw=kw, oh=oh, ow=ow),
            field="kernel_size",
        )
    if dilation != (1, 1):
        for n, k, st, p, d, o, axis in ((h, kh, sh, ph, dh, oh, "height"), (w, kw, sw, pw, dw, ow, "width")):
            blind = next((i for i in range(o) if not any(p <= i * st + j * d < p + n for j in range(k))), None)
            if blind is not None:
                text = (_("with dilation {d} and padding {p}, output position {pos} along the height reads only "
                          "padding: its max would be −inf and training would fail. Set dilation to 1 (or use less "
                          "padding).") if axis == "height" else
                        _("with dilation {d} and padding {p}, output position {pos} along the width reads only "
                          "padding: its max would be −inf and training would fail. Set dilation to 1 (or use less "
                          "padding)."))
                raise ShapeError(
                    text.format(d=d, p=p, pos=blind), field="padding",
                    fix=Fix(_("set {name} to {value}").format(name="dilation", value=1), set_params={"dilation": 1}),
                )
    formula = _dims_text(th, tw)
    if stride is None:
        formula.append(_("stride defaults to kernel_size = {value}").format(value=kh if kh == kw else (kh, kw)))
    formula.append(_("C: unchanged = {c}").format(c=c))
    warnings = [] if a["ceil_mode"] else _leftover_warning(lh, lw, f"{sh}" if sh == sw else f"{sh}×{sw}")
    return Calc(out_shape=(c, oh, ow), shape_formula=formula, param_formula=_("0 (pooling has no weights)"),
                warnings=warnings)


def infer_maxpool(in_shape, a):
    return _pool_common(in_shape, a, "MaxPool2d", pair(a["dilation"]))


def infer_avgpool(in_shape, a):
    return _pool_common(in_shape, a, "AvgPool2d", (1, 1))


def build_maxpool(in_shape, a):
    from torch import nn

    s = a.get("stride")
    return nn.MaxPool2d(pair(a["kernel_size"]), stride=pair(s) if s is not None else None,
                        padding=pair(a["padding"]), dilation=pair(a["dilation"]), ceil_mode=a["ceil_mode"])


def build_avgpool(in_shape, a):
    from torch import nn

    s = a.get("stride")
    return nn.AvgPool2d(pair(a["kernel_size"]), stride=pair(s) if s is not None else None,
                        padding=pair(a["padding"]), ceil_mode=a["ceil_mode"],
                        count_include_pad=a["count_include_pad"])


def _infer_adaptive(in_shape, a, name):
    _need_image(in_shape, name)
    c, h, w = in_shape
    oh, ow = pair(a["output_size"])
    return Calc(out_shape=(c, oh, ow),
                shape_formula=[_("H, W: output_size = {oh}×{ow} (any input size)").format(oh=oh, ow=ow),
                               _("C: unchanged = {c}").format(c=c)],
                param_formula=_("0 (pooling has no weights)"))


def build_adaptive_avg(in_shape, a):
    from torch import nn

    return nn.AdaptiveAvgPool2d(pair(a["output_size"]))


def build_adaptive_max(in_shape, a):
    from torch import nn

    return nn.AdaptiveMaxPool2d(pair(a["output_size"]))


def _label_pool(layer, inf: dict) -> str:
    p = layer.params
    bits = [f"k={show(p.get('kernel_size', '?'))}"]
    for key, short, default in (("stride", "s", _STRIDE.default), ("padding", "p", _PAD_POOL.default)):
        if p.get(key) not in (None, default):
            bits.append(f"{short}={show(p[key])}")
    return f"{layer.type} {', '.join(bits)}"


def _label_adaptive(layer, inf: dict) -> str:
    return f"{layer.type} {show(layer.params.get('output_size', _OUTPUT_SIZE.default))}"


def _starter_pool(in_shape: Shape | None):
    return {"kernel_size": 2}, ()


register(LayerKind(
    "MaxPool2d", "pooling", N_("keeps the largest value in each window"), MAXPOOL_FIELDS,
    infer_maxpool, build_maxpool, math=N_("out = max over the window;  H' = ⌊(H + 2p − k)/s⌋ + 1"),
    label=_label_pool, starter=_starter_pool,
))
register(LayerKind(
    "AvgPool2d", "pooling", N_("averages each window"), AVGPOOL_FIELDS,
    infer_avgpool, build_avgpool, math=N_("out = mean over the window;  H' = ⌊(H + 2p − k)/s⌋ + 1"),
    label=_label_pool, starter=_starter_pool,
))
register(LayerKind(
    "AdaptiveAvgPool2d", "pooling", N_("averages down to a fixed output size, whatever the input size"),
    (_OUTPUT_SIZE,), lambda s, a: _infer_adaptive(s, a, "AdaptiveAvgPool2d"), build_adaptive_avg,
    math=N_("out = mean over adaptive windows (global average pooling when output_size = 1)"), label=_label_adaptive,
))
register(LayerKind(
    "AdaptiveMaxPool2d", "pooling", N_("max-pools down to a fixed output size, whatever the input size"),
    (_OUTPUT_SIZE,), lambda s, a: _infer_adaptive(s, a, "AdaptiveMaxPool2d"), build_adaptive_max,
    math=N_("out = max over adaptive windows"), label=_label_adaptive,
))
