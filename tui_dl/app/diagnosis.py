"""Plain-language reading of the curves, for the log pane (no Textual).

Each finding has a key so that a run reports it once. Rules are deliberately simple and stated in
the message, so students can check them against the plot.
"""

from __future__ import annotations

from tui_dl.core.events import EpochDone


SHORT = {
    "overfitting": "overfitting: training loss falls while validation loss rises (see the log)",
    "flat": "flat loss: the training loss barely moves; the learning rate may be too small (see the log)",
}


def diagnose(epochs: list[EpochDone], first_loss: float | None, lr: float | None) -> list[tuple[str, str]]:
    """Findings for the epochs so far: ``[(key, message), ...]`` (``SHORT[key]`` is a one-line version)."""
    out: list[tuple[str, str]] = []
    if len(epochs) >= 3:
        a, b, c = epochs[-3:]
        if None not in (a.val_loss, b.val_loss, c.val_loss) and \
                a.train_loss > b.train_loss > c.train_loss and a.val_loss < b.val_loss < c.val_loss:
            out.append(("overfitting", (
                f"overfitting: since epoch {a.epoch} the training loss keeps falling "
                f"({a.train_loss:.4f} → {c.train_loss:.4f}) while the validation loss rises "
                f"({a.val_loss:.4f} → {c.val_loss:.4f}). The net is memorising the training set. Try early "
                f"stopping, dropout, weight decay, data augmentation or a smaller net.")))
    if len(epochs) >= 2 and first_loss and first_loss > 0:
        prev, last = epochs[-2], epochs[-1]
        change = abs(last.train_loss - prev.train_loss) / max(prev.train_loss, 1e-12)
        if change < 0.005 and last.train_loss > 0.8 * first_loss:
            lr_txt = f" (lr = {lr:g})" if lr else ""
            out.append(("flat", (
                f"flat loss: the training loss moved {change:.2%} in epoch {last.epoch} and is still "
                f"{last.train_loss / first_loss:.0%} of where it started. The learning rate may be too "
                f"small{lr_txt}: try 10× larger, or another optimizer (Adam). Saturated sigmoids or a "
                f"too-deep net without normalisation can also stall learning.")))
    return out
