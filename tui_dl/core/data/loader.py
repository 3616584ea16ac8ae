"""``load_dataset``: name → catalogue entry → the source module that reads or makes it, then the
seeded validation split, the input-shape check and the fallback dataset."""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
from typing import Sequence

import numpy as np
import torch

from tui_dl.core.config.fields import FieldError
from tui_dl.core.data.base import (DATA_FIELDS, _DATASETS, _FALLBACK_ADVICE, SYNTHETIC_TRAIN_DEFAULT, TOY_POINTS_DEFAULT,
                                   DataError, LoadedData, Progress, TensorSplit, _canonical, _fmt_list,
                                   _fmt_shape, _report, _sentences, given_root)
from tui_dl.core.data.cifar import _load_cifar
from tui_dl.core.data.csv_table import feature_stats, load_csv_table
from tui_dl.core.data.idx import _load_idx_family, _load_idx_folder
from tui_dl.core.data.image_folder import _load_image_folder
from tui_dl.core.data.normalize import _channel_stats
from tui_dl.core.data.synthetic import synthesize_digits
from tui_dl.core.data.toy import make_toy
from tui_dl.core.i18n import N_, _

_DATA_FIELDS = {f.name: f for f in DATA_FIELDS}


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
    path: str | os.PathLike | None = None,
    label: str = "label",
    subset: int | None = None,
) -> LoadedData:
    """Load a whole dataset into memory. See the module docstring and the README (Datasets).

    ``root``: cache folder for mnist/fashion-mnist/kmnist/cifar10 (default :func:`default_root`)
    or a folder holding the files directly; the data folder for idx and image-folder; ignored by
    generated sets. ``num_samples`` sizes generated sets only (synthetic-digits: train images,
    test = num_samples // 5; toy sets: total points). ``fallback``: a dataset to use when this one
    cannot be had (missing, download failed, damaged files); the result then says so in
    ``fallback_used`` / ``fallback_reason``. ``path``/``label``: the csv dataset's file and label column.
    ``subset``: keep only the first N examples of the training split (after the validation split).
    """
    key = _canonical(name)
    want = _check_input_shape(input_shape)
    val_split = float(_checked("val_split", val_split, "val_split",
                               _("0.1 keeps 10 % of the training data for validation.")))
    fb_key = _canonical(fallback) if fallback else None
    if subset is not None:
        subset = int(_checked("subset", subset, "subset"))
    table = {"path": path, "label": label}
    try:
        return _subset(_load(key, root=root, download=download, val_split=val_split, seed=seed, want=want,
                             num_samples=num_samples, progress=progress, table=table), subset)
    except DataError as err:
        if fb_key is None or fb_key == key or not err.recoverable:
            raise
        # the advice to set a fallback is moot once one is in use
        reason = str(err).replace(_(_FALLBACK_ADVICE), "").replace(_FALLBACK_ADVICE, "").strip()
    fb_spec = _DATASETS[fb_key]
    if want is not None and fb_spec.shape is not None and fb_spec.shape != want:
        raise DataError(_sentences(reason, _(
            "The fallback dataset {name} cannot stand in either: its samples are {shape} but the network's input "
            "is {input}.").format(name=fb_key, shape=_fmt_shape(fb_spec.shape), input=_fmt_list(want))),
            recoverable=True)
    try:
        data = _subset(_load(fb_key, root=root, download=download, val_split=val_split, seed=seed, want=want,
                             num_samples=num_samples, progress=progress, table=table), subset)
    except DataError as err2:
        raise DataError(_sentences(reason, _("The fallback dataset {name} failed too: {error}").format(
            name=fb_key, error=err2)), recoverable=err2.recoverable) from None
    return dataclasses.replace(data, fallback_used=True, fallback_reason=reason)


def _subset(data: LoadedData, n: int | None) -> LoadedData:
    """``data`` with its training split cut to the first ``n`` examples (``data.subset``)."""
    if n is None:
        return data
    if n >= len(data.train):  # said in the source line (the dry run and the run's dataset line show it)
        return dataclasses.replace(data, source=data.source + "; " + _(
            "data.subset {n} is not below the {total} training examples: all are used").format(
                n=f"{n:,}", total=f"{len(data.train):,}"))
    train = TensorSplit(data.train.x[:n], data.train.y[:n])
    return dataclasses.replace(data, train=train, source=data.source + "; " + _(
        "training on the first {n} examples (data.subset)").format(n=f"{n:,}"))


def _load(key: str, *, root, download, val_split, seed, want, num_samples, progress, table=None) -> LoadedData:
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
        folder = _need_root(root, "idx", N_("a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                            "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte"))
        train, test, source = _load_idx_folder(folder, progress)
        if len(train.y) == 0:
            raise DataError(_("The training files in {folder} hold no images (their header says 0 items). "
                              "Replace them with the full files.").format(folder=folder), recoverable=True)
        n_cls = int(max(train.y.max().item(), test.y.max().item() if len(test.y) else 0)) + 1
        classes = [str(i) for i in range(n_cls)]
        if want is not None:
            _require_shape(N_("The IDX"), tuple(train.x.shape[1:]), want)
        mean, std = _channel_stats(train.x)
    elif spec.kind == "folder":
        folder = _need_root(root, "image-folder", N_("a folder with one sub-folder of images per class"))
        train, test, classes, source = _load_image_folder(folder, want, seed, progress)
        mean, std = _channel_stats(train.x)
    elif spec.kind == "synthetic":
        n_train = SYNTHETIC_TRAIN_DEFAULT if num_samples is None else _check_count(num_samples, key)
        n_test = max(10, n_train // 5)
        _report(progress, _("Generating {n} synthetic digits").format(n=f"{n_train + n_test:,}"), 0.0)
        x, y = synthesize_digits(n_train + n_test, seed=seed, progress=progress)
        train, test = TensorSplit(x[:n_train], y[:n_train]), TensorSplit(x[n_train:], y[n_train:])
        classes = list(spec.classes)
        mean, std = _channel_stats(train.x)
        source = _("generated from seed {seed} ({train} train + {test} test images)").format(
            seed=seed, train=f"{n_train:,}", test=f"{n_test:,}")
    elif spec.kind == "toy":
        n = TOY_POINTS_DEFAULT if num_samples is None else _check_count(num_samples, key)
        x, y = make_toy(key, n, seed=seed)
        n_train = int(round(0.8 * n))
        train, test = TensorSplit(x[:n_train], y[:n_train]), TensorSplit(x[n_train:], y[n_train:])
        classes, mean, std = list(spec.classes), (), ()
        source = _("generated from seed {seed} ({n} points, {train} train + {test} test)").format(
            seed=seed, n=f"{n:,}", train=f"{n_train:,}", test=f"{n - n_train:,}")
    elif spec.kind == "csv":
        table = table or {}
        train, test, classes, features, source = load_csv_table(table.get("path"), table.get("label") or "label",
                                                                seed, progress)
        if want is not None:
            _require_shape(N_("The CSV table's"), (len(features),), want)
        train, val = _split_val(train, val_split, seed)
        mean, std = feature_stats(train.x)  # standardised with the training split's statistics only
        _report(progress, _("{title} ready").format(title=_(spec.title)), 1.0)
        return LoadedData(name=key, train=train, val=val, test=test, classes=classes,
                          input_shape=(len(features),), mean=mean, std=std, source=source)
    else:  # pragma: no cover - registry and dispatch are kept in sync
        raise AssertionError(spec.kind)

    train, val = _split_val(train, val_split, seed)
    _report(progress, _("{title} ready").format(title=_(spec.title)), 1.0)
    return LoadedData(
        name=key, train=train, val=val, test=test, classes=classes,
        input_shape=tuple(int(v) for v in train.x.shape[1:]), mean=tuple(mean), std=tuple(std),
        source=source,
    )


def _need_root(root, what: str, expected: str) -> pathlib.Path:
    if root is None or str(root).strip() == "":
        raise DataError(_("The {name} dataset needs `root:` set to {expected}.").format(
            name=what, expected=_(expected)))
    folder = given_root(root)
    if not folder.is_dir():
        raise DataError(_("The {name} folder {folder} does not exist (or is not a folder). "
                          "Set `root:` to {expected}.").format(name=what, folder=folder, expected=_(expected)),
                        recoverable=True)
    return folder


def _check_count(n: object, key: str) -> int:
    if isinstance(n, np.integer):
        n = int(n)
    return int(_checked("num_samples", n, _("num_samples for {name}").format(name=key)))


def _checked(name: str, value: object, what: str, advice: str = "") -> object:
    """``value`` checked against the config schema's own Field, for callers that bypass the YAML loader;
    the limits (val_split 0 to 0.9, num_samples 10 to 2,000,000) are declared there only."""
    try:
        return _DATA_FIELDS[name].coerce(value)
    except FieldError as e:
        raise DataError(f"{what}: {e}." + (f" {advice}" if advice else "")) from None


def _check_input_shape(input_shape) -> tuple[int, ...] | None:
    if input_shape is None:
        return None
    try:
        want = tuple(int(v) for v in input_shape)
        ok = len(want) > 0 and all(v > 0 for v in want) and all(float(v) == int(v) for v in input_shape)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(_("The network's input shape {shape} is not a list of positive whole "
                          "numbers such as [1, 28, 28] or [2].").format(shape=repr(input_shape)))
    return want


def _require_shape(title: str, have: tuple[int, ...], want: tuple[int, ...]) -> None:
    if tuple(have) == tuple(want):
        return
    args = dict(title=_(title), have=_fmt_shape(have), input=_fmt_list(want), list=_fmt_list(have))
    if len(have) == 3:
        if len(want) == 1 and want[0] == math.prod(have):
            text = _("{title} images are {have} but the network's input is {input}: start the network with a "
                     "Flatten layer and set `input: {list}` in the YAML.")
        else:
            text = _("{title} images are {have} but the network's input is {input}: set `input: {list}` in the "
                     "YAML{alternatives}.")
    else:
        text = _("{title} points have {have} features but the network's input is {input}: set `input: {list}` "
                 "in the YAML{alternatives}.")
    raise DataError(text.format(alternatives=_alternatives(want), **args))


def _alternatives(want: tuple[int, ...]) -> str:
    same = [k for k, s in _DATASETS.items() if s.shape == want]
    if same:
        names = same[:3] if len(same) == 1 else [", ".join(same[:2])] + same[2:3]
        # TRANSLATORS: {names} is one or two dataset names joined by " or " (two: "a, b or c")
        names_text = _(" or ").join(names)
        if len(want) == 3:
            return _(", or pick a dataset with {shape} images such as {names}").format(
                shape=_fmt_shape(want), names=names_text)
        return _(", or pick a dataset with {shape} features such as {names}").format(
            shape=_fmt_shape(want), names=names_text)
    if len(want) == 3 and want[0] in (1, 3):
        return _(", or use image-folder, which resizes your own images to any size")
    return ""


def _split_val(train: TensorSplit, val_split: float, seed: int) -> tuple[TensorSplit, TensorSplit | None]:
    n = len(train)
    if val_split == 0.0:
        return train, None
    n_val = max(1, int(round(n * val_split)))
    if n_val >= n:
        raise DataError(_("val_split={value} leaves no training data: the training set has only "
                          "{n} samples. Use a smaller val_split.").format(value=val_split, n=n))
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))
    val_idx, _order = perm[:n_val].sort()
    tr_idx, _order = perm[n_val:].sort()
    return (TensorSplit(train.x[tr_idx], train.y[tr_idx]), TensorSplit(train.x[val_idx], train.y[val_idx]))
