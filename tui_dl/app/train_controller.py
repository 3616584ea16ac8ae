"""Training from the app, and the session's runs: start / pause / stop / resume, the worker thread, what the
worker's messages change on screen, and which runs the Train plots show.

:class:`TrainController` is a plain object the app owns (``app.training``): the app forwards its key actions,
the worker's messages and the Runs view's messages to it (the routes are in :mod:`tui_dl.app.app`). It keeps
every piece of training state; the views only show what it hands them.

The worker iterates the same ``iter_training`` generator as ``--batch`` (``ui_thread=True``) and only posts
messages (see :mod:`tui_dl.app.training`). Torch and the trainer are imported inside the worker, so the app
starts without them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState, get_current_worker

from tui_dl.app.logfmt import fallback_short, status_name
from tui_dl.app.messages import TrainingEnded, TrainingEvents, TrainingProgress
from tui_dl.app.session import RunRecord, describe_config, run_labels, same_task
from tui_dl.app.training import TrainingControl, pump_events
from tui_dl.core.i18n import _, ngettext
from tui_dl.core.model.shapes import summarize
from tui_dl.core.training import events as E

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDL

#: Seconds between plot redraws while data arrives. Every UI-thread millisecond is taken from training (the
#: UI thread and the trainer share the GIL and, on 2 cores, the CPU): see the README's Performance section.
PLOT_INTERVAL = 1.0

#: The worker group of training runs (one at a time).
WORKER_GROUP = "training"


def real_trainer():
    from tui_dl.core.training.loop import iter_training

    return iter_training


def is_download_line(message: str) -> bool:
    """Whether a dataset progress line is a download's (the core marks them: not told by their words, which
    are translated). Reading, unpacking and generating lines are not shown."""
    from tui_dl.core.data.download import is_download

    return is_download(message)


def _data_progress(app, message: str, fraction) -> None:
    """From the worker thread: a download's progress line, shown on the status bar until the run starts."""
    if is_download_line(message) and not app.closing_down:
        try:
            app.call_from_thread(app.status_bar.set, state_detail=message)
        except RuntimeError:  # the app is closing
            pass


class TrainController:
    """The session's runs and the one training run at a time."""

    def __init__(self, app: "TuiDL") -> None:
        self.app = app
        self.runs: list[RunRecord] = []
        #: Runs ticked in the Runs view: their curves are overlaid on the Train plots.
        self.overlay_ids: set[int] = set()
        #: The run the Train view shows.
        self.shown_run_id: int | None = None
        #: The running training's flags (None when idle); shared with the worker thread.
        self.control: TrainingControl | None = None
        self.active_run_id: int | None = None
        #: The plots are behind the runs' data: the next redraw (timer, epoch end, tab switch) draws them.
        self.plots_dirty = False
        self.plot_redraws = 0
        #: ctrl+q was answered "stop and quit": the app exits when the worker has returned.
        self.quit_when_stopped = False
        #: A comparison sweep's runs still to train: (experiment, run folder); see :meth:`start_sweep`.
        self.sweep_queue: list[tuple] = []
        #: The sweep running: (its folder, the axis, its combinations), for its table at the end.
        self.sweep_info: tuple | None = None

    # ------------------------------------------------------------------ state
    @property
    def is_training(self) -> bool:
        return self.control is not None

    def run_by_id(self, run_id: int | None) -> RunRecord | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def next_run_id(self) -> int:
        return max((r.id for r in self.runs), default=0) + 1

    def add_run(self, rec: RunRecord, show: bool = True) -> None:
        self.runs.append(rec)
        if show:
            self.shown_run_id = rec.id
        self.refresh_runs()
        self.show_current_run()

    # ------------------------------------------------------------------ actions
    def toggle(self) -> None:
        if self.is_training:
            self.stop()
        else:
            self.start()

    def start(self, exp=None, run_dir: str | None = None) -> None:
        """Train ``exp`` (default: the open experiment), into ``run_dir`` (default: a new folder in runs/)."""
        app = self.app
        if self.is_training:
            app.notify(_("Training is already running (ctrl+r stops it)."))
            return
        exp = exp if exp is not None else app.document.experiment
        problem = summarize(exp.network).problem_text
        if problem is not None:
            app.notify(_("The network cannot train yet. Fix {problem}").format(problem=problem), title=_("Cannot start"),
                       severity="error",
                       timeout=8)
            app.action_show_view("build")
            return
        rec = RunRecord(id=self.next_run_id(), name=exp.name, experiment=exp, tag=describe_config(exp),
                        status="starting")
        self._untick_other_tasks(rec)
        rec.log.append("◌ " + _("starting {name}: loading torch and the {data} data…").format(name=exp.name,
                                                                                      data=exp.data.name))
        self._begin(rec)
        app.status_bar.set(state="starting", epochs=exp.train.epochs, step=None,
                           state_detail=_("run #{id}: loading torch and data…").format(id=rec.id))
        if run_dir is not None:  # a sweep's run: overlaid with the others
            self.overlay_ids.add(rec.id)
        self._after_begin(rec, exp, run_dir=run_dir)

    def resume_run(self, run_dir: str, experiment=None) -> None:
        """Continue a stopped run from its last checkpoint (the trainer reuses its folder)."""
        if self.is_training:
            self.app.notify(_("Training is already running (ctrl+r stops it)."))
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
        rec.log.append("◌ " + _("resuming {path} from its last checkpoint…").format(path=run_dir))
        self._begin(rec)
        self.app.status_bar.set(state="starting", step=None, state_detail=_("run #{id}: resuming…").format(id=rec.id))
        self._after_begin(rec, experiment, resume=run_dir)

    def resume_shown_run(self) -> None:
        rec = self.run_by_id(self.shown_run_id)
        if rec is None or not rec.resumable:
            self.app.notify(_("Show a stopped run first (Runs view, enter); r continues it from its checkpoint."),
                            severity="warning")
            return
        self.resume_run(rec.run_dir, None)

    def resume_run_by_id(self, run_id: int) -> None:
        """``r`` in the Runs view (the view has checked that the run can be resumed)."""
        rec = self.run_by_id(run_id)
        if rec is not None and rec.run_dir:
            self.resume_run(rec.run_dir, None)

    def _begin(self, rec: RunRecord) -> None:
        self.control = TrainingControl()
        self.active_run_id = rec.id
        self.add_run(rec)

    def _after_begin(self, rec: RunRecord, exp, resume: str | None = None, run_dir: str | None = None) -> None:
        self.app.action_show_view("train")
        self.app.refresh_bindings()
        self.app.run_worker(partial(self._train, rec.id, exp, self.control, resume, run_dir), thread=True,
                            exclusive=True, group=WORKER_GROUP, exit_on_error=False)

    # ------------------------------------------------------------------ comparison sweeps (the Compare dialog)
    def start_sweep(self, axis_text: str) -> None:
        """Run the open experiment once per value of ``axis_text`` (``train.optimizer.name=sgd,adam``), one after
        another, into ``runs/sweep-<stamp>/<value>/``; their curves are overlaid, labelled by what differs."""
        from tui_dl.core.config.sweep import SweepError, build_combinations, parse_axis

        if self.is_training:
            self.app.notify(_("Training is already running (ctrl+r stops it)."))
            return
        exp = self.app.document.experiment
        try:
            combos = build_combinations(exp.to_dict(), [parse_axis(axis_text)], exp.source or "<app>")
        except SweepError as e:
            self.app.notify(str(e), title=_("Cannot compare"), severity="error", timeout=8)
            return
        started = self._write_sweep_start(exp, axis_text, combos)
        if started is None:
            return
        folder, ident = started
        self.overlay_ids.clear()
        self.sweep_queue = [(e, f"{folder}/{c.slug}") for c, e, _notes in combos]
        self.sweep_info = (folder, axis_text, [c for c, _e, _n in combos], ident)
        self.app.notify(_("{n} runs, one after another, from the same initial weights: {labels}").format(
            n=len(combos), labels=", ".join(c.label for c, _e, _n in combos)), title=_("Compare"), timeout=6)
        self._next_sweep_run()

    def _write_sweep_start(self, exp, axis_text: str, combos) -> tuple[str, dict] | None:
        """A new sweep folder (``runs/sweep-<stamp>``) as ``--sweep`` leaves it before its first run: the
        experiment as ``base.yaml`` and ``sweep.json`` (unfinished), so a sweep stopped in the app continues
        headless with ``tui-dl --batch --resume FOLDER``. (folder, identity), or None (and a message) when the
        folder cannot be written."""
        from tui_dl.core.config.sweep import parse_axis
        from tui_dl.core.runs.folder import new_run_dir
        from tui_dl.core.runs.sweep_record import run_row, sweep_identity, write_sweep

        folder = Path(self.app.runs_dir) / "sweep"
        try:
            folder = new_run_dir(self.app.runs_dir, "sweep")
            base = folder / "base.yaml"
            base.write_text(exp.to_yaml(), encoding="utf-8")
            ident = sweep_identity(str(base), [], [parse_axis(axis_text)])
            write_sweep(folder, {"identity": ident, "command": ["(the app's Compare dialog)"], "from": "app",
                                 "finished": False,
                                 "runs": [run_row(c, folder / c.slug, "pending") for c, _e, _n in combos]})
        except OSError as e:
            self.app.notify(_("cannot write the sweep folder {folder}: {error}").format(folder=folder, error=e.strerror or e),
                            title=_("Cannot compare"),
                            severity="error", timeout=8)
            return None
        return str(folder), ident

    def _finish_sweep(self) -> None:
        """The sweep's last run ended: its sweep.json and table.md (as ``--sweep`` writes them), the table in the
        log of the run shown."""
        from pathlib import Path

        from tui_dl.core.runs.sweep_record import log_table, run_row, sweep_table, write_sweep

        folder, axis_text, combos, ident = self.sweep_info
        self.sweep_info = None
        rows = [run_row(c, Path(folder) / c.slug, "missing") for c in combos]
        table = sweep_table(rows)
        try:
            write_sweep(Path(folder), {"identity": ident, "axes": axis_text, "from": "app", "finished": True,
                                       "runs": rows, "table": table}, table)
        except OSError as e:
            self.app.notify(_("could not write {path}: {error}").format(path=f"{folder}/sweep.json", error=e),
                            severity="warning")
        rec = self.run_by_id(self.shown_run_id)
        lines = ["", _("compare: {axis}").format(axis=axis_text), *log_table(rows), *sweep_table(rows, shown=True)[len(rows) + 2:],
                 _("the whole table: {path}").format(path=f"{folder}/table.md")]
        if rec is not None:
            rec.log.extend(lines)
            if self.app.train_view is not None:
                self.app.train_view.append_log(lines)

    def _next_sweep_run(self) -> None:
        if not self.sweep_queue or self.is_training or self.app.closing_down:
            return
        exp, run_dir = self.sweep_queue.pop(0)
        self.start(exp, run_dir)

    def _sweep_after(self, rec: RunRecord | None) -> None:
        """A run ended: the sweep's next one starts, unless this one was stopped or failed (then the rest are
        dropped; the stopped run itself can be resumed from the Runs view)."""
        if not self.sweep_queue:
            if self.sweep_info is not None:
                self._finish_sweep()
            return
        if rec is None or rec.status in ("stopped", "failed", "incomplete") or self.quit_when_stopped:
            left = len(self.sweep_queue)
            folder = self.sweep_info[0] if self.sweep_info else None
            self.sweep_queue = []
            self.sweep_info = None
            if folder:
                text = ngettext("compare stopped: {n} run not started; continue it with: {command}",
                                "compare stopped: {n} runs not started; continue it with: {command}", left)
            else:
                text = ngettext("compare stopped: {n} run not started", "compare stopped: {n} runs not started",
                                left)
            self.app.notify(text.format(n=left, command=f"tui-dl --batch --resume {folder}"), timeout=10)
            if rec is not None and folder:
                line = _("compare stopped: {n} not started; continue the sweep with: {command}").format(
                    n=left, command=f"tui-dl --batch --resume {folder}")
                rec.log.append(line)
                if self.app.train_view is not None and self.shown_run_id == rec.id:
                    self.app.train_view.append_log([line])
            return
        self.app.call_later(self._next_sweep_run)

    def stop(self) -> None:
        if self.control is None:
            return
        self.control.request_stop()
        rec = self.run_by_id(self.active_run_id)
        if rec is not None:
            rec.status = "stopping"
        self.app.status_bar.set(state="stopping")
        self.app.notify(_("Stopping after the current step; the trainer saves a checkpoint."), timeout=4)
        self.refresh_runs()

    def pause_or_resume(self) -> None:
        if self.control is None:
            self.app.notify(_("Nothing to pause: no training is running."))
            return
        rec = self.run_by_id(self.active_run_id)
        if self.control.paused:
            self.control.resume()
            self.app.status_bar.set(state="running")
            if rec is not None and rec.status == "paused":
                rec.status = "running"
        else:
            self.control.pause()
            self.app.status_bar.set(state="paused")
            if rec is not None:
                rec.status = "paused"
        self.refresh_runs()

    # ------------------------------------------------------------------ the worker (its own thread)
    def _train(self, run_id: int, exp, control: TrainingControl, resume: str | None = None,
               run_dir: str | None = None) -> int:
        worker = get_current_worker()
        app = self.app
        trainer = app.trainer or real_trainer()
        kwargs = {"resume": resume} if resume else {}
        if run_dir:
            kwargs["run_dir"] = run_dir
        if app.trainer is None:  # the dataset's download progress (percent, MB, speed) on the status bar
            kwargs["data_progress"] = partial(_data_progress, app)
        events = trainer(exp, runs_dir=app.runs_dir, should_stop=control.stop, ui_thread=True, **kwargs)
        return pump_events(
            events,
            lambda batch: app.post_message(TrainingEvents(run_id, tuple(batch))),
            lambda step: app.post_message(TrainingProgress(run_id, step)),
            control,
            is_cancelled=lambda: worker.is_cancelled,
        )

    # ------------------------------------------------------------------ the worker's messages (UI thread)
    # Late messages can arrive while the app quits and its widgets are gone: they are dropped (the trainer is
    # stopped by the worker's cancellation and saves its own checkpoint).
    def events_arrived(self, message: TrainingEvents) -> None:
        app = self.app
        rec = self.run_by_id(message.run_id)
        if rec is None or app.closing_down:
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
                app.status_bar.set(state="running", device=ev.device_name or ev.device, state_detail="",
                                   epochs=ev.epochs)
                rec.name = ev.name or rec.name
                if ev.fallback_reason:
                    # short: the banner keeps saying it, and the log has the whole reason with what to do
                    app.notify(_("{reason}. The log says how to get the real data.").format(
                        reason=fallback_short(ev.fallback_reason)),
                        title=_("Using {dataset} instead").format(dataset=ev.dataset), severity="warning", timeout=8)
            elif isinstance(ev, E.EpochDone):
                important = True
            elif isinstance(ev, E.Diverged):
                important = True
                app.notify(E.advice_text(ev), title=_("Diverged (loss {loss:.3g})").format(loss=ev.loss), severity="error",
                           timeout=12)
            elif isinstance(ev, E.EarlyStopped):
                important = True
                app.notify(_("best {monitor} {value:.4f} at epoch {epoch}").format(
                    monitor=ev.monitor, value=ev.best_value, epoch=ev.best_epoch),
                    title=_("Early stop after epoch {epoch}").format(epoch=ev.epoch), timeout=8)
            elif isinstance(ev, E.Notice):
                important = True
                if ev.level in ("warning", "error"):
                    app.notify(E.notice_text(ev), severity="warning" if ev.level == "warning" else "error", timeout=8)
            elif isinstance(ev, E.Finished):
                important = True
                if ev.test_accuracy is not None:
                    text = _("{status}, test accuracy {acc:.2f}%").format(status=status_name(ev.status),
                                                                         acc=100 * ev.test_accuracy)
                else:
                    text = status_name(ev.status)
                app.notify(text, title=_("Run #{id} finished").format(id=rec.id), timeout=8)
        if was_paused and rec.status == "running":
            rec.status = "paused"
        shown = rec.id == self.shown_run_id
        train = app.train_view
        if shown and train is not None:
            train.append_log(lines)
            if important:
                train.update_banner(rec)
                train.show_result(rec)
        self.plots_dirty = self.plots_dirty or shown or rec.id in self.overlay_ids
        if any(isinstance(ev, (E.EpochDone, E.Finished)) for ev in message.events):
            self.redraw_plots_if_dirty()  # an epoch's validation point or the final curve: draw it now
        if important:
            self.refresh_runs()

    def progress(self, message: TrainingProgress) -> None:
        if self.app.closing_down:
            return
        if message.run_id == self.active_run_id and self.control is not None:
            rec = self.run_by_id(message.run_id)
            self.app.status_bar.set(step=message.step, rate=rec.rate if rec is not None else None,
                                    state="paused" if self.control.paused else (
                "stopping" if self.control.stop.is_set() else "running"))

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """The training worker's state: when it has returned, failed or been cancelled, the run ends here."""
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        app = self.app
        if app.closing_down:
            self.control = None
            return
        rec = self.run_by_id(self.active_run_id)
        error = ""
        if event.state == WorkerState.ERROR:
            exc = worker.error
            error = f"{type(exc).__name__}: {exc}" if exc is not None else _("unknown error")
        train = app.train_view
        if rec is not None:
            if error:
                rec.status = "failed"
                rec.error = error
                line = "✗ " + _("training failed: {error}").format(error=error)
                rec.log.append(line)
                if rec.id == self.shown_run_id and train is not None:
                    train.append_log([line])
                app.notify(error, title=_("Training failed"), severity="error", timeout=12)
            elif rec.finished is None:
                rec.status = "stopped" if (self.control and self.control.stop.is_set()) else "incomplete"
            if rec.id == self.shown_run_id and train is not None:
                train.update_banner(rec)
                train.show_result(rec)
        self.control = None
        self.active_run_id = None
        detail = ""
        if rec is not None:
            if rec.test_accuracy is not None:
                detail = _("run #{id} {status}, test accuracy {acc:.2f}%").format(
                    id=rec.id, status=status_name(rec.status), acc=100 * rec.test_accuracy)
            else:
                detail = _("run #{id} {status}").format(id=rec.id, status=status_name(rec.status))
        app.status_bar.set(state="idle", state_detail=detail, step=None)
        self.plots_dirty = True
        self.refresh_runs()
        app.refresh_bindings()
        app.post_message(TrainingEnded(rec.id if rec else 0, error))
        if self.quit_when_stopped:
            app.exit()
            return
        self._sweep_after(rec)

    # ------------------------------------------------------------------ the Runs view's choices
    def toggle_overlay(self, run_id: int) -> None:
        self.overlay_ids ^= {run_id}
        self.plots_dirty = True
        self.refresh_runs()
        rec = self.run_by_id(run_id)
        if rec is not None:
            ticked = run_id in self.overlay_ids
            text = _("{run} overlaid on the Train plots") if ticked else _("{run} removed from the Train plots")
            self.app.notify(text.format(run=rec.label), timeout=2)

    def show_run(self, run_id: int) -> None:
        self.shown_run_id = run_id
        rec = self.run_by_id(run_id)
        if rec is not None:
            self._untick_other_tasks(rec)
        self.show_current_run()
        self.refresh_runs()

    def _untick_other_tasks(self, rec: RunRecord) -> None:
        """The experiment changed to another task (other data or input): the overlays of the old one are
        unticked (their curves were on other axes: a LeNet curve on a 30-epoch FNN axis)."""
        others = [r for r in self.runs if r.id in self.overlay_ids and not same_task(r.experiment, rec.experiment)]
        if not others:
            return
        self.overlay_ids -= {r.id for r in others}
        self.plots_dirty = True
        names = ", ".join(f"#{r.id}" for r in others)
        data = others[0].experiment.data.name if others[0].experiment else "?"
        text = ngettext("{runs} unticked: it trains another experiment ({data}).",
                        "{runs} unticked: they train another experiment ({data}).", len(others))
        self.app.notify(text.format(runs=names, data=data), timeout=4)

    def clear_overlays(self) -> None:
        self.overlay_ids.clear()
        self.plots_dirty = True
        self.refresh_runs()

    # ------------------------------------------------------------------ showing: plots, the shown run, the runs table
    def redraw_plots_if_dirty(self) -> None:
        app = self.app
        if not self.plots_dirty or app.current_view != "train" or app.closing_down:
            return
        self.plots_dirty = False
        self.plot_redraws += 1
        train = app.train_view
        if train is not None:
            train.update_plots(self.run_by_id(self.shown_run_id), self._overlays())
        # else the Train view is not mounted yet: it shows the current run (plots included) when it is

    def show_current_run(self) -> None:
        train = self.app.train_view
        if train is not None:
            train.show_run(self.run_by_id(self.shown_run_id), self._overlays())
        self.plots_dirty = False

    def refresh_runs(self) -> None:
        self._label_runs()
        runs = self.app.runs_view
        if runs is not None:
            runs.show(self.runs, self.overlay_ids, self.shown_run_id)

    def _label_runs(self) -> None:
        """Each run's ``compared`` label: what tells it from the session's other runs of the same task (the first
        of them says its own settings)."""
        groups: list[list[RunRecord]] = []
        for r in self.runs:
            if r.experiment is None:
                r.compared = ""
                continue
            group = next((g for g in groups if same_task(g[0].experiment, r.experiment)), None)
            if group is None:
                groups.append([r])
            else:
                group.append(r)
        for group in groups:
            for r, label in zip(group, run_labels([r.experiment for r in group], [r.tag for r in group])):
                r.compared = label

    def _overlays(self) -> list[RunRecord]:
        return [r for r in self.runs if r.id in self.overlay_ids]
