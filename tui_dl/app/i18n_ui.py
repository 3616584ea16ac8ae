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

from tui_dl.core.i18n import gettext


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

    def compose(self):
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = gettext(widget.description)
                if isinstance(widget.tooltip, str):
                    widget.tooltip = gettext(widget.tooltip)
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
