"""The app under load: a scripted trainer posting 100 epochs × 200 step events keeps memory flat and every
stored series bounded; resizing the terminal mid-run (down to 1×1) is harmless; quitting at any moment (while
events flood in, with a modal open, while the run is still starting, with the real trainer) exits cleanly,
stops the worker, and leaves a checkpoint that --resume continues exactly."""

from __future__ import annotations

import asyncio
import gc
import math
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.reliability.helpers import checkpoint_ok, cli, fault, moons_yaml, write
from tui_dl.core.training import events as E


#: Left out of the growth measured below: the libraries' caches that fill up as new text is drawn (bounded LRUs,
#: paced by how often the screen refreshes) and the log lines (their two stores are asserted bounded directly;
#: Textual's Log also pins its last few written batches in its size-measuring workers, a backlog that depends
#: on the machine's load).
#: Left out of the memory check: Rich's and Textual's own allocations, whose caches are bounded by design
#: (lru_cache(1024..4096) on style arithmetic, colour filters, cell widths; LRU render caches) but fill slowly, one
#: new number string at a time, so they grew by up to ~420 KB between any two moments of the run under load (a
#: flaky red). What the check is about, the app's own stores of a long run (RunRecord's series, the log), is
#: allocated in tui_dl's files and stays measured.
BOUNDED_CACHES = [tracemalloc.Filter(False, "*/rich/*"), tracemalloc.Filter(False, "*/textual/*"),
                  tracemalloc.Filter(False, "*/tracemalloc.py"), tracemalloc.Filter(False, "*/tui_dl/app/logfmt.py")]


class Scripted:
    """A stand-in for ``iter_training`` (no torch): ``epochs`` × ``batches`` step events (log_every 1), an
    epoch event each epoch. ``pace`` (a Semaphore) must be released once per epoch; ``gate`` (an Event) is
    waited for before the first event; ``sleep`` seconds between steps. Honours should_stop like the real
    trainer (an interrupted checkpoint event, then Finished("stopped"))."""

    def __init__(self, epochs=100, batches=200, pace=None, gate=None, sleep=0.0, on_step=None):
        self.epochs, self.batches, self.pace, self.gate, self.sleep = epochs, batches, pace, gate, sleep
        self.on_step = on_step
        self.calls: list[dict] = []

    def loss(self, step: int) -> float:
        return 2.3 * math.exp(-step / 3000) + 0.05 * math.sin(step)

    def __call__(self, exp, *, run_dir=None, runs_dir="runs", resume=None, should_stop=None, data=None,
                 ui_thread=False):
        rec = {"stop": should_stop, "steps": 0, "closed": False, "finished": False}
        self.calls.append(rec)
        return self._events(exp, should_stop, rec)

    def _events(self, exp, should_stop, rec):
        try:
            if self.gate is not None:
                self.gate.wait(30)
            yield E.RunStarted(name=exp.name, run_dir="runs/scripted", device="cpu", device_name="CPU (scripted)",
                               dataset="synthetic-digits", train_size=self.batches * 64, val_size=640,
                               test_size=1000, epochs=self.epochs, steps_per_epoch=self.batches, params=61706,
                               threads=1)
            step = 0
            for epoch in range(1, self.epochs + 1):
                if self.pace is not None:
                    while not self.pace.acquire(timeout=0.05):
                        if should_stop.is_set():
                            break
                for b in range(1, self.batches + 1):
                    if should_stop is not None and should_stop.is_set():
                        yield E.CheckpointSaved("runs/scripted/last.pt", epoch, step, "interrupted")
                        yield E.Finished(status="stopped", run_dir="runs/scripted", epochs_run=epoch - 1,
                                         steps=step, seconds=1.0, train_images_per_second=1.0)
                        rec["finished"] = True
                        return
                    step += 1
                    rec["steps"] = step
                    if self.sleep:
                        time.sleep(self.sleep)
                    if self.on_step is not None:
                        self.on_step(step)
                    yield E.StepDone(epoch=epoch, step=step, batch=b, batches=self.batches, loss=self.loss(step),
                                     lr=1e-3, images_per_second=5000.0, elapsed=step * 0.01, eta=1.0)
                yield E.EpochDone(epoch=epoch, epochs=self.epochs, step=step, train_loss=1 / epoch,
                                  train_accuracy=0.9, val_loss=1.1 / epoch, val_accuracy=0.88, lr=1e-3,
                                  seconds=1.0, images_per_second=5000.0, is_best=True)
            yield E.Finished(status="completed", run_dir="runs/scripted", epochs_run=self.epochs, steps=step,
                             seconds=1.0, train_images_per_second=5000.0, test_loss=0.3, test_accuracy=0.9,
                             confusion=[[9, 1], [1, 9]], classes=["a", "b"], per_class_accuracy=[0.9, 0.9])
            rec["finished"] = True
        finally:
            rec["closed"] = True


def new_app(tmp_path: Path, trainer=None, experiment=None):
    from tui_dl.app import make_app
    from tui_dl.core.config.experiment import load_experiment

    exp = experiment or load_experiment(Path(__file__).resolve().parents[2] / "presets" / "lenet5.yaml")
    return make_app(exp, None, runs_dir=str(tmp_path / "runs"), trainer=trainer, device_text="CPU (test)",
                    datasets={})


async def until(pilot, condition, timeout=60.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {condition}"
        await pilot.pause(0.05)


# ----------------------------------------------------------------------------- memory


def test_100_epochs_of_step_events_keep_memory_flat_and_series_bounded(tmp_path):
    from textual.widgets import Log

    from tui_dl.app.session import LOG_LINES, STEP_POINTS
    from tui_dl.app.widgets.plots import CurvePlot

    pace = threading.Semaphore(0)
    trainer = Scripted(epochs=100, batches=200, pace=pace)
    app = new_app(tmp_path, trainer)
    measured = {}

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: app.session_runs and app.session_runs[-1].started is not None)
            rec = app.session_runs[-1]
            for target in range(10, 101, 10):
                if target == 40:
                    # only while the 4,000-point store is full and Rich/Textual's bounded caches have filled
                    # (measuring from epoch 30 caught the last of them filling, by a few bytes, under load):
                    # tracing slows Python ~3×
                    tracemalloc.start()
                pace.release(10)
                await until(pilot, lambda: len(rec.epochs) >= target)
                await pilot.pause(0.3)  # let a plot redraw happen
                if target in (40, 80):
                    gc.collect()
                    measured[target] = tracemalloc.take_snapshot().filter_traces(BOUNDED_CACHES)
                if target == 80:
                    tracemalloc.stop()
            await until(pilot, lambda: not app.is_training)
            await pilot.pause(0.4)
            log = app.query_one("#log-pane", Log)
            plot = app.query_one("#loss-plot", CurvePlot)
            return rec, log.line_count, plot.point_count

    fault("app load: 20,000 step events + 100 epoch events", 20_100)
    rec, log_lines, points = asyncio.run(body())
    assert rec.status == "completed" and len(rec.epochs) == 100 and rec.last_step.step == 20_000
    # bounded stores
    assert len(rec.log) <= LOG_LINES and log_lines <= 2000
    assert len(rec.step_x) == len(rec.step_loss) == len(rec.smooth) <= STEP_POINTS + 1
    assert points <= 2 * 400 + 100
    # ... that still cover the whole run, with the smoothed curve exactly the EMA of every point
    assert rec.step_x[-1] == 100.0 and rec.step_x[0] < 1.0
    alpha, ema = 2 / (20 + 1), None  # window = steps per epoch / 10 (log_every 1)
    for s in range(1, 20_001):
        v = trainer.loss(s)
        ema = v if ema is None else ema + alpha * (v - ema)
    assert rec.smooth[-1] == pytest.approx(ema, rel=1e-9)
    # flat memory: the 8,000 step events between epochs 40 and 80 may not cost more than 50 bytes each
    # (keeping every point cost ~110 bytes each)
    diff = measured[80].compare_to(measured[40], "lineno")
    growth = sum(d.size_diff for d in diff)
    top = "\n".join(str(d) for d in diff[:6])
    assert growth < 8_000 * 50, f"memory grew by {growth:,} bytes over 40 epochs; largest:\n{top}"


# ----------------------------------------------------------------------------- resize


def test_terminal_resizes_during_training_down_to_one_cell(tmp_path):
    trainer = Scripted(epochs=10, batches=100, sleep=0.002)
    app = new_app(tmp_path, trainer)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            for view, sizes in (("3", ((80, 24), (20, 6), (1, 1), (200, 50), (30, 80), (120, 40))),
                                ("1", ((1, 1), (40, 12), (120, 40)))):
                await pilot.press(view)
                for size in sizes:
                    fault("app: terminal resize during training")
                    await pilot.resize_terminal(*size)
                    await pilot.pause(0.05)
                    assert app.is_running
            await pilot.press("3")
            await until(pilot, lambda: not app.is_training)
            await pilot.resize_terminal(1, 1)
            await pilot.pause(0.1)
            await pilot.resize_terminal(100, 30)
            await pilot.pause(0.3)
            return app.session_runs[-1]

    rec = asyncio.run(body())
    assert rec.status == "completed" and len(rec.epochs) == 10


# ----------------------------------------------------------------------------- quitting


def test_exit_while_events_flood_in_is_clean_and_stops_the_worker(tmp_path):
    """app.exit() (a closed terminal, the quit timer) while events arrive as fast as the worker can post them:
    no exception from late worker messages during shutdown, and the trainer is stopped or closed."""
    for exit_at in (1, 500, 5000):
        app = None

        def on_step(step, exit_at=exit_at):
            if step == exit_at:
                app.exit()  # from the worker thread, in the middle of the flood

        trainer = Scripted(epochs=1000, batches=1000, on_step=on_step)
        app = new_app(tmp_path, trainer)

        async def body():
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                await pilot.press("ctrl+r")
                await until(pilot, lambda: not app.is_running, timeout=30)

        fault("app: exit while events flood in")
        asyncio.run(body())  # an exception in a message handler would be raised here
        call = trainer.calls[0]
        deadline = time.monotonic() + 15
        while not call["closed"] and time.monotonic() < deadline:
            time.sleep(0.02)
        # stopped (should_stop) or closed (generator.close(): the real trainer then saves its checkpoint)
        assert call["closed"] and call["steps"] < 1000 * 1000, (exit_at, call["steps"])

    # the worker's last messages can arrive after the widgets are gone: handling them must not raise
    from tui_dl.app.messages import TrainingEvents, TrainingProgress

    step = E.StepDone(epoch=1, step=5, batch=5, batches=10, loss=1.0, lr=0.1, images_per_second=1.0, elapsed=0.0,
                      eta=0.0)
    run_id = app.session_runs[0].id
    fault("app: worker messages after the app closed", 2)
    app.on_training_progress(TrainingProgress(run_id, step))
    app.on_training_events(TrainingEvents(run_id, (step, E.Notice("warning", "late"))))


@pytest.mark.parametrize("modal", ["help", "open"])
def test_quit_with_a_modal_open_during_training(modal, tmp_path):
    trainer = Scripted(epochs=50, batches=200, sleep=0.001)
    app = new_app(tmp_path, trainer)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: trainer.calls and trainer.calls[0]["steps"] > 20)
            # opened by action (a key press waits ~2 s for a screen that never idles during training)
            app.action_help() if modal == "help" else app.action_open()
            await pilot.pause(0.2)
            assert type(app.screen).__name__ in ("HelpScreen", "OpenModal")
            fault("app: quit with a modal open during training")
            await pilot.press("ctrl+q")
            await pilot.pause(0.2)
            assert type(app.screen).__name__ == "ConfirmModal"
            await pilot.press("y")
            await until(pilot, lambda: not app.is_running, timeout=15)

    asyncio.run(body())
    call = trainer.calls[0]
    assert call["stop"].is_set() and call["finished"] and call["closed"]
    assert app.session_runs[0].status == "stopped"


def test_quit_while_the_run_is_still_starting(tmp_path):
    """Ctrl+Q while torch and the data are still loading (the trainer has not yielded anything yet)."""
    gate = threading.Event()
    trainer = Scripted(epochs=5, batches=100, gate=gate)
    app = new_app(tmp_path, trainer)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: trainer.calls)
            fault("app: quit while the run is starting")
            await pilot.press("ctrl+q")
            await pilot.pause(0.1)
            await pilot.press("y")
            await pilot.pause(0.2)
            assert app.is_running  # waiting for the trainer to notice the stop
            gate.set()              # loading finishes; the trainer sees should_stop at once
            await until(pilot, lambda: not app.is_running, timeout=15)

    asyncio.run(body())
    assert trainer.calls[0]["stop"].is_set() and trainer.calls[0]["closed"]
    assert trainer.calls[0]["steps"] == 0


def test_stop_and_quit_answered_after_the_run_ended_quits_at_once(tmp_path):
    gate = threading.Event()
    trainer = Scripted(epochs=1, batches=10, gate=gate)
    app = new_app(tmp_path, trainer)
    waited = {}

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: trainer.calls)
            await pilot.press("ctrl+q")
            await pilot.pause(0.2)
            assert type(app.screen).__name__ == "ConfirmModal"
            gate.set()
            await until(pilot, lambda: not app.is_training)  # the run ends while the question is open
            t0 = time.monotonic()
            fault("app: quit answered after the run ended")
            await pilot.press("y")
            while app.is_running and time.monotonic() - t0 < 3:
                await pilot.pause(0.1)
            waited["still running"] = app.is_running
            if app.is_running:
                app.exit()

    asyncio.run(body())
    assert not waited["still running"], "the app was still open 3 s after 'Stop and quit'"


def test_quitting_the_app_mid_run_with_the_real_trainer_keeps_a_resumable_checkpoint(tmp_path):
    """The real trainer in the app's worker; the app exits mid-epoch. The worker is cancelled, the trainer saves
    an interrupted checkpoint before the process could end, and --resume gives the numbers of a clean run."""
    from tui_dl.core.config.experiment import load_experiment

    from textual.worker import get_current_worker

    from tui_dl.core.training.loop import iter_training

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2, log_every: 25", num_samples=10_000, name="app quit"))
    exp = load_experiment(f)

    def held_after_step_50(*args, should_stop=None, **kwargs):
        """The real trainer, slowed to one step event per second once step 50 is out, so the run cannot finish
        before the app exits however fast the machine is (the next event flushes step 50 to the UI; a stop or
        the cancellation ends the wait at once)."""
        inner = iter_training(*args, should_stop=should_stop, **kwargs)
        worker = get_current_worker()
        try:
            for ev in inner:
                yield ev
                if getattr(ev, "kind", "") == "step" and ev.step >= 50:
                    end = time.monotonic() + 1.0
                    while time.monotonic() < end and not (should_stop.is_set() or worker.is_cancelled):
                        time.sleep(0.01)
        finally:
            inner.close()

    app = new_app(tmp_path, held_after_step_50, experiment=exp)

    async def body():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            try:
                await until(pilot, lambda: app.session_runs and app.session_runs[-1].last_step is not None
                            and app.session_runs[-1].last_step.step >= 50, timeout=120)
            except AssertionError:
                rec = app.session_runs[-1] if app.session_runs else None
                raise AssertionError(f"the run did not reach step 50: {rec and rec.status} {rec and rec.error} "
                                     f"{rec and list(rec.log)[-5:]}") from None
            fault("app: exit mid-run with the real trainer")
            app.exit()

    asyncio.run(body())  # asyncio.run waits for the worker thread (the executor) to finish
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    ck = checkpoint_ok(runs[0])
    assert ck["status"] == "interrupted" and 50 <= ck["step"] < 2 * 450
    rc, out, err = cli("--batch", "--resume", runs[0], "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    rc, _, err = cli("--batch", f, "--out", tmp_path / "ref", "--quiet")
    assert rc == 0, err
    from tests.reliability.test_interruption import same_run

    same_run(runs[0], tmp_path / "ref")
