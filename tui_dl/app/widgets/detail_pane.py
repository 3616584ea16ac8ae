"""The "explain" pane (worked formulas for the selected layer) and the always-visible totals bar."""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui_dl.app.editing import to_text
from tui_dl.app.lab_links import TRY_IT, lab_for_layer
from tui_dl.app.widgets.colors import Palette, palette
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.i18n import _, ljust, ngettext, rjust
from tui_dl.core.model.layers import REGISTRY, shape_str
from tui_dl.core.model.shapes import LayerRow, Summary, human_bytes, human_count, training_memory_estimate
from tui_dl.core.model.spec import LayerSpec


def _heading(text: str, pal: Palette) -> Text:
    return Text(text, style=f"bold {pal.primary}")


def explain_layer(row: LayerRow, layer: LayerSpec, pal: Palette) -> Group:
    kind = REGISTRY.get(layer.type)
    parts: list = []
    title = Text.assemble((_("Layer {index} · ").format(index=row.index_text), pal.muted), (row.label, "bold"))
    parts.append(title)
    if kind is not None:
        parts.append(Text(_(kind.summary), style="italic"))
    # TRANSLATORS: the layer's input and output shapes: "in 1×28×28  →  out 6×28×28"
    flow = Text.assemble((_("in") + " ", pal.muted), (shape_str(row.in_shape), pal.accent),
                         ("  →  " + _("out") + " ", pal.muted),
                         (shape_str(row.out_shape) if row.out_shape else ("✗" if row.error else "?"),
                          pal.accent if row.out_shape else pal.error))
    parts.append(flow)
    if (link := lab_for_layer(layer.type, layer.params)) is not None:
        before, _sep, after = _(TRY_IT.get(link.lab, TRY_IT["conv"])).format(key="\0").partition("\0")
        parts.append(Text.assemble((before, pal.muted), ("t", f"bold reverse {pal.accent}"), (after, pal.muted)))
    if row.error:
        parts.append(Text(""))
        parts.append(Text(f"✗ {row.error}", style=f"bold {pal.error}"))
        if row.fix:
            before, _sep, after = _("press {key} to fix: {fix}").format(
                key="\0", fix=row.fix.description).partition("\0")
            parts.append(Text.assemble(("  " + before, pal.error), ("f", f"bold reverse {pal.error}"),
                                       (after, pal.error)))
    elif row.skipped:
        parts.append(Text(_("not computed: a layer above has an error (fix that one first)"), style=pal.muted))
    if row.shape_formula:
        parts.append(Text(""))
        parts.append(_heading(_("Output size"), pal))
        for line in row.shape_formula:
            parts.append(Text("  " + line))
    if row.out_shape is not None:
        parts.append(Text(""))
        parts.append(Text.assemble((_("Parameters") + " ", f"bold {pal.primary}"), (f"{row.params:,}", "bold")))
        parts.append(Text("  " + (row.param_formula or "0")))
        if row.buffers:
            parts.append(Text(_("  + {n:,} buffer values (saved with the model, not trained)").format(n=row.buffers),
                              style=pal.muted))
        macs = Text.assemble((_("Mult-adds") + " ", f"bold {pal.primary}"), (f"{row.macs:,}", "bold"),
                             (" " + _("per sample"), pal.muted))
        parts.append(macs)
        if row.macs_per_output is not None:
            parts.append(Text(_("  {values:,} output values × {each:,} multiply-adds each").format(
                values=row.out_values, each=row.macs_per_output)))
    for w in row.warnings:
        parts.append(Text(f"⚠ {w}", style=pal.warning))
    if kind is not None and kind.math:
        parts.append(Text(""))
        parts.append(_heading(_("What it computes"), pal))
        parts.append(Text("  " + _(kind.math)))
    if kind is not None and kind.fields:
        parts.append(Text(""))
        parts.append(_heading(_("Arguments"), pal))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for f in kind.fields:
            given = f.name in layer.params
            if given:
                value = to_text(f, layer.params[f.name])
            elif f.inferred and f.name in row.inferred:
                value = _("{value} (inferred)").format(value=row.inferred[f.name])
            else:
                value = _("{value} (default)").format(value=to_text(f, f.default) or _("none"))
            style = f"bold {pal.error}" if row.error_field == f.name else ("bold" if given else "")
            grid.add_row(Text("  " + f.name, style=style), Text(value, style=style), Text(_(f.help), style=pal.muted))
        parts.append(grid)
    return Group(*parts)


def explain_input(summary: Summary, exp: Experiment, pal: Palette) -> Group:
    t = summary.totals
    shape = summary.input_shape
    parts: list = [Text.assemble((_("Input") + " · ", pal.muted), (shape_str(shape), "bold"))]
    n = math.prod(shape) if shape else 0
    text = (_("One sample: channels × height × width = {n:,} values. During training a batch dimension of "
              "{batch} is added in front: {batch}×{shape}.") if len(shape) == 3 else
            _("One sample: features = {n:,} values. During training a batch dimension of "
              "{batch} is added in front: {batch}×{shape}."))
    parts.append(Text(text.format(n=n, batch=exp.train.batch_size, shape=shape_str(shape))))
    parts.append(Text(_("Edit it below: e.g. 1, 28, 28 for a grey 28×28 image, 3, 32, 32 for colour, 2 for "
                        "points in the plane."), style=pal.muted))
    for err in summary.errors:
        parts.append(Text(f"✗ {err}", style=pal.error))
    if summary.rows and not summary.errors:
        parts.append(Text(""))
        parts.append(_heading(_("Totals"), pal))
        parts.append(Text(_("  parameters {params:,} (trainable {trainable:,}), buffers {buffers:,}").format(
            params=t.params, trainable=t.trainable, buffers=t.buffers)))
        parts.append(Text(_("  mult-adds per sample {macs:,}").format(macs=t.macs)))
        parts.append(Text(_("  output {shape}").format(shape=shape_str(t.out_shape) if t.out_shape else "?")))
        mem = training_memory_estimate(summary, exp.train.batch_size, exp.train.optimizer.name)
        parts.append(Text(""))
        parts.append(_heading(_("Training memory estimate (batch {batch}, {optimizer})").format(
            batch=exp.train.batch_size, optimizer=exp.train.optimizer.name), pal))
        rows = [(_("weights"), mem["weights"], _("every parameter and buffer, float32")),
                (_("gradients"), mem["gradients"], _("one per parameter")),
                (_("optimizer"), mem["optimizer"], _("momentum / Adam moments")),
                (_("activations"), mem["activations"], _("each layer's output, kept for backward (×2 with grads)")),
                (_("inputs"), mem["inputs"], _("one batch of input images"))]
        for name, value, why in rows:
            parts.append(Text.assemble(("  " + ljust(name, 12), ""), (rjust(human_bytes(value), 10) + "  ", "bold"),
                                       (why, pal.muted)))
        parts.append(Text.assemble(("  " + ljust(_("total"), 12), "bold"),
                                   (rjust(human_bytes(mem['total']), 10), "bold"),
                                   ("  " + _("an estimate, not a measurement"), pal.muted)))
    return Group(*parts)


class DetailPane(VerticalScroll):
    """A scrolling Static that shows the explanation for the selection."""

    DEFAULT_CSS = """
    DetailPane > Static { width: 1fr; height: auto; }
    """

    def compose(self):
        yield Static("", id="detail-text")

    def show(self, renderable) -> None:
        self.renderable = renderable
        self.query_one("#detail-text", Static).update(renderable)

    def plain_text(self, width: int = 200) -> str:
        """What the pane says, as plain text (for tests and copy)."""
        import io

        from rich.console import Console

        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(getattr(self, "renderable", ""))
        return console.file.getvalue()


class TotalsBar(Static):
    """Params · mult-adds · memory estimate · output · status, always visible under the build view."""

    DEFAULT_CSS = """
    TotalsBar { height: 1; width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._summary: Summary | None = None
        self._exp: Experiment | None = None

    def show(self, summary: Summary, exp: Experiment) -> None:
        self._summary, self._exp = summary, exp
        self.refresh()

    def on_resize(self) -> None:
        self.refresh()

    def relabel(self) -> None:
        self.refresh()

    def render(self):
        s, exp = self._summary, self._exp
        if s is None or exp is None:
            return ""
        pal = palette(self.app)
        t = s.totals
        width = self.size.width or 120
        first = s.first_error
        if s.errors and not s.rows:
            status = Text(f"✗ {s.errors[0]}", style=f"bold {pal.error}")
        elif first is not None:
            status = Text((_("✗ layer {index}: {kind} · f fixes") if first.fix else
                           _("✗ layer {index}: {kind}")).format(index=first.index_text, kind=first.type),
                          style=f"bold {pal.error}")
        elif s.errors:
            status = Text(f"✗ {s.errors[0]}", style=f"bold {pal.error}")
        else:
            warns = sum(1 for r in s.rows if r.warnings)
            status = Text(ngettext("⚠ {n} warning", "⚠ {n} warnings", warns).format(n=warns),
                          style=pal.warning) if warns else Text(_("✓ ready to train"), style=pal.success)
        mem = training_memory_estimate(s, exp.train.batch_size, exp.train.optimizer.name)["total"] \
            if s.ok else None
        out = shape_str(t.out_shape) if t.out_shape else "?"
        long = Text.assemble((_("Params") + " ", pal.muted), (f"{t.params:,}", "bold"),
                             (_(" (trainable {trainable:,} · buffers {buffers:,})").format(
                                 trainable=t.trainable, buffers=t.buffers), pal.muted),
                             ("  " + _("Mult-adds") + " ", pal.muted), (f"{t.macs:,}", "bold"),
                             ("  " + _("Train memory ≈") + " ", pal.muted), (human_bytes(mem) if mem else "–", "bold"),
                             (_(" (batch {batch}, {optimizer})").format(
                                 batch=exp.train.batch_size, optimizer=exp.train.optimizer.name), pal.muted),
                             ("  " + _("Output") + " ", pal.muted), (out, "bold"), "  ", status)
        if long.cell_len <= width:
            return long
        short = Text.assemble((_("Params") + " ", pal.muted), (human_count(t.params), "bold"),
                              # TRANSLATORS: short for mult-adds, in the totals bar of a narrow terminal
                              ("  " + _("MACs") + " ", pal.muted), (human_count(t.macs), "bold"),
                              # TRANSLATORS: short for training memory, in the totals bar of a narrow terminal
                              ("  " + _("Mem ≈") + " ", pal.muted), (human_bytes(mem) if mem else "–", "bold"),
                              ("  → ", pal.muted), (out, "bold"), "  ", status)
        short.truncate(width, overflow="ellipsis")
        return short
