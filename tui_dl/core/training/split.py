"""Split-batch training on the CPU: each step's batch is cut into one part per core, the parts run forward and
backward at the same time in their own threads (one torch thread each), and their gradients are added.

Why: LeNet-sized layers are too small for torch's intra-op threading. With 2 OpenMP threads a LeNet step runs
only ~1.3× faster than with 1, because every one of its ~60 small ops pays a fork/join and its kernels for 6 or
16 channels vectorise badly; and the OpenMP threads spin at each barrier, so a busy neighbour (the app's UI
thread, another program) can stall them 10×. Two lanes of half a batch each keep both cores on arithmetic, and a
lane that is preempted only delays the step's join (no spinning). Measured with ``python -m benchmarks``.

The gradient is the batch's gradient: every loss in :mod:`tui_dl.core.training.losses` is a mean over samples, so the
batch loss is the sum over parts of ``loss(part) × part_size / batch_size``, and so is its gradient. The parts
are fixed slices and are added in a fixed order, so a run is as reproducible as before (the float rounding
differs from an unsplit step, like any change of thread count).

Only nets whose samples do not interact and that draw no random numbers in training are split
(:func:`splittable`): BatchNorm mixes the samples of a batch (its statistics would be per part), and Dropout
draws from the global generator, which two threads would consume in a varying order.
"""

from __future__ import annotations

import threading
from typing import Callable

import torch

from tui_dl.core.i18n import N_, _

__all__ = ["BatchSplitter", "splittable", "plan_lanes", "MAX_LANES", "MIN_PART", "part_bounds"]

#: Never more lanes than this: beyond 4 the Python dispatch of the lanes (one GIL) becomes the bottleneck.
MAX_LANES = 4
#: Each lane gets at least this many samples of a batch.
MIN_PART = 8


def splittable(model: torch.nn.Module) -> tuple[bool, str]:
    """Whether the net's samples are independent and its training step draws no random numbers; else why not."""
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.dropout import _DropoutNd

    for m in model.modules():
        if isinstance(m, _BatchNorm):
            return False, N_("BatchNorm mixes the samples of a batch")
        if isinstance(m, _DropoutNd) and m.p > 0:
            return False, N_("Dropout draws random numbers")
    return True, ""


def plan_lanes(threads: int, batch_size: int, cores: int, preference: bool | None) -> int:
    """How many lanes to split a batch into, given the CPU threads chosen for the run (1 = no split).

    ``preference`` is ``train.split_batch``: None = automatic (split on machines of 2 to 4 threads, where
    intra-op threading gains least), True = split whenever the batch allows (up to :data:`MAX_LANES` lanes),
    False = never."""
    if preference is False or threads < 2:
        return 1
    if preference is None and threads > MAX_LANES:
        return 1
    lanes = min(threads, MAX_LANES, cores if preference is None else threads, batch_size // MIN_PART)
    return lanes if lanes >= 2 else 1


def part_bounds(n: int, lanes: int) -> list[tuple[int, int]]:
    """The lanes' slices of a batch of ``n``: as equal as can be, the larger parts first."""
    parts = max(1, min(lanes, n))
    q, r = divmod(n, parts)
    out, s = [], 0
    for k in range(parts):
        e = s + q + (1 if k < r else 0)
        out.append((s, e))
        s = e
    return out


class BatchSplitter:
    """Runs training steps split into ``lanes`` parts: the calling thread computes part 0, ``lanes - 1`` helper
    threads the others. ``step(idx)`` leaves the batch's gradient in every parameter's ``.grad`` and returns
    (loss, correct), both as 0-d tensors; the caller then clips and steps the optimizer. ``close()`` ends the
    helpers (it is safe to call twice). ``flush_denormal``: the helpers flush denormal floats to zero, as the
    caller's thread does during training (the flag is per thread)."""

    def __init__(self, model: torch.nn.Module, lanes: int, batch: Callable[[torch.Tensor], tuple[torch.Tensor,
                 torch.Tensor]], loss: Callable, correct: Callable, flush_denormal: bool = False):
        if lanes < 2:
            raise ValueError(_("a BatchSplitter needs at least 2 lanes"))
        self.model, self.lanes = model, lanes
        self.params = [p for p in model.parameters() if p.requires_grad]
        self._batch, self._loss, self._correct = batch, loss, correct
        self._jobs: list[tuple[torch.Tensor, float] | None] = [None] * lanes
        self._results: list[tuple | BaseException | None] = [None] * lanes
        self._go = [threading.Semaphore(0) for _ in range(lanes)]
        self._done = threading.Semaphore(0)
        self._closed = False
        self._flush_denormal = flush_denormal
        self._threads = [threading.Thread(target=self._serve, args=(k,), name=f"tui-dl-lane-{k}", daemon=True)
                         for k in range(1, lanes)]
        for t in self._threads:
            t.start()

    def _part(self, idx: torch.Tensor, share: float):
        xb, yb = self._batch(idx)
        out = self.model(xb)
        loss = self._loss(out, yb) * share
        grads = torch.autograd.grad(loss, self.params, allow_unused=True)
        return loss.detach(), self._correct(out.detach(), yb), grads

    def _serve(self, k: int) -> None:
        torch.set_num_threads(1)
        if self._flush_denormal:
            torch.set_flush_denormal(True)
        while True:
            self._go[k].acquire()
            job = self._jobs[k]
            if job is None:
                return
            try:
                self._results[k] = self._part(*job)
            except BaseException as e:  # noqa: BLE001 - handed to the calling thread, which raises it
                self._results[k] = e
            finally:
                self._jobs[k] = None
                self._done.release()

    def step(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self._closed:
            raise RuntimeError(_("this BatchSplitter is closed"))
        n = int(idx.shape[0])
        parts = part_bounds(n, self.lanes)
        for k, (s, e) in enumerate(parts[1:], start=1):
            self._results[k] = None
            self._jobs[k] = (idx[s:e], (e - s) / n)
            self._go[k].release()
        first: tuple | BaseException
        try:
            s, e = parts[0]
            first = self._part(idx[s:e], (e - s) / n)
        except BaseException as e:  # noqa: BLE001 - wait for the helpers before raising
            first = e
        for _part in parts[1:]:
            self._done.acquire()
        results = [first] + [self._results[k] for k in range(1, len(parts))]
        for r in results:
            if isinstance(r, BaseException):
                raise r
        loss = results[0][0]
        correct = results[0][1]
        grads = list(results[0][2])
        for r in results[1:]:
            loss = loss + r[0]
            correct = correct + r[1]
            for i, g in enumerate(r[2]):
                if g is None:
                    continue
                grads[i] = g if grads[i] is None else grads[i].add_(g)
        for p, g in zip(self.params, grads):
            p.grad = g
        return loss, correct

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for k in range(1, self.lanes):
            self._jobs[k] = None
            self._go[k].release()
        for t in self._threads:
            t.join(timeout=5)

