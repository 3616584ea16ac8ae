"""The divergence rule, in one place: when a run's loss has blown up, and the advice the student gets.

A step's loss that is NaN or infinite, or above both :data:`EXPLODE_FACTOR` × the run's first step loss and
:data:`EXPLODE_FLOOR`, ends the run as "diverged". Healthy training never goes 1000× above its starting loss;
the absolute floor keeps tiny starting losses (e.g. 0.001) from making 1.0 look like an explosion.

A loss below its mathematical minimum (0 for every loss tui-dl offers; more than :data:`BELOW_MIN_TOLERANCE`
under it, to allow for float rounding) ends the run the same way, with reason "below_minimum": the network's
output is not what the loss expects (the classic case: ``nll`` without a final LogSoftmax, which trains to
−1e8 while every epoch looks "best"). Such a run would never stop by itself.
"""

from __future__ import annotations

import math

import torch

from tui_dl.core.i18n import N_
from tui_dl.core.training.events import Diverged, english

__all__ = ["EXPLODE_FACTOR", "EXPLODE_FLOOR", "ACCEL_CHECK_EVERY", "BELOW_MIN_TOLERANCE", "DivergenceGuard",
           "explode_threshold"]

EXPLODE_FACTOR = 1e3
EXPLODE_FLOOR = 1e4
#: On an accelerator the loss check is batched: the per-step losses stay on the device and are checked with
#: one sync every this many steps (or at each StepDone, if sooner). On the CPU every step is checked (a CPU
#: tensor read costs nothing).
ACCEL_CHECK_EVERY = 8
#: How far below its minimum a loss may read before the run is stopped (float rounding can give a cross-entropy
#: of -1e-7 on a sample the network is sure of; nll without LogSoftmax is below -0.01 within a few steps).
BELOW_MIN_TOLERANCE = 1e-4


def explode_threshold(first_loss: float) -> float:
    """The highest good loss of a run whose first step's loss was ``first_loss`` (-inf when that one was not
    finite: then every loss is bad)."""
    if not math.isfinite(first_loss):
        return -math.inf
    return max(EXPLODE_FACTOR * abs(first_loss), EXPLODE_FLOOR)


class DivergenceGuard:
    """Watches the per-step losses of a run. The first loss ever seen (``ref_loss``, kept in checkpoints) sets
    the scale; :meth:`check` looks at the steps not yet checked, every ``check_every`` steps. ``min_loss``: the
    lowest value the loss can take (None: no lower bound), ``below_min_hint`` why it may not hold and what to do."""

    def __init__(self, ref_loss: float | None = None, check_every: int = 1, *, min_loss: float | None = None,
                 below_min_hint: str = ""):
        self.ref_loss = ref_loss
        self.check_every = check_every
        self.threshold = None if ref_loss is None else explode_threshold(ref_loss)
        self.min_loss = min_loss
        self.floor = -math.inf if min_loss is None else min_loss - BELOW_MIN_TOLERANCE
        self.below_min_hint = below_min_hint
        self.checked = 0    # steps of the current epoch already checked

    def start_epoch(self, batch: int) -> None:
        """The epoch goes on from its step ``batch`` (0, or later when resumed mid-epoch)."""
        self.checked = batch

    def check(self, losses: torch.Tensor, done: int, last: bool) -> int | None:
        """After the epoch's step ``done`` (1-based; ``losses[:done]`` hold the epoch's losses so far): the
        index of the first bad step, or None. ``last``: the epoch's final step (always checked)."""
        if self.threshold is None:
            self.ref_loss = float(losses[done - 1])
            self.threshold = explode_threshold(self.ref_loss)
        if done - self.checked < self.check_every and not last:
            return None
        start, self.checked = self.checked, done
        if self.check_every == 1:  # one step: a plain float compare
            return None if self.floor <= float(losses[start]) <= self.threshold else start
        window = losses[start:done]
        bad = ~((window <= self.threshold) & (window >= self.floor))
        return start + int(bad.nonzero()[0, 0]) if bool(bad.any()) else None

    @staticmethod
    def epoch_diverged(train_loss: float) -> bool:
        """The epoch's mean loss is not a number (its steps were each checked; this catches what they sum to)."""
        return not math.isfinite(train_loss)

    def event(self, loss: float, *, epoch: int, step: int, lr: float, grad_clip: float | None,
              loss_name: str = "the loss") -> Diverged:
        """The Diverged event for a bad ``loss`` at global step ``step``, with the advice to give."""
        first = float(self.ref_loss if self.ref_loss is not None else loss)
        if math.isfinite(loss) and loss < self.floor:
            hint = self.below_min_hint or english(
                N_("the network's output is not what {loss_name} expects: check its last layer against the loss"),
                loss_name=loss_name)
            advice = english(N_("{loss_name} fell to {loss} at step {step}, below {min_loss}, the lowest value it "
                                "can take: {hint}. Training was stopped; the last good checkpoint is kept."),
                             loss_name=loss_name, loss=f"{loss:.4g}", step=step, min_loss=f"{self.min_loss:g}",
                             hint=hint)
            return Diverged(epoch=epoch, step=step, loss=loss, first_loss=first, reason="below_minimum",
                            advice=advice)
        reason = "nan" if math.isnan(loss) else ("inf" if math.isinf(loss) else "exploded")
        values = {"lr": f"{lr / 10:g}", "step": step}
        if reason == "exploded":
            values.update(loss=f"{loss:.3g}", first=f"{self.ref_loss:.3g}")
            advice = english(N_("learning rate too high: try lr={lr}. The loss exploded to {loss} (it started at "
                                "{first}) at step {step}; the last good checkpoint is kept.") if grad_clip else
                             N_("learning rate too high: try lr={lr} (or set train.grad_clip, e.g. 1.0). The loss "
                                "exploded to {loss} (it started at {first}) at step {step}; the last good checkpoint "
                                "is kept."), **values)
        elif reason == "nan":
            advice = english(N_("learning rate too high: try lr={lr}. The loss became NaN (not a number) at step "
                                "{step}; the last good checkpoint is kept.") if grad_clip else
                             N_("learning rate too high: try lr={lr} (or set train.grad_clip, e.g. 1.0). The loss "
                                "became NaN (not a number) at step {step}; the last good checkpoint is kept."),
                             **values)
        else:
            advice = english(N_("learning rate too high: try lr={lr}. The loss became infinite at step {step}; the "
                                "last good checkpoint is kept.") if grad_clip else
                             N_("learning rate too high: try lr={lr} (or set train.grad_clip, e.g. 1.0). The loss "
                                "became infinite at step {step}; the last good checkpoint is kept."), **values)
        return Diverged(epoch=epoch, step=step, loss=loss, first_loss=first, reason=reason, advice=advice)
