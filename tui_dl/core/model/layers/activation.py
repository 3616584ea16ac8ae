"""Activation functions: shape-preserving, mostly parameter-free; one entry each."""

from __future__ import annotations

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.layers.base import Calc, Fix, LayerKind, Shape, ShapeError, register


def _identity_shape(in_shape: Shape, _a=None) -> Calc:
    return Calc(out_shape=tuple(in_shape), shape_formula=[_("shape unchanged (applied to every value)")],
                param_formula="0")


def _softmax_infer(in_shape: Shape, a: dict) -> Calc:
    nd = len(in_shape) + 1
    d = a["dim"]
    if not -nd <= d < nd:
        raise ShapeError(_("dim={dim} is outside the {nd}-dimensional batch tensor (valid: {low}…{high}).").format(
            dim=d, nd=nd, low=-nd, high=nd - 1), field="dim",
            fix=Fix(_("set {name} to {value}").format(name="dim", value=1), set_params={"dim": 1}))
    if d == 0 or d == -nd:
        raise ShapeError(_("dim=0 is the batch dimension: softmax over the samples of a batch is almost never "
                           "what you want. Use dim=1 (the classes)."), field="dim",
                         fix=Fix(_("set {name} to {value}").format(name="dim", value=1), set_params={"dim": 1}))
    calc = _identity_shape(in_shape)
    calc.shape_formula = [_("shape unchanged; values along dim {dim} sum to 1").format(dim=d)]
    return calc


def _act_builder(cls_name: str, *arg_names: str):
    def build(in_shape, a):
        from torch import nn

        return getattr(nn, cls_name)(**{k: a[k] for k in arg_names})

    return build


def _act(name: str, summary: str, math_text: str, fields: tuple[Field, ...] = (), infer=_identity_shape, **kw):
    return LayerKind(name, "activation", summary, fields, infer, _act_builder(name, *[f.name for f in fields]),
                     math=math_text, **kw)


def _label_leaky(layer, inf: dict) -> str:
    p = layer.params
    return f"LeakyReLU {p['negative_slope']}" if "negative_slope" in p else "LeakyReLU"


register(_act("ReLU", N_("rectified linear unit: keeps positives, zeroes negatives"), "ReLU(x) = max(0, x);  "
              "ReLU'(x) = 1 if x > 0 else 0"))
register(_act("LeakyReLU", N_("like ReLU, but lets a small slope through for negatives"),
              "LeakyReLU(x) = x if x > 0 else a·x",
              (Field("negative_slope", "float", 0.01, N_("slope a for negative inputs"), min=0),), label=_label_leaky))
register(_act("ELU", N_("smooth ReLU variant with negative saturation"), "ELU(x) = x if x > 0 else α(eˣ − 1)",
              (Field("alpha", "float", 1.0, N_("saturation value for negative inputs"), min=0),)))
register(_act("GELU", N_("Gaussian error linear unit (used in transformers)"), "GELU(x) = x·Φ(x)",
              (Field("approximate", "choice", "none", N_("tanh approximation or exact"), choices=("none", "tanh")),)))
register(_act("Softplus", N_("a smooth ReLU that is always positive"), "Softplus(x) = log(1 + e^(β·x)) / β",
              (Field("beta", "float", 1.0, N_("sharpness β (larger is closer to ReLU)"), min=0, min_exclusive=True,
                     max=100),
               Field("threshold", "float", 20.0, N_("above β·x = threshold the output is x (numerical safety)"),
                     min=0, min_exclusive=True, max=100))))
register(_act("SiLU", N_("sigmoid-weighted linear unit (swish)"), "SiLU(x) = x·σ(x)"))
register(_act("Sigmoid", N_("squashes to (0, 1); saturates (gradient near 0) for large inputs"),
              "σ(x) = 1 / (1 + e⁻ˣ);  σ'(x) = σ(x)(1 − σ(x)) ≤ 0.25"))
register(_act("Tanh", N_("squashes to (−1, 1), zero-centred"), "tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ);  tanh' = 1 − tanh²"))
register(_act("Softmax", N_("turns scores into probabilities that sum to 1"), "softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ",
              (Field("dim", "int", 1, N_("dimension that sums to 1 (1 = the classes)")),), infer=_softmax_infer))
register(_act("LogSoftmax", N_("log of softmax (pair with the nll loss)"), "log_softmax(x)ᵢ = xᵢ − log Σⱼ eˣʲ",
              (Field("dim", "int", 1, N_("dimension normalised (1 = the classes)")),), infer=_softmax_infer))
