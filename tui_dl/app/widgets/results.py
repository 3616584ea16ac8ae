"""The finished run's result: test accuracy, per-class accuracy and the confusion matrix as a grid."""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.color import Color
from textual.widgets import Static

from tui_dl.app.logfmt import pct
from tui_dl.app.widgets.colors import palette
from tui_dl.core.training.best_epoch import best_epoch_line
from tui_dl.core.training.events import Finished


class ResultPanel(Static):
    """Renders a :class:`Finished` event; switches to percentages when counts do not fit."""

    DEFAULT_CSS = """
    ResultPanel { height: auto; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.finished: Finished | None = None
        self.placeholder = "The test accuracy and the confusion matrix appear here when a run finishes."

    def show(self, finished: Finished | None, placeholder: str | None = None) -> None:
        self.finished = finished
        if placeholder is not None:
            self.placeholder = placeholder
        self.refresh(layout=True)

    def on_resize(self) -> None:
        self.refresh()

    def render(self):
        pal = palette(self.app)
        f = self.finished
        if f is None:
            return Text(self.placeholder, style=pal.muted)
        parts: list = []
        head = Text.assemble(("Test accuracy ", "bold"),
                             (pct(f.test_accuracy), f"bold {pal.success}" if f.test_accuracy is not None else ""))
        if f.test_loss is not None:
            head.append(f"   loss {f.test_loss:.4f}", style=pal.muted)
        parts.append(head)
        sub = []
        if f.best_epoch is not None:  # the val acc at the best epoch, and the highest one (issue 13 item 20)
            sub.append(best_epoch_line(f, pct))
        cm = f.confusion
        if cm:
            sub.append("rows true, columns predicted")
        if sub:
            parts.append(Text(" · ".join(sub), style=pal.muted))
        if cm:
            parts.append(self._matrix(f, pal))
        elif f.test_accuracy is None:
            parts.append(Text("no test set evaluated for this run", style=pal.muted))
        return Group(*parts)

    def _matrix(self, f: Finished, pal) -> Table:
        cm = f.confusion
        n = len(cm)
        classes = list(f.classes) if len(f.classes) == n else [str(i) for i in range(n)]
        # the trainer's per-class accuracy (NaN for a class without test samples); a run folder that did not
        # record it shows "–" rather than a number made up here
        per_class = list(f.per_class_accuracy) if len(f.per_class_accuracy) == n else [math.nan] * n
        label_w = min(max(len(c) for c in classes), 10)
        biggest = max((max(r) for r in cm if r), default=0)
        count_w = max(len(str(biggest)), 2)
        width = self.size.width or 80
        # counts when they fit, else % of the row, else colour only (the acc column keeps the numbers)
        use_pct = label_w + 2 + n * (count_w + 1) + 8 > width
        heat_only = use_pct and label_w + 2 + n * 4 + 8 > width
        cell_w = 1 if heat_only else (3 if use_pct else count_w)
        dark = pal.dark
        base = Color.parse(self.app.current_theme.surface or ("#1e1e1e" if dark else "#ffffff"))
        good = Color.parse(pal.success)
        bad = Color.parse(pal.error)
        table = Table(box=None, padding=(0, 0), show_header=True, header_style=pal.muted, pad_edge=False)
        table.add_column("%" if use_pct and not heat_only else "", justify="right", width=label_w + 1,
                         no_wrap=True)
        for c in classes:
            table.add_column(c[:max(cell_w, 1)] if not heat_only else c[:1], justify="right", width=cell_w + 1,
                             no_wrap=True)
        table.add_column(" acc", justify="right", width=7, no_wrap=True)
        for i, row in enumerate(cm):
            total = sum(row) or 1
            cells = [Text(classes[i][:label_w] + " ", style=pal.muted)]
            for j, v in enumerate(row):
                share = v / total
                colour = good if i == j else bad
                strength = share if i == j else min(1.0, share * 4)
                bg = base.blend(colour, 0.15 + 0.7 * strength) if v else base
                fg = "bold" if i == j else ""
                txt = " " if heat_only else (f"{round(100 * share)}" if use_pct else f"{v}")
                cells.append(Text(txt.rjust(cell_w) + " ", style=f"{fg} on {bg.hex}" if v else pal.muted))
            acc = per_class[i]
            if acc is None or math.isnan(acc):
                cells.append(Text("–".rjust(6), style=pal.muted))
            else:
                cells.append(Text(f"{100 * acc:5.1f}%", style=pal.success if acc >= 0.9 else (
                    pal.warning if acc >= 0.6 else pal.error)))
            table.add_row(*cells)
        return table
