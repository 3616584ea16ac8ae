"""The network spec: the single source of truth that widgets edit, YAML stores, and shapes,
parameter counts, the torch model and checkpoints come from.

Plain data only (no torch). Specs are treated as immutable values: edits make new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: Layer types that hold inner layers (Residual): filled in by the layer registry as container kinds register,
#: so this module needs no import of it. An empty container still writes ``layers: []``.
CONTAINER_TYPES: set[str] = set()


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its registry ``type`` (a torch class name) and the arguments the user gave.

    ``params`` holds only what was written (defaults stay implicit, so YAML round-trips exactly).
    ``layers`` holds the inner layers of a ``Residual`` block.
    """

    type: str
    params: dict[str, Any] = field(default_factory=dict)
    layers: tuple["LayerSpec", ...] = ()

    def with_params(self, **changes: Any) -> "LayerSpec":
        """A copy with some arguments set (a value of ``None`` removes the argument)."""
        p = dict(self.params)
        for k, v in changes.items():
            if v is None:
                p.pop(k, None)
            else:
                p[k] = v
        return replace(self, params=p)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        d.update(self.params)
        if self.layers or self.type in CONTAINER_TYPES:
            d["layers"] = [child.to_dict() for child in self.layers]
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "LayerSpec":
        d = dict(d)
        kind = d.pop("type")
        children = tuple(LayerSpec.from_dict(c) for c in d.pop("layers", None) or ())
        return LayerSpec(kind, d, children)


@dataclass(frozen=True)
class NetworkSpec:
    """A whole network: the per-sample input shape and the stack of layers."""

    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"input": list(self.input_shape), "layers": [layer.to_dict() for layer in self.layers]}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "NetworkSpec":
        return NetworkSpec(tuple(d["input"]), tuple(LayerSpec.from_dict(x) for x in d.get("layers", [])))

    # -- edits used by the builder (each returns a new spec) --------------------------------
    def replace_layer(self, path: tuple[int, ...], new: LayerSpec) -> "NetworkSpec":
        return replace(self, layers=_replace_at(self.layers, path, new))

    def insert_layer(self, path: tuple[int, ...], new: LayerSpec) -> "NetworkSpec":
        return replace(self, layers=_insert_at(self.layers, path, new))

    def remove_layer(self, path: tuple[int, ...]) -> "NetworkSpec":
        return replace(self, layers=_remove_at(self.layers, path))

    def move_layer(self, path: tuple[int, ...], delta: int) -> "NetworkSpec":
        """Move a layer up (-1) or down (+1) among its siblings; unchanged at the ends."""
        *parent, i = path
        siblings = self.get_siblings(tuple(parent))
        j = i + delta
        if not 0 <= j < len(siblings):
            return self
        items = list(siblings)
        items[i], items[j] = items[j], items[i]
        return self._set_siblings(tuple(parent), tuple(items))

    def get_layer(self, path: tuple[int, ...]) -> LayerSpec:
        layers = self.layers
        node = None
        for i in path:
            node = layers[i]
            layers = node.layers
        assert node is not None
        return node

    def get_siblings(self, parent: tuple[int, ...]) -> tuple[LayerSpec, ...]:
        return self.get_layer(parent).layers if parent else self.layers

    def _set_siblings(self, parent: tuple[int, ...], items: tuple[LayerSpec, ...]) -> "NetworkSpec":
        if not parent:
            return replace(self, layers=items)
        block = self.get_layer(parent)
        return self.replace_layer(parent, replace(block, layers=items))


def _replace_at(layers, path, new):
    i, rest = path[0], path[1:]
    items = list(layers)
    items[i] = new if not rest else replace(items[i], layers=_replace_at(items[i].layers, rest, new))
    return tuple(items)


def _insert_at(layers, path, new):
    i, rest = path[0], path[1:]
    items = list(layers)
    if not rest:
        items.insert(i, new)
    else:
        items[i] = replace(items[i], layers=_insert_at(items[i].layers, rest, new))
    return tuple(items)


def _remove_at(layers, path):
    i, rest = path[0], path[1:]
    items = list(layers)
    if not rest:
        del items[i]
    else:
        items[i] = replace(items[i], layers=_remove_at(items[i].layers, rest))
    return tuple(items)
