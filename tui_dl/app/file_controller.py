"""Open / save / reload experiment files and open past run folders (mixed into the app)."""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text

from tui_dl.app.session import load_run_folder
from tui_dl.core.config.experiment import ConfigError, load_experiment, save_experiment
from tui_dl.core.model.shapes import summarize


def slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("_").lower()
    return s or "experiment"


def problems_text(error: ConfigError, pal, fallback_name: str) -> Text:
    text = Text.assemble((f"✗ Could not open {error.source}", f"bold {pal.error}"),
                         (f"  (showing {fallback_name}; fix the file, then ctrl+l reloads it · ctrl+o opens "
                          f"another · esc hides this)", pal.muted))
    for p in error.problems[:8]:
        text.append("\n  " + p.render(error.source), style=pal.error)
    if len(error.problems) > 8:
        text.append(f"\n  … and {len(error.problems) - 8} more", style=pal.error)
    return text


class FilesMixin:
    def _init_files(self) -> None:
        self.failed_path: Path | None = None

    # ------------------------------------------------------------------ open
    def action_open(self) -> None:
        from tui_dl.app.screens.open_modal import OpenModal

        self.push_screen(OpenModal(self.runs_dir), self._open_chosen)

    def _open_chosen(self, path: str | None) -> None:
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        p = Path(path).expanduser()
        if p.is_dir() and (p / "metrics.jsonl").is_file():
            self.open_run_folder(p)
            return
        if self.document.modified:
            from tui_dl.app.screens.confirm_modal import ConfirmModal

            def answer(ok: bool | None) -> None:
                if ok:
                    self.open_experiment(p)

            self.push_screen(ConfirmModal(f"Discard your changes to {self.document.experiment.name}?",
                                          f"Opening {p} replaces the current experiment (ctrl+s saves it first).",
                                          yes="Discard", no="Keep editing"), answer)
            return
        self.open_experiment(p)

    def open_experiment(self, path: Path) -> bool:
        from tui_dl.app.widgets.colors import palette

        try:
            exp = load_experiment(path)
        except ConfigError as e:
            self.failed_path = path
            self.build_view.show_problems(problems_text(e, palette(self), self.document.experiment.name))
            self.action_show_view("build")
            self.notify(f"{len(e.problems)} problem{'s' if len(e.problems) > 1 else ''}: see the Build view",
                        title=f"Could not open {path}", severity="error", timeout=8)
            return False
        self.failed_path = None
        self.document.replace(exp, path)
        first = summarize(exp.network).first_error
        self.document.selection = first.path if first else None
        self.build_view.show_problems(None)
        self.refresh_views()
        for w in exp.warnings:
            self.notify(w, severity="warning", timeout=8)
        self.notify(f"{exp.name}" + (f": layer {first.index_text} has an error, f fixes it" if first else ""),
                    title=f"Opened {path}", severity="warning" if first else "information", timeout=5)
        self.action_show_view("build")
        return True

    def action_reload(self) -> None:
        path = self.failed_path or self.document.path
        if path is None:
            self.notify("This experiment has no file yet: ctrl+s saves it.", severity="warning")
            return
        self.document.end_coalescing()
        if self.document.modified and self.failed_path is None:
            self.open_path(str(path))
        else:
            self.open_experiment(Path(path))

    def action_hide_problems(self) -> None:
        self.build_view.show_problems(None)

    # ------------------------------------------------------------------ save
    def action_save(self) -> None:
        from tui_dl.app.screens.save_modal import SaveModal

        default = str(self.document.path) if self.document.path else f"{slug(self.document.experiment.name)}.yaml"
        self.push_screen(SaveModal(default), self._save_chosen)

    def _save_chosen(self, path: str | None) -> None:
        if not path:
            return
        p = Path(path).expanduser()
        if p.suffix == "":
            p = p.with_suffix(".yaml")
        same = self.document.path is not None and p.resolve() == Path(self.document.path).resolve()
        if p.exists() and not same:
            from tui_dl.app.screens.confirm_modal import ConfirmModal

            def answer(ok: bool | None) -> None:
                if ok:
                    self.save_to(p)

            self.push_screen(ConfirmModal(f"{p} exists. Overwrite it?", "Its comments are not kept.",
                                          yes="Overwrite", no="Cancel"), answer)
            return
        self.save_to(p)

    def save_to(self, path: Path) -> bool:
        try:
            if path.parent and not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
            save_experiment(self.document.experiment, path)
        except OSError as e:
            self.notify(f"{e.strerror or e}", title=f"Could not save {path}", severity="error", timeout=8)
            return False
        self.document.mark_saved(path)
        self.failed_path = None
        self.refresh_views()
        self.notify(f"{path}", title="Saved", timeout=3)
        return True

    # ------------------------------------------------------------------ past runs
    def open_run_folder(self, path: Path) -> bool:
        try:
            rec = load_run_folder(path, self.next_run_id())
        except OSError as e:
            self.notify(str(e), title=f"Could not open {path}", severity="error", timeout=8)
            return False
        self.add_run(rec)
        self.action_show_view("train")
        self.notify(f"{rec.status.replace('_', ' ')}, {len(rec.epochs)} epochs replayed",
                    title=f"Opened run {path.name}", timeout=4)
        return True
