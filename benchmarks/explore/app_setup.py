"""What the app-under-training explorations share: LeNet-5 on Fashion-MNIST (IDX files), loaded once."""

from __future__ import annotations

IDX = "/usr/share/datasets/fashion-mnist"


def lenet_and_data():
    """The LeNet-5 preset and Fashion-MNIST's training images (no validation split)."""
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.data import load_dataset

    return load_experiment("presets/lenet5.yaml"), load_dataset("idx", root=IDX, val_split=0.0)
