"""Pick a layer kind: type to filter, arrows and enter to choose (``ModalScreen[str | None]``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from tui_dl.app.widgets.palette import palette_options
from tui_dl.core.model.layers import REGISTRY


class AddLayerModal(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, title: str = "Add a layer") -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="picker"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(placeholder="type to filter: conv, pool, relu, norm…", id="layer-filter")
            yield OptionList(*palette_options(with_summary=True), id="layer-choices")
            yield Static("enter add · ↑↓ choose · esc cancel", classes="dialog-help")

    def on_mount(self) -> None:
        self._first()

    def _first(self) -> None:
        lst = self.query_one(OptionList)
        for i, opt in enumerate(lst.options):
            if not opt.disabled:
                lst.highlighted = i
                return

    def on_input_changed(self, event: Input.Changed) -> None:
        lst = self.query_one(OptionList)
        lst.clear_options()
        lst.add_options(palette_options(event.value, with_summary=True))
        self._first()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        lst = self.query_one(OptionList)
        if lst.highlighted is not None:
            opt = lst.get_option_at_index(lst.highlighted)
            if opt.id in REGISTRY:
                self.dismiss(opt.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in REGISTRY:
            self.dismiss(event.option.id)

    def action_move(self, delta: int) -> None:
        lst = self.query_one(OptionList)
        if delta > 0:
            lst.action_cursor_down()
        else:
            lst.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
