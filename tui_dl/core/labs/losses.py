"""The losses lab: MSE, MAE, cross-entropy, binary cross-entropy and focal loss for one prediction and target,
each with its gradient with respect to the prediction, worked out; and each loss as the predicted probability
of the true class goes from 0 to 1 (why cross-entropy punishes a confident mistake so hard).

Conventions are PyTorch's: MSE, MAE, BCE and focal loss are means over the entries (``reduction="mean"``);
cross-entropy is −Σ tᵢ·log ŷᵢ for one sample whose prediction ŷ is a probability vector (a softmax output), so
its gradient is −tᵢ/ŷᵢ (with respect to the logits it would be ŷ − t). BCE clamps log at −100, as torch does.
Focal loss is the course's binary form −(1 − ŷₜ)^γ·log ŷₜ, ŷₜ = ŷ where t = 1 and 1 − ŷ where t = 0 (γ = 0 is BCE).

Plain Python (``math``); no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui_dl.core.i18n import N_, _
from tui_dl.core.labs.values import LabError, factor, num, parse_vector

NAMES = ("mse", "mae", "ce", "bce", "focal")
#: English sources (marked with N_): show them with ``_(TITLES[name])``.
TITLES = {"mse": N_("mean squared error"), "mae": N_("mean absolute error"), "ce": N_("cross-entropy"),
          "bce": N_("binary cross-entropy"), "focal": N_("focal loss")}
FORMULAS = {
    "mse": "MSE = (1/n)·Σ(ŷᵢ − tᵢ)²;  ∂/∂ŷᵢ = 2·(ŷᵢ − tᵢ)/n",
    "mae": "MAE = (1/n)·Σ|ŷᵢ − tᵢ|;  ∂/∂ŷᵢ = sign(ŷᵢ − tᵢ)/n",
    "ce": "CE = −Σ tᵢ·log ŷᵢ;  ∂/∂ŷᵢ = −tᵢ/ŷᵢ",
    "bce": "BCE = −(1/n)·Σ(tᵢ·log ŷᵢ + (1 − tᵢ)·log(1 − ŷᵢ));  ∂/∂ŷᵢ = (ŷᵢ − tᵢ)/(ŷᵢ·(1 − ŷᵢ))/n",
    "focal": "FL = (1/n)·Σ −(1 − ŷₜ)^γ·log ŷₜ;  ∂/∂ŷₜ = γ·(1 − ŷₜ)^(γ−1)·log ŷₜ − (1 − ŷₜ)^γ/ŷₜ",
}


@dataclass(frozen=True)
class LossValue:
    """One loss: its value and gradient (None with ``why_not`` when it does not apply to these numbers), the line
    with the numbers in it, and one line per gradient entry."""

    name: str
    value: float | None
    grad: tuple[float, ...] | None
    text: str
    grad_texts: tuple[str, ...]
    why_not: str | None = None
    #: ``why_not`` in English, for the machine-readable output (which never changes with the language).
    why_not_en: str | None = None

    def to_json(self) -> dict:
        if self.value is None:
            return {"value": None, "grad": None, "error": self.why_not_en or self.why_not}
        return {"value": self.value, "grad": list(self.grad or ()), "text": self.text}


@dataclass(frozen=True)
class LossesResult:
    pred: tuple[float, ...]
    target: tuple[float, ...]
    gamma: float
    losses: dict[str, LossValue]

    def lines(self) -> list[str]:
        out = [_("prediction ŷ = [{pred}], target t = [{target}], focal γ = {gamma}").format(
            pred=", ".join(num(v) for v in self.pred), target=", ".join(num(v) for v in self.target),
            gamma=num(self.gamma))]
        for name in NAMES:
            lv = self.losses[name]
            out.append(f"{name}: {_(TITLES[name])}   {FORMULAS[name]}")
            if lv.value is None:
                out.append("  " + _("n/a: {why}").format(why=lv.why_not))
                continue
            out.append(f"  {lv.text}")
            out += [f"  {g}" for g in lv.grad_texts]
        return out

    def to_json(self) -> dict:
        return {"pred": list(self.pred), "target": list(self.target), "gamma": self.gamma,
                "losses": {n: self.losses[n].to_json() for n in NAMES}}


def _log(p: float) -> float:
    """torch's BCE log: clamped at −100, so log 0 is −100, not −∞."""
    return max(math.log(p), -100.0) if p > 0 else -100.0


def _mse(y, t):
    n = len(y)
    v = sum((a - b) ** 2 for a, b in zip(y, t)) / n
    g = tuple(2 * (a - b) / n for a, b in zip(y, t))
    text = f"MSE = (1/{n})·(" + " + ".join(f"({num(a)} − {factor(b)})²" for a, b in zip(y, t)) + f") = {num(v)}"
    gt = tuple(f"∂MSE/∂ŷ{i + 1} = 2·({num(a)} − {factor(b)})/{n} = {num(gi)}"
               for i, (a, b, gi) in enumerate(zip(y, t, g)))
    return LossValue("mse", v, g, text, gt)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _mae(y, t):
    n = len(y)
    v = sum(abs(a - b) for a, b in zip(y, t)) / n
    g = tuple(_sign(a - b) / n for a, b in zip(y, t))
    text = f"MAE = (1/{n})·(" + " + ".join(f"|{num(a)} − {factor(b)}|" for a, b in zip(y, t)) + f") = {num(v)}"
    gt = tuple(f"∂MAE/∂ŷ{i + 1} = sign({num(a)} − {factor(b)})/{n} = {num(gi)}"
               for i, (a, b, gi) in enumerate(zip(y, t, g)))
    return LossValue("mae", v, g, text, gt)


def _na(name: str, why: str, **values) -> LossValue:
    """A loss that does not apply: ``why`` is an English message (marked with N_) with ``values`` to fill in."""
    return LossValue(name, None, None, "", (), _(why).format(**values), why.format(**values))


def _outside(y, lo_open: bool, hi_open: bool) -> list[float]:
    return [a for a in y if (a <= 0 if lo_open else a < 0) or (a >= 1 if hi_open else a > 1)]


def _ce(y, t):
    bad = _outside(y, False, False)
    if bad:
        return _na("ce", N_("the prediction must be probabilities in [0, 1] (a softmax output); {value} is not "
                            "(tui-dl lab softmax turns scores into probabilities)"), value=num(bad[0]))
    if any(b < 0 for b in t):
        return _na("ce", N_("the target must be a distribution: no negative entries (e.g. one-hot: 1 0 0)"))
    zero = [i for i, (a, b) in enumerate(zip(y, t)) if b > 0 and a == 0]
    if zero:
        return _na("ce", N_("ŷ{i} = 0 where the target is {t}: log 0 = −∞ (an infinitely confident mistake)"),
                   i=zero[0] + 1, t=num(t[zero[0]]))
    terms = [(i, a, b) for i, (a, b) in enumerate(zip(y, t)) if b != 0]
    v = -sum(b * math.log(a) for _, a, b in terms)
    g = tuple(-b / a if b != 0 else 0.0 for a, b in zip(y, t))
    text = "CE = −(" + " + ".join(f"{num(b)}·log {num(a)}" for _, a, b in terms) + f") = {num(v)}"
    gt = tuple(f"∂CE/∂ŷ{i + 1} = −{factor(b)}/{num(a)} = {num(gi)}" if b != 0 else f"∂CE/∂ŷ{i + 1} = 0 (tᵢ = 0)"
               for i, (a, b, gi) in enumerate(zip(y, t, g)))
    s = sum(y)
    if abs(s - 1) > 1e-6:
        gt += (_("note: ŷ sums to {total}, not 1; cross-entropy expects a probability distribution").format(
            total=num(s)),)
    gt += (_("with the logits z of a softmax instead, ∂CE/∂zᵢ = ŷᵢ − tᵢ"),)
    return LossValue("ce", v, g, text, gt)


def _bce(y, t):
    bad = _outside(y, False, False)
    if bad:
        return _na("bce", N_("the prediction must be probabilities in [0, 1] (a sigmoid output); {value} is not"),
                   value=num(bad[0]))
    badt = [b for b in t if not 0 <= b <= 1]
    if badt:
        return _na("bce", N_("the target must be in [0, 1]; {value} is not"), value=num(badt[0]))
    n = len(y)
    v = -sum(b * _log(a) + (1 - b) * _log(1 - a) for a, b in zip(y, t)) / n
    g = tuple((a - b) / max(a * (1 - a), 1e-12) / n for a, b in zip(y, t))
    text = f"BCE = −(1/{n})·(" + " + ".join(f"{num(b)}·log {num(a)} + (1 − {num(b)})·log(1 − {num(a)})"
                                            for a, b in zip(y, t)) + f") = {num(v)}"
    gt = tuple(f"∂BCE/∂ŷ{i + 1} = ({num(a)} − {factor(b)})/({num(a)}·(1 − {num(a)}))/{n} = {num(gi)}"
               for i, (a, b, gi) in enumerate(zip(y, t, g)))
    return LossValue("bce", v, g, text, gt)


def _focal_term(p_t: float, gamma: float) -> tuple[float, float]:
    """(−(1 − p)^γ·log p, its derivative in p) for 0 < p ≤ 1."""
    q = 1.0 - p_t
    lg = math.log(p_t)
    value = -(q ** gamma) * lg
    first = gamma * q ** (gamma - 1) * lg if q > 0 else 0.0
    return value, first - q ** gamma / p_t


def _focal(y, t, gamma):
    bad = _outside(y, True, True)
    if bad:
        return _na("focal", N_("the prediction must be probabilities strictly between 0 and 1; {value} is not"),
                   value=num(bad[0]))
    badt = [b for b in t if b not in (0, 1)]
    if badt:
        return _na("focal", N_("focal loss (binary) needs targets 0 or 1; {value} is not"), value=num(badt[0]))
    n = len(y)
    vals, grads, texts = [], [], []
    for i, (a, b) in enumerate(zip(y, t)):
        p_t = a if b == 1 else 1 - a
        v, d = _focal_term(p_t, gamma)
        vals.append(v)
        grads.append((d if b == 1 else -d) / n)
        pt = f"ŷ{i + 1}" if b == 1 else f"1 − ŷ{i + 1}"
        texts.append(f"∂FL/∂ŷ{i + 1}: ŷₜ = {pt} = {num(p_t)}, ∂/∂ŷₜ = {num(gamma)}·(1 − {num(p_t)})^"
                     f"{num(gamma - 1)}·log {num(p_t)} − (1 − {num(p_t)})^{num(gamma)}/{num(p_t)} = {num(d)}; "
                     f"{'' if b == 1 else '× (−1) '}/{n} = {num(grads[-1])}")
    value = sum(vals) / n
    text = f"FL = −(1/{n})·(" + " + ".join(f"(1 − {num(a if b == 1 else 1 - a)})^{num(gamma)}·log "
                                         f"{num(a if b == 1 else 1 - a)}" for a, b in zip(y, t)) + f") = {num(value)}"
    return LossValue("focal", value, tuple(grads), text, tuple(texts))


def _targets(pred: list[float], target) -> list[float]:
    t = [float(v) for v in parse_vector(target, "target")]
    if len(t) == 1 and len(pred) > 1:
        k = t[0]
        if k != int(k) or not 0 <= k < len(pred):
            raise LabError(_("a single target is a class index 0…{last} (got {k}); or give one target per "
                             "prediction").format(last=len(pred) - 1, k=num(k)), field="target")
        return [1.0 if i == int(k) else 0.0 for i in range(len(pred))]
    if len(t) != len(pred):
        raise LabError(_("{n} targets for {m} predictions: give one target per prediction (or one class "
                         "index)").format(n=len(t), m=len(pred)), field="target")
    return t


def losses(pred, target, gamma: float = 2.0) -> LossesResult:
    """Every loss for ``pred`` (numbers or text ``"0.7 0.2 0.1"``) against ``target`` (one per prediction, or a
    single class index that stands for one-hot)."""
    if not (isinstance(gamma, (int, float)) and math.isfinite(gamma) and gamma >= 0):
        raise LabError(_("γ must be a number ≥ 0 (got {gamma}); the course uses 2").format(gamma=repr(gamma)),
                       field="gamma")
    y = [float(v) for v in parse_vector(pred, "pred")]
    t = _targets(y, target)
    out = {"mse": _mse(y, t), "mae": _mae(y, t), "ce": _ce(y, t), "bce": _bce(y, t), "focal": _focal(y, t, gamma)}
    return LossesResult(tuple(y), tuple(t), float(gamma), out)


@dataclass(frozen=True)
class LossCurves:
    """Each loss of one sample whose true class gets probability p, for p from ``p[0]`` to 1 (BCE equals CE here:
    −log p)."""

    p: tuple[float, ...]
    values: dict[str, tuple[float, ...]]

    def to_json(self) -> dict:
        return {"p": list(self.p), **{k: list(v) for k, v in self.values.items()}}

    def lines(self, every: int = 1) -> list[str]:
        names = list(self.values)
        out = [_("loss as the probability p of the true class goes to 1 (target 1):"),
               "  p       " + "".join(f"{n:>10}" for n in names)]
        for i in range(0, len(self.p), every):
            out.append(f"  {self.p[i]:<7.3g} " + "".join(f"{self.values[n][i]:>10.4g}" for n in names))
        out.append("  " + _("cross-entropy grows without bound as p → 0 (−log p): a confident mistake costs the most, "
                            "while MSE and MAE never exceed 1; focal loss shrinks the loss of easy examples (p near "
                            "1)."))
        return out


def loss_curves(n: int = 100, gamma: float = 2.0, lo: float = 0.01) -> LossCurves:
    """The curves at ``n`` probabilities from ``lo`` to 1."""
    if n < 2:
        raise LabError(_("a curve needs at least 2 points"), field="curve")
    ps = tuple(lo + (1 - lo) * i / (n - 1) for i in range(n))
    vals = {
        "mse": tuple((1 - p) ** 2 for p in ps),
        "mae": tuple(1 - p for p in ps),
        "ce": tuple(0.0 - math.log(p) for p in ps),
        "bce": tuple(0.0 - math.log(p) for p in ps),
        "focal": tuple(_focal_term(p, gamma)[0] + 0.0 for p in ps),
    }
    return LossCurves(ps, vals)
