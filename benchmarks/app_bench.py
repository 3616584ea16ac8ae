"""The app under measurement, headless (``App.run_test``) in this process, and start-up/memory in a pty.

* training speed inside the app: the app's own worker runs ``iter_training`` (``ui_thread=True``); the
  benchmark injects it through ``make_app(trainer=...)`` only to hand it the pre-loaded data and to stamp
  the ``StepDone`` events as the worker pulls them (the same clock as the headless side).
* key-press latency during training: a key bound to a cheap action (it updates the status bar) is pressed
  every ~50 ms with Pilot; latency = key sent → handler ran, and → the screen refreshed after it.
* time to first frame: ``tui-dl presets/lenet5.yaml`` started in a pseudo-terminal; the time from spawn
  until the experiment's name (drawn by the first frame) appears in the terminal output.
* the app's peak memory: the app in a pty trains (ctrl+r) a few hundred steps; its ru_maxrss, taken through
  :mod:`benchmarks.rss_launcher` so that the benchmark's own size does not leak into the child's figure.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import percentile
from benchmarks.engine import StepClock, engine_experiment

APP_SIZE = (120, 40)
BATCH = 64  # engine_experiment's batch size


def _bench_trainer(exp, data, *, epochs: int, limit_batches: int | None, log_every: int, sink: dict):
    """A ``trainer`` for make_app: the real ``iter_training`` with our data, events stamped on arrival."""

    def trainer(_exp, **kw):
        from tui_dl.core.training.loop import iter_training

        e = engine_experiment(exp, epochs=epochs, limit_batches=limit_batches, log_every=log_every)
        sink["ui_thread"] = kw.get("ui_thread")
        clock = StepClock(iter_training(e, data=data, **kw))
        sink["clock"] = clock
        return iter(clock)

    return trainer


async def _wait(cond, timeout: float, poll: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll)
    return True


async def _app_training(exp, data, warmup: int, steps: int, log_every: int, timeout: float) -> tuple[float, int, dict]:
    from tui_dl.app import make_app

    sink: dict = {}
    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-app-") as tmp:
        app = make_app(exp, runs_dir=tmp, device_text="CPU (benchmark)", datasets={},
                       trainer=_bench_trainer(exp, data, epochs=1, limit_batches=warmup + steps,
                                              log_every=log_every, sink=sink))
        async with app.run_test(size=APP_SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            ok = await _wait(lambda: "clock" in sink and sink["clock"].finished is not None, timeout)
            await _wait(lambda: not app.is_training, 10)
            redraws = getattr(app, "plot_redraws", None)
        if not ok:
            raise RuntimeError("the app's training did not finish in time")
    clock: StepClock = sink["clock"]
    secs = clock.window(warmup, warmup + steps)
    return secs, steps * BATCH, {
        "threads": clock.started.threads if clock.started else None, "ui_thread": sink.get("ui_thread"),
        "plot_redraws": redraws}


def app_training_steps(exp, data, *, warmup: int, steps: int, log_every: int = 10, timeout: float = 600):
    """(seconds, images, info) of ``steps`` training steps after ``warmup``, inside the app."""
    return asyncio.run(_app_training(exp, data, warmup, steps, log_every, timeout))


async def _key_latency(exp, data, presses: int, interval: float, epochs: int, timeout: float) -> dict:
    """Keys are sent the way a real driver sends them: from another thread (the driver's input thread), with
    ``driver.send_message`` (Pilot's ``press`` would wait for the process to go idle, which it never does while
    training runs in the same process)."""

    sink: dict = {}
    handled: list[float] = []
    refreshed: list[float] = []
    sent: list[float] = []
    renders: list[float] = []
    from tui_dl.app.widgets.plots import CurvePlot

    original_render = CurvePlot.render

    def timed_render(self):  # this process only: how long each plot build holds the UI thread
        t = time.perf_counter()
        try:
            return original_render(self)
        finally:
            if self.series:
                renders.append((time.perf_counter() - t) * 1e3)

    CurvePlot.render = timed_render
    try:
        return await _key_latency_run(exp, data, presses, interval, epochs, timeout, sink, handled, refreshed,
                                      sent, renders)
    finally:
        CurvePlot.render = original_render


async def _key_latency_run(exp, data, presses, interval, epochs, timeout, sink, handled, refreshed, sent,
                           renders) -> dict:
    import threading

    from textual import events
    from tui_dl.app import make_app

    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-keys-") as tmp:
        app = make_app(exp, runs_dir=tmp, device_text="CPU (benchmark)", datasets={},
                       trainer=_bench_trainer(exp, data, epochs=epochs, limit_batches=None, log_every=10,
                                              sink=sink))

        def action_bench_ping() -> None:  # the cheap action: stamp, change the status bar
            handled.append(time.perf_counter())
            app.status_bar.set(state_detail=f"ping {len(handled)}")
            app.call_after_refresh(lambda: refreshed.append(time.perf_counter()))

        app.action_bench_ping = action_bench_ping
        async with app.run_test(size=APP_SIZE) as pilot:
            app.bind("f12", "bench_ping", show=False)
            await pilot.pause()
            await pilot.press("ctrl+r")
            # measure in steady training: after the first StepDone reached the worker
            if not await _wait(lambda: "clock" in sink and len(sink["clock"].stamps) >= 2, timeout):
                raise RuntimeError("training did not start in the app")
            clock: StepClock = sink["clock"]
            steps_before = clock.stamps[-1][0]
            driver = app._driver

            def keyboard():
                t_next = time.perf_counter()
                for _ in range(presses):
                    now = time.perf_counter()
                    if now < t_next:
                        time.sleep(t_next - now)
                    t_next += interval
                    ev = events.Key("f12", None)
                    ev.set_sender(app)
                    sent.append(time.perf_counter())
                    driver.send_message(ev)

            lags: list[float] = []
            monitoring = True

            async def lag_monitor():  # how long the UI thread's event loop was unavailable
                while monitoring:
                    t = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lags.append((time.perf_counter() - t - 0.01) * 1e3)

            mon = asyncio.create_task(lag_monitor())
            kb = threading.Thread(target=keyboard, name="bench-keyboard", daemon=True)
            kb.start()
            await _wait(lambda: not kb.is_alive(), presses * interval + 30)
            monitoring = False
            await mon
            await _wait(lambda: len(refreshed) >= len(sent), 10)
            still_training = clock.finished is None
            steps_after = clock.stamps[-1][0]
            await pilot.press("ctrl+r")  # stop
            await _wait(lambda: not app.is_training, 30)
    n = min(len(sent), len(handled))
    lat_h = [(handled[i] - sent[i]) * 1e3 for i in range(n)]
    lat_r = [(refreshed[i] - sent[i]) * 1e3 for i in range(min(n, len(refreshed)))]

    def stats(xs):
        return {"p50": percentile(xs, 50), "p95": percentile(xs, 95), "max": max(xs) if xs else None, "n": len(xs)}

    return {"handler_ms": stats(lat_h), "refresh_ms": stats(lat_r), "presses": len(sent), "handled": len(handled),
            "loop_lag_ms": stats(lags), "plot_render_ms": stats(renders),
            "training_all_along": still_training, "steps_during": steps_after - steps_before,
            "threads": clock.started.threads if clock.started else None}


def key_latency(exp, data, *, presses: int = 200, interval: float = 0.05, epochs: int = 20,
                timeout: float = 120) -> dict:
    """Key-press latency (ms: p50, p95, max) while the app trains ``exp`` on ``data``."""
    return asyncio.run(_key_latency(exp, data, presses, interval, epochs, timeout))


# ----------------------------------------------------------------------------- pty: first frame, memory


def _spawn_pty(argv: list[str], env: dict, cols: int = 120, rows: int = 40):
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    return proc, master, t0


def _read_until(master: int, pattern: re.Pattern | None, timeout: float, buf: bytearray) -> float | None:
    """Read the pty into ``buf`` until ``pattern`` matches (returns the time) or the timeout."""
    deadline = time.perf_counter() + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        r, _, _ = select.select([master], [], [], min(left, 0.05))
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return None
            if not chunk:
                return None
            buf.extend(chunk)
            if pattern is not None and pattern.search(_plain(buf)):
                return time.perf_counter()


_ESC = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _plain(buf: bytearray) -> bytes:
    return _ESC.sub(b"", bytes(buf))


def _finish(proc, master: int, quit_keys: bytes = b"\x11", wait: float = 10.0):
    """Quit (ctrl+q), then SIGTERM/SIGKILL if needed; returns the child's rusage (os.wait4)."""
    try:
        os.write(master, quit_keys)
    except OSError:
        pass
    buf = bytearray()
    deadline = time.perf_counter() + wait
    rusage = None
    while time.perf_counter() < deadline:
        _read_until(master, None, 0.1, buf)  # drain so the child never blocks on a full pty
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            rusage = ru
            break
    if rusage is None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            t_end = time.perf_counter() + 3
            while time.perf_counter() < t_end:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    rusage = ru
                    break
                time.sleep(0.05)
            if rusage is not None:
                break
    proc.returncode = 0
    os.close(master)
    return rusage


def _cli_env() -> dict:
    env = dict(os.environ)
    env.update(TERM="xterm-256color", COLORTERM="truecolor", COLUMNS="120", LINES="40")
    env.pop("TEXTUAL", None)
    return env


def _cli() -> list[str]:
    return [sys.executable, "-m", "tui_dl"]


def first_frame(preset: str, marker: str, timeout: float = 30.0) -> dict:
    """Seconds from spawning ``tui-dl PRESET`` in a pty until ``marker`` is on the terminal (the experiment's
    name is in the status bar, the last line of the first frame); ``driver_s``: until Textual's driver wrote
    its first bytes (the imports are done then)."""
    proc, master, t0 = _spawn_pty(_cli() + [preset], _cli_env())
    buf = bytearray()
    t_driver = _first_output(master, timeout, buf)
    t = _read_until(master, re.compile(re.escape(marker.encode())), timeout, buf)
    _finish(proc, master)
    return {"seconds": None if t is None else t - t0, "driver_s": None if t_driver is None else t_driver - t0,
            "bytes": len(buf)}


def _first_output(master: int, timeout: float, buf: bytearray) -> float | None:
    r, _, _ = select.select([master], [], [], timeout)
    if not r:
        return None
    t = time.perf_counter()
    try:
        buf.extend(os.read(master, 65536))
    except OSError:
        return None
    return t


def import_time() -> float | None:
    """Seconds a fresh interpreter takes to ``import tui_dl.app.app`` (what precedes the first frame)."""
    code = "import time; t = time.perf_counter(); import tui_dl.app.app; print(time.perf_counter() - t)"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
        return float(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def _run_wait4(argv: list[str], timeout: float) -> tuple[int, object, str, str]:
    """Run ``argv``; (returncode, rusage of that child alone, stdout, stderr)."""
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        proc = subprocess.Popen(argv, stdout=fo, stderr=fe, text=True)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return proc.returncode, ru, fo.read(), fe.read()


def run_peak_rss(argv: list[str], timeout: float) -> tuple[int, float | None, str, str]:
    """Run ``argv`` through :mod:`benchmarks.rss_launcher`; (returncode, its peak RSS in MiB, stdout, stderr)."""
    fd, path = tempfile.mkstemp(prefix="tui-dl-bench-rss-")
    os.close(fd)
    try:
        rc, _ru, out, err = _run_wait4([sys.executable, "-m", "benchmarks.rss_launcher", path] + argv, timeout)
        try:
            rss = int(Path(path).read_text()) / 1024
        except (OSError, ValueError):
            rss = None
    finally:
        os.unlink(path)
    return rc, rss, out, err


def _jsonl_ips(stdout: str, warmup_steps: int = 20) -> float | None:
    """Training img/s from ``--jsonl`` StepDone events: (images between the StepDone of step ``warmup_steps``
    and the last StepDone of epoch 1) / (difference of their ``elapsed``)."""
    import json

    steps = []
    for line in stdout.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if d.get("event") == "step" and d.get("epoch") == 1:
            steps.append(d)
    first = next((d for d in steps if d["step"] >= warmup_steps), None)
    if first is None or steps[-1] is first:
        return None
    last = steps[-1]
    return (last["step"] - first["step"]) * BATCH / (last["elapsed"] - first["elapsed"])


def batch_memory(preset: str, sets: list[str], timeout: float = 900.0) -> dict:
    """Peak RSS (MiB) of ``tui-dl --batch PRESET --jsonl`` (os.wait4 of that child), and its training img/s from
    the events."""
    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-batchmem-") as tmp:
        argv = _cli() + ["--batch", preset, "--jsonl", "--runs-dir", tmp] + [x for s in sets for x in ("--set", s)]
        rc, rss, out, err = run_peak_rss(argv, timeout)
    return {"rc": rc, "how": "tui-dl --batch", "maxrss_mib": rss, "ips": _jsonl_ips(out),
            "stderr_tail": err[-2000:] if rc else ""}


def app_memory(preset: str, sets: list[str], marker: str, done: str, timeout: float = 300.0) -> dict:
    """Peak RSS (MiB) of the real app in a pty: open ``preset``, press ctrl+r, wait until ``done`` (a regex) is
    on the screen, quit with ctrl+q; ru_maxrss from os.wait4."""
    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-appmem-") as tmp:
        rss_file = os.path.join(tmp, "maxrss")
        argv = ([sys.executable, "-m", "benchmarks.rss_launcher", rss_file] + _cli() + [preset]
                + [x for s in sets for x in ("--set", s)] + ["--runs-dir", tmp])
        proc, master, t0 = _spawn_pty(argv, _cli_env())
        buf = bytearray()
        t_frame = _read_until(master, re.compile(re.escape(marker.encode())), 60, buf)
        t_done = None
        if t_frame is not None:
            time.sleep(0.5)
            os.write(master, b"\x12")  # ctrl+r: train
            del buf[:]
            t_done = _read_until(master, re.compile(done.encode()), timeout, buf)
        _finish(proc, master)
        try:
            rss = int(Path(rss_file).read_text()) / 1024
        except (OSError, ValueError):
            rss = None
    return {"maxrss_mib": rss, "trained": t_done is not None, "seconds_to_done": (t_done - t0) if t_done else None}
