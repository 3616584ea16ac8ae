"""Pick the activation that replaces every activation of the network (``ModalScreen[str | None]``): the Build
view's "replace every activation with…", so ReLU ↔ Sigmoid is one key and one undo step, not eight edits."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.app.editing import hidden_activation_kinds
from tui_dl.app.i18n_ui import TStatic
from tui_dl.app.screens.modal import Modal
from tui_dl.core.i18n import _, N_, ljust, truncate
from tui_dl.core.model.layers import REGISTRY


def activation_options(counts: dict[str, int], width: int = 44) -> list[Option]:
    """One option per hidden activation kind (the id is the kind), with how many layers have it now; each
    description shortened to ``width`` characters."""
    out = []
    for name in hidden_activation_kinds():
        have = counts.get(name, 0)
        prompt = Text.assemble(("  " + name.ljust(11), "bold"), ((f"×{have}" if have else "").ljust(4), "bold"),
                               (_short(_(REGISTRY[name].summary), width), "dim"))
        out.append(Option(prompt, id=name))
    return out


def _short(text: str, width: int = 44) -> str:
    """One line (the list wraps long prompts)."""
    return truncate(text, width)


class ActivationModal(Modal[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), show=False)]

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__()
        self.counts = dict(counts)

    def compose(self) -> ComposeResult:
        now = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        with Vertical(id="dialog", classes="picker"):
            yield TStatic(N_("Replace every activation (now {now}) with…"), fmt={"now": now}, classes="dialog-title")
            # the dialog is 90% of the screen (at most 110): what is left beside the name and the count
            room = min(int(self.app.size.width * 0.9), 110) - 24
            yield OptionList(*activation_options(self.counts, max(20, room)), id="activation-choices")
            yield TStatic(N_("enter replace (one undo step) · ↑↓ choose · esc cancel"), classes="dialog-help")

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        kinds = hidden_activation_kinds()
        # start on the first kind the network does not use yet (ReLU nets start on the next one, not ReLU)
        lst.highlighted = next((i for i, k in enumerate(kinds) if k not in self.counts), 0)
        lst.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.close(event.option.id)

    def action_cancel(self) -> None:
        self.close(None)
