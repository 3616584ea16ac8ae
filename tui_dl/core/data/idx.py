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
                                   _report, _sentences, _Spec, given_root)
from tui_dl.core.data.download import _download_any, _DownloadFailed
from tui_dl.core.i18n import N_, _, ngettext

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
        return DataError(_("{path} is a damaged gzip file: it ends too early (an interrupted download?). "
                           "Delete it and download it again.").format(path=path), recoverable=True)
    return DataError(_("{path} is a damaged gzip file ({error}). Delete it and download it again.").format(
        path=path, error=e), recoverable=True)


def _unreadable(path: pathlib.Path, e: OSError) -> DataError:
    return DataError(_("Could not read {path}: {error}.").format(path=path, error=e.strerror or e),
                     recoverable=True)


def _read(stream, n: int, path: pathlib.Path) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the data); gzip damage becomes a DataError."""
    try:
        return stream.read(n)
    except OSError as e:
        if isinstance(stream, gzip.GzipFile) and not isinstance(e, (PermissionError, FileNotFoundError)):
            raise _damaged_gzip(path, e) from None
        raise _unreadable(path, e) from None
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
        raise _unreadable(path, e) from None
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
        raise _unreadable(path, e) from None
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
    # TRANSLATORS: {file} is "an IDX image file" or "an IDX label file", the kind of file expected
    file = _("an IDX image file") if kind == "images" else _("an IDX label file")
    if len(head) < 4:
        text = (_("{path} is empty (0 bytes); {file} starts with the magic number {magic}. Download it again.")
                if not head else
                _("{path} is too short ({n} bytes); {file} starts with the magic number {magic}. Download it again."))
        raise DataError(text.format(path=path, n=len(head), file=file, magic=expect), recoverable=True)
    magic = int.from_bytes(head[:4], "big")
    if magic != expect:
        if magic in (2051, 2049):
            hint = (_(" It is an image file: the image and label files seem to be swapped or misnamed.")
                    if magic == 2051 else
                    _(" It is a label file: the image and label files seem to be swapped or misnamed."))
        elif head[:1] in (b"<", b"{") or head[:5].lower() == b"<!doc":
            hint = _(" It looks like a web page or text: the download probably saved an error page.")
        elif gz_name:
            hint = _(" The name ends in .gz but the file is not gzip-compressed, and it is not an IDX file either.")
        elif head[:2] == b"\x00\x00" and head[2] != 0x08:
            hint = _(" Its values are stored with IDX type code 0x{code}; tui-dl reads only "
                     "unsigned-byte IDX files (type 0x08).").format(code=f"{head[2]:02x}")
        else:
            hint = ""
        raise DataError(_("{path} is not {file}: it starts with 0x{start} instead of the magic number {magic} "
                          "(0x{magic_hex}).{hint} Replace it with the right file.").format(
                              path=path, file=file, start=head[:4].hex(), magic=expect, magic_hex=f"{expect:08x}",
                              hint=hint), recoverable=True)
    if len(head) < header:
        raise DataError(_("{path} is truncated: it ends inside its header. Delete it and download it again.")
                        .format(path=path), recoverable=True)
    dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    need = math.prod(dims)
    what = (_("{n} images of {h}×{w} pixels").format(n=f"{dims[0]:,}", h=dims[1], w=dims[2]) if ndim == 3 else
            _("{n} labels").format(n=f"{dims[0]:,}"))
    memory = _memory_bytes()
    if memory is not None and need > memory // 2:
        raise DataError(_("{path}'s header declares {what} ({size} bytes), more than half of this machine's "
                          "memory ({memory} bytes): it is not a dataset tui-dl can hold. Check the file.").format(
                              path=path, what=what, size=f"{header + need:,}", memory=f"{memory:,}"),
                        recoverable=True)
    # read straight into the array that is returned: no bytes object, no copy of it (a 47 MB Fashion-MNIST
    # training set once, not three times over at the peak)
    arr = np.empty(need + 1, dtype=np.uint8)
    have = _read_into(stream, memoryview(arr), path)
    if have < need:
        text = (_("{path} is truncated: its header promises {what} ({size} bytes) but the unpacked file has only "
                  "{have} bytes. Delete it and download it again.") if was_gz else
                _("{path} is truncated: its header promises {what} ({size} bytes) but the file has only "
                  "{have} bytes. Delete it and download it again."))
        raise DataError(text.format(path=path, what=what, size=f"{header + need:,}", have=f"{header + have:,}"),
                        recoverable=True)
    if have > need:
        if was_gz:  # gzip: not unpacked further
            text = _("{path} is longer than its header ({what}) allows; it is not a valid IDX file. "
                     "Replace it with the original file.")
        else:
            text = _("{path} is {extra} bytes longer than its header ({what}) allows; it is not a valid IDX file. "
                     "Replace it with the original file.")
        raise DataError(text.format(path=path, what=what, extra=f"{path.stat().st_size - header - need:,}"),
                        recoverable=True)
    return arr[:need].reshape(dims)


def _read_idx_pair(images: pathlib.Path, labels: pathlib.Path, num_classes: int | None,
                   title: str) -> TensorSplit:
    x = _read_idx(images, "images")
    y = _read_idx(labels, "labels")
    if x.shape[0] != y.shape[0]:
        raise DataError(_("{images} holds {n_images} images but {labels} holds {n_labels} labels; they must "
                          "match. Are both files from the same dataset and split?").format(
                              images=images, n_images=f"{x.shape[0]:,}", labels=labels,
                              n_labels=f"{y.shape[0]:,}"), recoverable=True)
    if num_classes is not None and y.size and int(y.max()) >= num_classes:
        pos = int(np.argmax(y >= num_classes))
        raise DataError(_("{labels} contains the label {label} (at position {pos}) but {title} has only "
                          "{n} classes (0–{last}). The file probably belongs to another dataset; replace it with "
                          "the right one.").format(labels=labels, label=int(y[pos]), pos=f"{pos:,}",
                                                   title=_(title), n=num_classes, last=num_classes - 1),
                        recoverable=True)
    xt = torch.from_numpy(x).unsqueeze(1)  # (N, 1, H, W), contiguous
    return TensorSplit(xt, torch.from_numpy(y.astype(np.int64)))


def _read_idx_set(files: dict[str, pathlib.Path], num_classes: int | None, title: str,
                  progress: Progress | None) -> tuple[TensorSplit, TensorSplit]:
    splits = []
    for i, split in enumerate(("train", "t10k")):
        img, lab = files[f"{split}-images"], files[f"{split}-labels"]
        _report(progress, _("Reading {file}").format(file=img.name), i / 2)
        splits.append(_read_idx_pair(img, lab, num_classes, title))
    train, test = splits
    if train.x.shape[1:] != test.x.shape[1:]:
        raise DataError(_("{train} has {train_size} images but {test} has {test_size} images; both must have "
                          "the same size.").format(train=files['train-images'],
                                                   train_size=_fmt_shape(train.x.shape[2:]),
                                                   test=files['t10k-images'],
                                                   test_size=_fmt_shape(test.x.shape[2:])), recoverable=True)
    return train, test


def _describe_partial(folder: pathlib.Path, files: dict[str, pathlib.Path]) -> str:
    missing = [r for r in _IDX_ROLES if r not in files]
    return ngettext("{folder} has {have} but lacks the {missing} file.",
                    "{folder} has {have} but lacks the {missing} files.", len(missing)).format(
                        folder=folder, have=", ".join(p.name for p in files.values()), missing=", ".join(missing))


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
            return train, test, _("{folder} (IDX files)").format(folder=folder)
        if files:
            partial.append(_describe_partial(folder, files))

    if not download:
        reason = _("downloading is switched off")
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
            reason = _("download failed: {error}").format(error=e)
        except OSError as e:
            reason = _("could not create {folder}: {error}").format(folder=target, error=e.strerror or e)
        if not reason:
            files = _find_idx_files(target)
            train, test = _read_idx_set(files, len(spec.classes), spec.title, progress)
            return train, test, _("{folder} (downloaded from {url})").format(folder=target, url=spec.mirrors[0])

    names = ", ".join(f for f, _md5 in spec.files)
    family = (_("{url} (or its mirrors)").format(url=spec.mirrors[0]) if len(spec.mirrors) > 1
              else spec.mirrors[0])
    msg = _("{title} is not on this computer and could not be downloaded ({reason}). Put the four files {names} "
            "(gzipped or not) into the folder {folder} — they are published at {url} — or run once with "
            "downloading enabled on a computer with internet access.").format(
                title=spec.title, reason=reason, names=names, folder=target, url=family)
    msg = _sentences(msg, *partial, _(_FALLBACK_ADVICE))
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
    raise DataError(_("{file} contains the label {label} (at position {pos}), but only {n} different labels "
                      "appear ({shown}). IDX labels are class numbers 0…K−1, so this would make {k} classes, "
                      "{empty} of them empty. Fix or replace the label file (is it from another dataset?).").format(
                          file=files[split + '-labels'], label=top, pos=f"{pos:,}", n=len(present), shown=shown,
                          k=k, empty=k - len(present)), recoverable=True)


def _load_idx_folder(folder: pathlib.Path, progress: Progress | None) -> tuple[TensorSplit, TensorSplit, str]:
    for cand in (folder, folder / "raw"):
        files = _find_idx_files(cand)
        if len(files) == 4:
            train, test = _read_idx_set(files, None, N_("The dataset"), progress)
            _check_label_numbering(files, train, test)
            return train, test, _("{folder} (IDX files)").format(folder=cand)
    files = _find_idx_files(folder)
    have = _describe_partial(folder, files) if files else _("{folder} holds no IDX files.").format(folder=folder)
    raise DataError(_sentences(have, _("The idx dataset needs four files: train-images-idx3-ubyte, "
                                   "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
                                   "(gzipped or not; names like train-images.idx3-ubyte also work).")),
                    recoverable=True)
