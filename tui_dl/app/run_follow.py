"""Following, in the app, a run that another process is training (``tui-dl --batch`` in another terminal, a job
writing to a shared folder): opening its folder starts a worker thread that tails ``metrics.jsonl``
(:class:`~tui_dl.core.runs.follow.Follower`) and posts what it reads as :class:`~tui_dl.app.messages.TrainingEvents`,
the messages of a run trained here, so the curves, the log and the result fill in the same way. When the writer is
gone without a final event the log says so and the run is marked incomplete; a resume that rewrites the file
starts the record over."""

from __future__ import annotations

import time
from dataclasses import fields
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from tui_dl.app.messages import TrainingEvents
from tui_dl.app.session import RunRecord
from tui_dl.core.runs.follow import Follower, Restarted, RunEnded
from tui_dl.core.training.events import Notice

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDL

FOLLOW_GROUP = "follow-run"
#: Seconds between looks at the file.
INTERVAL = 0.25


def _fresh(rec: RunRecord) -> RunRecord:
    """An empty record for ``rec``'s run (its id, name, experiment and folder kept)."""
    return RunRecord(id=rec.id, name=rec.name, experiment=rec.experiment, tag=rec.tag, run_dir=rec.run_dir,
                     status="running")


def follow_run(app: "TuiDL", rec: RunRecord) -> RunRecord:
    """An empty record for the live run ``rec`` was read from, and a worker that feeds it every event of the
    file (the old ones first) through the app's TrainingEvents path."""
    live = _fresh(rec)
    app.run_worker(partial(_follow, app, live.id, Path(rec.run_dir)), thread=True, group=FOLLOW_GROUP,
                   exit_on_error=False)
    return live


def _restart(app: "TuiDL", run_id: int) -> None:
    rec = app.training.run_by_id(run_id)
    if rec is not None:
        fresh = _fresh(rec)
        for f in fields(RunRecord):
            setattr(rec, f.name, getattr(fresh, f.name))


def _ended(app: "TuiDL", run_id: int, ended: RunEnded) -> None:
    rec = app.training.run_by_id(run_id)
    if rec is None or app.closing_down:
        return
    if ended.how != "finished" and rec.status in ("running", "starting"):
        rec.status = "incomplete"  # the log and a notice already say why (the Notice posted before)
        app.training.refresh_runs()


def _events(app: "TuiDL", run_id: int, batch: list) -> None:
    if not app.closing_down:
        app.on_training_events(TrainingEvents(run_id, tuple(batch)))


def _follow(app: "TuiDL", run_id: int, folder: Path) -> None:
    """The worker: poll the file and hand each batch to the UI thread, in order (each call waits for the UI)."""
    worker = get_current_worker()
    follower = Follower(folder, interval=INTERVAL)
    try:
        while not worker.is_cancelled:
            batch: list = []
            for item in follower.poll():
                if isinstance(item, Restarted):
                    if batch:
                        app.call_from_thread(_events, app, run_id, batch)
                        batch = []
                    app.call_from_thread(_restart, app, run_id)
                elif isinstance(item, RunEnded):
                    if item.how != "finished":
                        batch.append(Notice("error", item.message))
                else:
                    batch.append(item)
            if batch:
                app.call_from_thread(_events, app, run_id, batch)
            if follower.ended is not None:
                app.call_from_thread(_ended, app, run_id, follower.ended)
                return
            time.sleep(follower.interval)
    except RuntimeError:  # the app closed while we were handing it events
        return
