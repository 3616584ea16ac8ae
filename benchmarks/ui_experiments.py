"""Experiments on the app while it trains (headless ``run_test``, this process):

    python -m benchmarks.ui_experiments threads [--repeats N]   # in-app training and key latency, 1 vs 2 threads
    python -m benchmarks.ui_experiments stalls  [--seconds S]   # what the UI thread does when its loop stalls

``threads`` alternates: headless iter_training (the engine's choice: 2 threads), the app as it is (1 torch thread,
``ui_thread=True``), the app with ``train.threads=2``; then key latency in the app with 1 and with 2 threads.
``stalls`` runs the key-latency scenario with a watchdog thread: whenever the UI event loop has not ticked
for 30 ms it samples the stacks of the UI (main) thread and of the training worker every 2 ms, and at the end
prints the longest stalls with the frames seen most often in them.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import sys
import threading
import time
import traceback

from benchmarks.app_bench import _bench_trainer, _wait, app_training_steps, key_latency
from benchmarks.engine import timed_engine_steps

IDX = "/usr/share/datasets/fashion-mnist"


def _setup():
    from tui_dl.core.data import load_dataset
    from tui_dl.core.experiment import load_experiment

    return load_experiment("presets/lenet5.yaml"), load_dataset("idx", root=IDX, val_split=0.0)


def cmd_threads(a):
    import dataclasses

    from benchmarks.common import ForeignLoad

    exp, data = _setup()
    exp2 = dataclasses.replace(exp, train=dataclasses.replace(exp.train, threads=2))
    exp1 = dataclasses.replace(exp, train=dataclasses.replace(exp.train, threads=1))
    steps = a.steps
    runs = {
        "headless (engine's choice, 2 threads)": lambda: timed_engine_steps(exp, data, warmup=20, steps=steps),
        "headless, 1 thread": lambda: timed_engine_steps(exp1, data, warmup=20, steps=steps),
        "app as is (1 thread)": lambda: app_training_steps(exp, data, warmup=20, steps=steps),
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
    for label, e in (("app as is (1 thread)", exp), ("app with train.threads=2", exp2)):
        k = key_latency(e, data, presses=a.presses, interval=0.05)
        h, f, lag = k["handler_ms"], k["refresh_ms"], k["loop_lag_ms"]
        print(f"  keys, {label:<30} to handler p50/p95/max {h['p50']:.1f}/{h['p95']:.1f}/{h['max']:.1f} ms, "
              f"to refresh {f['p50']:.1f}/{f['p95']:.1f}/{f['max']:.1f} ms, loop stalls p95/max "
              f"{lag['p95']:.1f}/{lag['max']:.1f} ms, {k['steps_during'] * 64 / (a.presses * 0.05):,.0f} img/s meanwhile")


def _frames(frame, limit=8):
    out = []
    for fs in traceback.extract_stack(frame)[-limit:]:
        out.append(f"{fs.filename.split('site-packages/')[-1].split('/work/main/')[-1]}:{fs.lineno} {fs.name}")
    return out


async def _stalls(exp, data, seconds: float):
    from tui_dl.app import make_app

    sink: dict = {}
    app = make_app(exp, runs_dir="/tmp/tui-dl-bench-stalls", device_text="CPU (benchmark)", datasets={},
                   trainer=_bench_trainer(exp, data, epochs=50, limit_batches=None, log_every=10, sink=sink))
    main_id = threading.get_ident()
    beat = [time.perf_counter()]
    stalls = []           # (duration, Counter of main frames, Counter of worker frames)
    stop = threading.Event()

    def watchdog():
        cur = None
        while not stop.is_set():
            time.sleep(0.002)
            late = time.perf_counter() - beat[0]
            if late > 0.03:
                if cur is None:
                    cur = {"start": beat[0], "main": collections.Counter(), "worker": collections.Counter()}
                frames = sys._current_frames()
                if main_id in frames:
                    cur["main"]["  <  ".join(reversed(_frames(frames[main_id], 4)))] += 1
                for tid, fr in frames.items():
                    th = next((t for t in threading.enumerate() if t.ident == tid), None)
                    if th is not None and th.name not in ("MainThread", "bench-watchdog") and tid != main_id:
                        cur["worker"][f"[{th.name}] " + "  <  ".join(reversed(_frames(fr, 3)))] += 1
            elif cur is not None:
                stalls.append((time.perf_counter() - cur["start"], cur["main"], cur["worker"]))
                cur = None

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await _wait(lambda: "clock" in sink and len(sink["clock"].stamps) >= 2, 120)
        wd = threading.Thread(target=watchdog, name="bench-watchdog", daemon=True)
        wd.start()
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            beat[0] = time.perf_counter()
            await asyncio.sleep(0.005)
        stop.set()
        wd.join()
        await pilot.press("ctrl+r")
        await _wait(lambda: not app.is_training, 30)
    return stalls


def cmd_stalls(a):
    exp, data = _setup()
    stalls = asyncio.run(_stalls(exp, data, a.seconds))
    stalls.sort(key=lambda s: -s[0])
    total = sum(s[0] for s in stalls)
    print(f"{len(stalls)} UI-loop stalls over 30 ms in {a.seconds:.0f} s of training ({total * 1e3:.0f} ms in all); "
          f"the longest:")
    for dur, main, worker in stalls[:a.top]:
        print(f"\n  stall {dur * 1e3:.0f} ms; UI thread seen in:")
        for fr, n in main.most_common(3):
            print(f"    {n:4d}× {fr}")
        print("  other threads seen in:")
        for fr, n in worker.most_common(3):
            print(f"    {n:4d}× {fr}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.ui_experiments")
    p.add_argument("what", choices=("threads", "stalls"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--presses", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--top", type=int, default=6)
    a = p.parse_args(argv)
    {"threads": cmd_threads, "stalls": cmd_stalls}[a.what](a)


if __name__ == "__main__":
    main()
