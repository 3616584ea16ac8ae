"""The engine's training step and its evaluation pass.

A step takes the indices of one batch and does one optimizer step on it: batch, forward, loss, backward,
(clip,) optimizer step. It returns the batch's loss and correct count as 0-d tensors on the device (read back
only when the trainer needs a number). :func:`make_step` picks the strategy once, from the run's plan:

- :class:`PlainStep`: the batch in one piece (the textbook loop);
- :class:`SplitStep`: the batch cut into one part per CPU core (:mod:`tui_dl.core.training.split`);
- :class:`FullBatchStep`: full-batch gradient descent (``gd``): one step over the whole training set.

The benchmarks time these same classes (``benchmarks/explore``), so what they measure is the engine's step.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, ContextManager, Protocol, Sequence

import torch

from tui_dl.core.data import normalize_batch
from tui_dl.core.training.grad_stats import GradRecorder, optimizer_step
from tui_dl.core.training.losses import Objective
from tui_dl.core.training.split import BatchSplitter

__all__ = ["Batcher", "Step", "PlainStep", "SplitStep", "FullBatchStep", "make_step", "evaluate", "loss_sum_dtype"]


class Batcher:
    """Turns slices of the in-memory dataset (uint8 images or float vectors) into network input on the
    training device: normalised, and channels-last when the plan says so."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], channels_last: bool):
        self.mean, self.std = tuple(mean), tuple(std)
        self.channels_last = channels_last

    def __call__(self, xb: torch.Tensor) -> torch.Tensor:
        out = normalize_batch(xb, self.mean, self.std)
        if self.channels_last and out.dim() == 4:
            out = out.contiguous(memory_format=torch.channels_last)
        return out


class Step(Protocol):
    #: whether the step reads a shuffled batch order (full-batch GD does not)
    shuffles: bool
    #: per-layer gradient statistics on logged steps (:mod:`~tui_dl.core.training.grad_stats`), or None
    recorder: GradRecorder | None

    def __call__(self, idx: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]: ...

    def close(self) -> None: ...


#: ``perturb(xb, yb, idx) -> xb``: a change to each normalised batch before the forward pass (adversarial training)
Perturb = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]


def _trainable(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


class PlainStep:
    """One optimizer step on the batch ``x[idx], y[idx]``, in one piece."""

    shuffles = True
    recorder: GradRecorder | None = None   # armed by the trainer on logged steps (grad_stats)

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, objective: Objective,
                 prep: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
                 grad_clip: float | None = None, *, perturb: Perturb | None = None):
        self.model, self.optimizer, self.objective = model, optimizer, objective
        self.prep, self.x, self.y = prep, x, y
        self.grad_clip, self.perturb = grad_clip, perturb
        self.params = _trainable(model)

    def __call__(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        xb = self.prep(self.x.index_select(0, idx))
        yb = self.y.index_select(0, idx)
        if self.perturb is not None:  # adversarial training (core/training/adversarial.py)
            xb = self.perturb(xb, yb, idx)
        out = self.model(xb)
        loss = self.objective.loss(out, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)
        optimizer_step(self.optimizer, self.recorder)
        return loss.detach(), self.objective.correct(out.detach(), yb)

    def close(self) -> None:
        pass


class SplitStep:
    """One optimizer step on the batch ``x[idx], y[idx]``, its forward and backward split across ``lanes``
    threads (the gradients added in a fixed order). ``close()`` ends the lanes' threads."""

    shuffles = True
    recorder: GradRecorder | None = None   # armed by the trainer on logged steps (grad_stats)

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, objective: Objective,
                 prep: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
                 grad_clip: float | None = None, *, lanes: int, flush_denormal: bool = False,
                 perturb: Perturb | None = None):
        self.optimizer, self.grad_clip = optimizer, grad_clip
        self.params = _trainable(model)

        def batch(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # run by each lane on its part
            xb, yb = prep(x.index_select(0, idx)), y.index_select(0, idx)
            return (xb if perturb is None else perturb(xb, yb, idx)), yb

        self.splitter = BatchSplitter(model, lanes, batch, objective.loss, objective.correct,
                                      flush_denormal=flush_denormal)

    def __call__(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        loss, correct = self.splitter.step(idx)
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)
        optimizer_step(self.optimizer, self.recorder)
        return loss, correct

    def close(self) -> None:
        self.splitter.close()


class FullBatchStep:
    """Full-batch gradient descent: the mean-loss gradient over the whole training set, summed over
    memory-sized chunks of ``chunk`` samples (each chunk's mean loss weighted by its share), then one optimizer
    step. It ignores ``idx``."""

    shuffles = False
    recorder: GradRecorder | None = None   # armed by the trainer on logged steps (grad_stats)

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, objective: Objective,
                 prep: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
                 grad_clip: float | None = None, *, chunk: int, perturb: Perturb | None = None):
        self.model, self.optimizer, self.objective = model, optimizer, objective
        self.prep, self.x, self.y = prep, x, y
        self.grad_clip, self.chunk, self.perturb = grad_clip, chunk, perturb
        self.params = _trainable(model)

    def __call__(self, idx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, y, model, obj = self.x, self.y, self.model, self.objective
        n = int(y.shape[0])
        self.optimizer.zero_grad(set_to_none=True)
        total = torch.zeros((), dtype=torch.float32, device=y.device)
        correct = torch.zeros((), dtype=torch.int64, device=y.device)
        for s in range(0, n, self.chunk):
            xb = self.prep(x[s:s + self.chunk])
            yb = y[s:s + self.chunk]
            if self.perturb is not None:
                xb = self.perturb(xb, yb, torch.arange(s, s + yb.shape[0]))
            out = model(xb)
            loss = obj.loss(out, yb) * (yb.shape[0] / n)
            loss.backward()
            total += loss.detach()
            correct += obj.correct(out.detach(), yb)
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)
        optimizer_step(self.optimizer, self.recorder)
        return total, correct

    def close(self) -> None:
        pass


def make_step(plan, model: torch.nn.Module, optimizer: torch.optim.Optimizer, prep, x: torch.Tensor,
              y: torch.Tensor, grad_clip: float | None = None, *, flush_denormal: bool = False,
              perturb: Perturb | None = None) -> Step:
    """The step strategy the plan (a :class:`~tui_dl.core.training.plan.RunPlan`) chose, on the training
    tensors ``x``, ``y`` (already on the plan's device). ``perturb(xb, yb, idx) -> xb``: adversarial training's
    change to each normalised batch (:mod:`tui_dl.core.training.adversarial`), or None."""
    args = (model, optimizer, plan.objective, prep, x, y, grad_clip)
    if plan.step == "full_batch":
        return FullBatchStep(*args, chunk=plan.eval_batch_size, perturb=perturb)
    if plan.step == "split":
        return SplitStep(*args, lanes=plan.lanes, flush_denormal=flush_denormal, perturb=perturb)
    return PlainStep(*args, perturb=perturb)


def loss_sum_dtype(device: torch.device) -> torch.dtype:
    """The dtype :func:`evaluate` sums the loss in on ``device``: float64 where the device has it (CPU, CUDA),
    float32 on Apple's MPS, which has no float64 (a float64 tensor there raises). The sum stays on the device
    either way, so evaluation never waits for a per-batch read-back."""
    return torch.float32 if torch.device(device).type == "mps" else torch.float64


@torch.inference_mode()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, objective: Objective, prep,
             batch_size: int, confusion: bool = False, should_stop: threading.Event | None = None,
             autocast: Callable[[], ContextManager] | None = None, reduce: Callable[..., int] | None = None
             ) -> tuple[float, float, list[list[int]] | None] | None:
    """Mean loss, accuracy (fraction) and optionally the confusion matrix (rows = true class, columns =
    predicted). Returns None when ``should_stop`` was set part-way. ``autocast()``: the forward pass's context
    (train.precision); ``reduce(loss_sum, correct, confusion, n=n) -> total n``: sums the sums over ranks in
    place (a sharded evaluation, :mod:`~tui_dl.core.training.distributed`)."""
    was_training = model.training
    model.eval()
    dev = x.device
    k = objective.num_classes
    acc_dtype = loss_sum_dtype(dev)
    loss_sum = torch.zeros((), dtype=acc_dtype, device=dev)
    correct = torch.zeros((), dtype=torch.int64, device=dev)
    conf = torch.zeros(k * k, dtype=torch.int64, device=dev) if confusion else None
    n = int(y.shape[0])
    try:
        for s in range(0, n, batch_size):
            if should_stop is not None and should_stop.is_set():
                return None
            xb = prep(x[s:s + batch_size])
            yb = y[s:s + batch_size]
            with autocast() if autocast is not None else contextlib.nullcontext():
                out = model(xb)
            out = out.float() if autocast is not None else out
            loss_sum += objective.loss(out, yb).to(acc_dtype) * yb.shape[0]
            pred = objective.predict(out)
            correct += (pred == yb).sum()
            if conf is not None:
                conf += torch.bincount(yb * k + pred, minlength=k * k)
    finally:
        model.train(was_training)
    if reduce is not None:
        n = reduce(loss_sum, correct, conf, n=n)
    if n == 0:
        return float("nan"), float("nan"), [[0] * k for _ in range(k)] if confusion else None
    cm = conf.view(k, k).tolist() if conf is not None else None
    return float(loss_sum) / n, int(correct) / n, cm
