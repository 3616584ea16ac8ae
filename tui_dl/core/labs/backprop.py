"""The backprop lab: one gradient-descent step on the course's 2-3-1 network (13 parameters: (2·3+3)+(3·1+1)),
every number written out, in the order of the course's review question:

④ forward pass (net inputs z and activations a) → ① each layer's error δ → ③ each parameter's derivative →
② the gradient-descent update.

``W1`` is shaped like ``nn.Linear(2, 3).weight`` (3 rows of 2) and ``W2`` like ``nn.Linear(3, 1).weight`` (1 row
of 3). The hidden units use ``activation`` (any elementwise activation of the activations lab: sigmoid, relu,
tanh...); the output unit uses the same unless ``output="linear"``; ``loss="bce"`` (binary cross-entropy) puts a
sigmoid on the output. ``loss="mse"`` is ½·Σ(y−t)², the textbook's convention (its derivative is y − t).

Plain Python; :func:`autograd_check` (which imports torch) confirms every derivative against autograd.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace

from tui_dl.core.labs.activations import ELEMENTWISE, params_for, resolve
from tui_dl.core.i18n import N_, _, ngettext
from tui_dl.core.labs.values import LabError, factor, num, parse_matrix, parse_vector

LOSSES = ("mse", "bce")
PARAMS = ("W1", "b1", "W2", "b2")
SHAPES = {"W1": (3, 2), "b1": (3,), "W2": (1, 3), "b2": (1,)}
#: English sources (marked with N_; a Line's ``stage`` is one of them): show them with ``_(stage)``.
STAGES = (N_("④ forward pass"), N_("① errors δ"), N_("③ derivatives"), N_("② update"))


@dataclass(frozen=True)
class Line:
    """One worked line: ``stage`` (one of :data:`STAGES`), the quantity's ``name`` (``z1[1]``, ``∂L/∂W1[2,1]``),
    the ``formula``, the formula with the numbers substituted, and the ``value``. A formula with words in it is an
    English source (marked with N_): :attr:`formula` gives it in the language spoken when it is read."""

    stage: str
    name: str
    formula_source: str
    substituted: str
    value: float
    #: ``"="``, or ``"←"`` for an update.
    assign: str = "="

    @property
    def formula(self) -> str:
        return _(self.formula_source)

    def text(self) -> str:
        parts = [self.formula, self.substituted, num(self.value)]
        if parts[1] == parts[2]:
            parts.pop(1)
        return f"{self.name} {self.assign} " + " = ".join(parts)


@dataclass(frozen=True)
class Network:
    """The 13 parameters, as plain nested lists."""

    W1: list
    b1: list
    W2: list
    b2: list

    def get(self, name: str):
        return getattr(self, name)

    def to_json(self) -> dict:
        return {k: self.get(k) for k in PARAMS}


def random_network(seed: int = 0) -> Network:
    """Weights and biases drawn uniformly from [−1, 1] and rounded to 2 decimals (readable worked numbers)."""
    rng = random.Random(seed)

    def draw():
        return round(rng.uniform(-1, 1), 2)

    return Network([[draw(), draw()] for _ in range(3)], [draw() for _ in range(3)], [[draw() for _ in range(3)]],
                   [draw()])


def _check_param(name: str, value) -> list:
    shape = SHAPES[name]
    if len(shape) == 2:
        m = parse_matrix(value, name)
        if (len(m), len(m[0])) != shape:
            raise LabError(_("{name} is {h}×{w} but must be {rows}×{cols} (like nn.Linear({cols}, {rows}).weight: one "
                             "row per unit of the layer)").format(name=name, h=len(m), w=len(m[0]), rows=shape[0],
                                                                  cols=shape[1]), name)
        return [[float(v) for v in row] for row in m]
    v = parse_vector(value, name)
    if len(v) != shape[0]:
        raise LabError(ngettext("{name} has {n} value but needs {need}", "{name} has {n} values but needs {need}",
                                len(v)).format(name=name, n=len(v), need=shape[0]), name)
    return [float(x) for x in v]


@dataclass(frozen=True)
class BackpropResult:
    activation: str            # registry name of the hidden activation ("Sigmoid")
    output: str                # the output unit's activation: a registry name or "linear"
    loss: str                  # "mse" or "bce"
    lr: float
    x: list
    target: list
    net: Network
    forward: dict              # z1, a1 (3 each), z2, y (1 each)
    loss_value: float
    deltas: dict               # delta1 (3), delta2 (1)
    grads: Network
    updated: Network
    steps: tuple[Line, ...] = field(repr=False)
    #: The activation's arguments (registry defaults, e.g. LeakyReLU's negative_slope), used again by next_step.
    act_params: dict = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        return {"activation": self.activation.lower(), "loss": self.loss, "lr": self.lr, "x": self.x,
                "target": self.target, **self.net.to_json(), "output": self.output.lower(),
                "forward": self.forward, "loss_value": self.loss_value, "deltas": self.deltas,
                "grads": self.grads.to_json(), "updated": self.updated.to_json()}

    def lines(self) -> list[str]:
        out_act = _("linear (y = z2)") if self.output == "linear" else self.output
        out = [_("2-3-1 network, 13 parameters: (2·3+3)+(3·1+1); hidden activation {act}, output {out}, loss "
                 "{loss}, learning rate η = {lr}").format(act=self.activation, out=out_act,
                                                          loss=_LOSS_TEXT[self.loss], lr=num(self.lr)),
               _("x = [{x}], target t = {t}").format(x=", ".join(num(v) for v in self.x), t=num(self.target[0])),
               f"W1 = {_mat(self.net.W1)}  b1 = {_vec(self.net.b1)}",
               f"W2 = {_mat(self.net.W2)}  b2 = {_vec(self.net.b2)}"]
        stage = None
        for ln in self.steps:
            if ln.stage != stage:
                stage = ln.stage
                out.append(_(stage))
            out.append(f"  {ln.text()}")
        return out

    def next_step(self) -> "BackpropResult":
        """The same network one step later (starting from ``updated``)."""
        u = self.updated
        return backprop(self.x, self.target, W1=u.W1, b1=u.b1, W2=u.W2, b2=u.b2, activation=self.activation,
                        loss=self.loss, lr=self.lr, output="linear" if self.output == "linear" else None,
                        act_params=self.act_params)


_LOSS_TEXT = {"mse": "½·(y − t)²", "bce": "−(t·log y + (1 − t)·log(1 − y))"}


def _mat(m) -> str:
    return "[" + "; ".join(" ".join(num(v) for v in row) for row in m) + "]"


def _vec(v) -> str:
    return "[" + " ".join(num(x) for x in v) + "]"


def _bce(z: float, t: float) -> float:
    """−(t·log σ(z) + (1 − t)·log(1 − σ(z))), computed from z without overflow."""
    return max(z, 0.0) - t * z + math.log1p(math.exp(-abs(z)))


def backprop(x=None, target=None, *, W1=None, b1=None, W2=None, b2=None, seed: int = 0,
             activation: str = "sigmoid", loss: str = "mse", lr: float = 0.5, output: str | None = None,
             act_params: dict | None = None) -> BackpropResult:
    """One worked step. Parameters not given come from :func:`random_network` (``seed``); ``x`` defaults to
    ``[1, 0.5]`` and ``target`` to ``[1]``. Each parameter may be a nested list or text (``"0.1 0.2; ..."``)."""
    loss = {"ce": "bce"}.get(loss.lower(), loss.lower())
    if loss not in LOSSES:
        raise LabError(_("unknown loss {loss}: use mse or bce").format(loss=repr(loss)), field="loss")
    try:
        act = resolve(activation)
        ap = params_for(act, act_params)
    except LabError as e:
        raise LabError(e.message, field="activation") from None
    if output not in (None, "same", "linear"):
        raise LabError(_("unknown output {output}: leave it out (the output unit uses the hidden activation) or "
                         "use linear").format(output=repr(output)), field="output")
    if loss == "bce":
        if output == "linear":
            raise LabError(_("bce is binary cross-entropy on a sigmoid output (a probability): drop --output linear "
                             "or use --loss mse"), field="output")
        out_act = "Sigmoid"
    else:
        out_act = "linear" if output == "linear" else act
    if not (isinstance(lr, (int, float)) and math.isfinite(lr)):
        raise LabError(_("the learning rate must be a number (got {lr})").format(lr=repr(lr)), field="lr")
    xs = [float(v) for v in parse_vector([1.0, 0.5] if x is None else x, "x")]
    if len(xs) != 2:
        raise LabError(_("x has {n} values but the network has 2 inputs").format(n=len(xs)), "x")
    ts = [float(v) for v in parse_vector([1.0] if target is None else target, "target")]
    if len(ts) != 1:
        raise LabError(_("the target has {n} values but the network has 1 output").format(n=len(ts)), field="target")
    if loss == "bce" and not 0 <= ts[0] <= 1:
        raise LabError(_("a bce target is a probability in [0, 1] (got {t})").format(t=num(ts[0])), field="target")
    base = random_network(seed)
    given = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    net = Network(**{k: _check_param(k, v) if v is not None else base.get(k) for k, v in given.items()})
    return _work(xs, ts, net, act, ap, out_act, loss, float(lr))


def _fn(name: str, p: dict):
    if name == "linear":
        return (lambda z: z), (lambda z: 1.0)
    e = ELEMENTWISE[name]
    return (lambda z: e.f(z, p)), (lambda z: e.df(z, p))


def _sym(name: str) -> str:
    return {"Sigmoid": "σ", "Tanh": "tanh", "linear": "id"}.get(name, name)


def _work(x, t, net: Network, act: str, ap: dict, out_act: str, loss: str, lr: float) -> BackpropResult:
    f, df = _fn(act, ap)
    g, dg = _fn(out_act, ap if out_act == act else {})
    F, G = STAGES[0], STAGES[1]
    lines: list[Line] = []
    W1, b1, W2, b2 = net.W1, net.b1, net.W2, net.b2
    z1, a1 = [], []
    for j in range(3):
        z = W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]
        z1.append(z)
        lines.append(Line(F, f"z1[{j + 1}]", f"W1[{j + 1},1]·x1 + W1[{j + 1},2]·x2 + b1[{j + 1}]",
                          f"{factor(W1[j][0])}·{factor(x[0])} + {factor(W1[j][1])}·{factor(x[1])} + {factor(b1[j])}",
                          z))
    for j in range(3):
        a1.append(f(z1[j]))
        lines.append(Line(F, f"a1[{j + 1}]", f"{_sym(act)}(z1[{j + 1}])", f"{_sym(act)}({num(z1[j])})", a1[j]))
    z2 = sum(W2[0][j] * a1[j] for j in range(3)) + b2[0]
    lines.append(Line(F, "z2", "W2[1,1]·a1[1] + W2[1,2]·a1[2] + W2[1,3]·a1[3] + b2",
                      " + ".join(f"{factor(W2[0][j])}·{factor(a1[j])}" for j in range(3)) + f" + {factor(b2[0])}",
                      z2))
    y = g(z2)
    lines.append(Line(F, "y", f"{_sym(out_act)}(z2)", f"{_sym(out_act)}({num(z2)})", y))
    tt = t[0]
    if loss == "mse":
        L = 0.5 * (y - tt) ** 2
        lines.append(Line(F, "L", "½·(y − t)²", f"½·({num(y)} − {factor(tt)})²", L))
        dy = y - tt
        d2 = dy * dg(z2)
        if out_act == "linear":
            lines.append(Line(G, "δ2", N_("∂L/∂z2 = (y − t)·1 (linear output)"), f"({num(y)} − {factor(tt)})·1", d2))
        else:
            s = _sym(out_act)
            lines.append(Line(G, "δ2", f"∂L/∂z2 = (y − t)·{s}′(z2)",
                              f"({num(y)} − {factor(tt)})·{factor(dg(z2))}", d2))
    else:
        L = _bce(z2, tt)
        lines.append(Line(F, "L", _LOSS_TEXT["bce"],
                          f"−({num(tt)}·log {num(y)} + (1 − {num(tt)})·log(1 − {num(y)}))", L))
        d2 = y - tt
        lines.append(Line(G, "δ2", N_("∂L/∂z2 = y − t (BCE on a sigmoid: ∂L/∂y·σ′(z2) = (y−t)/(y(1−y))·y(1−y))"),
                          f"{num(y)} − {factor(tt)}", d2))
    d1 = []
    for j in range(3):
        d = df(z1[j]) * W2[0][j] * d2
        d1.append(d)
        lines.append(Line(G, f"δ1[{j + 1}]", f"{_sym(act)}′(z1[{j + 1}])·W2[1,{j + 1}]·δ2",
                          f"{factor(df(z1[j]))}·{factor(W2[0][j])}·{factor(d2)}", d))
    D, U = STAGES[2], STAGES[3]
    gW2 = [[d2 * a1[j] for j in range(3)]]
    gb2 = [d2]
    gW1 = [[d1[j] * x[k] for k in range(2)] for j in range(3)]
    gb1 = list(d1)
    for j in range(3):
        lines.append(Line(D, f"∂L/∂W2[1,{j + 1}]", f"δ2·a1[{j + 1}]", f"{factor(d2)}·{factor(a1[j])}", gW2[0][j]))
    lines.append(Line(D, "∂L/∂b2", "δ2", num(d2), d2))
    for j in range(3):
        for k in range(2):
            lines.append(Line(D, f"∂L/∂W1[{j + 1},{k + 1}]", f"δ1[{j + 1}]·x{k + 1}",
                              f"{factor(d1[j])}·{factor(x[k])}", gW1[j][k]))
    for j in range(3):
        lines.append(Line(D, f"∂L/∂b1[{j + 1}]", f"δ1[{j + 1}]", num(d1[j]), d1[j]))
    grads = Network(gW1, gb1, gW2, gb2)
    new = {}
    for name in PARAMS:
        p, gp = net.get(name), grads.get(name)
        if isinstance(p[0], list):
            new[name] = [[p[i][k] - lr * gp[i][k] for k in range(len(p[i]))] for i in range(len(p))]
            cells = [((i, k), p[i][k], gp[i][k], new[name][i][k]) for i in range(len(p)) for k in range(len(p[i]))]
            label = lambda ik: f"{name}[{ik[0] + 1},{ik[1] + 1}]"  # noqa: E731
        else:
            new[name] = [p[i] - lr * gp[i] for i in range(len(p))]
            cells = [(i, p[i], gp[i], new[name][i]) for i in range(len(p))]
            label = (lambda i: name) if len(p) == 1 and name == "b2" else (lambda i: f"{name}[{i + 1}]")
        for idx, old, gv, nv in cells:
            n = label(idx)
            lines.append(Line(U, n, f"{n} − η·∂L/∂{n}", f"{num(old)} − {num(lr)}·{factor(gv)}", nv, "←"))
    forward = {"z1": z1, "a1": a1, "z2": [z2], "y": [y]}
    return BackpropResult(act, out_act, loss, lr, list(x), list(t), net, forward, L, {"delta1": d1, "delta2": [d2]},
                          grads, Network(**new), tuple(lines), dict(ap))


def autograd_check(result: BackpropResult) -> dict[str, float]:
    """The largest |ours − torch autograd| for each parameter's gradient (and the loss), on the same numbers in
    float64. Imports torch."""
    import torch
    from torch import nn

    from tui_dl.core.model.layers import REGISTRY

    def module(name):
        if name == "linear":
            return nn.Identity()
        kind = REGISTRY[name]
        return kind.build(None, {**kind.resolve_args({}), **(result.act_params if name == result.activation
                                                             else {})})

    l1, l2 = nn.Linear(2, 3).double(), nn.Linear(3, 1).double()
    with torch.no_grad():
        l1.weight.copy_(torch.tensor(result.net.W1, dtype=torch.float64))
        l1.bias.copy_(torch.tensor(result.net.b1, dtype=torch.float64))
        l2.weight.copy_(torch.tensor(result.net.W2, dtype=torch.float64))
        l2.bias.copy_(torch.tensor(result.net.b2, dtype=torch.float64))
    x = torch.tensor([result.x], dtype=torch.float64)
    t = torch.tensor([result.target], dtype=torch.float64)
    z2 = l2(module(result.activation)(l1(x)))
    if result.loss == "bce":
        L = nn.functional.binary_cross_entropy_with_logits(z2, t)
    else:
        L = 0.5 * ((module(result.output)(z2) - t) ** 2).sum()
    L.backward()
    ours = result.grads
    diff = {"loss": abs(L.item() - result.loss_value)}
    for name, p in (("W1", l1.weight), ("b1", l1.bias), ("W2", l2.weight), ("b2", l2.bias)):
        mine = torch.tensor(ours.get(name), dtype=torch.float64)
        diff[name] = (p.grad - mine).abs().max().item()
    return diff


def with_param(result: BackpropResult, name: str, value) -> BackpropResult:
    """The same step with one parameter (``"W1"``...) or ``"x"``/``"target"`` replaced (the app's edit)."""
    if name in ("x", "target"):
        args = {"x": result.x, "target": result.target, name: value}
        return backprop(args["x"], args["target"], **result.net.to_json(), activation=result.activation,
                        loss=result.loss, lr=result.lr, output="linear" if result.output == "linear" else None,
                        act_params=result.act_params)
    net = replace(result.net, **{name: _check_param(name, value)})
    return _work(result.x, result.target, net, result.activation, result.act_params, result.output, result.loss,
                 result.lr)
