"""Build the torch model from a network spec, through the registry's builders.

Torch is imported here (and in ``modules``), never in spec/layers/shapes/config. The builder trusts the
summary: each row carries its validated arguments and what its shape rule worked out for torch.
"""

from __future__ import annotations

from torch import nn

from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.shapes import Summary, summarize
from tui_dl.core.model.spec import LayerSpec, NetworkSpec


class SpecError(ValueError):
    """The spec has a shape or argument error; ``str(e)`` names the layer."""


def _build_layers(layers: tuple[LayerSpec, ...], in_shape, rows_by_path, prefix=()) -> list[nn.Module]:
    modules = []
    shape = tuple(in_shape)
    for i, layer in enumerate(layers):
        path = prefix + (i,)
        row = rows_by_path[path]
        kind = REGISTRY[layer.type]
        args = row.args
        if kind.container:
            inner = _build_layers(layer.layers, shape, rows_by_path, path)
            modules.append(kind.build(shape, args, inner_modules=inner, **row.build_args))
        else:
            modules.append(kind.build(shape, args, **row.build_args))
        shape = row.out_shape
    return modules


def build_model(spec: NetworkSpec, summary: Summary | None = None) -> nn.Sequential:
    """The torch model for ``spec`` (freshly initialised by torch's defaults). Raises :class:`SpecError`.

    ``summary`` is ``summarize(spec)`` when the caller already has it (nothing is validated twice)."""
    if summary is None:
        summary = summarize(spec)
    if not summary.ok:
        raise SpecError(summary.problem_text)
    rows = {r.path: r for r in summary.rows}
    return nn.Sequential(*_build_layers(spec.layers, spec.input_shape, rows))


def pool_before_relu(model: nn.Module) -> int:
    """Reorder every ``ReLU → MaxPool2d`` pair of the model's Sequentials (Residual bodies included) into
    ``MaxPool2d → ReLU``, in place, for training speed; returns how many pairs were swapped.

    The two orders compute the same thing, bit for bit, forward and backward: ReLU is monotone, so
    ``max(relu(x)) = relu(max(x))``, and both orders route a window's gradient to the same element (the first
    maximum when it is positive; nothing when the maximum is ≤ 0, where ReLU's gradient is 0 anyway). Pooling
    first runs the ReLU and its backward on a quarter of the values (a 2×2 window) and reads one tensor less.
    Neither module has parameters, so ``state_dict()`` keys and checkpoints are unchanged."""
    swapped = 0
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        i = 0
        while i + 1 < len(seq):
            a, b = seq[i], seq[i + 1]
            if type(a) is nn.ReLU and type(b) is nn.MaxPool2d and not b.return_indices:
                seq[i], seq[i + 1] = b, a
                swapped += 1
                i += 2
            else:
                i += 1
    return swapped


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(parameters, buffer values) as torch counts them."""
    return (sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()))
