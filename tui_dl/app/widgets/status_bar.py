"""One line under every view: the experiment, the training state and the device."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_dl.app.logfmt import duration
from tui_dl.app.widgets.colors import palette
from tui_dl.core.training.events import StepDone


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.doc_text = ""
        self.modified = False
        self.state = "idle"          # idle, starting, running, paused, stopping, finished text
        self.state_detail = ""
        self.step: StepDone | None = None
        self.epochs = 0
        self.device = "detecting device…"

    def set(self, **values) -> None:
        for k, v in values.items():
            setattr(self, k, v)
        self.refresh()

    def on_resize(self) -> None:
        self.refresh()

    def render(self):
        pal = palette(self.app)
        width = max(20, (self.size.width or 100))
        left = Text.assemble((self.doc_text, "bold"), ("  ● modified" if self.modified else "", pal.warning))
        state = Text()
        icon = {"idle": ("○", pal.muted), "starting": ("◌", pal.accent), "running": ("●", pal.success),
                "paused": ("❚❚", pal.warning), "stopping": ("■", pal.warning)}.get(self.state, ("■", pal.muted))
        state.append(f"{icon[0]} {self.state}", style=f"bold {icon[1]}")
        s = self.step
        if s is not None and self.state in ("running", "paused", "stopping"):
            state.append(f"  epoch {s.epoch}/{self.epochs or '?'}  step {s.batch}/{s.batches}  loss {s.loss:.4f}  "
                         f"{s.images_per_second:,.0f} img/s  ETA {duration(s.eta)}")
        elif self.state_detail:
            state.append("  " + self.state_detail)
        dev = Text(self.device, style=pal.muted)
        line = Text.assemble(left, "  │  ", state)
        room = width - 2 - dev.cell_len - 3
        if line.cell_len > room:
            line = Text.assemble(state)
            if line.cell_len > room:
                line.truncate(max(10, width - 2), overflow="ellipsis")
                return line
        line.append(" " * max(1, room - line.cell_len + 3))
        line.append_text(dev)
        return line
