"""Edits the app offers, in plain Python (no Textual): new layers with sensible arguments, text ↔ field-value
conversion for the inputs, applying a row's one-key fix, and a Setup form's change as an experiment edit.

Every function returns new values; nothing here keeps state.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.config.fields import Field, FieldError
from tui_dl.core.i18n import _
from tui_dl.core.model.layers import REGISTRY, Fix
from tui_dl.core.model.shapes import LayerRow
from tui_dl.core.model.spec import LayerSpec, NetworkSpec

Shape = tuple[int, ...]

#: The input shape as a field, so the input row is edited like any other value.
INPUT_FIELD = Field("input", "shape", None, "shape of one sample: [features] or [channels, height, width]",
                    required=True)


def new_layer(kind: str, in_shape: Shape | None) -> LayerSpec:
    """A new layer of ``kind`` with the required arguments filled in from the incoming shape (the kind's
    starter, declared with it in the registry)."""
    entry = REGISTRY.get(kind)
    return entry.new(in_shape) if entry is not None else LayerSpec(kind)


def change_type(layer: LayerSpec, kind: str) -> LayerSpec:
    """The layer turned into another kind, keeping the arguments the new kind also has."""
    target = REGISTRY[kind]
    fresh = new_layer(kind, None)
    params = {k: v for k, v in layer.params.items() if target.field(k) is not None}
    for k, v in fresh.params.items():
        params.setdefault(k, v)
    return LayerSpec(kind, params, layer.layers if target.container else ())


#: Activations that sit at a network's output (they turn scores into probabilities): "replace every activation"
#: leaves them alone and does not offer them.
OUTPUT_ACTIVATIONS = ("Softmax", "LogSoftmax")


def hidden_activation_kinds() -> list[str]:
    """The registry's activation kinds that "replace every activation" offers, in registry order."""
    return [k.name for k in REGISTRY.values() if k.group == "activation" and k.name not in OUTPUT_ACTIVATIONS]


def count_activations(spec: NetworkSpec) -> dict[str, int]:
    """How many layers of each hidden activation kind the network has (inside blocks too)."""
    kinds, out = set(hidden_activation_kinds()), {}

    def walk(layers):
        for layer in layers:
            if layer.type in kinds:
                out[layer.type] = out.get(layer.type, 0) + 1
            walk(layer.layers)
    walk(spec.layers)
    return out


def replace_activations(spec: NetworkSpec, kind: str) -> tuple[NetworkSpec, int]:
    """Every hidden activation layer (inside blocks too; not Softmax/LogSoftmax) turned into ``kind``, keeping
    the arguments ``kind`` also has; and how many layers changed. One new spec: one undo step."""
    kinds = set(hidden_activation_kinds())
    if kind not in kinds:
        raise ValueError(f"{kind!r} is not a hidden activation kind")
    changed = 0

    def swap(layers: tuple[LayerSpec, ...]) -> tuple[LayerSpec, ...]:
        nonlocal changed
        out = []
        for layer in layers:
            if layer.type in kinds and layer.type != kind:
                out.append(change_type(layer, kind))
                changed += 1
            elif layer.layers:
                out.append(replace(layer, layers=swap(layer.layers)))
            else:
                out.append(layer)
        return tuple(out)

    new = replace(spec, layers=swap(spec.layers))
    return (new, changed) if changed else (spec, 0)


_SPLIT = re.compile(r"[\s,x×*]+")


def parse_text(field: Field, text: str) -> Any:
    """The value typed into ``field``'s input; ``None`` for an empty input (use the default / infer).

    Raises :class:`FieldError` with a plain-language message, like the YAML loader.
    """
    raw = text.strip()
    if raw == "":
        if field.required:
            raise FieldError(_("needs a value ({type})").format(type=field.describe_type()))
        return None
    kind = field.kind
    if kind in ("int2", "padding", "floats", "shape"):
        inner = raw.strip("[]() ")
        if kind == "padding" and inner.lower() in ("same", "valid"):
            return field.coerce(inner)
        parts = [p for p in _SPLIT.split(inner) if p]
        if kind in ("int2", "padding"):
            if len(parts) == 1:
                return field.coerce(parts[0])
            return field.coerce(parts)
        return field.coerce(parts)
    if kind == "bool":
        return field.coerce(raw)
    return field.coerce(raw)


def to_text(field: Field, value: Any) -> str:
    """The input text for a value (the inverse of :func:`parse_text`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(to_text(field, v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def placeholder(field: Field, inferred: dict | None = None) -> str:
    """What an empty input means: ``auto (6)`` for inferred fields, ``default 1`` otherwise."""
    if field.inferred:
        got = (inferred or {}).get(field.name)
        return _("auto ({value})").format(value=got) if got is not None else _("auto")
    if field.required:
        return _("required")
    if field.default is None:
        return _("default: {text}").format(text=_(field.default_text)) if field.default_text else _("none")
    return _("default {value}").format(value=to_text(field, field.default))


def apply_fix(spec: NetworkSpec, path: tuple[int, ...], fix: Fix) -> NetworkSpec:
    """The spec with ``fix`` applied to the layer at ``path``."""
    if fix.insert_before is not None:
        return spec.insert_layer(path, fix.insert_before)
    if fix.set_params:
        layer = spec.get_layer(path)
        return spec.replace_layer(path, layer.with_params(**fix.set_params))
    return spec


def fix_for(rows: list[LayerRow], path: tuple[int, ...] | None) -> tuple[tuple[int, ...], Fix] | None:
    """The fix to apply: the selected row's, else the first row that has one."""
    if path is not None:
        for r in rows:
            if r.path == path and r.fix is not None:
                return r.path, r.fix
    for r in rows:
        if r.fix is not None:
            return r.path, r.fix
    return None


def visible_paths(layers, prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Every layer's path in display order (blocks followed by their inner layers)."""
    out = []
    for i, layer in enumerate(layers):
        p = prefix + (i,)
        out.append(p)
        out.extend(visible_paths(layer.layers, p))
    return out


def path_text(path: tuple[int, ...] | None) -> str:
    return "input" if path is None else ".".join(str(i) for i in path)


def path_from_text(text: str) -> tuple[int, ...] | None:
    return None if text in ("input", "") else tuple(int(x) for x in text.split("."))


def clamp_path(spec: NetworkSpec, path: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """``path`` if it still names a layer, else the nearest one before it (or the input row)."""
    if path is None:
        return None
    paths = visible_paths(spec.layers)
    if path in paths:
        return path
    earlier = [p for p in paths if p < path]
    return earlier[-1] if earlier else (paths[0] if paths else None)


def after(path: tuple[int, ...] | None) -> tuple[int, ...]:
    """Where "add after the selection" inserts: after it among its siblings, or first after the input."""
    if path is None:
        return (0,)
    return path[:-1] + (path[-1] + 1,)


def _default(fields, name: str, value: Any) -> Any:
    """``value``, or the field's default for a cleared input (``None``)."""
    return next(f for f in fields if f.name == name).default if value is None else value


def _with_param(named: C.Named, name: str, value: Any) -> C.Named:
    """``named`` with one parameter set, or removed (``None``: back to its default)."""
    params = dict(named.params)
    if value is None:
        params.pop(name, None)
    else:
        params[name] = value
    return C.Named(named.name, params)


def set_setting(exp: Experiment, section: str, name: str, value: Any) -> Experiment:
    """The experiment with one Setup-form value changed: ``section`` is the form (data, loss, optimizer,
    training, scheduler, early), ``name`` the field, ``value`` the coerced value (``None``: the input was
    cleared, so the default applies). Returns ``exp`` itself when the change is no edit: choosing the loss or
    optimizer already chosen (or none), or a parameter of a schedule or early stopping that is off.

    Switching the loss or optimizer keeps the parameters the new one also has. The result is not validated
    here: the app checks it with the YAML loader's rules before recording it.
    """
    d, t = exp.data, exp.train
    if section == "data":
        f = next(f for f in C.DATA_FIELDS if f.name == name)
        return replace(exp, data=replace(d, **{name: f.default if value is None and not f.nullable else value}))
    if section in ("loss", "optimizer"):
        table = C.LOSSES if section == "loss" else C.OPTIMIZERS
        named = t.loss if section == "loss" else t.optimizer
        if name == "weight_decay":
            return replace(exp, train=replace(t, weight_decay=0.0 if value is None else value))
        if name == section:
            if value is None or value == named.name:
                return exp
            keep = {f.name for f in table[value]}
            return replace(exp, train=replace(t, **{section: C.Named(value, {k: v for k, v in named.params.items()
                                                                           if k in keep})}))
        return replace(exp, train=replace(t, **{section: _with_param(named, name, value)}))
    if section == "training":
        if name == "device":
            return replace(exp, train=replace(t, device=value or "auto"))
        return replace(exp, train=replace(t, **{name: _default(C.TRAIN_FIELDS, name, value)}))
    if section == "scheduler":
        if name == "scheduler":
            return replace(exp, train=replace(t, scheduler=None if value is None else C.Named(value)))
        if t.scheduler is None:
            return exp
        return replace(exp, train=replace(t, scheduler=_with_param(t.scheduler, name, value)))
    if section == "early":
        if name == "enabled":
            return replace(exp, train=replace(t, early_stopping=C.EarlyStopping() if value else None))
        if t.early_stopping is None:
            return exp
        return replace(exp, train=replace(t, early_stopping=replace(
            t.early_stopping, **{name: _default(C.EARLY_STOPPING_FIELDS, name, value)})))
    raise ValueError(f"unknown settings section {section!r}")
