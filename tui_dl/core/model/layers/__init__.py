"""The layer registry: every layer kind declared once.

Each :class:`LayerKind` holds its fields (types, defaults, limits, help), its shape and parameter rule
(``infer``: plain Python, no torch), the worked formulas shown to students, its torch builder (``build``:
imports torch inside, so this package stays torch-free), its short label and the arguments a new layer
starts with. The kinds live one module per group (``conv``, ``pool``, ``linear``, ``activation``, ``norm``,
``regularization``, ``structure``), each kind's fields next to its rule; the shared records and shape
helpers are in ``base``.

Shapes here are per sample, without the batch dimension: ``(C, H, W)`` for images, ``(F,)`` for vectors.
Adding a layer kind means one ``register(LayerKind(...))`` entry (plus a torch module in
``tui_dl.core.model.modules`` if torch has none) and tests: the torch-oracle tests draw every registered
kind from its fields.
"""

from __future__ import annotations

from tui_dl.core.model.layers.base import (
    GROUPS, REGISTRY, Calc, Fix, Inner, LayerKind, Shape, ShapeError, fmt, register, shape_str,
)
from tui_dl.core.model.spec import LayerSpec

# Registration order is the palette's and the README table's order.
from tui_dl.core.model.layers import conv, pool, linear, activation, norm, regularization, structure  # noqa: E402,F401,I001

__all__ = ["GROUPS", "REGISTRY", "Calc", "Fix", "Inner", "LayerKind", "Shape", "ShapeError", "by_group", "fmt",
           "layer_label", "register", "shape_str"]


def by_group() -> dict[str, list[LayerKind]]:
    out: dict[str, list[LayerKind]] = {g: [] for g in GROUPS}
    for k in REGISTRY.values():
        out[k.group].append(k)
    return out


def layer_label(layer: LayerSpec, inferred: dict | None = None) -> str:
    """A short, PyTorch-like label: ``Conv2d 1→6, k=5, p=2``, ``Linear 400→120`` (the kind's ``label``)."""
    kind = REGISTRY.get(layer.type)
    if kind is None:
        return layer.type
    return kind.label(layer, inferred or {})
