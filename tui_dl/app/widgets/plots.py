"""Loss and accuracy plots (textual-plotext). Data is handed over as series; ``render`` builds the plot.

Building costs ~10 ms at 100 points and ~25 ms at 800 on the UI thread, so callers downsample
(``session.downsample``) and redraw from a timer, never per training step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual_plotext import PlotextPlot


@dataclass
class Series:
    xs: list[float]
    ys: list[float]
    label: str
    color: object = "primary"   # a theme colour name (primary, accent, ...), "muted", or an (r, g, b) tuple
    marker: str = "braille"
    style: str = field(default="")


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

    def set_series(self, series: list[Series], *, ylim: tuple[float, float] | None = None,
                   empty_text: str | None = None) -> None:
        self.series = [s for s in series if s.xs]
        self.ylim = ylim
        if empty_text is not None:
            self.empty_text = empty_text
        self._version += 1
        self.refresh()

    @property
    def point_count(self) -> int:
        return sum(len(s.xs) for s in self.series)

    def render(self) -> RenderResult:
        if not self.series:
            return Text(self.empty_text, justify="center", style="dim")
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
            plt.xlabel("epoch")
        for s in self.series:
            xs, ys = s.xs, s.ys
            if self.log_y:
                pts = [(x, y) for x, y in zip(xs, ys) if y > 0]
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if xs:
                plt.plot(xs, ys, label=s.label, color=theme_rgb(self.app, s.color), marker=s.marker)
        plt.yscale("log" if self.log_y else "linear")
        if self.ylim is not None:
            plt.ylim(*self.ylim)
        xmax = max(max(s.xs) for s in self.series)
        top = max(1, math.ceil(xmax - 1e-9))
        plt.xlim(0, top)
        if top <= 12:
            plt.xticks(list(range(top + 1)))
        out = super().render()
        self.build_ms = (time.perf_counter() - t0) * 1000
        self.builds += 1
        self._cache = (key, out)
        return out
