"""The layer registry: every layer kind declared once.

Each :class:`LayerKind` holds its fields (types, defaults, limits, help), its shape and
parameter rule (``infer``: plain Python, no torch), the worked formulas shown to students, and
its torch builder (``build``: imports torch inside, so this module stays torch-free).

Shapes here are per sample, without the batch dimension: ``(C, H, W)`` for images, ``(F,)``
for vectors. Adding a layer kind means adding one entry to ``REGISTRY`` plus tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from tui_dl.core.config.fields import Field, pair
from tui_dl.core.model.spec import LayerSpec

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Fix:
    """A one-key repair offered with an error: set some arguments, or insert a layer before."""

    description: str
    set_params: dict[str, Any] | None = None
    insert_before: LayerSpec | None = None


class ShapeError(Exception):
    """A layer cannot accept the shape that arrives; ``fix`` is the suggested repair, if any."""

    def __init__(self, message: str, *, field: str | None = None, fix: Fix | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.fix = fix


@dataclass
class Calc:
    """What one layer does to the shape, and what it costs."""

    out_shape: Shape
    params: int = 0
    buffers: int = 0
    macs: int = 0
    shape_formula: list[str] = field(default_factory=list)
    param_formula: str = "0"
    warnings: list[str] = field(default_factory=list)
    #: Arguments worked out from the incoming shape (in_channels, in_features, num_features, ...).
    inferred: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerKind:
    name: str
    group: str
    summary: str
    fields: tuple[Field, ...]
    infer: Callable[..., Calc]
    build: Callable[..., Any]
    #: The function the layer computes, as a student would write it (for the explain pane).
    math: str = ""
    container: bool = False

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def resolve_args(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in for every field the user did not write (values already validated)."""
        args = {f.name: f.default for f in self.fields}
        args.update(params)
        return args


GROUPS = ("convolution", "pooling", "linear", "activation", "normalization", "regularization", "structure")

# ----------------------------------------------------------------------------- formatting helpers


def fmt(n: int) -> str:
    return f"{n:,}"


def shape_str(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "×".join(str(d) for d in shape)


def _dims_text(h_text: str, w_text: str) -> list[str]:
    if h_text == w_text:
        return [f"H, W: {h_text}"]
    return [f"H: {h_text}", f"W: {w_text}"]


def _need_image(in_shape: Shape, name: str) -> None:
    if len(in_shape) != 3:
        if len(in_shape) == 1:
            raise ShapeError(
                f"{name} needs an image-shaped input [channels, height, width], but a flat vector of "
                f"{in_shape[0]} features arrives. Put {name} before the Flatten, or set the network's "
                f"input to [channels, height, width]."
            )
        raise ShapeError(f"{name} needs an input [channels, height, width]; got {shape_str(in_shape)}.")


def _window_out(n: int, k: int, s: int, pl: int, pr: int, d: int, ceil_mode: bool) -> tuple[int, str, int]:
    """Output length of a sliding window, the formula text, and the leftover (rows never covered)."""
    span = n + pl + pr - d * (k - 1) - 1
    if ceil_mode:  # torch's pooling_output_shape: round up, but the last window must start inside the input
        out = (span + s - 1) // s + 1
        if (out - 1) * s >= n + pl:
            out -= 1
    else:
        out = span // s + 1
    pad = f"2·{pl}" if pl == pr else f"{pl}+{pr}"
    ktxt = f"{k}" if d == 1 else f"{d}·({k}−1)−1"
    inner = f"{n}+{pad}−{ktxt}"
    if d == 1:
        inner = f"{n}+{pad}−{k}"
    br = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    text = f"{br[0]}({inner})/{s}{br[1]}+1 = {out}"
    leftover = (n + pl + pr - (d * (k - 1) + 1)) % s if span >= 0 else 0
    return out, text, leftover


def _leftover_warning(leftover_h: int, leftover_w: int, s_txt: str) -> list[str]:
    out = []
    if leftover_h or leftover_w:
        parts = []
        if leftover_h:
            parts.append(f"{leftover_h} row{'s' if leftover_h > 1 else ''}")
        if leftover_w:
            parts.append(f"{leftover_w} column{'s' if leftover_w > 1 else ''}")
        out.append(
            f"the window does not divide evenly (stride {s_txt}): the last {' and '.join(parts)} of the "
            f"padded input are never covered, so ⌊…⌋ drops them"
        )
    return out


def _check_given(args: dict, name: str, actual: int, what: str) -> None:
    given = args.get(name)
    if given is not None and given != actual:
        raise ShapeError(
            f"{name} is {given}, but {actual} {what} arrive from the layer before. "
            f"Set {name} to {actual} (or leave it out: tui-dl infers it).",
            field=name,
            fix=Fix(f"set {name} to {actual}", set_params={name: actual}),
        )


# ----------------------------------------------------------------------------- convolution


def _conv_padding(padding, kh, kw, dh, dw, sh, sw):
    if padding == "valid":
        return (0, 0), (0, 0), "valid"
    if padding == "same":
        if sh != 1 or sw != 1:
            raise ShapeError(
                "padding='same' only works with stride 1 (torch refuses strided 'same' convolutions). "
                "Use stride 1, or give the padding as a number.",
                field="padding",
                fix=Fix("set padding to (kernel_size−1)/2", set_params={"padding": (kh - 1) // 2}),
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
            f"groups={g} must divide the {c} input channels evenly.", field="groups",
            fix=Fix("set groups to 1", set_params={"groups": 1}),
        )
    if oc % g:
        raise ShapeError(f"groups={g} must divide out_channels={oc} evenly.", field="groups",
                         fix=Fix("set groups to 1", set_params={"groups": 1}))
    (pt, pb), (pl, pr), pmode = _conv_padding(a["padding"], kh, kw, dh, dw, sh, sw)
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if h + pt + pb < ekh or w + pl + pr < ekw:
        raise ShapeError(
            f"the {kh}×{kw} kernel{' (dilated to %d×%d)' % (ekh, ekw) if (dh, dw) != (1, 1) else ''} is larger "
            f"than the {h + pt + pb}×{w + pl + pr} padded input. Use a smaller kernel_size, more padding, "
            f"or remove a pooling layer before this one.",
            field="kernel_size",
        )
    oh, th, lh = _window_out(h, kh, sh, pt, pb, dh, False)
    ow, tw, lw = _window_out(w, kw, sw, pl, pr, dw, False)
    cin_g = c // g
    per_filter = cin_g * kh * kw
    bias = oc if a["bias"] else 0
    params = oc * per_filter + bias
    ptxt = f"{oc}·({cin_g}·{kh}·{kw})" + (f"+{oc}" if a["bias"] else "") + f" = {fmt(params)}"
    formula = _dims_text(th, tw)
    if pmode == "same":
        formula.insert(0, f"padding='same' pads {pt + pb} rows and {pl + pr} columns to keep the size")
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


# ----------------------------------------------------------------------------- pooling


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
            raise ShapeError(
                f"padding {p} is more than half the {k}-wide window ({axis}); torch allows at most {k // 2}.",
                field="padding", fix=Fix(f"set padding to {k // 2}", set_params={"padding": k // 2}),
            )
    oh, th, lh = _window_out(h, kh, sh, ph, ph, dh, a["ceil_mode"])
    ow, tw, lw = _window_out(w, kw, sw, pw, pw, dw, a["ceil_mode"])
    if oh < 1 or ow < 1:
        raise ShapeError(
            f"the {h}×{w} input is too small for a {kh}×{kw} window: the output would be {oh}×{ow}. "
            f"Remove this pooling layer, use a smaller kernel_size, or pad earlier layers.",
            field="kernel_size",
        )
    formula = _dims_text(th, tw)
    if stride is None:
        formula.append(f"stride defaults to kernel_size = {kh if kh == kw else (kh, kw)}")
    formula.append(f"C: unchanged = {c}")
    warnings = [] if a["ceil_mode"] else _leftover_warning(lh, lw, f"{sh}" if sh == sw else f"{sh}×{sw}")
    return Calc(out_shape=(c, oh, ow), shape_formula=formula, param_formula="0 (pooling has no weights)",
                warnings=warnings)


def infer_maxpool(in_shape, a):
    return _pool_common(in_shape, a, "MaxPool2d", pair(a["dilation"]))


def infer_avgpool(in_shape, a):
    calc = _pool_common(in_shape, a, "AvgPool2d", (1, 1))
    return calc


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
    return Calc(out_shape=(c, oh, ow), shape_formula=[f"H, W: output_size = {oh}×{ow} (any input size)",
                                                      f"C: unchanged = {c}"],
                param_formula="0 (pooling has no weights)")


def build_adaptive_avg(in_shape, a):
    from torch import nn

    return nn.AdaptiveAvgPool2d(pair(a["output_size"]))


def build_adaptive_max(in_shape, a):
    from torch import nn

    return nn.AdaptiveMaxPool2d(pair(a["output_size"]))


# ----------------------------------------------------------------------------- linear


def infer_linear(in_shape: Shape, a: dict) -> Calc:
    if len(in_shape) != 1:
        n = math.prod(in_shape)
        raise ShapeError(
            f"Linear needs a flat vector, but a {shape_str(in_shape)} tensor arrives. Insert a Flatten "
            f"before it (that gives {'·'.join(map(str, in_shape))} = {fmt(n)} features).",
            fix=Fix("insert a Flatten before this layer", insert_before=LayerSpec("Flatten")),
        )
    (f,) = in_shape
    _check_given(a, "in_features", f, "features")
    o = a["out_features"]
    params = o * f + (o if a["bias"] else 0)
    ptxt = f"{o}·{f}" + (f"+{o}" if a["bias"] else "") + f" = {fmt(params)}"
    return Calc(out_shape=(o,), params=params, macs=o * f, shape_formula=[f"features: out_features = {o}"],
                param_formula=ptxt, inferred={"in_features": f})


def build_linear(in_shape, a):
    from torch import nn

    return nn.Linear(in_shape[0], a["out_features"], bias=a["bias"])


# ----------------------------------------------------------------------------- activations


def _identity_shape(in_shape: Shape, _a=None) -> Calc:
    return Calc(out_shape=tuple(in_shape), shape_formula=["shape unchanged (applied to every value)"],
                param_formula="0")


def _softmax_infer(in_shape: Shape, a: dict) -> Calc:
    nd = len(in_shape) + 1
    d = a["dim"]
    if not -nd <= d < nd:
        raise ShapeError(f"dim={d} is outside the {nd}-dimensional batch tensor (valid: {-nd}…{nd - 1}).",
                         field="dim", fix=Fix("set dim to 1", set_params={"dim": 1}))
    if d == 0 or d == -nd:
        raise ShapeError("dim=0 is the batch dimension: softmax over the samples of a batch is almost never "
                         "what you want. Use dim=1 (the classes).", field="dim",
                         fix=Fix("set dim to 1", set_params={"dim": 1}))
    calc = _identity_shape(in_shape)
    calc.shape_formula = [f"shape unchanged; values along dim {d} sum to 1"]
    return calc


def _act_builder(cls_name: str, *arg_names: str):
    def build(in_shape, a):
        from torch import nn

        return getattr(nn, cls_name)(**{k: a[k] for k in arg_names})

    return build


# ----------------------------------------------------------------------------- normalisation


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


# ----------------------------------------------------------------------------- regularisation / structure


def _infer_dropout2d(in_shape, a):
    _need_image(in_shape, "Dropout2d")
    calc = _identity_shape(in_shape)
    calc.shape_formula = [f"shape unchanged; in training each whole channel is zeroed with p={a['p']}"]
    return calc


def _infer_dropout(in_shape, a):
    calc = _identity_shape(in_shape)
    calc.shape_formula = [f"shape unchanged; in training each value is zeroed with p={a['p']} "
                          f"and the rest scaled by 1/(1−p)"]
    return calc


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


def _projection_for(in_shape: Shape, out_shape: Shape, mode: str):
    """The skip connection's projection: None (identity) or (kind, args, params, macs, formula)."""
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
        return ("conv", {"in": ci, "out": co, "stride": tuple(strides)}, params, co * oh * ow * ci, formula)
    if len(in_shape) == 1 and len(out_shape) == 1 and mode in ("auto", "linear"):
        (fi,), (fo,) = in_shape, out_shape
        params = fo * fi + fo
        return ("linear", {"in": fi, "out": fo}, params, fo * fi, f"skip: Linear {fi}→{fo}: {fo}·{fi}+{fo} = "
                                                                   f"{fmt(params)}")
    raise ShapeError(
        f"the block turns {shape_str(in_shape)} into {shape_str(out_shape)}; "
        f"projection '{mode}' cannot bridge that. Keep the block's output the same kind of shape as its input.",
        field="projection")


def infer_residual(in_shape: Shape, a: dict, inner: Shape | None = None, inner_params: int = 0,
                   inner_buffers: int = 0, inner_macs: int = 0) -> Calc:
    body_out = tuple(inner) if inner is not None else tuple(in_shape)
    proj = _projection_for(tuple(in_shape), body_out, a["projection"])
    params, macs = inner_params, inner_macs
    formula = [f"out = F(x) + {'x' if proj is None else 'P(x)'}: {shape_str(body_out)}"]
    ptxt = f"Σ inner layers = {fmt(inner_params)}"
    if proj is not None:
        params += proj[2]
        macs += proj[3]
        formula.append(proj[4])
        ptxt += f"; + {proj[4].split(': ', 1)[1]}; total {fmt(params)}"
    warnings = [] if a.get("_has_layers", True) else ["empty block: the output is x + x = 2x"]
    return Calc(out_shape=body_out, params=params, buffers=inner_buffers, macs=macs, shape_formula=formula,
                param_formula=ptxt, warnings=warnings)


def build_residual(in_shape: Shape, a: dict, inner_modules=(), out_shape: Shape | None = None):
    from tui_dl.core.model.build import Residual

    return Residual(in_shape, tuple(out_shape or in_shape), list(inner_modules), a["projection"])


# ----------------------------------------------------------------------------- the registry

_KS = Field("kernel_size", "int2", None, "window size: an integer or [height, width]", min=1, required=True)
_PAD_POOL = Field("padding", "int2", 0, "zeros added on each side (at most half the window)", min=0)
_CEIL = Field("ceil_mode", "bool", False, "round the output size up (⌈⌉) instead of down (⌊⌋)")
_BN_FIELDS = (
    Field("num_features", "int", None, "channels or features normalised (inferred when omitted)", min=1,
          inferred=True),
    Field("eps", "float", 1e-5, "added to the variance for numerical safety", min=0, min_exclusive=True),
    Field("momentum", "float", 0.1, "weight of each batch in the running mean/variance", min=0, max=1),
    Field("affine", "bool", True, "learn a scale γ and shift β per channel"),
    Field("track_running_stats", "bool", True, "keep running mean/variance for evaluation"),
)


def _act(name: str, summary: str, math_text: str, fields: tuple[Field, ...] = (), infer=_identity_shape):
    return LayerKind(name, "activation", summary, fields, infer, _act_builder(name, *[f.name for f in fields]),
                     math=math_text)


REGISTRY: dict[str, LayerKind] = {}


def register(kind: LayerKind) -> LayerKind:
    REGISTRY[kind.name] = kind
    return kind


register(LayerKind(
    "Conv2d", "convolution", "2-D convolution: slides out_channels learned filters over the image",
    (
        Field("in_channels", "int", None, "input channels (inferred when omitted)", min=1, inferred=True),
        Field("out_channels", "int", None, "number of filters = output channels", min=1, max=100_000,
              required=True),
        _KS,
        Field("stride", "int2", 1, "step of the window", min=1),
        Field("padding", "padding", 0, "zeros added on each side, or 'same' / 'valid'", min=0),
        Field("dilation", "int2", 1, "spacing between kernel elements", min=1),
        Field("groups", "int", 1, "split channels into groups (depthwise when = channels)", min=1),
        Field("bias", "bool", True, "add a learned bias per filter"),
    ),
    infer_conv2d, build_conv2d,
    math="out[c] = b[c] + Σ_k Σ_i Σ_j w[c,k,i,j] · x[k, s·y+i, s·x+j];  H' = ⌊(H + 2p − k)/s⌋ + 1",
))
register(LayerKind(
    "MaxPool2d", "pooling", "keeps the largest value in each window",
    (_KS, Field("stride", "int2", None, "step of the window (defaults to kernel_size)", min=1, nullable=True),
     _PAD_POOL, Field("dilation", "int2", 1, "spacing between window elements", min=1), _CEIL),
    infer_maxpool, build_maxpool, math="out = max over the window;  H' = ⌊(H + 2p − k)/s⌋ + 1",
))
register(LayerKind(
    "AvgPool2d", "pooling", "averages each window",
    (_KS, Field("stride", "int2", None, "step of the window (defaults to kernel_size)", min=1, nullable=True),
     _PAD_POOL, _CEIL, Field("count_include_pad", "bool", True, "count padded zeros in the average")),
    infer_avgpool, build_avgpool, math="out = mean over the window;  H' = ⌊(H + 2p − k)/s⌋ + 1",
))
register(LayerKind(
    "AdaptiveAvgPool2d", "pooling", "averages down to a fixed output size, whatever the input size",
    (Field("output_size", "int2", 1, "output height and width", min=1),),
    lambda s, a: _infer_adaptive(s, a, "AdaptiveAvgPool2d"), build_adaptive_avg,
    math="out = mean over adaptive windows (global average pooling when output_size = 1)",
))
register(LayerKind(
    "AdaptiveMaxPool2d", "pooling", "max-pools down to a fixed output size, whatever the input size",
    (Field("output_size", "int2", 1, "output height and width", min=1),),
    lambda s, a: _infer_adaptive(s, a, "AdaptiveMaxPool2d"), build_adaptive_max,
    math="out = max over adaptive windows",
))
register(LayerKind(
    "Linear", "linear", "fully connected: every output is a weighted sum of all inputs plus a bias",
    (
        Field("in_features", "int", None, "input features (inferred when omitted)", min=1, inferred=True),
        Field("out_features", "int", None, "number of outputs (neurons)", min=1, max=1_000_000, required=True),
        Field("bias", "bool", True, "add a learned bias per output"),
    ),
    infer_linear, build_linear, math="y = W·x + b   (W: out×in, b: out)",
))
register(_act("ReLU", "rectified linear unit: keeps positives, zeroes negatives", "ReLU(x) = max(0, x);  "
              "ReLU'(x) = 1 if x > 0 else 0"))
register(_act("LeakyReLU", "like ReLU, but lets a small slope through for negatives",
              "LeakyReLU(x) = x if x > 0 else a·x",
              (Field("negative_slope", "float", 0.01, "slope a for negative inputs", min=0),)))
register(_act("ELU", "smooth ReLU variant with negative saturation", "ELU(x) = x if x > 0 else α(eˣ − 1)",
              (Field("alpha", "float", 1.0, "saturation value for negative inputs", min=0),)))
register(_act("GELU", "Gaussian error linear unit (used in transformers)", "GELU(x) = x·Φ(x)",
              (Field("approximate", "choice", "none", "tanh approximation or exact", choices=("none", "tanh")),)))
register(_act("SiLU", "sigmoid-weighted linear unit (swish)", "SiLU(x) = x·σ(x)"))
register(_act("Sigmoid", "squashes to (0, 1); saturates (gradient near 0) for large inputs",
              "σ(x) = 1 / (1 + e⁻ˣ);  σ'(x) = σ(x)(1 − σ(x)) ≤ 0.25"))
register(_act("Tanh", "squashes to (−1, 1), zero-centred", "tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ);  tanh' = 1 − tanh²"))
register(_act("Softmax", "turns scores into probabilities that sum to 1", "softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ",
              (Field("dim", "int", 1, "dimension that sums to 1 (1 = the classes)"),), infer=_softmax_infer))
register(_act("LogSoftmax", "log of softmax (pair with the nll loss)", "log_softmax(x)ᵢ = xᵢ − log Σⱼ eˣʲ",
              (Field("dim", "int", 1, "dimension normalised (1 = the classes)"),), infer=_softmax_infer))
register(LayerKind(
    "BatchNorm1d", "normalization", "normalises each feature over the batch, then scales and shifts",
    _BN_FIELDS, lambda s, a: _infer_bn(s, a, "BatchNorm1d", (1, 2)), _build_bn("BatchNorm1d"),
    math="y = γ · (x − μ_batch) / √(σ²_batch + ε) + β",
))
register(LayerKind(
    "BatchNorm2d", "normalization", "normalises each channel over the batch and all pixels",
    _BN_FIELDS, lambda s, a: _infer_bn(s, a, "BatchNorm2d", (3,)), _build_bn("BatchNorm2d"),
    math="y = γ · (x − μ_batch) / √(σ²_batch + ε) + β   (per channel)",
))
register(LayerKind(
    "Dropout", "regularization", "randomly zeroes values while training (off at evaluation)",
    (Field("p", "float", 0.5, "probability of zeroing each value", min=0, max=1),),
    _infer_dropout, _act_builder("Dropout", "p"), math="train: y = x·m/(1−p), m ~ Bernoulli(1−p);  eval: y = x",
))
register(LayerKind(
    "Dropout2d", "regularization", "randomly zeroes whole channels while training",
    (Field("p", "float", 0.5, "probability of zeroing each channel", min=0, max=1),),
    _infer_dropout2d, _act_builder("Dropout2d", "p"), math="train: zero whole channels with probability p",
))
register(LayerKind(
    "Flatten", "structure", "reshapes [C, H, W] into one vector of C·H·W features",
    (Field("start_dim", "int", 1, "first dimension to flatten (1 = right after the batch)"),
     Field("end_dim", "int", -1, "last dimension to flatten")),
    infer_flatten, build_flatten, math="[C, H, W] → [C·H·W]",
))
register(LayerKind(
    "Residual", "structure", "a block whose output is added to its input (skip connection)",
    (Field("projection", "choice", "auto", "skip path when shapes differ: auto (1×1 conv or linear), none, "
           "conv, linear", choices=("auto", "none", "conv", "linear")),),
    infer_residual, build_residual, math="y = F(x) + x   (or F(x) + P(x) with a projection P)", container=True,
))


def by_group() -> dict[str, list[LayerKind]]:
    out: dict[str, list[LayerKind]] = {g: [] for g in GROUPS}
    for k in REGISTRY.values():
        out[k.group].append(k)
    return out


def layer_label(layer: LayerSpec, inferred: dict | None = None) -> str:
    """A short, PyTorch-like label: ``Conv2d 1→6, k=5, p=2``, ``Linear 400→120``."""
    kind = REGISTRY.get(layer.type)
    p = layer.params
    inf = inferred or {}
    if kind is None:
        return layer.type

    def v(x):
        return f"{x[0]}×{x[1]}" if isinstance(x, (list, tuple)) else str(x)

    t = layer.type
    if t == "Conv2d":
        cin = p.get("in_channels", inf.get("in_channels", "?"))
        bits = [f"{cin}→{p.get('out_channels', '?')}", f"k={v(p.get('kernel_size', '?'))}"]
        for key, short in (("stride", "s"), ("padding", "p"), ("dilation", "d"), ("groups", "g")):
            if key in p and p[key] != kind.field(key).default:
                bits.append(f"{short}={v(p[key])}")
        return f"Conv2d {', '.join(bits)}"
    if t == "Linear":
        return f"Linear {p.get('in_features', inf.get('in_features', '?'))}→{p.get('out_features', '?')}"
    if t in ("MaxPool2d", "AvgPool2d"):
        bits = [f"k={v(p.get('kernel_size', '?'))}"]
        for key, short in (("stride", "s"), ("padding", "p")):
            if p.get(key) not in (None, kind.field(key).default):
                bits.append(f"{short}={v(p[key])}")
        return f"{t} {', '.join(bits)}"
    if t in ("Dropout", "Dropout2d"):
        return f"{t} p={p.get('p', 0.5)}"
    if t == "Residual":
        return f"Residual ({len(layer.layers)} layer{'s' if len(layer.layers) != 1 else ''})"
    if t.startswith("Adaptive"):
        return f"{t} {v(p.get('output_size', 1))}"
    if t == "LeakyReLU" and "negative_slope" in p:
        return f"LeakyReLU {p['negative_slope']}"
    return t
