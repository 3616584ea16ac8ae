"""The tui-dl app: five views in tabs (Build, Setup, Train, Runs, Learn), a status bar and the footer.

Who holds what:

- the app: the document (the experiment and its undo history, :mod:`tui_dl.app.document`), which view is
  shown, the device probe and quitting;
- ``app.training`` (:class:`~tui_dl.app.train_controller.TrainController`): the session's runs and training;
- ``app.files`` (:class:`~tui_dl.app.file_controller.FileController`): opening, saving and reloading files;
- ``app.labs`` (:class:`~tui_dl.app.lab_controller.LabController`): the Learn view's worker and "try it";
- ``app.insight`` (:class:`~tui_dl.app.insight_controller.InsightController`): the gallery, feature-map and
  attack screens of a finished run, and their workers.

The views show what they are handed, and tell the app what the student did by posting messages
(:mod:`tui_dl.app.messages` and the views' own, such as ``RunsView.ShowRun``); the handlers below route each
one. The Setup, Train and Runs views are mounted just after the first frame: until then the app's
``settings_view``, ``train_view`` and ``runs_view`` are ``None``, and every caller checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Container
from textual.screen import Screen
from textual.worker import Worker, get_current_worker
from textual.widgets import TabbedContent, TabPane

from tui_dl.app.document import Document
from tui_dl.app.file_controller import FileController, problems_text
from tui_dl.app.i18n_ui import TFooter, relabel_app
from tui_dl.app.insight_controller import InsightController
from tui_dl.app.keys import APP_SCOPES, bindings, commands
from tui_dl.app.lab_controller import LabController
from tui_dl.app.messages import (DeviceDetected, EditRequested, LabComputed, LabRequested, TrainingEvents,
                                 TrainingProgress, ViewMounted)
from tui_dl.app.session import RunRecord
from tui_dl.app.train_controller import PLOT_INTERVAL, WORKER_GROUP, TrainController
from tui_dl.app.views.build_view import BuildView
from tui_dl.app.views.runs_view import RunsView
from tui_dl.app.views.settings_view import PREBUILD_AFTER_S, SettingsView
from tui_dl.app.widgets.colors import palette
from tui_dl.app.widgets.results import ResultPanel
from tui_dl.app.widgets.status_bar import StatusBar
from tui_dl.core.config.experiment import ConfigError, Experiment, validate_experiment
from tui_dl.core import i18n
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.shapes import summarize

if TYPE_CHECKING:
    from tui_dl.app.views.learn_view import LearnView
    from tui_dl.app.views.train_view import TrainView

VIEWS = ("build", "setup", "train", "runs", "learn")
#: The tab titles (English sources, translated when shown and again after a language switch) and their keys.
TAB_TITLES = {"build": (N_("Build"), "F2"), "setup": (N_("Setup"), "F3"), "train": (N_("Train"), "F4"),
              "runs": (N_("Runs"), "F5"), "learn": (N_("Learn"), "F6")}


#: Textual's own texts that the app shows: the footer's ctrl+p label (TFooter translates it) and the palette's
#: system commands (get_system_commands translates them), marked here so that the catalog has them.
TEXTUAL_TEXTS = (
    N_("palette"),
    N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"),
    N_("Maximize"), N_("Maximize the focused widget"),
)


def tab_title(view: str) -> str:
    """A tab's title in the language spoken now: ``Build [dim]F2[/]``."""
    title, key = TAB_TITLES[view]
    return f"{_(title)} [dim]{key}[/]"


#: How many times (50 ms apart) shutting down waits for views still being mounted.
EXIT_WAIT_TRIES = 40


#: (title, help, action) of the command palette, from the one table of keys.
COMMANDS = commands()


class TuiDL(App):
    CSS_PATH = "app.tcss"
    TITLE = "tui-dl"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    BINDINGS = bindings(*APP_SCOPES)  # see tui_dl.app.keys: also the views', the palette's, the help's

    def __init__(self, experiment: Experiment | None = None, path: str | Path | None = None, *,
                 runs_dir: str | Path = "runs", trainer: Callable | None = None,
                 load_error: ConfigError | None = None, device_text: str | None = None,
                 datasets: dict[str, str] | None = None, on_ready: Callable | None = None) -> None:
        super().__init__()
        if experiment is None:
            from tui_dl.app.presets import default_experiment

            experiment, default_path = default_experiment()
            path = path if load_error is None and path is not None else (None if load_error else default_path)
        self.document = Document(experiment, Path(path) if path else None)
        self.runs_dir = str(runs_dir)
        self.trainer = trainer
        self.load_error = load_error
        self.device_text = device_text
        self.datasets = datasets or {}
        self.on_ready = on_ready
        self.current_view = "build"
        self._exit_waits = self._shutdown_waits = 0  # 50 ms waits for views still mounting (see exit())
        #: The device probe's subprocess while it runs. Shared state: the probe worker thread sets and clears it,
        #: exit() on the UI thread reads it to kill a probe still running. Plain attribute writes, no lock needed.
        self._probe_proc: subprocess.Popen | None = None
        self.training = TrainController(self)
        self.files = FileController(self)
        self.labs = LabController(self)
        self.insight = InsightController(self)
        if load_error is not None and load_error.source:
            self.files.failed_path = Path(load_error.source)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with TabbedContent(initial="build", id="views"):
            with TabPane(tab_title("build"), id="build"):
                yield BuildView(id="build-view")
            # The other views are mounted just after the first frame, into empty slots: start-up shows
            # the build view sooner. Each of them pulls the app's state in its own on_mount.
            # (Not textual.lazy.Lazy: it removes a widget, which races with Pilot's wait in tests.)
            with TabPane(tab_title("setup"), id="setup"):
                yield Container(id="setup-slot", classes="view-slot")
            with TabPane(tab_title("train"), id="train"):
                yield Container(id="train-slot", classes="view-slot")
            with TabPane(tab_title("runs"), id="runs"):
                yield Container(id="runs-slot", classes="view-slot")
            with TabPane(tab_title("learn"), id="learn"):  # mounted when first shown (app.labs)
                yield Container(id="learn-slot", classes="view-slot")
        yield StatusBar(id="status-bar")
        yield TFooter()

    @property
    def build_view(self) -> BuildView:
        return self.query_one(BuildView)

    @property
    def settings_view(self) -> SettingsView | None:
        """The Setup view, or None while it is not mounted yet (or any more)."""
        return self._mounted(SettingsView)

    @property
    def train_view(self) -> "TrainView | None":
        """The Train view, or None while it is not mounted yet (or any more)."""
        return self._mounted("#train-view")

    @property
    def runs_view(self) -> RunsView | None:
        """The Runs view, or None while it is not mounted yet (or any more)."""
        return self._mounted(RunsView)

    @property
    def learn_view(self) -> "LearnView | None":
        """The Learn view, or None until its tab is first shown."""
        return self._mounted("#learn-view")

    def _mounted(self, selector):
        """The view (a class or a selector) once it is mounted and ready, else None."""
        found = self.query(selector)
        view = found.first() if found else None
        if view is None or not view.ready or not view.is_attached:
            return None
        return view

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        first = summarize(self.document.experiment.network).first_error
        if first is not None:
            self.document.selection = first.path
        self.refresh_views()
        self.call_after_refresh(self._mount_other_views)
        if self.load_error is not None:
            self.build_view.show_problems(problems_text(self.load_error, palette(self),
                                                        self.document.experiment.name))
        if self.device_text is not None:
            self.status_bar.set(device=self.device_text)  # the Setup view gets it when it is mounted
        else:
            self.set_timer(0.5, self._probe)
        self.set_interval(PLOT_INTERVAL, self.training.redraw_plots_if_dirty)
        self.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())
        self.query_one("#layer-stack").focus()
        if self.on_ready is not None:
            self.call_after_refresh(self.on_ready, self)

    def _mount_other_views(self) -> None:
        # imported here, after the first frame: the plots pull in plotext (~50 ms of the start-up)
        from tui_dl.app.views.train_view import TrainView

        self.query_one("#setup-slot").mount(SettingsView(id="settings-view"))
        self.query_one("#train-slot").mount(TrainView(id="train-view"))
        self.query_one("#runs-slot").mount(RunsView(id="runs-view"))

    def _theme_changed(self) -> None:
        self.refresh_views()
        self.training.refresh_runs()
        self.training.show_current_run()

    # ------------------------------------------------------------------ the language
    def set_language(self, lang: str, *, save: bool = True) -> None:
        """Speak ``lang`` ("en" or "zh_CN") from now on, live: every view, the tabs, the footer and the status bar
        are relabelled, and the choice is kept in the settings file for the next start (``save``)."""
        i18n.set_language(lang)
        lang = i18n.language()
        if save:
            from tui_dl.core.settings import save_setting

            save_setting("language", lang)
        self.relabel()
        relabel_app(self)
        self._theme_changed()  # what the views render from their state, rendered again in the new language
        self.notify(_("Language: {name}").format(name=i18n.LANGUAGE_NAMES.get(lang, lang)), timeout=3)

    def relabel(self) -> None:
        """The tab titles and the status bar in the language spoken now."""
        tabs = self.query_one("#views", TabbedContent)
        for view in VIEWS:
            tabs.get_tab(view).label = tab_title(view)
        self.status_bar.refresh()

    def action_set_language(self, lang: str) -> None:
        self.set_language(lang)

    def action_toggle_language(self) -> None:
        """F8: 中文 ↔ English."""
        self.set_language("en" if i18n.is_chinese() else "zh_CN")

    @on(ViewMounted)
    def _view_mounted(self, message: ViewMounted) -> None:
        """A view mounted after the first frame: hand it the state it shows (and the focus, if it is shown)."""
        view = message.view
        if view == self.current_view:
            self.call_after_refresh(self._focus_view, view)
        if view == "setup" and (setup := self.settings_view) is not None:
            setup.show(self.document.experiment)  # remembered: the forms are built when the view is activated
            if self.device_text is not None:
                setup.set_probe(self.device_text, self.datasets)
            if self.current_view == "setup":
                setup.activate()
            else:
                self.set_timer(PREBUILD_AFTER_S, self._prebuild_setup)
        elif view == "train":
            self.training.show_current_run()
        elif view == "runs":
            self.training.refresh_runs()
        elif view == "learn":
            self.labs.view_mounted()

    def _prebuild_setup(self) -> None:
        """Build the Setup forms in the background (see SettingsView.activated), unless a run has started (the
        CPU is left to it: they are built at the first visit) or the app is quitting (mounting now would race
        the teardown)."""
        if self.training.is_training or not self.is_running or self.closing_down:
            return
        if (setup := self.settings_view) is not None:
            setup.activate()

    # ------------------------------------------------------------------ what the CLI, tests and benchmarks read
    @property
    def is_training(self) -> bool:
        return self.training.is_training

    @property
    def session_runs(self) -> list[RunRecord]:
        """Every run of this session (held by the train controller)."""
        return self.training.runs

    def open_path(self, path: str) -> None:
        """Open an experiment file or a run folder, as ctrl+o does."""
        self.files.open_path(path)

    @property
    def closing_down(self) -> bool:
        """True once the app is quitting: its widgets may already be gone, so late messages are dropped."""
        return bool(getattr(self, "_quitting", False) or getattr(self, "_exit", False)
                    or getattr(self, "_closing", False)
                    # Textual's shutdown (also the end of run_test) clears _running before it unmounts the DOM
                    or (getattr(self, "_is_mounted", False) and not getattr(self, "_running", True)))

    # ------------------------------------------------------------------ the document
    def apply_edit(self, new: Experiment, *, key=None, selection=...) -> bool:
        """Record an edit (undoable) and refresh every view. Settings that the YAML loader would refuse
        are refused here too, with its message (checked on the value: no YAML is written or read)."""
        if key is not None and key[0] == "setting":
            try:
                validate_experiment(new, source="<edit>")
            except ConfigError as e:
                self.notify("; ".join(f"{p.path}: {p.message}" for p in e.problems), title=_("Not accepted"),
                            severity="error", timeout=6)
                if (setup := self.settings_view) is not None:
                    setup.show(self.document.experiment, refused=True)  # the form shows the value that stays
                return False
        changed = self.document.edit(new, key=key,
                                     selection=self.document.selection if selection is ... else selection)
        if selection is not ...:
            self.document.selection = selection
        self.refresh_views()
        return changed

    def refresh_views(self) -> None:
        doc = self.document
        exp = doc.experiment
        summary = summarize(exp.network)
        with self.batch_update():
            self.build_view.show(exp, summary, doc.selection)
            doc.selection = self.build_view.selection
            if (setup := self.settings_view) is not None:
                setup.show(exp)
            where = str(doc.path) if doc.path else _("not saved yet")
            self.status_bar.set(doc_text=f"{exp.name} · {where}", modified=doc.modified)
        self.sub_title = exp.name

    @on(EditRequested)
    def _edit_requested(self, message: EditRequested) -> None:
        self.apply_edit(message.experiment, key=message.key, selection=message.selection)

    @on(BuildView.SelectionChanged)
    def _selection_changed(self, message: BuildView.SelectionChanged) -> None:
        self.document.selection = message.path
        self.document.end_coalescing()  # typing into a layer after coming back to it is a new undo step

    def action_undo(self) -> None:
        if not self.document.undo():
            self.notify(_("Nothing to undo."), timeout=2)
            return
        self.refresh_views()

    def action_redo(self) -> None:
        if not self.document.redo():
            self.notify(_("Nothing to redo."), timeout=2)
            return
        self.refresh_views()

    # ------------------------------------------------------------------ views
    FOCUS_IN_VIEW = {"build": "#layer-stack", "setup": "#settings-view", "train": "#log-pane",
                     "runs": "#runs-table", "learn": "#lab-list"}

    def action_show_view(self, view: str) -> None:
        if view not in VIEWS:
            return
        tabs = self.query_one(TabbedContent)
        if tabs.active != view:
            if self.screen.maximized is not None:
                self.screen.minimize()  # a zoomed Train pane would stay over the new view
            tabs.active = view
            self.current_view = view
            # Focus inside the new view now: otherwise Textual moves focus away from the hidden
            # widget to a focusable one in the old view, and TabbedContent follows the focus back.
            self._focus_view(view)

    def _focus_view(self, view: str) -> None:
        found = self.query(self.FOCUS_IN_VIEW[view])
        if not found:
            # a view mounted after the first frame and not there yet: it focuses itself on mount;
            # meanwhile nothing in the old view may keep the focus (TabbedContent would follow it back)
            self.screen.set_focus(None)
            return
        target = found.first()
        if view == "setup":
            if (setup := self.settings_view) is not None:
                setup.activate()
                if setup.focus_editor():  # the field the student was in, or the first
                    return
                target.focus(scroll_visible=False)
                self._focus_setup_when_built(40)  # the forms are still being built (an early first visit)
                return
        target.focus(scroll_visible=False)

    def _focus_setup_when_built(self, tries: int) -> None:
        """On a first visit to Setup before its forms were built, the first field gets the focus once they are
        (every 50 ms, for 2 s at most), unless the student has moved on."""
        setup = self.settings_view
        if setup is None or self.current_view != "setup" or self.closing_down or not self.screen_stack:
            return
        if self.focused not in (None, setup):
            return
        if setup.focus_editor() or tries <= 0:
            return
        self.set_timer(0.05, lambda: self._focus_setup_when_built(tries - 1))

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id != "views":
            return
        if self.closing_down or not self.screen_stack:
            return  # a late tab message while the app quits: there is no screen to focus any more
        self.current_view = event.pane.id or "build"
        if self.current_view == "learn":
            self.labs.ensure_view()
        if self.current_view == "setup" and (setup := self.settings_view) is not None:
            setup.activate()
        if self.current_view == "train":
            self.training.plots_dirty = True
            self.training.redraw_plots_if_dirty()
        if self.is_running and self.screen_stack:
            self.refresh_bindings()
        focused = self.focused
        pane = event.pane
        if focused is None or pane not in focused.ancestors:
            self._focus_view(self.current_view)

    def action_build_action(self, action: str) -> None:
        self.action_show_view("build")
        self.call_after_refresh(self.build_view.run_action, action)

    def action_command_palette(self) -> None:
        """Textual's palette, with its search prompt in the language spoken."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=_("Search for commands…")))

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_insight(self, what: str) -> None:
        """Look inside the shown run's model: "gallery", "features" or "attack" (app.insight does it)."""
        self.insight.open(what)

    def action_help(self) -> None:
        from tui_dl.app.screens.help_screen import HelpScreen

        self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "pause_training":
            return True if self.training.is_training else False
        return True

    # ------------------------------------------------------------------ training and files (the controllers do it)
    def action_toggle_training(self) -> None:
        self.training.toggle()

    def action_pause_training(self) -> None:
        self.training.pause_or_resume()

    def action_resume_run(self) -> None:
        self.training.resume_shown_run()

    def action_compare(self) -> None:
        from tui_dl.app.screens.compare_modal import CompareModal

        if self.training.is_training:
            self.notify(_("Training is running: compare when it has finished (ctrl+r stops it)."))
            return
        self.push_screen(CompareModal(self.document.experiment),
                         lambda axis: self.training.start_sweep(axis) if axis else None)

    def action_open(self) -> None:
        self.files.choose_and_open()

    def action_save(self) -> None:
        self.files.choose_and_save()

    def action_reload(self) -> None:
        self.files.reload()

    # The worker's messages. Named on_<message> (Textual's naming) and called directly by the reliability tests,
    # which deliver messages after the app has closed.
    def on_training_events(self, message: TrainingEvents) -> None:
        self.training.events_arrived(message)

    def on_training_progress(self, message: TrainingProgress) -> None:
        self.training.progress(message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == WORKER_GROUP:
            self.training.worker_changed(event)

    # ------------------------------------------------------------------ runs view messages
    @on(RunsView.ToggleOverlay)
    def _toggle_overlay(self, message: RunsView.ToggleOverlay) -> None:
        self.training.toggle_overlay(message.run_id)

    @on(RunsView.ShowRun)
    def _show_run(self, message: RunsView.ShowRun) -> None:
        self.training.show_run(message.run_id)
        self.action_show_view("train")

    @on(RunsView.ClearOverlays)
    def _clear_overlays(self) -> None:
        self.training.clear_overlays()

    @on(RunsView.ResumeRun)
    def _resume_run(self, message: RunsView.ResumeRun) -> None:
        self.training.resume_run_by_id(message.run_id)

    @on(ResultPanel.CellChosen)
    def _cell_chosen(self, message: ResultPanel.CellChosen) -> None:
        self.insight.open_cell(message.true, message.predicted)

    # ------------------------------------------------------------------ Learn (app.labs does it)
    @on(BuildView.TryIt)
    def _try_it(self, message: BuildView.TryIt) -> None:
        self.labs.try_layer(message.layer)

    @on(LabRequested)
    def _lab_requested(self, message: LabRequested) -> None:
        self.labs.request(message)

    @on(LabComputed)
    def _lab_computed(self, message: LabComputed) -> None:
        self.labs.computed(message)

    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen: Screen):
        # The app's commands first: among equal matches the palette keeps this order, so "theme" finds the
        # dark / light toggle before Textual's theme picker (renamed, so that an exact "Theme" is not its).
        for title, help_text, action in commands(translate=True):
            yield SystemCommand(title, help_text, lambda a=action: self.call_later(self.run_action, a))
        for command in super().get_system_commands(screen):
            if command.title == "Theme":
                yield SystemCommand(_("Theme: pick any theme"), _("Textual's theme picker"), command.callback)
            elif command.title == "Screenshot":  # Textual's saves into ~/Downloads, failing where there is none
                yield SystemCommand(_("Screenshot"), _("Save an SVG of the screen: into the shown run's folder "
                                                       "(Train view) or the working directory"),
                                    lambda: self.set_timer(0.1, self.action_screenshot))
            else:
                yield SystemCommand(_(command.title), _(command.help), command.callback, command.discover)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.files.save_screenshot()

    # ------------------------------------------------------------------ quitting
    async def action_quit(self) -> None:
        from tui_dl.app.screens.confirm_modal import ConfirmModal

        if self.training.is_training:
            def answer(ok: bool | None) -> None:
                if ok:
                    if not self.training.is_training:  # the run ended while the question was open
                        self.exit()
                        return
                    self.training.quit_when_stopped = True
                    self.training.stop()
                    self.set_timer(30, self.exit)  # the trainer ignored the stop request: leave anyway

            self.push_screen(ConfirmModal(_("Training is running. Stop it and quit?"),
                                          _("The trainer finishes the current step and saves a checkpoint first."),
                                          yes=_("Stop and quit"), no=_("Keep training")), answer)
            return
        if self.document.modified:
            def answer_unsaved(ok: bool | None) -> None:
                if ok:
                    self.exit()

            self.push_screen(ConfirmModal(_("Quit without saving your changes?"), _("ctrl+s saves the experiment."),
                                          yes=_("Quit"), no=_("Cancel")), answer_unsaved)
            return
        self.exit()

    # Textual's Select raises NoMatches when it mounts after exit() (its children are no longer composed) or
    # while the app is torn down, and the Setup forms may be mounting in the background (SettingsView.building).
    # So exit() is put off until they are in, and so is the teardown (run_test's ends without exit()); each waits
    # at most EXIT_WAIT_TRIES × 50 ms.
    def _views_mounting(self) -> bool:
        return any(v.building for v in self.query(SettingsView))

    async def _shutdown(self) -> None:
        for _try in range(EXIT_WAIT_TRIES):
            if not self._views_mounting():
                break
            self._shutdown_waits += 1
            await asyncio.sleep(0.05)
        await super()._shutdown()

    def exit(self, *args, **kwargs) -> None:
        self._quitting = True
        control = self.training.control
        if control is not None:
            # stop the trainer now (it saves its checkpoint): the UI thread may be busy with a flood of
            # events, and the worker is otherwise cancelled only once the message loop has ended
            control.request_stop()
        on_ui_thread = self._thread_id == threading.get_ident()
        # off the UI thread (a worker, a signal handler's thread) queries and timers are not safe: Textual's own
        # exit() only posts a message, which is; the teardown still waits for mounting views (_shutdown)
        if on_ui_thread and self._views_mounting() and self._exit_waits < EXIT_WAIT_TRIES:
            self._exit_waits += 1
            self.set_timer(0.05, lambda: self.exit(*args, **kwargs))
            return
        proc = self._probe_proc
        if proc is not None and proc.poll() is None:
            proc.kill()  # else the probe's torch import would hold the process open after quitting
        super().exit(*args, **kwargs)

    # ------------------------------------------------------------------ device probe
    def _probe(self) -> None:
        self._probe_worker()

    @work(thread=True, group="probe", exit_on_error=False)
    def _probe_worker(self) -> None:
        """Detect the device (and read dataset descriptions) in a subprocess, ``python -m tui_dl.core.device``:
        torch's 3–6 s import then runs on another core instead of competing with the UI for this process's GIL."""
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        try:
            proc = subprocess.Popen([sys.executable, "-m", "tui_dl.core.device"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, env=env)
            self._probe_proc = proc  # shared with exit(): see __init__
            out, _err = proc.communicate(timeout=120)
            info = json.loads(out.strip().splitlines()[-1])
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            info = {"device": _("cpu: {cores} cores (device check failed)").format(cores=os.cpu_count()), "datasets": {}}
        finally:
            self._probe_proc = None
        if get_current_worker().is_cancelled:
            return
        self.post_message(DeviceDetected(info.get("device") or _("unknown device"), info.get("datasets") or {}))

    @on(DeviceDetected)
    def _device_detected(self, message: DeviceDetected) -> None:
        self.device_text = message.text
        self.datasets = message.datasets
        if not self.training.is_training:
            self.status_bar.set(device=message.text)
        if (setup := self.settings_view) is not None:
            setup.set_probe(message.text, message.datasets)
