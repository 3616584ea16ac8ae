"""Datasets for tui-dl, decoded once into in-memory tensors.

``load_dataset(name, ...)`` returns a :class:`LoadedData` holding whole splits as tensors:
images stay ``uint8`` (N, C, H, W) and are normalised per batch with :func:`normalize_batch`
(decoding once into memory is the big speed win for small images, see the README, sections
"Speed" and "Performance"); toy 2-D sets are ``float32`` (N, 2).

Sources
    mnist, fashion-mnist, kmnist  IDX files read by our own reader (numpy.frombuffer), found in
                                  ``root``, ``root/<MNIST|FashionMNIST|KMNIST>/raw`` (torchvision's
                                  layout) or a system folder (Debian's dataset-fashion-mnist);
                                  downloaded from torchvision's mirrors when missing.
    cifar10                       torchvision ``CIFAR10(root, download=False)``; ``ds.data`` is used.
    idx                           a folder with the four IDX files of any MNIST-like dataset.
    image-folder                  ``root/<class>/*.png`` (optionally ``root/train`` + ``root/test``).
    synthetic-digits              generated offline from a seed (handwriting-like strokes).
    spirals, moons, circles, xor, gaussians   seeded 2-D toy sets (2 classes).

Every data problem raises :class:`DataError` whose text is written for a student: it names
the file or folder and says what to do. The core never prints; long steps report through the
optional ``progress(message, fraction_or_None)`` callback.

torchvision is imported lazily (only for CIFAR-10), PIL only for image folders.

Modules
    base          the records (DataError, TensorSplit, LoadedData), the catalogue and its names
    loader        load_dataset: dispatch by source, validation split, shape check, fallback
    idx, download, cifar, image_folder, synthetic, toy   one data source each
    normalize     normalize_batch (used per batch by the trainer) and per-channel statistics

Importing this package loads no torch: the catalogue and the records come from ``base`` (plain Python,
so the config schema can take its dataset names from here), and the torch-backed functions load on
first use (``from tui_dl.core.data import load_dataset`` works as usual).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui_dl.core.data.base import (DATASET_NAMES, TOY_DATASETS, DataError, LoadedData, Progress,  # noqa: F401
                                   TensorSplit, default_root, describe)

if TYPE_CHECKING:
    from tui_dl.core.data.loader import load_dataset
    from tui_dl.core.data.normalize import normalize_batch
    from tui_dl.core.data.synthetic import synthesize_digits
    from tui_dl.core.data.toy import make_toy

__all__ = [
    "DATASET_NAMES",
    "TOY_DATASETS",
    "DataError",
    "LoadedData",
    "TensorSplit",
    "default_root",
    "describe",
    "load_dataset",
    "normalize_batch",
]

_TORCH_NAMES = ("load_dataset", "normalize_batch", "synthesize_digits", "make_toy")


def __getattr__(name: str) -> Any:
    """The torch-backed names, imported on first use and then kept as ordinary module attributes."""
    if name == "load_dataset":
        from tui_dl.core.data.loader import load_dataset as value
    elif name == "normalize_batch":
        from tui_dl.core.data.normalize import normalize_batch as value
    elif name == "synthesize_digits":
        from tui_dl.core.data.synthetic import synthesize_digits as value
    elif name == "make_toy":
        from tui_dl.core.data.toy import make_toy as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TORCH_NAMES))
