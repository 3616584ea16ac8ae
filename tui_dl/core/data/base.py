"""What every data module shares: the records (DataError, TensorSplit, LoadedData), the progress
callback type, and the catalogue of datasets (names, aliases, titles, shapes, classes, mirrors, md5 sums).

Plain Python (torch only for type hints), and it imports no other module of this package, so the
source modules (idx, cifar, image_folder, synthetic, toy) and the loader can all build on it.
"""

from __future__ import annotations

import difflib
import os
import pathlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _, is_chinese, ngettext
from tui_dl.core.paths import PathProblem, expand_user

if TYPE_CHECKING:
    import torch

Progress = Callable[[str, "float | None"], None]


class DataError(Exception):
    """A dataset problem explained for a student: names the file/folder and what to do.

    ``str(e)`` is the full message. ``recoverable`` is True when the dataset simply could not
    be had or read (missing, download failed, damaged file), i.e. when a ``fallback`` dataset
    may stand in; it is False for configuration mistakes (unknown name, wrong input shape).
    """

    def __init__(self, message: str, *, recoverable: bool = False) -> None:
        super().__init__(message)
        self.recoverable = recoverable


@dataclass
class TensorSplit:
    x: torch.Tensor  # images: uint8 (N, C, H, W) contiguous; toy/tabular: float32 (N, F)
    y: torch.Tensor  # int64 (N,) class indices

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass
class LoadedData:
    name: str  # dataset actually used (e.g. "synthetic-digits" when the fallback kicked in)
    train: TensorSplit
    val: TensorSplit | None  # None when val_split == 0
    test: TensorSplit
    classes: list[str]  # class names, len == num_classes
    input_shape: tuple[int, ...]  # (C, H, W) or (F,)
    mean: tuple[float, ...]  # per channel, applied after x/255 (uint8 data); () = no normalisation
    std: tuple[float, ...]
    source: str  # human-readable: where the data came from
    fallback_used: bool = False
    fallback_reason: str = ""  # why the requested dataset could not be had

    @property
    def num_classes(self) -> int:
        return len(self.classes)


_ALIASES = {
    "toy-2d": "spirals", "toy": "spirals", "spiral": "spirals", "moon": "moons",
    "circle": "circles", "gaussian": "gaussians", "blobs": "gaussians",
    "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist", "cifar-10": "cifar10",
    "cifar": "cifar10", "imagefolder": "image-folder", "folder": "image-folder",
    "synthetic": "synthetic-digits", "synth-digits": "synthetic-digits",
    "syntheticdigits": "synthetic-digits", "idx-folder": "idx",
}

# Default sizes of the generated datasets (documented in the README (Datasets)).
SYNTHETIC_TRAIN_DEFAULT = 20_000  # + SYNTHETIC_TRAIN_DEFAULT // 5 test images
TOY_POINTS_DEFAULT = 1_000  # 80 % train, 20 % test

_IDX_ROLES = ("train-images", "train-labels", "t10k-images", "t10k-labels")
_MNIST_FILES = tuple(f"{r}-idx{3 if r.endswith('images') else 1}-ubyte.gz" for r in _IDX_ROLES)


@dataclass(frozen=True)
class _Spec:
    title: str
    kind: str  # "idx-family" | "cifar" | "idx" | "folder" | "synthetic" | "toy" | "csv"
    blurb: str
    shape: tuple[int, ...] | None = None
    classes: tuple[str, ...] = ()
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    folder: str = ""  # torchvision's class name = sub-folder of root
    mirrors: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # (file name, md5)
    system_dirs: tuple[str, ...] = ()


_DIGITS = tuple(str(i) for i in range(10))

# Mirrors, file names and md5 sums as in torchvision 0.29 (datasets/mnist.py, cifar.py).
_DATASETS: dict[str, _Spec] = {
    "mnist": _Spec(
        "MNIST", "idx-family", N_("70k handwritten digits"), (1, 28, 28), _DIGITS,
        (0.1307,), (0.3081,), "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        tuple(zip(_MNIST_FILES, ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                                 "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))),
    ),
    "fashion-mnist": _Spec(
        "Fashion-MNIST", "idx-family", N_("70k Zalando clothing images"), (1, 28, 28),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
         "Ankle boot"),
        (0.2860,), (0.3530,), "FashionMNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        tuple(zip(_MNIST_FILES, ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                                 "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"))),
        ("/usr/share/datasets/fashion-mnist",),  # Debian/Ubuntu package dataset-fashion-mnist
    ),
    "kmnist": _Spec(
        "KMNIST", "idx-family", N_("70k cursive Japanese (Kuzushiji) characters"), (1, 28, 28),
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        (0.1918,), (0.3483,), "KMNIST",
        ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        tuple(zip(_MNIST_FILES, ("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                                 "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"))),
    ),
    "cifar10": _Spec(
        "CIFAR-10", "cifar", N_("60k small colour photos (airplane, car, bird, cat, ...)"), (3, 32, 32),
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "cifar-10-batches-py",
        ("https://www.cs.toronto.edu/~kriz/",),
        (("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),),
    ),
    "image-folder": _Spec(N_("Image folder"), "folder",
                          N_("your own images, one sub-folder per class, resized to the network input")),
    "idx": _Spec(N_("IDX folder"), "idx", N_("a folder with the four MNIST-format IDX files of any dataset")),
    "synthetic-digits": _Spec(
        N_("Synthetic digits"), "synthetic",
        # TRANSLATORS: {n} is a number of thousands: "24k generated ..."
        N_("{n}k generated handwriting-like digits, works offline"),
        (1, 28, 28), _DIGITS,
    ),
    "spirals": _Spec(N_("Spirals"), "toy", N_("two interleaved noisy spirals"), (2,), ("0", "1")),
    "moons": _Spec(N_("Moons"), "toy", N_("two interleaving half circles"), (2,), ("0", "1")),
    "circles": _Spec(N_("Circles"), "toy", N_("a ring around a disc"), (2,), ("0", "1")),
    "xor": _Spec("XOR", "toy", N_("four quadrants, opposite corners share a class"), (2,), ("0", "1")),
    "gaussians": _Spec(N_("Gaussians"), "toy", N_("two overlapping Gaussian blobs"), (2,), ("0", "1")),
    "csv": _Spec(N_("CSV table"), "csv", N_("your own table: numeric feature columns and a label column (path:, label:)")),
}

#: The dataset names, in catalogue order: the one list the config schema, the app and the README use.
DATASET_NAMES: tuple[str, ...] = tuple(_DATASETS)
TOY_DATASETS: tuple[str, ...] = tuple(k for k, spec in _DATASETS.items() if spec.kind == "toy")

#: The ``data:`` section of an experiment file (the config schema takes them from here; the loader checks direct
#: callers with them, so each limit is declared once).
DATA_FIELDS: tuple[Field, ...] = (
    Field("name", "choice", "mnist", N_("which dataset to train on"), choices=DATASET_NAMES),
    Field("root", "str", None, N_("folder that holds (or will hold) the files; default ~/.cache/tui-dl/datasets"),
          nullable=True),
    Field("download", "bool", True, N_("download torchvision datasets when they are not in root")),
    Field("val_split", "float", 0.1, N_("share of the training set held out for validation (seeded)"), min=0,
          max=0.9),
    Field("fallback", "choice", None, N_("dataset used, loudly, only when the named one cannot be had"),
          choices=DATASET_NAMES, nullable=True),
    Field("num_samples", "int", None, N_("size of generated datasets (synthetic-digits, toy sets); default per set"),
          min=10, max=2_000_000, nullable=True),
)
# Tabular data and a smaller training set (issue 17): their own block, so other additions merge cleanly.
DATA_FIELDS += (
    Field("path", "str", None, N_("csv: the CSV file (a header row, numeric feature columns, a label column)"),
          nullable=True),
    Field("label", "str", "label", N_("csv: the name of the column that holds each row's class")),
    Field("subset", "int", None, N_("train on the first N training examples only (quick runs, learning curves)"),
          min=1, max=100_000_000, nullable=True),
    Field("augment", "choices", None, N_("per-batch augmentation on the device: crop (pad and crop), flip "
          "(horizontal), affine (±10°, scale 0.9-1.1); off by default"), choices=("crop", "flip", "affine"),
          nullable=True),
)

_FALLBACK_ADVICE = N_("To train without it now, set `fallback: synthetic-digits` in the data section of the YAML.")


def default_root() -> pathlib.Path:
    """Where downloaded datasets live: ``$TUI_DL_DATA`` if set, else ~/.cache/tui-dl/datasets."""
    env = os.environ.get("TUI_DL_DATA", "").strip()
    if env:
        try:
            return expand_user(env)
        except PathProblem as e:
            raise DataError(_("TUI_DL_DATA: {error}.").format(error=e)) from None
    return pathlib.Path.home() / ".cache" / "tui-dl" / "datasets"


def given_root(root) -> pathlib.Path:
    """``data.root`` as given (``~`` expanded), or the default cache; a root that exists but is not a folder is an
    error naming it, never silently swapped for another copy of the dataset."""
    if root is None or str(root).strip() == "":
        return default_root()
    try:
        base = expand_user(root)
    except PathProblem as e:
        raise DataError(_("data.root: {error}.").format(error=e)) from None
    if base.exists() and not base.is_dir():
        raise DataError(_("data.root: {path} is a file, not a folder. Set root to the folder that holds (or will "
                          "hold) the dataset's files.").format(path=base))
    return base


def describe(name: str) -> str:
    """One line for UI pickers, e.g. ``MNIST: 70k handwritten digits, 1×28×28, 10 classes``."""
    key = _canonical(name)
    spec = _DATASETS[key]
    title = _(spec.title)
    blurb = _(spec.blurb).format(n=(SYNTHETIC_TRAIN_DEFAULT * 6 // 5) // 1000)
    if spec.kind == "toy":
        return ngettext("{title}: {n} 2-D points, {blurb}, 2 features, {k} class",
                        "{title}: {n} 2-D points, {blurb}, 2 features, {k} classes", len(spec.classes)).format(
                            title=title, n=f"{TOY_POINTS_DEFAULT:,}", blurb=blurb, k=len(spec.classes))
    if spec.shape is None:
        return _("{title}: {blurb}").format(title=title, blurb=blurb)
    return ngettext("{title}: {blurb}, {shape}, {k} class", "{title}: {blurb}, {shape}, {k} classes",
                    len(spec.classes)).format(title=title, blurb=blurb, shape=_fmt_shape(spec.shape),
                                              k=len(spec.classes))


def downloadable(name: str) -> bool:
    """Whether tui-dl can download the dataset (it has mirrors); a csv, idx or image-folder dataset it cannot."""
    return bool(_DATASETS[_canonical(name)].mirrors)


def _canonical(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise DataError(_("The dataset name must be a non-empty string (got {value}). Valid names: {names}.")
                        .format(value=repr(name), names=', '.join(DATASET_NAMES)))
    key = re.sub(r"[\s_]+", "-", name.strip().lower())
    key = _ALIASES.get(key, key)
    if key in _DATASETS:
        return key
    close = difflib.get_close_matches(key, list(DATASET_NAMES) + list(_ALIASES), n=1, cutoff=0.5)
    hint = _(" Did you mean {name}?").format(name=repr(_ALIASES.get(close[0], close[0]))) if close else ""
    raise DataError(_("Unknown dataset {name}.{hint} Valid names: {names} (and 'toy-2d', which means spirals).")
                    .format(name=repr(name), hint=hint, names=', '.join(DATASET_NAMES)))


def _sentences(*parts: str) -> str:
    """Whole sentences, each translated on its own, joined the way the language joins them (a space in English;
    nothing after a Chinese full stop)."""
    return ("" if is_chinese() else " ").join(p.strip() for p in parts if p and p.strip())


def _report(progress: Progress | None, message: str, fraction: float | None) -> None:
    if progress is not None:
        progress(message, fraction)


def _fmt_shape(shape: Iterable[int]) -> str:
    return "×".join(str(int(v)) for v in shape)


def _fmt_list(shape: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in shape) + "]"
