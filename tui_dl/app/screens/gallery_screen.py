"""The sample gallery: a finished run's test images drawn with half blocks, each with its true label, the model's
prediction and its confidence. Filters: all, one true class, the mistakes, the most confident mistakes first, or
one confusion-matrix cell (opened from the Train view's matrix).

The screen draws :class:`~tui_dl.app.insight_records.GalleryPage` records; ``app.insight`` (the insight
controller) computes them on a worker thread. ``enter`` opens what the network sees for the chosen image, ``a``
the attack on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui_dl.app.insight_records import FILTER_NAMES, FILTER_ORDER, FilterSpec, GalleryEntry, GalleryPage
from tui_dl.app.i18n_ui import TFooter
from tui_dl.app.keys import bindings
from tui_dl.core.i18n import _
from tui_dl.app.widgets.colors import palette
from tui_dl.app.widgets.picture import Tile, TileGrid, fit_width

if TYPE_CHECKING:
    from tui_dl.app.insight_controller import InsightController

#: Images fetched and drawn at a time (pgup / pgdn for the others).
PAGE = 60


def caption(entry: GalleryEntry, width: int, pal) -> list[Text]:
    """Two lines under a picture: the index and true label; the prediction and its confidence (✗ when wrong)."""
    ok = pal.success if entry.correct else pal.error
    conf = f"{100 * entry.confidence:.0f}%" if width < 20 else f"{100 * entry.confidence:.1f}%"
    if width < 20:
        first = Text.assemble((f"#{entry.index} ", pal.muted), (entry.true_name, "bold"))
        second = Text.assemble(("→", pal.muted), (f"{entry.predicted_name} ", f"bold {ok}"), (conf, ok))
    else:
        # TRANSLATORS: under a gallery picture: "#12  true 7" (its true class follows); keep it short
        first = Text.assemble((f"#{entry.index}  " + _("true") + " ", pal.muted), (entry.true_name, "bold"))
        # TRANSLATORS: under a gallery picture: "said 3 97.1%" (the model's prediction follows); keep it short
        second = Text.assemble((_("said") + " ", pal.muted), (f"{entry.predicted_name} ", f"bold {ok}"),
                               (conf, ok))
    if not entry.correct:
        second.append_text(Text.assemble(" ", ("✗", f"bold {pal.error}")))
    return [first, second]


class GalleryScreen(Screen):
    BINDINGS = bindings("Gallery")  # see tui_dl.app.keys

    DEFAULT_CSS = """
    GalleryScreen { layout: vertical; }
    GalleryScreen #gallery-head { height: auto; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
    GalleryScreen #gallery-scroll { height: 1fr; padding: 0 0 0 1; }
    GalleryScreen #gallery-status { height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    GalleryScreen #gallery-status.-error { height: auto; text-wrap: wrap; }
    """

    def __init__(self, insight: "InsightController", source: Path, flt: FilterSpec | None = None) -> None:
        super().__init__()
        self.insight = insight
        self.source = Path(source)
        self.flt = flt or FilterSpec()
        self.page: GalleryPage | None = None
        self.start = 0
        self.cursor = 0
        self.small = True
        self.class_names: list[str] = []
        self.error = ""
        self.busy = True
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="gallery-head")
        with VerticalScroll(id="gallery-scroll"):
            yield TileGrid(id="gallery-grid")
        yield Static("", id="gallery-status")
        yield TFooter()

    def on_mount(self) -> None:
        self._request()
        self.query_one("#gallery-scroll").focus()
        self._draw_head()

    # ------------------------------------------------------------------ data
    def _request(self) -> None:
        self._serial += 1
        serial = self._serial
        self.busy = True
        self._draw_status()
        self.insight.gallery_page(self.source, self.flt, self.start, PAGE,
                                  lambda page, error: self._arrived(serial, page, error))

    def _arrived(self, serial: int, page: GalleryPage | None, error: str) -> None:
        if serial != self._serial or not self.is_attached:
            return  # a newer request is on its way
        self.busy = False
        self.error = error
        if page is not None:
            self.page = page
            self.start = page.offset
            self.class_names = page.classes
            self.cursor = min(self.cursor, max(0, len(page.entries) - 1))
        self._draw()

    @property
    def entries(self) -> list[GalleryEntry]:
        return self.page.entries if self.page is not None else []

    @property
    def selected(self) -> GalleryEntry | None:
        e = self.entries
        return e[self.cursor] if e and 0 <= self.cursor < len(e) else None

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        self._draw_head()
        self._draw_tiles()
        self._draw_status()

    def _draw_head(self) -> None:
        pal = palette(self.app)
        head = Text.assemble((_("Sample gallery") + " ", "bold"), no_wrap=True, overflow="ellipsis")
        if self.page is not None:
            head.append(f"· {self.page.described()}", pal.muted)
        chips = Text("f ", "bold", no_wrap=True, overflow="ellipsis")
        kinds = list(FILTER_ORDER) + (["cell"] if self.flt.kind == "cell" else [])
        for k, kind in enumerate(kinds):
            if k:
                chips.append("· ", pal.muted)
            chips.append(_(FILTER_NAMES[kind]), "bold reverse" if kind == self.flt.kind else pal.muted)
            chips.append(" ")
        lines = [head, chips]
        if self.class_names:
            label = Text.assemble(("c/x ", "bold"), (self.flt.label(self.class_names), pal.accent))
            if chips.cell_len + 2 + label.cell_len <= self.app.size.width - 2:
                chips.append_text(Text("  ").append_text(label))
            else:  # on a line of its own rather than cut off: it says which images are shown
                lines.append(label)
        if self.page is not None:
            p = self.page
            shown = (_("images {first:,}–{last:,} of {total:,}").format(
                first=p.offset + 1, last=p.offset + len(p.entries), total=p.total) if p.entries
                else _("no images"))
            share = _("({share:.1%} of the {n:,} test images) · test accuracy {accuracy:.1%}").format(
                share=p.total / p.n_test, n=p.n_test, accuracy=p.accuracy) if p.n_test else ""
            lines.append(Text.assemble((f"{shown} ", "bold"), (share, pal.muted), no_wrap=True, overflow="ellipsis"))
        self.query_one("#gallery-head", Static).update(Text("\n", no_wrap=True, overflow="ellipsis").join(lines))

    def _draw_tiles(self) -> None:
        pal = palette(self.app)
        tiles = []
        for e in self.entries:
            native = len(e.pixels[0]) if e.pixels else 0
            w = fit_width(native, self.small)
            tiles.append(Tile(e.pixels, w, caption(e, w, pal), key=e.index, cells=e.cells.get(w)))
        grid = self.query_one("#gallery-grid", TileGrid)
        grid.set_tiles(tiles, self.cursor if tiles else None)
        self.call_after_refresh(self._scroll_to_cursor)

    def _draw_status(self) -> None:
        pal = palette(self.app)
        status = self.query_one("#gallery-status", Static)
        status.set_class(bool(self.error), "-error")
        if self.error:
            status.update(Text(f"✗ {self.error}", pal.error))
        elif self.busy:
            status.update(Text(_("Loading the model and predicting the test set…") if self.page is None
                               else _("Loading…"), pal.muted))
        elif self.page is not None and not self.entries:
            status.update(Text(_("No test image is {filter}.").format(filter=self.flt.label(self.class_names)),
                               pal.muted))
        elif (e := self.selected) is not None:
            said = (_("true {true}, the model says {predicted} with {confidence:.1f}% (right)") if e.correct else
                    _("true {true}, the model says {predicted} with {confidence:.1f}% (wrong)")).format(
                true=e.true_name, predicted=e.predicted_name, confidence=100 * e.confidence)
            status.update(Text.assemble((f"#{e.index}", "bold"), ": " + said + "   ",
                                        (_("enter: what it sees · a: attack it"), pal.muted), no_wrap=True,
                                        overflow="ellipsis"))
        else:
            status.update("")

    def relabel(self) -> None:
        """A language switch: the head, the captions and the status line drawn again."""
        self._draw()

    def _scroll_to_cursor(self) -> None:
        grid = self.query_one("#gallery-grid", TileGrid)
        if grid.tiles and self.cursor is not None and self.is_attached:
            self.query_one("#gallery-scroll", VerticalScroll).scroll_to_region(
                grid.tile_region(self.cursor), animate=False, immediate=True)

    # ------------------------------------------------------------------ actions
    def set_filter(self, flt: FilterSpec) -> None:
        self.flt = flt
        self.start = 0
        self.cursor = 0
        self._request()
        self._draw_head()

    def action_next_filter(self) -> None:
        kind = self.flt.kind
        nxt = FILTER_ORDER[(FILTER_ORDER.index(kind) + 1) % len(FILTER_ORDER)] if kind in FILTER_ORDER else "all"
        self.set_filter(FilterSpec(nxt, (self.flt.true_class or 0) if nxt == "class" else None))

    def action_next_class(self, step: int) -> None:
        k = len(self.class_names) or 10
        base = self.flt.true_class if self.flt.kind == "class" else None
        new = (0 if step > 0 else k - 1) if base is None else (base + step) % k
        self.set_filter(FilterSpec("class", new))

    def action_toggle_size(self) -> None:
        self.small = not self.small
        self._draw_tiles()

    def action_page(self, step: int) -> None:
        if self.page is None:
            return
        new = self.start + step * PAGE
        if 0 <= new < self.page.total and new != self.start:
            self.start = new
            self.cursor = 0
            self._request()

    def action_move(self, dx: int, dy: int) -> None:
        n = len(self.entries)
        if not n:
            return
        cols = self.query_one("#gallery-grid", TileGrid).columns
        new = self.cursor + dx + dy * cols
        if new >= n and self.page is not None and self.start + n < self.page.total:
            self.action_page(1)
            return
        if new < 0 and self.start > 0:
            self.action_page(-1)
            return
        self.cursor = max(0, min(n - 1, new))
        self.query_one("#gallery-grid", TileGrid).set_cursor(self.cursor)
        self._scroll_to_cursor()
        self._draw_status()

    def _order(self) -> list[int]:
        return list(self.page.order) if self.page is not None else []

    def action_see(self) -> None:
        if (e := self.selected) is not None:
            self.insight.open("features", self.source, index=e.index, order=self._order())

    def action_attack(self) -> None:
        if (e := self.selected) is not None:
            self.insight.open("attack", self.source, index=e.index, order=self._order())

    def action_back(self) -> None:
        if self.app.screen is self:
            self.dismiss()

    @on(TileGrid.Clicked)
    def _clicked(self, message: TileGrid.Clicked) -> None:
        self.cursor = message.index
        self.query_one("#gallery-grid", TileGrid).set_cursor(self.cursor)
        self._draw_status()
        if message.double:
            self.action_see()

    def on_resize(self) -> None:
        self._draw_head()  # the class filter goes on its own line when the filters' line is too wide for it
        self.call_after_refresh(self._scroll_to_cursor)
