"""The losses lab: for an editable prediction and target, MSE, MAE, cross-entropy, BCE and focal loss with their
gradients worked out, and every loss plotted as the probability p of the true class goes from 0 to 1 (the
prediction's p marked): cross-entropy's −log p has no ceiling, so a confident mistake costs the most.

The numbers come from :mod:`tui_dl.core.labs.losses`; this module only draws them.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tui_dl.app.views.learn.base import LabPane, number
from tui_dl.app.widgets.function_plot import Curve, FunctionPlot
from tui_dl.core.labs.losses import NAMES, TITLES, LossCurves, LossesResult, loss_curves, losses
from tui_dl.core.labs.values import LabError, num
from tui_dl.core.i18n import N_, _

#: The curves drawn (BCE equals cross-entropy against p, so it is not drawn twice) and their colours.
CURVES = (("ce", N_("cross-entropy = BCE"), "error"), ("focal", "focal", "accent"), ("mse", "MSE", "primary"),
          ("mae", "MAE", "success"))
Y_TOP = 3.0  #: the curves are cut here (cross-entropy has no ceiling)


class LossesLab(LabPane):
    LAB = "losses"
    TITLE = N_("losses")
    HEADING = N_("losses · value and gradient for a prediction")
    HINT = N_("+/- focal γ · target: one per prediction, or one class index · esc leaves an input")
    FIELDS = ((("pred", "ŷ", 18), ("target", "t", 10), ("gamma", "γ", 5)),)
    DEFAULTS = {"pred": "0.7 0.2 0.1", "target": "0", "gamma": "2"}

    DEFAULT_CSS = """
    LossesLab #losses-plot { height: 10; }
    Screen.-tall LossesLab #losses-plot { height: 14; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: LossesResult | None = None
        self.curves: LossCurves | None = None

    def board(self) -> ComposeResult:
        plot = FunctionPlot(id="losses-plot", classes="panel")
        plot.border_title = _("loss against p (true class)")
        yield plot
        yield Static("", classes="lab-part", id="losses-legend")
        yield Static("", classes="lab-text")

    def compute(self) -> None:
        v = self.values
        gamma = number(v["gamma"], "gamma")
        self.result = losses(v["pred"], v["target"], gamma)
        self.curves = loss_curves(100, gamma)

    def relabel(self) -> None:
        self.query_one("#losses-plot", FunctionPlot).border_title = _("loss against p (true class)")
        super().relabel()

    def bump(self, n: int) -> None:
        try:
            g = number(self.values["gamma"], "gamma")
        except LabError:
            g = 2.0
        self.set_values(gamma=num(max(0.0, g + 0.5 * n)))

    def _true_p(self) -> float | None:
        """The prediction's probability for the true class, when the target is one class (one-hot)."""
        r = self.result
        ones = [i for i, t in enumerate(r.target) if t == 1]
        if len(ones) == 1 and all(t == 0 for i, t in enumerate(r.target) if i != ones[0]):
            p = r.pred[ones[0]]
            return p if 0 < p <= 1 else None
        return None

    def draw(self) -> None:
        r, c = self.result, self.curves
        if r is None or c is None:
            return
        pal = self.pal
        p = self._true_p()
        curves = [Curve(list(c.p), [min(v, Y_TOP) for v in c.values[name]], _(label), color)
                  for name, label, color in CURVES]
        ce = r.losses["ce"].value
        points = [(p, min(ce, Y_TOP), "error")] if p is not None and ce is not None else []
        self.query_one("#losses-plot", FunctionPlot).set_plot(curves, cursor=p, points=points, xlabel="p",
                                                               xlim=(0, 1), ylim=(0, Y_TOP), yticks=[0, 1, 2, 3])
        legend = Text()
        for _name, label, color in CURVES:
            legend.append("━━ ", style=f"bold {getattr(pal, color)}")
            legend.append(f"{_(label)}  ")
        legend.append(_("● ŷ · cut at {top}").format(top=num(Y_TOP)), style=pal.muted)
        self.put("#losses-legend", legend)
        rows = [Text.assemble(("ŷ = [", pal.muted), ", ".join(num(v) for v in r.pred), ("]  t = [", pal.muted),
                              ", ".join(num(v) for v in r.target), ("]", pal.muted),
                              (_("  p(true class) = {p}").format(p=num(p)) if p is not None else "", pal.muted))]
        for name in NAMES:
            lv = r.losses[name]
            head = Text.assemble((f"{name:<6}", f"bold {pal.primary}"), (_(TITLES[name]), pal.muted))
            if lv.value is None:
                head.append(_("  n/a: {why}").format(why=_(lv.why_not) if lv.why_not else ""), style=pal.warning)
                rows.append(head)
                continue
            head.append("  = ")
            head.append(num(lv.value), style="bold")
            head.append("   ∂/∂ŷ = [" + ", ".join(num(g) for g in lv.grad or ()) + "]", style=pal.accent)
            rows += [head, Text("  " + lv.text)] + [Text("  " + g, style=pal.muted) for g in lv.grad_texts]
        rows.append(Text(c.lines()[-1].strip(), style=pal.muted))
        self.put(".lab-text", Group(*rows))

