"""The activations lab (f and f′ plotted, side by side or overlaid, a cursor along x reading both, where the
function saturates) and the softmax lab (an editable vector and temperature, every exponential written out).

The numbers come from :mod:`tui_dl.core.labs.activations`; this module only draws them.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_dl.app.views.learn.base import LabPane, number
from tui_dl.app.widgets.function_plot import Curve, FunctionPlot
from tui_dl.core.labs.activations import (ActivationResult, SoftmaxResult, activation_names, curve, evaluate,
                                          resolve, softmax)
from tui_dl.core.labs.values import LabError, num, parse_vector
from tui_dl.core.i18n import N_, _

X_RANGE = (-6.0, 6.0)
X_STEP = 0.25
T_LADDER = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)


def parse_args(text: str) -> dict[str, str]:
    """``"negative_slope=0.2, alpha=1"`` → ``{"negative_slope": "0.2", "alpha": "1"}`` (the registry's fields
    check the values)."""
    out = {}
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise LabError(_("write arguments as name=value, e.g. negative_slope=0.2 (got {part!r})").format(part=part),
                           "args")
        out[key.strip()] = value.strip()
    return out


class ActivationsLab(LabPane):
    LAB = "activations"
    TITLE = N_("activations")
    HEADING = N_("activations · f(x) and f′(x)")
    HINT = N_("←/→ move x · home/end ends · m next function · o overlay/side by side · esc leaves an input")
    FIELDS = ((("x", "x", 8), ("args", N_("arguments"), 24)),)
    DEFAULTS = {"x": "0", "args": ""}

    DEFAULT_CSS = """
    ActivationsLab .act-plots { height: 9; }
    Screen.-tall ActivationsLab .act-plots { height: 14; }
    ActivationsLab FunctionPlot { width: 1fr; height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fn = "Sigmoid"
        self.overlaid = False
        self.result: ActivationResult | None = None
        self.curves: tuple | None = None

    def board(self) -> ComposeResult:
        yield Static("", classes="lab-part", id="activations-title")
        with Horizontal(classes="act-plots"):
            yield FunctionPlot(id="activations-f")
            yield FunctionPlot(id="activations-df")
        yield Static("", classes="lab-part", id="activations-working")

    # ------------------------------------------------------------------ computing
    def compute(self) -> None:
        x = number(self.values["x"], "x")
        params = parse_args(self.values["args"])
        try:
            self.result = evaluate(self.fn, [x], params)
        except LabError as e:
            raise LabError(e.message, "args" if e.field == "param" else e.field) from None
        self.curves = curve(self.fn, *X_RANGE, n=121, params=params)

    def apply(self, settings: dict) -> None:
        if "fn" in settings:
            self.fn = resolve(settings["fn"])
        self.set_values(args=settings.get("args", ""))

    # ------------------------------------------------------------------ keys
    def step(self, n: int) -> None:
        try:
            x = number(self.values["x"], "x")
        except LabError:
            x = 0.0
        x = max(X_RANGE[0], min(X_RANGE[1], round((x + n * X_STEP) / X_STEP) * X_STEP))
        self.set_values(x=num(x))

    def mode(self) -> None:
        names = activation_names()
        self.fn = names[(names.index(self.fn) + 1) % len(names)] if self.fn in names else names[0]
        self.set_values(args="")  # the arguments of the last function do not fit the next

    def overlay(self) -> None:
        self.overlaid = not self.overlaid
        self.draw()

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        r, curves = self.result, self.curves
        if r is None or curves is None:
            return
        pal = self.pal
        p = r.points[0]
        names = activation_names()
        which = f"{names.index(r.name) + 1}/{len(names)}" if r.name in names else ""
        args = ", ".join(f"{k}={v}" for k, v in r.params.items())
        self.put("#activations-title", Group(
            Text.assemble((r.name, f"bold {pal.primary}"), (f" ({args})" if args else "", pal.muted),
                          (_("  {which}, m: next").format(which=which), pal.muted)),
            Text.assemble(("f  ", f"bold {pal.primary}"), r.formula, ("    f′ ", f"bold {pal.accent}"), r.dformula)))
        xs, fs, dfs = curves
        f_plot, df_plot = self.query_one("#activations-f", FunctionPlot), self.query_one("#activations-df",
                                                                                         FunctionPlot)
        cursor = max(X_RANGE[0], min(X_RANGE[1], p.x))
        f_curve = Curve(xs, fs, "f", "primary")
        df_curve = Curve(xs, dfs, "f′", "accent")
        if self.overlaid:
            f_plot.set_plot([f_curve, df_curve], cursor=cursor, points=[(cursor, p.f, "primary"),
                                                                        (cursor, p.df, "accent")])
            df_plot.display = False
        else:
            df_plot.display = True
            f_plot.set_plot([f_curve], cursor=cursor, points=[(cursor, p.f, "primary")])
            df_plot.set_plot([df_curve], cursor=cursor, points=[(cursor, p.df, "accent")])
        self.put("#activations-working", Group(
            Text.assemble((_("at x = "), pal.muted), (num(p.x), "bold"), ("   f = ", pal.muted),
                          (num(p.f), f"bold {pal.primary}"), ("   f′ = ", pal.muted),
                          (num(p.df), f"bold {pal.accent}")),
            Text(_(p.f_text)), Text(_(p.df_text)), Text(_(r.note) if r.note else "", style=pal.warning if p.df < 0.01 else pal.muted)))


class SoftmaxLab(LabPane):
    LAB = "softmax"
    TITLE = N_("softmax")
    HEADING = N_("softmax · scores to probabilities, with a temperature")
    HINT = N_("+/- temperature T · type the vector (spaces or commas) · esc leaves an input")
    FIELDS = ((("vector", "x", 24), ("temperature", "T", 7)),)
    DEFAULTS = {"vector": "1 2 3", "temperature": "1"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: SoftmaxResult | None = None

    def compute(self) -> None:
        xs = parse_vector(self.values["vector"], "vector")
        self.result = softmax(xs, number(self.values["temperature"], "temperature"))

    def bump(self, n: int) -> None:
        try:
            t = number(self.values["temperature"], "temperature")
        except LabError:
            t = 1.0
        if n > 0:
            t = next((v for v in T_LADDER if v > t + 1e-12), T_LADDER[-1])
        else:
            t = next((v for v in reversed(T_LADDER) if v < t - 1e-12), T_LADDER[0])
        self.set_values(temperature=num(t))

    def draw(self) -> None:
        r = self.result
        if r is None:
            return
        pal = self.pal
        width = 24
        top = max(r.outputs)
        rows = [Text.assemble(("T = ", pal.muted), (num(r.temperature), "bold"),
                              (_("   +/- changes it: T > 1 flattens, T < 1 sharpens"), pal.muted))]
        label_w = max(len(num(x)) for x in r.inputs)
        for i, (x, p) in enumerate(zip(r.inputs, r.outputs)):
            bar = "█" * max(0, round(p * width))
            rows.append(Text.assemble((f"x{i + 1} = {num(x).rjust(label_w)}  ", ""),
                                      (f"p = {p:.4f} ", "bold" if p == top else ""),
                                      (bar, pal.primary if p == top else pal.accent)))
        rows.append(Text(""))
        rows += [Text(line.strip()) for line in r.lines()[1:]]
        self.put(".lab-text", Group(*rows))
