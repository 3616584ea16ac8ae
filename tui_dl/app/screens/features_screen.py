"""What the network sees: for one test image, the image itself, the class probabilities as a bar chart, the first
convolution's filters and every convolution's feature maps, each map a small grey picture (white the strongest
response).

The screen draws a :class:`~tui_dl.app.insight_records.FeatureRecord`; ``app.insight`` computes it on a worker
thread (forward hooks on the trained network, :func:`tui_dl.core.insight.features.feature_maps`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui_dl.app.insight_records import FeatureRecord, MapGroup, step_image
from tui_dl.app.i18n_ui import TFooter
from tui_dl.app.keys import bindings
from tui_dl.core.i18n import _, rjust, text_width, truncate
from tui_dl.app.widgets.colors import palette
from tui_dl.app.widgets.picture import Tile, TileGrid, fit_width

if TYPE_CHECKING:
    from tui_dl.app.insight_controller import InsightController

#: Classes in the bar chart (the most probable first).
MAX_BARS = 10


def probability_bars(ranked: list[tuple[str, float]], predicted: str, true: str, width: int, pal) -> Text:
    """One bar per class, most probable first: ``7  ██████████▌ 97.1%``; the prediction in green when it is
    right (red when wrong), the true class marked."""
    rows = ranked[:MAX_BARS]
    name_w = min(10, max((text_width(n) for n, _p in rows), default=1))
    bar_w = max(4, width - name_w - 10)
    lines = []
    for name, p in rows:
        cells = p * bar_w
        full = int(cells)
        bar = "█" * full + ("▌" if cells - full >= 0.5 else "")
        colour = (pal.success if name == true else pal.error) if name == predicted else (
            pal.primary if name == true else pal.muted)
        line = Text.assemble((rjust(truncate(name, name_w), name_w) + " ", "bold" if name in (predicted, true) else ""),
                             (bar.ljust(bar_w), colour), (f"{100 * p:5.1f}%".replace(" ", "\u2007"), colour))
        if name == true:
            # TRANSLATORS: marks the true class's bar in the probability chart; keep it short
            line.append_text(Text.assemble(" ", ("◂" + _("true"), pal.muted)))
        lines.append(line)
    return Text("\n").join(lines)


def map_tiles(group: MapGroup, pal) -> list[Tile]:
    tiles = []
    for k, pixels in enumerate(group.maps):
        native = len(pixels[0]) if pixels else 0
        w = fit_width(native, small=True)
        tiles.append(Tile(pixels, w, [Text(f"{k + 1}", pal.muted)], key=k))
    return tiles


class FeaturesScreen(Screen):
    BINDINGS = bindings("Features")  # see tui_dl.app.keys

    DEFAULT_CSS = """
    FeaturesScreen { layout: vertical; }
    FeaturesScreen #features-head { height: auto; padding: 0 1; background: $boost; text-wrap: nowrap;
                                    text-overflow: ellipsis; }
    FeaturesScreen #features-body { height: 1fr; }
    FeaturesScreen #features-left { width: 34; height: 1fr; padding: 0 1; }
    FeaturesScreen #features-image { height: auto; }
    FeaturesScreen #features-bars { height: auto; margin-top: 1; }
    FeaturesScreen #features-maps { width: 1fr; height: 1fr; padding: 0 0 0 1; }
    FeaturesScreen .maps-title { height: auto; color: $text-muted; margin-top: 1; }
    FeaturesScreen .maps-title.first { margin-top: 0; }
    FeaturesScreen #features-status { height: auto; padding: 0 1; }
    """

    def __init__(self, insight: "InsightController", source: Path, index: int = 0,
                 order: list[int] | None = None) -> None:
        super().__init__()
        self.insight = insight
        self.source = Path(source)
        self.index = int(index)
        self.order = list(order) if order else []
        self.shared_range = False
        self.record: FeatureRecord | None = None
        self.error = ""
        self.busy = True
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="features-head")
        with Horizontal(id="features-body"):
            with Vertical(id="features-left"):
                yield TileGrid(id="features-image")
                yield Static("", id="features-bars")
            yield VerticalScroll(id="features-maps")
        yield Static("", id="features-status")
        yield TFooter()

    def on_mount(self) -> None:
        self.query_one("#features-maps").focus()
        self._request()

    def _request(self) -> None:
        self._serial += 1
        serial = self._serial
        self.busy = True
        self._draw_head()
        self.insight.features(self.source, self.index, self.shared_range,
                              lambda rec, error: self._arrived(serial, rec, error))

    def _arrived(self, serial: int, rec: FeatureRecord | None, error: str) -> None:
        if serial != self._serial or not self.is_attached:
            return
        self.busy = False
        self.error = error
        if rec is not None:
            self.record = rec
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _draw_head(self) -> None:
        pal = palette(self.app)
        head = Text.assemble((_("What the network sees") + " ", "bold"),
                             ("· " + _("image #{index}").format(index=self.index) + " ", pal.muted))
        rec = self.record
        if rec is not None and rec.index == self.index:
            ok = rec.true == rec.predicted
            head.append_text(Text.assemble("· " + _("true {name}").format(name=rec.true_name) + " · " + _("said")
                                           + " ",
                                           (f"{rec.predicted_name} ", f"bold {pal.success if ok else pal.error}"),
                                           f"({100 * rec.confidence:.1f}%)"))
        where = _("(image {position:,} of {count:,})").format(position=self.order.index(self.index) + 1,
                                                            count=len(self.order)) + "   " \
            if self.index in self.order else "  "
        rng = _("grey levels: one range per layer") if self.shared_range else _("grey levels: each map its own range")
        second = Text.assemble(("n/p ", "bold"), (_("next / previous image") + " " + where, pal.muted),
                               ("r ", "bold"), (rng, pal.muted))
        self.query_one("#features-head", Static).update(Text("\n").join([head, second]))

    def _draw(self) -> None:
        self._draw_head()
        pal = palette(self.app)
        status = self.query_one("#features-status", Static)
        rec = self.record
        if self.error:
            status.update(Text(f"✗ {self.error}", pal.error))
        else:
            status.update(Text(_("white: the strongest response in the map (or layer); black: the weakest"),
                               pal.muted) if rec is not None and rec.layers else "")
        if rec is None:
            return
        native = len(rec.pixels[0]) if rec.pixels else 0
        caption = [Text.assemble((f"#{rec.index} ", pal.muted), _("true") + " ", (rec.true_name, "bold"))]
        big = (self.app.size.height or 30) >= 30
        self.query_one("#features-image", TileGrid).set_tiles([Tile(rec.pixels, fit_width(native, not big),
                                                                    caption)])
        self.query_one("#features-bars", Static).update(
            Text.assemble((_("class probabilities") + "\n", pal.muted),
                          probability_bars(rec.ranked, rec.predicted_name, rec.true_name, 26, pal)))
        box = self.query_one("#features-maps", VerticalScroll)
        with self.app.batch_update():
            box.remove_children()
            widgets = []
            groups = ([rec.filters] if rec.filters is not None else []) + list(rec.layers)
            for k, group in enumerate(groups):
                title = group.title_text()
                widgets.append(Static(Text(title, pal.muted), classes="maps-title" + (" first" if k == 0 else "")))
                widgets.append(TileGrid(map_tiles(group, pal)))
            for note in rec.notes:
                widgets.append(Static(Text(_(note), pal.warning), classes="maps-title"))
            box.mount_all(widgets)

    def relabel(self) -> None:
        """A language switch: the head, the chart, the map titles and the status line drawn again."""
        if self.record is not None:
            self._draw()
        else:
            self._draw_head()

    def on_resize(self) -> None:
        if self.record is not None:
            self._draw()

    # ------------------------------------------------------------------ actions
    def action_step(self, step: int) -> None:
        self.index = step_image(self.index, self.order, step)
        self._request()

    def action_toggle_range(self) -> None:
        self.shared_range = not self.shared_range
        self._request()

    def action_attack(self) -> None:
        self.insight.open("attack", self.source, index=self.index, order=self.order)

    def action_back(self) -> None:
        if self.app.screen is self:
            self.dismiss()
