"""Your own pictures: ``root/<class>/*.png`` (optionally ``root/train`` + ``root/test``), decoded with PIL
(imported lazily) and resized to the network's input."""

from __future__ import annotations

import collections
import os
import pathlib
import warnings

import numpy as np
import torch

from tui_dl.core.data.base import DataError, Progress, TensorSplit, _fmt_list, _report
from tui_dl.core.i18n import _

_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def _class_dirs(folder: pathlib.Path) -> list[pathlib.Path]:
    try:
        subdirs = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    except OSError as e:
        raise DataError(_("Could not list the folder {folder}: {error}.").format(folder=folder, error=e.strerror or e),
                        recoverable=True) from None
    return sorted(subdirs, key=lambda p: p.name)


def _images_in(class_dir: pathlib.Path) -> list[pathlib.Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(class_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.lower().endswith(_IMAGE_EXTS) and not f.startswith("."):
                files.append(pathlib.Path(dirpath) / f)
    if not files:
        raise DataError(_("The class folder {folder} contains no images ({extensions}). Add images to it or delete "
                          "the folder.").format(folder=class_dir, extensions=', '.join(_IMAGE_EXTS)),
                        recoverable=True)
    return files


def _load_image_folder(folder: pathlib.Path, want: tuple[int, ...] | None, seed: int,
                       progress: Progress | None) -> tuple[TensorSplit, TensorSplit, list[str], str]:
    test_dir = next((folder / n for n in ("test", "val", "valid", "validation") if (folder / n).is_dir()), None)
    split_layout = (folder / "train").is_dir() and test_dir is not None
    train_root = folder / "train" if split_layout else folder
    class_dirs = _class_dirs(train_root)
    if not class_dirs:
        raise DataError(_("No class folders found in {folder}. An image folder needs one sub-folder per class, "
                          "e.g. {example1} and {example2}.").format(
                              folder=train_root, example1=train_root / 'cat' / 'img001.png',
                              example2=train_root / 'dog' / 'img002.png'), recoverable=True)
    if len(class_dirs) == 1:
        raise DataError(_("{folder} has only one class folder ({name}); at least two classes are needed. Is `root:` "
                          "pointing one level too deep?").format(folder=train_root, name=class_dirs[0].name),
                        recoverable=True)
    classes = [p.name for p in class_dirs]
    train_items = [(p, c) for c, d in enumerate(class_dirs) for p in _images_in(d)]
    if split_layout:
        assert test_dir is not None
        test_items = []
        for d in _class_dirs(test_dir):
            if d.name not in classes:
                raise DataError(_("The test class folder {folder} has no matching folder in {train} (classes "
                                  "there: {classes}).").format(folder=d, train=train_root,
                                                               classes=', '.join(classes)), recoverable=True)
            test_items += [(p, classes.index(d.name)) for p in _images_in(d)]
        if not test_items:
            raise DataError(_("{folder} has no class folders with images.").format(folder=test_dir),
                            recoverable=True)
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
            raise DataError(_("{folder} has too few images to split off a test set; add more images per class.")
                            .format(folder=folder), recoverable=True)

    from PIL import Image  # lazy: only image folders need PIL

    if want is not None:
        if len(want) != 3 or want[0] not in (1, 3):
            raise DataError(_("image-folder makes images, so the network's input must look like [1, H, W] "
                              "(grey) or [3, H, W] (colour), but it is {input}.").format(input=_fmt_list(want)))
        channels, size = want[0], (want[2], want[1])
    else:
        modes, sizes = set(), collections.Counter()
        for path, _c in train_items + test_items:
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
        for path, _c in items:
            if done % 64 == 0:
                _report(progress, _("Decoding images in {folder}").format(folder=folder), done / total)
            arrays.append(_decode_image(Image, path, mode, size))
            done += 1
        x = torch.from_numpy(np.stack(arrays))
        x = x.unsqueeze(1) if channels == 1 else x.permute(0, 3, 1, 2)
        y = torch.tensor([c for _p, c in items], dtype=torch.int64)
        splits.append(TensorSplit(x.contiguous(), y))
    layout = (_("train/{test} sub-folders").format(test=test_dir.name) if split_layout
              else _("test = seeded 20 % per class"))
    return splits[0], splits[1], classes, _("{folder} ({n} images, {layout})").format(
        folder=folder, n=f"{total:,}", layout=layout)


def _too_large(Image, path: pathlib.Path, pixels: int | None) -> DataError:
    if pixels:
        text = _("The image {path} is too large ({megapixels} megapixels) to be a training image: PIL refuses to "
                 "decode more than {limit} pixels (a decompression-bomb guard). Shrink it or remove it from the folder.")
    else:
        text = _("The image {path} is too large to be a training image: PIL refuses to decode more than {limit} "
                 "pixels (a decompression-bomb guard). Shrink it or remove it from the folder.")
    return DataError(text.format(path=path, megapixels=f"{(pixels or 0) / 1e6:,.0f}",
                                 limit=f"{Image.MAX_IMAGE_PIXELS:,}"), recoverable=True)


def _open_image(Image, path: pathlib.Path):
    """Open (header only: decoding is lazy) and refuse an image over PIL's pixel limit with a message that names
    it, instead of letting PIL's DecompressionBombWarning reach the user."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError:
        raise _too_large(Image, path, None) from None
    except (OSError, ValueError, SyntaxError) as e:
        raise DataError(_("Could not read the image {path} ({error}). Delete or replace the file.").format(
            path=path, error=e), recoverable=True) from None
    w, h = im.size
    if Image.MAX_IMAGE_PIXELS and w * h > Image.MAX_IMAGE_PIXELS:
        im.close()
        raise _too_large(Image, path, w * h)
    return im


def _decode_image(Image, path: pathlib.Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    try:
        with _open_image(Image, path) as im:
            try:
                im.draft(mode, size)  # lets JPEG decode at reduced size; a no-op for other formats
            except (OSError, ValueError):
                pass
            im = im.convert(mode)
            if im.size != size:
                im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
            return np.asarray(im, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as e:
        raise DataError(_("Could not read the image {path} ({error}). Delete or replace the file.").format(
            path=path, error=e), recoverable=True) from None
