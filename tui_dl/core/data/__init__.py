"""Datasets for tui-dl, decoded once into in-memory tensors.

``load_dataset(name, ...)`` returns a :class:`LoadedData` holding whole splits as tensors:
images stay ``uint8`` (N, C, H, W) and are normalised per batch with :func:`normalize_batch`
(decoding once into memory is the big speed win for small images, see
docs/design/performance.md); toy 2-D sets are ``float32`` (N, 2).

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
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import functools
import gzip
import hashlib
import http.client
import math
import os
import pathlib
import re
import tarfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import torch

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


DATASET_NAMES = (
    "mnist", "fashion-mnist", "kmnist", "cifar10", "image-folder", "idx", "synthetic-digits",
    "spirals", "moons", "circles", "xor", "gaussians",
)
TOY_DATASETS = ("spirals", "moons", "circles", "xor", "gaussians")

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

_DOWNLOAD_TIMEOUT_S = 20.0
_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_IDX_ROLES = ("train-images", "train-labels", "t10k-images", "t10k-labels")
_MNIST_FILES = tuple(f"{r}-idx{3 if r.endswith('images') else 1}-ubyte.gz" for r in _IDX_ROLES)


@dataclass(frozen=True)
class _Spec:
    title: str
    kind: str  # "idx-family" | "cifar" | "idx" | "folder" | "synthetic" | "toy"
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
        "MNIST", "idx-family", "70k handwritten digits", (1, 28, 28), _DIGITS,
        (0.1307,), (0.3081,), "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        tuple(zip(_MNIST_FILES, ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                                 "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))),
    ),
    "fashion-mnist": _Spec(
        "Fashion-MNIST", "idx-family", "70k Zalando clothing images", (1, 28, 28),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
         "Ankle boot"),
        (0.2860,), (0.3530,), "FashionMNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        tuple(zip(_MNIST_FILES, ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                                 "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"))),
        ("/usr/share/datasets/fashion-mnist",),  # Debian/Ubuntu package dataset-fashion-mnist
    ),
    "kmnist": _Spec(
        "KMNIST", "idx-family", "70k cursive Japanese (Kuzushiji) characters", (1, 28, 28),
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        (0.1918,), (0.3483,), "KMNIST",
        ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        tuple(zip(_MNIST_FILES, ("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                                 "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"))),
    ),
    "cifar10": _Spec(
        "CIFAR-10", "cifar", "60k small colour photos (airplane, car, bird, cat, ...)", (3, 32, 32),
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "cifar-10-batches-py",
        ("https://www.cs.toronto.edu/~kriz/",),
        (("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),),
    ),
    "image-folder": _Spec("Image folder", "folder",
                          "your own images, one sub-folder per class, resized to the network input"),
    "idx": _Spec("IDX folder", "idx", "a folder with the four MNIST-format IDX files of any dataset"),
    "synthetic-digits": _Spec(
        "Synthetic digits", "synthetic",
        f"{(SYNTHETIC_TRAIN_DEFAULT * 6 // 5) // 1000}k generated handwriting-like digits, works offline",
        (1, 28, 28), _DIGITS,
    ),
    "spirals": _Spec("Spirals", "toy", "two interleaved noisy spirals", (2,), ("0", "1")),
    "moons": _Spec("Moons", "toy", "two interleaving half circles", (2,), ("0", "1")),
    "circles": _Spec("Circles", "toy", "a ring around a disc", (2,), ("0", "1")),
    "xor": _Spec("XOR", "toy", "four quadrants, opposite corners share a class", (2,), ("0", "1")),
    "gaussians": _Spec("Gaussians", "toy", "two overlapping Gaussian blobs", (2,), ("0", "1")),
}
assert tuple(_DATASETS) == DATASET_NAMES

# urlopen is looked up through the module so tests can forbid or fake network access.
_urlopen = urllib.request.urlopen


# --------------------------------------------------------------------------- public helpers


def default_root() -> pathlib.Path:
    """Where downloaded datasets live: ``$TUI_DL_DATA`` if set, else ~/.cache/tui-dl/datasets."""
    env = os.environ.get("TUI_DL_DATA", "").strip()
    if env:
        return pathlib.Path(env).expanduser()
    return pathlib.Path.home() / ".cache" / "tui-dl" / "datasets"


def describe(name: str) -> str:
    """One line for UI pickers, e.g. ``MNIST: 70k handwritten digits, 1×28×28, 10 classes``."""
    key = _canonical(name)
    spec = _DATASETS[key]
    if spec.kind == "toy":
        return (f"{spec.title}: {TOY_POINTS_DEFAULT:,} 2-D points, {spec.blurb}, "
                f"2 features, {len(spec.classes)} classes")
    if spec.shape is None:
        return f"{spec.title}: {spec.blurb}"
    return f"{spec.title}: {spec.blurb}, {_fmt_shape(spec.shape)}, {len(spec.classes)} classes"


def normalize_batch(xb: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Turn a batch into float32 network input.

    uint8 (N, C, H, W) -> ``(x / 255 - mean[c]) / std[c]`` per channel (``x / 255`` when mean is
    empty). Float input is returned as float32 unchanged when mean is empty, otherwise
    ``(x - mean[c]) / std[c]`` along dim 1 (no /255). Works on any device; one new tensor, the
    arithmetic is done in place on it.
    """
    if xb.dtype == torch.uint8:
        out = xb.to(torch.float32)
        if not mean:
            return out.mul_(1.0 / 255.0)
        div = 255.0
    else:
        out = xb.to(torch.float32)
        if not mean:
            return out
        if out is xb:
            out = out.clone()
        div = 1.0
    if len(mean) != len(std):
        raise ValueError(f"mean has {len(mean)} values but std has {len(std)}")
    if len(mean) == 1:
        s = float(std[0])
        return out.mul_(1.0 / (div * s)).sub_(float(mean[0]) / s)
    if out.dim() < 2 or out.shape[1] != len(mean):
        raise ValueError(f"batch of shape {tuple(out.shape)} does not have {len(mean)} channels in dim 1")
    scale, shift = _channel_affine(tuple(float(v) for v in mean), tuple(float(v) for v in std), div,
                                   out.device, out.dim())
    return out.mul_(scale).sub_(shift)


@functools.lru_cache(maxsize=16)
def _channel_affine(mean: tuple[float, ...], std: tuple[float, ...], div: float, device: torch.device,
                    ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel 1/(div*std) and mean/std shaped (1, C, 1, ...), made once per device."""
    view = (1, len(mean)) + (1,) * (ndim - 2)
    scale = torch.tensor([1.0 / (div * s) for s in std], dtype=torch.float32).view(view)
    shift = torch.tensor([m / s for m, s in zip(mean, std)], dtype=torch.float32).view(view)
    return scale.to(device), shift.to(device)


def load_dataset(
    name: str,
    *,
    root: str | os.PathLike | None = None,
    download: bool = True,
    val_split: float = 0.1,
    fallback: str | None = None,
    seed: int = 0,
    input_shape: Sequence[int] | None = None,
    num_samples: int | None = None,
    progress: Progress | None = None,
) -> LoadedData:
    """Load a whole dataset into memory. See the module docstring and the README (Datasets).

    ``root``: cache folder for mnist/fashion-mnist/kmnist/cifar10 (default :func:`default_root`)
    or a folder holding the files directly; the data folder for idx and image-folder; ignored by
    generated sets. ``num_samples`` sizes generated sets only (synthetic-digits: train images,
    test = num_samples // 5; toy sets: total points). ``fallback``: a dataset to use when this one
    cannot be had (missing, download failed, damaged files); the result then says so in
    ``fallback_used`` / ``fallback_reason``.
    """
    key = _canonical(name)
    want = _check_input_shape(input_shape)
    try:
        val_split = float(val_split)
    except (TypeError, ValueError):
        raise DataError(f"val_split must be a number between 0 and 1 (got {val_split!r}).") from None
    if not 0.0 <= val_split < 1.0:
        raise DataError(f"val_split must be at least 0 and below 1 (got {val_split}); "
                        "0.1 keeps 10 % of the training data for validation.")
    fb_key = _canonical(fallback) if fallback else None
    try:
        return _load(key, root=root, download=download, val_split=val_split, seed=seed, want=want,
                     num_samples=num_samples, progress=progress)
    except DataError as err:
        if fb_key is None or fb_key == key or not err.recoverable:
            raise
        # the advice to set a fallback is moot once one is in use
        reason = str(err).replace(_FALLBACK_ADVICE, "").strip()
    fb_spec = _DATASETS[fb_key]
    if want is not None and fb_spec.shape is not None and fb_spec.shape != want:
        raise DataError(
            f"{reason} The fallback dataset {fb_key} cannot stand in either: its samples are "
            f"{_fmt_shape(fb_spec.shape)} but the network's input is {_fmt_list(want)}.",
            recoverable=True)
    try:
        data = _load(fb_key, root=root, download=download, val_split=val_split, seed=seed, want=want,
                     num_samples=num_samples, progress=progress)
    except DataError as err2:
        raise DataError(f"{reason} The fallback dataset {fb_key} failed too: {err2}",
                        recoverable=err2.recoverable) from None
    return dataclasses.replace(data, fallback_used=True, fallback_reason=reason)


# --------------------------------------------------------------------------- dispatch


def _load(key: str, *, root, download, val_split, seed, want, num_samples, progress) -> LoadedData:
    spec = _DATASETS[key]
    if spec.shape is not None and want is not None:
        _require_shape(spec.title, spec.shape, want)
    if spec.kind == "idx-family":
        train, test, source = _load_idx_family(key, spec, root, download, progress)
        classes, mean, std = list(spec.classes), spec.mean, spec.std
    elif spec.kind == "cifar":
        train, test, source = _load_cifar(spec, root, download, progress)
        classes, mean, std = list(spec.classes), spec.mean, spec.std
    elif spec.kind == "idx":
        folder = _need_root(root, "idx", "a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                         "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte")
        train, test, source = _load_idx_folder(folder, progress)
        if len(train.y) == 0:
            raise DataError(f"The training files in {folder} hold no images (their header says 0 items). "
                            "Replace them with the full files.", recoverable=True)
        n_cls = int(max(train.y.max().item(), test.y.max().item() if len(test.y) else 0)) + 1
        classes = [str(i) for i in range(n_cls)]
        if want is not None:
            _require_shape("The IDX", tuple(train.x.shape[1:]), want)
        mean, std = _channel_stats(train.x)
    elif spec.kind == "folder":
        folder = _need_root(root, "image-folder", "a folder with one sub-folder of images per class")
        train, test, classes, source = _load_image_folder(folder, want, seed, progress)
        mean, std = _channel_stats(train.x)
    elif spec.kind == "synthetic":
        n_train = SYNTHETIC_TRAIN_DEFAULT if num_samples is None else _check_count(num_samples, key)
        n_test = max(10, n_train // 5)
        _report(progress, f"Generating {n_train + n_test:,} synthetic digits", 0.0)
        x, y = synthesize_digits(n_train + n_test, seed=seed, progress=progress)
        train, test = TensorSplit(x[:n_train], y[:n_train]), TensorSplit(x[n_train:], y[n_train:])
        classes = list(spec.classes)
        mean, std = _channel_stats(train.x)
        source = f"generated from seed {seed} ({n_train:,} train + {n_test:,} test images)"
    elif spec.kind == "toy":
        n = TOY_POINTS_DEFAULT if num_samples is None else _check_count(num_samples, key)
        x, y = make_toy(key, n, seed=seed)
        n_train = int(round(0.8 * n))
        train, test = TensorSplit(x[:n_train], y[:n_train]), TensorSplit(x[n_train:], y[n_train:])
        classes, mean, std = list(spec.classes), (), ()
        source = f"generated from seed {seed} ({n:,} points, {n_train:,} train + {n - n_train:,} test)"
    else:  # pragma: no cover - registry and dispatch are kept in sync
        raise AssertionError(spec.kind)

    train, val = _split_val(train, val_split, seed)
    _report(progress, f"{spec.title} ready", 1.0)
    return LoadedData(
        name=key, train=train, val=val, test=test, classes=classes,
        input_shape=tuple(int(v) for v in train.x.shape[1:]), mean=tuple(mean), std=tuple(std),
        source=source,
    )


def _canonical(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"The dataset name must be a non-empty string (got {name!r}). "
                        f"Valid names: {', '.join(DATASET_NAMES)}.")
    key = re.sub(r"[\s_]+", "-", name.strip().lower())
    key = _ALIASES.get(key, key)
    if key in _DATASETS:
        return key
    close = difflib.get_close_matches(key, list(DATASET_NAMES) + list(_ALIASES), n=1, cutoff=0.5)
    hint = f" Did you mean {_ALIASES.get(close[0], close[0])!r}?" if close else ""
    raise DataError(f"Unknown dataset {name!r}.{hint} Valid names: {', '.join(DATASET_NAMES)} "
                    "(and 'toy-2d', which means spirals).")


def _report(progress: Progress | None, message: str, fraction: float | None) -> None:
    if progress is not None:
        progress(message, fraction)


def _need_root(root, what: str, expected: str) -> pathlib.Path:
    if root is None or str(root).strip() == "":
        raise DataError(f"The {what} dataset needs `root:` set to {expected}.")
    folder = pathlib.Path(root).expanduser()
    if not folder.is_dir():
        raise DataError(f"The {what} folder {folder} does not exist (or is not a folder). "
                        f"Set `root:` to {expected}.", recoverable=True)
    return folder


def _check_count(n: object, key: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) < 10:
        raise DataError(f"num_samples for {key} must be a whole number of at least 10 (got {n!r}).")
    return int(n)


# --------------------------------------------------------------------------- shapes


def _fmt_shape(shape: Iterable[int]) -> str:
    return "×".join(str(int(v)) for v in shape)


def _fmt_list(shape: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in shape) + "]"


def _check_input_shape(input_shape) -> tuple[int, ...] | None:
    if input_shape is None:
        return None
    try:
        want = tuple(int(v) for v in input_shape)
        ok = len(want) > 0 and all(v > 0 for v in want) and all(float(v) == int(v) for v in input_shape)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(f"The network's input shape {input_shape!r} is not a list of positive whole "
                        "numbers such as [1, 28, 28] or [2].")
    return want


def _require_shape(title: str, have: tuple[int, ...], want: tuple[int, ...]) -> None:
    if tuple(have) == tuple(want):
        return
    if len(have) == 3:
        what = f"{title} images are {_fmt_shape(have)}"
        if len(want) == 1 and want[0] == math.prod(have):
            fix = f"start the network with a Flatten layer and set `input: {_fmt_list(have)}` in the YAML"
        else:
            fix = f"set `input: {_fmt_list(have)}` in the YAML" + _alternatives(want)
    else:
        what = f"{title} points have {_fmt_shape(have)} features"
        fix = f"set `input: {_fmt_list(have)}` in the YAML" + _alternatives(want)
    raise DataError(f"{what} but the network's input is {_fmt_list(want)}: {fix}.")


def _alternatives(want: tuple[int, ...]) -> str:
    same = [k for k, s in _DATASETS.items() if s.shape == want]
    if same:
        what = f"{_fmt_shape(want)} images" if len(want) == 3 else f"{_fmt_shape(want)} features"
        names = same[:3] if len(same) == 1 else [", ".join(same[:2])] + same[2:3]
        return f", or pick a dataset with {what} such as {' or '.join(names)}"
    if len(want) == 3 and want[0] in (1, 3):
        return ", or use image-folder, which resizes your own images to any size"
    return ""


# --------------------------------------------------------------------------- splits and stats


def _split_val(train: TensorSplit, val_split: float, seed: int) -> tuple[TensorSplit, TensorSplit | None]:
    n = len(train)
    if val_split == 0.0:
        return train, None
    n_val = max(1, int(round(n * val_split)))
    if n_val >= n:
        raise DataError(f"val_split={val_split} leaves no training data: the training set has only "
                        f"{n} samples. Use a smaller val_split.")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))
    val_idx, _ = perm[:n_val].sort()
    tr_idx, _ = perm[n_val:].sort()
    return (TensorSplit(train.x[tr_idx], train.y[tr_idx]), TensorSplit(train.x[val_idx], train.y[val_idx]))


def _channel_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean/std of uint8 images after /255, computed in float64 chunks."""
    c = x.shape[1]
    total = torch.zeros(c, dtype=torch.float64)
    total_sq = torch.zeros(c, dtype=torch.float64)
    count = 0
    for start in range(0, x.shape[0], 4096):
        chunk = x[start:start + 4096].to(torch.float64).div_(255.0)
        total += chunk.sum(dim=(0, 2, 3))
        total_sq += chunk.square_().sum(dim=(0, 2, 3))
        count += chunk.shape[0] * chunk.shape[2] * chunk.shape[3]
    mean = total / count
    std = (total_sq / count - mean.square()).clamp_min(0).sqrt().clamp_min(1e-3)
    return tuple(round(float(v), 6) for v in mean), tuple(round(float(v), 6) for v in std)


# --------------------------------------------------------------------------- IDX files

_IDX_NAME = re.compile(r"^(?:.*[-.])?(train|t10k|test)-(images|labels)-idx([13])-ubyte$")


def _idx_role(filename: str) -> str | None:
    base = filename.lower()
    if base.endswith(".gz"):
        base = base[:-3]
    base = re.sub(r"[._]", "-", base)
    m = _IDX_NAME.match(base)
    if not m:
        return None
    split, kind, ndim = m.groups()
    if (kind == "images") != (ndim == "3"):
        return None
    return f"{'train' if split == 'train' else 't10k'}-{kind}"


def _find_idx_files(folder: pathlib.Path) -> dict[str, pathlib.Path]:
    """The IDX files in ``folder`` by role (train-images, ...); uncompressed files win over .gz."""
    found: dict[str, list[pathlib.Path]] = collections.defaultdict(list)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return {}
    for entry in entries:
        try:
            if not entry.is_file():
                continue
        except OSError:
            continue
        role = _idx_role(entry.name)
        if role:
            found[role].append(pathlib.Path(entry.path))
    return {role: sorted(paths, key=lambda p: (p.name.lower().endswith(".gz"), len(p.name), p.name))[0]
            for role, paths in found.items()}


def _read_bytes(path: pathlib.Path) -> tuple[bytes, bool]:
    """The file's bytes, gunzipped when they start with the gzip magic 1f 8b; and whether they did."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"Could not read {path}: {e.strerror or e}.", recoverable=True) from None
    if data[:2] != b"\x1f\x8b":
        return data, False
    try:
        return gzip.decompress(data), True
    except EOFError:
        raise DataError(f"{path} is a damaged gzip file: it ends too early (an interrupted download?). "
                        "Delete it and download it again.", recoverable=True) from None
    except (OSError, zlib.error, ValueError) as e:
        raise DataError(f"{path} is a damaged gzip file ({e}). Delete it and download it again.",
                        recoverable=True) from None


def _read_idx(path: pathlib.Path, kind: str) -> np.ndarray:
    """Read an unsigned-byte IDX file. ``kind`` is "images" (magic 2051) or "labels" (2049)."""
    data, was_gz = _read_bytes(path)
    expect = 2051 if kind == "images" else 2049
    ndim = 3 if kind == "images" else 1
    gz_name = path.name.lower().endswith(".gz") and not was_gz
    if len(data) < 4:
        raise DataError(f"{path} is {'empty' if not data else 'too short'} ({len(data)} bytes); an IDX "
                        f"{kind} file starts with the magic number {expect}. Download it again.",
                        recoverable=True)
    magic = int.from_bytes(data[:4], "big")
    if magic != expect:
        other = {2051: "an image file", 2049: "a label file"}.get(magic)
        if other:
            hint = f" It is {other}: the image and label files seem to be swapped or misnamed."
        elif data[:1] in (b"<", b"{") or data[:5].lower() == b"<!doc":
            hint = " It looks like a web page or text: the download probably saved an error page."
        elif gz_name:
            hint = " The name ends in .gz but the file is not gzip-compressed, and it is not an IDX file either."
        elif data[:2] == b"\x00\x00" and data[2] != 0x08:
            hint = (f" Its values are stored with IDX type code 0x{data[2]:02x}; tui-dl reads only "
                    "unsigned-byte IDX files (type 0x08).")
        else:
            hint = ""
        raise DataError(f"{path} is not an IDX {kind} file: it starts with 0x{data[:4].hex()} instead of "
                        f"the magic number {expect} (0x{expect:08x}).{hint} Replace it with the right file.",
                        recoverable=True)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated: it ends inside its header. Delete it and download it again.",
                        recoverable=True)
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    need = math.prod(dims)
    have = len(data) - header
    what = f"{dims[0]:,} {kind}" + (f" of {dims[1]}×{dims[2]} pixels" if ndim == 3 else "")
    if have < need:
        raise DataError(f"{path} is truncated: its header promises {what} ({header + need:,} bytes) but the "
                        f"{'unpacked ' if was_gz else ''}file has only "
                        f"{len(data):,} bytes. Delete it and download it again.", recoverable=True)
    if have > need:
        raise DataError(f"{path} is {have - need:,} bytes longer than its header ({what}) allows; it is not "
                        "a valid IDX file. Replace it with the original file.", recoverable=True)
    arr = np.frombuffer(data, dtype=np.uint8, count=need, offset=header)
    return arr.reshape(dims).copy()


def _read_idx_pair(images: pathlib.Path, labels: pathlib.Path, num_classes: int | None,
                   title: str) -> TensorSplit:
    x = _read_idx(images, "images")
    y = _read_idx(labels, "labels")
    if x.shape[0] != y.shape[0]:
        raise DataError(f"{images} holds {x.shape[0]:,} images but {labels} holds {y.shape[0]:,} labels; "
                        "they must match. Are both files from the same dataset and split?", recoverable=True)
    if num_classes is not None and y.size and int(y.max()) >= num_classes:
        pos = int(np.argmax(y >= num_classes))
        raise DataError(f"{labels} contains the label {int(y[pos])} (at position {pos:,}) but {title} has only "
                        f"{num_classes} classes (0–{num_classes - 1}). The file probably belongs to another "
                        "dataset; replace it with the right one.", recoverable=True)
    xt = torch.from_numpy(x).unsqueeze(1)  # (N, 1, H, W), contiguous
    return TensorSplit(xt, torch.from_numpy(y.astype(np.int64)))


def _read_idx_set(files: dict[str, pathlib.Path], num_classes: int | None, title: str,
                  progress: Progress | None) -> tuple[TensorSplit, TensorSplit]:
    splits = []
    for i, split in enumerate(("train", "t10k")):
        img, lab = files[f"{split}-images"], files[f"{split}-labels"]
        _report(progress, f"Reading {img.name}", i / 2)
        splits.append(_read_idx_pair(img, lab, num_classes, title))
    train, test = splits
    if train.x.shape[1:] != test.x.shape[1:]:
        raise DataError(f"{files['train-images']} has {_fmt_shape(train.x.shape[2:])} images but "
                        f"{files['t10k-images']} has {_fmt_shape(test.x.shape[2:])} images; both must have "
                        "the same size.", recoverable=True)
    return train, test


def _describe_partial(folder: pathlib.Path, files: dict[str, pathlib.Path]) -> str:
    missing = [r for r in _IDX_ROLES if r not in files]
    return (f"{folder} has {', '.join(p.name for p in files.values())} but lacks the "
            f"{', '.join(missing)} file{'s' if len(missing) > 1 else ''}.")


def _load_idx_family(key: str, spec: _Spec, root, download: bool,
                     progress: Progress | None) -> tuple[TensorSplit, TensorSplit, str]:
    base = pathlib.Path(root).expanduser() if root is not None else default_root()
    target = base / spec.folder / "raw"
    candidates = [base, target, base / spec.folder] + [pathlib.Path(d) for d in spec.system_dirs]
    partial: list[str] = []
    seen: set[pathlib.Path] = set()
    for folder in candidates:
        if folder in seen:
            continue
        seen.add(folder)
        files = _find_idx_files(folder)
        if len(files) == 4:
            train, test = _read_idx_set(files, len(spec.classes), spec.title, progress)
            return train, test, f"{folder} (IDX files)"
        if files:
            partial.append(_describe_partial(folder, files))

    if not download:
        reason = "downloading is switched off"
    else:
        have = _find_idx_files(target)
        try:
            target.mkdir(parents=True, exist_ok=True)
            for i, (fname, md5) in enumerate(spec.files):
                role = _IDX_ROLES[i]
                if role in have:
                    continue
                _download_any(spec.mirrors, fname, target / fname, md5, progress, f"{spec.title} {fname}")
            reason = ""
        except _DownloadFailed as e:
            reason = f"download failed: {e}"
        except OSError as e:
            reason = f"could not create {target}: {e.strerror or e}"
        if not reason:
            files = _find_idx_files(target)
            train, test = _read_idx_set(files, len(spec.classes), spec.title, progress)
            return train, test, f"{target} (downloaded from {spec.mirrors[0]})"

    names = ", ".join(f for f, _ in spec.files)
    family = spec.mirrors[0] + (" (or its mirrors)" if len(spec.mirrors) > 1 else "")
    msg = (f"{spec.title} is not on this computer and could not be downloaded ({reason}). "
           f"Put the four files {names} (gzipped or not) into the folder {target} — they are published at "
           f"{family} — or run once with downloading enabled on a computer with internet access. ")
    if partial:
        msg += " ".join(partial) + " "
    msg += _FALLBACK_ADVICE
    raise DataError(msg, recoverable=True)


_FALLBACK_ADVICE = "To train without it now, set `fallback: synthetic-digits` in the data section of the YAML."


def _load_idx_folder(folder: pathlib.Path, progress: Progress | None) -> tuple[TensorSplit, TensorSplit, str]:
    for cand in (folder, folder / "raw"):
        files = _find_idx_files(cand)
        if len(files) == 4:
            train, test = _read_idx_set(files, None, "The dataset", progress)
            return train, test, f"{cand} (IDX files)"
    files = _find_idx_files(folder)
    have = _describe_partial(folder, files) if files else f"{folder} holds no IDX files."
    raise DataError(f"{have} The idx dataset needs four files: train-images-idx3-ubyte, "
                    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
                    "(gzipped or not; names like train-images.idx3-ubyte also work).", recoverable=True)


# --------------------------------------------------------------------------- downloads


class _DownloadFailed(Exception):
    pass


def _download_any(mirrors: Sequence[str], fname: str, dest: pathlib.Path, md5: str,
                  progress: Progress | None, label: str) -> None:
    errors = []
    for mirror in mirrors:
        url = mirror + fname
        try:
            _download(url, dest, md5, progress, label)
            return
        except (OSError, http.client.HTTPException, ValueError) as e:
            text = str(getattr(e, "reason", None) or e)
            errors.append(f"{url}: {text[:200]}")
    raise _DownloadFailed("; ".join(errors))


def _download(url: str, dest: pathlib.Path, md5: str, progress: Progress | None, label: str) -> None:
    """Download ``url`` to ``dest`` (via dest.part), checking the md5; no prints, no global timeout."""
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    done = 0
    _report(progress, f"Downloading {label}", None)
    request = urllib.request.Request(url, headers={"User-Agent": "tui-dl"})
    try:
        with _urlopen(request, timeout=_DOWNLOAD_TIMEOUT_S) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) if response.headers else 0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                _report(progress, f"Downloading {label}", min(done / total, 1.0) if total else None)
        if md5 and digest.hexdigest() != md5:
            raise ValueError(f"checksum mismatch (got md5 {digest.hexdigest()}, expected {md5})")
        os.replace(part, dest)
    finally:
        if part.exists():
            try:
                part.unlink()
            except OSError:
                pass


# --------------------------------------------------------------------------- CIFAR-10

_CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                "batches.meta")


def _load_cifar(spec: _Spec, root, download: bool, progress: Progress | None) -> tuple[TensorSplit, TensorSplit, str]:
    base = pathlib.Path(root).expanduser() if root is not None else default_root()
    # torchvision wants the folder that *contains* cifar-10-batches-py
    if base.name == spec.folder and not (base / spec.folder).is_dir():
        base = base.parent
    folder = base / spec.folder
    tar_name, md5 = spec.files[0]
    archive = base / tar_name
    reason = ""
    if not _cifar_complete(folder):
        if not archive.is_file() and download:
            try:
                base.mkdir(parents=True, exist_ok=True)
                _download_any(spec.mirrors, tar_name, archive, md5, progress, f"{spec.title} {tar_name}")
            except _DownloadFailed as e:
                reason = f"download failed: {e}"
            except OSError as e:
                reason = f"could not create {base}: {e.strerror or e}"
        elif not archive.is_file():
            reason = "downloading is switched off"
        if archive.is_file() and not reason:
            _report(progress, f"Unpacking {archive.name}", None)
            _extract_tar(archive, base)
            if not _cifar_complete(folder):
                raise DataError(f"{archive} did not contain the CIFAR-10 batches ({', '.join(_CIFAR_FILES)} in "
                                f"{spec.folder}/). Delete it and download it again.", recoverable=True)
    if not _cifar_complete(folder):
        raise DataError(
            f"CIFAR-10 is not on this computer and could not be downloaded ({reason}). Download "
            f"{spec.mirrors[0]}{tar_name} and put it into the folder {base} (tui-dl unpacks it there), or "
            f"unpack it yourself so that {folder / 'data_batch_1'} exists; or run once with downloading "
            "enabled on a computer with internet access. To train without it now, set "
            "`fallback: synthetic-digits` in the data section of the YAML (its images are 1×28×28, so the "
            "network's input must then be [1, 28, 28]).", recoverable=True)
    _report(progress, f"Reading {folder}", None)
    from torchvision import datasets  # lazy: importing torchvision takes seconds

    out = []
    for train in (True, False):
        try:
            ds = datasets.CIFAR10(str(base), train=train, download=False)
            x = torch.from_numpy(np.ascontiguousarray(ds.data)).permute(0, 3, 1, 2).contiguous()
            y = torch.as_tensor(ds.targets, dtype=torch.int64)
        except (RuntimeError, OSError, EOFError, ValueError, KeyError, TypeError) as e:
            raise DataError(f"The CIFAR-10 files in {folder} are damaged or incomplete ({e}). Delete the folder "
                            f"and download {tar_name} again.", recoverable=True) from None
        except Exception as e:  # unpickling garbage can raise almost anything
            raise DataError(f"The CIFAR-10 files in {folder} could not be read ({type(e).__name__}: {e}). "
                            f"Delete the folder and download {tar_name} again.", recoverable=True) from None
        out.append(TensorSplit(x, y))
    return out[0], out[1], f"{folder}"


def _cifar_complete(folder: pathlib.Path) -> bool:
    return all((folder / f).is_file() for f in _CIFAR_FILES)


def _extract_tar(archive: pathlib.Path, dest: pathlib.Path) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            try:
                tar.extractall(dest, filter="data")
            except TypeError:  # Python without extraction filters
                for member in tar.getmembers():
                    if member.name.startswith(("/", "..")) or ".." in pathlib.PurePosixPath(member.name).parts:
                        raise tarfile.TarError(f"unsafe path {member.name}")
                tar.extractall(dest)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise DataError(f"Could not unpack {archive} ({e}); it is probably damaged. Delete it and download it "
                        "again.", recoverable=True) from None


# --------------------------------------------------------------------------- image folders

_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def _class_dirs(folder: pathlib.Path) -> list[pathlib.Path]:
    try:
        subdirs = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    except OSError as e:
        raise DataError(f"Could not list the folder {folder}: {e.strerror or e}.", recoverable=True) from None
    return sorted(subdirs, key=lambda p: p.name)


def _images_in(class_dir: pathlib.Path) -> list[pathlib.Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(class_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.lower().endswith(_IMAGE_EXTS) and not f.startswith("."):
                files.append(pathlib.Path(dirpath) / f)
    if not files:
        raise DataError(f"The class folder {class_dir} contains no images ({', '.join(_IMAGE_EXTS)}). Add "
                        "images to it or delete the folder.", recoverable=True)
    return files


def _load_image_folder(folder: pathlib.Path, want: tuple[int, ...] | None, seed: int,
                       progress: Progress | None) -> tuple[TensorSplit, TensorSplit, list[str], str]:
    test_dir = next((folder / n for n in ("test", "val", "valid", "validation") if (folder / n).is_dir()), None)
    split_layout = (folder / "train").is_dir() and test_dir is not None
    train_root = folder / "train" if split_layout else folder
    class_dirs = _class_dirs(train_root)
    if not class_dirs:
        raise DataError(f"No class folders found in {train_root}. An image folder needs one sub-folder per "
                        f"class, e.g. {train_root / 'cat' / 'img001.png'} and {train_root / 'dog' / 'img002.png'}.",
                        recoverable=True)
    if len(class_dirs) == 1:
        raise DataError(f"{train_root} has only one class folder ({class_dirs[0].name}); at least two classes are "
                        "needed. Is `root:` pointing one level too deep?", recoverable=True)
    classes = [p.name for p in class_dirs]
    train_items = [(p, c) for c, d in enumerate(class_dirs) for p in _images_in(d)]
    if split_layout:
        assert test_dir is not None
        test_items = []
        for d in _class_dirs(test_dir):
            if d.name not in classes:
                raise DataError(f"The test class folder {d} has no matching folder in {train_root} (classes there: "
                                f"{', '.join(classes)}).", recoverable=True)
            test_items += [(p, classes.index(d.name)) for p in _images_in(d)]
        if not test_items:
            raise DataError(f"{test_dir} has no class folders with images.", recoverable=True)
    else:
        gen = torch.Generator().manual_seed(int(seed))
        by_class: dict[int, list] = collections.defaultdict(list)
        for item in train_items:
            by_class[item[1]].append(item)
        train_items, test_items = [], []
        for c in range(len(classes)):
            items = by_class[c]
            n_test = int(round(0.2 * len(items)))
            if n_test == 0 and len(items) >= 2:
                n_test = 1
            perm = torch.randperm(len(items), generator=gen).tolist()
            test_items += [items[i] for i in sorted(perm[:n_test])]
            train_items += [items[i] for i in sorted(perm[n_test:])]
        if not test_items:
            raise DataError(f"{folder} has too few images to split off a test set; add more images per class.",
                            recoverable=True)

    from PIL import Image  # lazy: only image folders need PIL

    if want is not None:
        if len(want) != 3 or want[0] not in (1, 3):
            raise DataError(f"image-folder makes images, so the network's input must look like [1, H, W] "
                            f"(grey) or [3, H, W] (colour), but it is {_fmt_list(want)}.")
        channels, size = want[0], (want[2], want[1])
    else:
        modes, sizes = set(), collections.Counter()
        for path, _ in train_items + test_items:
            with _open_image(Image, path) as im:
                modes.add(im.mode)
                sizes[im.size] += 1
        channels = 1 if modes <= _GRAY_MODES else 3
        size = sizes.most_common(1)[0][0]
    mode = "L" if channels == 1 else "RGB"

    splits = []
    total = len(train_items) + len(test_items)
    done = 0
    for items in (train_items, test_items):
        arrays = []
        for path, _ in items:
            if done % 64 == 0:
                _report(progress, f"Decoding images in {folder}", done / total)
            arrays.append(_decode_image(Image, path, mode, size))
            done += 1
        x = torch.from_numpy(np.stack(arrays))
        x = x.unsqueeze(1) if channels == 1 else x.permute(0, 3, 1, 2)
        y = torch.tensor([c for _, c in items], dtype=torch.int64)
        splits.append(TensorSplit(x.contiguous(), y))
    layout = f"train/{test_dir.name} sub-folders" if split_layout else "test = seeded 20 % per class"
    return splits[0], splits[1], classes, f"{folder} ({total:,} images, {layout})"


def _open_image(Image, path: pathlib.Path):
    try:
        return Image.open(path)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise DataError(f"Could not read the image {path} ({e}). Delete or replace the file.",
                        recoverable=True) from None


def _decode_image(Image, path: pathlib.Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    try:
        with Image.open(path) as im:
            try:
                im.draft(mode, size)  # lets JPEG decode at reduced size; a no-op for other formats
            except (OSError, ValueError):
                pass
            im = im.convert(mode)
            if im.size != size:
                im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
            return np.asarray(im, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as e:
        raise DataError(f"Could not read the image {path} ({e}). Delete or replace the file.",
                        recoverable=True) from None


# --------------------------------------------------------------------------- synthetic digits
#
# Each digit is a few strokes through control points in a unit box (x right, y down; the digit
# body spans about y 0.1..0.9, x 0.25..0.75). Strokes are polylines ("line"), Catmull-Rom
# curves ("curve") or closed Catmull-Rom loops ("loop"); there are 2-3 writing styles per digit.
# All of this is linear in the control points, so each style becomes a matrix M (P x K) that maps
# K (jittered) control points to P points sampled densely along the strokes. Per image we then
# apply a smooth sinusoidal "elastic" warp, a random affine map (rotation, shear/slant, scale,
# aspect, translation) and draw the strokes as a line integral of Gaussians, which is separable:
#     img[i, j] = sum_p w_p * exp(-(i - y_p)^2 / 2s^2) * exp(-(j - x_p)^2 / 2s^2)
# i.e. one batched matmul (28 x P) @ (P x 28) per image. w_p is the arc length each point stands
# for, so the result is ~ s*sqrt(2*pi) * exp(-d^2 / 2s^2) with d the distance to the stroke; a
# gain and a clamp turn it into a flat stroke with antialiased edges. Pixel noise goes on top.


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 8) -> list[tuple[float, float]]:
    return [(cx + rx * math.cos(2 * math.pi * k / n - math.pi / 2),
             cy + ry * math.sin(2 * math.pi * k / n - math.pi / 2)) for k in range(n)]


_L, _C, _O = "line", "curve", "loop"
_DIGIT_STYLES: dict[int, list[list[tuple[str, list[tuple[float, float]]]]]] = {
    0: [[(_O, _ellipse(0.5, 0.5, 0.21, 0.38))],
        [(_C, [(0.56, 0.11), (0.38, 0.16), (0.29, 0.45), (0.34, 0.8), (0.5, 0.9), (0.67, 0.78),
               (0.71, 0.45), (0.64, 0.18), (0.5, 0.1), (0.42, 0.16)])]],
    1: [[(_L, [(0.5, 0.1), (0.5, 0.9)])],
        [(_L, [(0.36, 0.25), (0.52, 0.1), (0.5, 0.9)])],
        [(_L, [(0.36, 0.25), (0.52, 0.1), (0.5, 0.9)]), (_L, [(0.36, 0.9), (0.64, 0.9)])]],
    2: [[(_C, [(0.28, 0.3), (0.36, 0.15), (0.52, 0.1), (0.68, 0.17), (0.71, 0.33), (0.6, 0.52),
               (0.42, 0.7), (0.27, 0.88)]), (_L, [(0.27, 0.88), (0.75, 0.88)])],
        [(_C, [(0.3, 0.25), (0.45, 0.1), (0.65, 0.15), (0.68, 0.35), (0.5, 0.6), (0.3, 0.84),
               (0.38, 0.76), (0.48, 0.86), (0.62, 0.9), (0.76, 0.86)])]],
    3: [[(_C, [(0.28, 0.18), (0.45, 0.1), (0.66, 0.15), (0.68, 0.32), (0.48, 0.47)]),
         (_C, [(0.48, 0.47), (0.7, 0.58), (0.71, 0.78), (0.52, 0.9), (0.27, 0.84)])],
        [(_L, [(0.28, 0.12), (0.7, 0.12), (0.45, 0.42)]),
         (_C, [(0.45, 0.42), (0.66, 0.52), (0.71, 0.72), (0.55, 0.89), (0.28, 0.84)])]],
    4: [[(_L, [(0.58, 0.1), (0.25, 0.62), (0.78, 0.62)]), (_L, [(0.62, 0.35), (0.62, 0.9)])],
        [(_L, [(0.62, 0.9), (0.62, 0.1), (0.25, 0.62), (0.78, 0.62)])],
        [(_L, [(0.3, 0.1), (0.28, 0.55), (0.75, 0.55)]), (_L, [(0.65, 0.12), (0.65, 0.9)])]],
    5: [[(_L, [(0.7, 0.12), (0.34, 0.12), (0.31, 0.46)]),
         (_C, [(0.31, 0.46), (0.5, 0.4), (0.68, 0.5), (0.71, 0.7), (0.56, 0.88), (0.28, 0.84)])],
        [(_L, [(0.36, 0.1), (0.74, 0.08)]), (_L, [(0.36, 0.1), (0.3, 0.45)]),
         (_C, [(0.3, 0.45), (0.55, 0.38), (0.72, 0.55), (0.68, 0.78), (0.5, 0.9), (0.3, 0.82)])]],
    6: [[(_C, [(0.66, 0.1), (0.48, 0.22), (0.35, 0.42), (0.3, 0.65), (0.38, 0.86), (0.55, 0.9),
               (0.68, 0.76), (0.64, 0.58), (0.48, 0.52), (0.33, 0.62)])],
        [(_C, [(0.62, 0.1), (0.45, 0.3), (0.33, 0.55), (0.32, 0.75), (0.45, 0.9), (0.63, 0.85),
               (0.68, 0.68), (0.55, 0.55), (0.38, 0.6)])]],
    7: [[(_L, [(0.25, 0.12), (0.75, 0.12), (0.42, 0.9)])],
        [(_L, [(0.25, 0.12), (0.75, 0.12), (0.42, 0.9)]), (_L, [(0.45, 0.5), (0.72, 0.5)])],
        [(_L, [(0.25, 0.14), (0.75, 0.12)]), (_C, [(0.75, 0.12), (0.6, 0.4), (0.5, 0.65), (0.46, 0.9)])]],
    8: [[(_O, _ellipse(0.5, 0.29, 0.17, 0.19)), (_O, _ellipse(0.5, 0.69, 0.21, 0.21))],
        [(_O, [(0.5, 0.1), (0.33, 0.2), (0.4, 0.38), (0.6, 0.58), (0.66, 0.78), (0.5, 0.9),
               (0.34, 0.78), (0.4, 0.58), (0.6, 0.38), (0.67, 0.2)])]],
    9: [[(_O, _ellipse(0.5, 0.32, 0.19, 0.2)), (_L, [(0.69, 0.32), (0.66, 0.9)])],
        [(_O, _ellipse(0.5, 0.32, 0.19, 0.2)),
         (_C, [(0.69, 0.3), (0.68, 0.6), (0.6, 0.85), (0.45, 0.9), (0.32, 0.83)])],
        [(_O, _ellipse(0.48, 0.3, 0.2, 0.19)), (_L, [(0.68, 0.32), (0.55, 0.9)])]],
}
_SAMPLES_PER_UNIT = 24  # points per unit of stroke length (~0.8 px apart; the Gaussian sigma is >= 0.75 px)


def _catmull_rom(p0, p1, p2, p3, t):
    t = t[:, None]
    return 0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                  + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3)


def _build_style(style) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> control points (K, 2), sampling matrix M (P, K), joined (P,): point i connects to i+1."""
    pts: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}
    strokes = []
    for kind, coords in style:
        idx = []
        for c in coords:
            c = (round(c[0], 6), round(c[1], 6))
            if c not in index:  # shared points (corners, joints) are one control point
                index[c] = len(pts)
                pts.append(c)
            idx.append(index[c])
        strokes.append((kind, idx))
    ctrl = np.array(pts, dtype=np.float64)
    eye = np.eye(len(pts))
    rows, joined = [], []
    for kind, idx in strokes:
        w, xy = eye[idx], ctrl[idx]  # waypoints as weight vectors over the control points
        if kind == _O:
            w, xy = np.concatenate([w, w[:1]]), np.concatenate([xy, xy[:1]])
            before, after = w[-2], w[1]
        else:
            before, after = 2 * w[0] - w[1], 2 * w[-1] - w[-2]
        ext = np.concatenate([before[None], w, after[None]])
        parts = []
        for s in range(len(w) - 1):
            n = max(2, math.ceil(float(np.linalg.norm(xy[s + 1] - xy[s])) * _SAMPLES_PER_UNIT))
            t = np.arange(n) / n
            if kind == _L:
                parts.append((1 - t)[:, None] * w[s] + t[:, None] * w[s + 1])
            else:
                parts.append(_catmull_rom(ext[s], ext[s + 1], ext[s + 2], ext[s + 3], t))
        parts.append(w[-1][None])
        r = np.concatenate(parts)
        rows.append(r)
        j = np.ones(len(r), dtype=bool)
        j[-1] = False
        joined.append(j)
    return ctrl, np.concatenate(rows), np.concatenate(joined)


@functools.lru_cache(maxsize=1)
def _digit_tables():
    built = [(d, _build_style(s)) for d in range(10) for s in _DIGIT_STYLES[d]]
    n_styles = len(built)
    p_max = max(m.shape[0] for _, (_, m, _) in built)
    k_max = max(c.shape[0] for _, (c, _, _) in built)
    mats = torch.zeros(n_styles, p_max, k_max)
    ctrls = torch.zeros(n_styles, k_max, 2)
    joined = torch.zeros(n_styles, p_max, dtype=torch.bool)
    for i, (_, (c, m, j)) in enumerate(built):
        mats[i, : m.shape[0], : m.shape[1]] = torch.from_numpy(m)
        ctrls[i, : c.shape[0]] = torch.from_numpy(c)
        joined[i, : len(j)] = torch.from_numpy(j)
    styles_of = [[i for i, (d, _) in enumerate(built) if d == c] for c in range(10)]
    return mats, ctrls, joined, styles_of


def synthesize_digits(n: int, seed: int = 0, *, chunk: int = 1024,
                      progress: Progress | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` handwriting-like digit images: uint8 (n, 1, 28, 28) and int64 labels, balanced over 0-9.

    Deterministic for a given (n, seed). About 1-2 s per 60,000 images on two CPU cores.
    """
    size = 28
    mats, ctrls, joined, styles_of = _digit_tables()
    p_max, k_max = mats.shape[1], mats.shape[2]
    g = torch.Generator().manual_seed(int(seed))
    labels = (torch.arange(n) % 10)[torch.randperm(n, generator=g)]
    pick = torch.rand(n, generator=g)
    style = torch.empty(n, dtype=torch.long)
    for c in range(10):
        mask = labels == c
        opts = torch.tensor(styles_of[c])
        style[mask] = opts[(pick[mask] * len(opts)).long().clamp_max(len(opts) - 1)]

    def uniform(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, *shape, generator=g)

    jitter = torch.randn(n, k_max, 2, generator=g) * 0.035  # control-point wobble (unit box)
    angle = uniform(-math.radians(15), math.radians(15))
    shear = uniform(-0.3, 0.3)  # slant
    scale = uniform(0.85, 1.15)
    aspect = uniform(0.85, 1.15)
    shift = uniform(-2.0, 2.0, 2)  # pixels
    warp_freq = uniform(-2.4 * math.pi, 2.4 * math.pi, 2, 2, 2)  # (n, out-coord, wave, in-coord)
    warp_phase = uniform(0.0, 2 * math.pi, 2, 2)
    warp_amp = uniform(-0.04, 0.04, 2, 2)
    sigma = uniform(0.75, 1.2)  # stroke blur (px)
    gain = uniform(1.5, 3.5)  # thickness: the flat core is where gain * profile >= 1
    peak = uniform(0.8, 1.0)
    noise = uniform(0.0, 0.08)
    px_per_unit = 20.0 * size / 28
    centre = (size - 1) / 2
    grid = torch.arange(size, dtype=torch.float32)
    out = torch.empty(n, size, size, dtype=torch.uint8)
    for s in range(0, n, chunk):
        if s and s % (8 * chunk) == 0:
            _report(progress, f"Generating {n:,} synthetic digits", s / n)
        e = min(n, s + chunk)
        b, st = e - s, style[s:e]
        pts = torch.bmm(mats[st], ctrls[st] + jitter[s:e])  # (b, P, 2) in the unit box
        phase = torch.einsum("bowx,bpx->bpow", warp_freq[s:e], pts) + warp_phase[s:e, None]
        pts = pts + (warp_amp[s:e, None] * torch.sin(phase)).sum(-1)
        ca, sa, sh = torch.cos(angle[s:e]), torch.sin(angle[s:e]), shear[s:e]
        sx, sy = scale[s:e] * aspect[s:e], scale[s:e] / aspect[s:e]
        affine = torch.stack([torch.stack([ca * sx, (ca * sh - sa) * sy], -1),
                              torch.stack([sa * sx, (sa * sh + ca) * sy], -1)], -2)  # R @ Shear @ S
        q = torch.bmm(pts - 0.5, affine.transpose(1, 2)).mul_(px_per_unit).add_(centre)
        q += shift[s:e, None]
        seg = (q[:, 1:] - q[:, :-1]).norm(dim=-1) * joined[st][:, :-1]  # (b, P-1) pixels
        w = torch.zeros(b, p_max)
        w[:, :-1] += 0.5 * seg
        w[:, 1:] += 0.5 * seg
        coef = (-0.5 / sigma[s:e] ** 2)[:, None, None]
        gx = q[..., 0:1] - grid
        gx.mul_(gx).mul_(coef).exp_()
        gy = q[..., 1:2] - grid
        gy.mul_(gy).mul_(coef).exp_().mul_(w[..., None])
        img = torch.bmm(gy.transpose(1, 2), gx)  # (b, rows=y, cols=x)
        img.mul_((gain[s:e] / (sigma[s:e] * math.sqrt(2 * math.pi)))[:, None, None])
        img.clamp_(0, 1).mul_(peak[s:e, None, None])
        img.add_(torch.randn(b, size, size, generator=g).mul_(noise[s:e, None, None]))
        out[s:e] = img.clamp_(0, 1).mul_(255).round_().to(torch.uint8)
    return out.unsqueeze(1), labels


# --------------------------------------------------------------------------- toy 2-D sets


def make_toy(kind: str, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` seeded noisy 2-D points (float32 (n, 2), roughly within [-1.5, 1.5]) with 2 balanced
    classes, shuffled."""
    g = torch.Generator().manual_seed(int(seed))
    n1 = n // 2
    y = torch.cat([torch.zeros(n - n1, dtype=torch.int64), torch.ones(n1, dtype=torch.int64)])
    yf = y.to(torch.float32)
    u = torch.rand(n, generator=g)
    eps = torch.randn(n, 2, generator=g)
    if kind == "spirals":
        t = 0.08 + 0.92 * u
        theta = 3.0 * math.pi * t + math.pi * yf
        x = torch.stack([t * torch.cos(theta), t * torch.sin(theta)], 1) * 1.2 + 0.05 * eps
    elif kind == "moons":
        theta = math.pi * u
        upper = torch.stack([torch.cos(theta), torch.sin(theta)], 1)
        lower = torch.stack([1 - torch.cos(theta), 0.5 - torch.sin(theta)], 1)
        x = torch.where(y[:, None] == 0, upper, lower) - torch.tensor([0.5, 0.25]) + 0.1 * eps
    elif kind == "circles":
        theta = 2 * math.pi * u
        r = 1.0 - 0.5 * yf
        x = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1) + 0.08 * eps
    elif kind == "xor":
        pts = torch.rand(n, 2, generator=g) * 2 - 1
        quadrant = ((pts[:, 0] > 0) != (pts[:, 1] > 0)).to(torch.int64)  # 1 = 2nd/4th quadrant
        # reorder so the classes stay balanced: points whose quadrant matches the wanted label
        # are kept, the others are mirrored over the x axis (which flips the quadrant class)
        flip = quadrant != y
        pts[flip, 1] = -pts[flip, 1]
        x = pts + 0.05 * eps
    elif kind == "gaussians":
        centre = torch.tensor([[-0.6, -0.4], [0.6, 0.4]])
        x = centre[y] + 0.4 * eps
    else:  # pragma: no cover - callers pass TOY_DATASETS names
        raise DataError(f"Unknown toy dataset {kind!r}; valid: {', '.join(TOY_DATASETS)}.")
    perm = torch.randperm(n, generator=g)
    return x[perm].to(torch.float32).contiguous(), y[perm].contiguous()
