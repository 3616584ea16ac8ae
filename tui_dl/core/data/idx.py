"""MNIST-format (IDX) datasets: our own reader for unsigned-byte IDX files (numpy.frombuffer), gzipped or not.

Two sources use it: the mnist / fashion-mnist / kmnist family (found in ``root``, torchvision's
``root/<MNIST|FashionMNIST|KMNIST>/raw`` layout or a system folder, else downloaded from the mirrors in
the catalogue) and the ``idx`` dataset (a folder with the four IDX files of any MNIST-like dataset).
"""

from __future__ import annotations

import collections
import gzip
import math
import os
import pathlib
import re
import zlib

import numpy as np
import torch

from tui_dl.core.data.base import (_FALLBACK_ADVICE, _IDX_ROLES, DataError, Progress, TensorSplit, _fmt_shape,
                                   _report, _Spec, given_root)
from tui_dl.core.data.download import _download_any, _DownloadFailed

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


def _memory_bytes() -> int | None:
    """This machine's physical memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def _damaged_gzip(path: pathlib.Path, e: BaseException) -> DataError:
    if isinstance(e, EOFError):
        return DataError(f"{path} is a damaged gzip file: it ends too early (an interrupted download?). "
                         "Delete it and download it again.", recoverable=True)
    return DataError(f"{path} is a damaged gzip file ({e}). Delete it and download it again.", recoverable=True)


def _read(stream, n: int, path: pathlib.Path) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the data); gzip damage becomes a DataError."""
    try:
        return stream.read(n)
    except OSError as e:
        if isinstance(stream, gzip.GzipFile) and not isinstance(e, (PermissionError, FileNotFoundError)):
            raise _damaged_gzip(path, e) from None
        raise DataError(f"Could not read {path}: {e.strerror or e}.", recoverable=True) from None
    except (EOFError, zlib.error, ValueError) as e:
        raise _damaged_gzip(path, e) from None


#: bytes unpacked per read into the dataset's array
_CHUNK = 1 << 20


def _read_into(stream, buf: memoryview, path: pathlib.Path) -> int:
    """Fill ``buf`` from ``stream`` (fewer bytes only at the end of the data); the bytes read. Gzip damage
    becomes a DataError, as in :func:`_read`."""
    have, n = 0, len(buf)
    try:
        while have < n:
            got = stream.readinto(buf[have:have + _CHUNK])  # gzip's readinto of n bytes makes n bytes first
            if not got:
                break
            have += got
    except OSError as e:
        if isinstance(stream, gzip.GzipFile) and not isinstance(e, (PermissionError, FileNotFoundError)):
            raise _damaged_gzip(path, e) from None
        raise DataError(f"Could not read {path}: {e.strerror or e}.", recoverable=True) from None
    except (EOFError, zlib.error, ValueError) as e:
        raise _damaged_gzip(path, e) from None
    return have


def _read_idx(path: pathlib.Path, kind: str) -> np.ndarray:
    """Read an unsigned-byte IDX file. ``kind`` is "images" (magic 2051) or "labels" (2049).

    Streamed and bounded by the header: a gzip file is unpacked only as far as its header says the data goes (plus
    one byte, to notice extra data), so a gzip bomb posing as an IDX file is refused after a few bytes, and a
    header that declares more data than this machine's memory is refused before anything is allocated."""
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise DataError(f"Could not read {path}: {e.strerror or e}.", recoverable=True) from None
    with raw:
        was_gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if was_gz else raw
        return _parse_idx(stream, path, kind, was_gz)


def _parse_idx(stream, path: pathlib.Path, kind: str, was_gz: bool) -> np.ndarray:
    expect = 2051 if kind == "images" else 2049
    ndim = 3 if kind == "images" else 1
    header = 4 + 4 * ndim
    head = _read(stream, header, path)
    gz_name = path.name.lower().endswith(".gz") and not was_gz
    if len(head) < 4:
        raise DataError(f"{path} is {'empty' if not head else 'too short'} ({len(head)} bytes); an IDX "
                        f"{kind} file starts with the magic number {expect}. Download it again.",
                        recoverable=True)
    magic = int.from_bytes(head[:4], "big")
    if magic != expect:
        other = {2051: "an image file", 2049: "a label file"}.get(magic)
        if other:
            hint = f" It is {other}: the image and label files seem to be swapped or misnamed."
        elif head[:1] in (b"<", b"{") or head[:5].lower() == b"<!doc":
            hint = " It looks like a web page or text: the download probably saved an error page."
        elif gz_name:
            hint = " The name ends in .gz but the file is not gzip-compressed, and it is not an IDX file either."
        elif head[:2] == b"\x00\x00" and head[2] != 0x08:
            hint = (f" Its values are stored with IDX type code 0x{head[2]:02x}; tui-dl reads only "
                    "unsigned-byte IDX files (type 0x08).")
        else:
            hint = ""
        raise DataError(f"{path} is not an IDX {kind} file: it starts with 0x{head[:4].hex()} instead of "
                        f"the magic number {expect} (0x{expect:08x}).{hint} Replace it with the right file.",
                        recoverable=True)
    if len(head) < header:
        raise DataError(f"{path} is truncated: it ends inside its header. Delete it and download it again.",
                        recoverable=True)
    dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    need = math.prod(dims)
    what = f"{dims[0]:,} {kind}" + (f" of {dims[1]}×{dims[2]} pixels" if ndim == 3 else "")
    memory = _memory_bytes()
    if memory is not None and need > memory // 2:
        raise DataError(f"{path}'s header declares {what} ({header + need:,} bytes), more than half of this "
                        f"machine's memory ({memory:,} bytes): it is not a dataset tui-dl can hold. Check the file.",
                        recoverable=True)
    # read straight into the array that is returned: no bytes object, no copy of it (a 47 MB Fashion-MNIST
    # training set once, not three times over at the peak)
    arr = np.empty(need + 1, dtype=np.uint8)
    have = _read_into(stream, memoryview(arr), path)
    if have < need:
        raise DataError(f"{path} is truncated: its header promises {what} ({header + need:,} bytes) but the "
                        f"{'unpacked ' if was_gz else ''}file has only "
                        f"{header + have:,} bytes. Delete it and download it again.", recoverable=True)
    if have > need:
        by = "" if was_gz else f"{path.stat().st_size - header - need:,} bytes "  # gzip: not unpacked further
        raise DataError(f"{path} is {by}longer than its header ({what}) allows; it is not a valid IDX file. "
                        "Replace it with the original file.", recoverable=True)
    return arr[:need].reshape(dims)


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
    base = given_root(root)
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


def _check_label_numbering(files: dict[str, pathlib.Path], train: TensorSplit, test: TensorSplit) -> None:
    """IDX labels are class numbers 0…K−1, so K is the largest label + 1. When most of those classes never
    appear (labels 0–3 and one 200 make 201 classes, 196 of them empty), the largest label is a damaged or foreign
    value: say which file holds it. A few unused numbers (EMNIST letters start at 1) are fine."""
    present = set(torch.unique(train.y).tolist()) | set(torch.unique(test.y).tolist())
    if not present:
        return
    k = max(present) + 1
    if len(present) * 2 >= k:
        return
    top = max(present)
    split = "train" if len(train.y) and int(train.y.max()) == top else "t10k"
    labels = (train if split == "train" else test).y
    pos = int((labels == top).nonzero()[0])
    shown = ", ".join(map(str, sorted(present)[:8])) + (", …" if len(present) > 8 else "")
    raise DataError(f"{files[split + '-labels']} contains the label {top} (at position {pos:,}), but only "
                    f"{len(present)} different labels appear ({shown}). IDX labels are class numbers 0…K−1, so "
                    f"this would make {k} classes, {k - len(present)} of them empty. Fix or replace the label file "
                    "(is it from another dataset?).", recoverable=True)


def _load_idx_folder(folder: pathlib.Path, progress: Progress | None) -> tuple[TensorSplit, TensorSplit, str]:
    for cand in (folder, folder / "raw"):
        files = _find_idx_files(cand)
        if len(files) == 4:
            train, test = _read_idx_set(files, None, "The dataset", progress)
            _check_label_numbering(files, train, test)
            return train, test, f"{cand} (IDX files)"
    files = _find_idx_files(folder)
    have = _describe_partial(folder, files) if files else f"{folder} holds no IDX files."
    raise DataError(f"{have} The idx dataset needs four files: train-images-idx3-ubyte, "
                    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
                    "(gzipped or not; names like train-images.idx3-ubyte also work).", recoverable=True)
