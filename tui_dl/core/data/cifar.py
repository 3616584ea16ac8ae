"""CIFAR-10: the python-pickle archive, downloaded and unpacked into torchvision's layout, then read
with torchvision's ``CIFAR10(root, download=False)`` (``ds.data`` is used). torchvision is imported lazily."""

from __future__ import annotations

import pathlib
import tarfile
import zlib

import numpy as np
import torch

from tui_dl.core.data.base import DataError, Progress, TensorSplit, _report, _Spec, given_root
from tui_dl.core.data.download import _download_any, _DownloadFailed
from tui_dl.core.i18n import _

_CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                "batches.meta")


def _load_cifar(spec: _Spec, root, download: bool, progress: Progress | None) -> tuple[TensorSplit, TensorSplit, str]:
    base = given_root(root)
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
                reason = _("download failed: {error}").format(error=e)
            except OSError as e:
                reason = _("could not create {folder}: {error}").format(folder=base, error=e.strerror or e)
        elif not archive.is_file():
            reason = _("downloading is switched off")
        if archive.is_file() and not reason:
            _report(progress, _("Unpacking {file}").format(file=archive.name), None)
            _extract_tar(archive, base)
            if not _cifar_complete(folder):
                raise DataError(_("{archive} did not contain the CIFAR-10 batches ({files} in {folder}/). Delete it "
                                  "and download it again.").format(archive=archive, files=', '.join(_CIFAR_FILES),
                                                                   folder=spec.folder), recoverable=True)
    if not _cifar_complete(folder):
        raise DataError(_(
            "CIFAR-10 is not on this computer and could not be downloaded ({reason}). Download {url} and put it "
            "into the folder {folder} (tui-dl unpacks it there), or unpack it yourself so that {batch} exists; or "
            "run once with downloading enabled on a computer with internet access. To train without it now, set "
            "`fallback: synthetic-digits` in the data section of the YAML (its images are 1×28×28, so the "
            "network's input must then be [1, 28, 28]).").format(
                reason=reason, url=spec.mirrors[0] + tar_name, folder=base, batch=folder / 'data_batch_1'),
            recoverable=True)
    _report(progress, _("Reading {file}").format(file=folder), None)
    from torchvision import datasets  # lazy: importing torchvision takes seconds

    out = []
    for train in (True, False):
        try:
            ds = datasets.CIFAR10(str(base), train=train, download=False)
            x = torch.from_numpy(np.ascontiguousarray(ds.data)).permute(0, 3, 1, 2).contiguous()
            y = torch.as_tensor(ds.targets, dtype=torch.int64)
        except (RuntimeError, OSError, EOFError, ValueError, KeyError, TypeError) as e:
            raise DataError(_("The CIFAR-10 files in {folder} are damaged or incomplete ({error}). Delete the "
                              "folder and download {file} again.").format(folder=folder, error=e, file=tar_name),
                            recoverable=True) from None
        except Exception as e:  # unpickling garbage can raise almost anything
            raise DataError(_("The CIFAR-10 files in {folder} could not be read ({error}). Delete the folder and "
                              "download {file} again.").format(folder=folder, error=f"{type(e).__name__}: {e}",
                                                               file=tar_name), recoverable=True) from None
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
                        raise tarfile.TarError(_("unsafe path {name}").format(name=member.name))
                tar.extractall(dest)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise DataError(_("Could not unpack {archive} ({error}); it is probably damaged. Delete it and download it "
                          "again.").format(archive=archive, error=e), recoverable=True) from None
