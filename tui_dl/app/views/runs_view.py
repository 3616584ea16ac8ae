"""Runs view: every run of the session, ticked runs overlay their curves on the Train plots."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tui_dl.app.logfmt import pct
from tui_dl.app.keys import bindings
from tui_dl.app.messages import ViewMounted
from tui_dl.app.session import RunRecord, describe_config
from tui_dl.core.training.best_epoch import best_epoch_line
from tui_dl.app.widgets.colors import overlay_color, palette, rgb_hex
from tui_dl.core.device_names import device_text
from tui_dl.core.i18n import N_, _, ngettext

#: The runs table's columns: (heading, key); two-line headings keep the accuracy columns as narrow as their
#: numbers.
COLUMNS = (("⊕", "on"), ("#", "id"), (N_("Run"), "name"), (N_("Status"), "status"), (N_("Epochs"), "epochs"),
           (N_("Best\nval acc"), "val"), (N_("Test\nacc"), "test"), (N_("Settings"), "settings"),
           (N_("Val acc at\nbest loss"), "val_at_best"), (N_("Folder"), "folder"))
#: A run's status as shown (the record keeps the English word: it is data).
STATUS = {"completed": N_("completed"), "running": N_("running"), "diverged": N_("diverged"),
          "failed": N_("failed"), "stopped": N_("stopped"), "early_stopped": N_("early stopped"),
          "paused": N_("paused")}


def status_text(status: str) -> str:
    """``status`` (a run record's word) in the language spoken now."""
    return _(STATUS[status]) if status in STATUS else status.replace("_", " ")


class RunsTable(DataTable):
    """The runs, one per row: Home and End go to the first and the last run (a DataTable's own Home and End
    scroll sideways, which a row cursor never needs)."""

    def action_scroll_home(self) -> None:
        self.action_scroll_top()

    def action_scroll_end(self) -> None:
        self.action_scroll_bottom()


class RunsView(Vertical):
    BINDINGS = bindings("Runs")  # see tui_dl.app.keys

    @dataclass
    class ToggleOverlay(Message):
        run_id: int

    @dataclass
    class ShowRun(Message):
        run_id: int

    @dataclass
    class ClearOverlays(Message):
        pass

    @dataclass
    class ResumeRun(Message):
        """Continue this stopped run from its checkpoint (the view has checked that it can be resumed)."""

        run_id: int

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # What show() was last handed (the train controller's own list and set, so they stay current).
        self._runs: list[RunRecord] = []
        self._overlays: set[int] = set()
        self._shown: int | None = None

    def compose(self) -> ComposeResult:
        table = RunsTable(id="runs-table", cursor_type="row", classes="panel")
        table.border_title = _("Runs")
        table.border_subtitle = _("space overlay · enter show · r resume · o open folder")
        yield table
        detail = Static("", id="run-detail", classes="panel")
        detail.border_title = _("Run")
        yield detail

    def relabel(self) -> None:
        """Re-translate the titles, the column headings and the rows (after a language switch)."""
        table = self.query_one(DataTable)
        table.border_title = _("Runs")
        table.border_subtitle = _("space overlay · enter show · r resume · o open folder")
        self.query_one("#run-detail").border_title = _("Run")
        for label, key in COLUMNS:
            if key in table.columns:
                table.columns[key].label = Text(_(label))
        table.refresh()
        if self._runs:
            self.show(self._runs, self._overlays, self._shown)
        else:
            self._show_empty()

    def _show_empty(self) -> None:
        self.query_one("#run-detail", Static).update(
            _("No runs yet. Train (ctrl+r) in this session, or press o to open a past run folder."))

    ready = False
    """True once mounted: the app talks to the view only then."""

    def on_unmount(self) -> None:
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        table = self.query_one(DataTable)
        # two-line headers: the accuracy columns say what they hold in a column as narrow as their numbers
        table.header_height = 2
        for label, key in COLUMNS:
            table.add_column(Text(_(label)), key=key)
        self._show_empty()
        self.post_message(ViewMounted("runs"))  # the app shows the session's runs

    def show(self, runs: list[RunRecord], overlays: set[int], shown: int | None) -> None:
        self._runs, self._overlays, self._shown = runs, overlays, shown
        pal = palette(self.app)
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        # a ticked run's mark has its curve's colour (the shown run's curve is the theme's primary colour)
        ticked = [r.id for r in runs if r.id in overlays and r.id != shown]
        colors = {run_id: rgb_hex(overlay_color(i, pal.dark)) for i, run_id in enumerate(ticked)}
        for r in runs:
            status_style = {"completed": pal.success, "running": pal.accent, "diverged": pal.error,
                            "failed": pal.error, "stopped": pal.warning, "early_stopped": pal.primary,
                            "paused": pal.warning}.get(r.status, pal.muted)
            mark = Text("☑" if r.id in overlays else "☐",
                        style=f"bold {colors.get(r.id, pal.primary)}" if r.id in overlays else "")
            name = Text(r.name + (" ◀" if r.id == shown else ""), style="bold" if r.id == shown else "")
            epochs = f"{len(r.epochs)}/{r.started.epochs}" if r.started else str(len(r.epochs))
            table.add_row(mark, str(r.id), name, Text(status_text(r.status), style=status_style), epochs,
                          pct(r.highest_val_accuracy), pct(r.test_accuracy), r.compared or r.tag,
                          pct(r.val_accuracy_at_best), r.run_dir or "–", key=str(r.id))
        if runs:
            table.move_cursor(row=min(max(cursor, 0), len(runs) - 1), animate=False)
            self._show_detail(runs, overlays)

    def _show_detail(self, runs: list[RunRecord], overlays: set[int]) -> None:
        table = self.query_one(DataTable)
        if not runs or table.cursor_row < 0:
            return
        r = runs[min(table.cursor_row, len(runs) - 1)]
        pal = palette(self.app)
        parts = [Text.assemble((r.label, "bold"), (f"  {status_text(r.status)}", pal.muted))]
        if r.experiment is not None:
            epochs = r.experiment.train.epochs
            parts.append(Text(ngettext("{name}: {config}, {epochs} epoch, data {data}",
                                       "{name}: {config}, {epochs} epochs, data {data}", epochs).format(
                name=r.experiment.name, config=describe_config(r.experiment), epochs=epochs,
                data=r.experiment.data.name)))
        if r.started is not None:
            st = r.started
            parts.append(Text(_("{dataset}: {train:,} train / {val:,} val / {test:,} test · {params:,} params · "
                                "{device}").format(dataset=st.dataset, train=st.train_size, val=st.val_size,
                                                   test=st.test_size, params=st.params, device=device_text(st.device_name)),
                              style=pal.muted))
        best = best_epoch_line(r.finished, pct) if r.finished else ""
        if best:
            parts.append(Text(best))
        if r.run_dir:
            parts.append(Text(_("folder {path}").format(path=r.run_dir), style=pal.muted))
        if r.summary:
            keys = ", ".join(f"{k}={v}" for k, v in list(r.summary.items())[:8] if not isinstance(v, (list, dict)))
            parts.append(Text(f"summary.json: {keys}", style=pal.muted))
        for message in r.findings.values():
            parts.append(Text(f"⚑ {message}", style=pal.warning))
        parts.append(Text(""))
        parts.append(Text(_("Tick runs with space to overlay them on the Train plots (the key under the plots: "
                            "#id and what differs between the runs)."), style=pal.muted))
        self.query_one("#run-detail", Static).update(Group(*parts))

    def _cursor_id(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return int(key.value) if key.value is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail(self._runs, self._overlays)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show_run()

    def action_toggle_overlay(self) -> None:
        run_id = self._cursor_id()
        if run_id is not None:
            self.post_message(self.ToggleOverlay(run_id))

    def action_show_run(self) -> None:
        run_id = self._cursor_id()
        if run_id is not None:
            self.post_message(self.ShowRun(run_id))

    def action_resume_run(self) -> None:
        run_id = self._cursor_id()
        rec = next((r for r in self._runs if r.id == run_id), None)
        if rec is None or not rec.resumable:
            self.notify(_("Only a stopped or unfinished run can be resumed."), severity="warning")
            return
        self.post_message(self.ResumeRun(rec.id))

    def action_clear_overlays(self) -> None:
        self.post_message(self.ClearOverlays())
