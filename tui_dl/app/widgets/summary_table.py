"""The live summary table: one row per layer from ``core.shapes.summarize`` (it never computes)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tui_dl.app.editing import path_from_text, path_text
from tui_dl.app.widgets.colors import palette
from tui_dl.core.model.layers import shape_str
from tui_dl.core.model.shapes import Summary
from tui_dl.core.i18n import _, N_, pgettext, text_width

COLUMNS = (("#", "idx"), (N_("Layer"), "layer"), (N_("Output"), "out"), (N_("Params"), "params"),
           (N_("Mult-adds"), "macs"), ("", "status"))


class SummaryTable(DataTable):
    """Rows keyed by layer path (``input`` for the input row)."""

    @dataclass
    class Selected(Message):
        table: "SummaryTable"
        path: tuple[int, ...] | None

        @property
        def control(self) -> "SummaryTable":
            return self.table

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._keys: list[str] = []
        self._compact = False

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        # without cell padding (at 80 columns) every header but the first starts with a space, as its cells do:
        # else "Output", "Params" and "Mult-adds" run together over narrow numbers ("OutputParamsMult-adds")
        for i, (label, key) in enumerate(COLUMNS):
            self.add_column((" " if self._compact and i and label else "") + (_(label) if label else ""), key=key)

    def relabel(self) -> None:
        """After a language switch: the column labels and the rows again."""
        last = getattr(self, "_last", None)
        if last is None:
            return
        current = self.current_path()
        self.clear(columns=True)
        self._add_columns()
        self.show(last[0], last[1] if current is False else current)

    def on_resize(self) -> None:
        last = getattr(self, "_last", None)
        if last is not None and self.app.screen.has_class("-narrow") != self._compact:
            current = self.current_path()
            self.show(last[0], last[1] if current is False else current)

    def show(self, summary: Summary, selection: tuple[int, ...] | None) -> None:
        self._last = (summary, selection)
        pal = palette(self.app)
        # TRANSLATORS: the "#" cell of the shapes table's input row (the layers are numbered 1, 2, …)
        rows = [("input", [Text(pgettext("shapes table", "in"), style=pal.muted), Text(_("Input"), style="bold"),
                           Text(shape_str(summary.input_shape), style=pal.accent), Text(""), Text(""),
                           Text("✗", style=pal.error) if summary.errors and not summary.rows else Text("")])]
        for r in summary.rows:
            right = "right"
            name = "  " * r.depth + r.type
            if r.error:
                st = f"bold {pal.error}"
                cells = [Text(r.index_text, style=st), Text(name, style=st), Text(_("✗ error"), style=st),
                         Text("–", style=st, justify=right), Text("–", style=st, justify=right),
                         Text("✗", style=st)]
            elif r.skipped:
                st = pal.muted
                cells = [Text(r.index_text, style=st), Text(name, style=st), Text("?", style=st),
                         Text("", justify=right), Text("", justify=right), Text("·", style=st)]
            else:
                mark = Text("⚠", style=pal.warning) if r.warnings else Text("✓", style=pal.success)
                cells = [Text(r.index_text, style=pal.muted), Text(name), Text(shape_str(r.out_shape)),
                         Text(f"{r.params:,}", justify=right), Text(f"{r.macs:,}", justify=right), mark]
            rows.append((path_text(r.path), cells))
        for col in (3, 4):  # right-align the numbers (DataTable ignores Text.justify)
            width = max(text_width(cells[col].plain) for _k, cells in rows)
            for _k, cells in rows:
                cells[col].pad_left(width - text_width(cells[col].plain))
        compact = self.app.screen.has_class("-narrow")
        relabel = compact != self._compact
        if relabel:
            self._compact = compact
            self.cell_padding = 0 if compact else 1
        if compact:  # no cell padding at 80 columns: one leading space per cell instead
            for _k, cells in rows:
                for cell in cells[1:]:
                    cell.pad_left(1)
        keys = [k for k, _ in rows]
        cursor = self.cursor_row
        with self.app.batch_update():
            self.clear(columns=relabel)
            if relabel:
                self._add_columns()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            self._keys = keys
            target = path_text(selection)
            index = keys.index(target) if target in keys else min(cursor, len(keys) - 1)
            if index >= 0 and self.cursor_row != index:
                self.move_cursor(row=index, animate=False, scroll=True)

    def select_path(self, path: tuple[int, ...] | None) -> None:
        key = path_text(path)
        if key in self._keys:
            index = self._keys.index(key)
            if self.cursor_row != index:
                self.move_cursor(row=index, animate=False, scroll=True)

    def current_path(self) -> tuple[int, ...] | None | bool:
        """The cursor row's path now (False when the table is empty)."""
        if not 0 <= self.cursor_row < len(self._keys):
            return False
        return path_from_text(self._keys[self.cursor_row])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(self.Selected(self, path_from_text(event.row_key.value)))
