"""The backprop lab: the course's 2-3-1 network, one gradient-descent step in the review question's order
(④ forward pass → ① each layer's error δ → ③ each parameter's derivative → ② the update), stepped stage by
stage; every number editable; each line the formula, the formula with the numbers in it, and the result. ``c``
checks every derivative against torch autograd on a worker thread (the app's lab controller).

The numbers come from :mod:`tui_dl.core.labs.backprop`; this module only draws them.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from tui_dl.app.views.learn.base import LabPane, number
from tui_dl.core.labs.backprop import PARAMS, STAGES, BackpropResult, Line, backprop, random_network
from tui_dl.core.labs.values import LabError, num, parse_vector
from tui_dl.core.i18n import N_, _

ACTIVATIONS = ("Sigmoid", "ReLU", "Tanh")
LR_LADDER = (0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
AGREE = 1e-9  #: the largest |ours − autograd| that counts as "the same" (float64 rounding)
ONE_LINE = 58  #: a worked line longer than this puts its numbers on a second line


def matrix_text(m, digits: int = 6) -> str:
    if m and isinstance(m[0], list):
        return "; ".join(" ".join(num(v, digits) for v in row) for row in m)
    return " ".join(num(v, digits) for v in m)


def _defaults() -> dict[str, str]:
    net = random_network(0)
    return {"x": "1 0.5", "target": "1", "lr": "0.5", **{k: matrix_text(net.get(k)) for k in PARAMS}}


class BackpropLab(LabPane):
    LAB = "backprop"
    TITLE = N_("backprop")
    HEADING = N_("backprop · the 2-3-1 network, one step")
    HINT = N_("←/→ stage · m activation · l loss · +/- η · c check with autograd · u take the update · "
              "esc leaves an input")
    FIELDS = ((("x", "x", 10), ("target", "t", 6), ("lr", "η", 6)),
              (("W1", "W1", 34), ("b1", "b1", 16)),
              (("W2", "W2", 18), ("b2", "b2", 7)))
    DEFAULTS = _defaults()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = "Sigmoid"
        self.loss = "mse"
        self.stage = 0
        self.result: BackpropResult | None = None
        self.serial = 0
        self.check: str | Text | None = None

    # ------------------------------------------------------------------ computing
    def compute(self) -> None:
        v = self.values
        lr = number(v["lr"], "lr")
        self.result = backprop(parse_vector(v["x"], "x"), parse_vector(v["target"], "target"),
                               **{k: v[k] for k in PARAMS}, activation=self.activation, loss=self.loss, lr=lr)
        self.serial += 1
        self.check = None

    # ------------------------------------------------------------------ keys
    def step(self, n: int) -> None:
        self.stage = max(0, min(len(STAGES) - 1, self.stage + n))
        self.draw()

    def bump(self, n: int) -> None:
        try:
            lr = number(self.values["lr"], "lr")
        except LabError:
            lr = 0.5
        if n > 0:
            lr = next((v for v in LR_LADDER if v > lr + 1e-12), LR_LADDER[-1])
        else:
            lr = next((v for v in reversed(LR_LADDER) if v < lr - 1e-12), LR_LADDER[0])
        self.set_values(lr=num(lr))

    def mode(self) -> None:
        i = ACTIVATIONS.index(self.activation) if self.activation in ACTIVATIONS else -1
        self.activation = ACTIVATIONS[(i + 1) % len(ACTIVATIONS)]
        self.recompute()

    def toggle_loss(self) -> None:
        self.loss = "bce" if self.loss == "mse" else "mse"
        if self.loss == "bce":
            try:
                t = parse_vector(self.values["target"], "target")
            except LabError:
                t = [1]
            if len(t) == 1 and not 0 <= t[0] <= 1:
                self.set_values(target="1")  # a BCE target is a probability
                return
        self.recompute()

    def take_update(self) -> None:
        if self.result is None or self.error is not None:
            return
        u = self.result.updated
        self.stage = 0
        self.set_values(**{k: matrix_text(u.get(k)) for k in PARAMS})
        self.notify(_("The next step starts from the updated weights."), timeout=3)

    def autograd(self) -> None:
        if self.result is None or self.error is not None:
            return
        self.check = N_("checking with torch autograd… (torch loads the first time)")
        self.draw()
        self.ask("autograd", self.serial, self.result)

    def computed(self, message) -> None:
        if message.task != "autograd" or message.serial != self.serial:
            return  # an answer about numbers since changed
        pal = self.pal
        if message.error:
            self.check = Text(_("✗ autograd check failed: {error}").format(error=message.error), style=pal.error)
        else:
            diffs = message.result
            ok = all(d <= AGREE for d in diffs.values())
            parts = ", ".join(f"{k} {d:.1e}" for k, d in diffs.items())
            self.check = Text.assemble(
                (_("✓ autograd agrees") if ok else _("✗ autograd differs"), f"bold {pal.success if ok else pal.error}"),
                (_(" (torch, float64): largest |ours − autograd| per tensor: {parts}").format(parts=parts), pal.muted))
        self.draw()

    # ------------------------------------------------------------------ drawing
    def _line(self, ln: Line) -> Text:
        """``name = formula = numbers = result``; when that is long, the numbers and result go on a second line
        under the formula."""
        pal = self.pal
        value = num(ln.value)
        head = Text.assemble(("  ", ""), (ln.name, "bold"), (f" {ln.assign} ", ""), (ln.formula, pal.muted))  # formulas: symbols, not words
        tail = Text()
        if ln.substituted != value:
            tail.append(ln.substituted)
            tail.append(" = ")
        tail.append(value, style=f"bold {pal.primary}")
        if head.cell_len + 3 + tail.cell_len <= ONE_LINE:
            return Text.assemble(head, " = ", tail)
        return Text.assemble(head, "\n    = ", tail)

    def draw(self) -> None:
        r = self.result
        if r is None:
            return
        pal = self.pal
        act = {"Sigmoid": "σ", "Tanh": "tanh", "ReLU": "ReLU"}.get(r.activation, r.activation)
        out_act = "id" if r.output == "linear" else {"Sigmoid": "σ", "Tanh": "tanh"}.get(r.output, r.output)
        loss = "½·(y − t)²" if r.loss == "mse" else "BCE"
        rows = [Text.assemble((_("hidden "), pal.muted), (act, "bold"), (_(" · output "), pal.muted), (out_act, "bold"),
                              (_(" · loss "), pal.muted), (loss, "bold"), ("   L = ", pal.muted),
                              (num(r.loss_value), f"bold {pal.primary}"))]
        bar = Text()
        for i, name in enumerate(STAGES):
            if i:
                bar.append("→", style=pal.muted)
            bar.append(f" {_(name)} ", style=self.mark(pal.accent) if i == self.stage else pal.muted)
        rows.append(bar)
        stage = STAGES[self.stage]
        rows += [self._line(ln) for ln in r.steps if ln.stage == stage]
        if self.check is not None:
            rows.append(self.check if isinstance(self.check, Text) else Text(_(self.check), style=pal.muted))
        elif self.stage == 2:
            rows.append(Text(_("  c checks these derivatives with torch autograd"), style=pal.muted))
        self.put(".lab-text", Group(*rows))
