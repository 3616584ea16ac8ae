"""A yes/no question (``ModalScreen[bool]``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_dl.app.screens.modal import Modal
from tui_dl.core.i18n import _, N_


class ConfirmModal(Modal[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), show=False),
        Binding("n,escape", "answer(False)", N_("No"), show=False),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = N_("Yes"), no: str = N_("No")) -> None:
        super().__init__()
        self.question, self.detail, self.yes, self.no = question, detail, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="confirm"):
            yield Static(self.question, id="question")
            if self.detail:
                yield Static(self.detail, id="question-detail")
            with Horizontal(id="buttons"):
                yield Button(_("{label} (y)").format(label=_(self.yes)), variant="error", id="yes")
                yield Button(_("{label} (n)").format(label=_(self.no)), variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.close(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.close(value)
