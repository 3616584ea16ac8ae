"""The engine's own training step, set up for a preset as ``iter_training`` sets it up, and a loop that runs
it: what every exploration here times (there is no copy of the step to drift from the engine).

``engine_for(preset, data, threads=N, **train_changes)`` is :func:`tui_dl.core.training.loop.prepare` on the
benchmark's experiment (Adam lr 1e-3, batch 64, CPU, see :func:`benchmarks.engine.engine_experiment`): the
plan, the network with its ReLU → pool reordering, channels-last, the fused optimizer and the step strategy
the engine would choose. :class:`StepLoop` runs that step the way the trainer's epoch loop does (each
step's loss and correct count kept on the device, the divergence check, a loss read every ``log_every``
steps, with the per-layer gradient statistics of those steps) inside
:func:`~tui_dl.core.training.loop.training_thread` (denormals flushed).
"""

from __future__ import annotations

import time

import torch

from benchmarks.engine import engine_experiment
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.data import load_dataset
from tui_dl.core.device import set_threads
from tui_dl.core.training.divergence import DivergenceGuard
from tui_dl.core.training.grad_stats import read_logged
from tui_dl.core.training.loop import Engine, prepare, training_thread
from tui_dl.core.training.optim import current_lr

PRESETS = {"lenet": "presets/lenet5.yaml", "simplecnn": "presets/simple_cnn.yaml"}
BS = 64                                   # engine_experiment's batch size
IDX = "/usr/share/datasets/fashion-mnist"
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def load(idx_folder: str | None):
    """Fashion-MNIST from a folder of IDX files (no validation split), or synthetic digits without one."""
    if idx_folder:
        return load_dataset("idx", root=idx_folder, val_split=0.0)
    return load_dataset("synthetic-digits", val_split=0.0)


def experiment(model_key: str, *, threads: int = 0, **train_changes):
    """The benchmark's experiment for a preset (one epoch, no checkpoints)."""
    return engine_experiment(load_experiment(PRESETS[model_key]), epochs=1, limit_batches=None, threads=threads,
                             **train_changes)


def engine_for(model_key: str, data, *, threads: int = 0, **train_changes) -> Engine:
    """The engine for a preset on ``data``, as iter_training prepares it (``engine.step`` is its step)."""
    return prepare(experiment(model_key, threads=threads, **train_changes), data, device="cpu")


class StepLoop:
    """Runs ``engine.step`` over batches of a seeded permutation, as the trainer's epoch loop does.
    ``run(steps)`` returns the seconds taken; ``before``/``after`` are called around every step (for thread
    experiments). ``check_every``: steps between divergence checks (the engine's CPU plan: 1). Each run starts
    with torch's thread count as the engine's plan set it."""

    def __init__(self, engine: Engine, *, check_every: int | None = None, log_every: int = 10,
                 before=None, after=None):
        self.engine = engine
        self.plan = engine.plan
        self.n = self.plan.n_train
        self.bs = self.plan.batch_size
        self.nb = self.plan.steps_per_epoch
        self.shuffle = torch.Generator().manual_seed(0)
        self.perm = torch.randperm(self.n, generator=self.shuffle)
        self.pos = 0
        self.losses = torch.zeros(self.nb)
        self.correct = torch.zeros(self.nb, dtype=torch.int64)
        self.guard = DivergenceGuard(check_every=check_every or self.plan.check_every)
        self.log_every = log_every
        self.before, self.after = before, after

    def run(self, steps: int, clock=time.perf_counter) -> float:
        eng = self.engine
        eng.model.train()
        set_threads(self.plan.torch_threads)  # as the engine set it (another engine in this process may not have)
        with training_thread():
            t0 = clock()
            for i in range(steps):
                if self.pos + self.bs > self.n:
                    self.perm = torch.randperm(self.n, generator=self.shuffle)
                    self.pos = 0
                b = (self.pos // self.bs) % self.nb
                if b == 0:
                    self.guard.start_epoch(0)
                if self.before is not None:
                    self.before()
                idx = self.perm[self.pos:self.pos + self.bs]
                self.pos += self.bs
                logged = (i + 1) % self.log_every == 0
                if logged and eng.step.recorder is not None:
                    eng.step.recorder.arm()  # as the trainer does before a logged step
                self.losses[b], self.correct[b] = eng.step(idx)
                if self.guard.check(self.losses, b + 1, last=b + 1 == self.nb) is not None:
                    raise RuntimeError("diverged")
                if logged:
                    lo = max(0, b + 1 - self.log_every)
                    read_logged(self.losses[lo:b + 1].mean(), eng.step.recorder)
                    current_lr(eng.optimizer)
                if self.after is not None:
                    self.after()
            return clock() - t0

    def close(self) -> None:
        self.engine.step.close()
