"""Training from the app: start / pause / stop, the worker thread, and the UI side of its messages.

The worker iterates the same ``iter_training`` generator as ``--batch`` (``ui_thread=True``) and only
posts messages (see :mod:`tui_dl.app.training`). Torch and the trainer are imported inside the worker,
so the app starts without them.
"""

from __future__ import annotations

from textual import work
from textual.worker import Worker, WorkerState, get_current_worker

from tui_dl.app.logfmt import fallback_short
from tui_dl.app.messages import TrainingEnded, TrainingEvents, TrainingProgress
from tui_dl.app.session import RunRecord, describe_difference
from tui_dl.app.training import TrainingControl, pump_events
from tui_dl.core.training import events as E
from tui_dl.core.model.shapes import summarize

#: Seconds between plot redraws while data arrives. Every UI-thread millisecond is taken from training (the
#: UI thread and the trainer share the GIL and, on 2 cores, the CPU): see the README's Performance section.
PLOT_INTERVAL = 1.0


def real_trainer():
    from tui_dl.core.training.loop import iter_training

    return iter_training


class TrainingMixin:
    """Mixed into :class:`tui_dl.app.app.TuiDL`."""

    def _init_training(self) -> None:
        self.session_runs: list[RunRecord] = []
        self.overlay_ids: set[int] = set()
        self.shown_run_id: int | None = None
        self.control: TrainingControl | None = None
        self.active_run_id: int | None = None
        self._plots_dirty = False
        self._runs_dirty = False
        self._quit_when_stopped = False
        self.plot_redraws = 0

    # ------------------------------------------------------------------ state
    @property
    def is_training(self) -> bool:
        return self.control is not None

    def run_by_id(self, run_id: int | None) -> RunRecord | None:
        return next((r for r in self.session_runs if r.id == run_id), None)

    def next_run_id(self) -> int:
        return max((r.id for r in self.session_runs), default=0) + 1

    def add_run(self, rec: RunRecord, show: bool = True) -> None:
        self.session_runs.append(rec)
        if show:
            self.shown_run_id = rec.id
        self.refresh_runs()
        self.show_current_run()

    # ------------------------------------------------------------------ actions
    def action_toggle_training(self) -> None:
        if self.is_training:
            self.action_stop_training()
        else:
            self.action_start_training()

    def action_start_training(self) -> None:
        if self.is_training:
            self.notify("Training is already running (ctrl+r stops it).")
            return
        exp = self.document.experiment
        summary = summarize(exp.network)
        if not summary.ok:
            first = summary.first_error
            where = f"layer {first.index_text} ({first.type}): {first.error}" if first else summary.errors[0]
            self.notify(f"The network cannot train yet. Fix {where}", title="Cannot start", severity="error",
                        timeout=8)
            self.action_show_view("build")
            return
        previous = self.session_runs[-1].experiment if self.session_runs else None
        rec = RunRecord(id=self.next_run_id(), name=exp.name, experiment=exp,
                        tag=describe_difference(exp, previous), status="starting")
        rec.log.append(f"◌ starting {exp.name}: loading torch and the {exp.data.name} data…")
        self.control = TrainingControl()
        self.active_run_id = rec.id
        self.add_run(rec)
        self.status_bar.set(state="starting", epochs=exp.train.epochs, step=None,
                            state_detail=f"run #{rec.id}: loading torch and data…")
        self.action_show_view("train")
        self.refresh_bindings()
        self._train(rec.id, exp, self.control)

    def resume_run(self, run_dir: str, experiment=None) -> None:
        """Continue a stopped run from its last checkpoint (the trainer reuses its folder)."""
        if self.is_training:
            self.notify("Training is already running (ctrl+r stops it).")
            return
        previous = self.run_by_id(self.shown_run_id)
        rec = RunRecord(id=self.next_run_id(), name=(experiment.name if experiment else "resumed run"),
                        experiment=experiment, tag=f"resumed {run_dir.rstrip('/').split('/')[-1]}",
                        status="starting")
        if previous is not None and previous.run_dir == run_dir:
            # keep the earlier curve: the resumed run continues it
            rec.step_x, rec.step_loss, rec.smooth = list(previous.step_x), list(previous.step_loss), \
                list(previous.smooth)
            rec.epochs = list(previous.epochs)
        rec.log.append(f"◌ resuming {run_dir} from its last checkpoint…")
        self.control = TrainingControl()
        self.active_run_id = rec.id
        self.add_run(rec)
        self.status_bar.set(state="starting", step=None, state_detail=f"run #{rec.id}: resuming…")
        self.action_show_view("train")
        self.refresh_bindings()
        self._train(rec.id, experiment, self.control, resume=run_dir)

    def action_resume_run(self) -> None:
        rec = self.run_by_id(self.shown_run_id)
        if rec is None or not rec.run_dir or rec.status not in ("stopped", "incomplete", "failed"):
            self.notify("Show a stopped run first (Runs view, enter); r continues it from its checkpoint.",
                        severity="warning")
            return
        self.resume_run(rec.run_dir, None)

    def action_stop_training(self) -> None:
        if self.control is None:
            return
        self.control.request_stop()
        rec = self.run_by_id(self.active_run_id)
        if rec is not None:
            rec.status = "stopping"
        self.status_bar.set(state="stopping")
        self.notify("Stopping after the current step; the trainer saves a checkpoint.", timeout=4)
        self.refresh_runs()

    def action_pause_training(self) -> None:
        if self.control is None:
            self.notify("Nothing to pause: no training is running.")
            return
        rec = self.run_by_id(self.active_run_id)
        if self.control.paused:
            self.control.resume()
            self.status_bar.set(state="running")
            if rec is not None and rec.status == "paused":
                rec.status = "running"
        else:
            self.control.pause()
            self.status_bar.set(state="paused")
            if rec is not None:
                rec.status = "paused"
        self.refresh_runs()

    # ------------------------------------------------------------------ worker (thread)
    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _train(self, run_id: int, exp, control: TrainingControl, resume: str | None = None) -> int:
        worker = get_current_worker()
        trainer = self.trainer or real_trainer()
        kwargs = {"resume": resume} if resume else {}
        events = trainer(exp, runs_dir=self.runs_dir, should_stop=control.stop, ui_thread=True, **kwargs)
        return pump_events(
            events,
            lambda batch: self.post_message(TrainingEvents(run_id, tuple(batch))),
            lambda step: self.post_message(TrainingProgress(run_id, step)),
            control,
            is_cancelled=lambda: worker.is_cancelled,
        )

    # ------------------------------------------------------------------ messages (UI thread)
    # Handlers use the on_<message> naming (not @on): Textual collects @on handlers only from
    # MessagePump subclasses, and this is a mixin.
    def _closing_down(self) -> bool:
        """True once the app is quitting: its widgets may already be gone, so late worker messages are
        dropped (the trainer is stopped by the worker's cancellation and saves its own checkpoint)."""
        return bool(getattr(self, "_exit", False) or getattr(self, "_closing", False))

    def on_training_events(self, message: TrainingEvents) -> None:
        rec = self.run_by_id(message.run_id)
        if rec is None or self._closing_down():
            return
        was_paused = rec.status == "paused"
        lines: list[str] = []
        important = False
        for ev in message.events:
            found = len(rec.findings)
            lines.extend(rec.add(ev))
            important = important or len(rec.findings) > found  # a new diagnosis goes on the banner now
            if isinstance(ev, E.RunStarted):
                important = True
                self.status_bar.set(state="running", device=ev.device_name or ev.device, state_detail="",
                                    epochs=ev.epochs)
                rec.name = ev.name or rec.name
                if ev.fallback_reason:
                    # short: the banner keeps saying it, and the log has the whole reason with what to do
                    self.notify(f"{fallback_short(ev.fallback_reason)}. The log says how to get the real data.",
                                title=f"Using {ev.dataset} instead", severity="warning", timeout=8)
            elif isinstance(ev, E.EpochDone):
                important = True
            elif isinstance(ev, E.Diverged):
                important = True
                self.notify(ev.advice, title=f"Diverged (loss {ev.loss:.3g})", severity="error", timeout=12)
            elif isinstance(ev, E.EarlyStopped):
                important = True
                self.notify(f"best {ev.monitor} {ev.best_value:.4f} at epoch {ev.best_epoch}",
                            title=f"Early stop after epoch {ev.epoch}", timeout=8)
            elif isinstance(ev, E.Notice):
                important = True
                if ev.level in ("warning", "error"):
                    self.notify(ev.message, severity="warning" if ev.level == "warning" else "error", timeout=8)
            elif isinstance(ev, E.Finished):
                important = True
                acc = f", test accuracy {100 * ev.test_accuracy:.2f}%" if ev.test_accuracy is not None else ""
                self.notify(f"{ev.status.replace('_', ' ')}{acc}", title=f"Run #{rec.id} finished", timeout=8)
        if was_paused and rec.status == "running":
            rec.status = "paused"
        shown = rec.id == self.shown_run_id
        train = self.train_view
        if shown:
            train.append_log(lines)
            if important:
                train.update_banner(rec)
                train.show_result(rec)
        self._plots_dirty = self._plots_dirty or shown or rec.id in self.overlay_ids
        if any(isinstance(ev, (E.EpochDone, E.Finished)) for ev in message.events):
            self.redraw_plots_if_dirty()  # an epoch's validation point or the final curve: draw it now
        if important:
            self.refresh_runs()

    def on_training_progress(self, message: TrainingProgress) -> None:
        if self._closing_down():
            return
        if message.run_id == self.active_run_id and self.control is not None:
            self.status_bar.set(step=message.step, state="paused" if self.control.paused else (
                "stopping" if self.control.stop.is_set() else "running"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "training" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                             WorkerState.CANCELLED):
            return
        if self._closing_down():
            self.control = None
            return
        rec = self.run_by_id(self.active_run_id)
        error = ""
        if event.state == WorkerState.ERROR:
            exc = worker.error
            error = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        if rec is not None:
            if error:
                rec.status = "failed"
                rec.error = error
                line = f"✗ training failed: {error}"
                rec.log.append(line)
                if rec.id == self.shown_run_id:
                    self.train_view.append_log([line])
                self.notify(error, title="Training failed", severity="error", timeout=12)
            elif rec.finished is None:
                rec.status = "stopped" if (self.control and self.control.stop.is_set()) else "incomplete"
            if rec.id == self.shown_run_id:
                self.train_view.update_banner(rec)
                self.train_view.show_result(rec)
        self.control = None
        self.active_run_id = None
        detail = ""
        if rec is not None:
            detail = f"run #{rec.id} {rec.status.replace('_', ' ')}"
            if rec.test_accuracy is not None:
                detail += f", test accuracy {100 * rec.test_accuracy:.2f}%"
        self.status_bar.set(state="idle", state_detail=detail, step=None)
        self._plots_dirty = True
        self.refresh_runs()
        self.refresh_bindings()
        self.post_message(TrainingEnded(rec.id if rec else 0, error))
        if self._quit_when_stopped:
            self.exit()

    # ------------------------------------------------------------------ plots and runs
    def redraw_plots_if_dirty(self) -> None:
        if not self._plots_dirty or self.current_view != "train" or self._closing_down():
            return
        self._plots_dirty = False
        self.plot_redraws += 1
        rec = self.run_by_id(self.shown_run_id)
        overlays = [r for r in self.session_runs if r.id in self.overlay_ids]
        self.train_view.update_plots(rec, overlays)

    def show_current_run(self) -> None:
        rec = self.run_by_id(self.shown_run_id)
        overlays = [r for r in self.session_runs if r.id in self.overlay_ids]
        self.train_view.show_run(rec, overlays)
        self._plots_dirty = False

    def refresh_runs(self) -> None:
        self.runs_view.show(self.session_runs, self.overlay_ids, self.shown_run_id)
