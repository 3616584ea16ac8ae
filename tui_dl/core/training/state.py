"""What a run has done so far, as one record that a checkpoint saves and restores.

:class:`TrainState` holds the position (epoch, batch, global step), the history of epoch records, the best
epoch and its weights (for early stopping), the divergence scale, the in-progress epoch's running sums and the
time and images of earlier sessions. :meth:`TrainState.to_checkpoint` writes it, with the live model,
optimizer, scheduler, shuffle generator and RNG states, into one checkpoint dict;
:meth:`TrainState.from_checkpoint` reads all of it back, so a resumed run continues bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import torch

from tui_dl.core.i18n import _
from tui_dl.core.runs.checkpoint import CheckpointError, make_checkpoint, rng_state, set_rng_state
from tui_dl.core.training.divergence import DivergenceGuard
from tui_dl.core.training.errors import SetupError
from tui_dl.core.training.events import EpochDone

__all__ = ["Best", "EpochProgress", "Parts", "TrainState", "history_events"]


@dataclasses.dataclass
class Best:
    """The best epoch so far by ``monitor`` (``mode`` "min" or "max"), and the epochs since it."""

    monitor: str
    mode: str
    value: float | None = None
    epoch: int | None = None
    bad_epochs: int = 0

    def improves(self, v: float | None, min_delta: float = 0.0) -> bool:
        if v is None or not math.isfinite(v):
            return False
        if self.value is None:
            return True
        return v < self.value - min_delta if self.mode == "min" else v > self.value + min_delta

    def update(self, v: float | None, epoch: int, min_delta: float = 0.0) -> bool:
        """Record epoch ``epoch``'s watched value ``v``; whether it is the new best."""
        if self.improves(v, min_delta):
            self.value, self.epoch, self.bad_epochs = v, epoch, 0
            return True
        self.bad_epochs += 1
        return False


def history_events(history: list[dict[str, Any]], *, epochs: int, monitor: str, mode: str,
                   min_delta: float = 0.0) -> list[EpochDone]:
    """The ``EpochDone`` events of a checkpoint's ``history``, for a run folder that does not have them (a run
    resumed into a new ``--out`` folder). ``is_best`` is worked out again by the run's own rule (:class:`Best`
    on ``monitor``); ``epochs`` is the run's planned length; the time of an epoch recorded before the history
    kept it is 0."""
    best, out = Best(monitor, mode), []
    for h in history:
        out.append(EpochDone(epoch=int(h["epoch"]), epochs=int(epochs), step=int(h.get("step", 0)),
                             train_loss=h.get("train_loss"), train_accuracy=h.get("train_accuracy"),
                             val_loss=h.get("val_loss"), val_accuracy=h.get("val_accuracy"),
                             lr=float(h.get("lr", float("nan"))),
                             seconds=float(h.get("seconds", 0.0)),
                             images_per_second=float(h.get("images_per_second", 0.0)),
                             is_best=best.update(h.get(monitor), int(h["epoch"]), min_delta)))
    return out


@dataclasses.dataclass
class EpochProgress:
    """The epoch being trained: per-step losses and correct counts (on the device), the step of the last
    StepDone, its training seconds so far and the shuffle generator's state before its batch order was drawn."""

    losses: torch.Tensor
    correct: torch.Tensor
    shuffle_state: torch.Tensor
    last_log: int = 0
    seconds: float = 0.0

    @classmethod
    def fresh(cls, steps: int, device: torch.device, shuffle_state: torch.Tensor) -> "EpochProgress":
        return cls(torch.zeros(steps, dtype=torch.float32, device=device),
                   torch.zeros(steps, dtype=torch.int64, device=device), shuffle_state)


@dataclasses.dataclass(frozen=True)
class Parts:
    """The live torch objects whose state a checkpoint carries next to the :class:`TrainState`."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    shuffle: torch.Generator


@dataclasses.dataclass
class TrainState:
    """Everything about a run that changes as it trains (see the module docstring)."""

    best: Best
    guard: DivergenceGuard
    epoch: int = 1                      # the epoch being trained (1-based)
    batch: int = 0                      # steps of it done
    step: int = 0                       # global optimizer steps done
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    best_weights: dict[str, torch.Tensor] | None = None
    progress: EpochProgress | None = None   # the epoch in progress (restored mid-epoch, or training)
    resumed_status: str = "running"     # the status of the checkpoint resumed from
    elapsed_prev: float = 0.0           # seconds, images and training seconds of earlier sessions
    train_images_prev: int = 0
    train_seconds_prev: float = 0.0
    # this session
    t0: float = dataclasses.field(default_factory=time.perf_counter)
    images_done: int = 0
    train_seconds: float = 0.0

    def elapsed(self) -> float:
        return self.elapsed_prev + (time.perf_counter() - self.t0)

    def to_checkpoint(self, status: str, parts: Parts, *, steps_per_epoch: int, early_stopping,
                      facts: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint dict. Inside an epoch its batch order comes from the generator state before the draw
        (and, past its first step, its running sums come along); between epochs from the generator as it is.
        ``facts``: the run's fixed entries (threads, lanes, spec, experiment, dataset)."""
        es = early_stopping
        prog = self.progress
        keep_best = es is not None and es.restore_best and self.best_weights is not None
        b = self.best
        return make_checkpoint(
            model={k: v.detach().cpu() for k, v in parts.model.state_dict().items()},
            optimizer=parts.optimizer.state_dict(),
            scheduler=parts.scheduler.state_dict() if parts.scheduler is not None else None,
            rng=rng_state(),
            shuffle_state=prog.shuffle_state if prog is not None else parts.shuffle.get_state(),
            position={"epoch": self.epoch, "batch": self.batch},
            epoch_state=None if prog is None or self.batch == 0 else {
                "losses": prog.losses.cpu(), "correct": prog.correct.cpu(), "last_log": prog.last_log,
                "seconds": prog.seconds, "nb": steps_per_epoch},
            epoch=self.epoch - 1 if self.batch == 0 else self.epoch,
            epochs_completed=len(self.history),
            step=self.step,
            status=status,
            ref_loss=self.guard.ref_loss,
            history=self.history,
            best={"monitor": b.monitor, "value": b.value, "epoch": b.epoch, "bad_epochs": b.bad_epochs},
            early_stopping=None if es is None else {"best": b.value, "best_epoch": b.epoch,
                                                    "bad_epochs": b.bad_epochs, "patience": es.patience,
                                                    "monitor": b.monitor},
            best_model=({k: v.detach().cpu() for k, v in self.best_weights.items()} if keep_best else None),
            elapsed=self.elapsed(),
            train_images=self.train_images_prev + self.images_done,
            train_seconds=self.train_seconds_prev + self.train_seconds,
            **facts,
        )

    @classmethod
    def from_checkpoint(cls, ck: dict[str, Any], parts: Parts, *, best: Best, check_every: int,
                        steps_per_epoch: int, device: torch.device, channels_last: bool, source: str,
                        t0: float, min_loss: float | None = None, below_min_hint: str = "") -> "TrainState":
        """Load ``ck`` into ``parts`` (weights, optimizer, scheduler, shuffle generator, RNGs) and return the
        state it saved; ``best`` (the monitor of this run) takes the saved best epoch when it watched the same
        value, ``check_every`` is the divergence check's cadence and ``min_loss``/``below_min_hint`` its lower
        bound (see :class:`~tui_dl.core.training.divergence.DivergenceGuard`). A damaged entry raises
        :class:`CheckpointError` naming ``source``."""
        from tui_dl.core.runs.checkpoint_check import (check_checkpoint, check_optimizer_fits, check_resumable,
                                                       check_scheduler_fits, damaged)

        check_checkpoint(ck, source)  # (load_checkpoint checked it too: this is for a dict given directly)
        check_resumable(ck, source)
        try:
            parts.model.load_state_dict(ck["model"])
        except (RuntimeError, TypeError, ValueError, AttributeError) as e:
            raise CheckpointError(damaged(source, "model", f"does not fit the network: {str(e).splitlines()[0]}")) \
                from None
        check_optimizer_fits(ck.get("optimizer"), parts.optimizer, source)
        check_scheduler_fits(ck.get("scheduler"), parts.scheduler, source)
        try:
            guard = DivergenceGuard(ck.get("ref_loss"), check_every, min_loss=min_loss, below_min_hint=below_min_hint)
            return cls._restore(ck, parts, best, guard, steps_per_epoch, device, channels_last, t0)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as e:
            # load_checkpoint checked the entries exist; one of them holds something else (a damaged or
            # hand-edited file): say so instead of a traceback from deep inside torch
            raise CheckpointError(damaged(source, "its training state", f"cannot be restored ({type(e).__name__}: "
                                                  f"{str(e).splitlines()[0] if str(e) else 'bad value'})")) from None

    @classmethod
    def _restore(cls, ck, parts: Parts, best: Best, guard: DivergenceGuard, steps_per_epoch: int,
                 device: torch.device, channels_last: bool, t0: float) -> "TrainState":
        if channels_last:
            parts.model.to(memory_format=torch.channels_last)
        if ck.get("optimizer") is not None:
            parts.optimizer.load_state_dict(ck["optimizer"])
        if parts.scheduler is not None and ck.get("scheduler") is not None:
            parts.scheduler.load_state_dict(ck["scheduler"])
        pos = ck["position"]
        epoch, batch, step = int(pos["epoch"]), int(pos["batch"]), int(ck["step"])
        parts.shuffle.set_state(ck["shuffle_state"].cpu())
        s = cls(best=best, guard=guard, epoch=epoch, batch=batch, step=step, t0=t0)
        s.history = list(ck.get("history") or [])
        b = ck.get("best") or {}
        if b.get("monitor") == best.monitor:
            best.value, best.epoch, best.bad_epochs = b.get("value"), b.get("epoch"), int(b.get("bad_epochs", 0))
        if ck.get("best_model") is not None:
            s.best_weights = {k: v.to(device) for k, v in ck["best_model"].items()}
        s.elapsed_prev = float(ck.get("elapsed", 0.0))
        s.train_images_prev = int(ck.get("train_images", 0))
        s.train_seconds_prev = float(ck.get("train_seconds", 0.0))
        st = ck.get("epoch_state")
        if st is not None and s.batch > 0:
            if int(st["nb"]) != steps_per_epoch:
                raise SetupError(_("cannot resume mid-epoch: the run had {saved} steps per epoch, this one {now} "
                                   "(did batch_size or limit_batches change?)").format(saved=st["nb"],
                                                                                       now=steps_per_epoch))
            s.progress = EpochProgress(st["losses"].to(device), st["correct"].to(device), ck["shuffle_state"],
                                       int(st["last_log"]), float(st["seconds"]))
        s.resumed_status = ck.get("status", "running")
        set_rng_state(ck["rng"])
        return s
