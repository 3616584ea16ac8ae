"""What does the UI thread do when its event loop stalls during training?

    python -m benchmarks.explore.ui_stalls [--seconds S] [--top N]

Runs the app (headless ``run_test``) training LeNet-5 with a watchdog thread: whenever the UI event loop has
not ticked for 30 ms it samples the stacks of the UI (main) thread and of the other threads every 2 ms; at
the end it prints the CPU share of the UI and training threads, the gaps between UI heartbeats, and the longest
stalls with the frames seen most often in them.

Finding (README, "The app never waits for torch, and does little while training"): events reach the UI in
batches (at most one message per 0.5 s for steps, a replaceable progress message at most every 0.25 s), the
plots are redrawn once a second from downsampled series, and the log gets at most one step line a second.
Measured (benchmarks/RESULTS.md): UI event-loop stalls during training 0.7 / 4.5 / 57.2 ms (p50/p95/max).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import threading
import time
import traceback

from benchmarks.app_bench import _bench_trainer, _wait
from benchmarks.explore.app_setup import lenet_and_data


def _frames(frame, limit=8):
    out = []
    for fs in traceback.extract_stack(frame)[-limit:]:
        out.append(f"{fs.filename.split('site-packages/')[-1].split('/work/main/')[-1]}:{fs.lineno} {fs.name}")
    return out


async def _stalls(exp, data, seconds: float):
    from tui_dl.app import make_app

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


def run(a):
    exp, data = lenet_and_data()
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


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.ui_stalls")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--top", type=int, default=6)
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
