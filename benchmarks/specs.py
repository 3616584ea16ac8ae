"""Network specs used only by the benchmarks."""

from __future__ import annotations


def fifty_layer_spec():
    """A valid 50-layer conv net on 1×28×28: 14 Conv-BatchNorm-ReLU blocks, a pool, then Linear-ReLU pairs."""
    from tui_dl.core.model.spec import LayerSpec as L, NetworkSpec

    layers = []
    for i in range(14):
        layers += [L("Conv2d", {"out_channels": 16 + 8 * i, "kernel_size": 3, "padding": 1}), L("BatchNorm2d"),
                   L("ReLU")]
    layers += [L("MaxPool2d", {"kernel_size": 2}), L("Flatten")]
    while len(layers) < 48:
        layers += [L("Linear", {"out_features": 64}), L("ReLU")]
    layers += [L("Dropout", {"p": 0.1}), L("Linear", {"out_features": 10})]
    assert len(layers) == 50
    return NetworkSpec((1, 28, 28), tuple(layers))
