"""The pool lab: max or average pooling stepped window by window, each window's max highlighted, and the backward
pass (max pooling sends each output's gradient to its window's argmax; average pooling shares it out).

The numbers come from :func:`tui_dl.core.labs.conv.pool2d` and :func:`~tui_dl.core.labs.conv.pool_backward`.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from tui_dl.app.views.learn.base import pair_text
from tui_dl.app.views.learn.conv_lab import SlideLab
from tui_dl.app.widgets.matrix_grid import matrix_grid, side_by_side, titled
from tui_dl.core.labs.conv import PoolBackward, pool2d, pool_backward
from tui_dl.core.i18n import N_, _


class PoolLab(SlideLab):
    LAB = "pool"
    TITLE = N_("pool")
    HEADING = N_("pool · max and average pooling, forward and backward")
    HINT = N_("←/→ window · +/- stride · m max/avg · ∂L/∂y empty: all ones · esc leaves an input")
    FIELDS = ((("input", N_("input"), 26), ("grad", "∂L/∂y", 14)),
              (("size", N_("size"), 4), ("stride", N_("stride"), 4), ("padding", N_("padding"), 4),
               ("dilation", N_("dilation"), 4)))
    DEFAULTS = {"input": "1 3 2 4; 5 6 7 8; 3 2 1 0; 9 8 7 6", "size": "2", "stride": "2", "padding": "0",
                "dilation": "1", "grad": ""}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pool_mode = "max"
        self.backward: PoolBackward | None = None

    def compute(self) -> None:
        v = self.values
        result = pool2d(v["input"], pair_text(v["size"], "size", 1), stride=pair_text(v["stride"], "stride", 1),
                        padding=pair_text(v["padding"], "padding", 0),
                        dilation=pair_text(v["dilation"], "dilation", 1), mode=self.pool_mode)
        self.backward = pool_backward(result, v["grad"] if v["grad"].strip() else None)
        self.result = result

    def mode(self) -> None:
        self.pool_mode = "avg" if self.pool_mode == "max" else "max"
        if self.pool_mode == "avg" and self.values["dilation"].strip() not in ("", "1"):
            self.set_values(dilation="1")  # average pooling has no dilation
            return
        self.recompute()

    def apply(self, settings: dict) -> None:
        self.pool_mode = settings.get("mode", self.pool_mode)
        super().apply(settings)

    def _backward_line(self) -> Text | None:
        """The backward text of the current window (max pooling skips a window with no argmax)."""
        r, b = self.result, self.backward
        if b is None:
            return None
        k = 0
        for i, s in enumerate(r.steps):
            if r.op == "max" and s.argmax is None:
                continue
            if i == self.pos:
                return Text(_(b.texts[k])) if k < len(b.texts) else None
            k += 1
        return None

    def draw(self) -> None:
        r, b = self.result, self.backward
        if r is None or b is None:
            return
        pal, w = self.pal, self.window()
        extra = {}
        if w.argmax is not None:
            extra[w.argmax] = f"bold underline white on {pal.error}"
        left = Group(*self.padded_grids(extra))
        grads = []
        pt, pl = r.rows.pad_before, r.cols.pad_before
        for ch, m in enumerate(b.grad_input):
            styles = {}
            if w.argmax is not None and w.argmax[0] == ch:
                styles[(w.argmax[1] - pt, w.argmax[2] - pl)] = f"bold white on {pal.error}"
            elif r.op == "avg":
                for c, y, x in w.cells:
                    if c == ch and 0 <= y - pt < len(m) and 0 <= x - pl < len(m[0]):
                        styles[(y - pt, x - pl)] = f"bold {pal.accent}"
            grads.append(titled(_("∂L/∂x ch {n}").format(n=ch + 1) if len(b.grad_input) > 1 else "∂L/∂x",
                                matrix_grid(m, styles)))
        title = _("max pooling") if r.op == "max" else _("average pooling")
        self.put(f"#{self.LAB}-matrices",
                 Group(Text(_("{title}  (m switches max/avg)").format(title=title), style=f"bold {pal.primary}"),
                       side_by_side(left, Group(*self.output_grids()), Group(*grads))))
        lines = [self.window_line(w)]
        back = self._backward_line()
        if back is not None:
            lines.append(Text.assemble((_("backward: "), pal.muted), back))
        working = self.working_lines(lines[0])
        self.put(f"#{self.LAB}-working",
                 Group(*([working.renderables[0]] + lines[1:] + list(working.renderables[1:]))))
