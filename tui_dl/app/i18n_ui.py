"""The app's side of the language switch: widgets that keep their English source text, and the relabel walk.

A view shows text in two ways, and each follows a language switch (:meth:`tui_dl.app.app.TuiDL.set_language`):

- text fixed at compose time (a heading, a button, a hint): use :class:`TStatic` or :class:`TLabel`
  with the English source (``TLabel(N_("Epochs"))`` or with ``fmt`` for placeholders); they
  translate it when shown and again after a switch;
- text the view renders from its state (tables, the shape table, the log's lines yet to come): the view's
  ``relabel()`` method renders it again (usually by calling what it already calls to show that state).

:func:`relabel_app` calls ``relabel()`` on every widget of every screen that has one, children first.
:class:`TFooter` is Textual's footer with the key labels translated (the key table keeps English labels).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Footer, Label, Static
from textual.widgets._footer import FooterKey

from tui_dl.core.i18n import gettext, is_chinese, text_width


def _text(source: str, fmt: dict[str, Any] | None) -> str:
    text = gettext(source)
    return text.format(**fmt) if fmt else text


class _Translated:
    """A widget whose text is an English source translated when shown (``source``, and ``fmt`` if any)."""

    source: str
    fmt: dict[str, Any] | None

    def relabel(self) -> None:
        self.update(_text(self.source, self.fmt))  # type: ignore[attr-defined]


class TStatic(_Translated, Static):
    """A :class:`Static` showing ``source`` translated (``TStatic(N_("Input shape"), id=...)``)."""

    def __init__(self, source: str = "", *, fmt: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.source, self.fmt = source, fmt
        super().__init__(_text(source, fmt), **kwargs)


class TLabel(_Translated, Label):
    """A :class:`Label` showing ``source`` translated."""

    def __init__(self, source: str = "", *, fmt: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.source, self.fmt = source, fmt
        super().__init__(_text(source, fmt), **kwargs)


class TFooter(Footer):
    """Textual's footer, with each key's label translated from the key table's English."""

    #: below this width a Chinese footer drops the gaps between keys: its labels take two cells a character
    COMPACT_BELOW = 110

    def _wants_compact(self) -> bool:
        return is_chinese() and 0 < self.app.size.width < self.COMPACT_BELOW

    def on_resize(self, event) -> None:
        if self._wants_compact() != self.compact:
            self.compact = self._wants_compact()
        if event.size.width != getattr(self, "_laid_out_for", None):
            self.call_later(self.recompose)  # which keys fit has changed

    @staticmethod
    def key_cells(key: FooterKey, compact: bool) -> int:
        """The cells a key takes in the footer, its margin included (Textual's FooterKey and Footer CSS)."""
        # key padding 0 1 and description padding 0 1 0 0; compact: key padding 0, description 0 0 0 1, margin 1
        key_w, desc_w = text_width(key.key_display), text_width(key.description)
        if compact:
            return key_w + (1 + desc_w if key.description else 0) + 1
        return key_w + 2 + (desc_w + 1 if key.description else 0)

    def compose(self):
        if self._wants_compact() != self.compact:
            self.compact = self._wants_compact()  # after a switch of language (relabel_app recomposes)
        widgets = list(super().compose())
        for widget in widgets:
            if isinstance(widget, FooterKey):
                widget.description = gettext(widget.description)
                if isinstance(widget.tooltip, str):
                    widget.tooltip = gettext(widget.tooltip)
        # The keys that do not fit are left out (help and the command palette still list them): past the edge
        # they ran under the docked ctrl+p label, and a Chinese character cut there blanked its cells.
        width = self._laid_out_for = self.size.width or self.app.size.width
        # the palette key (docked right): its left border stands in for the gap a key has; compact, its margin
        # shifts it one cell more (measured on Textual 8.2)
        room = width - sum(self.key_cells(w, self.compact) + (1 if self.compact else 0) for w in widgets
                           if isinstance(w, FooterKey) and w.has_class("-command-palette"))
        for widget in widgets:
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                room -= self.key_cells(widget, self.compact)
                if room < 0:
                    continue
            yield widget


def relabel_app(app: App) -> int:
    """Call ``relabel()`` on every mounted widget of every screen that defines it (children before their
    parents, so a view's own relabel sees its parts already done); returns how many were relabelled. The
    footers recompose through ``refresh_bindings``."""
    count = 0
    for screen in list(app.screen_stack):
        nodes = list(screen.walk_children(with_self=True))
        for node in reversed(nodes):
            relabel = getattr(node, "relabel", None)
            if callable(relabel) and node.is_attached:
                relabel()
                count += 1
        for footer in screen.query(Footer):
            footer.call_later(footer.recompose)  # a coroutine: run it on the footer's own queue
    app.refresh_bindings()
    return count
