"""Which epoch is "best", and how to say it without mixing two different bests.

The trainer's best epoch is the one with the best value of the *monitor* (``val_loss`` unless
``train.early_stopping.monitor`` says otherwise): it is the epoch ``best.pt`` holds and early stopping
restores. Its validation accuracy is *not* the highest validation accuracy of the run (an epoch with a slightly
higher val loss can have a higher accuracy), so both are reported, each named for what it is:
``val acc at best val loss (epoch 3): 91.20% · best val acc 91.50% (epoch 4)``.

Plain Python (no torch): ``--batch`` and the app's result panel share these lines.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from tui_dl.core.i18n import N_, gettext
from tui_dl.core.training.events import Finished

__all__ = ["highest", "metric_name", "monitor_source", "best_fields", "best_epoch_line", "best_checkpoint_line"]

_NAMES = {"val_loss": N_("val loss"), "val_accuracy": N_("val acc"), "train_loss": N_("train loss"),
          "train_accuracy": N_("train acc")}
#: Why the monitor was watched (translated where shown; summary.json keeps the English).
_SOURCES = {"early_stopping": N_("the early-stopping monitor"),
            "default": N_("watched by default: early stopping is off"),
            "fallback": N_("watched instead of the validation split, which this run does not have")}
#: (monitor, mode) → the best value's words, as one phrase (Chinese puts the words in another order).
_BEST = {("val_loss", "min"): N_("lowest val loss"), ("val_loss", "max"): N_("highest val loss"),
         ("val_accuracy", "min"): N_("lowest val acc"), ("val_accuracy", "max"): N_("highest val acc"),
         ("train_loss", "min"): N_("lowest train loss"), ("train_loss", "max"): N_("highest train loss"),
         ("train_accuracy", "min"): N_("lowest train acc"), ("train_accuracy", "max"): N_("highest train acc")}


def metric_name(key: str) -> str:
    """``val_loss`` → ``val loss``, ``val_accuracy`` → ``val acc`` (the words the screens use)."""
    return _NAMES.get(key, key.replace("_", " "))


def highest(history: Iterable[dict[str, Any]], key: str = "val_accuracy") -> tuple[int | None, float | None]:
    """The epoch with the highest finite ``key`` (the first of equals) and that value; (None, None) if none."""
    best_epoch, best = None, None
    for h in history:
        v = h.get(key)
        if isinstance(v, (int, float)) and math.isfinite(v) and (best is None or v > best):
            best_epoch, best = int(h["epoch"]), float(v)
    return best_epoch, best


def monitor_source(early_stopping_on: bool, wanted: str, monitor: str) -> str:
    """Why ``monitor`` was watched: "early_stopping" (its monitor), "default" (early stopping off) or
    "fallback" (a val_ monitor was wanted but the run has no validation split)."""
    if wanted != monitor:
        return "fallback"
    return "early_stopping" if early_stopping_on else "default"


def best_fields(history: list[dict[str, Any]], *, best_epoch: int | None, monitor: str, mode: str, source: str,
                best_checkpoint: str) -> dict[str, Any]:
    """The ``Finished`` fields about the best epoch: its val loss and accuracy, the monitor and why it was
    watched, the highest val accuracy with its epoch, and the path of ``best.pt`` ("" when there is none)."""
    rec = next((h for h in history if h["epoch"] == best_epoch), None)
    top_epoch, top = highest(history, "val_accuracy")
    at_best = rec.get("val_accuracy") if rec else None
    return {"best_epoch": best_epoch, "best_val_loss": rec.get("val_loss") if rec else None,
            "best_val_accuracy": at_best, "val_accuracy_at_best": at_best, "monitor": monitor, "monitor_mode": mode,
            "monitor_source": source, "highest_val_accuracy": top, "highest_val_accuracy_epoch": top_epoch,
            "best_checkpoint": best_checkpoint if best_epoch is not None else ""}


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.2f}%"


def _english(message: str) -> str:
    return message


def _best(fin: Finished, t) -> str:
    """"lowest val loss": the monitor's best value, in words."""
    mode = "min" if fin.monitor_mode == "min" else "max"
    if (fin.monitor, mode) in _BEST:
        return t(_BEST[(fin.monitor, mode)])
    return f"{'lowest' if mode == 'min' else 'highest'} {metric_name(fin.monitor)}"  # a monitor named in no table


def best_epoch_line(fin: Finished, pct: Callable[[float | None], str] = _pct, *, english: bool = False) -> str:
    """One line with the best epoch's validation accuracy and the highest validation accuracy, each with its
    epoch, in the language spoken now (``english``: in English). A ``Finished`` from an older run folder (no
    monitor recorded) gets the old line."""
    t = _english if english else gettext
    if fin.best_epoch is None:
        return ""
    if not fin.monitor:  # written before the monitor was recorded
        return t(N_("best epoch {epoch}, val {acc}")).format(epoch=fin.best_epoch, acc=pct(fin.best_val_accuracy))
    top = (t(N_("best val acc {acc} (epoch {epoch})")).format(acc=pct(fin.highest_val_accuracy),
                                                          epoch=fin.highest_val_accuracy_epoch)
           if fin.highest_val_accuracy is not None else "")
    if fin.best_val_accuracy is None:  # no validation split: the best epoch by the training loss
        lead = t(N_("best epoch {epoch} ({best})")).format(epoch=fin.best_epoch, best=_best(fin, t))
    elif fin.monitor == "val_accuracy" and fin.highest_val_accuracy_epoch == fin.best_epoch:
        lead = ""  # the same epoch: one number
    elif fin.highest_val_accuracy_epoch == fin.best_epoch and fin.highest_val_accuracy is not None:
        # the same epoch: one number, said once
        return t(N_("best val acc {acc} (epoch {epoch}, also the {best})")).format(
            acc=pct(fin.highest_val_accuracy), epoch=fin.best_epoch, best=_best(fin, t))
    else:
        metric = t(_NAMES[fin.monitor]) if fin.monitor in _NAMES else metric_name(fin.monitor)
        lead = t(N_("val acc at best {metric} (epoch {epoch}): {acc}")).format(
            metric=metric, epoch=fin.best_epoch, acc=pct(fin.best_val_accuracy))
    return " · ".join(p for p in (lead, top) if p)


def best_checkpoint_line(fin: Finished, *, english: bool = False) -> str:
    """Which epoch ``best.pt`` holds and why, e.g. "best.pt holds epoch 3: the lowest val loss (the
    early-stopping monitor)"; "" for an older run folder or a run without a best epoch. In the language spoken
    now; ``english`` for summary.json, which stays English."""
    t = _english if english else gettext
    if fin.best_epoch is None or not fin.monitor:
        return ""
    source = t(_SOURCES[fin.monitor_source]) if fin.monitor_source in _SOURCES else fin.monitor_source
    why = t(N_("the {best} ({source})")).format(best=_best(fin, t), source=source)
    if fin.best_checkpoint:
        return t(N_("best.pt holds epoch {epoch}: {why}")).format(epoch=fin.best_epoch, why=why)
    return t(N_("best epoch {epoch}: {why}; no best.pt in this run folder")).format(epoch=fin.best_epoch, why=why)
