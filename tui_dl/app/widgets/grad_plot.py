"""The Train view's gradients panel: one of the per-layer statistics of the shown run over its logged steps,
one line per layer in its own colour (``d`` cycles accuracy → ‖g‖ → max |g| → update/weight → dead ReLUs).

The gradient numbers and the update ratio are drawn as log₁₀ (a sigmoid net's first layer sits orders of
magnitude below its last), the update ratio with the usual guide line at −3 (updates about a thousandth of the
weights); dead ReLUs in percent. With runs ticked for comparison, each run's first layer in the run's colour (the
sigmoid LeNet's first conv beside the ReLU one's). Data comes from :class:`~tui_dl.app.grad_history.LayerHistory`; the series are
downsampled and the plot rebuilt only when the data, the size or the theme changed (:class:`CurvePlot`).
"""

from __future__ import annotations

from tui_dl.app.grad_history import METRICS, LayerHistory
from tui_dl.app.session import downsample
from tui_dl.app.widgets.colors import overlay_color, rgb_hex
from tui_dl.app.widgets.plots import CurvePlot, Series

#: Points drawn per panel, shared among its layers.
MAX_POINTS = 300
#: The update/weight guide line (log₁₀): updates about 1/1000 of the weights.
RATIO_GUIDE = -3.0
MODES = tuple(METRICS)

_EMPTY = {
    "no-run": "No run yet. Press ctrl+r to train.",
    "none": "This run recorded no per-layer gradients (it is older than the recording, or has not logged a step).",
    "dead_share": "This network has no ReLU layers: nothing can die.",
}


class GradPlot(CurvePlot):
    DEFAULT_CSS = """
    GradPlot { width: 3fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(METRICS["grad_norm"], "log₁₀", _EMPTY["no-run"], **kwargs)
        self.mode = "grad_norm"
        self.border_title = METRICS[self.mode]
        self._shown: tuple | None = None

    def show(self, history: LayerHistory | None, mode: str, dark: bool, *, running: bool = False,
             compared: list[tuple[str, LayerHistory, object]] | None = None) -> None:
        """Draw ``mode`` of ``history`` (None: no run), one line per layer. With ``compared`` runs ((label,
        history, colour), the shown run first) the first layer of each run instead, in the run's colour: the
        sigmoid LeNet's first conv beside the ReLU one's. Nothing is rebuilt when nothing changed since the last
        call (the Train view calls this on every plot refresh)."""
        compared = compared or []
        key = (id(history), len(history.xs) if history is not None else -1, mode, dark,
               tuple((label, id(h), len(h.xs)) for label, h, _c in compared))
        if key == self._shown:
            return
        self._shown = key
        self.mode = mode
        self.border_title = METRICS[mode]
        if history is None or not history:
            self.border_subtitle = ""
            text = _EMPTY["no-run"] if history is None else (
                "Starting… the per-layer gradients appear after the first logged step." if running else _EMPTY["none"])
            self.set_series([], empty_text=text)
            return
        if compared:
            lines = [(f"{label} {first[0]}", first[1], first[2], color) for label, h, color in compared
                     if (first := next(iter(h.series(mode)), None)) is not None]
        else:
            lines = [(name, xs, ys, overlay_color(i, dark)) for i, (name, xs, ys) in enumerate(history.series(mode))]
        per = max(20, MAX_POINTS // max(1, len(lines)))
        series, key_parts = [], ["first layer:"] if compared else []
        for name, xs, ys, color in lines:
            xs, ys = downsample(xs, ys, per)
            series.append(Series(xs, ys, name, color))
            word = name.split()[0] if not compared else " ".join(name.split()[:2])
            key_parts.append(f"[{_hex(color)}]■[/]{word}")
        ylim = None
        if mode == "update_ratio" and any(s.xs for s in series):
            x0 = min(s.xs[0] for s in series if s.xs)
            x1 = max(s.xs[-1] for s in series if s.xs)
            series.insert(0, Series([x0, x1] if x1 > x0 else [x0], [RATIO_GUIDE] * (2 if x1 > x0 else 1),
                                    "−3 guide", "muted", marker="dot"))  # first: the layers' lines draw over it
        if mode == "dead_share":
            top = max([max(s.ys) for s in series if s.ys] + [1.0])
            ylim = (0.0, min(100.0, top * 1.15 + 1))
        self.ylabel = "%" if mode == "dead_share" else "log₁₀"
        self.set_series(series, ylim=ylim, empty_text=_EMPTY.get(mode, _EMPTY["none"]))
        self.border_subtitle = " ".join(key_parts) if self.series else ""

    def names(self) -> list[str]:
        """The layers drawn (for tests and the key)."""
        return [s.label for s in self.series if s.label != "−3 guide"]


def _hex(color) -> str:
    """Border markup for a colour: an (r, g, b) as hex, a theme colour as its variable."""
    return rgb_hex(color) if isinstance(color, tuple) else f"${color}"
