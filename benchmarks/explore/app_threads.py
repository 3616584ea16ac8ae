"""Should training inside the app use one torch thread or two, for its speed and for key latency?

    python -m benchmarks.explore.app_threads [--repeats N] [--steps N] [--presses N]

Alternates, in rotating order: headless ``iter_training`` (the engine's choice), headless with 1 thread, the
app as it is (``ui_thread=True``) and the app with ``train.threads=2``; img/s over ``--steps`` steps after 20,
with the cores other processes used. Then key latency in the app (a key every 50 ms) with each thread count.

Finding (README, "Threads"; benchmarks/RESULTS.md): inside the app a run whose batch is not split leaves one
core to the UI thread (1 torch thread on 2 cores); a split batch uses its lanes there too, since lanes do not
spin. Training inside the app runs at 0.964× the headless speed (target ≥ 0.95×) and a key press reaches the
screen in 19.9 ms at p95 during training (target < 50 ms).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

from benchmarks.app_bench import app_training_steps, key_latency
from benchmarks.common import ForeignLoad
from benchmarks.engine import timed_engine_steps
from benchmarks.explore.app_setup import lenet_and_data


def run(a):
    exp, data = lenet_and_data()
    exp2 = dataclasses.replace(exp, train=dataclasses.replace(exp.train, threads=2))
    exp1 = dataclasses.replace(exp, train=dataclasses.replace(exp.train, threads=1))
    steps = a.steps
    runs = {
        "headless (the engine's choice)": lambda: timed_engine_steps(exp, data, warmup=20, steps=steps),
        "headless, 1 thread": lambda: timed_engine_steps(exp1, data, warmup=20, steps=steps),
        "app as is (the engine's choice)": lambda: app_training_steps(exp, data, warmup=20, steps=steps),
        "app with train.threads=2": lambda: app_training_steps(exp2, data, warmup=20, steps=steps),
    }
    names = list(runs)
    res = {n: [] for n in names}
    loads = []
    for n in names:
        runs[n]()
    for r in range(a.repeats):
        for n in names[r % len(names):] + names[:r % len(names)]:
            with ForeignLoad() as fl:
                secs, images, info = runs[n]()
            loads.append(fl.cores)
            res[n].append(images / secs)
    print(f"LeNet-5 training img/s, {steps} steps after 20, {a.repeats} rotating repeats; other processes "
          f"{statistics.median([x for x in loads if x is not None] or [0]):.2f} cores (median):")
    base = statistics.median(res[names[0]])
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<40} {m:8,.0f}  ×{m / base:4.2f}  (all: {', '.join(f'{v:,.0f}' for v in res[n])})")
    for label, e in (("app as is (the engine's choice)", exp), ("app with train.threads=2", exp2)):
        k = key_latency(e, data, presses=a.presses, interval=0.05)
        h, f, lag = k["handler_ms"], k["refresh_ms"], k["loop_lag_ms"]
        print(f"  keys, {label:<30} to handler p50/p95/max {h['p50']:.1f}/{h['p95']:.1f}/{h['max']:.1f} ms, "
              f"to refresh {f['p50']:.1f}/{f['p95']:.1f}/{f['max']:.1f} ms, loop stalls p95/max "
              f"{lag['p95']:.1f}/{lag['max']:.1f} ms, {k['steps_during'] * 64 / (a.presses * 0.05):,.0f} img/s meanwhile")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.app_threads")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--presses", type=int, default=200)
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
