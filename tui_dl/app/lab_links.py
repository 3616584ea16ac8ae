"""Which Learn lab shows a layer of the Build view ("try it"), with that layer's arguments on a small example.

``lab_for_layer(type, params)`` → a :class:`LabLink` (the lab's name and the text of its inputs), or None for a
layer no lab shows. Plain Python, no Textual: the Build view's Explain pane names the lab, the Learn view opens it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_dl.core.i18n import _, N_
from tui_dl.core.model.layers import REGISTRY

#: The Explain pane's line that names the lab of a layer, for each lab ({key} is the key that opens it).
TRY_IT = {
    "conv": N_("press {key} to try it in the conv lab (Learn, F6)"),
    "pool": N_("press {key} to try it in the pool lab (Learn, F6)"),
    "softmax": N_("press {key} to try it in the softmax lab (Learn, F6)"),
    "activations": N_("press {key} to try it in the activations lab (Learn, F6)"),
}


@dataclass(frozen=True)
class LabLink:
    """A lab (``"conv"``, ``"pool"``, ``"activations"``, ``"softmax"``), the text of its inputs, and a line that
    says what it opens (``"the conv lab: kernel 5×5, stride 1, padding 2, on a 6×6 example"``)."""

    lab: str
    settings: dict = field(default_factory=dict)
    text: str = ""


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def _text(v) -> str:
    a, b = _pair(v)
    return str(a) if a == b else f"{a},{b}"


def _side(k: int, s: int, pad_total: int, d: int) -> int:
    """An example input length along one axis: room for two windows (at least 4, at most 10)."""
    span = d * (k - 1) + 1
    return max(4, min(10, span + s - pad_total))


def _matrix(rows: int, cols: int, value) -> str:
    return "; ".join(" ".join(str(value(r, c)) for c in range(cols)) for r in range(rows))


def _conv(params: dict) -> LabLink:
    kh, kw = _pair(params["kernel_size"])
    sh, sw = _pair(params.get("stride") or 1)
    dh, dw = _pair(params.get("dilation") or 1)
    padding = params.get("padding", 0)
    if isinstance(padding, str):
        pad_text = "narrow" if padding == "valid" else padding
        ph = dh * (kh - 1) if padding == "same" else 0
        pw = dw * (kw - 1) if padding == "same" else 0
    else:
        pad_text = _text(padding)
        ph, pw = (2 * p for p in _pair(padding))
    h, w = _side(kh, sh, ph, dh), _side(kw, sw, pw, dw)
    settings = {"input": _matrix(h, w, lambda r, c: (r * w + c) % 10),
                "kernel": _matrix(kh, kw, lambda r, c: (r * kw + c) % 4),
                "stride": _text((sh, sw)), "padding": pad_text, "dilation": _text((dh, dw))}
    kernel = f"{kh}×{kw}"
    text = _("the conv lab: kernel {kernel}, stride {stride}, padding {padding}, dilation {dilation}, "
             "on a {h}×{w} example (one channel)").format(kernel=kernel, stride=settings["stride"],
                                                         padding=pad_text, dilation=settings["dilation"], h=h, w=w)
    return LabLink("conv", settings, text)


def _pool(kind: str, params: dict) -> LabLink:
    kh, kw = _pair(params["kernel_size"])
    stride = params.get("stride")
    sh, sw = _pair(stride) if stride is not None else (kh, kw)
    ph, pw = _pair(params.get("padding") or 0)
    dh, dw = _pair(params.get("dilation") or 1) if kind == "MaxPool2d" else (1, 1)
    h, w = _side(kh, sh, 2 * ph, dh), _side(kw, sw, 2 * pw, dw)
    mode = "max" if kind == "MaxPool2d" else "avg"
    settings = {"input": _matrix(h, w, lambda r, c: (3 * r + 7 * c + r * c) % 10), "size": _text((kh, kw)),
                "stride": _text((sh, sw)), "padding": _text((ph, pw)), "dilation": _text((dh, dw)), "mode": mode}
    text = (_("the pool lab: max pooling {kh}×{kw}, stride {stride}, padding {padding}, on a {h}×{w} example")
            if mode == "max" else
            _("the pool lab: avg pooling {kh}×{kw}, stride {stride}, padding {padding}, on a {h}×{w} example"))
    return LabLink("pool", settings, text.format(kh=kh, kw=kw, stride=settings["stride"],
                                                 padding=settings["padding"], h=h, w=w))


def lab_for_layer(layer_type: str, params: dict | None = None) -> LabLink | None:
    """The lab that shows this layer, opened with its arguments; None when no lab shows it."""
    params = dict(params or {})
    kind = REGISTRY.get(layer_type)
    if kind is None:
        return None
    try:
        return _link(layer_type, kind, params)
    except (TypeError, ValueError, IndexError):
        return None  # arguments the Build view marks as wrong: no lab until they are fixed


def _link(layer_type: str, kind, params: dict) -> LabLink | None:
    args = kind.resolve_args(params)
    if layer_type == "Conv2d" and args.get("kernel_size") is not None:
        return _conv(args)
    if layer_type in ("MaxPool2d", "AvgPool2d") and args.get("kernel_size") is not None:
        return _pool(layer_type, args)
    if layer_type in ("Softmax", "LogSoftmax"):
        return LabLink("softmax", {"vector": "1 2 3", "temperature": "1"},
                       _("the softmax lab (softmax acts on a whole vector)"))
    if kind.group == "activation":
        given = ", ".join(f"{k}={v}" for k, v in params.items() if kind.field(k) is not None)
        return LabLink("activations", {"fn": layer_type, "args": given},
                       (_("the activations lab on {kind} ({args})") if given else
                        _("the activations lab on {kind}")).format(kind=layer_type, args=given))
    return None
