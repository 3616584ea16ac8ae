"""Which way of using two cores survives a busy neighbour: split lanes, two OpenMP threads, one thread, or a
thread count that adapts while training?

    python -m benchmarks.explore.thread_contention [--model ...] [--neighbour spin|torch|none] [--steps N]
                                                   [--repeats N] [--data IDX]

Starts a deliberately busy neighbour process (``spin``: one busy Python thread, like the app's UI thread;
``torch``: another 2-thread torch process, like a second run), then runs the engine's step four ways in rotating
order: split into 2 lanes (the engine's choice on 2 cores), 2 OpenMP threads, 1 thread, and
:class:`AdaptiveThreads` (2 or 1 OpenMP threads, re-measured every 300 steps). Median img/s, wall clock.

Finding (README, "Threads"; the design's measurements): one other busy process makes 2-thread OpenMP training
about 3.5× slower while 1-thread training is unaffected. On a 2-core AMD EPYC with another process keeping one
core busy: LeNet-5 at 4,331 img/s split, 1,694 img/s with two OpenMP threads, 4,239 with one thread; on an idle
machine split and OpenMP run at the same speed. The engine splits the batch and does not adapt: its choice
never depends on the current load, so the same experiment gives the same numbers every time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import torch

from benchmarks.explore.engine_steps import BS, IDX, PRESETS, StepLoop, engine_for, load

NEIGHBOURS = {
    "none": None,
    # one busy Python thread: like the app's UI thread, a test run, an editor's language server
    "spin": "while True: pass",
    # another 2-thread torch training process: like a second tui-dl run
    "torch": "import torch\nx = torch.randn(64, 256, 28, 28)\nw = torch.randn(32, 256, 3, 3)\n"
             "while True: torch.nn.functional.conv2d(x, w)",
}


class AdaptiveThreads:
    """A sketch of a thread choice that survives busy neighbours: every ``period`` steps, time ``probe`` steps
    with each candidate thread count (after ``settle`` steps to let OpenMP settle) and keep the faster one.

    On an idle machine the probes cost little (a few steps at the slower setting every ``period``); next to a
    busy process, where a 2-thread OpenMP step can take many times longer than a 1-thread one, it switches."""

    def __init__(self, candidates=(2, 1), probe=12, settle=3, period=300):
        self.candidates, self.probe, self.settle, self.period = list(candidates), probe, settle, period
        self.step = 0
        self.plan: list[tuple[int, int]] = []   # (threads, steps) still to run in the current probe
        self.times: dict[int, list[float]] = {}
        self.current = self.candidates[0]
        self.choice = self.candidates[0]
        self.switches = 0

    def before_step(self) -> None:
        if self.step % self.period == 0 and not self.plan:
            self.plan = [(c, self.settle + self.probe) for c in self.candidates]
            self.times = {c: [] for c in self.candidates}
        threads = self.plan[0][0] if self.plan else self.choice
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        self.current = threads
        self.t0 = time.perf_counter()

    def after_step(self) -> None:
        dt = time.perf_counter() - self.t0
        self.step += 1
        if self.plan:
            threads, left = self.plan[0]
            if left <= self.probe:
                self.times[threads].append(dt)
            left -= 1
            if left:
                self.plan[0] = (threads, left)
            else:
                self.plan.pop(0)
                if not self.plan:
                    best = min(self.candidates, key=lambda c: statistics.median(self.times[c]))
                    self.switches += best != self.choice
                    self.choice = best


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.thread_contention")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--neighbour", default="spin", choices=tuple(NEIGHBOURS))
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    data = load(a.data)
    adaptive = AdaptiveThreads()
    loops = {"split (2 lanes)": StepLoop(engine_for(a.model, data, threads=2, split_batch=True)),
             "2 OpenMP threads": StepLoop(engine_for(a.model, data, threads=2, split_batch=False)),
             "1 thread": StepLoop(engine_for(a.model, data, threads=1)),
             "adaptive (2 or 1)": StepLoop(engine_for(a.model, data, threads=2, split_batch=False),
                                           before=adaptive.before_step, after=adaptive.after_step)}
    names = list(loops)
    code = NEIGHBOURS[a.neighbour]
    proc = subprocess.Popen([sys.executable, "-c", code]) if code else None
    try:
        time.sleep(3 if code else 0)
        res = {n: [] for n in names}
        for n in names:
            loops[n].run(20)
        for r in range(a.repeats):
            for n in names[r % len(names):] + names[:r % len(names)]:
                res[n].append(a.steps * BS / loops[n].run(a.steps))
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        for lp in loops.values():
            lp.close()
    print(f"{a.model}, neighbour {a.neighbour!r}, {a.steps} steps × {a.repeats} rotating repeats (median img/s); "
          f"adaptive settled on {adaptive.choice} thread(s), switched {adaptive.switches}×:")
    base = statistics.median(res[names[0]])
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<18} {m:9,.0f}  ×{m / base:5.2f}   (all: {', '.join(f'{v:,.0f}' for v in res[n])})")


if __name__ == "__main__":
    main()
