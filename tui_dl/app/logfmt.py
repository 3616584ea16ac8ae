"""Training events as readable log lines (no Textual). Batch mode has its own printer; the wording
here is written for the narrow log pane."""

from __future__ import annotations

import textwrap

from tui_dl.core.training import events as E



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
    """The first clause of a dataset fallback reason (the whole reason, with what to do, is in the log)."""
    first = reason.split(". ")[0].split(" (")[0].rstrip(".")
    return first if len(first) <= limit else first[:limit - 3] + "…"


def wrap_log_line(line: str, width: int) -> list[str]:
    """One log line as the pane shows it ``width`` cells wide: a long line (a diagnosis, a warning, the advice
    after a divergence, a path, a step line in a narrow pane) wraps under its own text, so nothing is cut off
    and the pane never scrolls sideways."""
    if width < 12 or len(line) <= width:
        return [line]
    lead = len(line) - len(line.lstrip(" "))
    indent = " " * (lead + (0 if lead else 2))  # "⚑ flat loss: …" continues under "flat"
    return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [line]


def format_event(ev, images_per_second: float | None = None) -> list[str]:
    """Log lines for one event (step events included: the log is bounded and written in batches).
    ``images_per_second``: the rate to print on a step line (the run's smoothed one), else the step's own."""
    if isinstance(ev, E.StepDone):
        rate = ev.images_per_second if images_per_second is None else images_per_second
        return [f"  e{ev.epoch} {ev.batch:>5}/{ev.batches}  loss {ev.loss:.4f}  lr {ev.lr:.3g}  "
                f"{rate:,.0f} img/s"]
    if isinstance(ev, E.EpochDone):
        text = f"■ epoch {ev.epoch}/{ev.epochs}  loss {num(ev.train_loss)}"
        if ev.val_loss is not None:
            text += f" val {num(ev.val_loss)}"
        if ev.train_accuracy is not None or ev.val_accuracy is not None:
            text += f"  acc {pct1(ev.train_accuracy)}"
            if ev.val_accuracy is not None:
                text += f" val {pct1(ev.val_accuracy)}"
        text += f"  {ev.seconds:.1f}s"
        if ev.is_best:
            text += " ★"
        return [text]
    if isinstance(ev, E.RunStarted):
        lines = [f"▶ {ev.name} on {ev.dataset}: {ev.train_size:,} train, {ev.val_size:,} val, "
                 f"{ev.test_size:,} test",
                 f"  {ev.epochs} epochs × {ev.steps_per_epoch:,} steps, {ev.params:,} params",
                 # the CPU badge names its threads already: "CPU (2 cores, 2 threads)"; a GPU's adds its index
                 f"  device {ev.device_name or ev.device}" + (f" [{ev.device}]" if ev.device != "cpu" else ""),
                 f"  run folder {ev.run_dir}"]
        if ev.resumed_from:
            lines.append(f"  resumed from {ev.resumed_from} at epoch {ev.start_epoch}")
        if ev.fallback_reason:
            lines.append(f"⚠ dataset fallback: {ev.fallback_reason}")
        return lines
    if isinstance(ev, E.CheckpointSaved):
        return [f"  ✓ checkpoint ({ev.reason}) {ev.path}"]
    if isinstance(ev, E.Notice):
        mark = {"warning": "⚠", "error": "✗"}.get(ev.level, "ℹ")
        return [f"{mark} {ev.message}"]
    if isinstance(ev, E.EarlyStopped):
        return [f"⏹ early stop after epoch {ev.epoch}: {ev.monitor} has not improved for {ev.patience} epochs "
                f"(best {ev.best_value:.4f} at epoch {ev.best_epoch})"]
    if isinstance(ev, E.Diverged):
        return [f"✗ diverged at epoch {ev.epoch}, step {ev.step}: loss {ev.loss:.4g} ({ev.reason}; it started "
                f"at {ev.first_loss:.4g})", f"  {ev.advice}"]
    if isinstance(ev, E.Finished):
        lines = [f"■ {ev.status.replace('_', ' ')}: {ev.epochs_run} epoch{'s' if ev.epochs_run != 1 else ''}, "
                 f"{ev.steps:,} steps, "
                 f"{duration(ev.seconds)}, {ev.train_images_per_second:,.0f} img/s"]
        if ev.test_accuracy is not None or ev.test_loss is not None:
            lines.append(f"  test accuracy {pct(ev.test_accuracy)}, test loss {num(ev.test_loss)}")
        if ev.best_epoch is not None:
            lines.append(f"  best epoch {ev.best_epoch}: val loss {num(ev.best_val_loss)}, "
                         f"val acc {pct(ev.best_val_accuracy)}")
        return lines
    return [str(ev)]
