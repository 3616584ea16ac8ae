"""Convolution layers: Conv2d."""

from __future__ import annotations

from tui_dl.core.config.fields import Field, pair
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.layers.base import (
    Calc, Fix, LayerKind, Shape, ShapeError, _check_given, _dims_text, _leftover_warning, _need_image, _window_out,
    fmt, register, show,
)

CONV2D_FIELDS = (
    Field("in_channels", "int", None, N_("input channels (inferred when omitted)"), min=1, inferred=True),
    Field("out_channels", "int", None, N_("number of filters = output channels"), min=1, max=100_000,
          required=True),
    Field("kernel_size", "int2", None, N_("window size: an integer or [height, width]"), min=1, required=True),
    Field("stride", "int2", 1, N_("step of the window"), min=1),
    Field("padding", "padding", 0, N_("zeros added on each side, or 'same' / 'valid'"), min=0),
    Field("dilation", "int2", 1, N_("spacing between kernel elements"), min=1),
    Field("groups", "int", 1, N_("split channels into groups (depthwise when = channels)"), min=1),
    Field("bias", "bool", True, N_("add a learned bias per filter")),
)
_DEFAULTS = {f.name: f.default for f in CONV2D_FIELDS}


def _conv_padding(padding, kh, kw, dh, dw, sh, sw):
    if padding == "valid":
        return (0, 0), (0, 0), "valid"
    if padding == "same":
        if sh != 1 or sw != 1:
            raise ShapeError(
                _("padding='same' only works with stride 1 (torch refuses strided 'same' convolutions). "
                  "Use stride 1, or give the padding as a number."),
                field="padding",
                fix=Fix(_("set padding to (kernel_size−1)/2"), set_params={"padding": (kh - 1) // 2}),
            )
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return (th // 2, th - th // 2), (tw // 2, tw - tw // 2), "same"
    ph, pw = pair(padding)
    return (ph, ph), (pw, pw), None


def infer_conv2d(in_shape: Shape, a: dict) -> Calc:
    _need_image(in_shape, "Conv2d")
    c, h, w = in_shape
    _check_given(a, "in_channels", c, "channels")
    oc, g = a["out_channels"], a["groups"]
    kh, kw = pair(a["kernel_size"])
    sh, sw = pair(a["stride"])
    dh, dw = pair(a["dilation"])
    if c % g:
        raise ShapeError(
            _("groups={groups} must divide the {c} input channels evenly.").format(groups=g, c=c), field="groups",
            fix=Fix(_("set {name} to {value}").format(name="groups", value=1), set_params={"groups": 1}),
        )
    if oc % g:
        raise ShapeError(_("groups={groups} must divide out_channels={oc} evenly.").format(groups=g, oc=oc),
                         field="groups",
                         fix=Fix(_("set {name} to {value}").format(name="groups", value=1), set_params={"groups": 1}))
    (pt, pb), (pl, pr), pmode = _conv_padding(a["padding"], kh, kw, dh, dw, sh, sw)
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if h + pt + pb < ekh or w + pl + pr < ekw:
        text = (_("the {kh}×{kw} kernel (dilated to {ekh}×{ekw}) is larger than the {ph}×{pw} padded input. Use "
                  "a smaller kernel_size, more padding, or remove a pooling layer before this one.")
                if (dh, dw) != (1, 1) else
                _("the {kh}×{kw} kernel is larger than the {ph}×{pw} padded input. Use a smaller kernel_size, "
                  "more padding, or remove a pooling layer before this one."))
        raise ShapeError(text.format(kh=kh, kw=kw, ekh=ekh, ekw=ekw, ph=h + pt + pb, pw=w + pl + pr),
                         field="kernel_size")
    oh, th, lh = _window_out(h, kh, sh, pt, pb, dh, False)
    ow, tw, lw = _window_out(w, kw, sw, pl, pr, dw, False)
    cin_g = c // g
    per_filter = cin_g * kh * kw
    bias = oc if a["bias"] else 0
    params = oc * per_filter + bias
    ptxt = f"{oc}·({cin_g}·{kh}·{kw})" + (f"+{oc}" if a["bias"] else "") + f" = {fmt(params)}"
    formula = _dims_text(th, tw)
    if pmode == "same":
        formula.insert(0, _("padding='same' pads {rows} rows and {cols} columns to keep the size").format(
            rows=pt + pb, cols=pl + pr))
    formula.append(f"C: out_channels = {oc}")
    warnings = _leftover_warning(lh, lw, f"{sh}" if sh == sw else f"{sh}×{sw}")
    return Calc(
        out_shape=(oc, oh, ow), params=params, macs=oc * oh * ow * per_filter,
        shape_formula=formula, param_formula=ptxt, warnings=warnings, inferred={"in_channels": c},
    )


def build_conv2d(in_shape: Shape, a: dict):
    from torch import nn

    pad = a["padding"]
    return nn.Conv2d(
        in_shape[0], a["out_channels"], pair(a["kernel_size"]), stride=pair(a["stride"]),
        padding=pad if isinstance(pad, str) else pair(pad), dilation=pair(a["dilation"]),
        groups=a["groups"], bias=a["bias"],
    )


def label_conv2d(layer, inf: dict) -> str:
    p = layer.params
    cin = p.get("in_channels", inf.get("in_channels", "?"))
    bits = [f"{cin}→{p.get('out_channels', '?')}", f"k={show(p.get('kernel_size', '?'))}"]
    for key, short in (("stride", "s"), ("padding", "p"), ("dilation", "d"), ("groups", "g")):
        if key in p and p[key] != _DEFAULTS[key]:
            bits.append(f"{short}={show(p[key])}")
    return f"Conv2d {', '.join(bits)}"


def starter_conv2d(in_shape: Shape | None):
    image = in_shape is not None and len(in_shape) == 3
    channels = in_shape[0] if in_shape else 16
    return {"out_channels": max(8, channels * 2) if image else 16, "kernel_size": 3, "padding": 1}, ()


register(LayerKind(
    "Conv2d", "convolution", N_("2-D convolution: slides out_channels learned filters over the image"),
    CONV2D_FIELDS, infer_conv2d, build_conv2d,
    math="out[c] = b[c] + Σ_k Σ_i Σ_j w[c,k,i,j] · x[k, s·y+i, s·x+j];  H' = ⌊(H + 2p − k)/s⌋ + 1",
    label=label_conv2d, starter=starter_conv2d,
))
