"""The layer palette: every registry kind, grouped (convolution, pooling, linear, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.core.i18n import _, N_
from tui_dl.core.model.layers import GROUPS, REGISTRY, by_group

#: The palette's group headings, by group id.
GROUP_TITLES = {
    "convolution": N_("CONVOLUTION"), "pooling": N_("POOLING"), "linear": N_("LINEAR"),
    "activation": N_("ACTIVATION"), "normalization": N_("NORMALIZATION"),
    "regularization": N_("REGULARIZATION"), "structure": N_("STRUCTURE"),
}


def group_title(group: str) -> str:
    return _(GROUP_TITLES[group]) if group in GROUP_TITLES else group.upper()


def kind_prompt(kind) -> Table:
    """A kind's name and its description in two columns: a long description wraps under itself, not under the
    name ("… learned filters over" / "image" back at the left edge)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=19, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text("  " + kind.name, style="bold"), Text(_(kind.summary), style="dim"))
    return grid


def palette_options(filter_text: str = "", with_summary: bool = False) -> list[Option]:
    """Options for each kind under a disabled group header; kinds are the option ids."""
    needle = filter_text.strip().lower()
    options: list[Option] = []
    for group, kinds in by_group().items():
        hits = [k for k in kinds if not needle or needle in k.name.lower() or needle in k.summary.lower()
                or needle in _(k.summary).lower() or needle in group or needle in group_title(group).lower()]
        if not hits:
            continue
        options.append(Option(Text(group_title(group), style="bold dim"), disabled=True, id=f"group:{group}"))
        for k in hits:
            if with_summary:
                prompt = kind_prompt(k)
            else:
                prompt = Text("  " + k.name)
            options.append(Option(prompt, id=k.name))
    return options


class LayerPalette(Vertical):
    """Enter (or a click) on a kind posts :class:`LayerPalette.Picked`."""

    DEFAULT_CSS = """
    LayerPalette { height: 1fr; }
    LayerPalette > OptionList { height: 1fr; border: none; padding: 0; }
    LayerPalette > #palette-summary { height: auto; min-height: 3; color: $text-muted; padding: 0 1; }
    """

    @dataclass
    class Picked(Message):
        kind: str

    def compose(self):
        yield OptionList(*palette_options(), id="palette-list")
        yield Static("", id="palette-summary")

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        for i, opt in enumerate(lst.options):
            if not opt.disabled:
                lst.highlighted = i
                break

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        kind = REGISTRY.get(event.option.id or "")
        if kind:
            self._show_summary(kind)

    def _show_summary(self, kind) -> None:
        self.query_one("#palette-summary", Static).update(Text.assemble((kind.name, "bold"), "\n", _(kind.summary)))

    def relabel(self) -> None:
        """After a language switch: the group headings and the summary in the new language."""
        lst = self.query_one(OptionList)
        highlighted = lst.highlighted
        lst.clear_options()
        lst.add_options(palette_options())
        if highlighted is not None:
            lst.highlighted = highlighted
        option = lst.highlighted_option if lst.highlighted is not None else None
        kind = REGISTRY.get(option.id or "") if option is not None else None
        if kind:
            self._show_summary(kind)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in REGISTRY:
            self.post_message(self.Picked(event.option.id))


assert set(GROUPS) >= {k.group for k in REGISTRY.values()}
