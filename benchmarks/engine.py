"""tui-dl's engine side: ``iter_training`` on the same model, data and seed as the reference.

Throughput is read from the events the engine yields: the wall time between the ``StepDone`` of step
``warmup`` and the one of step ``warmup + steps`` (``log_every`` divides both), so the timed window holds
exactly ``steps`` optimizer steps of ``batch_size`` images and nothing else (no set-up, no evaluation).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time

from tui_dl.core.training.events import EpochDone, Finished, RunStarted, StepDone
from tui_dl.core.config.experiment import Experiment


def engine_experiment(exp: Experiment, *, epochs: int, limit_batches: int | None, log_every: int = 10,
                      batch_size: int = 64, lr: float = 1e-3, seed: int | None = None, checkpoints: bool = False,
                      **train_changes) -> Experiment:
    """The preset with the benchmark's settings: Adam lr, batch size; no checkpoints by default. ``seed``: None
    keeps the experiment's own (the presets use 0)."""
    from tui_dl.core.config.schema import Named

    train = dataclasses.replace(exp.train, epochs=epochs, batch_size=batch_size, limit_batches=limit_batches,
                                log_every=log_every, seed=exp.train.seed if seed is None else seed,
                                optimizer=Named("adam", {"lr": lr}),
                                scheduler=None, early_stopping=None, checkpoints=checkpoints, device="cpu",
                                **train_changes)
    return dataclasses.replace(exp, train=train)


class StepClock:
    """Wraps an event iterator and stamps every ``StepDone`` with ``time.perf_counter()`` as it arrives."""

    def __init__(self, events):
        self.events = events
        self.stamps: list[tuple[int, float]] = []   # (global step, time)
        self.started: RunStarted | None = None
        self.epochs: list[EpochDone] = []
        self.finished: Finished | None = None
        self.batch_size = 0

    def __iter__(self):
        for ev in self.events:
            if isinstance(ev, StepDone):
                self.stamps.append((ev.step, time.perf_counter()))
            elif isinstance(ev, RunStarted):
                self.started = ev
            elif isinstance(ev, EpochDone):
                self.epochs.append(ev)
            elif isinstance(ev, Finished):
                self.finished = ev
            yield ev

    def window(self, first_step: int, last_step: int) -> float:
        t = dict(self.stamps)
        return t[last_step] - t[first_step]


def timed_engine_steps(exp: Experiment, data, *, warmup: int, steps: int, log_every: int = 10,
                       runs_dir: str | None = None, ui_thread: bool = False) -> tuple[float, int, dict]:
    """One engine run of ``warmup + steps`` batches; (seconds, images, info) of the last ``steps``."""
    if warmup % log_every or steps % log_every:
        raise ValueError("warmup and steps must be multiples of log_every")
    from tui_dl.core.training.loop import iter_training

    e = engine_experiment(exp, epochs=1, limit_batches=warmup + steps, log_every=log_every)
    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-runs-") as tmp:
        clock = StepClock(iter_training(e, runs_dir=runs_dir or tmp, data=data, ui_thread=ui_thread))
        for _ in clock:
            pass
    secs = clock.window(warmup, warmup + steps)
    bs = e.train.batch_size
    info = {"threads": clock.started.threads if clock.started else None}
    return secs, steps * bs, info


def engine_accuracy_run(exp: Experiment, data, *, epochs: int, limit_batches: int | None = None,
                        log_every: int = 10) -> dict:
    """A full engine run (``epochs`` epochs): test accuracy (%), per-epoch training seconds and img/s."""
    from tui_dl.core.training.loop import iter_training

    e = engine_experiment(exp, epochs=epochs, limit_batches=limit_batches, log_every=log_every)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-runs-") as tmp:
        clock = StepClock(iter_training(e, runs_dir=tmp, data=data))
        for _ in clock:
            pass
    wall = time.perf_counter() - t0
    fin = clock.finished
    # EpochDone.images_per_second is training images / training seconds of the epoch (evaluation excluded)
    epoch_train_s = [_epoch_images(e, data) / ep.images_per_second for ep in clock.epochs]
    return {
        "test_accuracy": 100.0 * fin.test_accuracy if fin and fin.test_accuracy is not None else None,
        "epoch_train_seconds": epoch_train_s,
        "epoch_images_per_second": [ep.images_per_second for ep in clock.epochs],
        "train_images_per_second": fin.train_images_per_second if fin else None,
        "wall_seconds": wall,
        "threads": clock.started.threads if clock.started else None,
    }


def _epoch_images(e: Experiment, data) -> int:
    n, bs = len(data.train), e.train.batch_size
    nb = -(-n // bs)
    if e.train.limit_batches:
        nb = min(nb, e.train.limit_batches)
    return min(n, nb * bs)
