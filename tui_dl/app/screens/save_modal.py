"""Ask where to save the experiment (``ModalScreen[str | None]``)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui_dl.app.i18n_ui import TStatic
from tui_dl.app.screens.modal import Modal
from tui_dl.core.i18n import _, N_


class SaveModal(Modal[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), show=False)]

    def __init__(self, default_path: str, note: str = "") -> None:
        super().__init__()
        self.default_path = default_path
        self.note = note  # why the default is not the opened file (a shipped preset)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="save"):
            yield TStatic(N_("Save the experiment as YAML"), classes="dialog-title")
            if self.note:
                yield Static(Text(self.note), id="save-why", classes="dialog-note")
            yield Input(self.default_path, placeholder=_("path/to/file.yaml"), id="save-path")
            yield TStatic(N_("The file holds the network, data and train settings; `tui-dl FILE` or "
                             "`tui-dl --batch FILE` opens it again. Comments in an existing file are not kept."),
                         classes="dialog-note")
            yield TStatic(N_("enter save · esc cancel"), classes="dialog-help")

    def relabel(self) -> None:
        self.query_one("#save-path", Input).placeholder = _("path/to/file.yaml")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self.close(path)

    def action_cancel(self) -> None:
        self.close(None)
