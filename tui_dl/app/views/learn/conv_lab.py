"""The conv lab (and what the pool lab shares with it): an editable input and kernel, stride, padding and
dilation; the window stepped position by position (←/→), highlighted in the padded input, its multiply-adds
written out; the output-size formula with its numbers and a ⚠ for the rows and columns rounding drops.

The numbers come from :func:`tui_dl.core.labs.conv.conv2d`; this module only draws them.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tui_dl.app.views.learn.base import LabPane, pair_text
from tui_dl.app.widgets.matrix_grid import matrix_grid, side_by_side, titled
from tui_dl.core.labs.conv import PAD_NAMES, SlideResult, conv2d
from tui_dl.core.labs.values import LabError
from tui_dl.core.i18n import N_, _

PAD_CYCLE = ("narrow", "same", "wide")


def padding_value(text: str):
    """``"narrow"``/``"same"``/``"wide"`` (or ``"valid"``) as they are, else a number or a rows,columns pair."""
    t = text.strip().lower()
    if t in PAD_NAMES:
        return t
    return pair_text(text, "padding", 0)


class SlideLab(LabPane):
    """A window sliding over a padded input: the state (which window is shown) and the drawing both labs share."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: SlideResult | None = None
        self.pos = 0

    def board(self) -> ComposeResult:
        yield Static("", classes="lab-part", id=f"{self.LAB}-matrices")
        yield Static("", classes="lab-part", id=f"{self.LAB}-working")

    # ------------------------------------------------------------------ keys
    def step(self, n: int) -> None:
        if self.result is None:
            return
        self.pos = max(0, min(len(self.result.steps) - 1, self.pos + n))
        self.draw()

    def bump(self, n: int) -> None:
        """The stride up or down (both axes), at least 1."""
        try:
            s = pair_text(self.values["stride"], "stride", 1)
        except LabError:
            s = 1
        pair = s if isinstance(s, list) else [s, s]
        pair = [max(1, v + n) for v in pair]
        self.set_values(stride=str(pair[0]) if pair[0] == pair[1] else f"{pair[0]},{pair[1]}")

    def recompute(self) -> None:
        super().recompute()
        if self.result is not None:
            self.pos = min(self.pos, len(self.result.steps) - 1)

    # ------------------------------------------------------------------ drawing
    def window(self):
        return self.result.steps[self.pos]

    def padded_grids(self, extra: dict | None = None) -> list:
        """The padded input, one grid per channel: padding dimmed, the current window highlighted (and
        ``extra[(channel, r, c)]`` styles on top)."""
        r, pal = self.result, self.pal
        w = self.window()
        rows, cols = r.rows, r.cols
        h, wd = len(r.input[0]), len(r.input[0][0])
        win = {(c, y, x) for c, y, x in w.cells}
        out = []
        for ch, m in enumerate(r.padded):
            styles = {}
            for y in range(len(m)):
                for x in range(len(m[0])):
                    pad = not (rows.pad_before <= y < rows.pad_before + h
                               and cols.pad_before <= x < cols.pad_before + wd)
                    if (ch, y, x) in win:
                        styles[(y, x)] = self.mark(pal.accent)
                    elif pad:
                        styles[(y, x)] = pal.muted
                    if extra and (ch, y, x) in extra:
                        styles[(y, x)] = extra[(ch, y, x)]
            padded = rows.pad_before or rows.pad_after or cols.pad_before or cols.pad_after
            many = len(r.padded) > 1
            if padded:
                title = (_("input (padded) ch {n}") if many else _("input (padded)")).format(n=ch + 1)
            else:
                title = (_("input ch {n}") if many else _("input")).format(n=ch + 1)
            out.append(titled(title, matrix_grid(m, styles)))
        return out

    def output_grids(self) -> list:
        """Each output channel: values computed so far plain, the current one highlighted, the rest dimmed."""
        r, pal = self.result, self.pal
        order = {(s.channel, s.row, s.col): i for i, s in enumerate(r.steps)}
        out = []
        for ch, m in enumerate(r.output):
            styles = {}
            for y in range(len(m)):
                for x in range(len(m[0])):
                    i = order[(ch, y, x)]
                    if i == self.pos:
                        styles[(y, x)] = f"bold white on {pal.primary}"
                    elif i > self.pos:
                        styles[(y, x)] = pal.muted
            title = (_("output {h}×{w} ch {n}") if len(r.output) > 1 else _("output {h}×{w}")).format(
                h=len(m), w=len(m[0]), n=ch + 1)
            out.append(titled(title, matrix_grid(m, styles)))
        return out

    def working_lines(self, first: Text) -> Group:
        r, pal = self.result, self.pal
        n = len(r.steps)
        lines = [first, Text(_("window {i} of {n}  (←/→ step, home/end)").format(i=self.pos + 1, n=n), style=pal.muted),
                 Text(_("output size"), style=f"bold {pal.primary}")]
        for label, axis in ((_("rows "), r.rows), (_("cols "), r.cols)):
            lines.append(Text.assemble((label, pal.muted), axis.formula))
        pad = self.values.get("padding", "").strip().lower()
        if pad in PAD_NAMES:
            lines.append(Text(_("padding {pad}: rows {top} + {bottom}, columns {left} + {right}").format(
                pad=pad, top=r.rows.pad_before, bottom=r.rows.pad_after, left=r.cols.pad_before,
                right=r.cols.pad_after), style=pal.muted))
        for warning in r.warnings():
            lines.append(Text(f"⚠ {_(warning)}", style=f"bold {pal.warning}"))
        if n > 1:
            lines.append(Text(_("every window"), style=f"bold {pal.primary}"))
            for i, s in enumerate(r.steps):
                line = self.window_line(s)
                if i == self.pos:
                    line.stylize("reverse", 0, len(line.plain.partition(" = ")[0]))
                lines.append(line)
        return Group(*lines)

    def window_line(self, w) -> Text:
        ch = f"{w.channel}," if len(self.result.output) > 1 else ""
        head, _, value = w.text.rpartition(" = ")
        return Text.assemble((f"y[{ch}{w.row},{w.col}] = ", "bold"), head, " = ",
                             (value, f"bold {self.pal.primary}"))


class ConvLab(SlideLab):
    LAB = "conv"
    TITLE = N_("conv")
    HEADING = N_("conv · a kernel slides over the input")
    HINT = N_("←/→ window · +/- stride · m padding · esc leaves an input")
    FIELDS = ((("input", N_("input"), 26), ("kernel", N_("kernel"), 14)),
              (("stride", N_("stride"), 5), ("padding", N_("padding"), 8), ("dilation", N_("dilation"), 5)))
    DEFAULTS = {"input": "0 1 2; 3 4 5; 6 7 8", "kernel": "0 1; 2 3", "stride": "1", "padding": "0",
                "dilation": "1"}

    def compute(self) -> None:
        v = self.values
        self.result = conv2d(v["input"], v["kernel"], stride=pair_text(v["stride"], "stride", 1),
                             padding=padding_value(v["padding"]),
                             dilation=pair_text(v["dilation"], "dilation", 1))

    def mode(self) -> None:
        pad = self.values["padding"].strip().lower()
        nxt = PAD_CYCLE[(PAD_CYCLE.index(pad) + 1) % 3] if pad in PAD_CYCLE else PAD_CYCLE[0]
        self.set_values(padding=nxt)

    def draw(self) -> None:
        r = self.result
        if r is None:
            return
        pal, w = self.pal, self.window()
        kernels = []
        for o, f in enumerate(r.kernel):
            for i, k in enumerate(f):
                if len(r.kernel) > 1:
                    label = (_("kernel {o} ch {n}") if len(f) > 1 else _("kernel {o}")).format(o=o + 1, n=i + 1)
                else:
                    label = (_("kernel ch {n}") if len(f) > 1 else _("kernel")).format(n=i + 1)
                style = f"bold {pal.accent}" if o == w.channel else ""
                kernels.append(titled(label, matrix_grid(k, {(y, x): style for y in range(len(k))
                                                            for x in range(len(k[0]))})))
        left = Group(*self.padded_grids())
        self.put(f"#{self.LAB}-matrices", side_by_side(left, Group(*kernels), Group(*self.output_grids())))
        self.put(f"#{self.LAB}-working", self.working_lines(self.window_line(w)))
