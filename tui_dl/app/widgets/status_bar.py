"""One line under every view: the experiment, the training state and the device."""

from __future__ import annotations

from pathlib import PurePath

from rich.text import Text
from textual.widgets import Static

from tui_dl.app.logfmt import duration
from tui_dl.app.widgets.colors import palette
from tui_dl.core.device_names import device_text
from tui_dl.core.i18n import N_, _
from tui_dl.core.training.events import StepDone


#: The training states the bar shows (English sources: the train controller sets them, the bar translates them).
STATES = {"idle": N_("idle"), "starting": N_("starting"), "running": N_("running"), "paused": N_("paused"),
          "stopping": N_("stopping")}
#: Until the device probe answers.
DETECTING = N_("detecting device…")


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
        self.device = DETECTING
        #: The run's images per second averaged over a few seconds (a step's own rate swings), when known.
        self.rate: float | None = None

    def set(self, **values) -> None:
        for k, v in values.items():
            setattr(self, k, v)
        self.refresh()

    def on_resize(self) -> None:
        self.refresh()

    def _doc(self, short: bool) -> Text:
        """The experiment: ``LeNet-5 · presets/lenet5.yaml``, or just ``lenet5.yaml`` where room is short."""
        pal = palette(self.app)
        name, _sep, where = self.doc_text.rpartition(" · ")
        text = self.doc_text
        if short and name:
            text = _("{name} (not saved)").format(name=name) if where == _("not saved yet") else PurePath(where).name
        mark = (" ●" if short else "  ● " + _("modified")) if self.modified else ""
        return Text.assemble((text, "bold"), (mark, pal.warning))

    def _state(self, short: bool) -> Text:
        pal = palette(self.app)
        state = Text()
        icon = {"idle": ("○", pal.muted), "starting": ("◌", pal.accent), "running": ("●", pal.success),
                "paused": ("❚❚", pal.warning), "stopping": ("■", pal.warning)}.get(self.state, ("■", pal.muted))
        state.append(f"{icon[0]} {_(STATES.get(self.state, self.state))}", style=f"bold {icon[1]}")
        s = self.step
        if s is not None and self.state in ("running", "paused", "stopping"):
            rate = self.rate if self.rate is not None else s.images_per_second
            if short:
                # TRANSLATORS: the status bar while training, where room is short: e = epoch (轮)
                state.append(_(" e{epoch}/{epochs} {batch}/{batches} loss {loss:.4f} {rate:,.0f} img/s ETA {eta}")
                             .format(epoch=s.epoch, epochs=self.epochs or "?", batch=s.batch, batches=s.batches,
                                     loss=s.loss, rate=rate, eta=duration(s.eta)))
            else:
                state.append(_("  epoch {epoch}/{epochs}  step {batch}/{batches}  loss {loss:.4f}  {rate:,.0f} img/s  "
                               "ETA {eta}").format(epoch=s.epoch, epochs=self.epochs or "?", batch=s.batch,
                                                   batches=s.batches, loss=s.loss, rate=rate, eta=duration(s.eta)))
        elif self.state_detail:
            state.append("  " + self.state_detail)
        return state

    def render(self):
        pal = palette(self.app)
        room = max(20, (self.size.width or 100)) - 2
        dev = Text(device_text(_(self.device)), style=pal.muted)
        # the whole line; then without the device; then the file's name alone and the numbers closer together;
        # last, the state cut short: the file is never dropped
        for short, with_device in ((False, True), (False, False), (True, True), (True, False)):
            line = Text.assemble(self._doc(short), "  │  " if not short else " │ ", self._state(short))
            if with_device and line.cell_len + 3 + dev.cell_len <= room:
                line.append(" " * (room - line.cell_len - dev.cell_len))
                line.append_text(dev)
                return line
            if not with_device and line.cell_len <= room:
                return line
        line.truncate(room, overflow="ellipsis")
        return line
