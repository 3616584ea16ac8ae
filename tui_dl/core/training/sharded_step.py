"""The step for the precision, compile and data-parallel switches: :class:`ShardedStep`.

It is :class:`~tui_dl.core.training.steps.PlainStep` with three additions, each off unless asked for:

- ``precision``: the forward pass and the loss under autocast (bf16/fp16), backward and step through fp16's
  gradient scaler (:mod:`~tui_dl.core.training.precision`);
- ``forward``: the network's ``torch.compile`` d version (the step calls it; the trainer keeps the plain module
  for checkpoints, whose keys stay those of the network);
- ``dist``: this rank's shard of each global batch (:func:`~tui_dl.core.training.distributed.shard_bounds`),
  its loss scaled by ``shard / global batch`` and the gradients summed over ranks by one all-reduce
  (:class:`~tui_dl.core.training.distributed.GradReducer`), which also brings back the global loss, correct
  count and the agreed stop flag.

:func:`needs_sharded_step` says when the trainer uses it instead of the plan's own step.
"""

from __future__ import annotations

import time
from typing import Callable

import torch

from tui_dl.core.i18n import _
from tui_dl.core.training.distributed import DistInfo, GradReducer, shard_bounds
from tui_dl.core.training.grad_stats import GradRecorder, optimizer_step
from tui_dl.core.training.losses import Objective
from tui_dl.core.training.precision import Precision

__all__ = ["ShardedStep", "needs_sharded_step", "make_sharded_step"]


def needs_sharded_step(cfg, dist: DistInfo) -> bool:
    """Whether a run with ``train:`` settings ``cfg`` trains with :class:`ShardedStep`."""
    return dist.enabled or (cfg.precision or "fp32") != "fp32" or bool(cfg.compile)


class ShardedStep:
    """One optimizer step on the global batch ``x[idx], y[idx]`` (this rank's shard of it when distributed)."""

    shuffles = True
    recorder: GradRecorder | None = None

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, objective: Objective,
                 prep: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
                 grad_clip: float | None = None, *, precision: Precision, dist: DistInfo,
                 forward: Callable[[torch.Tensor], torch.Tensor] | None = None, perturb=None):
        self.model, self.optimizer, self.objective = model, optimizer, objective
        self.prep, self.x, self.y = prep, x, y
        self.grad_clip, self.perturb = grad_clip, perturb
        self.precision, self.dist = precision, dist
        self.forward = forward or model
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.reducer = GradReducer(self.params, x.device) if dist.enabled else None
        self.compiled = forward is not None
        self._shapes: set[int] = set()          # batch sizes compiled so far (a new one compiles again)
        self.compile_seconds = 0.0              # time of the steps that compiled, not yet taken by the trainer

    def __call__(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n_global = int(idx.shape[0])
        t0 = time.perf_counter() if self.compiled and n_global not in self._shapes else None
        if self.dist.enabled:
            lo, hi = shard_bounds(n_global, self.dist.rank, self.dist.world)
            idx = idx[lo:hi]
        xb = self.prep(self.x.index_select(0, idx))
        yb = self.y.index_select(0, idx)
        if self.perturb is not None:
            xb = self.perturb(xb, yb, idx)
        self.optimizer.zero_grad(set_to_none=True)
        with self.precision.autocast():
            out = self.forward(xb)
            loss = self.objective.loss(out, yb)
        n_local = int(yb.shape[0])
        if self.reducer is not None:
            loss = loss * (n_local / n_global) if n_local else (out.sum() * 0.0)
        self.precision.backward(loss)
        correct = self.objective.correct(out.detach(), yb)
        loss = loss.detach().float()
        if self.reducer is not None:
            loss, correct = self.reducer.reduce(loss, correct)
        self.precision.step(self.optimizer, self.params, self.grad_clip,
                            lambda: optimizer_step(self.optimizer, self.recorder))
        if t0 is not None:  # this step compiled the network for its batch size
            if self.x.device.type == "cuda":
                torch.cuda.synchronize(self.x.device)
            self._shapes.add(n_global)
            self.compile_seconds += time.perf_counter() - t0
        return loss, correct

    def take_compile_seconds(self) -> float:
        """The compiling steps' seconds since the last call (the trainer leaves them out of training time)."""
        out, self.compile_seconds = self.compile_seconds, 0.0
        return out

    @property
    def stop_agreed(self) -> bool:
        """Whether any rank asked to stop at the last step (always False when not distributed)."""
        return self.reducer is not None and self.reducer.stop_agreed

    def request_stop(self) -> None:
        if self.reducer is not None:
            self.reducer.stop_requested = True

    def close(self) -> None:
        pass


def make_sharded_step(plan, model: torch.nn.Module, optimizer: torch.optim.Optimizer, prep, x: torch.Tensor,
                      y: torch.Tensor, cfg, *, precision: Precision, dist: DistInfo, perturb=None) -> ShardedStep:
    """The :class:`ShardedStep` for ``plan`` (``cfg``: the ``train:`` settings); :class:`SetupError` for what it
    cannot do (full-batch ``gd`` across ranks)."""
    from tui_dl.core.training.errors import SetupError

    if plan.step == "full_batch":
        raise SetupError(_("train.optimizer gd (full-batch steps) cannot run with train.precision, train.compile "
                           "or several ranks: use sgd with a batch_size, or precision fp32 on one process"))
    forward = None
    if cfg.compile:
        try:
            forward = torch.compile(model)
        except Exception as e:  # noqa: BLE001 - e.g. a Python or platform torch.compile does not support
            raise SetupError(_("train.compile: torch.compile is not available here ({error}); set it to "
                               "false").format(error=e)) from None
    return ShardedStep(model, optimizer, plan.objective, prep, x, y, cfg.grad_clip, precision=precision, dist=dist,
                       forward=forward, perturb=perturb)
