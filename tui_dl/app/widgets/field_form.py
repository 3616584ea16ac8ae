"""A form built from core :class:`Field` schemas: one input per field, validated with ``Field.coerce``.

Used for a layer's arguments, the input shape and every experiment setting, so the app accepts
exactly what the YAML loader accepts, with the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from tui_dl.app.editing import parse_text, placeholder, to_text
from tui_dl.core.config.fields import Field, FieldError
from tui_dl.core.i18n import _


def _same(f: Field, a: Any, b: Any) -> bool:
    """Two values of ``f`` that mean the same: equal, or unset (an empty input) and the default."""
    if a is None or b is None:
        other = b if a is None else a
        return other is None or other == f.default
    return a == b


class FieldValidator(Validator):
    """A Textual validator that runs the core's own coercion (so messages match the YAML loader's)."""

    def __init__(self, field: Field) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_text(self.field, value)
        except FieldError as e:
            return self.failure(f"{self.field.name}: {e}")
        return self.success()


def field_hint(f: Field) -> str:
    """The hint under a form for its focused field: its name, what it means, and its default."""
    if f.required or f.inferred:
        return _("{name}: {help}").format(name=f.name, help=_(f.help))
    return _("{name}: {help}  (default {value})").format(name=f.name, help=_(f.help),
                                                         value=to_text(f, f.default) or _("none"))


class FieldRow(Horizontal):
    """One labelled input, with its error line below."""

    DEFAULT_CSS = """
    FieldRow { height: auto; layout: grid; grid-size: 2; grid-columns: 17 1fr; grid-rows: auto; }
    FieldRow > .field-name { color: $text-muted; padding: 0 1 0 0; height: 1; }
    FieldRow.-focus > .field-name { color: $accent; text-style: bold; }
    FieldRow > .field-error { column-span: 2; color: $error; display: none; height: auto; padding: 0 0 0 0; }
    FieldRow.-invalid > .field-error { display: block; }
    FieldRow Input { height: 1; }
    FieldRow Checkbox { height: 1; width: auto; border: none; padding: 0; background: transparent; }
    FieldRow Select { height: 1; }
    """

    def __init__(self, field: Field, editor: Widget) -> None:
        super().__init__(classes="field-row")
        self.field = field
        self.editor = editor
        self.error = Static("", classes="field-error")

    def compose(self) -> ComposeResult:
        yield Label(self.field.name, classes="field-name")
        yield self.editor
        yield self.error

    def show_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.error.update(Text(f"✗ {message}") if message else "")


class FieldForm(Vertical):
    """Inputs for a list of fields. Posts :class:`FieldForm.Changed` with coerced values only."""

    DEFAULT_CSS = """
    FieldForm { height: auto; }
    FieldForm > .form-hint { color: $text-muted; height: auto; margin-top: 1; }
    FieldForm > .form-empty { color: $text-muted; }
    """

    @dataclass
    class Changed(Message):
        """A field got a new valid value (``None``: the input was cleared → default / inferred)."""

        form: "FieldForm"
        name: str
        value: Any

        @property
        def control(self) -> "FieldForm":
            return self.form

    @dataclass
    class FieldFocused(Message):
        form: "FieldForm"
        field: Field

        @property
        def control(self) -> "FieldForm":
            return self.form

    def __init__(self, *, show_hint: bool = True, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.fields: list[Field] = []
        self.values: dict[str, Any] = {}
        self.placeholders: dict[str, str] = {}
        self.choice_labels: dict[str, dict[str, str]] = {}
        self.key: Any = object()
        self.page: Any = None
        self.show_hint = show_hint
        # One page of rows per field set (a layer kind, an optimizer...). Pages are created on first
        # use and then only shown or hidden, never removed: moving the selection re-uses the rows.
        self._pages: dict[Any, Vertical] = {}
        self._page_rows: dict[Any, dict[str, FieldRow]] = {}
        self._rows: dict[str, FieldRow] = {}
        self._by_editor: dict[int, tuple[Any, str]] = {}
        self._texts: dict[str, str] = {}
        #: Per input, the values this form posted that the document has not shown back yet, oldest first, and
        #: the document's value last shown. The app shows an edit back after a round trip; meanwhile the student
        #: may have typed on (or cleared the field, which the document shows back as the default). A value shown
        #: back that is one of ours, or the one already shown, leaves the text being typed as it is; any other
        #: value (another file, undo) or a refused edit replaces it.
        self._posted: dict[str, list[Any]] = {}
        self._shown: dict[str, Any] = {}

    # ------------------------------------------------------------------ loading
    def load(self, fields: Sequence[Field], values: dict[str, Any], *, key: Any = None, page: Any = None,
             placeholders: dict[str, str] | None = None, choice_labels: dict[str, dict[str, str]] | None = None,
             empty_text: str = "", refused: bool = False) -> None:
        """Show ``fields`` with ``values``.

        ``page`` names the field set (rows are kept per page); ``key`` names what is edited (a new key
        resets every input, the same key updates in place and leaves the input being typed in alone).
        ``refused``: the app refused this form's last edit, and ``values`` are the ones that stay: each input
        whose text says otherwise shows them again.
        """
        page = page if page is not None else (tuple(f.name for f in fields), empty_text)
        new_key = key != self.key
        self.fields = list(fields)
        self.values = dict(values)
        self.placeholders = dict(placeholders or {})
        self.choice_labels = dict(choice_labels or {})
        self.key = key
        if page not in self._pages:
            self._make_page(page, empty_text)
        if page != self.page:
            for pk, widget in self._pages.items():
                widget.display = pk == page
            self.page = page
            new_key = True
        self._rows = self._page_rows[page]
        self._update_in_place(force=new_key, refused=refused)

    def _make_page(self, page: Any, empty_text: str) -> None:
        for f in self.fields:
            if f.kind not in ("bool", "choice"):
                self._texts[f.name] = to_text(f, self.values.get(f.name))
                self._shown[f.name] = self.values.get(f.name)
                self._posted[f.name] = []
        rows: dict[str, FieldRow] = {}
        children: list[Widget] = []
        for f in self.fields:
            editor = self._make_editor(f)
            row = FieldRow(f, editor)
            rows[f.name] = row
            self._by_editor[id(editor)] = (page, f.name)
            children.append(row)
        if not self.fields and empty_text:
            children.append(Static(Text(empty_text), classes="form-empty"))
        if self.show_hint and self.fields:
            children.append(Static("", classes="form-hint"))
        box = Vertical(*children, classes="form-page")
        box.styles.height = "auto"
        self._pages[page] = box
        self._page_rows[page] = rows
        self.mount(box)

    def _make_editor(self, f: Field) -> Widget:
        value = self.values.get(f.name)
        if f.kind == "bool" and f.nullable:  # three states: true, false, or unset ("auto": the engine decides)
            return Select([("true", True), ("false", False)], value=Select.NULL if value is None else bool(value),
                          allow_blank=True, compact=True, tooltip=_(f.help),
                          prompt=self.placeholders.get(f.name) or _("auto"))
        if f.kind == "bool":
            shown = f.default if value is None else value
            return Checkbox("true" if shown else "false", bool(shown), compact=True, tooltip=_(f.help))
        if f.kind == "choice":
            labels = self.choice_labels.get(f.name, {})
            options = [(labels.get(c, c), c) for c in f.choices]
            shown = f.default if value is None else value
            return Select(options, value=shown if shown in f.choices else Select.NULL,
                          allow_blank=f.nullable or shown not in f.choices, compact=True,
                          tooltip=_(f.help), prompt=self.placeholders.get(f.name) or _("none"))
        return Input(to_text(f, value), placeholder=self.placeholders.get(f.name) or placeholder(f), compact=True,
                     validators=[FieldValidator(f)], validate_on=["changed", "submitted"], tooltip=_(f.help))

    def _update_in_place(self, force: bool = False, refused: bool = False) -> None:
        for f in self.fields:
            row = self._rows.get(f.name)
            if row is None:
                continue
            value = self.values.get(f.name)
            editor = row.editor
            if not editor.is_mounted:
                continue  # a page made just now: its editors were built with these values
            if isinstance(editor, Input):
                self._update_input(f, row, editor, value, force, refused)
            elif isinstance(editor, Checkbox):
                shown = bool(f.default if value is None else value)
                if editor.value != shown:
                    with editor.prevent(Checkbox.Changed):
                        editor.value = shown
                    editor.label = "true" if shown else "false"
            elif isinstance(editor, Select):
                shown = f.default if value is None else value
                target = shown if shown in ((True, False) if f.kind == "bool" else f.choices) else Select.NULL
                if editor.value != target:
                    with editor.prevent(Select.Changed):
                        editor.value = target

    def _update_input(self, f: Field, row: FieldRow, editor: Input, value: Any, force: bool, refused: bool) -> None:
        posted = self._posted.setdefault(f.name, [])
        editor.placeholder = self.placeholders.get(f.name) or placeholder(f)
        if not (force or refused):
            echo = next((i for i, p in enumerate(posted) if _same(f, p, value)), None)
            if echo is not None or (f.name in self._shown and _same(f, self._shown[f.name], value)):
                # our own edit shown back (the ones before it are through too), or nothing new for this field:
                # what is typed now stays, even half a number
                if echo is not None:
                    del posted[:echo + 1]
                self._shown[f.name] = value
                self._fill_if_left_empty(f, editor)
                return
        # a value from elsewhere (another file, undo) or a refused edit: the input shows the document's value
        posted.clear()
        self._shown[f.name] = value
        try:
            unchanged = not force and _same(f, parse_text(f, editor.value), value)
        except FieldError:
            unchanged = False
        if unchanged:
            self._texts[f.name] = editor.value
            self._fill_if_left_empty(f, editor)
            return
        self._write(f, editor, to_text(f, value))
        row.show_error(None)

    def _write(self, f: Field, editor: Input, text: str) -> None:
        if editor.value != text:
            with editor.prevent(Input.Changed):
                editor.value = text
            editor.cursor_position = len(text)  # typing goes after the value, never before it
        self._texts[f.name] = text

    def _fill_if_left_empty(self, f: Field, editor: Input) -> None:
        """An input left empty means the default: once the student has left it, it shows the value the
        experiment now holds (a setting that has no "unset", such as epochs); while it has focus it stays empty."""
        value = self.values.get(f.name)
        if editor.has_focus or editor.value.strip() or value is None:
            return
        self._write(f, editor, to_text(f, value))
        self._rows[f.name].show_error(None)

    # ------------------------------------------------------------------ events
    def _field_of(self, widget: Widget) -> Field | None:
        """The field of a visible editor (editors of hidden pages are ignored)."""
        owner = self._by_editor.get(id(widget))
        if owner is None or owner[0] != self.page:
            return None
        return next((f for f in self.fields if f.name == owner[1]), None)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        f = self._field_of(event.input)
        if f is None:
            return
        event.stop()
        row = self._rows[f.name]
        if event.value == self._texts.get(f.name):
            row.show_error(None)
            return
        result = event.validation_result
        if result is not None and not result.is_valid:
            row.show_error("; ".join(result.failure_descriptions))
            return
        row.show_error(None)
        self._texts[f.name] = event.value
        value = parse_text(f, event.value)
        self.values[f.name] = value
        self._posted.setdefault(f.name, []).append(value)
        self.post_message(self.Changed(self, f.name, value))

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        if self._field_of(event.input) is not None:
            event.stop()

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        f = self._field_of(event.checkbox)
        if f is None:
            return
        event.stop()
        value = bool(event.value)
        event.checkbox.label = "true" if value else "false"
        self.values[f.name] = value
        self.post_message(self.Changed(self, f.name, value))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        f = self._field_of(event.select)
        if f is None:
            return
        event.stop()
        value = None if event.value is Select.NULL else event.value
        current = self.values.get(f.name)
        if value == current or (current is None and value == f.default):
            return
        self.values[f.name] = value
        self.post_message(self.Changed(self, f.name, value))

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        for row in self._rows.values():
            row.set_class(False, "-focus")
        f = None
        node = widget
        while node is not None and node is not self:
            f = self._field_of(node)
            if f is not None:
                break
            node = node.parent
        if f is None:
            return
        self._rows[f.name].set_class(True, "-focus")
        if self.show_hint:
            self._set_hint(field_hint(f))
        self.post_message(self.FieldFocused(self, f))

    def on_descendant_blur(self, event) -> None:
        for row in self._rows.values():
            row.set_class(False, "-focus")
        f = self._field_of(event.widget)
        if f is not None and isinstance(event.widget, Input):
            self._fill_if_left_empty(f, event.widget)
        focused = self.screen.focused if self.is_attached else None
        if self.show_hint and (focused is None or self not in focused.ancestors):
            self._set_hint("")  # one hint on the screen: the focused field's, not every form's last one

    def relabel(self) -> None:
        """After a language switch: the inputs' placeholders, the tooltips and the hint in the new language (the
        placeholders handed in by the view are its own: it hands them in again)."""
        for f in self.fields:
            row = self._rows.get(f.name)
            if row is None or not row.editor.is_mounted:
                continue
            editor = row.editor
            editor.tooltip = _(f.help)
            if isinstance(editor, Input) and f.name not in self.placeholders:
                editor.placeholder = placeholder(f)
        self._set_hint("")

    def _set_hint(self, text: str) -> None:
        page = self._pages.get(self.page)
        hint = page.query(".form-hint") if page is not None else None
        if hint:
            hint.first(Static).update(Text(text))  # plain text: help such as "[features]" is not markup

    # ------------------------------------------------------------------ helpers for callers/tests
    def editor(self, name: str) -> Widget:
        return self._rows[name].editor

    def focus_first(self, skip: tuple[str, ...] = ()) -> bool:
        for name, row in self._rows.items():
            if name in skip and len(self._rows) > 1:
                continue
            if row.editor.focusable:
                row.editor.focus()
                return True
        return False
