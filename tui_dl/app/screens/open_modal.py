"""Open a preset, any YAML file, a past run folder or a checkpoint (``ModalScreen[str | None]``: the chosen path)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.app.i18n_ui import TStatic
from tui_dl.app.screens.modal import Modal
from tui_dl.core.i18n import _, N_, wrap_cells

from tui_dl.app.presets import list_presets, list_run_folders


PLACEHOLDER = N_("type a path: my_net.yaml, runs/<folder>, runs/<folder>/best.pt")


class OpenModal(Modal[str | None]):
    """The path input has the focus: what is typed is opened with enter. ↑↓ choose from the list (the chosen
    entry's path goes into the input), enter with an empty input opens the highlighted entry, a click opens
    an entry. A YAML file opens as the experiment, a run folder (or a checkpoint in one) is replayed."""

    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(self, runs_dir: str = "runs", current: str = "") -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="picker"):
            yield TStatic(N_("Open an experiment or a past run"), classes="dialog-title")
            yield Input(value=self.current, placeholder=_(PLACEHOLDER),
                        id="open-path")
            options: list[Option] = [Option(Text(_("PRESETS"), style="bold dim"), disabled=True)]
            width = max(40, int(min(self.app.size.width * 0.9, 110)) - 10)
            for p in list_presets():
                desc = "\n".join("    " + line for line in wrap_cells(_(p.description), width - 4)) or "    "
                options.append(Option(Text.assemble(("  " + _(p.name), "bold"), (f"  {p.path}\n", "dim"),
                                                    (desc, "")), id=f"file:{p.path}"))
            runs = list_run_folders(self.runs_dir)
            if runs:
                options.append(Option(Text(_("RUN FOLDERS ({folder}/)").format(folder=self.runs_dir), style="bold dim"), disabled=True))
                for r in runs:
                    options.append(Option(Text.assemble(("  " + r.label, ""), (f"  {r.path}", "dim")),
                                          id=f"run:{r.path}"))
            yield OptionList(*options, id="open-choices")
            yield TStatic(N_("type a path or ↑↓ choose · enter open · esc cancel"), classes="dialog-help")

    def relabel(self) -> None:
        self.query_one("#open-path", Input).placeholder = _(PLACEHOLDER)

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        for i, opt in enumerate(lst.options):
            if not opt.disabled:
                lst.highlighted = i
                break
        self.query_one(Input).focus()

    @staticmethod
    def _path_of(option: Option | None) -> str | None:
        oid = (option.id or "") if option is not None else ""
        return oid.split(":", 1)[1] if ":" in oid else None

    def _highlighted_path(self) -> str | None:
        lst = self.query_one(OptionList)
        return None if lst.highlighted is None else self._path_of(lst.get_option_at_index(lst.highlighted))

    def action_move(self, delta: int) -> None:
        """Move the list's highlight from the path input; the entry's path is put in the input."""
        lst = self.query_one(OptionList)
        for _step in range(abs(delta)):
            lst.action_cursor_down() if delta > 0 else lst.action_cursor_up()
        path = self._highlighted_path()
        if path is not None:
            field = self.query_one(Input)
            field.value = path
            field.cursor_position = len(path)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        path = self._path_of(event.option)
        if path is not None:
            self.close(path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip() or self._highlighted_path()
        if path:
            self.close(path)

    def action_cancel(self) -> None:
        self.close(None)
