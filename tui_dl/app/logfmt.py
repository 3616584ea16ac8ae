"""Training events as readable log lines (no Textual). Batch mode has its own printer; the wording
here is written for the narrow log pane."""

from __future__ import annotations

import re
import textwrap

from tui_dl.core.device_names import device_text
from tui_dl.core.i18n import N_, _, ngettext, text_width, truncate, wrap_cells
from tui_dl.core.training import events as E

#: A finished run's status (a code word in its files) as the log and the toasts say it.
STATUS_NAMES = {
    "completed": N_("completed"),
    "stopped": N_("stopped"),
    "early_stopped": N_("early stopped"),
    "diverged": N_("diverged"),
    "failed": N_("failed"),
    "interrupted": N_("interrupted"),
    "running": N_("running"),
}


def status_name(status: str) -> str:
    """A run's status (``early_stopped``) in words, in the current language (``early stopped``)."""
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status.replace("_", " ")


def duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "–"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.2f}%"


def pct1(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def num(v: float | None, digits: int = 4) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def fallback_short(reason: str, limit: int = 110) -> str:
    """The first clause of a dataset fallback reason (the whole reason, with what to do, is in the log), at most
    ``limit`` cells. The reason is in the language of the run's start: an English one ends its clause at ". " or
    " (", a Chinese one at "。" or "（"."""
    first = re.split(r"\. |\s\(|。|（", reason, maxsplit=1)[0].rstrip(".。")
    return truncate(first, limit)


def wrap_log_line(line: str, width: int) -> list[str]:
    """One log line as the pane shows it ``width`` cells wide: a long line (a diagnosis, a warning, the advice
    after a divergence, a path, a step line in a narrow pane) wraps under its own text, so nothing is cut off
    and the pane never scrolls sideways."""
    if width < 12 or text_width(line) <= width:
        return [line]
    lead = len(line) - len(line.lstrip(" "))
    indent = " " * (lead + (0 if lead else 2))  # "⚑ flat loss: …" continues under "flat"
    if text_width(line) == len(line):  # no wide (Chinese) characters: marks such as ■ ⚠ take one cell
        return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [line]
    # Chinese text: a character takes two cells and there are no spaces to break at. Break between characters,
    # keep numbers and words whole ("7,169 img/s"), never start a line with "，" or "。" (core.i18n.wrap_cells);
    # only a word wider than the pane (a path) is cut by cells
    room = max(4, width - len(indent))
    out: list[str] = []
    for piece in wrap_cells(line, room):
        while text_width(piece) > room:
            cells, cut = 0, 0
            for cut, ch in enumerate(piece):
                cells += text_width(ch)
                if cells > room:
                    break
            out.append(piece[:cut])
            piece = piece[cut:]
        out.append(piece)
    return [(" " * lead if i == 0 else indent) + piece for i, piece in enumerate(out)]


def format_event(ev, images_per_second: float | None = None) -> list[str]:
    """Log lines for one event (step events included: the log is bounded and written in batches).
    ``images_per_second``: the rate to print on a step line (the run's smoothed one), else the step's own.
    The lines are in the current language (a line already in the log stays as it was written); the marks that
    start them (``▶ ■ ⚠ ✗ ⏹ ✓``) never change, the app looks for them."""
    if isinstance(ev, E.StepDone):
        rate = ev.images_per_second if images_per_second is None else images_per_second
        return [_("  e{epoch} {batch:>5}/{batches}  loss {loss:.4f}  lr {lr:.3g}  {rate:,.0f} img/s").format(
            epoch=ev.epoch, batch=ev.batch, batches=ev.batches, loss=ev.loss, lr=ev.lr, rate=rate)]
    if isinstance(ev, E.EpochDone):
        text = "■ " + _("epoch {epoch}/{epochs}  loss {loss}").format(
            epoch=ev.epoch, epochs=ev.epochs, loss=num(ev.train_loss))
        if ev.val_loss is not None:
            text += " " + _("val {loss}").format(loss=num(ev.val_loss))
        if ev.train_accuracy is not None or ev.val_accuracy is not None:
            text += "  " + _("acc {acc}").format(acc=pct1(ev.train_accuracy))
            if ev.val_accuracy is not None:
                text += " " + _("val {acc}").format(acc=pct1(ev.val_accuracy))
        text += f"  {ev.seconds:.1f}s"
        if ev.is_best:
            text += " ★"
        return [text]
    if isinstance(ev, E.RunStarted):
        lines = ["▶ " + _("{name} on {dataset}: {train:,} train, {val:,} val, {test:,} test").format(
                     name=ev.name, dataset=ev.dataset, train=ev.train_size, val=ev.val_size, test=ev.test_size),
                 "  " + _("{epochs} epochs × {steps:,} steps, {params:,} params").format(
                     epochs=ev.epochs, steps=ev.steps_per_epoch, params=ev.params),
                 # the CPU badge names its threads already: "CPU (2 cores, 2 threads)"; a GPU's adds its index
                 "  " + _("device {device}").format(device=device_text(ev.device_name) or ev.device)
                 + (f" [{ev.device}]" if ev.device != "cpu" else ""),
                 "  " + _("run folder {path}").format(path=ev.run_dir)]
        if ev.resumed_from:
            lines.append("  " + _("resumed from {path} at epoch {epoch}").format(
                path=ev.resumed_from, epoch=ev.start_epoch))
        if ev.fallback_reason:
            lines.append("⚠ " + _("dataset fallback: {reason}").format(reason=ev.fallback_reason))
        return lines
    if isinstance(ev, E.CheckpointSaved):
        # TRANSLATORS: {reason} is a code word ("best", "last", "interrupted"); {path} the checkpoint file
        return ["  ✓ " + _("checkpoint ({reason}) {path}").format(reason=ev.reason, path=ev.path)]
    if isinstance(ev, E.Notice):
        mark = {"warning": "⚠", "error": "✗"}.get(ev.level, "ℹ")
        return [f"{mark} {E.notice_text(ev)}"]
    if isinstance(ev, E.EarlyStopped):
        return ["⏹ " + _("early stop after epoch {epoch}: {monitor} has not improved for {patience} epochs "
                        "(best {best:.4f} at epoch {best_epoch})").format(
                    epoch=ev.epoch, monitor=ev.monitor, patience=ev.patience, best=ev.best_value,
                    best_epoch=ev.best_epoch)]
    if isinstance(ev, E.Diverged):
        return ["✗ " + _("diverged at epoch {epoch}, step {step}: loss {loss:.4g} ({reason}; it started "
                        "at {first:.4g})").format(epoch=ev.epoch, step=ev.step, loss=ev.loss, reason=ev.reason,
                                                   first=ev.first_loss),
                f"  {E.advice_text(ev)}"]
    if isinstance(ev, E.Finished):
        status = status_name(ev.status)
        lines = ["■ " + ngettext("{status}: {epochs} epoch, {steps:,} steps, {time}, {rate:,.0f} img/s",
                                 "{status}: {epochs} epochs, {steps:,} steps, {time}, {rate:,.0f} img/s",
                                 ev.epochs_run).format(
                     status=status, epochs=ev.epochs_run, steps=ev.steps, time=duration(ev.seconds),
                     rate=ev.train_images_per_second)]
        if ev.test_accuracy is not None or ev.test_loss is not None:
            lines.append("  " + _("test accuracy {acc}, test loss {loss}").format(
                acc=pct(ev.test_accuracy), loss=num(ev.test_loss)))
        if ev.best_epoch is not None:
            lines.append("  " + _("best epoch {epoch}: val loss {loss}, val acc {acc}").format(
                epoch=ev.best_epoch, loss=num(ev.best_val_loss), acc=pct(ev.best_val_accuracy)))
        return lines
    return [str(ev)]
