"""The registry's shared parts: the records every layer kind uses, the registry itself, and the shape helpers.

Plain Python (no torch). The kinds themselves live in one module per group beside this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _, ngettext
from tui_dl.core.model.spec import CONTAINER_TYPES, LayerSpec

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Fix:
    """A one-key repair offered with an error: set some arguments, or insert a layer before."""

    description: str
    set_params: dict[str, Any] | None = None
    insert_before: LayerSpec | None = None


class ShapeError(Exception):
    """A layer cannot accept the shape that arrives; ``fix`` is the suggested repair, if any."""

    def __init__(self, message: str, *, field: str | None = None, fix: Fix | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.fix = fix


@dataclass
class Calc:
    """What one layer does to the shape, and what it costs."""

    out_shape: Shape
    params: int = 0
    buffers: int = 0
    macs: int = 0
    shape_formula: list[str] = field(default_factory=list)
    param_formula: str = "0"
    warnings: list[str] = field(default_factory=list)
    #: Arguments worked out from the incoming shape (in_channels, in_features, num_features, ...).
    inferred: dict[str, Any] = field(default_factory=dict)

    #: Values the rule worked out that the torch builder needs (passed to ``build`` as keyword arguments):
    #: Residual's skip projection, for example. Not shown to the user.
    build_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inner:
    """What a container's inner layers add up to, handed to its ``infer`` rule."""

    out_shape: Shape | None
    params: int = 0
    buffers: int = 0
    macs: int = 0
    count: int = 0


def _bare_label(layer: LayerSpec, inferred: dict) -> str:
    return layer.type


def _no_args_starter(in_shape: Shape | None) -> tuple[dict[str, Any], tuple[LayerSpec, ...]]:
    return {}, ()


@dataclass(frozen=True)
class LayerKind:
    """One layer kind. ``infer(in_shape, args)`` (containers: ``infer(in_shape, args, inner)``) is the shape
    and parameter rule; ``build(in_shape, args, **calc.build_args)`` (containers also get ``inner_modules``)
    makes the torch module; ``label(layer, inferred)`` is the short label; ``starter(in_shape)`` gives the
    ``(params, inner layers)`` a new layer starts with (every required field filled in)."""

    name: str
    group: str
    summary: str
    fields: tuple[Field, ...]
    infer: Callable[..., Calc]
    build: Callable[..., Any]
    #: The function the layer computes, as a student would write it (for the explain pane).
    math: str = ""
    #: Holds inner layers (``layers:``), like Residual.
    container: bool = False
    label: Callable[[LayerSpec, dict], str] = _bare_label
    starter: Callable[[Shape | None], tuple[dict[str, Any], tuple[LayerSpec, ...]]] = _no_args_starter

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def resolve_args(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in for every field the user did not write (values already validated)."""
        args = {f.name: f.default for f in self.fields}
        args.update(params)
        return args

    def new(self, in_shape: Shape | None) -> LayerSpec:
        """A new layer of this kind with its starter arguments (fitted to ``in_shape`` where known)."""
        params, layers = self.starter(in_shape)
        return LayerSpec(self.name, dict(params), tuple(layers))


# the group names are ids (LayerKind.group) and marked, so a view can show them with _(group)
GROUPS = (N_("convolution"), N_("pooling"), N_("linear"), N_("activation"), N_("normalization"),
          N_("regularization"), N_("structure"))

REGISTRY: dict[str, LayerKind] = {}


def register(kind: LayerKind) -> LayerKind:
    REGISTRY[kind.name] = kind
    if kind.container:
        CONTAINER_TYPES.add(kind.name)
    return kind


# ----------------------------------------------------------------------------- formatting helpers


def fmt(n: int) -> str:
    return f"{n:,}"


def shape_str(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "×".join(str(d) for d in shape)


def _dims_text(h_text: str, w_text: str) -> list[str]:
    if h_text == w_text:
        return [f"H, W: {h_text}"]
    return [f"H: {h_text}", f"W: {w_text}"]


def _need_image(in_shape: Shape, name: str) -> None:
    if len(in_shape) != 3:
        if len(in_shape) == 1:
            raise ShapeError(_(
                "{name} needs an image-shaped input [channels, height, width], but a flat vector of "
                "{n} features arrives. Put {name} before the Flatten, or set the network's "
                "input to [channels, height, width].").format(name=name, n=in_shape[0]))
        raise ShapeError(_("{name} needs an input [channels, height, width]; got {shape}.").format(
            name=name, shape=shape_str(in_shape)))


def _window_out(n: int, k: int, s: int, pl: int, pr: int, d: int, ceil_mode: bool) -> tuple[int, str, int]:
    """Output length of a sliding window, the formula text, and the leftover: the rows of the *input* (not its
    padding) that no window covers. A 3×3/stride-2/pad-1 conv on 28 rows leaves one padding row uncovered and
    drops no pixel, so its leftover is 0."""
    span = n + pl + pr - d * (k - 1) - 1
    if ceil_mode:  # torch's pooling_output_shape: round up, but the last window must start inside the input
        out = (span + s - 1) // s + 1
        if (out - 1) * s >= n + pl:
            out -= 1
    else:
        out = span // s + 1
    pad = f"2·{pl}" if pl == pr else f"{pl}+{pr}"
    ktxt = f"{k}" if d == 1 else f"{d}·({k}−1)−1"
    inner = f"{n}+{pad}−{ktxt}"
    if d == 1:
        inner = f"{n}+{pad}−{k}"
    br = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    text = f"{br[0]}({inner})/{s}{br[1]}+1 = {out}"
    uncovered = (n + pl + pr - (d * (k - 1) + 1)) % s if span >= 0 else 0  # last rows of the padded input
    return out, text, max(0, uncovered - pr)


def _leftover_warning(leftover_h: int, leftover_w: int, s_txt: str) -> list[str]:
    out = []
    rows = ngettext("{n} row", "{n} rows", leftover_h).format(n=leftover_h)
    cols = ngettext("{n} column", "{n} columns", leftover_w).format(n=leftover_w)
    if leftover_h and leftover_w:
        out.append(_("the window does not divide evenly (stride {stride}): the last {rows} and {cols} of the "
                     "input are never covered, so ⌊…⌋ drops them").format(stride=s_txt, rows=rows, cols=cols))
    elif leftover_h or leftover_w:
        out.append(_("the window does not divide evenly (stride {stride}): the last {what} of the "
                     "input are never covered, so ⌊…⌋ drops them").format(stride=s_txt,
                                                                          what=rows if leftover_h else cols))
    return out


def _check_given(args: dict, name: str, actual: int, what: str) -> None:
    given = args.get(name)
    if given is not None and given != actual:
        if what == "channels":
            text = _("{name} is {given}, but {actual} channels arrive from the layer before. "
                     "Set {name} to {actual} (or leave it out: tui-dl infers it).")
        else:
            text = _("{name} is {given}, but {actual} features arrive from the layer before. "
                     "Set {name} to {actual} (or leave it out: tui-dl infers it).")
        raise ShapeError(
            text.format(name=name, given=given, actual=actual),
            field=name,
            fix=Fix(_("set {name} to {value}").format(name=name, value=actual), set_params={name: actual}),
        )


def show(x) -> str:
    """An argument value as a label shows it: ``5`` or ``3×5``."""
    return f"{x[0]}×{x[1]}" if isinstance(x, (list, tuple)) else str(x)
