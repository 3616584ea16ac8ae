"""What does recording the per-layer gradient statistics cost a LeNet step?

    python -m benchmarks.explore.grad_stats_cost [--model lenet|simplecnn] [--threads N] [--paired N]
                                                 [--steps N] [--rounds N] [--log-every N] [--clock wall|cpu]
                                                 [--data DIR]

One engine (:mod:`benchmarks.explore.engine_steps`, the step as the engine plans it, batch 64), with the
recorder (``on``: grad norm, max |g|, update/weight ratio and dead ReLU share on every ``--log-every``-th
step, read back with the logged loss, as the trainer does) and without it (``off``). Both sides run the same
model and optimizer, so only the recording differs. Two ways: ``--paired`` log periods (``log_every`` steps
each) alternated period by period, ABBA, the finest interleaving and so the figure least moved by a
neighbour's load; then ``--rounds`` A/B/B/A rounds of ``--steps`` steps. Prints the medians, the overhead,
every round, the load average and the CPU model; this machine is shared, so read the medians next to the
load (``--clock cpu`` counts this process's CPU time only).

Finding (README, "Gradients during training"; LeNet-5 at batch 64, log_every 10, a 2-core Intel Xeon kept at a
load average of 4-9 by other programs): recording costs about 1 ms on each logged step (the clone of 62k weights,
~40 small reductions, the ReLU hooks' batch max), +1.4% of the step's CPU time (``--paired 300 --clock cpu``:
7.27 → 7.38 ms with 1 thread; the gate's section, 200 periods with 2 lanes: 9.71 → 9.85 ms CPU), within the 3%
budget (with 2 lanes the recording runs after the lanes join, so on an idle machine its share of the wall time
would be a little higher, ~2%). Wall-clock figures on that machine swung from −6% to +18% between runs (A/B
rounds of 200 steps: "on" slower in 8 of 8 rounds once; period by period: −6% and −0.4%): read them next to
the load.
"""

from __future__ import annotations

import argparse
import os
import statistics

import torch

from benchmarks.explore.engine_steps import BS, CLOCKS, IDX, PRESETS, StepLoop, engine_for, load


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def measure(model: str, data, *, threads: int, steps: int, rounds: int, log_every: int, clock) -> dict:
    """``{"on": [ms per step per round], "off": [...], "load": (before, after)}``."""
    eng = engine_for(model, data, threads=threads)
    recorder = eng.step.recorder
    loop = StepLoop(eng, log_every=log_every)
    out: dict = {"on": [], "off": []}
    try:
        loop.run(max(2 * log_every, 20))  # warm-up, recording on
        load0 = os.getloadavg()
        for r in range(rounds):
            for side in (("on", "off") if r % 2 == 0 else ("off", "on")):
                eng.step.recorder = recorder if side == "on" else None
                out[side].append(1e3 * loop.run(steps, clock=clock) / steps)
        out["load"] = (load0, os.getloadavg())
    finally:
        eng.step.recorder = recorder
        loop.close()
    return out


def paired(model: str, data, *, threads: int, periods: int, log_every: int, clock, engine=None) -> dict:
    """Log periods (``log_every`` steps, the last one logged, as the trainer runs them) one at a time, recording
    on and off alternated period by period (ABBA): ``{"on": [ms per step], "off": [...]}``. Both sides run
    close together in time, so a neighbour's load falls on both alike; the ratio of the medians is the cost
    of recording at that ``log_every``."""
    eng = engine if engine is not None else engine_for(model, data, threads=threads)
    recorder = eng.step.recorder
    loop = StepLoop(eng, log_every=log_every)
    out: dict = {"on": [], "off": []}
    try:
        loop.run(2 * log_every)
        for i in range(2 * periods):
            side = "on" if i % 4 in (0, 3) else "off"
            eng.step.recorder = recorder if side == "on" else None
            out[side].append(1e3 * loop.run(log_every, clock=clock) / log_every)
    finally:
        eng.step.recorder = recorder
        if engine is None:
            loop.close()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.grad_stats_cost")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--clock", default="wall", choices=tuple(CLOCKS))
    p.add_argument("--data", default=IDX)
    p.add_argument("--paired", type=int, default=300, help="log periods per side timed one by one (0: none)")
    a = p.parse_args(argv)
    data = load(a.data if os.path.isdir(a.data) else None)
    if a.paired:
        pr = paired(a.model, data, threads=a.threads, periods=a.paired, log_every=a.log_every, clock=CLOCKS[a.clock])
        p_on, p_off = statistics.median(pr["on"]), statistics.median(pr["off"])
        print(f"{a.model}, batch {BS}, {a.threads} thread(s), log_every {a.log_every}: {a.paired} log periods per "
              f"side, alternated period by period ({a.clock} clock), {cpu_model()}, load average "
              f"{os.getloadavg()[0]:.2f}:")
        print(f"  ms per step without recording {p_off:7.3f}, with {p_on:7.3f} (medians): "
              f"{100 * (p_on / p_off - 1):+.2f}%")
    if not a.rounds:
        return 0
    res = measure(a.model, data, threads=a.threads, steps=a.steps, rounds=a.rounds, log_every=a.log_every,
                  clock=CLOCKS[a.clock])
    on, off = statistics.median(res["on"]), statistics.median(res["off"])
    (l0, _, _), (l1, _, _) = res["load"]
    print(f"{a.model}, batch {BS}, {a.threads} thread(s), log_every {a.log_every}, {a.steps} steps × {a.rounds} "
          f"A/B rounds ({a.clock} clock), {cpu_model()}, load average {l0:.2f} → {l1:.2f}:")
    print(f"  recording off  {off:7.3f} ms/step   (rounds: {', '.join(f'{v:.3f}' for v in res['off'])})")
    print(f"  recording on   {on:7.3f} ms/step   (rounds: {', '.join(f'{v:.3f}' for v in res['on'])})")
    print(f"  overhead       {100 * (on / off - 1):+6.2f}% of the median step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
