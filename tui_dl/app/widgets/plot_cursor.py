"""The epoch cursor under the Train plots: ``[`` / ``]`` move it, and it reads every plotted run's exact values at
that epoch (validation accuracy, validation loss, train loss), each in its curve's colour, so overlaid curves
that look alike can be told apart by their numbers. A thin widget: the numbers come from the runs' epoch
records, nothing is computed here."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from tui_dl.app.widgets.colors import rgb_hex
from tui_dl.app.widgets.plots import theme_rgb

__all__ = ["PlotCursor", "cursor_values", "last_epoch"]


def last_epoch(runs) -> int:
    """The largest epoch any of the runs has finished (0 for none)."""
    return max((e.epoch for r in runs for e in r.epochs), default=0)


def _pct(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{100 * v:.2f}%"


def _num(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.4f}"


def cursor_values(run, epoch: int) -> str:
    """``val 95.00% · val loss 0.2000 · train loss 0.3100`` at ``epoch`` (``no epoch 3`` when it has none)."""
    e = next((x for x in run.epochs if x.epoch == epoch), None)
    if e is None:
        return f"no epoch {epoch}"
    parts = []
    if e.val_accuracy is not None:
        parts.append(f"val {_pct(e.val_accuracy)}")
    if e.val_loss is not None:
        parts.append(f"val loss {_num(e.val_loss)}")
    parts.append(f"train loss {_num(e.train_loss)}")
    return " · ".join(parts)


class PlotCursor(Static):
    DEFAULT_CSS = """
    PlotCursor { height: auto; max-height: 7; padding: 0 1; display: none; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.epoch: int | None = None

    def show_at(self, epoch: int | None, runs: list, colors: dict, labels: dict[int, str]) -> None:
        """The values of ``runs`` at ``epoch`` (None: hide); ``colors``/``labels`` by run id."""
        self.epoch = epoch
        self.display = epoch is not None and bool(runs)
        if not self.display:
            self.update("")
            return
        head = Text.assemble(f"▏epoch {epoch}:", (" [ ] move the cursor", "dim"))
        lines = [head]
        for r in runs:
            color = rgb_hex(theme_rgb(self.app, colors.get(r.id, "primary")))
            lines.append(Text.assemble(("■ ", f"bold {color}"), (labels.get(r.id, f"#{r.id}") + ":", color), " ",
                                       cursor_values(r, epoch)))
        self.update(Text("\n").join(lines))

    @property
    def text(self) -> str:
        return self.render().plain if self.display else ""
