"""Build view: palette | layer stack + argument form | summary table + explain pane, totals below.

The network spec is the single source of truth: every edit makes a new spec through its
``replace_layer``/``insert_layer``/``remove_layer``/``move_layer`` methods and posts it to the app
(:class:`~tui_dl.app.messages.EditRequested`), which records it for undo and calls :meth:`BuildView.show`
with a fresh ``summarize(spec)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import Static

from tui_dl.app.editing import (INPUT_FIELD, after, apply_fix, change_type, clamp_path, count_activations, fix_for,
                                new_layer, path_text, replace_activations)
from tui_dl.app.keys import bindings
from tui_dl.app.messages import EditRequested
from tui_dl.app.widgets.colors import palette
from tui_dl.app.widgets.detail_pane import DetailPane, TotalsBar, explain_input, explain_layer
from tui_dl.app.widgets.field_form import FieldForm
from tui_dl.app.widgets.layer_stack import LayerStack
from tui_dl.app.widgets.palette import LayerPalette
from tui_dl.app.widgets.summary_table import SummaryTable
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.config.fields import Field
from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.shapes import Summary, summarize
from tui_dl.core.i18n import N_, _, ngettext

Path = tuple[int, ...]


class BuildView(Vertical):
    BINDINGS = bindings("Build")  # see tui_dl.app.keys

    @dataclass
    class SelectionChanged(Message):
        """The student selected another row: a layer's path, or None for the input row."""

        path: tuple[int, ...] | None

    @dataclass
    class TryIt(Message):
        """``t``: open the lab that shows this layer, with its arguments (the app's lab controller)."""

        layer: object  # LayerSpec

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.selection: Path | None = None
        self.summary: Summary | None = None
        self.experiment: Experiment | None = None
        self._toast: tuple[Notification, int] | None = None  # the last edit's toast and how many it counts

    def compose(self) -> ComposeResult:
        yield Static("", id="problems-banner")
        with Horizontal(id="build-main"):
            with Vertical(id="palette-col", classes="panel") as col:
                col.border_title = _("Palette")
                col.border_subtitle = _("enter adds")
                yield LayerPalette(id="palette")
            with Vertical(id="stack-col"):
                stack = LayerStack(id="layer-stack", classes="panel")
                stack.border_title = _("Network")
                stack.border_subtitle = _("a add · d delete · ⇧↑↓ move")
                yield stack
                with VerticalScroll(id="form-box", classes="panel", can_focus=False) as box:
                    box.border_title = _("Arguments")
                    yield FieldForm(id="layer-form")
            with Vertical(id="table-col"):
                table = SummaryTable(id="summary-table", classes="panel")
                table.border_title = _("Shapes")
                yield table
                detail = DetailPane(id="detail-pane", classes="panel")
                detail.border_title = _("Explain")
                yield detail
        yield TotalsBar(id="totals-bar")

    # ------------------------------------------------------------------ showing
    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_hint)  # once the panes have their new sizes

    def _fit_hint(self) -> None:
        """The Network pane's key hint in words that fit its border (80 columns cut "move" short)."""
        stack = self.query_one("#layer-stack")
        wide = stack.size.width == 0 or stack.size.width >= 32
        # TRANSLATORS: the short form of "a add · d delete · ⇧↑↓ move", for a narrow pane
        stack.border_subtitle = _("a add · d delete · ⇧↑↓ move") if wide else _("a add · d del · ⇧↑↓ move")

    def relabel(self) -> None:
        """Re-translate the pane titles and hints, and show the selection again (after a language switch)."""
        for sel, title in (("#palette-col", N_("Palette")), ("#layer-stack", N_("Network")),
                           ("#form-box", N_("Arguments")), ("#summary-table", N_("Shapes")),
                           ("#detail-pane", N_("Explain"))):
            self.query_one(sel).border_title = _(title)
        self.query_one("#palette-col").border_subtitle = _("enter adds")
        self._fit_hint()
        self._show_selection()
        relabel = getattr(self.query_one("#layer-form", FieldForm), "relabel", None)
        if callable(relabel):  # its rows, from the fields just handed to it
            relabel()

    def show_problems(self, text) -> None:
        """A file that could not be opened: its problems (file:line: field: message), or None to hide."""
        banner = self.query_one("#problems-banner", Static)
        banner.display = text is not None
        banner.update(text or "")

    def show(self, experiment: Experiment, summary: Summary, selection: Path | None) -> None:
        self.experiment, self.summary = experiment, summary
        self.selection = clamp_path(experiment.network, selection)
        with self.app.batch_update():
            self.query_one(LayerStack).show(summary, self.selection)
            self.query_one(SummaryTable).show(summary, self.selection)
            self._show_selection()
            self.query_one(TotalsBar).show(summary, experiment)

    def _show_selection(self) -> None:
        exp, summary, path = self.experiment, self.summary, self.selection
        if exp is None or summary is None:
            return
        form = self.query_one("#layer-form", FieldForm)
        box = self.query_one("#form-box")
        detail = self.query_one(DetailPane)
        pal = palette(self.app)
        if path is None:
            box.border_title = _("Input shape")
            form.load([INPUT_FIELD], {"input": list(exp.network.input_shape)}, key=("input",), page=("input",))
            detail.show(explain_input(summary, exp, pal))
            return
        layer = exp.network.get_layer(path)
        row = summary.row(path)
        kind = REGISTRY.get(layer.type)
        box.border_title = _("{kind} · layer {path}").format(kind=layer.type,
                                                             path=path_text(tuple(i + 1 for i in path)))
        if kind is None:
            form.load([], {}, key=("layer", path, layer.type), page=("unknown",),
                      empty_text=_("Unknown layer type {kind!r}: delete it (d) and add a known one (a).").format(
                          kind=layer.type))
        else:
            same_group = tuple(k.name for k in REGISTRY.values() if k.group == kind.group)
            type_field = Field("type", "choice", layer.type, _("layer kind ({group}): switching keeps the "
                                                                "arguments both kinds have").format(group=kind.group),
                               choices=same_group)
            values = {"type": layer.type, **layer.params}
            placeholders = {}
            inferred = row.inferred if row else {}
            for f in kind.fields:
                if f.inferred:
                    placeholders[f.name] = (_("auto ({value})").format(value=inferred[f.name]) if f.name in inferred
                                             else _("auto"))
            form.load([type_field, *kind.fields], values, key=("layer", path, layer.type),
                      page=("layer", layer.type), placeholders=placeholders)
        if row is not None:
            detail.show(explain_layer(row, layer, pal))

    def _select(self, path: Path | None) -> None:
        if path == self.selection:
            return
        self.selection = path
        self.post_message(self.SelectionChanged(path))
        self.query_one(LayerStack).select_path(path)
        self.query_one(SummaryTable).select_path(path)
        self._show_selection()

    # Selection messages are handled by reading the widget's state *now*: the messages of programmatic
    # moves arrive later and may be stale, and acting on them would make the two lists chase each other.
    @on(LayerStack.Selected)
    def _stack_selected(self, event: LayerStack.Selected) -> None:
        stack = event.stack
        path = stack.current_path()
        if path is not False and stack.has_focus:
            self._select(path)

    @on(LayerStack.Activated)
    def _stack_activated(self) -> None:
        self.action_edit_selected()

    @on(SummaryTable.Selected)
    def _table_selected(self, event: SummaryTable.Selected) -> None:
        table = event.table
        path = table.current_path()
        if path is not False and table.has_focus:
            self._select(path)

    # ------------------------------------------------------------------ editing
    def _commit(self, network, *, selection: Path | None, key=None, message: str = "") -> None:
        self.selection = clamp_path(network, selection)
        self._edit(replace(self.experiment, network=network), key=key, selection=self.selection)
        if message:
            self._edit_toast(message)

    def _edit_toast(self, message: str) -> None:
        """One toast for the edits made in a row (twelve deletes show one toast, not a stack of twelve): the
        previous edit's toast, while it is still shown, is replaced, and the toast counts the edits."""
        app = self.app
        shown = getattr(app, "_notifications", None)
        prev, count = self._toast or (None, 0)
        if prev is not None and shown is not None and prev in shown:
            app._unnotify(prev, refresh=False)
        else:
            count = 0
        count += 1
        text = (_("{message} (ctrl+z undoes)").format(message=message) if count == 1 else
                _("{message} ({count} edits: ctrl+z undoes each)").format(message=message, count=count))
        toast = Notification(text, "", "information", 3)
        self._toast = (toast, count)
        app.post_message(Notify(toast))

    def _edit(self, exp: Experiment, *, key, selection: Path | None) -> None:
        # The next key may be handled before the app has shown this edit back (a busy UI, a held key): it must
        # work on this edit's result, so the view takes it at once. The app's show() then confirms it.
        self.experiment, self.summary = exp, summarize(exp.network)
        self.post_message(EditRequested(exp, key=key, selection=selection))

    @on(FieldForm.Changed, "#layer-form")
    def _form_changed(self, event: FieldForm.Changed) -> None:
        event.stop()
        exp, path = self.experiment, self.selection
        if exp is None:
            return
        if path is None:
            if event.name == "input" and event.value:
                self._edit(replace(exp, network=replace(exp.network, input_shape=tuple(event.value))),
                           key=("input",), selection=None)
            return
        layer = exp.network.get_layer(path)
        if event.name == "type":
            if event.value and event.value != layer.type:
                self._commit(exp.network.replace_layer(path, change_type(layer, event.value)), selection=path,
                             key=None)
            return
        kind = REGISTRY.get(layer.type)
        f = kind.field(event.name) if kind else None
        value = event.value
        if f is not None and f.kind in ("bool", "choice") and value == f.default:
            value = None
        new = layer.with_params(**{event.name: value})
        self._commit(exp.network.replace_layer(path, new), selection=path, key=("field", path, event.name))

    def insert(self, kind: str, path: Path) -> None:
        if self.summary is None or self.experiment is None:
            return
        layer = new_layer(kind, self.summary.incoming_shape(path))
        self._commit(self.experiment.network.insert_layer(path, layer), selection=path)

    def _pick_then(self, title: str, then) -> None:
        from tui_dl.app.screens.add_layer_modal import AddLayerModal

        def done(kind: str | None) -> None:
            if kind:
                then(kind)

        self.app.push_screen(AddLayerModal(title), done)

    def action_add_layer(self) -> None:
        where = after(self.selection)
        self._pick_then(_("Add a layer after {where}").format(where=self._where_text()), lambda k: self.insert(k, where))

    def action_insert_layer(self) -> None:
        where = self.selection if self.selection is not None else (0,)
        self._pick_then(_("Insert a layer before {where}").format(where=self._where_text()), lambda k: self.insert(k, where))

    def action_nest_layer(self) -> None:
        path = self.selection
        if path is None or self.experiment is None or \
                not getattr(REGISTRY.get(self.experiment.network.get_layer(path).type), "container", False):
            self.notify(_("Select a Residual block first: n adds a layer inside it."), severity="warning")
            return
        where = path + (len(self.experiment.network.get_layer(path).layers),)
        self._pick_then(_("Add a layer inside block {path}").format(path=path_text(tuple(i + 1 for i in path))),
                        lambda k: self.insert(k, where))

    def _where_text(self) -> str:
        if self.selection is None:
            return _("the input")
        return _("layer {path}").format(path=".".join(str(i + 1) for i in self.selection))

    def action_delete_layer(self) -> None:
        if self.selection is None or self.experiment is None:
            self.notify(_("The input row cannot be deleted; select a layer."), severity="warning")
            return
        path = self.selection
        layer = self.experiment.network.get_layer(path)
        self._commit(self.experiment.network.remove_layer(path), selection=path,
                     message=_("Deleted {kind}").format(kind=layer.type))

    def action_duplicate_layer(self) -> None:
        if self.selection is None or self.experiment is None:
            return
        path = self.selection
        layer = self.experiment.network.get_layer(path)
        self._commit(self.experiment.network.insert_layer(after(path), layer), selection=after(path))

    def action_move_layer(self, delta: int) -> None:
        if self.selection is None or self.experiment is None:
            return
        path = self.selection
        spec = self.experiment.network
        moved = spec.move_layer(path, delta)
        if moved == spec:
            return
        self._commit(moved, selection=path[:-1] + (path[-1] + delta,))

    def action_apply_fix(self) -> None:
        if self.summary is None or self.experiment is None:
            return
        found = fix_for(self.summary.rows, self.selection)
        if found is None:
            if self.summary.first_error:
                self.notify(_("This error has no automatic fix: see the explanation and edit the layer."),
                            severity="warning")
            else:
                self.notify(_("Nothing to fix: every layer fits."))
            return
        path, fix = found
        self._commit(apply_fix(self.experiment.network, path, fix), selection=path,
                     message=_("Layer {path}: {fix}").format(path=path_text(tuple(i + 1 for i in path)),
                                                                fix=fix.description))

    def action_replace_activations(self) -> None:
        if self.experiment is None:
            return
        counts = count_activations(self.experiment.network)
        if not counts:
            self.notify(_("This network has no activation layers to replace (Softmax outputs stay)."),
                        severity="warning")
            return
        from tui_dl.app.screens.activation_modal import ActivationModal

        def done(kind: str | None) -> None:
            if not kind or self.experiment is None:
                return
            network, n = replace_activations(self.experiment.network, kind)
            if not n:
                self.notify(_("Every activation is already {kind}.").format(kind=kind))
                return
            self._commit(network, selection=self.selection,
                         message=ngettext("Replaced {n} activation with {kind}",
                                                  "Replaced {n} activations with {kind}", n).format(n=n, kind=kind))

        self.app.push_screen(ActivationModal(counts), done)

    def action_try_lab(self) -> None:
        if self.selection is None or self.experiment is None:
            self.notify(_("Select a layer first: t opens its lab (Conv2d, pooling, activations)."),
                        severity="warning")
            return
        self.post_message(self.TryIt(self.experiment.network.get_layer(self.selection)))

    def action_edit_selected(self) -> None:
        self.query_one("#layer-form", FieldForm).focus_first(skip=("type",))

    def action_focus_stack(self) -> None:
        stack = self.query_one(LayerStack)
        banner = self.query_one("#problems-banner", Static)
        if stack.has_focus and banner.display:
            self.show_problems(None)  # esc in the list dismisses the "could not open" banner
        stack.focus()

    @on(LayerPalette.Picked)
    def _palette_picked(self, event: LayerPalette.Picked) -> None:
        self.insert(event.kind, after(self.selection))
