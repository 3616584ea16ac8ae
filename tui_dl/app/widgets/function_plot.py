"""A plot of a few curves y(x) with a vertical cursor and marked points (textual-plotext): the activations lab's
f and f′, the losses lab's curves against p. Data is handed over; ``render`` builds the plot, and only when the
data, the size or the theme changed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tui_dl.core.i18n import plot_text

from tui_dl.app.widgets.plots import empty_hint, plot_rows, row_ticks, theme_rgb, y_range


@dataclass
class Curve:
    xs: list[float]
    ys: list[float]
    label: str
    color: object = "primary"  # a theme colour name, "muted", or an (r, g, b) tuple
    marker: str = "braille"


class FunctionPlot(PlotextPlot):
    DEFAULT_CSS = "FunctionPlot { content-align: center middle; }"

    def __init__(self, empty_text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.empty_text = empty_text
        self.curves: list[Curve] = []
        self.cursor: float | None = None
        self.points: list[tuple[float, float, object]] = []
        self.xlabel = ""
        self.ylim: tuple[float, float] | None = None
        self.xlim: tuple[float, float] | None = None
        self.yticks: list[float] | None = None
        self._version = 0
        self._cache: tuple | None = None

    def set_plot(self, curves: list[Curve], *, cursor: float | None = None, points=(), xlabel: str = "",
                 xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
                 yticks: list[float] | None = None) -> None:
        self.curves, self.cursor, self.points = list(curves), cursor, list(points)
        self.xlabel, self.xlim, self.ylim, self.yticks = xlabel, xlim, ylim, yticks
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        if not self.curves:
            return empty_hint(self.empty_text)
        key = (self._version, self.size.width, self.size.height, self.app.theme)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.xlabel and self.size.height >= 10:
            plt.xlabel(plot_text(self.xlabel))  # plotext draws a CJK character in one cell: English then
        for c in self.curves:
            plt.plot(c.xs, c.ys, color=theme_rgb(self.app, c.color), marker=c.marker)  # the lab names them
        if self.cursor is not None:
            plt.vline(self.cursor, color=theme_rgb(self.app, "muted"))
        for x, y, color in self.points:
            plt.scatter([x], [y], color=theme_rgb(self.app, color), marker="●")
        if self.xlim is not None:
            plt.xlim(*self.xlim)
        if self.ylim is not None:
            plt.ylim(*self.ylim)
        if self.yticks is not None:
            plt.yticks(self.yticks)
        else:  # ticks on the rows they name (plotext's own 7 drift a row off on a short plot)
            span = y_range([c.ys for c in self.curves] + [[p[1] for p in self.points]], self.ylim)
            ticks = row_ticks(*span, plot_rows(self.size.height, bool(self.xlabel and self.size.height >= 10))) \
                if span else None
            if ticks is not None:
                plt.yticks(*ticks)
        out = super().render()
        self._cache = (key, out)
        return out
