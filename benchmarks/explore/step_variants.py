"""Which settings make the engine's step faster?

    python -m benchmarks.explore.step_variants [--model lenet|simplecnn] [--threads N] [--steps N] [--repeats N]
                                               [--only engine,no-channels-last,...] [--clock wall|cpu]

Runs whole loops of ``--steps`` steps of the engine's own step (:mod:`benchmarks.explore.engine_steps`), one
variant after the other in rotating order, and reports the median img/s and the ratio to the first variant
(``engine``: the step as the engine plans it; ``iter_training``: the real engine, timed from its events).
Each variant changes one setting; see :data:`VARIANTS`. (The variants that edited a copy of the step, such as
no per-step accuracy or another ``zero_grad``, went with the copy: the step exists once, in the engine.)

Finding (README, "Speed" and "What the engine does to be fast"; the design's measurements, LeNet-5 at batch 64
on a 2-core x86 CPU): channels-last for conv nets on the CPU and the fused Adam kernel are both kept (in-memory
data 6,050-6,700 img/s; channels-last 7,060; fused 6,930; both 7,810), as are ``zero_grad(set_to_none=True)``
and losses kept on the device (read once per progress event).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics

import torch

from benchmarks.explore.engine_steps import BS, CLOCKS, IDX, PRESETS, StepLoop, experiment, load
from tui_dl.core.data import normalize_batch
from tui_dl.core.training.loop import prepare
from tui_dl.core.training.optim import make_optimizer
from tui_dl.core.training.steps import make_step


def _not_fused(eng, exp):
    eng.optimizer, _ = make_optimizer(eng.model, exp.train, eng.plan.device, fused=False)
    eng.step.close()
    eng.step = make_step(eng.plan, eng.model, eng.optimizer, eng.prep, *eng.train, exp.train.grad_clip)
    return eng


def _prenormalized(eng, exp):
    """The whole dataset normalised once into float32 (channels-last when the plan is): no per-batch work."""
    x, y = eng.train
    xf = normalize_batch(x, eng.prep.mean, eng.prep.std)
    if eng.plan.channels_last and xf.dim() == 4:
        xf = xf.contiguous(memory_format=torch.channels_last)
    eng.step.close()
    eng.step = make_step(eng.plan, eng.model, eng.optimizer, lambda xb: xb, xf, y, exp.train.grad_clip)
    return eng


#: name: (train changes, engine change, StepLoop arguments, a context for the timed loop)
VARIANTS = {
    "engine": ({}, None, {}, None),
    "no-split": ({"split_batch": False}, None, {}, None),          # torch's OpenMP threads, batch in one piece
    "no-channels-last": ({"channels_last": False}, None, {}, None),
    "not-fused": ({}, _not_fused, {}, None),                          # Adam's default (foreach) kernel
    "prenormalized": ({}, _prenormalized, {}, None),                  # float32 dataset in memory
    "check-at-log": ({}, None, {"check_every": 10}, None),           # divergence checked at each log, not each step
    "no-mkldnn": ({}, None, {}, lambda: torch.backends.mkldnn.flags(enabled=False)),  # torch's native convs
}


class EngineRun:
    """The real engine (``iter_training``) as a variant: ``run(steps)`` = one run of 20 + steps batches, timed
    between the StepDone events of step 20 and step 20 + steps (``steps`` must be a multiple of 10)."""

    def __init__(self, model_key, data, threads):
        self.exp, self.data, self.threads = experiment(model_key, threads=threads), data, threads

    def run(self, steps, clock=None):
        from benchmarks.engine import timed_engine_steps

        secs, _images, _info = timed_engine_steps(self.exp, self.data, warmup=20, steps=steps)
        return secs

    def close(self):
        pass


class Variant:
    def __init__(self, name, model_key, data, threads):
        changes, change, loop_kw, self.context = VARIANTS[name]
        exp = experiment(model_key, threads=threads, **changes)
        eng = prepare(exp, data, device="cpu")
        self.loop = StepLoop(change(eng, exp) if change else eng, **loop_kw)

    def run(self, steps, clock=None):
        with (self.context() if self.context else contextlib.nullcontext()):
            return self.loop.run(steps, **({"clock": clock} if clock else {}))

    def close(self):
        self.loop.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.step_variants")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--only", help="comma-separated variants, iter_training included (the first is the baseline)")
    p.add_argument("--clock", default="wall", choices=tuple(CLOCKS))
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    data = load(a.data)
    names = a.only.split(",") if a.only else list(VARIANTS)
    runs = {n: EngineRun(a.model, data, a.threads) if n == "iter_training" else Variant(n, a.model, data, a.threads)
            for n in names}
    try:
        for r in runs.values():
            r.run(30)
        res = {n: [] for n in names}
        for rep in range(a.repeats):
            for n in names[rep % len(names):] + names[:rep % len(names)]:
                res[n].append(a.steps * BS / runs[n].run(a.steps, clock=CLOCKS[a.clock]))
    finally:
        for r in runs.values():
            r.close()
    base = statistics.median(res[names[0]])
    print(f"{a.model}, {a.threads} thread(s), {a.steps} steps × {a.repeats} rotating repeats (median img/s, "
          f"{a.clock} clock):")
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<18} {m:9,.0f}  ×{m / base:5.2f} vs {names[0]}   (all: {', '.join(f'{v:,.0f}' for v in res[n])})")


if __name__ == "__main__":
    main()
