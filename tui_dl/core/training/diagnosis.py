"""Plain-language reading of the curves: the app's log and banner and ``--batch`` print the findings.

Each finding has a key so that a run reports it once (:class:`Diagnoser`). Rules are deliberately simple and
stated in the message, so students can check them against the plot.
"""

from __future__ import annotations

import math

from tui_dl.core.i18n import N_, _
from tui_dl.core.training.events import EpochDone, StepDone, TrainEvent

#: A logged training loss this many times the run's first one is reported as "rising" (the trainer itself stops
#: a run only at 1000× and above 10,000: see ``tui_dl.core.training.divergence``).
RISING_FACTOR = 10.0

#: One-line versions (English source, marked with N_: call :func:`short` to show one in the current language).
SHORT = {
    "overfitting": N_("overfitting: training loss falls while validation loss rises (see the log)"),
    "flat": N_("flat loss: the training loss barely moves; the learning rate may be too small (see the log)"),
    "rising": N_("rising loss: the training loss climbed far above where it started; the learning rate may be too "
                 "high (see the log)"),
}


def short(key: str, default: str = "") -> str:
    """The one-line version of finding ``key`` in the current language (``default`` for an unknown key)."""
    return _(SHORT[key]) if key in SHORT else default


def rising(loss: float, first_loss: float | None, lr: float | None, step: int) -> tuple[str, str] | None:
    """The "rising" finding when a logged training ``loss`` is RISING_FACTOR× the first one, else None."""
    if first_loss is None or not first_loss > 0 or not math.isfinite(loss) or loss < RISING_FACTOR * first_loss:
        return None
    ratio = loss / first_loss
    if lr:
        text = _("rising loss: at step {step:,} the training loss is {loss:.4g}, {ratio:.0f}× where it started "
                 "({first:.4g}). The steps overshoot: the learning rate is probably too high (lr = {lr:g}; try "
                 "{lower:g}), or set train.grad_clip (e.g. 1.0). Left alone such a run often explodes or settles "
                 "at a poor loss.").format(step=step, loss=loss, ratio=ratio, first=first_loss, lr=lr,
                                           lower=lr / 10)
    else:
        text = _("rising loss: at step {step:,} the training loss is {loss:.4g}, {ratio:.0f}× where it started "
                 "({first:.4g}). The steps overshoot: the learning rate is probably too high, or set "
                 "train.grad_clip (e.g. 1.0). Left alone such a run often explodes or settles at a poor "
                 "loss.").format(step=step, loss=loss, ratio=ratio, first=first_loss)
    return ("rising", text)


def diagnose(epochs: list[EpochDone], first_loss: float | None, lr: float | None) -> list[tuple[str, str]]:
    """Findings for the epochs so far: ``[(key, message), ...]`` (``SHORT[key]`` is a one-line version)."""
    out: list[tuple[str, str]] = []
    if len(epochs) >= 3:
        a, b, c = epochs[-3:]
        if None not in (a.val_loss, b.val_loss, c.val_loss) and \
                a.train_loss > b.train_loss > c.train_loss and a.val_loss < b.val_loss < c.val_loss:
            out.append(("overfitting", _(
                "overfitting: since epoch {epoch} the training loss keeps falling ({t0:.4f} → {t1:.4f}) while the "
                "validation loss rises ({v0:.4f} → {v1:.4f}). The net is memorising the training set. Try early "
                "stopping, dropout, weight decay, data augmentation or a smaller net.").format(
                    epoch=a.epoch, t0=a.train_loss, t1=c.train_loss, v0=a.val_loss, v1=c.val_loss)))
    if len(epochs) >= 2 and first_loss and first_loss > 0:
        prev, last = epochs[-2], epochs[-1]
        change = abs(last.train_loss - prev.train_loss) / max(prev.train_loss, 1e-12)
        if change < 0.005 and last.train_loss > 0.8 * first_loss:
            values = dict(change=change, epoch=last.epoch, left=last.train_loss / first_loss, lr=lr)
            if lr:
                text = _("flat loss: the training loss moved {change:.2%} in epoch {epoch} and is still {left:.0%} "
                         "of where it started. The learning rate may be too small (lr = {lr:g}): try 10× larger, "
                         "or another optimizer (Adam). Saturated sigmoids or a too-deep net without "
                         "normalisation can also stall learning.").format(**values)
            else:
                text = _("flat loss: the training loss moved {change:.2%} in epoch {epoch} and is still {left:.0%} "
                         "of where it started. The learning rate may be too small: try 10× larger, or another "
                         "optimizer (Adam). Saturated sigmoids or a too-deep net without normalisation can also "
                         "stall learning.").format(**values)
            out.append(("flat", text))
    return out


class Diagnoser:
    """Reads one run's events; :meth:`add` returns the findings that event brings up for the first time."""

    def __init__(self) -> None:
        self.epochs: list[EpochDone] = []
        self.first_loss: float | None = None
        self.found: dict[str, str] = {}

    def add(self, ev: TrainEvent) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if isinstance(ev, StepDone):
            if self.first_loss is None and math.isfinite(ev.loss):
                self.first_loss = ev.loss
            f = rising(ev.loss, self.first_loss, ev.lr, ev.step)
            found = [f] if f else []
        elif isinstance(ev, EpochDone):
            self.epochs.append(ev)
            first = self.first_loss if self.first_loss is not None else self.epochs[0].train_loss
            found = diagnose(self.epochs, first, ev.lr)
        new = [(k, m) for k, m in found if k not in self.found]
        self.found.update(new)
        return new
