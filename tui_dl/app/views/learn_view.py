"""Learn view: the labs in a list (left) and the lab chosen (right), each showing the course's ideas on small
numbers with every step written out. The maths is the core's (:mod:`tui_dl.core.labs`); the labs only draw it.

The view binds the Learn keys (:mod:`tui_dl.app.keys`) and hands each to the lab shown. Work that loads torch
(the optimizer race, the autograd check) is asked of the app with a
:class:`~tui_dl.app.messages.LabRequested` message; the app's lab controller runs it on a worker thread and
its answer comes back through :meth:`LearnView.computed`.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import ContentSwitcher, OptionList
from textual.widgets.option_list import Option

from tui_dl.app.keys import bindings
from tui_dl.app.messages import LabComputed, ViewMounted
from tui_dl.app.views.learn import PANES
from tui_dl.app.views.learn.base import LabPane
from tui_dl.core.i18n import _
from tui_dl.core.labs import LABS


class LabList(OptionList, inherit_bindings=False):
    """The list of labs: ↑/↓ choose one. Home/end are left to the lab shown (its first / last window, step...)."""

    BINDINGS = [Binding("down", "cursor_down", show=False), Binding("up", "cursor_up", show=False),
                Binding("enter", "select", show=False), Binding("pagedown", "page_down", show=False),
                Binding("pageup", "page_up", show=False)]


class LearnView(Horizontal):
    BINDINGS = bindings("Learn")  # see tui_dl.app.keys

    DEFAULT_CSS = """
    LearnView { height: 1fr; }
    LearnView #lab-list { width: 14; height: 1fr; padding: 0; }
    LearnView #lab-switcher { width: 1fr; height: 1fr; }
    """

    ready = False
    """True once mounted: the app talks to the view only then."""

    def compose(self) -> ComposeResult:
        labs = LabList(*[Option(_(PANES[name].TITLE), id=name) for name in LABS], id="lab-list", classes="panel")
        labs.border_title = _("Labs")
        labs.border_subtitle = "↑↓"
        yield labs
        with ContentSwitcher(id="lab-switcher", initial=f"lab-{LABS[0]}", classes="panel"):
            for name in LABS:
                yield PANES[name]()

    def on_mount(self) -> None:
        self.ready = True
        self._titled(LABS[0])
        self.post_message(ViewMounted("learn"))

    def on_unmount(self) -> None:
        self.ready = False

    def relabel(self) -> None:
        """Re-translate the list of labs and the lab's title (after a language switch; the labs redraw
        themselves)."""
        labs = self.query_one("#lab-list", OptionList)
        labs.border_title = _("Labs")
        for name in LABS:
            labs.replace_option_prompt(name, _(PANES[name].TITLE))
        self._titled(self.lab)

    # ------------------------------------------------------------------ which lab
    @property
    def lab(self) -> str:
        return (self.query_one(ContentSwitcher).current or f"lab-{LABS[0]}").removeprefix("lab-")

    def pane(self, name: str | None = None) -> LabPane:
        return self.query_one(f"#lab-{name or self.lab}", LabPane)

    def show_lab(self, name: str, settings: dict | None = None) -> None:
        """Show lab ``name`` (one of :data:`~tui_dl.core.labs.LABS`), with these inputs if given."""
        if name not in LABS:
            return
        switcher = self.query_one(ContentSwitcher)
        if switcher.current != f"lab-{name}":
            switcher.current = f"lab-{name}"
            labs = self.query_one("#lab-list", OptionList)
            index = LABS.index(name)
            if labs.highlighted != index:
                with labs.prevent(OptionList.OptionHighlighted):
                    labs.highlighted = index
            self._titled(name)
        pane = self.pane(name)
        if settings:
            pane.apply(settings)
        pane.activated()

    def _titled(self, name: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.border_title = _(PANES[name].HEADING)

    @on(OptionList.OptionHighlighted, "#lab-list")
    def _lab_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.show_lab(event.option.id)

    @on(OptionList.OptionSelected, "#lab-list")
    def _lab_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.show_lab(event.option.id)

    def open_link(self, link) -> None:
        """Open the lab of a Build-view layer ("try it"): a :class:`~tui_dl.app.lab_links.LabLink`."""
        self.show_lab(link.lab, link.settings)
        self.notify(_("Opened {lab}.").format(lab=link.text), timeout=4)

    def computed(self, message: LabComputed) -> None:
        """A worker's answer, for the lab that asked."""
        if message.lab in LABS:
            self.pane(message.lab).computed(message)

    def focus_default(self) -> None:
        self.query_one("#lab-list").focus(scroll_visible=False)

    # ------------------------------------------------------------------ the Learn keys, for the lab shown
    def action_step(self, n: int) -> None:
        self.pane().step(n)

    def action_bump(self, n: int) -> None:
        self.pane().bump(n)

    def action_mode(self) -> None:
        self.pane().mode()

    def action_overlay(self) -> None:
        self.pane().overlay()

    def action_toggle_loss(self) -> None:
        self.pane().toggle_loss()

    def action_autograd(self) -> None:
        self.pane().autograd()

    def action_take_update(self) -> None:
        self.pane().take_update()

    def action_next_optimizer(self) -> None:
        self.pane().next_optimizer()

    def action_cycle_beta(self) -> None:
        self.pane().cycle_beta()

    def action_variant(self) -> None:
        self.pane().variant()

    def action_move_start(self, dx: int, dy: int) -> None:
        self.pane().move_start(dx, dy)

    def action_focus_list(self) -> None:
        self.focus_default()
