"""The network as an editable list: the input row, then every layer (inner layers of a Residual
block indented), errors in red with their message, warnings marked."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui_dl.app.editing import path_from_text, path_text
from tui_dl.app.widgets.colors import palette
from tui_dl.core.i18n import _, pgettext, wrap_cells
from tui_dl.core.model.layers import shape_str
from tui_dl.core.model.shapes import Summary



def _is_input_error(message: str) -> bool:
    """Whether a summary error is the input shape's (the core's message, in English or translated)."""
    source = "the input shape {shape} is not valid: use [features] or [channels, height, width]."
    return any(message.startswith(text.split("{", 1)[0]) for text in {source, _(source)})


class LayerStack(OptionList):
    """Posts :class:`LayerStack.Selected` when the highlighted row changes."""

    DEFAULT_CSS = """
    LayerStack { height: 1fr; }
    """

    @dataclass
    class Selected(Message):
        stack: "LayerStack"
        path: tuple[int, ...] | None

        @property
        def control(self) -> "LayerStack":
            return self.stack

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._ids: list[str] = []
        self._quiet = False

    def show(self, summary: Summary, selection: tuple[int, ...] | None) -> None:
        self._last = (summary, selection)
        pal = palette(self.app)
        width = max(16, (self.content_size.width or 36) - 2)

        def wrapped(message: str, indent: str, style: str) -> Text:
            lines = wrap_cells(message, max(10, width - len(indent))) or [""]
            return Text("".join(f"\n{indent}{line}" for line in lines), style=style)

        ids = ["input"] + [path_text(r.path) for r in summary.rows]
        prompts = []
        head = Text.assemble(("  " + pgettext("shapes table", "in") + " ", pal.muted), (_("Input") + " ", "bold"),
                             (shape_str(summary.input_shape), pal.accent))
        if summary.errors and not summary.rows:
            head.append(f"\n     {summary.errors[0]}", style=pal.muted)
        elif summary.errors and _is_input_error(summary.errors[0]):
            head.append(f"\n     ✗ {summary.errors[0]}", style=pal.error)
        prompts.append(head)
        for r in summary.rows:
            idx = r.index_text
            indent = "  " * r.depth
            text = Text(f"{idx:>4} {indent}", style=pal.muted)
            if r.error:
                text.append("✗ ", style=f"bold {pal.error}")
                text.append(r.label, style=f"bold {pal.error}")
                text.append_text(wrapped(r.error, "     " + indent, pal.error))
                if r.fix:
                    text.append_text(wrapped(f"f: {r.fix.description}", "     " + indent, f"bold {pal.error}"))
            elif r.skipped:
                text.append(r.label, style=pal.muted)
            else:
                text.append(r.label)
                if r.warnings:
                    text.append(" ⚠", style=pal.warning)
            prompts.append(text)
        self._quiet = True
        try:
            if ids == self._ids:
                for oid, prompt in zip(ids, prompts):
                    self.replace_option_prompt(oid, prompt)
            else:
                keep = self.scroll_y
                self.clear_options()
                self.add_options([Option(p, id=i) for p, i in zip(prompts, ids)])
                self.scroll_to(y=keep, animate=False, immediate=True)
                self._ids = ids
            self.select_path(selection)
        finally:
            self._quiet = False

    def current_path(self) -> tuple[int, ...] | None | bool:
        """The highlighted row's path now (False when nothing is highlighted)."""
        if self.highlighted is None or not 0 <= self.highlighted < len(self._ids):
            return False
        return path_from_text(self._ids[self.highlighted])

    def relabel(self) -> None:
        """After a language switch: the input row and the errors in the new language."""
        self.on_resize()

    def on_resize(self) -> None:
        last = getattr(self, "_last", None)
        if last is not None:  # re-wrap the error messages for the new width, keeping the highlight
            current = self.current_path()
            self.show(last[0], last[1] if current is False else current)

    def select_path(self, path: tuple[int, ...] | None) -> None:
        oid = path_text(path)
        if oid in self._ids:
            index = self._ids.index(oid)
            if self.highlighted != index:
                was = self._quiet
                self._quiet = True
                try:
                    self.highlighted = index
                finally:
                    self._quiet = was

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self._quiet or event.option.id is None:
            return
        self.post_message(self.Selected(self, path_from_text(event.option.id)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter on a row: the view moves focus to the row's form.
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(self, path_from_text(event.option.id)))
            self.post_message(self.Activated(self))

    @dataclass
    class Activated(Message):
        stack: "LayerStack"
