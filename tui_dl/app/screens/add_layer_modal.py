"""Pick a layer kind: type to filter, arrows and enter to choose (``ModalScreen[str | None]``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.app.i18n_ui import TStatic
from tui_dl.app.screens.modal import Modal
from tui_dl.core.i18n import _, N_

from tui_dl.app.widgets.palette import kind_prompt, palette_options
from tui_dl.core.model.layers import REGISTRY, LayerKind


def ranked_kinds(text: str) -> list[LayerKind]:
    """The layer kinds that match what was typed, best first: the name itself, then names that start with it,
    then names that contain it, then kinds whose description or group mentions it (registry order within each).
    ``lin`` → Linear first, ``sig`` → Sigmoid, ``elu`` → ELU before ReLU and GELU."""
    needle = text.strip().lower()
    kinds = list(REGISTRY.values())
    if not needle:
        return kinds

    def rank(k: LayerKind) -> int | None:
        name = k.name.lower()
        if name == needle:
            return 0
        if name.startswith(needle):
            return 1
        if needle in name:
            return 2
        if any(needle in t.lower() for t in (k.summary, k.group, _(k.summary), _(k.group))):
            return 3
        return None

    ranked = [(r, i, k) for i, k in enumerate(kinds) if (r := rank(k)) is not None]
    return [k for _r, _i, k in sorted(ranked, key=lambda t: (t[0], t[1]))]


def ranked_options(text: str) -> list[Option]:
    """The picker's list: grouped like the palette while nothing is typed, else the ranked matches."""
    if not text.strip():
        return palette_options(with_summary=True)
    return [Option(kind_prompt(k), id=k.name) for k in ranked_kinds(text)]


FILTER_HINT = N_("type to filter: conv, pool, relu, norm…")


class AddLayerModal(Modal[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, title: str = N_("Add a layer")) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="picker"):
            yield TStatic(self.title_text, classes="dialog-title")
            yield Input(placeholder=_(FILTER_HINT), id="layer-filter")
            yield OptionList(*ranked_options(""), id="layer-choices")
            yield TStatic(N_("enter add · ↑↓ choose · esc cancel"), classes="dialog-help")

    def on_mount(self) -> None:
        self._first()

    def relabel(self) -> None:
        self.query_one("#layer-filter", Input).placeholder = _(FILTER_HINT)

    def _first(self) -> None:
        lst = self.query_one(OptionList)
        for i, opt in enumerate(lst.options):
            if not opt.disabled:
                lst.highlighted = i
                return

    def on_input_changed(self, event: Input.Changed) -> None:
        lst = self.query_one(OptionList)
        lst.clear_options()
        lst.add_options(ranked_options(event.value))
        self._first()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        lst = self.query_one(OptionList)
        if lst.highlighted is not None:
            opt = lst.get_option_at_index(lst.highlighted)
            if opt.id in REGISTRY:
                self.close(opt.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in REGISTRY:
            self.close(event.option.id)

    def action_move(self, delta: int) -> None:
        lst = self.query_one(OptionList)
        if delta > 0:
            lst.action_cursor_down()
        else:
            lst.action_cursor_up()

    def action_cancel(self) -> None:
        self.close(None)
