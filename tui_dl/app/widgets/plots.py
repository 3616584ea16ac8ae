"""Loss and accuracy plots (textual-plotext). Data is handed over as series; ``render`` builds the plot.

The plots draw no legend of their own (plotext's sits on top of the curves' start, and drops out when there are
many series): the Train view says what each colour is in the plot's border and in the key line under the plots
(:class:`PlotKey`).

Building costs ~10 ms at 100 points and ~25 ms at 800 on the UI thread, so callers downsample
(``session.downsample``) and redraw from a timer, never per training step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.padding import Padding
from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui_dl.core.i18n import _, plot_text


@dataclass
class Series:
    xs: list[float]
    ys: list[float]
    label: str
    color: object = "primary"   # a theme colour name (primary, accent, ...), "muted", or an (r, g, b) tuple
    marker: str = "braille"
    style: str = field(default="")
    #: Points only (a marked point such as the divergence), no line through them.
    scatter: bool = False


def theme_rgb(app, name) -> tuple[int, int, int]:
    if isinstance(name, tuple):
        return name
    theme = app.current_theme
    if name == "muted":
        fg = Color.parse(theme.foreground or ("#e0e0e0" if theme.dark else "#202020"))
        bg = Color.parse(theme.surface or ("#1e1e1e" if theme.dark else "#f0f0f0"))
        return bg.blend(fg, 0.45).rgb
    value = getattr(theme, name, None) or {"primary": "#0178D4", "accent": "#ffa62b", "warning": "#ffa62b",
                                           "error": "#ba3c5b", "success": "#4EBF71",
                                           "secondary": "#004578"}.get(name, "#888888")
    return Color.parse(value).rgb


def whole_ticks(top: int, most: int = 8) -> list[int]:
    """Ticks at whole numbers from 0 to ``top`` (epochs, steps), 1, 2 or 5 × 10ⁿ apart, at most ``most`` + 1."""
    if top <= 12:
        return list(range(top + 1))
    base = 1
    while True:
        for m in (1, 2, 5):
            if top / (base * m) <= most:
                return list(range(0, top + 1, base * m))
        base *= 10


#: Finite values beyond this are left out of a plot: plotext's axis arithmetic overflows on them (1e308 − (−1e308)
#: is inf, and an infinite tick cannot be drawn). A loss that large is shown in the log and the result panel.
PLOT_LIMIT = 1e30


def plottable(y: float) -> bool:
    """Whether plotext can place ``y`` (NaN and ±inf are handled by the curve itself: they make a gap)."""
    return not (y == y and abs(y) != math.inf and abs(y) > PLOT_LIMIT)
def plot_rows(height: int, xlabel: bool) -> int:
    """The rows plotext draws data on in a plot ``height`` rows tall: less the frame's top line, the x axis, its
    tick labels and the x label."""
    return height - 3 - (1 if xlabel else 0)


def row_ticks(lo: float, hi: float, rows: int, most: int = 6) -> tuple[list[float], list[str]] | None:
    """Y ticks that sit on the rows they name. plotext puts 7 ticks whatever the height: on 6 rows two share a
    row, one label is dropped and the next sits a row off its value (σ(0) = 0.5 drawn beside the label 0.67).
    Row k of ``rows`` shows ``lo + k·(hi − lo)/(rows − 1)``: a tick every few rows from the bottom, at most
    ``most``, labelled with that row's value. None when there is nothing to label (one row, a flat range)."""
    if rows < 2 or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return None
    per_row = (hi - lo) / (rows - 1)
    # every other row at the closest (a label on every row is hard to read), within ``most`` ticks
    every = max(2 if rows > 4 else 1, math.ceil((rows - 1) / (most - 1)))
    # or a row further apart if that spacing reaches the top row too, keeping three ticks or more
    every = next((s for s in (every, every + 1) if (rows - 1) % s == 0 and (rows - 1) // s >= 2), every)
    tick_rows = list(range(0, rows, every))
    if tick_rows[-1] != rows - 1:
        tick_rows.append(rows - 1)  # the top row is always named (a loss curve starts there)
    values = [lo + k * per_row for k in tick_rows]
    step = every * per_row
    decimals = max(0, 1 - math.floor(math.log10(step)))
    return values, [f"{v:.{decimals}f}" for v in values]


def y_range(ys_lists, ylim: tuple[float, float] | None) -> tuple[float, float] | None:
    """The y range plotext gives the data (its smallest and largest finite value), or ``ylim``."""
    if ylim is not None:
        return ylim
    finite = [y for ys in ys_lists for y in ys if math.isfinite(y) and abs(y) <= PLOT_LIMIT]
    return (min(finite), max(finite)) if finite else None


def empty_hint(text: str) -> Padding:
    """A plot's hint while it has nothing to draw: centred, dim, one cell clear of the border when it wraps."""
    return Padding(Text(text, justify="center", style="dim"), (0, 1))


class CurvePlot(PlotextPlot):
    """A plot of a few series against epochs, with a hint text while empty."""

    def __init__(self, title: str, ylabel: str, empty_text: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.ylabel = ylabel
        self.empty_text = empty_text
        self.series: list[Series] = []
        self.ylim: tuple[float, float] | None = None
        self.build_ms = 0.0
        self.builds = 0
        self._version = 0
        self._cache: tuple | None = None
        #: Logarithmic y axis (losses that fall by orders of magnitude).
        self.log_y = False
        self.xlabel = "epoch"
        #: x positions of vertical marks (where a run diverged), each with its colour.
        self.vlines: list[tuple[float, object]] = []

    def set_series(self, series: list[Series], *, ylim: tuple[float, float] | None = None,
                   empty_text: str | None = None, xlabel: str = "epoch",
                   vlines: list[tuple[float, object]] | None = None) -> None:
        self.series = [s for s in series if s.xs]
        self.ylim = ylim
        self.xlabel = xlabel
        self.vlines = list(vlines or [])
        if empty_text is not None:
            self.empty_text = empty_text
        self._version += 1
        self.refresh()

    @property
    def point_count(self) -> int:
        return sum(len(s.xs) for s in self.series)

    def render(self) -> RenderResult:
        if not self.series:
            return empty_hint(self.empty_text)
        # Textual re-renders on focus, hover and view switches: rebuild only when the data, the size
        # or the theme changed (a build costs 10-30 ms of the UI thread).
        key = (self._version, self.size.width, self.size.height, self.app.theme, self.log_y)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        import time

        t0 = time.perf_counter()
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.size.height >= 12:
            plt.xlabel(plot_text(self.xlabel))  # plotext draws a CJK character in one cell: English then
        for x, color in self.vlines:
            plt.vline(x, theme_rgb(self.app, color))
        for s in self.series:
            xs, ys = s.xs, s.ys
            if self.log_y or any(abs(y) > PLOT_LIMIT and y == y and abs(y) != math.inf for y in ys):
                pts = [(x, y) for x, y in zip(xs, ys) if plottable(y) and (y > 0 or not self.log_y)]
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if xs:  # no label: plotext's legend would cover the curves (the view's key says what is what)
                draw = plt.scatter if s.scatter else plt.plot
                draw(xs, ys, color=theme_rgb(self.app, s.color), marker=s.marker)
        plt.yscale("log" if self.log_y else "linear")
        if self.ylim is not None:
            plt.ylim(*self.ylim)
        xmax = max([max(s.xs) for s in self.series] + [x for x, _c in self.vlines])
        top = max(1, math.ceil(xmax - 1e-9))
        plt.xlim(0, top)
        plt.xticks(whole_ticks(top))
        span = None if self.log_y else y_range([sr.ys for sr in self.series], self.ylim)
        ticks = row_ticks(*span, plot_rows(self.size.height, self.size.height >= 12)) if span else None
        if ticks is not None:
            plt.yticks(*ticks)
        out = super().render()
        self.build_ms = (time.perf_counter() - t0) * 1000
        self.builds += 1
        self._cache = (key, out)
        return out


class PlotKey(Static):
    """The compared runs under the plots, one ``■ #id label`` entry per run in its curve's colour, packed into
    at most two lines: a key that never covers a curve nor grows with the number of runs. Each entry may come in
    several wordings, longest first: the longest that lets every run fit is used (then ``+N more``)."""

    DEFAULT_CSS = """
    PlotKey { height: auto; max-height: 2; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.entries: list[tuple[tuple[str, ...], object]] = []

    def set_entries(self, entries: list[tuple[str | tuple[str, ...], object]]) -> None:
        self.entries = [((label,) if isinstance(label, str) else tuple(label), color) for label, color in entries]
        self.display = bool(self.entries)
        self.refresh(layout=True)

    def on_resize(self) -> None:
        self.refresh()

    @property
    def text(self) -> str:
        return self.render().plain

    def render(self) -> Text:
        width = max(20, (self.size.width or 100))
        level = [0] * len(self.entries)  # the wording of each entry: the longest ones get shorter first
        while True:
            chunks = self._chunks(level)
            lines = _pack(chunks, width)
            if len(lines) <= 2:
                return Text("\n").join(lines)
            shorter = [i for i, (labels, _c) in enumerate(self.entries) if level[i] < len(labels) - 1]
            if not shorter:
                break
            level[max(shorter, key=lambda i: chunks[i].cell_len)] += 1
        for k in range(len(chunks) - 1, 0, -1):  # as many entries as fit in two lines, "+N more" after them
            lines = _pack(chunks[:k] + [Text(_("+{n} more").format(n=len(chunks) - k), style="dim")], width)
            if len(lines) <= 2:
                return Text("\n").join(lines)
        line = chunks[0].copy() if chunks else Text()
        line.truncate(width, overflow="ellipsis")
        return line

    def _chunks(self, level: list[int]) -> list[Text]:
        return [Text.assemble(("■ ", f"bold {_hex(theme_rgb(self.app, color))}"), labels[level[i]])
                for i, (labels, color) in enumerate(self.entries)]


def _pack(items: list[Text], width: int, gap: int = 2) -> list[Text]:
    lines: list[Text] = []
    line = Text()
    for item in items:
        if line.cell_len and line.cell_len + gap + item.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append(" " * gap)
        line.append_text(item)
    if line.cell_len:
        lines.append(line)
    return lines


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
