"""Experiments on the app while it trains (headless ``run_test``, this process):

    python -m benchmarks.ui_experiments threads [--repeats N]   # in-app training and key latency, 1 vs 2 threads
    python -m benchmarks.ui_experiments stalls  [--seconds S]   # what the UI thread does when its loop stalls
    python -m benchmarks.ui_experiments profile [--seconds S]   # cProfile of the UI thread during training
    python -m benchmarks.ui_experiments keys    [--repeats N]   # key latency with UI-side settings changed

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
    from tui_dl.core.config.experiment import load_experiment

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

    import tempfile

    sink: dict = {}
    worker_ident: list[int] = []
    inner = _bench_trainer(exp, data, epochs=50, limit_batches=None, log_every=10, sink=sink)

    def trainer(e, **kw):  # remember the worker thread, to read its CPU clock from the UI thread
        events = inner(e, **kw)

        def gen():
            worker_ident.append(threading.get_ident())
            yield from events

        return gen()

    app = make_app(exp, runs_dir=tempfile.mkdtemp(prefix="tui-dl-bench-stalls-"), device_text="CPU (benchmark)",
                   datasets={}, trainer=trainer)
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
        wclk = time.pthread_getcpuclockid(worker_ident[0])
        ticks = []  # (wall, UI thread CPU, worker thread CPU, process CPU)
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            beat[0] = time.perf_counter()
            ticks.append((beat[0], time.thread_time(), time.clock_gettime(wclk), time.process_time()))
            await asyncio.sleep(0.005)
        stop.set()
        wd.join()
        await pilot.press("ctrl+r")
        await _wait(lambda: not app.is_training, 30)
    gaps = []
    for (w0, u0, k0, p0), (w1, u1, k1, p1) in zip(ticks, ticks[1:]):
        if w1 - w0 > 0.035:
            gaps.append((w1 - w0, u1 - u0, k1 - k0, p1 - p0))
    return stalls, gaps, ticks


def cmd_stalls(a):
    exp, data = _setup()
    stalls, gaps, ticks = asyncio.run(_stalls(exp, data, a.seconds))
    wall = ticks[-1][0] - ticks[0][0]
    ui = ticks[-1][1] - ticks[0][1]
    wk = ticks[-1][2] - ticks[0][2]
    pr = ticks[-1][3] - ticks[0][3]
    print(f"over {wall:.1f} s of training: UI thread CPU {ui / wall:.0%} of a core, training thread {wk / wall:.0%}, "
          f"whole process {pr / wall:.0%}")
    gaps.sort(key=lambda g: -g[0])
    busy = sum(g[1] for g in gaps)
    print(f"{len(gaps)} gaps > 35 ms between UI heartbeats ({sum(g[0] for g in gaps) * 1e3:.0f} ms); the UI thread "
          f"ran {busy * 1e3:.0f} ms of CPU inside them. Longest (wall / UI CPU / training-thread CPU / process CPU, ms):")
    for g in gaps[:10]:
        print("   " + " / ".join(f"{x * 1e3:6.1f}" for x in g))
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


async def _profile_ui(exp, data, seconds: float):
    import cProfile
    import tempfile

    from tui_dl.app import make_app

    sink: dict = {}
    app = make_app(exp, runs_dir=tempfile.mkdtemp(prefix="tui-dl-bench-prof-"), device_text="CPU (benchmark)",
                   datasets={}, trainer=_bench_trainer(exp, data, epochs=50, limit_batches=None, log_every=10,
                                                       sink=sink))
    prof = cProfile.Profile()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await _wait(lambda: "clock" in sink and len(sink["clock"].stamps) >= 2, 120)
        prof.enable()   # cProfile follows this (the UI) thread only
        await asyncio.sleep(seconds)
        prof.disable()
        await pilot.press("ctrl+r")
        await _wait(lambda: not app.is_training, 30)
    return prof


def cmd_profile(a):
    """cProfile of the UI thread while the app trains: where its CPU time goes (cumulative, top entries)."""
    import pstats

    exp, data = _setup()
    prof = asyncio.run(_profile_ui(exp, data, a.seconds))
    st = pstats.Stats(prof)
    st.sort_stats("cumulative").print_stats(r"tui_dl|textual_plotext|plotext/_figure|_compositor.py.*render|"
                                            r"widgets/log.py|message_pump.py.*_dispatch_message", a.top * 5)


def _patched(plot_interval=None, progress_every=None, flush_every=None, switch=None):
    """Patch this process's app modules (never the files): plot redraw interval, status-bar progress rate,
    step-event batching. Returns an undo function."""
    import functools

    import tui_dl.app.app as A
    import tui_dl.app.train_controller as TC

    undo = []
    if switch is not None:
        import tui_dl.core.training.loop as T

        old_switch = T.UI_SWITCH_INTERVAL
        T.UI_SWITCH_INTERVAL = switch
        undo.append(lambda: setattr(T, "UI_SWITCH_INTERVAL", old_switch))
    if plot_interval is not None:
        old = A.PLOT_INTERVAL
        A.PLOT_INTERVAL = plot_interval
        undo.append(lambda: setattr(A, "PLOT_INTERVAL", old))
    if progress_every is not None or flush_every is not None:
        orig = TC.pump_events
        kw = {k: v for k, v in (("progress_every", progress_every), ("flush_every", flush_every)) if v is not None}
        TC.pump_events = functools.partial(orig, **kw)
        undo.append(lambda: setattr(TC, "pump_events", orig))
    return lambda: [u() for u in reversed(undo)]


KEY_VARIANTS = {
    "as is (plots every 0.3 s, progress every 0.05 s)": {},
    "plots every 1 s": {"plot_interval": 1.0},
    "progress every 0.25 s": {"progress_every": 0.25},
    "plots every 1 s + progress every 0.25 s": {"plot_interval": 1.0, "progress_every": 0.25},
    "GIL switch interval 0.2 ms": {"switch": 0.0002},
    "GIL switch 0.2 ms + plots 1 s + progress 0.25 s": {"switch": 0.0002, "plot_interval": 1.0,
                                                        "progress_every": 0.25},
}


def cmd_keys(a):
    """Key latency in the app during training with a few UI-side settings changed (in this process only),
    rotating order; p95 and max of key → screen refreshed, and training img/s meanwhile."""
    exp, data = _setup()
    names = list(KEY_VARIANTS)
    res = {n: [] for n in names}
    for r in range(a.repeats):
        for n in names[r % len(names):] + names[:r % len(names)]:
            undo = _patched(**KEY_VARIANTS[n])
            try:
                k = key_latency(exp, data, presses=a.presses, interval=0.05)
            finally:
                undo()
            res[n].append(k)
    print(f"key press → screen refreshed during LeNet-5 training, {a.presses} presses every 50 ms, {a.repeats} "
          f"rotating repeats (median over repeats):")
    for n in names:
        ks = res[n]
        med = lambda f: statistics.median(f(k) for k in ks)  # noqa: E731
        print(f"  {n:<48} p50 {med(lambda k: k['refresh_ms']['p50']):5.1f}  p95 "
              f"{med(lambda k: k['refresh_ms']['p95']):5.1f}  max {med(lambda k: k['refresh_ms']['max']):6.1f} ms; "
              f"{med(lambda k: k['steps_during']) * 64 / (a.presses * 0.05):,.0f} img/s meanwhile")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.ui_experiments")
    p.add_argument("what", choices=("threads", "stalls", "profile", "keys"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--presses", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--top", type=int, default=6)
    a = p.parse_args(argv)
    {"threads": cmd_threads, "stalls": cmd_stalls, "profile": cmd_profile, "keys": cmd_keys}[a.what](a)


if __name__ == "__main__":
    main()
