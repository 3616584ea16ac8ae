"""What the network sees: for one test image, each convolution's feature maps (caught with forward hooks on the
built ``nn.Sequential``), the first convolution's filters, and the class probabilities.

Layers are named as the summary table names them (``3`` for the third layer, ``4.2`` for the second layer inside
a Residual block), so a picture's title matches the Build view and ``tui-dl summary``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import torch
from torch import nn

from tui_dl.core.i18n import _
from tui_dl.core.insight.model_io import TrainedModel
from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.shapes import summarize
from tui_dl.core.model.spec import LayerSpec
from tui_dl.core.pictures import grey_levels

__all__ = ["LayerMaps", "FeatureView", "layer_modules", "feature_maps", "first_filters", "map_rows"]


@dataclass
class LayerMaps:
    """One layer's output for the image: ``maps`` is (C, H, W) float32 on the CPU, one map per channel."""

    path: tuple[int, ...]
    index_text: str     # "3", or "4.2" inside a block, as in the summary table
    type: str           # "Conv2d"
    label: str          # the summary's short label, e.g. "Conv2d 6@5×5 p2"
    maps: torch.Tensor

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.maps.shape)

    def title(self) -> str:
        return _("layer {index} {label}: {shape}").format(index=self.index_text, label=self.label,
                                                           shape="×".join(str(s) for s in self.shape))


@dataclass
class FeatureView:
    """Everything the "what the network sees" view shows for one image."""

    index: int
    true: int
    image: torch.Tensor                 # (C, H, W) in [0, 1], CPU
    layers: list[LayerMaps]
    probabilities: list[float]          # one per class
    predicted: int
    classes: list[str]
    filters: torch.Tensor | None = None  # the first Conv2d's weights (out, in, kh, kw), CPU
    filters_layer: str = ""              # its index text
    notes: list[str] = field(default_factory=list)

    def ranked(self) -> list[tuple[str, float]]:
        """(class name, probability), most probable first (a bar chart's rows)."""
        order = sorted(range(len(self.probabilities)), key=lambda k: (-self.probabilities[k], k))
        return [(self.classes[k] if k < len(self.classes) else str(k), self.probabilities[k]) for k in order]


def _walk(layers: tuple[LayerSpec, ...], seq: nn.Module, prefix: tuple[int, ...] = ()
          ) -> Iterator[tuple[tuple[int, ...], LayerSpec, nn.Module]]:
    for i, layer in enumerate(layers):
        path = prefix + (i,)
        module = seq[i]
        yield path, layer, module
        if REGISTRY[layer.type].container and layer.layers:
            yield from _walk(layer.layers, getattr(module, "body", module), path)


def layer_modules(trained: TrainedModel, kind: str = "conv") -> list[tuple[tuple[int, ...], LayerSpec, nn.Module]]:
    """``(path, layer spec, torch module)`` of the network's layers: ``kind="conv"`` only the Conv2d layers,
    ``"all"`` every layer (containers and the layers inside them)."""
    found = _walk(trained.spec.layers, trained.network)
    if kind == "conv":
        return [t for t in found if t[1].type == "Conv2d"]
    if kind == "all":
        return list(found)
    raise ValueError(_("kind must be 'conv' or 'all', not {kind}").format(kind=repr(kind)))


def first_filters(trained: TrainedModel) -> tuple[torch.Tensor | None, str]:
    """The first Conv2d's weights (out, in, kh, kw) on the CPU and its index text; (None, "") without one."""
    convs = layer_modules(trained, "conv")
    if not convs:
        return None, ""
    path, _, module = convs[0]
    return module.weight.detach().cpu().clone(), ".".join(str(i + 1) for i in path)


def feature_maps(trained: TrainedModel, index: int, *, kind: str = "conv") -> FeatureView:
    """Run test image ``index`` through the network with a forward hook on each layer of ``kind`` ("conv": every
    Conv2d; "all": every layer whose output is a stack of maps, C×H×W) and collect their outputs."""
    trained.check_index(index)
    summary = summarize(trained.spec)
    chosen = layer_modules(trained, kind)
    caught: dict[tuple[int, ...], torch.Tensor] = {}
    handles = []

    def hook_for(path):
        def hook(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                caught[path] = output.detach()
        return hook

    for path, _spec, module in chosen:
        handles.append(module.register_forward_hook(hook_for(path)))
    x = trained.images(index)
    try:
        with torch.inference_mode():
            out = trained.model(x)
    finally:
        for h in handles:
            h.remove()
    probs = trained.probabilities(out)[0]
    pred = int(trained.objective.predict(out)[0])
    layers = []
    for path, layer, _module in chosen:
        t = caught.get(path)
        if t is None or t.dim() != 4:
            continue  # not a stack of maps (a Linear, a Flatten)
        row = summary.row(path)
        layers.append(LayerMaps(path, ".".join(str(i + 1) for i in path), layer.type,
                                row.label if row is not None else layer.type, t[0].float().cpu().clone()))
    filters, where = first_filters(trained)
    notes = []
    if not layer_modules(trained, "conv"):
        notes.append("this network has no convolution layers: there are no feature maps or filters to show "
                     "(a fully connected net sees the image as one long vector).")
    return FeatureView(index, int(trained.test.y[index]), x[0].cpu(), layers, [float(v) for v in probs], pred,
                       trained.classes, filters, where, notes)


def map_rows(values: torch.Tensor, lo: float | None = None, hi: float | None = None) -> list[list[int]]:
    """A 2-D map (one channel of a feature map, one filter's slice) as grey levels 0-255 for
    :func:`tui_dl.core.pictures.half_blocks`: the map's own minimum black and maximum white unless ``lo``/``hi``
    are given (give the whole layer's range to compare maps with each other)."""
    t = values.detach().float().cpu()
    if t.dim() != 2:
        raise ValueError(_("a map must be 2-D, not {shape}").format(shape=tuple(t.shape)))
    return grey_levels(t.tolist(), lo, hi)
