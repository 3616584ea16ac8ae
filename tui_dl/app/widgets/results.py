"""The finished run's result: test accuracy, per-class accuracy and the confusion matrix.

The matrix is drawn as a grid of numbers (counts, or % of the row) when the pane is wide and tall enough for all
of it; otherwise the pane lists the per-class accuracy and the most frequent confusions, and the Train view's
zoom key shows the whole matrix. A cell of the grid can be chosen (the arrow keys move a cursor, a click picks
one): :class:`ResultPanel.CellChosen` asks for the gallery of its images.
"""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.color import Color
from textual.message import Message
from textual.widgets import Static

from tui_dl.app.logfmt import pct
from tui_dl.app.widgets.colors import palette
from tui_dl.core.i18n import _, N_, wrap_parts
from tui_dl.core.training.best_epoch import best_epoch_line
from tui_dl.core.training.events import Finished


class ResultPanel(Static):
    """Renders a :class:`Finished` event: counts, else percentages, else the compact summary, whatever fits."""

    DEFAULT_CSS = """
    ResultPanel { height: auto; }
    """

    class CellChosen(Message):
        """A confusion-matrix cell was chosen: the images of true class ``true`` predicted as ``predicted``."""

        def __init__(self, true: int, predicted: int) -> None:
            super().__init__()
            self.true = true
            self.predicted = predicted

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.finished: Finished | None = None
        #: The English source of what shows before a run finishes (translated when drawn).
        self.placeholder = N_("The test accuracy and the confusion matrix appear here when a run finishes.")
        #: The chosen cell (row = true, column = predicted), drawn reversed; None until the arrows move it.
        self.cell: tuple[int, int] | None = None
        #: Where the last grid was drawn: (first matrix line, label width, cell width, classes), for clicks.
        self._grid_at: tuple[int, int, int, int] | None = None

    @property
    def grid_shown(self) -> bool:
        f = self.finished
        return f is not None and bool(f.confusion) and self._grid_fits(f)

    def move_cell(self, dx: int, dy: int) -> bool:
        """Move the cell cursor (it starts on the first diagonal cell); False when no grid is shown."""
        if not self.grid_shown:
            return False
        n = len(self.finished.confusion)
        if self.cell is None:
            self.cell = (0, 0)
        else:
            r, c = self.cell
            self.cell = (max(0, min(n - 1, r + dy)), max(0, min(n - 1, c + dx)))
        self.refresh()
        return True

    def choose_cell(self) -> bool:
        if not self.grid_shown or self.cell is None:
            return False
        self.post_message(self.CellChosen(*self.cell))
        return True

    def on_click(self, event) -> None:
        at = self._grid_at
        if at is None or not self.grid_shown:
            return
        top, label_w, cell_w, n = at
        row, x = event.y - top, event.x - label_w
        if 0 <= row < n and x >= 0 and x // cell_w < n:
            self.cell = (row, x // cell_w)
            self.refresh()
            self.post_message(self.CellChosen(*self.cell))

    def show(self, finished: Finished | None, placeholder: str | None = None) -> None:
        if finished is not self.finished:
            self.cell = None
        self.finished = finished
        if placeholder is not None:
            self.placeholder = placeholder
        self.refresh(layout=True)

    def on_resize(self) -> None:
        self.refresh()

    def relabel(self) -> None:
        """After a language switch (the placeholder is translated when drawn; a custom one is re-set by the
        Train view)."""
        self.refresh(layout=True)

    def render(self):
        pal = palette(self.app)
        f = self.finished
        if f is None:
            return Text(self._wrapped(_(self.placeholder)), style=pal.muted)
        parts: list = []
        head = Text.assemble((_("Test accuracy") + " ", "bold"),
                             (pct(f.test_accuracy), f"bold {pal.success}" if f.test_accuracy is not None else ""))
        if f.test_loss is not None:
            head.append("   " + _("loss {loss:.4f}").format(loss=f.test_loss), style=pal.muted)
        parts.append(head)
        sub = []
        if f.best_epoch is not None:  # the val acc at the best epoch, and the highest one (issue 13 item 20)
            sub.append(best_epoch_line(f, pct))
        cm = f.confusion
        grid = bool(cm) and self._grid_fits(f)
        if grid:
            sub.append(_("rows true, columns predicted"))
        if sub:
            parts.append(Text(self._wrapped(*sub), style=pal.muted))
        self._grid_at = None
        if cm and grid:
            width = self.size.width or 80
            top = sum(len(p.wrap(self.app.console, width)) for p in parts) + 1  # + the table's header
            table = self._matrix(f, pal)
            self._grid_at = (top, *self._grid_at[1:])
            parts.append(table)
        elif cm:
            parts.extend(self._summary(f, pal))
        elif f.test_accuracy is None:
            parts.append(Text(_("no test set evaluated for this run"), style=pal.muted))
        return Group(*parts)

    def _wrapped(self, *messages: str) -> str:
        """``messages`` joined by " · ", broken into lines here when they are Chinese: Textual wraps at spaces
        and folds a long run of Chinese (no spaces) at any cell, so a line could start with "。", "（第 2" end a
        half-empty line, or one note be cut in two where it would fit whole on the next line."""
        message = " · ".join(messages)
        if message.isascii() or self.size.width <= 2:
            return message
        return "\n".join(wrap_parts(list(messages), self.size.width))

    # ------------------------------------------------------------------ what fits
    def _space(self) -> tuple[int, int]:
        """Columns and rows the panel can show without scrolling (its scrolling box's, when it is in one)."""
        width = self.size.width or 80
        box = self.parent
        height = getattr(getattr(box, "scrollable_content_region", None), "height", 0) or 1000
        return width, height

    def _grid_layout(self, f: Finished, width: int) -> tuple[int, int, bool] | None:
        """(label width, cell width, percentages) of a matrix with numbers that fits ``width``, or None."""
        cm = f.confusion
        n = len(cm)
        classes = self._class_names(f)
        biggest = max((max(r) for r in cm if r), default=0)
        count_w = max(len(str(biggest)), 2)
        for label_w in (min(max(len(c) for c in classes), 10), min(max(len(c) for c in classes), 5)):
            if label_w + 1 + n * (count_w + 1) + 7 <= width:
                return label_w, count_w, False
            if label_w + 1 + n * 4 + 7 <= width:
                return label_w, 3, True
        return None

    def _grid_fits(self, f: Finished) -> bool:
        width, height = self._space()
        head_lines = 2 if f.best_epoch is None else 3  # test accuracy, (best epoch · rows true…), the header
        return self._grid_layout(f, width) is not None and head_lines + len(f.confusion) <= height

    @staticmethod
    def _class_names(f: Finished) -> list[str]:
        n = len(f.confusion)
        return list(f.classes) if len(f.classes) == n else [str(i) for i in range(n)]

    @staticmethod
    def _short_names(classes: list[str]) -> list[str]:
        """Class names cut to the fewest characters (at least 3, at most 5) that keep them apart."""
        for k in (3, 4, 5):
            short = [c[:k] for c in classes]
            if len(set(short)) == len(short):
                return short
        return [c[:5] for c in classes]

    def _per_class(self, f: Finished) -> list[float]:
        # the trainer's per-class accuracy (NaN for a class without test samples); a run folder that did not
        # record it shows "–" rather than a number made up here
        n = len(f.confusion)
        return list(f.per_class_accuracy) if len(f.per_class_accuracy) == n else [math.nan] * n

    def _summary(self, f: Finished, pal) -> list:
        """Per-class accuracy and the most frequent confusions, for a pane too small for the whole matrix (the
        zoom key shows it)."""
        cm = f.confusion
        names = self._short_names(self._class_names(f))
        width = max(20, self._space()[0])
        entries = []
        for i, acc in enumerate(self._per_class(f)):
            if acc is None or math.isnan(acc):
                entries.append(Text.assemble((names[i], "bold"), (" –", pal.muted)))
            else:
                style = pal.success if acc >= 0.9 else (pal.warning if acc >= 0.6 else pal.error)
                entries.append(Text.assemble((names[i], "bold"), (f" {100 * acc:.1f}", style)))
        out: list = [Text(_("accuracy per class, %"), style=pal.muted)]
        out.extend(_packed(entries, width))
        pairs = sorted(((v, i, j) for i, row in enumerate(cm) for j, v in enumerate(row) if i != j and v > 0),
                       key=lambda t: (-t[0], t[1], t[2]))[:3]
        if pairs:
            text = Text(_("confused most") + " ", style=pal.muted)
            text.append_text(Text(", ").join(Text.assemble(f"{names[i]}→{names[j]} ", (str(v), pal.error))
                                              for v, i, j in pairs))
            out.append(text)
        return out

    def _matrix(self, f: Finished, pal) -> Table:
        cm = f.confusion
        n = len(cm)
        classes = self._class_names(f)
        per_class = self._per_class(f)
        label_w, cell_w, use_pct = self._grid_layout(f, self.size.width or 80) or (5, 3, True)
        self._grid_at = (0, label_w + 1, cell_w + 1, n)
        if label_w < min(max(len(c) for c in classes), 10):
            classes = self._short_names(classes)
        dark = pal.dark
        base = Color.parse(self.app.current_theme.surface or ("#1e1e1e" if dark else "#ffffff"))
        good = Color.parse(pal.success)
        bad = Color.parse(pal.error)
        table = Table(box=None, padding=(0, 0), show_header=True, header_style=pal.muted, pad_edge=False)
        table.add_column("%" if use_pct else "", justify="right", width=label_w + 1, no_wrap=True)
        for c in classes:
            table.add_column(c[:cell_w], justify="right", width=cell_w + 1, no_wrap=True)
        # TRANSLATORS: the heading of the per-class accuracy column of the confusion matrix (6 cells at most)
        table.add_column(" " + _("acc"), justify="right", width=7, no_wrap=True)
        for i, row in enumerate(cm):
            total = sum(row) or 1
            cells = [Text(classes[i][:label_w] + " ", style=pal.muted)]
            for j, v in enumerate(row):
                share = v / total
                colour = good if i == j else bad
                strength = share if i == j else min(1.0, share * 4)
                bg = base.blend(colour, 0.15 + 0.7 * strength) if v else base
                fg = "bold" if i == j else ""
                txt = f"{round(100 * share)}" if use_pct else f"{v}"
                style = f"{fg} on {bg.hex}" if v else pal.muted
                if self.cell == (i, j):
                    style = f"bold reverse {pal.accent}"
                cells.append(Text(txt.rjust(cell_w) + " ", style=style))
            acc = per_class[i]
            if acc is None or math.isnan(acc):
                cells.append(Text("–".rjust(6), style=pal.muted))
            else:
                cells.append(Text(f"{100 * acc:5.1f}%", style=pal.success if acc >= 0.9 else (
                    pal.warning if acc >= 0.6 else pal.error)))
            table.add_row(*cells)
        return table


def _packed(entries: list[Text], width: int, gap: int = 2) -> list[Text]:
    """Entries side by side, as many to a line as fit ``width`` (an entry is never split)."""
    lines: list[Text] = []
    line = Text()
    for e in entries:
        if line.cell_len and line.cell_len + gap + e.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append(" " * gap)
        line.append_text(e)
    if line.cell_len:
        lines.append(line)
    return lines
