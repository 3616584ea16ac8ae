"""`tui-dl watch` started on a run that `--resume` has just taken over (the CLI walk-through): the old file still
ends with the stopped run's final event until the resume rewrites it, and watch must follow the resumed run, not
report it stopped."""

from __future__ import annotations

import json
import os
import time

from tui_dl.core.runs.follow import Follower, Restarted, RunEnded
from tui_dl.core.runs.lock import RunLock
from tui_dl.core.training.events import Finished, Notice, RunStarted

STARTED = {"event": "started", "name": "t", "run_dir": "r", "device": "cpu", "device_name": "CPU", "dataset": "moons",
           "train_size": 1, "val_size": 0, "test_size": 0, "epochs": 2, "steps_per_epoch": 1, "params": 1}


def _final(status, t):
    return {"event": "finished", "status": status, "run_dir": "r", "epochs_run": 1, "steps": 1, "seconds": 1.0,
            "train_images_per_second": 1.0, "time": t}


def _lines(*evs) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in evs).encode()


def test_watch_follows_a_resume_that_has_not_rewritten_the_file_yet(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    m = run / "metrics.jsonl"
    m.write_bytes(_lines({**STARTED, "time": time.time() - 60}, _final("stopped", time.time() - 30)))
    with RunLock(run):  # the resume: a live writer that took the lock after the stopped run ended
        f = Follower(run)
        got = f.poll()
        assert [type(x) for x in got] == [RunStarted, Finished, Notice] and f.ended is None
        assert "being resumed" in got[-1].message
        assert f.poll() == []  # said once; still following
        tmp = run / "m.tmp"
        tmp.write_bytes(_lines(STARTED, _final("completed", time.time())))
        os.replace(tmp, m)
        got = f.poll()
        assert isinstance(got[0], Restarted) and got[-1] == RunEnded("finished", "the run ended: completed",
                                                                    "completed")


def test_a_finished_run_whose_own_writer_still_holds_the_lock_ends(tmp_path):
    run = tmp_path / "run"
    with RunLock(run):  # the writer took the lock before its final event (the usual end of a run)
        (run / "metrics.jsonl").write_bytes(_lines(STARTED, _final("completed", time.time() + 5)))
        got = Follower(run).poll()
        assert got[-1] == RunEnded("finished", "the run ended: completed", "completed")
