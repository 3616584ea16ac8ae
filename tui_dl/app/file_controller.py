"""Open / save / reload experiment files and open past run folders.

:class:`FileController` is a plain object the app owns (``app.files``); the app's ``ctrl+o`` / ``ctrl+s`` /
``ctrl+l`` actions call it. It keeps the one piece of file state, the file that last failed to open.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from tui_dl.app.logfmt import status_name
from tui_dl.core.i18n import _, ngettext
from tui_dl.core.paths import PathProblem, expand_user
from tui_dl.core.presets import shipped_dir
from tui_dl.app.session import load_run_folder
from tui_dl.core.config.experiment import ConfigError, Problem, load_experiment, save_experiment
from tui_dl.core.model.shapes import summarize

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDL


def shipped_folders() -> list[Path]:
    """The folders that hold presets shipped with tui-dl: the installed copy inside the package
    (``tui_dl/presets/`` in a wheel) and the checkout's ``presets/``. Files in them are read-only in the app, so
    the README's commands always open what was shipped; saving one asks for a new file (see :func:`copy_name`)."""
    found = [p for p in (shipped_dir(), Path(__file__).resolve().parents[1] / "presets",
                         Path(__file__).resolve().parents[2] / "presets") if p is not None and p.is_dir()]
    return list(dict.fromkeys(p.resolve() for p in found))


def is_shipped_preset(path: str | Path) -> bool:
    """True for a file inside a folder of shipped presets (wherever it is opened from)."""
    try:
        return expand_user(path).resolve().parent in shipped_folders()
    except OSError:
        return False


def copy_name(preset: Path) -> Path:
    """Where a copy of a shipped preset is saved by default: its file name in the working directory
    (``lenet5.yaml``; ``lenet5-2.yaml``, ``lenet5-3.yaml``... when that is taken), never the presets folder."""
    cwd = Path.cwd()
    where = Path("..") if cwd.resolve() in shipped_folders() else Path(".")
    stem, suffix = preset.stem, preset.suffix or ".yaml"
    n = 1
    while (where / (name := f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")).exists():
        n += 1
    return where / name


def slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("_").lower()
    return s or "experiment"


def problems_text(error: ConfigError, pal, fallback_name: str) -> Text:
    text = Text.assemble(("✗ " + _("Could not open {path}").format(path=error.source), f"bold {pal.error}"),
                         ("  " + _("(showing {name}; fix the file, then ctrl+l reloads it · ctrl+o opens another · "
                                   "esc hides this)").format(name=fallback_name), pal.muted))
    for p in error.problems[:8]:
        text.append("\n  " + p.render(error.source), style=pal.error)
    if len(error.problems) > 8:
        text.append("\n  " + _("… and {n} more").format(n=len(error.problems) - 8), style=pal.error)
    return text


class FileController:
    def __init__(self, app: "TuiDL") -> None:
        self.app = app
        #: The file that could not be opened (its problems are on the Build view): ctrl+l reads it again.
        self.failed_path: Path | None = None

    # ------------------------------------------------------------------ open
    def choose_and_open(self) -> None:
        from tui_dl.app.screens.open_modal import OpenModal

        self.app.push_screen(OpenModal(self.app.runs_dir), self._open_chosen)

    def _open_chosen(self, path: str | None) -> None:
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Open what ``path`` names: a run folder (replayed in the Train view), a checkpoint (``.pt``: its run
        folder, or the experiment stored in it), else an experiment file."""
        try:
            p = expand_user(path)
        except PathProblem as e:
            self.app.notify(str(e), title=_("Could not open {path}").format(path=path), severity="error", timeout=8)
            return
        if p.is_dir() and (p / "metrics.jsonl").is_file():
            self.open_run_folder(p)
            return
        if p.suffix == ".pt" and p.is_file():
            if (p.parent / "metrics.jsonl").is_file():
                self.app.insight.checkpoints[str(p.parent.resolve())] = p  # the gallery and the attack look inside this one
                self.open_run_folder(p.parent)
            else:
                self.open_checkpoint(p)
            return
        self._replacing(p, lambda: self.open_experiment(p))

    def _replacing(self, p: Path, then) -> None:
        """``then()``, which replaces the experiment: after asking, when it has unsaved changes."""
        app = self.app
        if not app.document.modified:
            then()
            return
        from tui_dl.app.screens.confirm_modal import ConfirmModal

        def answer(ok: bool | None) -> None:
            if ok:
                then()

        app.push_screen(ConfirmModal(_("Discard your changes to {name}?").format(name=app.document.experiment.name),
                                     _("Opening {path} replaces the current experiment (ctrl+s saves it first).")
                                     .format(path=p),
                                     yes=_("Discard"), no=_("Keep editing")), answer)

    def open_checkpoint(self, path: Path) -> None:
        """A checkpoint outside a run folder: the experiment stored in it becomes the current one (unsaved).
        Reading it needs torch, so it is read on a worker thread."""
        app = self.app

        def read() -> None:
            from tui_dl.core.runs.checkpoint import CheckpointError, experiment_from_checkpoint, load_checkpoint

            try:
                exp = experiment_from_checkpoint(load_checkpoint(path), str(path))
            except (CheckpointError, ConfigError, OSError) as e:
                message = str(e).removeprefix(f"{path}: ").removeprefix(f"{path} ")
                app.call_from_thread(self._show_failure, path, ConfigError(str(path), [Problem("", message)]))
                return
            app.call_from_thread(self._replacing, path, lambda: self._show_opened(
                exp, None, _("Opened the experiment in {path}").format(path=path),
                _("{name} (not saved yet: ctrl+s writes its YAML; {command} continues its training)").format(
                    name=exp.name, command=f"tui-dl --resume {path}")))

        app.notify(_("Reading {path}…").format(path=path), timeout=2)
        app.run_worker(read, thread=True, group="open-checkpoint", exit_on_error=False)

    def open_experiment(self, path: Path) -> bool:
        try:
            exp = load_experiment(path)
        except ConfigError as e:
            self._show_failure(path, e)
            return False
        self._show_opened(exp, path, _("Opened {path}").format(path=path))
        return True

    def _show_failure(self, path: Path, e: ConfigError) -> None:
        """A file that could not be opened: its problems on the Build view, the current experiment kept."""
        from tui_dl.app.widgets.colors import palette

        app = self.app
        self.failed_path = path
        app.build_view.show_problems(problems_text(e, palette(app), app.document.experiment.name))
        app.action_show_view("build")
        app.notify(ngettext("{n} problem: see the Build view", "{n} problems: see the Build view",
                            len(e.problems)).format(n=len(e.problems)),
                   title=_("Could not open {path}").format(path=path), severity="error", timeout=8)

    def _show_opened(self, exp, path: Path | None, title: str, message: str = "") -> None:
        app = self.app
        self.failed_path = None
        app.document.replace(exp, path)
        first = summarize(exp.network).first_error
        app.document.selection = first.path if first else None
        app.build_view.show_problems(None)
        app.refresh_views()
        for w in exp.warnings:
            app.notify(w, severity="warning", timeout=8)
        text = message or exp.name
        if first:
            text = _("{text}: layer {layer} has an error, f fixes it").format(text=text, layer=first.index_text)
        app.notify(text,
                   title=title, severity="warning" if first else "information", timeout=5)
        app.action_show_view("build")

    def reload(self) -> None:
        doc = self.app.document
        path = self.failed_path or doc.path
        if path is None:
            self.app.notify(_("This experiment has no file yet: ctrl+s saves it."), severity="warning")
            return
        doc.end_coalescing()
        if Path(path).suffix == ".pt":  # a checkpoint that could not be read: read it again
            self.open_path(str(path))
            return
        if doc.modified and self.failed_path is None:
            self.open_path(str(path))
        else:
            self.open_experiment(Path(path))

    # ------------------------------------------------------------------ save
    def choose_and_save(self) -> None:
        from tui_dl.app.screens.save_modal import SaveModal

        doc = self.app.document
        note = ""
        if doc.path is not None and is_shipped_preset(doc.path):
            default = str(copy_name(Path(doc.path)))
            note = _("{path} is a preset shipped with tui-dl: it stays as it is. Your copy is saved under the "
                     "name below.").format(path=doc.path)
        else:
            default = str(doc.path) if doc.path else f"{slug(doc.experiment.name)}.yaml"
        self.app.push_screen(SaveModal(default, note=note), self._save_chosen)

    def _save_chosen(self, path: str | None) -> None:
        if not path:
            return
        doc = self.app.document
        try:
            p = expand_user(path)
        except PathProblem as e:
            self.app.notify(str(e), title=_("Could not save {path}").format(path=path), severity="error", timeout=8)
            return
        if p.suffix == "":
            p = p.with_suffix(".yaml")
        if is_shipped_preset(p):
            self.app.notify(_("{path} is a preset shipped with tui-dl, read-only in the app: save under another "
                              "name.").format(path=p),
                            title=_("Not saved"), severity="warning", timeout=6)
            self.choose_and_save()
            return
        same = doc.path is not None and p.resolve() == Path(doc.path).resolve()
        if p.exists() and not same:
            from tui_dl.app.screens.confirm_modal import ConfirmModal

            def answer(ok: bool | None) -> None:
                if ok:
                    self.save_to(p)

            self.app.push_screen(ConfirmModal(_("{path} exists. Overwrite it?").format(path=p),
                                              _("Its comments are not kept."),
                                              yes=_("Overwrite"), no=_("Cancel")), answer)
            return
        self.save_to(p)

    def save_to(self, path: Path) -> bool:
        app = self.app
        try:
            if path.parent and not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
            save_experiment(app.document.experiment, path)
        except OSError as e:
            app.notify(f"{e.strerror or e}", title=_("Could not save {path}").format(path=path), severity="error",
                       timeout=8)
            return False
        app.document.mark_saved(path)
        self.failed_path = None
        app.refresh_views()
        app.notify(f"{path}", title=_("Saved"), timeout=3)
        return True

    # ------------------------------------------------------------------ past runs
    def open_run_folder(self, path: Path) -> bool:
        app = self.app
        training = app.training
        try:
            rec = load_run_folder(path, training.next_run_id())
        except OSError as e:
            app.notify(str(e), title=_("Could not open {path}").format(path=path), severity="error", timeout=8)
            return False
        from tui_dl.core.runs.follow import is_live

        if is_live(path):  # another process is training it: follow it live (app/run_follow.py)
            from tui_dl.app.run_follow import follow_run

            rec = follow_run(app, rec)
            training.add_run(rec)
            app.action_show_view("train")
            app.notify(_("being trained by another process: following it live"),
                       title=_("Opened run {name}").format(name=path.name), timeout=4)
            return True
        training.add_run(rec)
        app.action_show_view("train")
        unread = [line.lstrip("⚠ ") for line in rec.log if line.startswith("⚠")]
        replayed = ngettext("{status}, {n} epoch replayed", "{status}, {n} epochs replayed", len(rec.epochs))
        app.notify(replayed.format(status=status_name(rec.status), n=len(rec.epochs))
                   + "".join(f"\n{line}" for line in unread), title=_("Opened run {name}").format(name=path.name),
                   severity="warning" if unread else "information", timeout=8 if unread else 4)
        return True

    # ------------------------------------------------------------------ screenshots
    def save_screenshot(self) -> Path | None:
        """Save an SVG of the screen into the shown run's folder (from the Train view) or else the working
        directory (the folder tried next when one cannot be written), and say where."""
        app = self.app
        folders = []
        rec = app.training.run_by_id(app.training.shown_run_id)
        if app.current_view == "train" and rec is not None and rec.run_dir and Path(rec.run_dir).is_dir():
            folders.append(Path(rec.run_dir))
        folders.append(Path.cwd())
        error: OSError | None = None
        for folder in folders:
            try:
                saved = Path(app.save_screenshot(path=str(folder)))
            except OSError as e:
                error = e
                continue
            try:
                shown = saved.resolve().relative_to(Path.cwd().resolve())
            except ValueError:
                shown = saved
            app.notify(str(shown), title=_("Screenshot saved"), timeout=6)
            return saved
        app.notify(f"{error.strerror or error}" if error else "", title=_("Could not save the screenshot"),
                   severity="error", timeout=8)
        return None
