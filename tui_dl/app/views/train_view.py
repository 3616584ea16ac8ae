"""Train view: loss | accuracy plots on top, log | test result below, banner for what must be seen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Log, Static

from tui_dl.core.training.diagnosis import SHORT
from tui_dl.app.logfmt import fallback_short
from tui_dl.app.keys import bindings
from tui_dl.app.messages import ViewMounted
from tui_dl.app.session import RunRecord, downsample
from tui_dl.app.widgets.colors import palette
from tui_dl.app.widgets.plots import CurvePlot, Series
from tui_dl.app.widgets.results import ResultPanel

MAX_STEP_POINTS = 400
#: Colours of overlaid runs: theme colours that differ from primary/accent, then fixed ones.
OVERLAY_COLORS = ("success", "error", (190, 110, 255), (80, 210, 220), (230, 230, 120))


def loss_series(rec: RunRecord, overlays: list[RunRecord]) -> list[Series]:
    """One run: raw steps, smoothed line, validation. With overlays: smoothed + validation per run,
    labelled ``#id`` (the plot's title says what each run is)."""
    out: list[Series] = []
    if not overlays:
        xs, ys = downsample(rec.step_x, rec.step_loss, MAX_STEP_POINTS)
        out.append(Series(xs, ys, "train", "muted"))
    xs, ys = downsample(rec.step_x, rec.smooth, MAX_STEP_POINTS)
    out.append(Series(xs, ys, f"#{rec.id} train" if overlays else "smoothed", "primary"))
    vx, vy = rec.epoch_series("val_loss")
    out.append(Series(vx, vy, f"#{rec.id} val" if overlays else "val", "accent"))
    for i, other in enumerate(overlays):
        color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
        xs, ys = downsample(other.step_x, other.smooth, MAX_STEP_POINTS // 2)
        out.append(Series(xs, ys, f"#{other.id} train", color))
        vx, vy = other.epoch_series("val_loss")
        out.append(Series(vx, vy, f"#{other.id} val", color, marker="dot"))
    return out


def accuracy_series(rec: RunRecord, overlays: list[RunRecord]) -> list[Series]:
    out: list[Series] = []
    prefix = f"#{rec.id} " if overlays else ""

    def pct(xy):
        return xy[0], [100 * y for y in xy[1]]

    xs, ys = pct(rec.epoch_series("train_accuracy"))
    out.append(Series(xs, ys, f"{prefix}train", "primary"))
    xs, ys = pct(rec.epoch_series("val_accuracy"))
    out.append(Series(xs, ys, f"{prefix}val", "accent"))
    for i, other in enumerate(overlays):
        color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
        xs, ys = pct(other.epoch_series("val_accuracy"))
        out.append(Series(xs, ys, f"#{other.id} val", color, marker="dot"))
    return out


def plot_title(rec: RunRecord, overlays: list[RunRecord]) -> str:
    """``Loss · #2 optimizer=sgd vs #1 adam lr=0.001 bs=64``."""
    return "Loss · " + " vs ".join(r.label for r in [rec, *overlays])


class TrainView(Vertical):
    BINDINGS = bindings("Train")  # see tui_dl.app.keys

    def compose(self) -> ComposeResult:
        yield Static("", id="train-banner")
        with Horizontal(id="plots-row"):
            loss = CurvePlot("Loss", "loss", "No run yet. Press ctrl+r to train.", id="loss-plot", classes="panel")
            loss.border_title = "Loss"
            yield loss
            acc = CurvePlot("Accuracy %", "%", "Accuracy per epoch appears here.", id="acc-plot", classes="panel")
            acc.border_title = "Accuracy %"
            yield acc
        with Horizontal(id="bottom-row"):
            log = Log(id="log-pane", max_lines=2000, classes="panel", auto_scroll=True)
            log.border_title = "Log"
            yield log
            with VerticalScroll(id="result-box", classes="panel", can_focus=False) as box:
                box.border_title = "Test result"
                yield ResultPanel(id="result-panel")

    ready = False
    """True once mounted: the app talks to the view only then."""

    def on_unmount(self) -> None:
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.post_message(ViewMounted("train"))  # the app shows the current run

    # ------------------------------------------------------------------ showing a run
    def show_run(self, rec: RunRecord | None, overlays: list[RunRecord]) -> None:
        log = self.query_one(Log)
        log.clear()
        if rec is None:
            self.query_one(ResultPanel).show(None)
            self.update_banner(None)
            self.update_plots(None, overlays)
            return
        log.write_lines(list(rec.log))
        plot = self.query_one("#loss-plot", CurvePlot)
        others = [o for o in overlays if o.id != rec.id]
        plot.border_title = plot_title(rec, others) + (" (log)" if plot.log_y else "")
        self.show_result(rec)
        self.update_banner(rec)
        self.update_plots(rec, overlays)

    def show_result(self, rec: RunRecord) -> None:
        placeholder = None
        if rec.error:
            placeholder = f"The run failed: {rec.error}"
        elif rec.running:
            placeholder = "Training… the test accuracy and the confusion matrix appear here at the end."
        elif rec.finished is None:
            placeholder = "This run has no result (it did not finish)."
        self.query_one(ResultPanel).show(rec.finished, placeholder)

    def append_log(self, lines: list[str]) -> None:
        if lines:
            self.query_one(Log).write_lines(lines)

    def update_plots(self, rec: RunRecord | None, overlays: list[RunRecord]) -> None:
        found = self.query("#loss-plot"), self.query("#acc-plot")
        if not (found[0] and found[1]):
            return  # the view is being torn down (quit) or rebuilt: show_run draws the plots once it is back
        loss, acc = found[0].first(CurvePlot), found[1].first(CurvePlot)
        if rec is None:
            loss.set_series([])
            acc.set_series([])
            return
        others = [o for o in overlays if o.id != rec.id]
        loss.border_title = plot_title(rec, others) + (" (log)" if loss.log_y else "")
        loss.set_series(loss_series(rec, others),
                        empty_text="Starting… the loss curve appears after the first steps." if rec.running
                        else "This run recorded no training steps.")
        has_acc = any(e.val_accuracy is not None or e.train_accuracy is not None for e in rec.epochs)
        acc.set_series(accuracy_series(rec, others),
                       empty_text="Accuracy per epoch appears after the first epoch." if rec.running or has_acc
                       or not rec.epochs else "No accuracy for this loss (regression).")

    def update_banner(self, rec: RunRecord | None) -> None:
        banner = self.query_one("#train-banner", Static)
        if rec is None:
            banner.display = False
            return
        pal = palette(self.app)
        lines: list[Text] = []
        if rec.started is not None and rec.started.fallback_reason:
            short = fallback_short(rec.started.fallback_reason)
            lines.append(Text(f"⚠ Training on {rec.started.dataset} instead: {short} (the log has the details)",
                              style=f"bold {pal.warning}"))
        if rec.diverged is not None:
            d = rec.diverged
            lines.append(Text(f"✗ Diverged at epoch {d.epoch}, step {d.step} (loss {d.loss:.4g}). {d.advice}",
                              style=f"bold {pal.error}"))
        if rec.early_stop is not None:
            e = rec.early_stop
            lines.append(Text(f"⏹ Early stop after epoch {e.epoch}: {e.monitor} did not improve for {e.patience} "
                              f"epochs; best {e.best_value:.4f} at epoch {e.best_epoch}.", style=f"bold {pal.accent}"))
        if rec.error:
            lines.append(Text(f"✗ Training failed: {rec.error}", style=f"bold {pal.error}"))
        for n in rec.notices:
            if n.level in ("warning", "error"):
                lines.append(Text(("⚠ " if n.level == "warning" else "✗ ") + n.message,
                                  style=pal.warning if n.level == "warning" else pal.error))
        for key, message in rec.findings.items():
            lines.append(Text(f"⚑ {SHORT.get(key, message)}", style=pal.warning))
        banner.display = bool(lines)
        if lines:
            banner.update(Text("\n").join(lines[-4:]))

    def action_toggle_log(self) -> None:
        plot = self.query_one("#loss-plot", CurvePlot)
        plot.log_y = not plot.log_y
        plot.border_title = plot.border_title.replace(" (log)", "") + (" (log)" if plot.log_y else "")
        plot.refresh()

    def action_zoom(self) -> None:
        focused = self.app.focused
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        target = focused if focused is not None and focused in self.query("*") else self.query_one("#loss-plot")
        screen.maximize(target, container=False)
