"""The activations lab: f(x) and f′(x) of every activation in the layer registry, with the numbers shown; softmax
on a vector, with a temperature.

Each elementwise activation is defined once here, keyed by its registry name (``ELEMENTWISE``): f, f′, the
formulas, the same formulas with x substituted, and where it saturates. Softmax and LogSoftmax act on a whole
vector (``VECTOR``). A new activation layer in :data:`tui_dl.core.model.layers.REGISTRY` (group
``"activation"``) needs an entry here; a test checks that every registered one has one. Values at the kinks
(ReLU at 0, ELU at 0...) follow torch's autograd, so f′ here equals ``x.grad`` there.

Plain Python (``math``); no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from tui_dl.core.config.fields import FieldError
from tui_dl.core.i18n import N_, _
from tui_dl.core.labs.values import LabError, factor, num
from tui_dl.core.model.layers import REGISTRY

_SQRT_2PI = math.sqrt(2 * math.pi)
_K = math.sqrt(2 / math.pi)  # GELU's tanh approximation


def sigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e⁻ˣ), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Elementwise:
    """One elementwise activation: ``f(x, p)``, ``df(x, p)`` (p: its arguments), the formulas as the course writes
    them, ``show(x, p)`` → (f line, f′ line) with x substituted, and a note on where f′ is small."""

    name: str
    f: Callable[[float, dict], float]
    df: Callable[[float, dict], float]
    formula: str
    dformula: str
    show: Callable[[float, dict], tuple[str, str]]
    #: An English source (marked with N_): show it with ``_(note)``, so a language switch reaches it.
    note: str


def _relu_show(x, p):
    return (f"ReLU({num(x)}) = max(0, {num(x)}) = {num(max(0.0, x))}",
            f"ReLU′({num(x)}) = {'1 (x > 0)' if x > 0 else '0 (x ≤ 0)'}")


def _leaky(x, p):
    return x if x > 0 else p["negative_slope"] * x


def _leaky_show(x, p):
    a = p["negative_slope"]
    f = f"{num(x)} (x > 0)" if x > 0 else f"{num(a)}·{factor(x)} = {num(a * x)}"
    return f"LeakyReLU({num(x)}) = {f}", f"LeakyReLU′({num(x)}) = {'1 (x > 0)' if x > 0 else f'{num(a)} (x ≤ 0)'}"


def _elu(x, p):
    return x if x > 0 else p["alpha"] * math.expm1(x)


def _elu_d(x, p):
    return 1.0 if x > 0 else p["alpha"] * math.exp(x)


def _elu_show(x, p):
    a = p["alpha"]
    if x > 0:
        return f"ELU({num(x)}) = {num(x)} (x > 0)", f"ELU′({num(x)}) = 1 (x > 0)"
    return (f"ELU({num(x)}) = {num(a)}·(e^{factor(x)} − 1) = {num(_elu(x, p))}",
            f"ELU′({num(x)}) = {num(a)}·e^{factor(x)} = {num(_elu_d(x, p))}")


def _phi(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _gelu(x, p):
    if p["approximate"] == "tanh":
        return 0.5 * x * (1.0 + math.tanh(_K * (x + 0.044715 * x ** 3)))
    return x * _phi(x)


def _gelu_d(x, p):
    if p["approximate"] == "tanh":
        t = math.tanh(_K * (x + 0.044715 * x ** 3))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _K * (1.0 + 3 * 0.044715 * x * x)
    return _phi(x) + x * math.exp(-0.5 * x * x) / _SQRT_2PI


def _gelu_show(x, p):
    if p["approximate"] == "tanh":
        return (f"GELU({num(x)}) ≈ ½·{factor(x)}·(1 + tanh(√(2/π)·({num(x)} + 0.044715·{factor(x)}³))) = "
                f"{num(_gelu(x, p))}", f"GELU′({num(x)}) = {num(_gelu_d(x, p))}")
    return (f"GELU({num(x)}) = {factor(x)}·Φ({num(x)}) = {factor(x)}·{num(_phi(x))} = {num(_gelu(x, p))}",
            f"GELU′({num(x)}) = Φ({num(x)}) + {factor(x)}·φ({num(x)}) = {num(_phi(x))} + {factor(x)}·"
            f"{num(math.exp(-0.5 * x * x) / _SQRT_2PI)} = {num(_gelu_d(x, p))}")


def _softplus(x, p):
    b = p["beta"]
    return x if b * x > p["threshold"] else math.log1p(math.exp(b * x)) / b


def _softplus_d(x, p):
    b = p["beta"]
    return 1.0 if b * x > p["threshold"] else sigmoid(b * x)


def _softplus_show(x, p):
    b = p["beta"]
    if b * x > p["threshold"]:
        return (_("Softplus({x}) = {x} (β·x > threshold {t})").format(x=num(x), t=num(p['threshold'])),
                _("Softplus′({x}) = 1 (β·x > threshold)").format(x=num(x)))
    return (f"Softplus({num(x)}) = log(1 + e^({num(b)}·{factor(x)}))/{num(b)} = {num(_softplus(x, p))}",
            f"Softplus′({num(x)}) = σ({num(b)}·{factor(x)}) = {num(_softplus_d(x, p))}")


def _silu_d(x, p):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def _silu_show(x, p):
    s = sigmoid(x)
    return (f"SiLU({num(x)}) = {factor(x)}·σ({num(x)}) = {factor(x)}·{num(s)} = {num(x * s)}",
            f"SiLU′({num(x)}) = σ(x)·(1 + x·(1 − σ(x))) = {num(s)}·(1 + {factor(x)}·(1 − {num(s)})) = "
            f"{num(_silu_d(x, p))}")


def _sigmoid_show(x, p):
    s = sigmoid(x)
    return (f"σ({num(x)}) = 1/(1 + e^{factor(-x)}) = {num(s)}",
            f"σ′({num(x)}) = σ(x)·(1 − σ(x)) = {num(s)}·(1 − {num(s)}) = {num(s * (1 - s))}")


def _tanh_show(x, p):
    t = math.tanh(x)
    return (f"tanh({num(x)}) = (e^{factor(x)} − e^{factor(-x)})/(e^{factor(x)} + e^{factor(-x)}) = {num(t)}",
            f"tanh′({num(x)}) = 1 − tanh²(x) = 1 − {factor(t)}² = {num(1 - t * t)}")


_SIGMOID_NOTE = N_("σ′(x) ≤ 0.25, largest at x = 0; |x| > 5 gives σ′ < 0.0066 (saturated). Backprop multiplies the "
                 "gradient by σ′ at every sigmoid layer, so after n layers it is at most 0.25ⁿ of what it was "
                 "(10 layers: 0.25¹⁰ ≈ 9.5e-07): the first layers of a deep sigmoid net barely learn.")

ELEMENTWISE: dict[str, Elementwise] = {e.name: e for e in (
    Elementwise("ReLU", lambda x, p: max(0.0, x), lambda x, p: 1.0 if x > 0 else 0.0,
                "ReLU(x) = max(0, x)", N_("ReLU′(x) = 1 if x > 0 else 0"), _relu_show,
                N_("f′ = 1 for every x > 0: no saturation on the positive side, so gradients pass unchanged; for "
                   "x ≤ 0, f′ = 0: a unit whose inputs are always negative never learns again (a dead ReLU).")),
    Elementwise("LeakyReLU", _leaky, lambda x, p: 1.0 if x > 0 else p["negative_slope"],
                N_("LeakyReLU(x) = x if x > 0 else a·x"), N_("LeakyReLU′(x) = 1 if x > 0 else a"), _leaky_show,
                N_("like ReLU, but f′ = a (not 0) for x ≤ 0, so no unit dies.")),
    Elementwise("ELU", _elu, _elu_d, N_("ELU(x) = x if x > 0 else α(eˣ − 1)"), N_("ELU′(x) = 1 if x > 0 else α·eˣ"),
                _elu_show, N_("f′ = 1 for x > 0; for x → −∞, f → −α and f′ → 0 (saturates on the negative side only).")),
    Elementwise("GELU", _gelu, _gelu_d, N_("GELU(x) = x·Φ(x)  (Φ: the standard normal CDF)"),
                "GELU′(x) = Φ(x) + x·φ(x)", _gelu_show,
                N_("close to ReLU for |x| > 3; smooth near 0, and slightly negative for x < 0 (minimum ≈ −0.17).")),
    Elementwise("Softplus", _softplus, _softplus_d, "Softplus(x) = log(1 + e^(β·x))/β",
                "Softplus′(x) = σ(β·x)", _softplus_show,
                N_("a smooth ReLU: f′ = σ(β·x) goes from 0 (x → −∞) to 1 (x → +∞), never exactly 0.")),
    Elementwise("SiLU", lambda x, p: x * sigmoid(x), _silu_d, "SiLU(x) = x·σ(x)",
                "SiLU′(x) = σ(x)·(1 + x·(1 − σ(x)))", _silu_show,
                N_("like GELU: ≈ x for large x, → 0 for very negative x; f′ slightly above 1 near x ≈ 2.4.")),
    Elementwise("Sigmoid", lambda x, p: sigmoid(x), lambda x, p: sigmoid(x) * (1.0 - sigmoid(x)),
                "σ(x) = 1/(1 + e⁻ˣ)", "σ′(x) = σ(x)·(1 − σ(x))", _sigmoid_show, _SIGMOID_NOTE),
    Elementwise("Tanh", lambda x, p: math.tanh(x), lambda x, p: 1.0 - math.tanh(x) ** 2,
                "tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)", "tanh′(x) = 1 − tanh²(x)", _tanh_show,
                N_("tanh′(x) ≤ 1 (at x = 0) and < 0.0002 for |x| > 5: it saturates like sigmoid, but is zero-centred "
                   "and its slope at 0 is 4× sigmoid's.")),
)}

#: Activations that act on a whole vector: shown by :func:`softmax`, not by :func:`evaluate`.
VECTOR: dict[str, str] = {
    "Softmax": "softmax(x)ᵢ = e^(xᵢ/T) / Σⱼ e^(xⱼ/T)",
    "LogSoftmax": "log_softmax(x)ᵢ = xᵢ/T − log Σⱼ e^(xⱼ/T)",
}


def registered() -> list[str]:
    """The registry's activation kinds, in registry order."""
    return [k.name for k in REGISTRY.values() if k.group == "activation"]


def activation_names() -> list[str]:
    """The elementwise activations this lab plots (registry order): what the Learn view lists."""
    return [n for n in registered() if n in ELEMENTWISE]


def _key(s: str) -> str:
    return s.casefold().replace("_", "").replace("-", "")


def resolve(name: str) -> str:
    """``"sigmoid"``, ``"leaky_relu"`` → the registry name (``"Sigmoid"``, ``"LeakyReLU"``)."""
    for n in registered():
        if _key(n) == _key(name):
            if n in VECTOR:
                raise LabError(_("{name} acts on a whole vector, not on one x: use the softmax lab "
                                 "(tui-dl lab softmax --input \"1 2 3\")").format(name=n), field="fn")
            return n
    raise LabError(_("unknown activation {name}; choose one of {names}").format(
        name=repr(name), names=", ".join(n.lower() for n in activation_names())), field="fn")


def params_for(name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The activation's arguments: the registry's defaults, with ``overrides`` checked by the registry's fields."""
    kind = REGISTRY[name]
    params = {f.name: f.default for f in kind.fields}
    for key, value in (overrides or {}).items():
        field = kind.field(key)
        if field is None:
            have = ", ".join(f.name for f in kind.fields) or _("none")
            raise LabError(_("{name} has no argument {key} (its arguments: {have})").format(
                name=name, key=repr(key), have=have), field="param")
        try:
            params[key] = field.coerce(value)
        except FieldError as e:
            raise LabError(_("{name} {key}: {error}").format(name=name, key=key, error=e), field="param") from None
    return params


@dataclass(frozen=True)
class Point:
    """f and f′ at one x, with the lines that work them out."""

    x: float
    f: float
    df: float
    f_text: str
    df_text: str


@dataclass(frozen=True)
class ActivationResult:
    name: str
    params: dict
    formula: str
    dformula: str
    note: str
    points: tuple[Point, ...]

    def lines(self) -> list[str]:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        out = [f"{self.name}{f' ({args})' if args else ''}", f"  {_(self.formula)}", f"  {_(self.dformula)}", ""]
        for p in self.points:
            out += [f"  {p.f_text}", f"  {p.df_text}"]
        return out + ["", f"  {_(self.note)}"]

    def to_json(self) -> dict:
        return {"fn": self.name.lower(), "points": [{"x": p.x, "f": p.f, "df": p.df} for p in self.points]}


def evaluate(name: str, xs, params: dict | None = None) -> ActivationResult:
    """f and f′ of activation ``name`` (any case) at each x; ``params`` overrides the registry's defaults."""
    key = resolve(name)
    act = ELEMENTWISE[key]
    p = params_for(key, params)
    points = []
    for x in xs:
        x = float(x)
        f_text, df_text = act.show(x, p)
        points.append(Point(x, act.f(x, p), act.df(x, p), f_text, df_text))
    # the formulas in the language spoken now (the app shows them as they are; lines() translates again: a no-op)
    return ActivationResult(key, p, _(act.formula), _(act.dformula), act.note, tuple(points))


def curve(name: str, lo: float = -6.0, hi: float = 6.0, n: int = 121, params: dict | None = None):
    """``(xs, fs, dfs)``: the activation sampled at ``n`` evenly spaced x from ``lo`` to ``hi`` (for the plots)."""
    key = resolve(name)
    act, p = ELEMENTWISE[key], params_for(key, params)
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)] if n > 1 else [lo]
    return xs, [act.f(x, p) for x in xs], [act.df(x, p) for x in xs]


# ----------------------------------------------------------------------------- softmax


@dataclass(frozen=True)
class SoftmaxResult:
    """softmax(x/T): the inputs, the temperature, e^(xᵢ/T − shift) (shift = max xᵢ/T when it had to be taken out
    to avoid overflow, else 0), their sum, the probabilities, their logs, and one worked line per entry."""

    inputs: tuple[float, ...]
    temperature: float
    shift: float
    exps: tuple[float, ...]
    total: float
    outputs: tuple[float, ...]
    log_outputs: tuple[float, ...]
    texts: tuple[str, ...]

    def lines(self) -> list[str]:
        t = self.temperature
        out = [_("softmax with temperature T = {t}").format(t=num(t)), f"  {VECTOR['Softmax']}"]
        if self.shift:
            out.append("  " + _("(every exponent shifted by max xᵢ/T = {shift} so e^… cannot overflow; the ratios "
                                "are unchanged)").format(shift=num(self.shift)))
        exps = " + ".join(num(e) for e in self.exps)
        out.append(f"  Σⱼ e^(xⱼ/T{' − shift' if self.shift else ''}) = {exps} = {num(self.total)}")
        out += [f"  {s}" for s in self.texts]
        out.append("  " + _("sum = {total}").format(total=num(sum(self.outputs))))
        out.append("  " + _("T > 1 flattens the distribution (towards uniform), T < 1 sharpens it (towards the "
                            "argmax)."))
        return out

    def to_json(self) -> dict:
        return {"input": list(self.inputs), "temperature": self.temperature, "output": list(self.outputs),
                "steps": [{"i": i, "value": v, "text": s}
                          for i, (v, s) in enumerate(zip(self.outputs, self.texts))]}


def softmax(values, temperature: float = 1.0) -> SoftmaxResult:
    """softmax(x/T) with every step written out."""
    if not temperature > 0 or not math.isfinite(temperature):
        raise LabError(_("the temperature must be a positive number (got {t}); try 1").format(t=num(temperature)),
                       field="temperature")
    xs = [float(v) for v in values]
    if not xs:
        raise LabError(_("needs at least one number (e.g. \"1 2 3\")"), field="input")
    scaled = [x / temperature for x in xs]
    top = max(scaled)
    shift = top if abs(top) > 50 or min(scaled) < -700 else 0.0
    exps = [math.exp(s - shift) for s in scaled]
    total = sum(exps)
    outs = [e / total for e in exps]
    logs = [s - shift - math.log(total) for s in scaled]
    tt = num(temperature)
    texts = []
    for i, (x, e, o) in enumerate(zip(xs, exps, outs)):
        expo = f"{num(x)}/{tt}" + (f" − {factor(shift)}" if shift else "")
        texts.append(f"softmax(x)_{i + 1} = e^({expo}) / {num(total)} = {num(e)} / {num(total)} = {num(o)}")
    return SoftmaxResult(tuple(xs), float(temperature), shift, tuple(exps), total, tuple(outs), tuple(logs),
                         tuple(texts))
