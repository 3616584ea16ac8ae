"""Open a preset, any YAML file, or a past run folder (``ModalScreen[str | None]``: the chosen path)."""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.app.presets import list_presets, list_run_folders


class OpenModal(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, runs_dir: str = "runs", current: str = "") -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="picker"):
            yield Static("Open an experiment or a past run", classes="dialog-title")
            options: list[Option] = [Option(Text("PRESETS", style="bold dim"), disabled=True)]
            width = max(40, int(min(self.app.size.width * 0.9, 110)) - 10)
            for p in list_presets():
                desc = "\n".join("    " + line for line in textwrap.wrap(p.description, width - 4)) or "    "
                options.append(Option(Text.assemble(("  " + p.name, "bold"), (f"  {p.path}\n", "dim"),
                                                    (desc, "")), id=f"file:{p.path}"))
            runs = list_run_folders(self.runs_dir)
            if runs:
                options.append(Option(Text(f"RUN FOLDERS ({self.runs_dir}/)", style="bold dim"), disabled=True))
                for r in runs:
                    options.append(Option(Text.assemble(("  " + r.label, ""), (f"  {r.path}", "dim")),
                                          id=f"run:{r.path}"))
            yield OptionList(*options, id="open-choices")
            yield Input(value=self.current, placeholder="or type a path: my_net.yaml, runs/<folder>",
                        id="open-path")
            yield Static("enter open · tab switch list/path · esc cancel", classes="dialog-help")

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        for i, opt in enumerate(lst.options):
            if not opt.disabled:
                lst.highlighted = i
                break
        lst.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id or ""
        self.dismiss(oid.split(":", 1)[1] if ":" in oid else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
