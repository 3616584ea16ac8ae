"""Train view: loss | accuracy plots on top, log | test result below, banner for what must be seen."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Log, Static

from tui_dl.core.training import diagnosis
from tui_dl.core.training.events import advice_text, notice_text
from tui_dl.app.logfmt import fallback_short, wrap_log_line
from tui_dl.app.keys import KEYS, bindings, key_name
from tui_dl.app.messages import ViewMounted
from tui_dl.app.session import RunRecord, downsample, run_labels
from tui_dl.app.widgets.colors import overlay_color, palette, rgb_hex
from tui_dl.app.widgets.plot_cursor import PlotCursor, last_epoch
from tui_dl.app.widgets.grad_plot import GradPlot
from tui_dl.app.widgets.grad_plot import MODES as GRAD_MODES
from tui_dl.app.widgets.plots import CurvePlot, PlotKey, Series
from tui_dl.app.widgets.results import ResultPanel
from tui_dl.core.i18n import N_, _

MAX_STEP_POINTS = 400


@dataclass
class PlotData:
    """What one plot draws: its series, the x axis's unit, vertical marks, and the key for its border."""

    series: list[Series]
    xlabel: str = "epoch"
    vlines: list[tuple[float, object]] = field(default_factory=list)
    key: str = ""  # markup: what each line style and colour is


def run_colors_for(rec: RunRecord, overlays: list[RunRecord], dark: bool) -> dict[int, object]:
    """One colour per run: the shown run in the theme's primary colour, each compared run its own."""
    out: dict[int, object] = {rec.id: "primary"}
    for i, other in enumerate(overlays):
        out[other.id] = overlay_color(i, dark)
    return out


def _steps_axis(rec: RunRecord, overlays: list[RunRecord]) -> int | None:
    """Steps per epoch when a finished run's curve ends within its first epoch (a run that diverged at step 4):
    its loss is drawn against steps, not squeezed into the left edge of an epoch axis."""
    if overlays or rec.running or not rec.step_x:
        return None
    last = max(rec.step_x[-1], rec.diverged_at[0] if rec.diverged_at else 0.0)
    per_epoch = rec.started.steps_per_epoch if rec.started else (rec.last_step.batches if rec.last_step else 0)
    return per_epoch if last < 1 and per_epoch > 1 else None


def _divergence_mark(run: RunRecord, ys: list[float], color, scale: float) -> Series | None:
    """A ✗ where the run diverged: at its loss when that fits the plot, else at the top of the curve."""
    if run.diverged_at is None or not ys:
        return None
    x, loss = run.diverged_at
    top = max(ys)
    y = loss if math.isfinite(loss) and loss <= 4 * top else top
    return Series([x * scale], [y], _("#{id} diverged").format(id=run.id), color, marker="✗", scatter=True)


def loss_series(rec: RunRecord, overlays: list[RunRecord], dark: bool = True) -> PlotData:
    """One run: raw steps, smoothed line, validation. With overlays: the smoothed line and the validation
    points of each run, one colour per run (the key line under the plots says which run is which)."""
    colors = run_colors_for(rec, overlays, dark)
    per_epoch = _steps_axis(rec, overlays)
    scale = float(per_epoch or 1)

    def scaled(xs):
        return [x * scale for x in xs]

    out: list[Series] = []
    vlines: list[tuple[float, object]] = []
    if not overlays:
        val_color = overlay_color(0, dark)
        xs, ys = downsample(rec.step_x, rec.step_loss, MAX_STEP_POINTS)
        out.append(Series(scaled(xs), ys, _("train"), "muted"))
        xs, ys = downsample(rec.step_x, rec.smooth, MAX_STEP_POINTS)
        # a few points (a run that died in its first steps) as dots big enough to see
        out.append(Series(scaled(xs), ys, _("smoothed"), "primary", marker="braille" if len(xs) > 3 else "dot"))
        vx, vy = rec.epoch_series("val_loss")
        out.append(Series(scaled(vx), vy, _("val"), val_color))
        key = "  ".join(f"[{_hex(sr.color, dark)}]{mark}[/] {word}"
                        for sr, mark, word in zip(out, ("⠒", "━", "•"), (_("steps"), _("smoothed"), _("val")))
                        if sr.xs)
        runs = [rec]
    else:
        for run in [rec, *overlays]:
            color = colors[run.id]
            xs, ys = downsample(run.step_x, run.smooth, MAX_STEP_POINTS // (1 if run is rec else 2))
            out.append(Series(xs, ys, _("#{id} train").format(id=run.id), color))
            vx, vy = run.epoch_series("val_loss")
            out.append(Series(vx, vy, _("#{id} val").format(id=run.id), color, marker="dot"))
        key = _("━ train (smoothed)  • val")
        runs = [rec, *overlays]
    for run in runs:
        mark = _divergence_mark(run, [y for sr in out for y in sr.ys if math.isfinite(y)],
                                "error" if not overlays else colors[run.id], scale)
        if mark is not None:
            out.append(mark)
            vlines.append((mark.xs[0], "error"))
    if vlines:
        key += "  " + _("[{color}]✗[/] diverged").format(color=_hex("error", dark))
    return PlotData(out, "step" if per_epoch else "epoch", vlines, key)


def accuracy_series(rec: RunRecord, overlays: list[RunRecord], dark: bool = True) -> PlotData:
    """One run: train and validation accuracy per epoch. With overlays: each run's validation accuracy."""
    def pct(xy):
        return xy[0], [100 * y for y in xy[1]]

    out: list[Series] = []
    if not overlays:
        val_color = overlay_color(0, dark)
        xs, ys = pct(rec.epoch_series("train_accuracy"))
        out.append(Series(xs, ys, _("train"), "primary"))
        xs, ys = pct(rec.epoch_series("val_accuracy"))
        out.append(Series(xs, ys, _("val"), val_color))
        return PlotData(out, key="  ".join(f"[{_hex(sr.color, dark)}]━[/] {sr.label}" for sr in out if sr.xs))
    colors = run_colors_for(rec, overlays, dark)
    for run in [rec, *overlays]:
        xs, ys = pct(run.epoch_series("val_accuracy"))
        out.append(Series(xs, ys, _("#{id} val").format(id=run.id), colors[run.id]))
    return PlotData(out, key=_("validation accuracy"))


def _hex(color, dark: bool) -> str:
    """A colour for border markup: a theme colour's variable, or an (r, g, b) as hex."""
    if isinstance(color, tuple):
        return rgb_hex(color)
    return {"muted": "$text-muted"}.get(color, f"${color}")


def key_entries(rec: RunRecord, overlays: list[RunRecord], dark: bool) -> list[tuple[tuple[str, ...], object]]:
    """The key line: ``#6 adam lr=0.002``, ``#2 sgd lr=0.01``… in each run's colour (empty for one run); each
    label worded with up to three, two or one settings (the key uses the longest that fits)."""
    if not overlays:
        return []
    runs = [rec, *overlays]
    colors = run_colors_for(rec, overlays, dark)
    exps, fallbacks = [r.experiment for r in runs], [r.tag or r.name for r in runs]
    wordings = list(zip(*(run_labels(exps, fallbacks, limit=n) for n in (3, 2, 1))))
    return [(tuple(f"#{r.id} {label}".strip() for label in labels), colors[r.id])
            for r, labels in zip(runs, wordings)]


class RunLog(Log):
    """The run's log: it keeps following the newest line while it is scrolled to the end (through terminal
    resizes too), and wraps its lines (diagnoses, warnings, advice, step lines) to its width, so it never scrolls
    sideways; a resize rewraps them."""

    DEFAULT_CSS = """
    RunLog { overflow-x: hidden; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.follow = True
        self._source: deque[str] = deque(maxlen=self.max_lines)
        self._wrapped_at = 0

    @property
    def _wrap_width(self) -> int:
        return self.scrollable_content_region.width

    def clear(self):
        self._source.clear()
        super().clear()
        self.follow = True
        return self

    def add_lines(self, lines: list[str]) -> None:
        """Write log lines (each may be wrapped into several)."""
        if not lines:
            return
        self._source.extend(lines)
        width = self._wrap_width
        self._wrapped_at = width
        out = [piece for line in lines for piece in wrap_log_line(line, width)]
        follow = self.follow
        super().write_lines(out, scroll_end=False)
        if follow and not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.is_vertical_scroll_end:
            self.follow = True
        elif new_value < old_value:  # the student scrolled up: stop following until they are back at the end
            self.follow = False

    def on_resize(self) -> None:
        width = self._wrap_width
        if width and width != self._wrapped_at:
            source = list(self._source)
            follow, offset = self.follow, self.scroll_y
            super().clear()
            self._wrapped_at = width
            super().write_lines([p for line in source for p in wrap_log_line(line, width)], scroll_end=False)
            self.follow = follow
            if not follow:
                self.scroll_to(y=offset, animate=False, immediate=True)
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)


class ResultBox(VerticalScroll):
    """The test result's pane: focusable, zoomable; the result redraws for its size. The arrow keys move the
    confusion matrix's cell cursor when the whole grid is shown (else they scroll), enter opens that cell's
    gallery."""

    BINDINGS = bindings("Test result")  # see tui_dl.app.keys

    def on_resize(self) -> None:
        for panel in self.query(ResultPanel):
            panel.refresh(layout=True)

    def action_move_cell(self, dx: int, dy: int) -> None:
        if not self.query_one(ResultPanel).move_cell(dx, dy):
            {(0, -1): self.scroll_up, (0, 1): self.scroll_down, (-1, 0): self.scroll_left,
             (1, 0): self.scroll_right}[(dx, dy)]()

    def action_open_cell(self) -> None:
        panel = self.query_one(ResultPanel)
        if panel.choose_cell():
            return
        if panel.grid_shown:
            panel.move_cell(0, 0)  # the first enter puts the cursor on the matrix
        elif panel.finished is not None and panel.finished.confusion:
            if self.screen.maximized is self:
                self._cursor_after_zoom()
            else:
                self.screen.maximize(self, container=False)  # too small for the matrix: zoom, as c does
                self.call_after_refresh(self._cursor_after_zoom)

    def _cursor_after_zoom(self) -> None:
        if not self.query_one(ResultPanel).move_cell(0, 0):
            self.app.notify(_("The confusion matrix does not fit even zoomed: make the terminal larger."), timeout=5)


EMPTY_LOSS = N_("No run yet. Press ctrl+r to train.")
EMPTY_ACC = N_("Accuracy per epoch appears here.")


class TrainView(Vertical):
    BINDINGS = bindings("Train")  # see tui_dl.app.keys

    def compose(self) -> ComposeResult:
        yield Static("", id="train-banner")
        with Horizontal(id="plots-row"):
            loss = CurvePlot(_("Loss"), _("loss"), _(EMPTY_LOSS), id="loss-plot", classes="panel")
            loss.border_title = _("Loss")
            yield loss
            acc = CurvePlot(_("Accuracy %"), "%", _(EMPTY_ACC), id="acc-plot", classes="panel")
            acc.border_title = _("Accuracy %")
            yield acc
            grads = GradPlot(id="grad-plot", classes="panel")  # d: in the accuracy plot's place
            grads.display = False
            yield grads
        yield PlotKey(id="plot-key")
        yield PlotCursor(id="plot-cursor")
        with Horizontal(id="bottom-row"):
            log = RunLog(id="log-pane", max_lines=2000, classes="panel", auto_scroll=True)
            log.border_title = _("Log")
            yield log
            with ResultBox(id="result-box", classes="panel", can_focus=True, can_maximize=True) as box:
                box.border_title = _("Test result")
                yield ResultPanel(id="result-panel")

    ready = False
    """True once mounted: the app talks to the view only then."""
    #: what the right-hand plot shows: None (accuracy) or a per-layer statistic (``d`` cycles them)
    grad_mode: str | None = None
    _plotted: RunRecord | None = None
    _compared: list = []

    def on_unmount(self) -> None:
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.query_one(PlotKey).display = False
        self.post_message(ViewMounted("train"))  # the app shows the current run

    def relabel(self) -> None:
        """Re-translate the pane titles and show the run again (the plots' keys, the banner, the result); the
        log's lines stay as they were written."""
        loss, acc = self.query_one("#loss-plot", CurvePlot), self.query_one("#acc-plot", CurvePlot)
        loss.title, loss.empty_text, loss.border_title = _("Loss"), _(EMPTY_LOSS), _("Loss")
        loss.ylabel = _("loss")
        acc.title, acc.empty_text, acc.border_title = _("Accuracy %"), _(EMPTY_ACC), _("Accuracy %")
        self.query_one("#log-pane").border_title = _("Log")
        self.query_one("#result-box").border_title = _("Test result")
        rec = self._plotted
        if rec is not None:
            self.show_result(rec)
            self.update_banner(rec)
            self.update_plots(rec, self._compared)
        loss.refresh()
        acc.refresh()

    # ------------------------------------------------------------------ showing a run
    def show_run(self, rec: RunRecord | None, overlays: list[RunRecord]) -> None:
        log = self.query_one(RunLog)
        log.clear()
        if rec is None:
            self.query_one(ResultPanel).show(None)
            self.update_banner(None)
            self.update_plots(None, overlays)
            return
        log.add_lines(list(rec.log))
        self.show_result(rec)
        self.update_banner(rec)
        self.update_plots(rec, overlays)

    def show_result(self, rec: RunRecord) -> None:
        placeholder = None
        if rec.error:
            placeholder = _("The run failed: {error}").format(error=rec.error)
        elif rec.running:
            placeholder = _("Training… the test accuracy and the confusion matrix appear here at the end.")
        elif rec.finished is None:
            placeholder = _("This run has no result (it did not finish).")
        finished = rec.finished
        if placeholder is None and rec.diverged is not None and finished.test_accuracy is None:
            placeholder, finished = _("The run diverged: the test set was not evaluated."), None
        self.query_one(ResultPanel).show(finished, placeholder)
        box = self.query_one("#result-box")
        has_matrix = rec.finished is not None and bool(rec.finished.confusion)
        zoom, gallery = (next(k.keys for k in KEYS if k.id == i) for i in ("train.zoom-result", "train.gallery"))
        box.border_subtitle = (_("{zoom} zoom · ↵ cell · {gallery} gallery").format(
            zoom=key_name(zoom), gallery=key_name(gallery)) if has_matrix else "")

    def append_log(self, lines: list[str]) -> None:
        if lines:
            self.query_one(RunLog).add_lines(lines)

    def update_plots(self, rec: RunRecord | None, overlays: list[RunRecord]) -> None:
        found = (self.query("#loss-plot"), self.query("#acc-plot"), self.query(PlotKey), self.query(PlotCursor),
                 self.query(GradPlot))
        if not all(found):
            # the view is being torn down (quit: its children go in any order) or rebuilt: show_run draws the
            # plots once it is back
            return
        loss, acc = found[0].first(CurvePlot), found[1].first(CurvePlot)
        key = found[2].first(PlotKey)
        if rec is None:
            loss.set_series([])
            acc.set_series([])
            loss.border_subtitle = acc.border_subtitle = ""
            key.set_entries([])
            self._plotted = None
            self._draw_grads()
            return
        dark = self.app.current_theme.dark
        others = [o for o in overlays if o.id != rec.id]
        data = loss_series(rec, others, dark)
        # the x axis's name is drawn only in a tall plot: a step axis says so in the title too
        loss.border_title = self._loss_title(data.xlabel == "step", loss.log_y)
        loss.set_series(data.series, xlabel=data.xlabel, vlines=data.vlines,
                        empty_text=_("Starting… the loss curve appears after the first steps.") if rec.running
                        else _("This run recorded no training steps."))
        loss.border_subtitle = data.key if loss.series else ""
        has_acc = any(e.val_accuracy is not None or e.train_accuracy is not None for e in rec.epochs)
        if rec.running or has_acc:
            empty = _("Accuracy per epoch appears after the first epoch.")
        elif rec.diverged is not None and not rec.epochs:
            empty = _("The run diverged before its first epoch ended: no accuracy.")
        elif not rec.epochs:
            empty = _("Accuracy per epoch appears after the first epoch.")
        else:
            empty = _("No accuracy for this loss (regression).")
        data = accuracy_series(rec, others, dark)
        acc.set_series(data.series, empty_text=empty)
        acc.border_subtitle = data.key if acc.series else ""
        key.set_entries(key_entries(rec, others, dark))
        self._shown = (rec, others)
        self._show_cursor(acc)
        self._plotted, self._compared = rec, others
        self._draw_grads()

    # ------------------------------------------------------------------ the epoch cursor ([ and ])
    _shown: tuple = (None, [])

    def action_cursor(self, delta: int) -> None:
        """Move the epoch cursor (the first press puts it on the last epoch); it reads each run's exact values."""
        rec, others = self._shown
        runs = [rec, *others] if rec is not None else []
        top = last_epoch(runs)
        if not top:
            self.app.notify(_("No epoch has finished yet: the cursor reads values per epoch."), timeout=3)
            return
        cursor = self.query_one(PlotCursor)
        now = cursor.epoch
        cursor.epoch = top if now is None else max(1, min(top, now + delta))
        self.update_plots(rec, others)

    def _show_cursor(self, acc: CurvePlot) -> None:
        cursor = self.query_one(PlotCursor)
        rec, others = self._shown
        if cursor.epoch is None or rec is None:
            cursor.show_at(None, [], {}, {})
            return
        runs = [rec, *others]
        cursor.epoch = min(cursor.epoch, last_epoch(runs)) or None
        dark = self.app.current_theme.dark
        labels = {r.id: e[0][0] for r, e in zip(runs, key_entries(rec, others, dark))} if others else \
            {rec.id: f"#{rec.id}"}
        cursor.show_at(cursor.epoch, runs, run_colors_for(rec, others, dark), labels)
        if cursor.epoch is not None and acc.series:
            acc.set_series(acc.series, ylim=acc.ylim, xlabel=acc.xlabel,
                           vlines=[*acc.vlines, (float(cursor.epoch), "warning")])

    def _draw_grads(self) -> None:
        if self.grad_mode is None:
            return
        rec, dark = self._plotted, self.app.current_theme.dark
        compared = None
        if rec is not None and self._compared:  # compared runs: each run's first layer, in the run's colour
            colors = run_colors_for(rec, self._compared, dark)
            compared = [(f"#{r.id}", r.grads, colors[r.id]) for r in [rec, *self._compared]]
        self.query_one(GradPlot).show(rec.grads if rec is not None else None, self.grad_mode, dark,
                                      running=rec is not None and rec.running, compared=compared)

    def action_cycle_grads(self) -> None:
        """The right-hand plot: accuracy → ‖g‖ → max |g| → update/weight → dead ReLUs → accuracy."""
        order = (None, *GRAD_MODES)
        self.grad_mode = order[(order.index(self.grad_mode) + 1) % len(order)]
        self.query_one("#acc-plot").display = self.grad_mode is None
        self.query_one(GradPlot).display = self.grad_mode is not None
        self._draw_grads()

    def update_banner(self, rec: RunRecord | None) -> None:
        banner = self.query_one("#train-banner", Static)
        if rec is None:
            banner.display = False
            return
        pal = palette(self.app)
        lines: list[Text] = []
        if rec.started is not None and rec.started.fallback_reason:
            short = fallback_short(rec.started.fallback_reason)
            lines.append(Text(_("⚠ Training on {dataset} instead: {reason} (the log has the details)").format(
                dataset=rec.started.dataset, reason=short), style=f"bold {pal.warning}"))
        if rec.diverged is not None:
            d = rec.diverged
            lines.append(Text(_("✗ Diverged at epoch {epoch}, step {step} (loss {loss:.4g}). {advice}").format(
                epoch=d.epoch, step=d.step, loss=d.loss, advice=advice_text(d)),
                style=f"bold {pal.error}"))
        if rec.early_stop is not None:
            e = rec.early_stop
            lines.append(Text(_("⏹ Early stop after epoch {epoch}: {monitor} did not improve for {patience} "
                                "epochs; best {best:.4f} at epoch {best_epoch}.").format(
                epoch=e.epoch, monitor=e.monitor, patience=e.patience, best=e.best_value, best_epoch=e.best_epoch),
                style=f"bold {pal.accent}"))
        if rec.error:
            lines.append(Text(_("✗ Training failed: {error}").format(error=rec.error), style=f"bold {pal.error}"))
        for n in rec.notices:
            if n.level in ("warning", "error"):
                lines.append(Text(("⚠ " if n.level == "warning" else "✗ ") + notice_text(n),
                                  style=pal.warning if n.level == "warning" else pal.error))
        for key, message in rec.findings.items():
            lines.append(Text("⚑ " + diagnosis.short(key, message), style=pal.warning))
        banner.display = bool(lines)
        if lines:
            banner.update(Text("\n").join(lines[-4:]))

    def action_toggle_log(self) -> None:
        plot = self.query_one("#loss-plot", CurvePlot)
        plot.log_y = not plot.log_y
        plot.border_title = self._loss_title(_("Loss by step") in str(plot.border_title), plot.log_y)
        plot.refresh()

    @staticmethod
    def _loss_title(by_step: bool, log: bool) -> str:
        """The loss plot's title: by step or by epoch, (log) when its y axis is logarithmic."""
        if by_step:
            return _("Loss by step (log)") if log else _("Loss by step")
        return _("Loss (log)") if log else _("Loss")

    def action_zoom(self) -> None:
        focused = self.app.focused
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        target = focused if focused is not None and focused in self.query("*") else self.query_one("#loss-plot")
        screen.maximize(target, container=False)

    def action_zoom_result(self) -> None:
        """The test result (the whole confusion matrix) on the whole screen; again to restore."""
        screen = self.screen
        box = self.query_one("#result-box")
        if screen.maximized is not None:
            was = screen.maximized
            screen.minimize()
            if was is box:
                return
        box.focus()
        screen.maximize(box, container=False)
