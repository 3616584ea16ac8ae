"""Where does the time of one engine step go?

    python -m benchmarks.explore.step_phases [--model lenet|simplecnn] [--threads N] [--steps N] [--clock wall|cpu]

Times the parts of the engine's own plain step (:class:`tui_dl.core.training.steps.PlainStep`, the batch in
one piece: ``train.split_batch`` off) by handing it timed collaborators: the batch preparation (normalise,
channels-last), the forward pass, the loss, ``zero_grad``, the optimizer step; "backward and the rest" is what
is left of the step (``index_select``, ``backward``, the correct count). Median per step, after 30 untimed
steps.

Finding (README, "What the engine does to be fast"): in the course loop the per-image PIL, ``ToTensor`` and
``Normalize`` work is about half of a LeNet-5 step, so the engine decodes the dataset once and normalises a
uint8 batch in a fraction of a millisecond; Adam's second moments drift into denormal floats, where LeNet-5's
fused Adam step took 1.08 ms with denormals and 0.19 ms without, so the training threads flush denormals to
zero.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

import torch

from benchmarks.explore.engine_steps import BS, CLOCKS, IDX, PRESETS, StepLoop, engine_for, load
from tui_dl.core.training.steps import PlainStep


class _TimedModule(torch.nn.Module):
    """The network, its forward pass timed into ``timers[name]``."""

    def __init__(self, inner, timers, clock):
        super().__init__()
        self.inner, self._timers, self._clock = inner, timers, clock

    def forward(self, x):
        t0 = self._clock()
        out = self.inner(x)
        self._timers.setdefault("forward", []).append(self._clock() - t0)
        return out


def _timed(fn, name, timers, clock):
    def wrapper(*a, **kw):
        t0 = clock()
        out = fn(*a, **kw)
        timers.setdefault(name, []).append(clock() - t0)
        return out

    return wrapper


def timed_engine(model_key: str, data, threads: int, clock, timers: dict):
    """The engine for ``model_key`` whose plain step reports its parts into ``timers`` (and itself as "step")."""
    eng = engine_for(model_key, data, threads=threads, split_batch=False)
    assert isinstance(eng.step, PlainStep), eng.plan.step
    opt = eng.optimizer
    opt.zero_grad = _timed(opt.zero_grad, "zero_grad", timers, clock)
    opt.step = _timed(opt.step, "optimizer.step", timers, clock)
    objective = dataclasses.replace(eng.plan.objective, loss=_timed(eng.plan.objective.loss, "loss", timers, clock))
    step = PlainStep(_TimedModule(eng.model, timers, clock), opt, objective, _timed(eng.prep, "batch", timers, clock),
                     *eng.train, eng.step.grad_clip)
    eng.step = _TimedStep(step, timers, clock)
    return eng


class _TimedStep:
    def __init__(self, step, timers, clock):
        self.step, self.timers, self.clock = step, timers, clock

    def __call__(self, idx):
        t0 = self.clock()
        out = self.step(idx)
        self.timers.setdefault("step", []).append(self.clock() - t0)
        return out

    def close(self):
        self.step.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.step_phases")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--clock", default="wall", choices=tuple(CLOCKS),
                   help="wall time, or this process's CPU time (robust next to busy neighbours with --threads 1; "
                        "with more threads it also counts OpenMP spinning)")
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    clock = CLOCKS[a.clock]
    timers: dict = {}
    loop = StepLoop(timed_engine(a.model, load(a.data), a.threads, clock, timers))
    try:
        loop.run(30)
        timers.clear()
        secs = loop.run(a.steps, clock=clock)
    finally:
        loop.close()
    steps = timers.pop("step")
    parts = dict(timers)
    rest = [s - sum(v[i] for v in parts.values()) for i, s in enumerate(steps)]
    print(f"{a.model}, the engine's plain step, {a.threads} thread(s), {a.clock} clock: {a.steps * BS / secs:,.0f} "
          f"img/s by that clock, median step {statistics.median(steps) * 1e3:.2f} ms")
    for k, v in list(parts.items()) + [("backward and the rest", rest)]:
        print(f"  {k:<22} {statistics.median(v) * 1e3:7.3f} ms  (mean {statistics.mean(v) * 1e3:7.3f})")


if __name__ == "__main__":
    main()
