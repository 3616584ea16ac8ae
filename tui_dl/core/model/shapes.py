"""Shape and parameter inference in plain Python: one row per layer, with the working shown.

``summarize(spec)`` never raises for a bad network: a layer that cannot work gets a row with an
``error`` (and usually a ``fix``), every layer before it keeps its row, and the layers after it are
marked ``skipped``. It imports no torch, so it runs on every keystroke (microseconds per layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tui_dl.core.config.fields import FieldError, suggest
from tui_dl.core.i18n import _
from tui_dl.core.model.layers import REGISTRY, Calc, Fix, Inner, ShapeError, layer_label
from tui_dl.core.model.spec import LayerSpec, NetworkSpec

Shape = tuple[int, ...]
BYTES_PER_VALUE = 4  # float32


@dataclass
class LayerRow:
    path: tuple[int, ...]
    type: str
    label: str
    in_shape: Shape | None
    out_shape: Shape | None = None
    params: int = 0
    buffers: int = 0
    macs: int = 0
    shape_formula: list[str] = field(default_factory=list)
    param_formula: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_field: str | None = None
    fix: Fix | None = None
    skipped: bool = False
    inferred: dict = field(default_factory=dict)
    #: The validated arguments, defaults filled in (empty when the layer has an error or was skipped).
    args: dict = field(default_factory=dict)
    #: What the shape rule worked out for the torch builder (``Calc.build_args``).
    build_args: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def index_text(self) -> str:
        return ".".join(str(i + 1) for i in self.path)

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.skipped:
            return "skipped"
        return "warning" if self.warnings else "ok"

    @property
    def out_values(self) -> int | None:
        """Values in one sample's output (``6×28×28`` → 4,704); None when the output is unknown."""
        return None if self.out_shape is None else math.prod(self.out_shape)

    @property
    def macs_per_output(self) -> int | None:
        """Multiply-adds behind each output value, when every output value costs the same (``macs`` =
        ``out_values`` × this: ``in_channels·kh·kw`` for a convolution, ``in_features`` for a Linear); else None."""
        n = self.out_values
        if not self.macs or not n or self.macs % n:
            return None
        return self.macs // n


@dataclass
class Totals:
    params: int = 0
    trainable: int = 0
    buffers: int = 0
    macs: int = 0
    #: Forward activations of one sample, in bytes (float32): what each layer's output holds.
    activation_bytes: int = 0
    param_bytes: int = 0
    out_shape: Shape | None = None


@dataclass
class Summary:
    input_shape: Shape
    rows: list[LayerRow]
    totals: Totals
    errors: list[str] = field(default_factory=list)  # network-level problems (empty network, bad input)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(r.error for r in self.rows)

    @property
    def first_error(self) -> LayerRow | None:
        return next((r for r in self.rows if r.error), None)

    @property
    def problem_text(self) -> str | None:
        """The first problem as one sentence (``layer 2 (Linear): …``, or the network-level one); None if ok."""
        if self.errors:
            return self.errors[0]
        row = self.first_error
        return None if row is None else _("layer {index} ({kind}): {error}").format(
            index=row.index_text, kind=row.type, error=row.error)

    def row(self, path: tuple[int, ...]) -> LayerRow | None:
        return next((r for r in self.rows if r.path == path), None)

    def incoming_shape(self, path: tuple[int, ...]) -> Shape | None:
        """The shape that would arrive at a layer inserted at ``path``: what the layer there now receives, else
        what the layer before it sends, else (first inside a block) what the block receives, else the input."""
        rows = {r.path: r for r in self.rows}
        if path in rows:
            return rows[path].in_shape
        before = path[:-1] + (path[-1] - 1,)
        if path[-1] > 0 and before in rows:
            return rows[before].out_shape
        if len(path) > 1 and path[:-1] in rows:
            return rows[path[:-1]].in_shape
        return tuple(self.input_shape)


@dataclass(frozen=True)
class LayerProblem:
    """One thing wrong with a layer's type or arguments, found by :func:`validate_layer`."""

    path: tuple[int, ...]  # where the layer sits: its index (nested for the layers of a block)
    field: str | None  # "type", the argument's name, "layers", or None for the layer as a whole
    message: str  # the sentence on its own: "Linear needs out_features (number of outputs)."
    fix: Fix | None = None
    #: The same problem said where the file path already names the layer and field (the YAML checker's
    #: ``layers[0].kernel_size: …`` lines); same rule, shorter words.
    short: str = ""


def validate_layer(layer: LayerSpec, path: tuple[int, ...] = (), holds_layers: bool | None = None
                   ) -> tuple[dict | None, list[LayerProblem]]:
    """Check a layer's type and arguments: ``(args, [])`` with defaults filled in, or ``(None, problems)``
    in the order they are met (unknown type; each unknown or bad argument; missing required ones; inner
    layers in a kind that holds none). ``holds_layers`` says whether inner layers were given (default:
    ``layer.layers`` is not empty)."""
    kind = REGISTRY.get(layer.type)
    if kind is None:
        hint = suggest(layer.type, REGISTRY)
        msg = (_("unknown layer type {kind}. Did you mean {hint}?") if hint else
               _("unknown layer type {kind}. Known types: {kinds}.")).format(
            kind=repr(layer.type), hint=repr(hint), kinds=", ".join(REGISTRY))
        return None, [LayerProblem(path, "type", msg, None, msg)]
    problems: list[LayerProblem] = []
    clean = {}
    for name, value in layer.params.items():
        f = kind.field(name)
        if f is None:
            hint = suggest(str(name), [x.name for x in kind.fields])
            allowed = ", ".join(x.name for x in kind.fields) or _("none")
            msg = (_("{kind} has no argument {name}. Did you mean {hint}?") if hint else
                   _("{kind} has no argument {name}. Its arguments: {allowed}.")).format(
                kind=layer.type, name=repr(name), hint=repr(hint), allowed=allowed)
            short = (_("unknown field. Did you mean {hint}?") if hint else
                     _("unknown field. Known fields: {known}.")).format(hint=repr(hint), known=allowed)
            fix = Fix(_("rename {name} to {hint}").format(name=name, hint=hint),
                      set_params={name: None, hint: value}) if hint else \
                Fix(_("remove {name}").format(name=name), set_params={name: None})
            problems.append(LayerProblem(path, name, msg, fix, short))
            continue
        try:
            clean[name] = f.coerce(value)
        except FieldError as e:
            problems.append(LayerProblem(path, name, f"{name}: {e}.", None, f"{e}."))
    for f in kind.fields:
        if f.required and f.name not in layer.params:
            msg = _("{kind} needs {name} ({help})").format(kind=layer.type, name=f.name, help=_(f.help))
            problems.append(LayerProblem(path, f.name, msg + ".", None, msg))
    if (bool(layer.layers) if holds_layers is None else holds_layers) and not kind.container:
        msg = _("{kind} cannot hold inner layers (only Residual can)").format(kind=layer.type)
        problems.append(LayerProblem(path, "layers", msg + ".", None, msg))
    if problems:
        return None, problems
    return kind.resolve_args(clean), []


def _summarize_layers(layers, in_shape: Shape, prefix: tuple[int, ...], rows: list[LayerRow],
                      failed: bool) -> tuple[Shape | None, bool, int, int, int]:
    """Append rows for ``layers``; returns (out_shape, failed, params, buffers, macs)."""
    shape: Shape | None = in_shape
    total_p = total_b = total_m = 0
    for i, layer in enumerate(layers):
        path = prefix + (i,)
        row = LayerRow(path=path, type=layer.type, label=layer_label(layer), in_shape=shape)
        rows.append(row)
        if failed:
            row.skipped = True
            if layer.layers:
                _summarize_layers(layer.layers, None, path, rows, True)
            continue
        args, problems = validate_layer(layer, path)
        if problems:
            first = problems[0]
            row.error, row.error_field, row.fix = first.message, first.field, first.fix
            failed = True
            if layer.layers:
                _summarize_layers(layer.layers, None, path, rows, True)
            continue
        row.args = args
        kind = REGISTRY[layer.type]
        try:
            if kind.container:
                inner_out, inner_failed, ip, ib, im = _summarize_layers(layer.layers, shape, path, rows, False)
                if inner_failed:
                    row.error = "an inner layer of this block has an error (see below)."
                    failed = True
                    continue
                calc: Calc = kind.infer(shape, args, Inner(inner_out, ip, ib, im, len(layer.layers)))
            else:
                calc = kind.infer(shape, args)
        except ShapeError as e:
            row.error, row.error_field, row.fix = e.message, e.field, e.fix
            failed = True
            continue
        row.out_shape = calc.out_shape
        row.params, row.buffers, row.macs = calc.params, calc.buffers, calc.macs
        row.shape_formula, row.param_formula, row.warnings = calc.shape_formula, calc.param_formula, calc.warnings
        row.inferred = calc.inferred
        row.build_args = calc.build_args
        row.label = layer_label(layer, calc.inferred)
        shape = calc.out_shape
        total_p += calc.params
        total_b += calc.buffers
        total_m += calc.macs
    return (None if failed else shape), failed, total_p, total_b, total_m


def summarize(spec: NetworkSpec) -> Summary:
    """Rows for every layer (nested rows for Residual blocks) and the network's totals."""
    rows: list[LayerRow] = []
    errors: list[str] = []
    in_shape = tuple(spec.input_shape)
    if not in_shape or any((not isinstance(d, int)) or d < 1 for d in in_shape) or len(in_shape) not in (1, 2, 3):
        errors.append(_("the input shape {shape} is not valid: use [features] or [channels, height, width].").format(
            shape=list(in_shape)))
        _summarize_layers(spec.layers, None, (), rows, True)
        return Summary(in_shape, rows, Totals(), errors)
    if not spec.layers:
        errors.append("the network has no layers yet: add one (for example Flatten, then Linear).")
    out, _failed, p, b, m = _summarize_layers(spec.layers, in_shape, (), rows, False)
    act = sum(math.prod(r.out_shape) for r in rows if r.out_shape is not None and not _is_container(r))
    totals = Totals(params=p, trainable=p, buffers=b, macs=m, activation_bytes=act * BYTES_PER_VALUE,
                    param_bytes=(p + b) * BYTES_PER_VALUE, out_shape=out)
    return Summary(in_shape, rows, totals, errors)


def _is_container(row: LayerRow) -> bool:
    kind = REGISTRY.get(row.type)
    return bool(kind and kind.container)


#: Extra per-parameter float32 copies an optimizer keeps (momentum buffers, Adam's two moments).
OPTIMIZER_STATE_COPIES = {"gd": 0, "sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1,
                          "adam": 2, "adamw": 2}


def training_memory_estimate(summary: Summary, batch_size: int, optimizer: str = "adam") -> dict[str, int]:
    """A rough training-memory budget in bytes: weights, gradients, optimizer state, activations.

    Activations are counted twice (kept for backward, plus their gradients): an estimate, not a measurement.
    """
    t = summary.totals
    weights = t.param_bytes
    grads = t.params * BYTES_PER_VALUE
    opt = OPTIMIZER_STATE_COPIES.get(optimizer, 2) * t.params * BYTES_PER_VALUE
    acts = 2 * t.activation_bytes * batch_size
    inputs = math.prod(summary.input_shape) * BYTES_PER_VALUE * batch_size
    return {"weights": weights, "gradients": grads, "optimizer": opt, "activations": acts, "inputs": inputs,
            "total": weights + grads + opt + acts + inputs}


def human_bytes(n: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def human_count(n: int) -> str:
    """``61,706`` / ``2.3 M`` style counts for tight spaces."""
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000_000:
        return f"{n / 1e6:.2f} M"
    return f"{n / 1e9:.2f} G"
