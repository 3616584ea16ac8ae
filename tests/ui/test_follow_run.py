"""Opening the folder of a run that another process is training follows it live (issue 17, item 4)."""

from __future__ import annotations

import json

from tests.ui.conftest import new_app, run, wait_until
from tui_dl.core.runs.lock import RunLock

STARTED = {"event": "started", "name": "Toy", "run_dir": "r", "device": "cpu", "device_name": "CPU", "dataset": "moons",
           "train_size": 10, "val_size": 2, "test_size": 2, "epochs": 2, "steps_per_epoch": 1, "params": 5}


def _epoch(e):
    return {"event": "epoch", "epoch": e, "epochs": 2, "step": e, "train_loss": 1.0 / e, "train_accuracy": 0.5,
            "val_loss": 1.0, "val_accuracy": 0.5, "lr": 0.1, "seconds": 1.0, "images_per_second": 10.0,
            "is_best": True}


def _append(path, *events):
    with open(path, "a") as f:
        f.write("".join(json.dumps(e) + "\n" for e in events))


def test_a_live_run_folder_is_followed_until_it_finishes(runs_dir, tmp_path):
    folder = tmp_path / "live"
    lock = RunLock(folder).acquire()  # this process is "the writer"
    m = folder / "metrics.jsonl"
    _append(m, {**STARTED, "run_dir": str(folder)}, _epoch(1))

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.open_path(str(folder))
            await wait_until(pilot, lambda: app.session_runs and len(app.session_runs[-1].epochs) == 1)
            rec = app.session_runs[-1]
            assert rec.status == "running"
            _append(m, _epoch(2))
            await wait_until(pilot, lambda: len(rec.epochs) == 2)
            _append(m, {"event": "finished", "status": "completed", "run_dir": str(folder), "epochs_run": 2,
                        "steps": 2, "seconds": 2.0, "train_images_per_second": 10.0, "test_accuracy": 0.75})
            await wait_until(pilot, lambda: rec.status == "completed")
            assert rec.finished.test_accuracy == 0.75
    try:
        run(body())
    finally:
        lock.release()


def test_a_followed_run_whose_writer_dies_is_marked_incomplete(runs_dir, tmp_path):
    folder = tmp_path / "dying"
    lock = RunLock(folder).acquire()
    _append(folder / "metrics.jsonl", {**STARTED, "run_dir": str(folder)}, _epoch(1))

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.open_path(str(folder))
            await wait_until(pilot, lambda: app.session_runs and len(app.session_runs[-1].epochs) == 1)
            rec = app.session_runs[-1]
            lock.release()  # the writer is gone, with no final event
            await wait_until(pilot, lambda: rec.status == "incomplete", timeout=10)
            assert any("killed or crashed" in line for line in rec.log)
    run(body())


def test_the_download_progress_shows_on_the_status_bar(runs_dir, monkeypatch):
    import threading

    import tui_dl.app.train_controller as tc

    release = threading.Event()

    def fake_trainer(exp, *, data_progress=None, should_stop=None, **kw):
        data_progress("Reading x", 0.1)
        data_progress("Downloading train-images: 40% of 26.4 MB, 3.1 MB/s", 0.4)
        release.wait(10)
        return iter(())

    monkeypatch.setattr(tc, "real_trainer", lambda: fake_trainer)

    async def body():
        app = new_app(runs_dir=runs_dir)  # no trainer given: the real one's path, which gets data_progress
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: "40% of 26.4 MB" in app.status_bar.state_detail)
            release.set()
    run(body())


def test_a_live_run_written_from_another_folder_is_followed_at_the_path_opened(runs_dir, tmp_path):
    """`tui-dl --batch` writes the run folder relative to its own working directory ("runs/lenet-…"); the app,
    started elsewhere, must follow (and later look inside) the folder it opened, not that relative name."""
    folder = tmp_path / "elsewhere" / "live"
    lock = RunLock(folder).acquire()
    m = folder / "metrics.jsonl"
    _append(m, {**STARTED, "run_dir": "runs/live"}, _epoch(1))

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.open_path(str(folder))
            await wait_until(pilot, lambda: app.session_runs and len(app.session_runs[-1].epochs) == 1)
            rec = app.session_runs[-1]
            assert rec.status == "running" and rec.run_dir == str(folder)
            _append(m, _epoch(2))
            await wait_until(pilot, lambda: len(rec.epochs) == 2, timeout=5)
            _append(m, {"event": "finished", "status": "completed", "run_dir": "runs/live", "epochs_run": 2,
                        "steps": 2, "seconds": 2.0, "train_images_per_second": 10.0, "test_accuracy": 0.75})
            await wait_until(pilot, lambda: rec.status == "completed", timeout=5)
            assert rec.run_dir == str(folder)  # what the gallery, feature maps and attack open
    try:
        run(body())
    finally:
        lock.release()
